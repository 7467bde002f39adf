"""Retention of participation records (``privacy.retention_participation_years`` after a term ended): the free text
about children — leave reasons, parents' notes on attendance, no-show explanations and decisions, quit reasons — is
emptied; the marks, cases and enrolments themselves stay for the statistics and the ledger."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from kehou.platform.privacy.sweep import QUIET, Swept, swept
from kehou.plugins.course_catalogue.models import Attendance, Enrolment, Entry, Lesson, Menu, NoShowCase


def sweep(session: Session, county_code: str, due: dict[str, dt.date]) -> list[Swept]:
    if "participation" not in due:
        return []
    ended = (select(Entry.id).join(Menu, Menu.id == Entry.menu_id)
             .where(Entry.county_code == county_code, Menu.term_end <= due["participation"]))
    marks = session.execute(update(Attendance).where(
        Attendance.lesson_id.in_(select(Lesson.id).where(Lesson.entry_id.in_(ended))),
        or_(Attendance.reason != "", Attendance.parent_note != "")).values(reason="", parent_note="")
        .execution_options(**QUIET))
    cases = session.execute(update(NoShowCase).where(
        NoShowCase.entry_id.in_(ended), or_(NoShowCase.answer != "", NoShowCase.close_reason != ""))
        .values(answer="", close_reason="").execution_options(**QUIET))
    quits = session.execute(update(Enrolment).where(Enrolment.entry_id.in_(ended), Enrolment.ended_reason != "")
                            .values(ended_reason="").execution_options(**QUIET))
    return (swept("participation", "删除请假原因与家长考勤说明", marks)
            + swept("participation", "删除未到课说明与处理理由", cases)
            + swept("participation", "删除退课原因", quits))
