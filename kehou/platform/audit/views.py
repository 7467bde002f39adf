"""HTML: a county's audit log for its decision-makers, newest first."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import select

from kehou.errors import PermissionDenied
from kehou.platform.audit.models import AuditEntry
from kehou.web.deps import DB, Who
from kehou.web.pages import render

TEXT = {"title": "审计日志", "seq": "序号", "at": "时间", "actor": "操作人", "action": "操作", "entity": "对象",
        "reason": "理由", "old": "原值", "new": "新值", "more": "更早的记录"}


class AuditPages(Controller):
    path = "/desk/audit"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        actor.require("county_staff")
        if not actor.can_decide:
            raise PermissionDenied("只有有决定权限的人员可以查阅审计日志。", code="audit_read_denied")
        before = request.query_params.get("before", "")
        stmt = select(AuditEntry).where(AuditEntry.county_code == actor.county_code)
        if before.isdigit():
            stmt = stmt.where(AuditEntry.seq < int(before))
        rows = list(db.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(100)))
        return render(request, "audit.html", actor, TEXT, rows=rows)
