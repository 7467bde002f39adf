"""What the surveys area registers: its API and page routes, its periodic jobs."""

from __future__ import annotations

from typing import Any

from kehou.pluginapi import PeriodicTask
from kehou.plugins.outcome_reporting.surveys_api import API_ROUTES
from kehou.plugins.outcome_reporting.surveys_views import HTML_ROUTES


def open_term_end_rounds() -> int:
    """Celery job: open the term-end satisfaction round of every county and term that is due (idempotent)."""
    from kehou.plugins.outcome_reporting import surveys
    from kehou.tasks.app import get_context

    ctx = get_context()
    with ctx.db.write_session() as session:
        return surveys.open_term_end_rounds(ctx, session)


ROUTES: list[Any] = [*API_ROUTES, *HTML_ROUTES]
PERIODIC: list[PeriodicTask] = [
    PeriodicTask("outcome-survey-term-end", "kehou.outcome.open_term_end_surveys", 3600.0, run=open_term_end_rounds),
]
