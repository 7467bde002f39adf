from typing import Any

API_ROUTES: list[Any] = []
