"""Built-in report renderers (filled in by the reports area)."""

from __future__ import annotations

from typing import Any


def render(report: str, fmt: str, data: Any) -> bytes | None:
    return None
