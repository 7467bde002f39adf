"""The exit mechanism (退出机制): warning, rectification, suspension, expulsion with appeal, exit."""
