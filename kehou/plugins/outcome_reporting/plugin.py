"""Hook implementations of outcome reporting: settings, routes and jobs of each area (supervision,
surveys and showcase, evaluation, reports), and the built-in report renderers."""

from __future__ import annotations

from typing import Any

from kehou.pluginapi import JobTable, PeriodicTask, hookimpl
from kehou.plugins.outcome_reporting import evaluation_routes, reports_routes, supervision_routes, surveys_routes
from kehou.plugins.outcome_reporting.policy import SETTINGS

AREAS = (supervision_routes, surveys_routes, evaluation_routes, reports_routes)


@hookimpl
def kehou_register_settings() -> list[Any]:
    return SETTINGS


@hookimpl
def kehou_register_routes() -> list[Any]:
    return [route for area in AREAS for route in area.ROUTES]


@hookimpl
def kehou_register_periodic_tasks() -> list[PeriodicTask]:
    return [task for area in AREAS for task in area.PERIODIC]


@hookimpl
def kehou_register_job_tables() -> list[JobTable]:
    from kehou.plugins.outcome_reporting.models.reports import ReportJob

    return [JobTable("report_export", ReportJob)]


@hookimpl(trylast=True)
def kehou_render_report(report: str, fmt: str, data: Any) -> bytes | None:
    """The built-in renderers (Excel, PDF); a county's own plugin answering first replaces them."""
    from kehou.plugins.outcome_reporting.exports import render

    return render(report, fmt, data)


@hookimpl
def kehou_register_audit_vocabulary() -> list[Any]:
    from kehou.plugins.outcome_reporting.audit_words import VOCABULARY

    return [VOCABULARY]
