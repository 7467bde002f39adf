"""County policy as data: typed settings resolved by division-code prefix.

A value stored for scope ``330106`` (county) wins over ``3301`` (city), ``33``
(province) and ``""`` (platform); without any, the spec's default applies.
Each value has an effective date, so a past date is judged by the rules then
in force. Every change is audited with old and new values.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.counties.models import Region
from kehou.platform.policy import schema
from kehou.platform.policy.models import SettingValue
from kehou.pluginapi import SettingSpec
from kehou.timeutil import clock, utcnow


class SettingsRegistry:
    def __init__(self, specs: list[SettingSpec]) -> None:
        #: (county, day) -> (monotonic expiry, values): the cache of :func:`resolve_recent`
        self.recent: dict[tuple[str, dt.date], tuple[float, Mapping[str, Any]]] = {}
        self.specs: dict[str, SettingSpec] = {}
        for spec in specs:
            if spec.key in self.specs:
                raise ValueError(f"setting {spec.key!r} declared twice")
            self.specs[spec.key] = spec

    def spec(self, key: str) -> SettingSpec:
        try:
            return self.specs[key]
        except KeyError:
            raise NotFound(f"没有名为 {key} 的设置项。", code="setting_unknown", field="key") from None


def scopes_for(county_code: str) -> list[str]:
    return [county_code, county_code[:4], county_code[:2], ""]


def get(session: Session, registry: SettingsRegistry, county_code: str, key: str, on: dt.date | None = None) -> Any:
    spec = registry.spec(key)
    on = on or clock.today_local()
    scopes = scopes_for(county_code)
    rows = session.scalars(
        select(SettingValue)
        .where(SettingValue.key == key, SettingValue.scope.in_(scopes), SettingValue.effective_from <= on)
        .order_by(SettingValue.effective_from.desc(), SettingValue.id.desc())
    ).all()
    for scope in scopes:
        for row in rows:
            if row.scope == scope:
                return row.value
    return spec.default


RECENT_SECONDS = 2.0


def resolve_recent(session: Session, registry: SettingsRegistry, county_code: str) -> Mapping[str, Any]:
    """:func:`resolve_all` for today, remembered for :data:`RECENT_SECONDS` in this process (hot paths such as
    enrolment). A change made here is seen at once; one made by another process within two seconds."""
    key = (county_code, clock.today_local())
    hit = registry.recent.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    values = MappingProxyType(resolve_all(session, registry, county_code, key[1]))
    if len(registry.recent) > 1000:
        registry.recent.clear()
    registry.recent[key] = (now + RECENT_SECONDS, values)
    return values


def resolve_all(session: Session, registry: SettingsRegistry, county_code: str, on: dt.date | None = None) -> dict[str, Any]:
    """Every setting's value for the county on ``on``, in one query (what policy hooks receive)."""
    on = on or clock.today_local()
    scopes = scopes_for(county_code)
    rank = {scope: i for i, scope in enumerate(scopes)}
    best: dict[str, tuple[int, int, int, Any]] = {}
    for row in session.scalars(select(SettingValue).where(SettingValue.scope.in_(scopes), SettingValue.effective_from <= on)):
        key = (rank[row.scope], -row.effective_from.toordinal(), -row.id)
        if row.key not in best or key < best[row.key][:3]:
            best[row.key] = (*key, row.value)
    return {k: best[k][3] if k in best else spec.default for k, spec in registry.specs.items()}


def coerce(spec: SettingSpec, value: Any, others: Mapping[str, Any] | None = None) -> Any:
    """``value`` typed, checked against the spec's shape and its ``check``; ``others``: the settings in force for the
    same scope and date (the choices of some settings depend on them)."""
    typed = schema.validate(spec, _coerce_type(spec, value), others)
    problem = spec.check(typed) if spec.check is not None else None
    if problem:
        raise ValidationFailed(f"「{spec.label}」{problem}", code="setting_invalid", field="value")
    return typed


def _coerce_type(spec: SettingSpec, value: Any) -> Any:
    if spec.type is bool:
        if isinstance(value, bool):
            return value
    elif spec.type is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
            return int(value.strip())
    elif spec.type is list:
        if isinstance(value, list):
            return value
    elif spec.type is dict:
        if isinstance(value, dict):
            return value
    elif spec.type is str:
        if isinstance(value, str):
            if spec.choices and value not in spec.choices:
                allowed = spec.choices.values() if isinstance(spec.choices, Mapping) else spec.choices
                raise ValidationFailed(f"「{spec.label}」只能取：{'、'.join(allowed)}。", code="setting_choice",
                                       field="value")
            return value
    raise ValidationFailed(f"「{spec.label}」的值类型不正确。", code="setting_type", field="value")


RETROACTIVE = "生效日期 {date} 早于今天，属追溯修改（已发生的事项将按新值重新判断）：请另填追溯理由。"


def require_may_change(actor: Actor, scope: str) -> None:
    """Only the platform admin, or county staff with the decide right for their own county, change settings."""
    if actor.role == "county_staff":
        actor.require_county(scope)
        if not actor.can_decide:
            raise PermissionDenied("只有有决定权限的教育局工作人员可以修改区县政策。")
    elif actor.role != "platform_admin":
        raise PermissionDenied("您的角色无权修改区县政策。")


def put(
    session: Session,
    registry: SettingsRegistry,
    actor: Actor,
    *,
    scope: str,
    key: str,
    value: Any,
    effective_from: dt.date,
    reason: str,
    retroactive_reason: str = "",
) -> SettingValue:
    """Store a value for a scope from a date. County staff may set only their own county, and only with the
    decide right. A date before today rejudges what already happened, so it needs its own reason."""
    spec = registry.spec(key)
    require_may_change(actor, scope)
    if scope and (len(scope) not in (2, 4, 6) or not scope.isdecimal()):
        raise ValidationFailed("范围应为2、4或6位行政区划代码前缀，或留空表示全平台。", code="setting_scope", field="scope")
    if len(scope) == 6:
        region = session.get(Region, scope)
        if region is None or region.level != "county":
            raise ValidationFailed("6位范围必须是一个区县；省、市请使用2位或4位代码前缀。", code="setting_scope", field="scope")
    if not reason.strip():
        raise ValidationFailed("修改政策需要填写理由。", code="reason_required", field="reason")
    typed = coerce(spec, value, resolve_all(session, registry, scope.ljust(6, "0"), effective_from))
    if effective_from < clock.today_local() and not retroactive_reason.strip():
        raise ValidationFailed(RETROACTIVE.format(date=effective_from.isoformat()), code="retroactive_reason_required",
                               field="retroactive_reason")
    in_force = get(session, registry, scope.ljust(6, "0"), key, effective_from)
    row = session.scalars(
        select(SettingValue).where(
            SettingValue.scope == scope, SettingValue.key == key, SettingValue.effective_from == effective_from
        )
    ).first()
    if row is None:
        row = SettingValue(scope=scope, key=key, effective_from=effective_from, created_at=utcnow(), created_by=actor.user_id)
        session.add(row)
    old_value = in_force
    row.value = typed
    row.created_by = actor.user_id
    audit.record(
        session,
        actor,
        county_code=scope if len(scope) == 6 else "",
        action="setting.change",
        entity_type="setting",
        entity_id=f"{scope or '*'}:{key}",
        reason=reason,
        old={"value": old_value},
        new={"value": typed, "effective_from": effective_from}
        | ({"retroactive_reason": retroactive_reason.strip()} if effective_from < clock.today_local() else {}),
    )
    session.commit()
    registry.recent.clear()
    return row
