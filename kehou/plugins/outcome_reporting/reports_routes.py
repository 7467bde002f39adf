"""What the reports area registers: its API and page routes, its periodic jobs (the export task,
registered with interval 0: run only when an export is asked for)."""

from __future__ import annotations

from typing import Any

from kehou.pluginapi import PeriodicTask
from kehou.plugins.outcome_reporting.report_jobs import TASK, reap_jobs, render_report
from kehou.plugins.outcome_reporting.reports_api import API_ROUTES
from kehou.plugins.outcome_reporting.reports_views import VIEW_ROUTES

ROUTES: list[Any] = [*API_ROUTES, *VIEW_ROUTES]
PERIODIC: list[PeriodicTask] = [PeriodicTask("outcome-render-report", TASK, 0, run=render_report),
                                 # exports whose worker died: queued again, or failed after three attempts
                                 PeriodicTask("outcome-reap-report-jobs", "kehou.outcome.reap_jobs", 60.0, run=reap_jobs)]
