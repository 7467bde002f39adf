"""Chinese web pages of the course catalogue (provider, school administrator, parent)."""

from __future__ import annotations

from typing import Any

HTML_ROUTES: list[Any] = []
