"""All HTML controllers, in one list."""

from __future__ import annotations

from typing import Any


def html_routes() -> list[Any]:
    return []
