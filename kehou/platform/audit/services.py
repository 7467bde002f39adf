"""The audit log: append in the caller's transaction, verify the chains.

Entries are hash-chained per county. ``record`` locks the county's chain head
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite write transactions are
``BEGIN IMMEDIATE``) so concurrent writers append in a single order.
Rows are never updated or deleted by the application: an ORM guard refuses it
and database triggers (see the migrations) refuse it below the ORM.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session

from kehou.platform.actor import Actor
from kehou.platform.audit.models import AuditEntry, AuditHead
from kehou.timeutil import as_utc, utcnow

GENESIS = "0" * 64


class AuditTamperingRefused(RuntimeError):
    pass


def jsonable(value: Any) -> Any:
    """Normalise values so they store and hash identically on every backend."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, dt.datetime):
        return as_utc(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (float, decimal.Decimal)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, bytes):
        return "<bytes>"
    return str(value)


def entry_hash(entry: AuditEntry) -> str:
    payload = {
        "county_code": entry.county_code,
        "seq": entry.seq,
        "at": as_utc(entry.at).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "reason": entry.reason,
        "old": entry.old_values,
        "new": entry.new_values,
        "ip": entry.ip,
        "prev": entry.prev_hash,
    }
    canon = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def _lock_head(session: Session, county_code: str) -> AuditHead:
    stmt = select(AuditHead).where(AuditHead.county_code == county_code).with_for_update()
    head = session.scalars(stmt).first()
    if head is not None:
        return head
    try:
        with session.begin_nested():
            session.add(AuditHead(county_code=county_code, last_seq=0, last_hash=GENESIS))
    except IntegrityError:
        pass  # created concurrently; lock theirs
    return session.scalars(stmt.execution_options(populate_existing=True)).one()


def record(
    session: Session,
    actor: Actor,
    *,
    county_code: str | None,
    action: str,
    entity_type: str,
    entity_id: Any,
    reason: str = "",
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction."""
    chain = county_code or ""
    head = _lock_head(session, chain)
    now = utcnow()
    entry = AuditEntry(
        county_code=chain,
        seq=head.last_seq + 1,
        at=now,
        actor_id=actor.user_id,
        actor_name=actor.display_name or actor.username,
        actor_role=actor.role,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        reason=reason or "",
        old_values=jsonable(old) if old is not None else None,
        new_values=jsonable(new) if new is not None else None,
        ip=actor.ip or "",
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    head.last_seq = entry.seq
    head.last_hash = entry.hash
    session.flush()
    return entry


def changes(obj: Any, fields: list[str], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Old and new values of the fields that ``new`` changes on ``obj``."""
    old_vals, new_vals = {}, {}
    for name in fields:
        if name in new and getattr(obj, name) != new[name]:
            old_vals[name] = getattr(obj, name)
            new_vals[name] = new[name]
    return old_vals, new_vals


@dataclass(frozen=True)
class Problem:
    county_code: str
    kind: str  # edited | deleted | inserted | reordered | head
    seq: int | None
    entry_id: int | None
    detail: str

    def __str__(self) -> str:
        chain = self.county_code or "platform"
        return f"[{chain}] {self.kind} seq={self.seq} id={self.entry_id}: {self.detail}"


def verify(session: Session) -> tuple[int, list[Problem]]:
    """Recompute every chain. Returns (entries checked, problems found)."""
    problems: list[Problem] = []
    heads = {h.county_code: h for h in session.scalars(select(AuditHead))}
    counties = set(heads) | set(session.scalars(select(AuditEntry.county_code).distinct()))
    checked = 0
    for county in sorted(counties):
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.county_code == county).order_by(AuditEntry.id)
        ).all()
        checked += len(rows)
        problems.extend(_verify_chain(county, rows, heads.get(county)))
    return checked, problems


def _verify_chain(county: str, rows: list[AuditEntry], head: AuditHead | None) -> list[Problem]:
    """``rows`` in insertion (id) order."""
    out: list[Problem] = []
    last_seq = 0
    for row in rows:
        if entry_hash(row) != row.hash:
            out.append(Problem(county, "edited", row.seq, row.id, "内容与哈希不符（记录被修改）"))
        if row.seq < last_seq:
            out.append(Problem(county, "reordered", row.seq, row.id, f"序号{row.seq}排在序号{last_seq}之后"))
        last_seq = max(last_seq, row.seq)
    prev_hash, prev_seq = GENESIS, 0
    for row in sorted(rows, key=lambda r: (r.seq, r.id)):
        if row.seq == prev_seq:
            out.append(Problem(county, "inserted", row.seq, row.id, f"序号{row.seq}重复（记录被插入）"))
            continue
        if row.seq > prev_seq + 1:
            out.append(
                Problem(county, "deleted", row.seq, row.id, f"序号{prev_seq + 1}至{row.seq - 1}的记录缺失")
            )
        elif row.prev_hash != prev_hash:
            out.append(Problem(county, "inserted", row.seq, row.id, "前一哈希不符（记录被插入或替换）"))
        prev_hash, prev_seq = row.hash, row.seq
    if head is not None and (head.last_seq != prev_seq or head.last_hash != prev_hash):
        out.append(
            Problem(county, "deleted", head.last_seq, None, f"链头为序号{head.last_seq}，末条记录为序号{prev_seq}")
        )
    return out


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTamperingRefused("audit entries are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ is AuditEntry:
            raise AuditTamperingRefused("audit entries are append-only")
