"""When each setting took effect, and the changes waiting for their effective date (who made them and why,
from the audit log)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.platform.audit.models import AuditEntry
from kehou.platform.policy.models import SettingValue
from kehou.platform.policy.services import SettingsRegistry, get, scopes_for


@dataclass(frozen=True)
class InForce:
    value: Any
    since: dt.date | None  # None: the default, never set
    scope: str | None


@dataclass(frozen=True)
class Scheduled:
    key: str
    scope: str
    effective_from: dt.date
    old: Any
    new: Any
    who: str
    reason: str


def in_force(session: Session, registry: SettingsRegistry, county_code: str, on: dt.date) -> dict[str, InForce]:
    """Each setting's value on ``on`` with the date it took effect and the scope that set it (one query)."""
    scopes = scopes_for(county_code)
    rank = {scope: i for i, scope in enumerate(scopes)}
    best: dict[str, tuple[tuple[int, int, int], SettingValue]] = {}
    for row in session.scalars(select(SettingValue).where(SettingValue.scope.in_(scopes), SettingValue.effective_from <= on)):
        order = (rank[row.scope], -row.effective_from.toordinal(), -row.id)
        if row.key not in best or order < best[row.key][0]:
            best[row.key] = (order, row)
    out = {}
    for key, spec in registry.specs.items():
        hit = best.get(key)
        out[key] = InForce(hit[1].value, hit[1].effective_from, hit[1].scope) if hit else InForce(spec.default, None, None)
    return out


def upcoming(session: Session, registry: SettingsRegistry, county_code: str, today: dt.date) -> list[Scheduled]:
    """Values set for this county (or a region containing it) from a date after ``today``, soonest first, each with
    the value in force the day before, and the person and reason recorded in the audit log."""
    rows = session.scalars(
        select(SettingValue)
        .where(SettingValue.scope.in_(scopes_for(county_code)), SettingValue.effective_from > today)
        .order_by(SettingValue.effective_from, SettingValue.id)
    ).all()
    rows = [r for r in rows if r.key in registry.specs]
    if not rows:
        return []
    entity_ids = {f"{r.scope or '*'}:{r.key}" for r in rows}
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "setting.change", AuditEntry.entity_type == "setting",
               AuditEntry.entity_id.in_(entity_ids))
        .order_by(AuditEntry.id.desc())
    ).all()
    out = []
    for row in rows:
        entry = next((e for e in entries if e.entity_id == f"{row.scope or '*'}:{row.key}"
                      and (e.new_values or {}).get("effective_from") == row.effective_from.isoformat()), None)
        old = get(session, registry, county_code, row.key, row.effective_from - dt.timedelta(days=1))
        out.append(Scheduled(key=row.key, scope=row.scope, effective_from=row.effective_from, old=old, new=row.value,
                             who=entry.actor_name if entry else "", reason=entry.reason if entry else ""))
    return out
