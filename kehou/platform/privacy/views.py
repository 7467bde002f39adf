"""HTML: the county's privacy desk (个人信息保护) — the data inventory, who viewed children's records in the last
30 days (by account, with the alerts raised) — for county staff; the platform admin sees the inventory."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import func, select

from kehou.errors import NotFound
from kehou.platform.accounts.models import ROLE_LABELS, User
from kehou.platform.audit.models import AuditEntry
from kehou.platform.counties.models import School
from kehou.platform.policy import services as policy
from kehou.platform.privacy import auditpack, consent, exports, inventory, requests
from kehou.platform.privacy.access import WHAT
from kehou.platform.privacy.inventory import CATEGORIES
from kehou.platform.privacy.models import ChildAccess, RetentionAction
from kehou.platform.providers.models import Provider
from kehou.timeutil import clock, fmt_local, utcnow
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, render

TEXT = {
    "title": "个人信息保护", "intro": "本平台处理的未成年人及其监护人个人信息清单、儿童信息访问情况与异常访问告警。",
    "inventory": "个人信息清单", "field": "信息项", "column": "存储位置", "purpose": "处理目的", "basis": "处理依据",
    "sensitivity": "类别", "protection": "存储方式", "who": "可查看", "retention": "保存期限",
    "retention_value": "{label}：{years}（{start}）", "runs": "到期删除与匿名化记录（近20次）",
    "run_at": "时间", "run_category": "类别", "run_method": "处理方式", "run_count": "涉及", "run_note": "说明",
    "run_count_value": "学生{students}名 · 账号{contacts}个 · 其他记录{records}条", "no_runs": "暂无到期处理记录。",
    "runs_hint": "每天凌晨按本区县设置的保存期限自动处理；期限在“政策设置”的“个人信息保护”一栏修改。",
    "access": "近30天儿童信息访问（按账号）", "account": "账号", "role": "角色", "org": "所属机构", "children": "涉及学生数",
    "views": "访问次数", "last": "最近一次", "kinds": "查看内容", "no_access": "近30天没有访问记录。",
    "alerts": "异常访问告警", "alert_at": "时间", "alert_text": "内容", "no_alerts": "近30天没有告警。",
    "exports": "学生信息导出审批", "no_exports": "暂无导出申请。", "number": "编号", "school": "学校", "asked_by": "申请人",
    "asked_at": "申请时间", "export_purpose": "用途", "status": "状态", "approve": "批准", "refuse": "不批准", "note": "审批意见",
    "approved": "已批准第{id}号导出申请。", "refused": "已驳回第{id}号导出申请。",
    "pack": "年度合规审计报告",
    "pack_intro": "处理未成年人个人信息须每年开展合规审计，并于次年1月底前报送。报告按下列年度汇总平台记录。",
    "pack_year": "审计年度", "pack_pdf": "下载 PDF", "pack_xlsx": "下载 Excel",
    "notice": "个人信息保护告知书", "notice_now": "现行版本：{title}（版本{version}；版本0为平台默认文本）",
    "notice_title": "标题", "notice_body": "正文（每段一行）", "notice_publish": "发布新版本",
    "notice_hint": "发布后，家长激活账户时须同意新版本，已激活的家长在“个人信息”页面再次确认。",
    "notice_done": "已发布告知书第{version}版。", "consents": "监护人同意", "consent_count": "当前同意的家长数",
    "requests": "家长个人信息申请",
    "request_counts": "收到 {received} 件，办结 {done}，不予办理 {refused}，处理中 {open}，其中逾期 {overdue}",
}
DAYS = 30


class PrivacyPages(Controller):
    path = "/desk/privacy"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, ctx: Ctx, actor: Who) -> Template:
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
        asked = exports.for_county(db, actor) if actor.role == "county_staff" else []
        county = str(actor.county_code or "")
        version, title, body = consent.notice(db, county or None)
        totals = {k: sum(t[k] for t in requests.counts(db, county).values())
                  for k in ("received", "done", "refused", "open", "overdue")} if county else {}
        people = dict(db.execute(select(User.id, User.display_name).where(
            User.id.in_({e.requested_by for e in asked} or {0}))).all())
        schools = dict(db.execute(select(School.id, School.name).where(School.id.in_({e.school_id for e in asked} or {0}))).all())
        periods = {cat: int(policy.get(db, ctx.registry, county, key)) if key else CATEGORIES[cat][1]
                   for cat, key in inventory.SETTINGS.items()}
        runs = list(db.scalars(select(RetentionAction).where(RetentionAction.county_code == county)
                               .order_by(RetentionAction.id.desc()).limit(20))) if county else []
        return render(request, "privacy.html", actor, TEXT, groups=inventory.grouped(), I=inventory, rows=rows,
                      periods=periods, runs=runs,
                      alerts=[(fmt_local(a.at), a.reason) for a in alerts], exports=asked, people=people, schools=schools,
                      STATUS=exports.STATUS, fmt_local=fmt_local, years=list(range(clock.today_local().year, 2020, -1)),
                      notice=(version, title, body), consent_counts=consent.counts(db, county) if county else {},
                      SCOPES=consent.SCOPES, request_totals=totals)

    @post("/notice", sync_to_thread=True)
    def publish_notice(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB,
                       actor: Who) -> Redirect:
        row = consent.publish_notice(db, actor, title=field(data, "title"), body=str(data.get("body") or ""))
        return done(request, "/desk/privacy#notice", TEXT["notice_done"].format(version=row.version))

    @post("/exports/{export_id:int}", sync_to_thread=True)
    def decide_export(self, request: Request[Any, Any, Any], export_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                      db: DB, actor: Who) -> Redirect:
        actor.require("county_staff")
        approve = field(data, "decision") == "approve"
        exports.decide(db, actor, export_id, approve=approve, note=field(data, "note"))
        return done(request, "/desk/privacy#exports", TEXT["approved" if approve else "refused"].format(id=export_id))

    @get("/audit-pack/{year:int}/{fmt:str}", sync_to_thread=True)
    def audit_pack(self, year: FromPath[int], fmt: FromPath[str], db: DB, actor: Who) -> Response[bytes]:
        actor.require("county_staff")
        if fmt not in ("pdf", "xlsx") or not 2020 <= year <= clock.today_local().year:
            raise NotFound("没有该年度或格式的审计报告。", code="audit_pack_not_found")
        pack = auditpack.build(db, str(actor.county_code), year)
        body = auditpack.pdf(pack) if fmt == "pdf" else auditpack.xlsx(pack)
        name = f"{pack.county_name}{year}年度个人信息保护合规审计.{fmt}"
        media = "application/pdf" if fmt == "pdf" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(body, media_type=media, headers={
            "Content-Disposition": f"attachment; filename=\"audit-pack-{year}.{fmt}\"; filename*=UTF-8''{quote(name)}"})
