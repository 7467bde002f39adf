"""Who sees an agreement, who acts for which party, and the allowed status transitions.

Tenancy: county staff see their county's agreements, a school administrator their school's, a
provider's users their provider's, a parent those of their own children. Nobody else sees one,
and an agreement someone may not see is "not found" (its existence is not leaked).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound
from kehou.platform.actor import Actor
from kehou.platform.agreements.models import STATUS_LABELS, Agreement
from kehou.platform.students.models import Guardian

#: action -> {from status: to status}; one place for every transition
TRANSITIONS: dict[str, dict[str, str]] = {
    "complete": {"draft": "signed"},  # the last party signed
    "rerender": {"draft": "draft", "signed": "draft"},  # the text changed: signatures voided
    "terminate": {"draft": "terminated", "signed": "terminated"},
}


def move(agreement: Agreement, action: str) -> str:
    """Apply ``action`` to the agreement's status; returns the old status."""
    old = agreement.status
    target = TRANSITIONS[action].get(old)
    if target is None:
        if old == "terminated":
            raise Conflict("协议已终止。", code="agreement_terminated")
        raise Conflict(f"协议当前状态为“{STATUS_LABELS.get(old, old)}”，不能执行此操作。", code="agreement_state")
    agreement.status = target
    return old


def not_found() -> NotFound:
    return NotFound("协议不存在。", code="agreement_not_found")


def scope(actor: Actor) -> ColumnElement[bool] | None:
    """The condition selecting the agreements ``actor`` may see; None: none at all."""
    if not actor.authenticated:
        return None
    if actor.role == "county_staff" and actor.county_code:
        return Agreement.county_code == actor.county_code
    if actor.role == "school_admin" and actor.school_id is not None:
        return Agreement.school_id == actor.school_id
    if actor.role == "provider" and actor.provider_id is not None:
        return Agreement.provider_id == actor.provider_id
    if actor.role == "parent":
        children = select(Guardian.student_id).where(Guardian.user_id == actor.user_id)
        return Agreement.student_id.in_(children)
    return None


def visible_stmt(actor: Actor) -> Select[Agreement]:
    actor.require()
    cond = scope(actor)
    stmt = select(Agreement)
    return stmt.where(cond) if cond is not None else stmt.where(Agreement.id.is_(None))


def get(session: Session, actor: Actor, agreement_id: int, *, lock: bool = False) -> Agreement:
    """The agreement, if ``actor`` may see it (locked FOR UPDATE when asked)."""
    stmt = visible_stmt(actor).where(Agreement.id == agreement_id)
    if lock:
        stmt = stmt.with_for_update(of=Agreement).execution_options(populate_existing=True)
    row = session.scalars(stmt).first()
    if row is None:
        raise not_found()
    return row


def party_of(session: Session, actor: Actor, agreement: Agreement) -> dict[str, Any] | None:
    """The party ``actor`` acts for in this agreement, if any."""
    for party in agreement.parties:
        role, ref = party["role"], party["ref"]
        if role == "county" and actor.role == "county_staff" and actor.county_code == ref:
            return party
        if role == "school" and actor.role == "school_admin" and str(actor.school_id) == ref:
            return party
        if role == "provider" and actor.role == "provider" and str(actor.provider_id) == ref:
            return party
        if role == "parent" and actor.role == "parent" and ref.isdecimal() and session.scalar(
                select(Guardian.id).where(Guardian.student_id == int(ref), Guardian.user_id == actor.user_id)) is not None:
            return party
    return None
