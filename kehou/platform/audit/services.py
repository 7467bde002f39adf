"""The audit log: append in the caller's transaction, verify the chains.

Entries are hash-chained per county. ``record`` locks the county's chain head
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite write transactions are
``BEGIN IMMEDIATE``) so concurrent writers append in a single order.
Rows are never updated or deleted by the application: guards on the ORM session
and on Core statements refuse it (:class:`AuditTamperingRefused`), and database
triggers (see the migrations) refuse raw SQL below them. A chain head is never
deleted and only moves forward.

``verify`` finds what a DBA did with the triggers off: edited, deleted,
inserted and reordered entries. The hash is unkeyed, so someone who rewrites
a chain from the tampered entry to its end *and* its head consistently is not
detectable from the database alone; export the heads elsewhere to anchor them.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.engine import Engine
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
    # populate_existing: a head kept in the identity map from an earlier
    # transaction is stale; take the values read under the lock.
    stmt = (select(AuditHead).where(AuditHead.county_code == county_code).with_for_update()
            .execution_options(populate_existing=True))
    head = session.scalars(stmt).first()
    if head is not None:
        return head
    try:
        with session.begin_nested():
            session.add(AuditHead(county_code=county_code, last_seq=0, last_hash=GENESIS))
    except IntegrityError:
        pass  # created concurrently; lock theirs
    return session.scalars(stmt).one()


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
    seq: int | None  # the entry concerned; for "deleted", the first missing seq
    entry_id: int | None  # None when the entry is gone
    detail: str

    def __str__(self) -> str:
        chain = self.county_code or "platform"
        return f"[{chain}] {self.kind} seq={self.seq} id={self.entry_id}: {self.detail}"


def verify(session: Session) -> tuple[int, list[Problem]]:
    """Recompute every chain. Returns (entries checked, problems found).

    Heads and entries are read from one snapshot: pass a session that has not
    begun its transaction yet (on PostgreSQL it is then opened REPEATABLE READ),
    so entries appended while verifying are not mistaken for tampering.
    """
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    problems: list[Problem] = []
    heads = {h.county_code: h for h in session.scalars(select(AuditHead))}
    counties = set(heads) | set(session.scalars(select(AuditEntry.county_code).distinct()))
    checked = 0
    for county in sorted(counties):
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.county_code == county).order_by(AuditEntry.id)
        ).all()
        checked += len(rows)
        problems.extend(_verify_chain(county, list(rows), heads.get(county)))
    return checked, problems


def _missing(first: int, last: int) -> str:
    return f"序号{first}的记录缺失" if first == last else f"序号{first}至{last}的记录缺失"


def _verify_chain(county: str, rows: list[AuditEntry], head: AuditHead | None) -> list[Problem]:
    """Check one county's chain; ``rows`` in insertion (id) order.

    * edited — an entry's content no longer matches its hash, or its hash was
      recomputed (the next entry, or the chain head, still holds the old one);
    * deleted — seqs missing in the middle, at the start, or before the head;
    * inserted — an entry sharing a seq with the genuine one, or past the head;
    * reordered — entries whose insertion (id) order disagrees with their seqs
      (contents moved between rows);
    * head — the chain head is missing.
    """
    out: list[Problem] = []
    by_seq: dict[int, list[AuditEntry]] = {}
    for row in rows:
        by_seq.setdefault(row.seq, []).append(row)
    seqs = sorted(by_seq)

    # one genuine entry per seq: the one its successor (or the head) links to
    inserted: set[int] = set()
    genuine: list[AuditEntry] = []
    for i, seq in enumerate(seqs):
        group = by_seq[seq]
        if seq < 1:
            inserted.update(r.id for r in group)
            out.extend(Problem(county, "inserted", r.seq, r.id, f"序号{r.seq}无效（记录被插入）") for r in group)
            continue
        if len(group) > 1:
            if i + 1 < len(seqs) and seqs[i + 1] == seq + 1:
                successors = {r.prev_hash for r in by_seq[seq + 1]}
            else:
                successors = {head.last_hash} if head is not None and head.last_seq == seq else set()
            predecessor = genuine[-1].hash if genuine and genuine[-1].seq == seq - 1 else (GENESIS if seq == 1 else None)
            group = sorted(group, key=lambda r: (
                r.hash not in successors, r.prev_hash != predecessor, entry_hash(r) != r.hash, r.id))
            for extra in group[1:]:
                inserted.add(extra.id)
                out.append(Problem(county, "inserted", seq, extra.id, f"序号{seq}重复（记录被插入）"))
        genuine.append(group[0])

    mismatched = {row.id for row in genuine if entry_hash(row) != row.hash}
    out.extend(Problem(county, "edited", r.seq, r.id, "内容与哈希不符（记录被修改）") for r in genuine if r.id in mismatched)
    edited = set(mismatched)

    prev: AuditEntry | None = None
    for row in genuine:
        prev_seq = prev.seq if prev is not None else 0
        if row.seq > prev_seq + 1:
            out.append(Problem(county, "deleted", prev_seq + 1, None, _missing(prev_seq + 1, row.seq - 1)))
        elif prev is None:
            if row.prev_hash != GENESIS and row.id not in edited:
                out.append(Problem(county, "edited", row.seq, row.id, "首条记录的前一哈希不是起点值（记录被替换）"))
        elif row.prev_hash != prev.hash:
            if prev.id not in edited:  # the usual cause: prev rewritten and its hash recomputed
                edited.add(prev.id)
                out.append(Problem(county, "edited", prev.seq, prev.id,
                                   f"哈希与序号{row.seq}记录所存的前一哈希不符（记录被改写并重算了哈希，或序号{row.seq}被替换）"))
            elif prev.id in mismatched and row.id not in edited:
                # prev was edited without touching its stored hash, so the link is this row's doing
                edited.add(row.id)
                out.append(Problem(county, "edited", row.seq, row.id,
                                   f"前一哈希与序号{prev.seq}记录的哈希不符（两条记录之一被改写）"))
        prev = row

    last_seq = prev.seq if prev is not None else 0
    if head is None:
        if rows:
            out.append(Problem(county, "head", None, None, "链头缺失，无法核对末尾的记录是否被删除"))
    elif head.last_seq > last_seq:
        out.append(Problem(county, "deleted", last_seq + 1, None,
                           f"{_missing(last_seq + 1, head.last_seq)}（链头为序号{head.last_seq}）"))
    else:
        beyond = [r for r in genuine if r.seq > head.last_seq]
        for row in beyond:
            inserted.add(row.id)
            out.append(Problem(county, "inserted", row.seq, row.id, f"序号超出链头（链头为序号{head.last_seq}，记录被插入）"))
        at_head = next((r for r in genuine if r.seq == head.last_seq), None)
        if at_head is not None and at_head.hash != head.last_hash and at_head.id not in edited:
            out.append(Problem(county, "edited", at_head.seq, at_head.id,
                               "哈希与链头所存的不符（记录被改写并重算了哈希）"))

    # insertion order: genuine entries, taken by id, must come in seq order
    kept = [r for r in genuine if r.id not in inserted]
    id_order = sorted(kept, key=lambda r: r.id)
    for pos, (row, expected) in enumerate(zip(id_order, kept, strict=True)):
        if row is not expected:
            after = f"写在序号{id_order[pos - 1].seq}之后" if pos else "写在最前"
            out.append(Problem(county, "reordered", row.seq, row.id,
                               f"写入顺序与序号不符：{after}，应为序号{expected.seq}所在的位置（记录被调换）"))
    return sorted(out, key=lambda p: (p.seq if p.seq is not None else -1, p.kind, p.entry_id or 0))


# --- guards: the application never changes or removes audit rows ---------------------

_AUDIT_TABLES = frozenset({AuditEntry.__tablename__, AuditHead.__tablename__})


def _head_moved_back(head: AuditHead) -> bool:
    """Only :func:`record` changes a head, and only forward (seq up, new hash)."""
    state = inspect(head)
    if state.attrs.county_code.history.has_changes():
        return True
    seq = state.attrs.last_seq.history
    if not seq.has_changes():
        return state.attrs.last_hash.history.has_changes()
    old = seq.deleted[0] if seq.deleted else None
    return old is None or head.last_seq is None or head.last_seq <= old


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, (AuditEntry, AuditHead)):
            raise AuditTamperingRefused("audit entries are append-only")
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj):
            raise AuditTamperingRefused("audit entries are append-only")
        if isinstance(obj, AuditHead) and session.is_modified(obj) and _head_moved_back(obj):
            raise AuditTamperingRefused("an audit chain head only moves forward")


def _targets_audit(statement: Any) -> str | None:
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    return name if name in _AUDIT_TABLES else None


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete:
        mapped = state.bind_mapper.class_ if state.bind_mapper is not None else None
        if mapped in (AuditEntry, AuditHead) or _targets_audit(state.statement):
            raise AuditTamperingRefused("audit entries are append-only")


@event.listens_for(Engine, "before_execute")
def _refuse_core_audit_changes(_conn: Any, clause: Any, *_args: Any) -> None:
    """Below the ORM: Core UPDATE/DELETE constructs (also ``bulk_update_mappings``).

    UPDATE of ``audit_head`` is how :func:`record` moves a head (checked at
    flush); raw SQL text is left to the database triggers.
    """
    if not getattr(clause, "is_dml", False):
        return
    table = _targets_audit(clause)
    if table == AuditEntry.__tablename__ and (clause.is_update or clause.is_delete):
        raise AuditTamperingRefused("audit entries are append-only")
    if table == AuditHead.__tablename__ and clause.is_delete:
        raise AuditTamperingRefused("an audit chain head is never deleted")
