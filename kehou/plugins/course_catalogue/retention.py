"""Retention of participation records (``privacy.retention_participation_years`` after a term ended): the free text
about children — leave reasons, parents' notes on attendance, no-show explanations and decisions, quit reasons — is
emptied; the marks, cases and enrolments themselves stay for the statistics and the ledger. Tripartite agreements of
a term that ended ``privacy.retention_agreement_years`` ago are redacted (:mod:`kehou.platform.agreements.retention`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from kehou.platform.agreements import retention as agreement_retention
from kehou.platform.agreements.models import Agreement
from kehou.platform.privacy.sweep import QUIET, Swept, swept
from kehou.plugins.course_catalogue.agreements import tripartite_subject
from kehou.plugins.course_catalogue.models import Attendance, Enrolment, Entry, Lesson, Menu, NoShowCase

SUBJECT = tripartite_subject(0).removesuffix("0")  # the catalogue's own tripartite agreements


def sweep(session: Session, county_code: str, due: dict[str, dt.date]) -> list[Swept]:
    out = _agreements(session, county_code, due["agreement"]) if "agreement" in due else []
    if "participation" not in due:
        return out
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
    return out + (swept("participation", "删除请假原因与家长考勤说明", marks)
            + swept("participation", "删除未到课说明与处理理由", cases)
            + swept("participation", "删除退课原因", quits))


def _agreements(session: Session, county_code: str, last_day: dt.date) -> list[Swept]:
    """The tripartite agreements not redacted yet of a term of their school that ended on or before the day."""
    ended = exists().where(Menu.school_id == Agreement.school_id, Menu.term_name == Agreement.term_name,
                           Menu.term_end <= last_day)
    n, files = agreement_retention.redact(session, agreement_retention.due(
        session, Agreement.county_code == county_code, Agreement.kind == "tripartite",
        Agreement.subject.like(f"{SUBJECT}%"), ended))
    return swept("agreement", "删除学期结束的三方协议文本、监护人姓名与签署信息", n, files=files)
