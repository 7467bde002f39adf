"""Retention of feedback (``privacy.retention_feedback_years`` after closure): a resolved complaint loses the
complainant's name and phone and its text; a closed survey round loses the comments written in it; a patrol loses
its photos and a showcase item its file (deleted from storage by the job once committed). Categories, outcomes,
findings, answers and scores stay for the reports."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kehou.platform.privacy.sweep import QUIET, Swept, swept
from kehou.plugins.outcome_reporting.models.supervision import Complaint, Patrol
from kehou.plugins.outcome_reporting.models.surveys import ShowcaseItem, Survey, SurveyResponse
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
    return (swept("feedback", "删除投诉人姓名、电话与投诉内容", complaints) + swept("feedback", "删除问卷留言", comments)
            + _patrol_photos(session, county_code, due["feedback"]) + _showcase(session, county_code, until))


def _patrol_photos(session: Session, county_code: str, last_day: dt.date) -> list[Swept]:
    """Patrol photos (children may be in them) of patrols on or before the day: the files go, the findings stay."""
    keys: list[str] = []
    n = 0
    for patrol in session.scalars(select(Patrol).where(Patrol.county_code == county_code, Patrol.day <= last_day)):
        if patrol.photos:
            keys += [p["key"] for p in patrol.photos]
            patrol.photos = []
            n += 1
    session.flush()
    return swept("feedback", "删除巡课照片", n, files=tuple(keys))


def _showcase(session: Session, county_code: str, until: dt.datetime) -> list[Swept]:
    """Showcase works, photos and videos uploaded before then: the files go and the item is taken down."""
    items = list(session.scalars(select(ShowcaseItem).where(ShowcaseItem.county_code == county_code,
                                                             ShowcaseItem.uploaded_at < until, ShowcaseItem.storage_key != "")))
    keys = tuple(i.storage_key for i in items)
    for item in items:
        item.storage_key, item.description, item.status = "", "", "withdrawn"
    session.flush()
    return swept("feedback", "删除结业汇报照片、视频与作品文件", len(items), files=keys)
