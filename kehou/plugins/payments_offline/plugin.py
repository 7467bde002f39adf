"""Payment gateway plugin (being built)."""
