"""Public notice (公示): N Chinese working days, objections, closing."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.admission.models import Application, Objection
from kehou.platform.admission.models import AppStatus as S
from kehou.platform.admission.services import require_reviewer, visible
from kehou.platform.admission.workflow import load, transition
from kehou.platform.audit import services as audit
from kehou.platform.calendar import services as calendar
from kehou.platform.context import Context
from kehou.platform.policy import services as policy
from kehou.timeutil import clock, utcnow

log = logging.getLogger(__name__)
CONTACT_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|[^@\s]+@[^@\s]+\.[^@\s]+)$")
#: public objections: from one address in an hour (any applications); from one address, and under one contact, on
#: one application; beyond these the filer is asked to wait (429), so a script cannot bury a notice in objections
PER_ADDRESS_HOUR = 5
PER_ADDRESS_APPLICATION = 3
PER_CONTACT_APPLICATION = 3
#: unanswered objections from one address that flag a flood to the county (the page offers to dismiss them at once)
FLOOD = 3


def open_notice(ctx: Context, session: Session, app: Application) -> dict[str, Any]:
    """Set the notice period on ``app``; return it for the audit entry."""
    days = policy.get(session, ctx.registry, app.county_code, "admission.notice_working_days")
    today = clock.today_local()
    app.notice_start = today
    app.notice_end = calendar.load(session, app.county_code).add_working_days(today, days)
    return {"notice_start": app.notice_start, "notice_end": app.notice_end, "notice_working_days": days}


def notice_running(app: Application) -> bool:
    return app.status == S.public_notice and app.notice_end is not None and clock.today_local() <= app.notice_end


def _text(value: str, field: str, label: str, max_len: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"请填写{label}。", code="field_required", field=field)
    if len(value) > max_len:
        raise ValidationFailed(f"{label}不能超过{max_len}个字符。", code="field_too_long", field=field)
    return value


def file_objection(session: Session, actor: Actor, application_id: int, *, name: str, contact: str, content: str,
                   evidence: str) -> Objection:
    """Anyone may object during the notice period, under real name, with evidence."""
    app = load(session, application_id, lock=True)
    if not notice_running(app):
        raise Conflict("该申请不在公示期内，不能提出异议。", code="notice_not_running")
    contact = _text(contact, "contact", "联系方式", 100).replace(" ", "")
    if not CONTACT_RE.match(contact):
        raise ValidationFailed("联系方式应为手机号、座机号或电子邮箱。", code="contact_invalid", field="contact")
    row = Objection(
        application_id=app.id, name=_text(name, "name", "真实姓名", 50), contact=contact,
        content=_text(content, "content", "异议内容", 5000), evidence=_text(evidence, "evidence", "证据材料说明", 5000),
        ip=actor.ip[:64], filed_at=utcnow(),
    )
    _refuse_floods(session, row)
    session.add(row)
    session.flush()
    audit.record(session, actor, county_code=app.county_code, action="admission.objection_filed",
                 entity_type="objection", entity_id=row.id, new={"application_id": app.id, "name": row.name})
    session.commit()
    return row


def _refuse_floods(session: Session, row: Objection) -> None:
    """The same objection again is refused as a duplicate; too many from one address or contact wait (429)."""
    same = select(func.count()).where(Objection.application_id == row.application_id)
    if session.scalar(same.where(Objection.contact == row.contact, Objection.content == row.content)):
        raise Conflict("您已就该申请提交过相同内容的异议，无需重复提交；教育局会逐条答复。", code="objection_duplicate")
    now = row.filed_at
    counts = (
        (session.scalar(select(func.count()).where(Objection.ip == row.ip, Objection.filed_at >= now - dt.timedelta(hours=1)))
         if row.ip else 0, PER_ADDRESS_HOUR),
        (session.scalar(same.where(Objection.ip == row.ip)) if row.ip else 0, PER_ADDRESS_APPLICATION),
        (session.scalar(same.where(Objection.contact == row.contact)), PER_CONTACT_APPLICATION),
    )
    if any((n or 0) >= limit for n, limit in counts):
        raise TooManyRequests("提交异议过于频繁。同一来源一小时内最多提交5条异议、对同一申请最多3条；"
                              "如有更多情况，请在一条异议中一并说明，或拨打教育局电话反映。", code="objections_throttled")


def floods(rows: list[Objection]) -> dict[str, int]:
    """Addresses with at least :data:`FLOOD` unanswered objections (address -> how many), for the county's page."""
    counts = Counter(o.ip for o in rows if o.answered_at is None and o.ip)
    return {ip: n for ip, n in counts.items() if n >= FLOOD}


def dismiss(session: Session, actor: Actor, application_id: int, objection_ids: list[int], *, reason: str) -> list[Objection]:
    """A reviewer marks objections as invalid (刷量、重复、与申请无关) with a reason: each is answered, not upheld,
    flagged ``spam`` and audited, so a flood cannot stall a decision. All or none: every id must be an unanswered
    objection of this application."""
    actor.require("county_staff")
    app = visible(session, actor, application_id, lock=True)
    require_reviewer(actor, app)
    if app.status not in (S.public_notice, S.awaiting_decision):
        raise Conflict("该申请已作出决定，不能再处理异议。", code="application_closed")
    reason = _text(reason, "reason", "标记为无效异议的理由", 1000)
    ids = list(dict.fromkeys(objection_ids))
    if not ids:
        raise ValidationFailed("请勾选要标记为无效的异议。", code="objections_required", field="objection_id")
    rows = list(session.scalars(select(Objection).where(Objection.id.in_(ids), Objection.application_id == app.id)
                                .execution_options(populate_existing=True)))
    if len(rows) != len(ids):
        raise NotFound("所选异议不属于该申请。", code="objection_not_found", field="objection_id")
    if any(o.answered_at is not None for o in rows):
        raise Conflict("所选异议中有已答复的，未做任何改动；请刷新页面后重选。", code="objection_answered")
    now = utcnow()
    for o in rows:
        o.answer, o.upheld, o.spam, o.answered_by, o.answered_at = reason, False, True, actor.user_id, now
        audit.record(session, actor, county_code=app.county_code, action="admission.objection_dismissed",
                     entity_type="objection", entity_id=o.id, reason=reason,
                     old={"answered": False}, new={"answered": True, "upheld": False, "spam": True, "ip": o.ip})
    session.commit()
    return rows


def answer_objection(session: Session, actor: Actor, objection_id: int, *, answer: str, upheld: bool) -> Objection:
    actor.require("county_staff")
    row = session.get(Objection, objection_id)
    try:
        app = visible(session, actor, row.application_id, lock=True) if row is not None else None
    except NotFound:
        app = None  # another county's objection looks like a missing one
    if row is None or app is None:
        raise NotFound("异议不存在。", code="objection_not_found")
    # under the application's lock, read the objection again: a concurrent answer must be seen
    row = session.scalars(select(Objection).where(Objection.id == objection_id)
                          .execution_options(populate_existing=True)).one()
    require_reviewer(actor, app)
    if app.status not in (S.public_notice, S.awaiting_decision):
        raise Conflict("该申请已作出决定，不能再答复异议。", code="application_closed")
    if row.answered_at is not None:
        raise Conflict("该异议已答复。", code="objection_answered")
    row.answer = _text(answer, "answer", "答复内容", 5000)
    row.upheld, row.answered_by, row.answered_at = upheld, actor.user_id, utcnow()
    audit.record(session, actor, county_code=app.county_code, action="admission.objection_answered",
                 entity_type="objection", entity_id=row.id, reason=row.answer, old={"answered": False},
                 new={"answered": True, "upheld": upheld})
    session.commit()
    return row


def objections(session: Session, app: Application) -> list[Objection]:
    return list(session.scalars(select(Objection).where(Objection.application_id == app.id).order_by(Objection.id)))


def unanswered(session: Session, app: Application) -> int:
    return session.scalar(
        select(func.count()).where(Objection.application_id == app.id, Objection.answered_at.is_(None))
    ) or 0


def close_notice(session: Session, actor: Actor, application_id: int) -> Application:
    """Close a notice whose period has ended (staff, or the periodic task)."""
    app = load(session, application_id, lock=True)
    if actor.role != "system":
        actor.require("county_staff")
        require_reviewer(actor, visible(session, actor, application_id))
    if app.status == S.public_notice and notice_running(app):
        raise Conflict(f"公示期至{app.notice_end}结束，尚未届满。", code="notice_still_running")
    transition(session, app, "close_notice", actor, extra={"notice_end": app.notice_end})
    session.commit()
    return app


def close_ended_notices(session: Session) -> list[int]:
    """Move every notice whose period has ended to the decision stage."""
    today = clock.today_local()
    ids = list(session.scalars(select(Application.id).where(Application.status == S.public_notice,
                                                            Application.notice_end < today)))
    closed = []
    for app_id in ids:
        try:
            close_notice(session, Actor.system("notice-timer"), app_id)
            closed.append(app_id)
        except Conflict:  # closed by staff meanwhile: nothing to do
            session.rollback()
        except Exception:  # one failure must not stop the rest of the batch
            session.rollback()
            log.exception("closing the notice of application %s failed", app_id)
    return closed
