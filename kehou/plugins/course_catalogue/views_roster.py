"""Pages of the school's student roster: import from Excel/CSV and parent activation slips."""

from __future__ import annotations

from typing import Any

ROSTER_ROUTES: list[Any] = []
