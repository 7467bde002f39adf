"""What the evaluation area registers: its API and page routes, its periodic jobs."""

from __future__ import annotations

from typing import Any

from kehou.pluginapi import PeriodicTask

ROUTES: list[Any] = []
PERIODIC: list[PeriodicTask] = []
