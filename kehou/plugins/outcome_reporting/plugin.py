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


@hookimpl
def kehou_anonymise_students(session: Any, student_ids: list[int]) -> None:
    """Survey comments about the children's courses go; the answers and scores stay for the term reports."""
    from sqlalchemy import update

    from kehou.plugins.course_catalogue.public import enrolment_ids_of
    from kehou.plugins.outcome_reporting.models.surveys import SurveyResponse

    session.execute(update(SurveyResponse).where(SurveyResponse.enrolment_id.in_(enrolment_ids_of(student_ids))).values(comment="")
                    .execution_options(synchronize_session=False))


@hookimpl
def kehou_retention_sweep(session: Any, county_code: str, due: dict[str, Any]) -> list[Any]:
    from kehou.plugins.outcome_reporting.retention import sweep

    return sweep(session, county_code, due)
