"""The admission workflow: one allowed-transitions table, one helper that applies it.

Each transition has exactly one service method (see services.py, review.py,
notice.py, decision.py); each calls :func:`transition`, which checks the
table, moves the status and writes the audit entry in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound
from kehou.platform.actor import Actor
from kehou.platform.admission.models import STATUS_LABELS, Application
from kehou.platform.admission.models import AppStatus as S
from kehou.platform.audit import services as audit
from kehou.timeutil import utcnow

OPEN = frozenset({S.draft, S.submitted, S.returned, S.expert_review, S.joint_signoff, S.public_notice, S.awaiting_decision})

#: transition name -> (states it may start from, states it may lead to)
TRANSITIONS: dict[str, tuple[frozenset[S], frozenset[S]]] = {
    "submit": (frozenset({S.draft}), frozenset({S.submitted})),
    "resubmit": (frozenset({S.returned}), frozenset({S.submitted})),
    "return_for_info": (frozenset({S.submitted, S.expert_review}), frozenset({S.returned})),
    "accept_materials": (frozenset({S.submitted}), frozenset({S.expert_review})),
    "finish_review": (frozenset({S.expert_review}), frozenset({S.joint_signoff, S.public_notice, S.awaiting_decision})),
    "complete_signoff": (frozenset({S.joint_signoff}), frozenset({S.public_notice, S.awaiting_decision})),
    "close_notice": (frozenset({S.public_notice}), frozenset({S.awaiting_decision})),
    "approve": (frozenset({S.awaiting_decision}), frozenset({S.approved})),
    "reject": (
        frozenset({S.submitted, S.expert_review, S.joint_signoff, S.awaiting_decision}),
        frozenset({S.rejected}),
    ),
    "withdraw": (OPEN, frozenset({S.withdrawn})),
}


def load(session: Session, application_id: int, *, lock: bool = False) -> Application:
    stmt = select(Application).where(Application.id == application_id)
    if lock:  # read again under the lock: an earlier copy in the session may be stale
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    app = session.scalars(stmt).first()
    if app is None:
        raise NotFound("申请不存在。", code="application_not_found")
    return app


def transition(
    session: Session,
    app: Application,
    name: str,
    actor: Actor,
    *,
    to: S | None = None,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    sources, targets = TRANSITIONS[name]
    if app.status not in sources:
        raise Conflict(
            f"申请当前状态为「{STATUS_LABELS[app.status]}」，不能执行此操作。",
            code="invalid_transition",
            extra={"status": app.status, "transition": name},
        )
    target = to if to is not None else next(iter(targets))
    if target not in targets:
        raise ValueError(f"{name} cannot lead to {target}")
    old = {"status": app.status}
    app.status = target.value
    app.updated_at = utcnow()
    audit.record(
        session,
        actor,
        county_code=app.county_code,
        action=f"admission.{name}",
        entity_type="application",
        entity_id=app.id,
        reason=reason,
        old=old,
        new={"status": target.value, **(extra or {})},
    )
