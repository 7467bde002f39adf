"""The county's outcome-reporting settings, refused where the county has not enabled the plugin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from kehou.errors import PermissionDenied
from kehou.platform.context import Context
from kehou.platform.policy import services as policy_settings
from kehou.plugins.outcome_reporting.policy import PLUGIN


def settings(ctx: Context, session: Session, county_code: str) -> Mapping[str, Any]:
    values = policy_settings.resolve_all(session, ctx.registry, county_code)
    if PLUGIN not in (values.get("plugins.enabled") or []):
        raise PermissionDenied("本区县未启用课后服务成效评价功能。", code="outcome_reporting_disabled")
    return values
