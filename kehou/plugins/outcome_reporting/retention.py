"""Retention of feedback (``privacy.retention_feedback_years`` after closure): a resolved complaint loses the
complainant's name and phone and its text; a closed survey round loses the comments written in it. Categories,
outcomes, answers and scores stay for the reports."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kehou.platform.privacy.sweep import QUIET, Swept, swept
from kehou.plugins.outcome_reporting.models.supervision import Complaint
from kehou.plugins.outcome_reporting.models.surveys import Survey, SurveyResponse
from kehou.timeutil import end_of_local_day_utc

GONE = "（已过保存期限，内容已删除）"


def sweep(session: Session, county_code: str, due: dict[str, dt.date]) -> list[Swept]:
    if "feedback" not in due:
        return []
    until = end_of_local_day_utc(due["feedback"])
    complaints = session.execute(update(Complaint).where(
        Complaint.county_code == county_code, Complaint.resolved_at < until, Complaint.text != GONE)
        .values(contact_name="", contact_phone="", text=GONE).execution_options(**QUIET))
    closed = select(Survey.id).where(Survey.county_code == county_code, Survey.closes_at < until)
    comments = session.execute(update(SurveyResponse).where(SurveyResponse.survey_id.in_(closed), SurveyResponse.comment != "")
                               .values(comment="").execution_options(**QUIET))
    return swept("feedback", "删除投诉人姓名、电话与投诉内容", complaints) + swept("feedback", "删除问卷留言", comments)
