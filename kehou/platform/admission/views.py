"""HTML for the admission workflow: the applicant's and the county desk's pages.

Every action posts to ``/applications/{id}/{action}``; the action table maps it
to exactly one service method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select

from kehou.errors import NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.admission import decision, notice, queries, review, services
from kehou.platform.admission.models import STATUS_LABELS
from kehou.platform.admission.workflow import load
from kehou.platform.calendar import services as calendar
from kehou.platform.context import Context
from kehou.platform.counties.models import Region
from kehou.platform.policy import services as policy
from kehou.platform.providers.models import Provider, Staff
from kehou.timeutil import clock, fmt_local
from kehou.web.deps import DB, Ctx, Who
from kehou.web.listing import EXPORT_MAX, Listing, xlsx
from kehou.web.pages import column, done, field, render, values

TEXT = {
    "title": "准入申请", "audit_link": "审计记录", "uscc": "统一社会信用代码", "updated": "最近更新",
    "search_hint": "机构名称或统一社会信用代码", "pick_doc": "选中此证件",
    "accept_picked": "通过所勾选的证件", "accept_picked_hint": "只列出待审核的证件；退回须逐份说明原因。",
    "desk": "审核工作台", "calendar": "前往节假日日历", "queue": "待办与全部申请",
    "provider": "机构", "county": "区县",
    "status": "状态", "categories": "服务类别", "statement": "机构简介与服务方案", "returned": "退回意见",
    "notice": "公示期", "decision": "决定意见", "reviews": "专家评分", "signoffs": "部门会签", "objections": "异议",
    "average": "平均分", "internal": "内部意见（仅评审人员可见）", "empty": "暂无", "open": "办理",
    "submit": "提交申请", "resubmit": "补充后重新提交", "withdraw": "撤回申请", "edit": "修改申请",
    "return": "退回补充材料", "accept": "材料齐全，进入专家评审", "score": "专家评分", "comment": "评审意见",
    "finish": "结束评审", "signoff": "部门会签", "agree": "同意", "disagree": "不同意", "close": "结束公示",
    "approve": "准予准入", "reject": "不予准入",
    "approve_confirm": "准予准入后，该机构列入本区县白名单并向社会公开。确定吗？",
    "reject_confirm": "不予准入的决定将通知机构。确定吗？", "reason": "理由", "message": "需要补充的内容", "note": "备注",
    "answer": "答复", "upheld": "异议成立", "save": "保存", "done": "操作成功。", "filter_all": "全部",
    "contact": "联系方式", "evidence": "证据", "unanswered": "待答复", "count": "件",
    "documents": "证件材料", "doc_type": "类型", "doc_number": "编号", "validity": "有效期", "doc_status": "审核",
    "download": "下载", "accept_doc": "通过", "reject_doc": "退回", "vetting": "自动核查", "run_vetting": "重新核查",
    "verdict": "结论", "rule": "规则", "source": "依据", "override": "放行（须说明理由）", "overridden": "已放行",
    "no_run": "尚未核查", "courses": "拟开设课程", "course_title": "课程名称", "course_desc": "简介",
    "spam": "已标记为无效异议", "pick_objection": "选择此条异议", "source_ip": "来源",
    "flood": "同一来源（{ip}）提交了{n}条待答复的异议，可能是恶意刷量。"
             "核实后可勾选，一并标记为无效异议（须说明理由，逐条留痕）。",
    "dismiss": "将勾选的异议标记为无效", "dismiss_reason": "标记为无效的理由（如：同一来源批量提交、内容重复或与申请无关）",
    "dismiss_confirm": "被标记的异议视为已答复、不成立，并逐条记入审计日志。确定吗？",
    "dismissed": "已将{n}条异议标记为无效。",
}





def _scores(ctx: Context, db: Any, app_id: int, form: dict[str, Any]) -> dict[str, Any]:
    app = load(db, app_id)
    return {c["key"]: field(form, f"score_{c['key']}") for c in review.criteria(ctx, db, app.county_code)}


def courses_from_form(form: dict[str, Any]) -> list[dict[str, str]]:
    """Parallel course_title / course_category / course_description fields; blank titles are skipped."""
    rows = zip(column(form, "course_title"), column(form, "course_category"), column(form, "course_description"), strict=False)
    return [{"title": t.strip(), "category": c, "description": d.strip()} for t, c, d in rows if t.strip()]


def _agreed(form: dict[str, Any]) -> bool:
    """A sign-off is an explicit 同意 or 不同意: nothing is chosen for the signer."""
    choice = field(form, "agreed")
    if choice not in ("yes", "no"):
        raise ValidationFailed("请选择同意或不同意。", code="signoff_choice_required", field="agreed")
    return choice == "yes"


#: action -> the one service call it makes
ACTIONS: dict[str, Callable[[Context, Any, Actor, int, dict[str, Any]], Any]] = {
    "edit": lambda ctx, db, a, i, f: services.edit(ctx, db, a, i, categories=values(f, "categories"),
                                                   statement=field(f, "statement"), courses=courses_from_form(f)),
    "submit": lambda ctx, db, a, i, f: services.submit(db, a, i),
    "resubmit": lambda ctx, db, a, i, f: services.resubmit(db, a, i, note=field(f, "note")),
    "withdraw": lambda ctx, db, a, i, f: services.withdraw(db, a, i, reason=field(f, "reason")),
    "return": lambda ctx, db, a, i, f: services.return_for_info(db, a, i, message=field(f, "message")),
    "accept": lambda ctx, db, a, i, f: services.accept_materials(db, a, i, note=field(f, "note")),
    "score": lambda ctx, db, a, i, f: review.score(ctx, db, a, i, scores=_scores(ctx, db, i, f), comment=field(f, "comment"),
                                                    internal_note=field(f, "internal_note")),
    "finish": lambda ctx, db, a, i, f: review.finish_review(ctx, db, a, i, note=field(f, "note")),
    "signoff": lambda ctx, db, a, i, f: review.signoff(ctx, db, a, i, agreed=_agreed(f),
                                                       comment=field(f, "comment")),
    "close": lambda ctx, db, a, i, f: notice.close_notice(db, a, i),
    "approve": lambda ctx, db, a, i, f: decision.approve(ctx, db, a, i, reason=field(f, "reason")),
    "reject": lambda ctx, db, a, i, f: decision.reject(ctx, db, a, i, reason=field(f, "reason")),
}


def _base(actor: Actor) -> str:
    return "/provider/applications" if actor.role == "provider" else "/desk/applications"


def _detail(request: Request[Any, Any, Any], app_id: int, db: Any, ctx: Context, actor: Actor) -> Template:
    from kehou.platform.documents import services as documents
    from kehou.vetting import services as vetting

    app = services.visible(db, actor, app_id)
    info = queries.detail(db, actor, app)
    run = vetting.latest_run(db, app.id)
    return render(
        request, "application.html", actor, TEXT, app=app, info=info, base=_base(actor),
        provider=db.get(Provider, app.provider_id), region=db.get(Region, app.county_code),
        criteria=review.criteria(ctx, db, app.county_code), notice_running=notice.notice_running(app),
        all_categories=policy.get(db, ctx.registry, app.county_code, "catalogue.categories"),
        my_review=next((r for r in info.get("reviews", []) if r["reviewer_id"] == actor.user_id), None),
        documents=documents.list_for_provider(db, actor, app.provider_id),
        staff_names=dict(db.execute(select(Staff.id, Staff.name).where(Staff.provider_id == app.provider_id)).all()),
        doc_types=documents.types_for(ctx, db, app.county_code),
        run=run, findings=vetting.findings_of(db, run) if run else [], overrides=vetting.overrides(db, app.id),
        rule_labels={r.name: r.label for r in vetting.rules(ctx, db, app.county_code)},
    )


def _act(request: Request[Any, Any, Any], app_id: int, action: str, form: dict[str, Any], db: Any, ctx: Context,
         actor: Actor) -> Redirect:
    handler = ACTIONS.get(action)
    if handler is None:
        raise NotFound("没有这个操作。", code="action_unknown")
    handler(ctx, db, actor, app_id, form)
    return done(request, f"{_base(actor)}/{app_id}", TEXT["done"])


class AdmissionPages(Controller):
    include_in_schema = False

    @get("/desk", sync_to_thread=True)
    def desk(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        actor.require("county_staff", "department", "platform_admin")
        status = request.query_params.get("status") or None
        listing = Listing.parse(request.query_params, keep=("status",))
        stmt = queries.visible_stmt(actor, status=status, like=listing.like if listing.q else None)
        rows, total = listing.fetch(db, stmt) if stmt is not None else ([], 0)
        warnings = calendar.warnings(db, clock.today_local()) if actor.role != "department" else []
        return render(request, "desk.html", actor, TEXT, rows=[(a, p) for a, p in rows], status=status,
                      statuses=STATUS_LABELS, calendar_warnings=warnings, listing=listing, total=total)

    @get("/desk/applications.xlsx", sync_to_thread=True)
    def desk_export(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Response[bytes]:
        actor.require("county_staff", "department", "platform_admin")
        listing = Listing.parse(request.query_params, keep=("status",))
        stmt = queries.visible_stmt(actor, status=request.query_params.get("status") or None,
                                    like=listing.like if listing.q else None)
        rows: list[Any] = list(db.execute(stmt.limit(EXPORT_MAX))) if stmt is not None else []
        return xlsx(TEXT["queue"], [TEXT[k] for k in ("provider", "uscc", "county", "categories", "status", "notice",
                                                      "updated")],
                    ([p.name, p.uscc, a.county_code, "、".join(a.categories), STATUS_LABELS[a.status],
                      f"{a.notice_start} 至 {a.notice_end}" if a.notice_end else "", fmt_local(a.updated_at)]
                     for a, p in rows), "applications")

    @post("/provider/applications", sync_to_thread=True)
    def create(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
               actor: Who) -> Redirect:
        courses = courses_from_form(data)
        app = services.create(ctx, db, actor, county_code=field(data, "county_code"), categories=values(data, "categories"),
                              statement=field(data, "statement"), courses=courses)
        return done(request, f"/provider/applications/{app.id}", "申请草稿已创建，请核对后提交。")

    @get("/provider/applications/{app_id:int}", sync_to_thread=True)
    def provider_detail(self, request: Request[Any, Any, Any], app_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("provider")
        return _detail(request, app_id, db, ctx, actor)

    @get("/desk/applications/{app_id:int}", sync_to_thread=True)
    def desk_detail(self, request: Request[Any, Any, Any], app_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("county_staff", "department", "platform_admin")
        return _detail(request, app_id, db, ctx, actor)

    @post("/provider/applications/{app_id:int}/{action:str}", sync_to_thread=True)
    def provider_act(self, request: Request[Any, Any, Any], app_id: FromPath[int], action: FromPath[str],
                     data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("provider")
        return _act(request, app_id, action, data, db, ctx, actor)

    @post("/desk/applications/{app_id:int}/{action:str}", sync_to_thread=True)
    def desk_act(self, request: Request[Any, Any, Any], app_id: FromPath[int], action: FromPath[str],
                 data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("county_staff", "department", "platform_admin")
        return _act(request, app_id, action, data, db, ctx, actor)

    @post("/desk/objections/{objection_id:int}/answer", sync_to_thread=True)
    def answer(self, request: Request[Any, Any, Any], objection_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
               db: DB, actor: Who) -> Redirect:
        row = notice.answer_objection(db, actor, objection_id, answer=field(data, "answer"),
                                      upheld=field(data, "upheld") == "yes")
        return done(request, f"/desk/applications/{row.application_id}", TEXT["done"])

    @post("/desk/applications/{app_id:int}/objections/dismiss", sync_to_thread=True)
    def dismiss(self, request: Request[Any, Any, Any], app_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                db: DB, actor: Who) -> Redirect:
        raw = values(data, "objection_id")
        if not all(v.isdecimal() and len(v) < 10 for v in raw):
            raise ValidationFailed("异议编号无效。", code="objection_id_invalid", field="objection_id")
        rows = notice.dismiss(db, actor, app_id, [int(v) for v in raw], reason=field(data, "reason"))
        return done(request, f"/desk/applications/{app_id}#objections", TEXT["dismissed"].format(n=len(rows)))
