"""Organisation types: the platform's built-in list (:data:`ORG_TYPE_LABELS`) and the types a county, city or
province adds for itself (the setting ``admission.extra_org_types``).

A provider picks its type when it registers, from the built-in types and every type any region has added; a
county's own settings (which types it bars, admits, reviews closely, which documents each must hold) may name
the built-in types and its own added ones, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.platform.policy.models import SettingValue
from kehou.platform.providers.models import ORG_TYPE_LABELS
from kehou.timeutil import clock

EXTRA = "admission.extra_org_types"


def _extras(value: Any) -> dict[str, str]:
    items = value if isinstance(value, list) else []
    return {str(e["code"]): str(e["label"]) for e in items if isinstance(e, dict) and e.get("code") and e.get("label")}


def in_county(settings: Mapping[str, Any]) -> dict[str, str]:
    """The types a county's settings may name: built-in and added (``settings``: the county's values by key)."""
    return {**ORG_TYPE_LABELS, **_extras(settings.get(EXTRA))}


def anywhere(session: Session) -> dict[str, str]:
    """The types a provider may register as: built-in, and each region's added types in force today."""
    latest: dict[str, tuple[Any, Any]] = {}
    rows = session.scalars(select(SettingValue).where(SettingValue.key == EXTRA,
                                                      SettingValue.effective_from <= clock.today_local())
                           .order_by(SettingValue.effective_from, SettingValue.id))
    for row in rows:
        latest[row.scope] = row.value
    out = dict(ORG_TYPE_LABELS)
    for value in latest.values():
        out.update({k: v for k, v in _extras(value).items() if k not in ORG_TYPE_LABELS})
    return out


def label(code: str, known: Mapping[str, str] = ORG_TYPE_LABELS) -> str:
    return known.get(code, code)
