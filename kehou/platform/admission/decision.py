"""The decision (approve / reject) and the county whitelist (白名单)."""

from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.admission import notice, review
from kehou.platform.admission.models import Application, WhitelistEntry
from kehou.platform.admission.models import AppStatus as S
from kehou.platform.admission.services import visible
from kehou.platform.admission.workflow import transition
from kehou.platform.agreements import services as agreements
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.outbox import events
from kehou.platform.policy import services as policy
from kehou.pluginapi import ApplicationDecided
from kehou.timeutil import clock, utcnow


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(today: dt.date, months: int, entry: WhitelistEntry | None) -> dt.date:
    """The last day of the admission an approval grants today: ``months`` from today, or, for a
    re-review of an active listing, ``months`` more after its current end."""
    start = max(today, entry.valid_until + dt.timedelta(days=1)) if entry is not None and entry.status == "active" else today
    return add_months(start, months) - dt.timedelta(days=1)


def _require_decider(actor: Actor, app: Application) -> None:
    actor.require("county_staff")
    actor.require_county(app.county_code)
    if not actor.can_decide:
        raise PermissionDenied("您没有决定权限。", code="decide_right_required")


def _announce(ctx: Context, session: Session, app: Application, approved: bool) -> None:
    event = ApplicationDecided(
        application_id=app.id, provider_id=app.provider_id, county_code=app.county_code, approved=approved,
        categories=tuple(app.categories), reason=app.decision_reason or "", decided_at=app.decided_at or utcnow(),
    )
    events.record(ctx, session, app.county_code, "kehou_application_decided", decision=event)


def approve(ctx: Context, session: Session, actor: Actor, application_id: int, *, reason: str = "") -> WhitelistEntry:
    app = visible(session, actor, application_id, lock=True)
    _require_decider(actor, app)
    if app.status != S.awaiting_decision:
        transition(session, app, "approve", actor)  # raises the standard conflict
    if app.notice_end is None:
        raise Conflict("申请未经公示，不能准入。", code="notice_required")
    if any(r.reviewer_id == actor.user_id for r in review.reviews(session, app)):
        raise PermissionDenied("参与评分的人员不能独自作出准入决定，请由其他有决定权限的人员决定。",
                               code="reviewer_cannot_decide")
    signs = review.signoffs(session, app)
    if any(not s.agreed for s in signs):
        raise Conflict("联审部门不同意，不能准入。", code="signoff_refused")
    if notice.unanswered(session, app):
        raise Conflict("还有未答复的异议，请先答复全部异议。", code="objections_unanswered")
    if any(o.upheld for o in notice.objections(session, app)):
        raise Conflict("有异议经核实成立，不能准入。", code="objection_upheld")
    from kehou.vetting import services as vetting

    blocks = vetting.vet_for_decision(ctx, session, app)
    if blocks:
        session.commit()  # keep this vetting run for the reviewer; nothing else changed
        raise Conflict(f"自动核查有{len(blocks)}项阻止项未处理：{blocks[0].message}。请补正或由决定人员说明理由后放行。",
                       code="vetting_blocked", extra={"blocks": len(blocks)})
    today = clock.today_local()
    months = policy.get(session, ctx.registry, app.county_code, "admission.validity_months")
    entry = session.scalars(
        select(WhitelistEntry).where(WhitelistEntry.provider_id == app.provider_id, WhitelistEntry.county_code == app.county_code)
    ).first()
    old = None
    until = period_end(today, months, entry)
    if entry is None:
        entry = WhitelistEntry(provider_id=app.provider_id, county_code=app.county_code, valid_from=today)
        session.add(entry)
    else:
        old = {"categories": entry.categories, "valid_until": entry.valid_until, "status": entry.status}
        entry.valid_from = min(entry.valid_from, today)
    entry.valid_until = until
    entry.categories, entry.status, entry.application_id, entry.updated_at = list(app.categories), "active", app.id, utcnow()
    entry.status_reason = ""
    app.decision_reason, app.decided_by, app.decided_at = (reason or "").strip(), actor.user_id, utcnow()
    transition(session, app, "approve", actor, reason=reason, extra={"valid_until": entry.valid_until})
    session.flush()
    audit.record(session, actor, county_code=app.county_code, action="whitelist.admit", entity_type="whitelist",
                 entity_id=entry.id, reason=reason, old=old,
                 new={"provider_id": app.provider_id, "categories": entry.categories, "valid_from": entry.valid_from,
                      "valid_until": entry.valid_until, "status": "active"})
    agreements.ensure_admission(ctx, session, actor, county_code=app.county_code, provider_id=app.provider_id,
                                application_id=app.id, categories=list(entry.categories), valid_from=entry.valid_from,
                                valid_until=entry.valid_until)
    _announce(ctx, session, app, True)
    session.commit()
    return entry


def reject(ctx: Context, session: Session, actor: Actor, application_id: int, *, reason: str) -> Application:
    app = visible(session, actor, application_id, lock=True)
    _require_decider(actor, app)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("不予准入时必须说明理由。", code="reason_required", field="reason")
    if notice.unanswered(session, app):
        raise Conflict("还有未答复的异议，请先答复全部异议。", code="objections_unanswered")
    app.decision_reason, app.decided_by, app.decided_at = reason, actor.user_id, utcnow()
    transition(session, app, "reject", actor, reason=reason)
    _announce(ctx, session, app, False)
    session.commit()
    return app


def expire_whitelist(session: Session) -> list[int]:
    """Entries past their validity leave the whitelist (they may be renewed by re-review)."""
    today = clock.today_local()
    rows = list(session.scalars(select(WhitelistEntry).where(WhitelistEntry.status.in_(("active", "suspended")),
                                                             WhitelistEntry.valid_until < today).with_for_update()))
    system = Actor.system("whitelist-timer")
    for entry in rows:
        old_status = entry.status
        entry.status, entry.updated_at = "expired", utcnow()
        audit.record(session, system, county_code=entry.county_code, action="whitelist.expire", entity_type="whitelist",
                     entity_id=entry.id, reason="准入有效期届满，未完成留库审查", old={"status": old_status},
                     new={"status": "expired"})
    session.commit()
    return [e.id for e in rows]


def remind_renewals(ctx: Context, session: Session) -> int:
    """Tell providers whose admission ends within the county's window to apply for re-review (留库审查),
    once per entry and validity period."""
    from kehou.platform.counties.models import Region
    from kehou.platform.notifications.services import notify_provider_users

    sent = 0
    for county in session.scalars(select(WhitelistEntry.county_code).where(WhitelistEntry.status == "active").distinct()):
        region = session.get(Region, county)
        for entry in due_for_renewal(ctx, session, county):
            title = f"{region.name if region else county}准入将于{entry.valid_until}到期，请申请留库审查"
            sent += notify_provider_users(session, entry.provider_id, title,
                                          "到期前提交留库审查申请并经审核通过，方可继续进校服务。", "/provider#new")
    session.commit()
    return sent


def due_for_renewal(ctx: Context, session: Session, county_code: str) -> list[WhitelistEntry]:
    """Active entries that expire within the county's renewal window."""
    window = policy.get(session, ctx.registry, county_code, "admission.renewal_window_days")
    limit = clock.today_local() + dt.timedelta(days=window)
    return list(session.scalars(
        select(WhitelistEntry).where(WhitelistEntry.county_code == county_code, WhitelistEntry.status == "active",
                                     WhitelistEntry.valid_until <= limit)
    ))
