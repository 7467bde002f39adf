"""HTML: the county's privacy desk (个人信息保护) — the data inventory, who viewed children's records in the last
30 days (by account, with the alerts raised) — for county staff; the platform admin sees the inventory."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import func, select

from kehou.platform.accounts.models import ROLE_LABELS, User
from kehou.platform.audit.models import AuditEntry
from kehou.platform.privacy import inventory
from kehou.platform.privacy.access import WHAT
from kehou.platform.privacy.models import ChildAccess
from kehou.platform.providers.models import Provider
from kehou.timeutil import fmt_local, utcnow
from kehou.web.deps import DB, Who
from kehou.web.pages import render

TEXT = {
    "title": "个人信息保护", "intro": "本平台处理的未成年人及其监护人个人信息清单、儿童信息访问情况与异常访问告警。",
    "inventory": "个人信息清单", "field": "信息项", "column": "存储位置", "purpose": "处理目的", "basis": "处理依据",
    "sensitivity": "类别", "protection": "存储方式", "who": "可查看", "retention": "保存期限",
    "retention_value": "{label}：{years}年（{start}）",
    "access": "近30天儿童信息访问（按账号）", "account": "账号", "role": "角色", "org": "所属机构", "children": "涉及学生数",
    "views": "访问次数", "last": "最近一次", "kinds": "查看内容", "no_access": "近30天没有访问记录。",
    "alerts": "异常访问告警", "alert_at": "时间", "alert_text": "内容", "no_alerts": "近30天没有告警。",
}
DAYS = 30


class PrivacyPages(Controller):
    path = "/desk/privacy"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        actor.require("county_staff", "platform_admin")
        rows: list[dict[str, Any]] = []
        alerts: list[AuditEntry] = []
        if actor.role == "county_staff":
            since = utcnow() - dt.timedelta(days=DAYS)
            mine = (ChildAccess.county_code == actor.county_code, ChildAccess.at >= since)
            stats = db.execute(select(ChildAccess.actor_id, ChildAccess.actor_role, ChildAccess.provider_id,
                                      func.count(func.distinct(ChildAccess.student_id)), func.count(ChildAccess.id),
                                      func.max(ChildAccess.at))
                               .where(*mine).group_by(ChildAccess.actor_id, ChildAccess.actor_role, ChildAccess.provider_id)
                               .order_by(func.count(func.distinct(ChildAccess.student_id)).desc()).limit(100)).all()
            users = [r[0] for r in stats] or [0]
            names: dict[int | None, str] = dict(db.execute(select(User.id, User.display_name).where(User.id.in_(users))).all())
            providers = [r[2] for r in stats if r[2]] or [0]
            orgs: dict[int | None, str] = dict(db.execute(select(Provider.id, Provider.name)
                                                          .where(Provider.id.in_(providers))).all())
            kinds: dict[int | None, list[str]] = {}
            for uid, what in db.execute(select(ChildAccess.actor_id, ChildAccess.what).where(*mine).distinct()):
                kinds.setdefault(uid, []).append(WHAT.get(what, what))
            rows = [{"name": names.get(uid, str(uid)), "role": ROLE_LABELS.get(role, role), "org": orgs.get(pid, ""),
                     "children": children, "views": views, "last": fmt_local(last),
                     "kinds": "、".join(sorted(kinds.get(uid, [])))} for uid, role, pid, children, views, last in stats]
            alerts = list(db.scalars(select(AuditEntry).where(AuditEntry.county_code == actor.county_code,
                                                              AuditEntry.action == "privacy.view_alert", AuditEntry.at >= since)
                                     .order_by(AuditEntry.at.desc()).limit(50)))
        return render(request, "privacy.html", actor, TEXT, groups=inventory.grouped(), I=inventory, rows=rows,
                      alerts=[(fmt_local(a.at), a.reason) for a in alerts])
