from typing import Any

HTML_ROUTES: list[Any] = []
