"""HTML: the county's exit cases and each step's form; the provider's cases, its response, appeal
and voluntary exit. One page per case serves both, showing each side its own forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select

from kehou.errors import NotFound, ValidationFailed
from kehou.platform.admission.models import WhitelistEntry
from kehou.platform.exits import services as exits
from kehou.platform.exits.api import case_out
from kehou.platform.exits.workflow import GROUNDS, STATUS_LABELS, TRIGGERS
from kehou.platform.providers.models import Provider
from kehou.web.deps import DB, Ctx, Who
from kehou.web.listing import EXPORT_MAX, Listing, xlsx
from kehou.web.pages import done, field, integer, render, values

TEXT = {
    "title": "退出机制",
    "intro": ("违规处理、考核评价提议或资质失效：警告并限期整改 → 机构答复 → 暂停服务 → "
              "清退决定（申诉期）→ 申诉处理 → 退出。每一步记入审计日志。"),
    "cases": "退出程序", "provider": "机构", "trigger": "触发方式", "status": "状态", "created": "立案时间", "empty": "暂无",
    "new": "提议退出", "grounds": "事由（可多选）", "summary": "事由说明（退出后在公示页显示）", "evidence": "证据（每行一项）",
    "submit": "提交", "steps": "办理经过", "at": "时间", "by": "办理人", "action": "操作", "note": "说明",
    "rectify_by": "整改期限", "response": "机构答复", "decision": "清退决定", "appeal_by": "申诉截止",
    "appeal": "申诉理由", "appeal_decision": "申诉处理意见", "effective_on": "退出日期", "blacklist_until": "黑名单至",
    "warn": "警告并限期整改", "rectify_days": "整改天数（留空按本区县设置）", "suspend": "暂停服务", "close": "结案（不退出）",
    "confirm_suspend": "暂停后该机构在本区县的课程停止上课。确定暂停吗？",
    "confirm_decide": "清退决定将通知机构并进入申诉期，期满后执行退出。确定作出清退决定吗？",
    "confirm_reject": "驳回申诉后立即执行退出。确定吗？",
    "confirm_finalise": "执行退出后机构移出白名单、课程结束、家长获退费。确定吗？",
    "decide": "作出清退决定", "grant": "申诉成立（撤销清退）", "reject": "驳回申诉并执行退出", "finalise": "申诉期满，执行退出",
    "respond": "提交答复", "do_appeal": "提出申诉", "withdraw": "撤回主动退出",
    "notice": "申请主动退出", "county": "区县代码", "notice_date": "退出生效日期", "reason": "退出原因",
    "done": "已办理，记入审计日志。", "back": "返回列表",
    "search_hint": "机构名称", "all_statuses": "全部状态", "filter": "筛选", "grounds_col": "事由",
}
LABELS = {"grounds": GROUNDS, "triggers": TRIGGERS, "statuses": STATUS_LABELS}
ACTIONS = {"warn", "suspend", "close", "decide", "grant", "reject", "finalise", "respond", "appeal"}


def _admitted(session: Any, county: str) -> list[tuple[int, str]]:
    return [(p.id, p.name) for p in session.scalars(select(Provider).join(
        WhitelistEntry, WhitelistEntry.provider_id == Provider.id).where(
        WhitelistEntry.county_code == county, WhitelistEntry.status.in_(("active", "suspended"))).order_by(Provider.name))]


def _list_path(actor: Any) -> str:
    return "/provider/exits" if actor.role == "provider" else "/county/exits"


class ExitPages(Controller):
    include_in_schema = False

    @get("/county/exits", sync_to_thread=True)
    def county(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        actor.require("county_staff")
        listing = Listing.parse(request.query_params, keep=("status",))
        status = request.query_params.get("status") or ""
        stmt = exits.county_stmt(actor, str(actor.county_code), status=status, like=listing.like if listing.q else "")
        rows, total = listing.fetch(db, stmt)
        return render(request, "exits.html", actor, TEXT, cases=[case_out(db, c) for c, in rows], labels=LABELS,
                      providers=_admitted(db, str(actor.county_code)), listing=listing, total=total, status=status)

    @get("/county/exits.xlsx", sync_to_thread=True)
    def county_export(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Response[bytes]:
        actor.require("county_staff")
        listing = Listing.parse(request.query_params, keep=("status",))
        stmt = exits.county_stmt(actor, str(actor.county_code), status=request.query_params.get("status") or "",
                                 like=listing.like if listing.q else "")
        cases = [case_out(db, c) for c in db.scalars(stmt.limit(EXPORT_MAX))]
        return xlsx(TEXT["cases"], [TEXT[k] for k in ("provider", "trigger", "grounds_col", "status", "created",
                                                      "effective_on", "summary")],
                    ([c["provider_name"], c["trigger_label"], "、".join(c["ground_labels"]), c["status_label"],
                      c["created_at"], str(c["effective_on"] or ""), c["summary"]] for c in cases), "exit-cases")

    @post("/county/exits", sync_to_thread=True)
    def propose(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
                actor: Who) -> Redirect:
        actor.require("county_staff")
        evidence = [{"item": line.strip()} for line in field(data, "evidence").splitlines() if line.strip()]
        case = exits.propose(ctx, db, actor, county_code=str(actor.county_code),
                             provider_id=integer(data, "provider_id", TEXT["provider"]),
                             trigger=field(data, "trigger"), grounds=values(data, "grounds"),
                             summary=field(data, "summary"), evidence=evidence)
        return done(request, f"/exits/{case.id}", TEXT["done"])

    @get("/provider/exits", sync_to_thread=True)
    def provider(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        actor.require("provider")
        cases = [case_out(db, c) for c in exits.list_for(db, actor, provider_id=actor.provider_id)]
        counties = sorted(set(db.scalars(select(WhitelistEntry.county_code).where(
            WhitelistEntry.provider_id == actor.provider_id, WhitelistEntry.status.in_(("active", "suspended"))))))
        return render(request, "exits.html", actor, TEXT, cases=cases, labels=LABELS, counties=counties)

    @post("/provider/exits/notice", sync_to_thread=True)
    def notice(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
               actor: Who) -> Redirect:
        actor.require("provider")
        try:
            day = dt.date.fromisoformat(field(data, "effective_on"))
        except ValueError:
            raise ValidationFailed("请填写退出生效日期（年-月-日）。", code="date_invalid", field="effective_on") from None
        case = exits.give_notice(ctx, db, actor, provider_id=int(actor.provider_id or 0),
                                 county_code=field(data, "county_code"), effective_on=day, reason=field(data, "reason"))
        return done(request, f"/exits/{case.id}", TEXT["done"])

    @get("/exits/{case_id:int}", sync_to_thread=True)
    def show(self, request: Request[Any, Any, Any], case_id: FromPath[int], db: DB, actor: Who) -> Template:
        case = exits.visible(db, actor, case_id)
        return render(request, "exit_case.html", actor, TEXT, case=case_out(db, case, with_steps=True), labels=LABELS,
                      back=_list_path(actor))

    @post("/exits/{case_id:int}/{action:str}", sync_to_thread=True)
    def act(self, request: Request[Any, Any, Any], case_id: FromPath[int], action: FromPath[str],
            data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        if action not in ACTIONS:
            raise NotFound("页面不存在。", code="not_found")
        note = field(data, "note")
        if action == "warn":
            days = field(data, "rectify_days")
            exits.warn(ctx, db, actor, case_id, note=note,
                       rectify_days=integer(data, "rectify_days", TEXT["rectify_days"]) if days else None)
        elif action == "suspend":
            exits.suspend(ctx, db, actor, case_id, note=note)
        elif action == "close":
            exits.close(ctx, db, actor, case_id, note=note)
        elif action == "decide":
            exits.decide(ctx, db, actor, case_id, decision=note)
        elif action in ("grant", "reject"):
            exits.decide_appeal(ctx, db, actor, case_id, granted=action == "grant", note=note)
        elif action == "finalise":
            exits.finalise(ctx, db, actor, case_id)
        elif action == "respond":
            exits.respond(db, actor, case_id, response=note)
        else:
            exits.appeal(ctx, db, actor, case_id, text=note)
        return done(request, f"/exits/{case_id}", TEXT["done"])
