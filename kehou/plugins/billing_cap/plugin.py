"""Hook implementations of billing: the fee policy settings, the per-student term cap and the
per-lesson cap at enrolment, price ranges for offerings, routes, jobs, the exit refunds and
``kehou billing``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from kehou.pluginapi import CliCommand, PeriodicTask, Refusal, enqueue, hookimpl
from kehou.plugins.billing_cap.policy import SETTINGS, lesson_cap_limit, yuan


@hookimpl
def kehou_register_settings() -> list[Any]:
    return SETTINGS


def cap_refusals(enrollment: Any, policy: Mapping[str, Any]) -> list[Refusal]:
    """The term cap counts the course fees of every course the child holds or waits for this term,
    materials excluded; the lesson cap bounds one course's fee per scheduled lesson."""
    out: list[Refusal] = []
    cap = policy.get("billing.term_cap_fen") or 0
    if cap:
        held = sum(c.fee_fen for c in enrollment.current if c.entry_id != enrollment.course.entry_id)
        total = held + enrollment.course.fee_fen
        if total > cap:
            out.append(Refusal("term_cap_exceeded", (
                f"本学期已选课程费用合计{yuan(held)}元，加上「{enrollment.course.title}」{yuan(enrollment.course.fee_fen)}元"
                f"共{yuan(total)}元，超过每生每学期收费上限{yuan(cap)}元（超出{yuan(total - cap)}元）。材料费不计入上限。"),
                "entry_id"))
    per_lesson = policy.get("billing.lesson_cap_fen") or 0
    lessons = enrollment.course.lessons
    most = lesson_cap_limit(enrollment.course.fee_fen, per_lesson, lessons)
    if most is not None:
        out.append(Refusal("lesson_cap_exceeded", (
            f"「{enrollment.course.title}」{lessons}次课收费{yuan(enrollment.course.fee_fen)}元，"
            f"超过每课时{yuan(per_lesson)}元的上限（最多{yuan(most)}元）。"), "entry_id"))
    return out


@hookimpl
def kehou_validate_enrollment(enrollment: Any, policy: Mapping[str, Any]) -> list[Refusal]:
    return cap_refusals(enrollment, policy)


@hookimpl
def kehou_validate_course_offering(offering: Any, policy: Mapping[str, Any]) -> list[Refusal]:
    """Where a course is made (created, reviewed, placed on a menu): a fee outside the category's band, or over
    the per-lesson cap for the lessons the term calendar gives it, is refused; a fee over the per-student term
    cap is a warning when the course is created or reviewed (no child could choose it while the cap stands) and
    refused when a school places it."""
    out = []
    ranges = policy.get("billing.category_price_ranges") or {}
    band = ranges.get(offering.category)
    if band and not band[0] <= offering.fee_fen <= band[1]:
        out.append(Refusal("fee_out_of_range", f"「{offering.category}」类课程收费须在{yuan(band[0])}元至{yuan(band[1])}元"
                                               f"之间（本课程{yuan(offering.fee_fen)}元）。", "fee_fen"))
    per_lesson, n = policy.get("billing.lesson_cap_fen") or 0, offering.term_lessons
    most = lesson_cap_limit(offering.fee_fen, per_lesson, n)
    if most is not None:
        how = "按所排时段" if offering.stage == "place" else f"每周{offering.sessions_per_week}次"
        out.append(Refusal("lesson_cap_exceeded", (
            f"本课程收费{yuan(offering.fee_fen)}元，按{offering.term_name}校历{how}共{n}次课，超过每课时{yuan(per_lesson)}元"
            f"的收费上限（最多{yuan(most)}元，超出{yuan(offering.fee_fen - most)}元）。"), "fee_fen"))
    cap = policy.get("billing.term_cap_fen") or 0
    if cap and offering.fee_fen > cap:
        out.append(Refusal("fee_over_term_cap", f"本课程收费{yuan(offering.fee_fen)}元，超过本区县每生每学期收费上限"
                                                f"{yuan(cap)}元，学生将无法选择此课程。", "fee_fen",
                           warning=offering.stage != "place"))
    return out


@hookimpl
def kehou_register_routes() -> list[Any]:
    from kehou.plugins.billing_cap.api import API_ROUTES
    from kehou.plugins.billing_cap.views import HTML_ROUTES

    return [*API_ROUTES, *HTML_ROUTES]


@hookimpl
def kehou_provider_exited(provider_id: int, county_code: str, effective: dt.date) -> None:
    enqueue("kehou.billing.exit_refunds", provider_id=provider_id, county_code=county_code, effective=effective.isoformat())


@hookimpl
def kehou_register_periodic_tasks() -> list[PeriodicTask]:
    from kehou.plugins.billing_cap.tasks import exit_refunds, issue_after_windows, monthly_settlements

    # last month's settlements are drafted on the 1st of each month at 03:00 (Asia/Shanghai)
    return [PeriodicTask("billing-issue-bills", "kehou.billing.issue_after_windows", 3600.0, run=issue_after_windows),
            PeriodicTask("billing-monthly-settlements", "kehou.billing.monthly_settlements", crontab="0 3 1 * *",
                         run=monthly_settlements),
            PeriodicTask("billing-exit-refunds", "kehou.billing.exit_refunds", 0, run=exit_refunds)]


@hookimpl
def kehou_register_commands() -> list[CliCommand]:
    from kehou.plugins.billing_cap.reconcile import COMMAND

    return [COMMAND]


@hookimpl
def kehou_register_audit_vocabulary() -> list[Any]:
    from kehou.plugins.billing_cap.audit_words import VOCABULARY

    return [VOCABULARY]


@hookimpl
def kehou_anonymise_students(session: Any, student_ids: list[int]) -> None:
    """The evidence a school recorded for a waiver (a hardship certificate…) goes; the waiver's amount stays."""
    from sqlalchemy import update

    from kehou.plugins.billing_cap.models import Waiver

    session.execute(update(Waiver).where(Waiver.student_id.in_(student_ids)).values(evidence="")
                    .execution_options(synchronize_session=False))


@hookimpl
def kehou_retention_sweep(session: Any, county_code: str, due: dict[str, Any]) -> list[Any]:
    from kehou.plugins.billing_cap.retention import sweep

    return sweep(session, county_code, due)
