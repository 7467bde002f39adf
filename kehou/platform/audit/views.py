"""HTML: a county's audit log for its decision-makers, newest first, in words, with filters and an Excel export."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.response import Template
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kehou.errors import PermissionDenied, ValidationFailed
from kehou.platform.accounts.models import ROLE_LABELS
from kehou.platform.actor import Actor
from kehou.platform.audit import vocabulary
from kehou.platform.audit.models import AuditEntry
from kehou.timeutil import SHANGHAI, fmt_local, utcnow
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import render

TEXT = {"title": "审计日志", "seq": "序号", "at": "时间", "actor": "操作人", "action": "操作", "entity": "对象",
        "reason": "理由", "changes": "变更内容", "field": "项目", "old": "原值", "new": "新值", "more": "更早的记录",
        "filters": "筛选", "date_from": "起始日期", "date_to": "截止日期", "any_action": "全部操作", "actor_in": "操作人姓名",
        "entity_type": "对象类型", "any_entity": "全部对象", "entity_id": "对象编号", "apply": "筛选", "reset": "清除筛选",
        "export": "导出 Excel", "empty": "没有符合条件的记录。", "count": "本页 {n} 条", "newest": "回到最新",
        "ip": "来源地址", "sheet": "审计日志", "no_changes": "—",
        "bad_date": "「{label}」须为 YYYY-MM-DD 格式的日期。"}
PAGE = 50
EXPORT_MAX = 10_000


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    action: str = ""
    actor: str = ""
    entity_type: str = ""
    entity_id: str = ""

    @classmethod
    def parse(cls, q: Any) -> Filters:
        def day(name: str, label: str) -> dt.date | None:
            raw = (q.get(name) or "").strip()
            if not raw:
                return None
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                raise ValidationFailed(TEXT["bad_date"].format(label=label), code="date_invalid", field=name) from None

        return cls(day("date_from", TEXT["date_from"]), day("date_to", TEXT["date_to"]), (q.get("action") or "").strip()[:80],
                   (q.get("actor") or "").strip()[:100], (q.get("entity_type") or "").strip()[:40],
                   (q.get("entity_id") or "").strip()[:40])

    def query(self) -> dict[str, str]:
        pairs = {"date_from": self.date_from.isoformat() if self.date_from else "", "date_to": self.date_to.isoformat()
                 if self.date_to else "", "action": self.action, "actor": self.actor, "entity_type": self.entity_type,
                 "entity_id": self.entity_id}
        return {k: v for k, v in pairs.items() if v}

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        def start(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(), SHANGHAI).astimezone(dt.UTC)

        if self.date_from:
            stmt = stmt.where(AuditEntry.at >= start(self.date_from))
        if self.date_to:
            stmt = stmt.where(AuditEntry.at < start(self.date_to + dt.timedelta(days=1)))
        if self.action:
            stmt = stmt.where(AuditEntry.action == self.action)
        if self.actor:
            stmt = stmt.where(AuditEntry.actor_name.contains(self.actor, autoescape=True))
        if self.entity_type:
            stmt = stmt.where(AuditEntry.entity_type == self.entity_type)
        if self.entity_id:
            stmt = stmt.where(AuditEntry.entity_id == self.entity_id)
        return stmt


def _decider(actor: Actor) -> None:
    actor.require("county_staff")
    if not actor.can_decide:
        raise PermissionDenied("只有有决定权限的人员可以查阅审计日志。", code="audit_read_denied")


def _rows(db: Session, vocab: vocabulary.Vocabulary, entries: list[AuditEntry]) -> list[dict[str, Any]]:
    names = vocab.names(db, [(e.entity_type, e.entity_id) for e in entries])
    out = []
    for e in entries:
        kind = vocab.entity(e.entity_type)
        name = names.get((e.entity_type, e.entity_id))
        out.append({"seq": e.seq, "at": e.at, "actor": e.actor_name, "role": ROLE_LABELS.get(e.actor_role, e.actor_role),
                    "action": vocab.action(e.action), "code": e.action,
                    "entity": f"{kind}「{name}」" if name else f"{kind} #{e.entity_id}",
                    "entity_type": e.entity_type, "entity_id": e.entity_id, "reason": e.reason, "ip": e.ip,
                    "changes": vocab.changes(e.entity_type, e.old_values, e.new_values)})
    return out


class AuditPages(Controller):
    path = "/desk/audit"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, ctx: Ctx, actor: Who) -> Template:
        _decider(actor)
        filters = Filters.parse(request.query_params)
        before = request.query_params.get("before", "")
        stmt = filters.apply(select(AuditEntry).where(AuditEntry.county_code == actor.county_code))
        if before.isdecimal():
            stmt = stmt.where(AuditEntry.seq < int(before))
        entries = list(db.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(PAGE)))
        vocab = vocabulary.of(ctx)
        own = AuditEntry.county_code == actor.county_code
        actions = sorted(db.scalars(select(AuditEntry.action).where(own).distinct()), key=vocab.action)
        kinds = sorted(db.scalars(select(AuditEntry.entity_type).where(own).distinct()), key=vocab.entity)
        query = filters.query()
        more = urlencode(query | {"before": str(entries[-1].seq)}) if len(entries) == PAGE else ""
        return render(request, "audit.html", actor, TEXT, rows=_rows(db, vocab, entries), filters=filters,
                      actions=[(a, vocab.action(a)) for a in actions], kinds=[(k, vocab.entity(k)) for k in kinds],
                      more=more, export=urlencode(query), paged=bool(before))

    @get("/export.xlsx", sync_to_thread=True)
    def export(self, request: Request[Any, Any, Any], db: DB, ctx: Ctx, actor: Who) -> Response[bytes]:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font

        _decider(actor)
        filters = Filters.parse(request.query_params)
        stmt = filters.apply(select(AuditEntry).where(AuditEntry.county_code == actor.county_code))
        entries = list(db.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(EXPORT_MAX)))
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = TEXT["sheet"]
        sheet.append([TEXT[k] for k in ("seq", "at", "actor", "action", "entity", "reason", "changes", "ip")])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for r in _rows(db, vocabulary.of(ctx), entries):
            changes = "\n".join(f"{f}：{old or '—'} → {new or '—'}" for f, old, new in r["changes"])
            sheet.append([r["seq"], fmt_local(r["at"]), f"{r['actor']}（{r['role']}）",
                          r["action"], r["entity"], r["reason"], changes, r["ip"]])
        for col, width in zip("ABCDEFGH", (8, 20, 22, 20, 30, 40, 60, 16), strict=True):
            sheet.column_dimensions[col].width = width
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        buf = io.BytesIO()
        book.save(buf)
        stamp = fmt_local(utcnow()).replace(" ", "-").replace(":", "")
        return Response(buf.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="audit-{actor.county_code}-{stamp}.xlsx"'})
