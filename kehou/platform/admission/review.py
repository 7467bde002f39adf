"""Expert review (scores against the county's criteria) and joint sign-off."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, PermissionDenied, ValidationFailed
from kehou.platform.accounts.models import DEPARTMENTS
from kehou.platform.actor import Actor
from kehou.platform.admission import notice
from kehou.platform.admission.models import Application, Review, Signoff
from kehou.platform.admission.models import AppStatus as S
from kehou.platform.admission.services import require_reviewer, visible
from kehou.platform.admission.workflow import transition
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.policy import services as policy
from kehou.timeutil import utcnow


def criteria(ctx: Context, session: Session, county_code: str) -> list[dict[str, Any]]:
    return list(policy.get(session, ctx.registry, county_code, "admission.review_criteria"))


def score(
    ctx: Context, session: Session, actor: Actor, application_id: int, *, scores: dict[str, Any], comment: str = "",
    internal_note: str = "",
) -> Review:
    """Record (or revise) this reviewer's scores while the application is in expert review."""
    app = visible(session, actor, application_id, lock=True)
    require_reviewer(actor, app)
    if app.status != S.expert_review:
        raise Conflict("只有专家评审阶段可以评分。", code="not_in_review")
    clean: dict[str, int] = {}
    for crit in criteria(ctx, session, app.county_code):
        raw = scores.get(crit["key"])
        if raw is None or raw == "":
            raise ValidationFailed(f"请为「{crit['label']}」评分。", code="score_missing", field=f"scores.{crit['key']}")
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValidationFailed(f"「{crit['label']}」的分数须为整数。", code="score_invalid",
                                   field=f"scores.{crit['key']}") from None
        if not 0 <= value <= int(crit["max"]):
            raise ValidationFailed(
                f"「{crit['label']}」的分数须在0到{crit['max']}之间。", code="score_out_of_range", field=f"scores.{crit['key']}"
            )
        clean[crit["key"]] = value
    extra = set(scores) - set(clean)
    if extra:
        raise ValidationFailed(f"未知的评审指标：{'、'.join(sorted(extra))}。", code="score_unknown_criterion", field="scores")
    review = session.scalars(
        select(Review).where(Review.application_id == app.id, Review.reviewer_id == actor.user_id)
    ).first()
    old = None if review is None else {"scores": review.scores, "total": review.total}
    if review is None:
        review = Review(application_id=app.id, reviewer_id=actor.user_id, created_at=utcnow(), scores={}, total=0)
        session.add(review)
    review.scores, review.total = clean, sum(clean.values())
    review.comment, review.internal_note = (comment or "").strip(), (internal_note or "").strip()
    session.flush()
    audit.record(
        session, actor, county_code=app.county_code, action="admission.score", entity_type="application",
        entity_id=app.id, old=old, new={"scores": clean, "total": review.total},
    )
    session.commit()
    return review


def reviews(session: Session, app: Application) -> list[Review]:
    return list(session.scalars(select(Review).where(Review.application_id == app.id).order_by(Review.id)))


def average(revs: list[Review]) -> float | None:
    return sum(r.total for r in revs) / len(revs) if revs else None


def finish_review(ctx: Context, session: Session, actor: Actor, application_id: int, *, note: str = "") -> Application:
    app = visible(session, actor, application_id, lock=True)
    require_reviewer(actor, app)
    revs = reviews(session, app)
    needed = policy.get(session, ctx.registry, app.county_code, "admission.min_reviewers")
    if len(revs) < needed:
        raise Conflict(f"至少需要{needed}位专家评分，目前{len(revs)}位。", code="not_enough_reviews")
    avg = average(revs) or 0.0
    pass_score = policy.get(session, ctx.registry, app.county_code, "admission.pass_score")
    departments = policy.get(session, ctx.registry, app.county_code, "admission.joint_departments")
    extra = {"average_score": f"{avg:.1f}", "pass_score": pass_score}
    if avg < pass_score:
        transition(session, app, "finish_review", actor, to=S.awaiting_decision, reason=note or "评审未达合格线", extra=extra)
    elif departments:
        transition(session, app, "finish_review", actor, to=S.joint_signoff, reason=note,
                   extra=extra | {"departments": departments})
    else:
        transition(session, app, "finish_review", actor, to=S.public_notice, reason=note,
                   extra=extra | notice.open_notice(ctx, session, app))
    session.commit()
    return app


def signoff(ctx: Context, session: Session, actor: Actor, application_id: int, *, agreed: bool, comment: str = "") -> Signoff:
    actor.require("department")
    app = visible(session, actor, application_id, lock=True)
    required = policy.get(session, ctx.registry, app.county_code, "admission.joint_departments")
    if actor.department not in required:
        raise PermissionDenied("本区县不需要您所在部门会签。", code="department_not_required")
    if app.status != S.joint_signoff:
        raise Conflict("该申请不在部门联审阶段。", code="not_in_signoff")
    comment = (comment or "").strip()
    if not agreed and not comment:
        raise ValidationFailed("不同意时请说明理由。", code="comment_required", field="comment")
    if session.scalars(select(Signoff).where(Signoff.application_id == app.id, Signoff.department == actor.department)).first():
        raise Conflict(f"{DEPARTMENTS[actor.department or '']}已会签。", code="already_signed")
    row = Signoff(application_id=app.id, department=actor.department, user_id=actor.user_id, agreed=agreed,
                  comment=comment, created_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, actor, county_code=app.county_code, action="admission.signoff", entity_type="application",
                 entity_id=app.id, reason=comment, new={"department": actor.department, "agreed": agreed})
    signed = {s.department: s.agreed for s in session.scalars(select(Signoff).where(Signoff.application_id == app.id))}
    if all(d in signed for d in required):
        if all(signed[d] for d in required):
            transition(session, app, "complete_signoff", actor, to=S.public_notice, extra=notice.open_notice(ctx, session, app))
        else:
            transition(session, app, "complete_signoff", actor, to=S.awaiting_decision, reason="联审部门不同意")
    session.commit()
    return row


def signoffs(session: Session, app: Application) -> list[Signoff]:
    return list(session.scalars(select(Signoff).where(Signoff.application_id == app.id).order_by(Signoff.id)))
