"""What the supervision area registers: its API and page routes, its periodic jobs."""

from __future__ import annotations

from typing import Any

from kehou.pluginapi import PeriodicTask
from kehou.plugins.outcome_reporting.complaints import run_overdue
from kehou.plugins.outcome_reporting.supervision_api import API_ROUTES
from kehou.plugins.outcome_reporting.supervision_views import HTML_ROUTES

ROUTES: list[Any] = [*API_ROUTES, *HTML_ROUTES]
PERIODIC: list[PeriodicTask] = [
    # hourly: tell each county's staff once about every complaint past its assign or resolve deadline
    PeriodicTask("outcome-complaints-overdue", "kehou.outcome.complaints_overdue", 3600.0, run=run_overdue),
]
