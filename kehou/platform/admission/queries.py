"""Read side of admission: lists scoped to the actor, and the detail view."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from kehou.errors import ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.admission import notice, review
from kehou.platform.admission.models import STATUS_LABELS, Application
from kehou.platform.counties.models import Region
from kehou.platform.providers.models import Provider


def visible_stmt(actor: Actor, *, status: str | None = None, county_code: str | None = None,
                 like: str | None = None) -> Select[Application, Provider] | None:
    """The applications the actor may list, newest change first (``None``: none at all); ``like`` searches the
    provider's name and credit code (an ``ilike`` pattern with ``\\`` as escape)."""
    actor.require()
    stmt = select(Application, Provider).join(Provider, Provider.id == Application.provider_id)
    if actor.role == "provider":
        stmt = stmt.where(Application.provider_id == actor.provider_id)
    elif actor.role in ("county_staff", "department"):
        stmt = stmt.where(Application.county_code == actor.county_code)
    elif actor.role != "platform_admin":
        return None
    if status:
        if status not in STATUS_LABELS:
            raise ValidationFailed("未知的申请状态。", code="status_invalid", field="status")
        stmt = stmt.where(Application.status == status)
    if county_code:
        stmt = stmt.where(Application.county_code == county_code)
    if like:
        stmt = stmt.where(or_(Provider.name.ilike(like, escape="\\"), Provider.uscc.ilike(like, escape="\\")))
    return stmt.order_by(Application.updated_at.desc(), Application.id.desc())


def list_for(
    session: Session, actor: Actor, *, status: str | None = None, county_code: str | None = None
) -> list[tuple[Application, Provider]]:
    stmt = visible_stmt(actor, status=status, county_code=county_code)
    return [] if stmt is None else [(a, p) for a, p in session.execute(stmt.limit(500))]


def summary(app: Application, provider: Provider, county: Region | None = None) -> dict[str, Any]:
    return {
        "id": app.id, "provider_id": app.provider_id, "provider_name": provider.name, "uscc": provider.uscc,
        "county_code": app.county_code, "county_name": county.name if county else None, "kind": app.kind,
        "status": app.status, "status_label": STATUS_LABELS[app.status], "categories": app.categories,
        "notice_start": app.notice_start.isoformat() if app.notice_start else None,
        "notice_end": app.notice_end.isoformat() if app.notice_end else None,
        "updated_at": app.updated_at.isoformat(),
    }


def detail(session: Session, actor: Actor, app: Application) -> dict[str, Any]:
    provider = session.get(Provider, app.provider_id)
    assert provider is not None
    out = summary(app, provider, session.get(Region, app.county_code))
    out |= {
        "statement": app.statement, "courses": app.proposed_courses, "return_message": app.return_message,
        "decision_reason": app.decision_reason,
        "decided_at": app.decided_at.isoformat() if app.decided_at else None,
        "submitted_at": app.submitted_at.isoformat() if app.submitted_at else None,
        "signoffs": [{"department": s.department, "agreed": s.agreed, "comment": s.comment}
                     for s in review.signoffs(session, app)],
    }
    if actor.role in ("county_staff", "platform_admin", "department"):
        revs = review.reviews(session, app)
        show_internal = actor.role == "platform_admin" or actor.can_review
        out["reviews"] = [
            {"reviewer_id": r.reviewer_id, "scores": r.scores, "total": r.total, "comment": r.comment}
            | ({"internal_note": r.internal_note} if show_internal else {})
            for r in revs
        ]
        avg = review.average(revs)
        out["average_score"] = round(avg, 1) if avg is not None else None
        out["objections"] = [
            {"id": o.id, "name": o.name, "contact": o.contact, "content": o.content, "evidence": o.evidence,
             "filed_at": o.filed_at.isoformat(), "answer": o.answer, "upheld": o.upheld, "spam": o.spam}
            | ({"ip": o.ip} if show_internal else {})
            for o in notice.objections(session, app)
        ]
        if show_internal:
            out["objection_floods"] = notice.floods(notice.objections(session, app))
    return out
