"""Pages of attendance: a school's class rosters and lesson marking, a parent's confirm or dispute."""

from __future__ import annotations

from typing import Any

ATTENDANCE_ROUTES: list[Any] = []
