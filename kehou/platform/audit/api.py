"""JSON API: read the audit log (county decision-makers, platform admin)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.params import FromQuery
from sqlalchemy import select

from kehou.errors import PermissionDenied
from kehou.platform.audit.models import AuditEntry
from kehou.web.deps import DB, Who


class AuditApi(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get("/", sync_to_thread=True, summary="Audit entries of a county, newest first")
    def index(self, db: DB, actor: Who, county: FromQuery[str], entity_type: FromQuery[str | None] = None,
              entity_id: FromQuery[str | None] = None, limit: FromQuery[int] = 100) -> list[dict[str, Any]]:
        actor.require("platform_admin", "county_staff")
        actor.require_county(county)
        if actor.role == "county_staff" and not actor.can_decide:
            raise PermissionDenied("只有有决定权限的人员可以查阅审计日志。", code="audit_read_denied")
        stmt = select(AuditEntry).where(AuditEntry.county_code == county)
        if entity_type:
            stmt = stmt.where(AuditEntry.entity_type == entity_type)
        if entity_id:
            stmt = stmt.where(AuditEntry.entity_id == entity_id)
        rows = db.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(max(1, min(limit, 1000))))
        return [
            {"seq": e.seq, "at": e.at.isoformat(), "actor_id": e.actor_id, "actor_name": e.actor_name,
             "actor_role": e.actor_role, "action": e.action, "entity_type": e.entity_type, "entity_id": e.entity_id,
             "reason": e.reason, "old": e.old_values, "new": e.new_values, "hash": e.hash}
            for e in rows
        ]
