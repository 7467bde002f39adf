"""Demo data of outcome reporting: the bureau runs an on-demand satisfaction survey that parents of
the football class have begun to answer and the school has rated the club; a member of the public
complained anonymously (received), a parent's complaint is assigned to a reviewer, the school
reported a minor incident, and a draft evaluation of the term is computed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.providers.models import Provider
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting import complaints, evaluation, incidents, surveys
from kehou.timeutil import utcnow

MAIN = "330106"
GOOD = {"overall": 5, "content": 5, "teaching": 4, "safety": 5, "communication": 4}
SO_SO = {"overall": 3, "content": 3, "teaching": 4, "safety": 3, "communication": 2}


def _actor(s: Session, **where: Any) -> Actor:
    user = s.scalars(select(User).filter_by(**where).order_by(User.id)).first()
    assert user is not None, f"the demo data has no user with {where}"
    return accounts.actor_for(user)


def load(ctx: Context, school_admin: Actor, term_name: str) -> None:
    with ctx.db.read_session() as s:
        reviewer, decider = _actor(s, username="xh_reviewer1"), _actor(s, username="xh_decider")
        parent = _actor(s, username="parent02")
        club = s.scalars(select(Provider).where(Provider.name == "杭州青少年足球俱乐部")).one()
        football = next(c for c in catalogue.courses(s, county_code=MAIN, term_name=term_name) if c.provider_id == club.id)
        kids = [e.student_id for e in catalogue.enrolments(s, entry_id=football.entry_id) if e.status == "enrolled"]
    with ctx.db.write_session() as s:
        survey = surveys.open_round(ctx, s, reviewer, MAIN, term_name)
    for n, kid in enumerate(kids[:12]):
        with ctx.db.write_session() as s:
            surveys.answer(ctx, s, parent, kid, survey.id, entry_id=football.entry_id, respondent="parent",
                           answers=GOOD if n % 4 else SO_SO, comment="孩子很喜欢踢球" if n == 0 else "")
    with ctx.db.write_session() as s:
        surveys.rate(ctx, s, school_admin, football.school_id, survey.id, provider_id=club.id,
                     answers={"overall": 4, "punctual": 5, "quality": 4, "cooperation": 4}, comment="教练准时，训练有序")
    with ctx.db.write_session() as s:
        complaints.submit(ctx, s, Actor.anonymous("127.0.0.1"), complaints.ComplaintInput(
            category="fees", text="听说有机构在课后服务时间向学生推销校外培训课程，请核查。", anonymous=True), county_code=MAIN)
    with ctx.db.write_session() as s:
        filed = complaints.submit(ctx, s, parent, complaints.ComplaintInput(
            category="safety", text="足球课下课后孩子在操场等了二十分钟才有老师交接。", entry_id=football.entry_id,
            contact_name="李家长", contact_phone="13900000002"))
    with ctx.db.write_session() as s:
        complaints.assign(ctx, s, decider, filed.id, reviewer.user_id or 0, note="请核实放学交接情况")
    with ctx.db.write_session() as s:  # the club sees the complaint about it (never who made it) and can answer
        complaints.set_visibility(ctx, s, decider, filed.id, True, note="请机构说明放学交接安排")
    with ctx.db.write_session() as s:
        incidents.report(ctx, s, school_admin, incidents.IncidentInput(
            entry_id=football.entry_id, severity="minor", occurred_at=utcnow() - dt.timedelta(hours=2),
            description="训练中一名学生摔倒擦伤膝盖，校医已处理。", injured=1, actions_taken="通知家长，加强热身"))
    with ctx.db.write_session() as s:
        evaluation.compute(ctx, s, reviewer, MAIN, term_name)
