"""Parents' rights (查阅、更正、删除): a parent sees what the platform holds about their child and which
organisations looked at it when, and asks for a correction or a deletion; the child's school answers within the
county's ``privacy.request_days`` (15 days by default), done or refused with a reason; the county sees what is
overdue. Every step is audited and told to the other side."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.platform.notifications.models import Notification
from kehou.platform.notifications.services import notify_school_admins
from kehou.platform.policy import services as policy
from kehou.platform.privacy.access import WHAT
from kehou.platform.privacy.models import ChildAccess, PrivacyRequest
from kehou.platform.providers.models import Provider
from kehou.platform.students import services as students
from kehou.platform.students.models import PRIORITY_LABELS, Guardian, GuardianContact, Student
from kehou.timeutil import clock, fmt_local, utcnow

KINDS = {"correct": "更正信息", "delete": "删除信息", "explain": "询问处理情况"}
STATUS = {"open": "处理中", "done": "已办结", "refused": "不予办理"}
ROLE_ORG = {"school_admin": "学校", "county_staff": "区县教育局", "department": "区县相关部门", "platform_admin": "平台运维",
            "provider": "授课机构"}
TEXT = {"asked_title": "家长提出个人信息申请", "asked_body": "{child}的家长申请{kind}：{detail}（{due}前答复）",
        "answered_title": "个人信息申请已答复", "answered_body": "您就{child}提出的“{kind}”申请：{status}。{answer}"}


def held(session: Session, actor: Actor, student_id: int) -> dict[str, Any]:
    """What the platform holds about the child, as the family may see it (their own child only)."""
    kid = students.child_of(session, actor, student_id)
    school = session.get(School, kid.school_id)
    guardians = session.execute(select(User.display_name, Guardian.relation, GuardianContact.phone_last4)
                                .join(Guardian, Guardian.user_id == User.id)
                                .outerjoin(GuardianContact, (GuardianContact.user_id == User.id)
                                           & (GuardianContact.school_id == kid.school_id))
                                .where(Guardian.student_id == kid.id)).all()
    return {"student": {"name": kid.name, "student_no": kid.student_no, "school": school.name if school else "",
                        "grade": kid.grade, "class_name": kid.class_name, "priority_group": kid.priority_group,
                        "priority_label": PRIORITY_LABELS.get(kid.priority_group or "", "")},
            "guardians": [{"name": n, "relation": r, "phone": f"*******{p}" if p else ""} for n, r, p in guardians]}


def accesses(session: Session, actor: Actor, student_id: int, limit: int = 100) -> list[dict[str, str]]:
    """Which organisations looked at the child's record, when and what (staff names are not shown)."""
    kid = students.child_of(session, actor, student_id)
    rows = session.execute(select(ChildAccess.at, ChildAccess.actor_role, ChildAccess.provider_id, ChildAccess.what,
                                  ChildAccess.purpose).where(ChildAccess.student_id == kid.id)
                           .order_by(ChildAccess.at.desc()).limit(limit)).all()
    orgs = dict(session.execute(select(Provider.id, Provider.name).where(
        Provider.id.in_({r.provider_id for r in rows if r.provider_id} or {0}))).all())
    school = session.scalar(select(School.name).where(School.id == kid.school_id)) or ""
    out = []
    for r in rows:
        org = orgs.get(r.provider_id, "") if r.provider_id else (school if r.actor_role == "school_admin"
                                                                 else ROLE_ORG.get(r.actor_role, r.actor_role))
        out.append({"at": fmt_local(r.at), "org": org, "what": WHAT.get(r.what, r.what), "purpose": r.purpose})
    return out


def ask(ctx: Context, session: Session, actor: Actor, student_id: int, *, kind: str, detail: str) -> PrivacyRequest:
    kid = students.child_of(session, actor, student_id)
    if kind not in KINDS:
        raise ValidationFailed("申请类型须为更正、删除或询问。", code="request_kind_invalid", field="kind")
    detail = (detail or "").strip()
    if not 4 <= len(detail) <= 1000:
        raise ValidationFailed("请写明要更正或删除的内容（4至1000字）。", code="detail_required", field="detail")
    waiting = session.scalar(select(func.count(PrivacyRequest.id)).where(PrivacyRequest.requested_by == actor.user_id,
                                                                        PrivacyRequest.status == "open")) or 0
    if waiting >= 10:
        raise Conflict("您已有10件申请在处理中，请等待答复。", code="too_many_requests")
    days = int(policy.get(session, ctx.registry, kid.county_code, "privacy.request_days"))
    now = utcnow()
    row = PrivacyRequest(county_code=kid.county_code, school_id=kid.school_id, student_id=kid.id, requested_by=actor.user_id,
                         kind=kind, detail=detail, status="open", created_at=now,
                         due_on=clock.today_local() + dt.timedelta(days=days), answer="")
    session.add(row)
    session.flush()
    body = TEXT["asked_body"].format(child=kid.name, kind=KINDS[kind], detail=detail[:200], due=row.due_on)
    notify_school_admins(session, kid.school_id, TEXT["asked_title"], body, "/school/privacy-requests")
    audit.record(session, actor, county_code=kid.county_code, action="privacy.request", entity_type="privacy_request",
                 entity_id=row.id, reason=detail, new={"kind": kind, "student_id": kid.id, "due_on": row.due_on.isoformat()})
    session.commit()
    return row


def answer(session: Session, actor: Actor, request_id: int, *, done: bool, text: str) -> PrivacyRequest:
    actor.require("school_admin")
    row = session.scalars(select(PrivacyRequest).where(PrivacyRequest.id == request_id).with_for_update()).first()
    if row is None or row.school_id != actor.school_id:
        raise NotFound("申请不存在。", code="request_not_found")
    if row.status != "open":
        raise Conflict("该申请已答复。", code="request_answered")
    text = (text or "").strip()
    if not 2 <= len(text) <= 1000:
        raise ValidationFailed("请写明办理情况或不予办理的理由（2至1000字）。", code="answer_required", field="answer")
    row.status, row.answer, row.answered_by, row.answered_at = ("done" if done else "refused"), text, actor.user_id, utcnow()
    child = session.scalar(select(Student.name).where(Student.id == row.student_id)) or ""
    session.add(Notification(user_id=row.requested_by, title=TEXT["answered_title"], link="/parent/privacy",
                             body=TEXT["answered_body"].format(child=child, kind=KINDS[row.kind], status=STATUS[row.status],
                                                               answer=text), created_at=utcnow()))
    audit.record(session, actor, county_code=row.county_code, action="privacy.request_answer", entity_type="privacy_request",
                 entity_id=row.id, reason=text, old={"status": "open"}, new={"status": row.status})
    session.commit()
    return row


def out(row: PrivacyRequest, child: str = "") -> dict[str, Any]:
    return {"id": row.id, "student_id": row.student_id, "child": child, "kind": row.kind, "kind_label": KINDS[row.kind],
            "detail": row.detail, "status": row.status, "status_label": STATUS[row.status], "due_on": row.due_on.isoformat(),
            "overdue": row.status == "open" and clock.today_local() > row.due_on, "answer": row.answer,
            "created_at": fmt_local(row.created_at), "answered_at": fmt_local(row.answered_at)}


def _listing(session: Session, *where: Any) -> list[dict[str, Any]]:
    rows = session.execute(select(PrivacyRequest, Student.name).join(Student, Student.id == PrivacyRequest.student_id)
                           .where(*where).order_by((PrivacyRequest.status == "open").desc(), PrivacyRequest.due_on,
                                                   PrivacyRequest.id.desc()).limit(200)).all()
    return [out(r, name) for r, name in rows]


def for_family(session: Session, actor: Actor) -> list[dict[str, Any]]:
    actor.require("parent")
    return _listing(session, PrivacyRequest.requested_by == actor.user_id)


def for_school(session: Session, actor: Actor) -> list[dict[str, Any]]:
    actor.require("school_admin")
    return _listing(session, PrivacyRequest.school_id == (actor.school_id or 0))


def counts(session: Session, county_code: str, start: dt.datetime | None = None, end: dt.datetime | None = None
           ) -> dict[str, dict[str, int]]:
    """Per kind: received, done, refused, open and overdue (the county page, the audit pack)."""
    where = [PrivacyRequest.county_code == county_code]
    if start is not None and end is not None:
        where += [PrivacyRequest.created_at >= start, PrivacyRequest.created_at < end]
    table: dict[str, dict[str, int]] = {k: {"received": 0, "done": 0, "refused": 0, "open": 0, "overdue": 0} for k in KINDS}
    for kind, status, due in session.execute(select(PrivacyRequest.kind, PrivacyRequest.status, PrivacyRequest.due_on)
                                             .where(*where)):
        t = table[kind]
        t["received"] += 1
        t[status] += 1
        t["overdue"] += status == "open" and clock.today_local() > due
    return table
