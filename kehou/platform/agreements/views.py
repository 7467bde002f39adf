"""HTML: the user's agreements, one agreement with its full text and the sign form (parents sign on
phones), and the county's template versions.

The sign form carries the SHA-256 of the PDF shown on the page as a hidden field: a signature binds
to the text the person saw, and a text changed meanwhile is refused (``agreement_text_changed``).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from kehou.errors import ValidationFailed
from kehou.platform.agreements import access, services, signing
from kehou.platform.agreements import templates as tpl
from kehou.platform.agreements.api import pdf_response
from kehou.platform.agreements.defaults import PLACEHOLDER_LABELS, PLACEHOLDERS, REQUIRED
from kehou.platform.agreements.models import KIND_LABELS, PARTY_TITLES, ROLE_LABELS, STATUS_LABELS
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, render

LIST_TEXT = {
    "title": "协议", "intro": "各方在进校服务前签订的书面协议。请阅读全文后签署；协议文本变更后须重新签署。",
    "kind": "类型", "status": "状态", "all": "全部", "filter": "筛选", "term": "学期", "parties": "签约方",
    "open": "查看", "sign_now": "待我签署", "empty": "暂无协议。", "templates": "协议模板",
    "bulk": "批量签署", "bulk_intro": "以本单位名义一次签署全部待签的同类协议（每份按其当前文本签署并记入审计日志）。",
    "bulk_button": "签署全部待签的{kind}", "bulk_done": "已签署{n}份{kind}。",
}
DETAIL_TEXT = {
    "title": "协议", "back": "返回协议列表", "status": "状态", "kind": "类型", "term": "学期", "parties": "签约方",
    "signed": "已签署", "not_signed": "未签署", "voided": "已作废", "signer": "签署人", "at": "时间",
    "pdf": "下载 PDF", "redacted": "本协议已过保存期限，于{at}删除文本、文件与监护人及签署人信息；上方摘要为当时签署文本的摘要。",
    "sha": "文件摘要（SHA-256）", "sha_help": "签署即确认此摘要对应的协议文本；文本变更后摘要随之改变。",
    "text": "协议全文", "sign": "签署协议", "agree": "我已阅读并同意以上协议全文", "sign_as": "签署身份",
    "sign_button": "确认签署", "done_sign": "已签署。", "history": "签署记录（含已作废）", "void_reason": "作废原因",
    "terminate": "终止协议", "reason": "终止理由", "terminate_button": "终止", "done_terminate": "协议已终止。",
    "terminated": "已终止", "renew": "续签下一学期", "subject": "新协议主题（唯一，如 service:学校:机构:学期）",
    "new_term": "新学期", "renew_button": "续签", "done_renew": "已生成续签协议，请各方签署。",
    "renewed_from": "续签自", "template": "模板版本", "builtin": "内置模板", "you_signed": "您已签署当前文本。",
}
TEMPLATES_TEXT = {
    "title": "协议模板",
    "intro": "保存即新增一个版本；已有协议在下一次生成或更新时按最新版本重新生成，文本变化的协议须各方重新签署。",
    "current": "当前版本", "builtin": "内置模板（版本0）", "placeholders": "可用占位符", "required": "必须保留",
    "new_version": "保存为新版本", "form_title": "标题", "body": "正文", "save": "保存", "history": "历史版本",
    "done": "模板已保存为新版本，并已记入审计日志。", "readonly": "只有有决定权限的人员可以修改模板。", "version": "版本",
    "saved_at": "保存时间",
}


def _back(agreement_id: int) -> str:
    return f"/agreements/{agreement_id}"


class AgreementPages(Controller):
    include_in_schema = False

    @get("/agreements", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        actor.require()
        kind = request.query_params.get("kind") or None
        status = request.query_params.get("status") or None
        rows = services.visible_to(db, actor, kind=kind if kind in KIND_LABELS else None,
                                   status=status if status in STATUS_LABELS else None)
        items = []
        for a in rows:
            party = access.party_of(db, actor, a)
            pending = party is not None and a.status == "draft" and party["role"] not in {
                s.party_role for s in signing.live(db, a)}
            items.append({"a": a, "party": party, "pending": pending})
        return render(request, "agreements/list.html", actor, LIST_TEXT, items=items, kind=kind, status=status,
                      kinds=KIND_LABELS, statuses=STATUS_LABELS, role_labels=ROLE_LABELS)

    @get("/agreements/{agreement_id:int}", sync_to_thread=True)
    def detail(self, request: Request[Any, Any, Any], agreement_id: FromPath[int], db: DB, actor: Who) -> Template:
        a = services.get(db, actor, agreement_id)
        party = access.party_of(db, actor, a)
        sigs = signing.signatures(db, a.id)
        live = {s.party_role: s for s in sigs if s.voided_at is None and s.pdf_sha256 == a.pdf_sha256}
        county_decider = actor.role == "county_staff" and actor.county_code == a.county_code and actor.can_decide
        may_act = party is not None and (party["role"] != "county" or actor.can_decide)
        return render(
            request, "agreements/detail.html", actor, DETAIL_TEXT, a=a, party=party, sigs=sigs, live=live,
            party_rows=list(zip(PARTY_TITLES, a.parties, strict=False)), kinds=KIND_LABELS, statuses=STATUS_LABELS,
            role_labels=ROLE_LABELS,
            can_sign=may_act and a.status != "terminated" and not a.redacted_at and party["role"] not in live,  # type: ignore[index]
            can_terminate=a.status != "terminated" and (may_act or county_decider),
            can_renew=may_act and a.status != "terminated" and not a.redacted_at and party["role"] != "parent",  # type: ignore[index]
        )

    @get("/agreements/{agreement_id:int}/pdf", sync_to_thread=True)
    def pdf(self, agreement_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Response[bytes]:
        return pdf_response(*services.pdf_of(ctx, db, actor, agreement_id))

    @post("/agreements/sign-pending", sync_to_thread=True)
    def sign_pending(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
                     actor: Who) -> Redirect:
        kind = field(data, "kind")
        n = signing.sign_pending(ctx, db, actor, kind=kind)
        return done(request, "/agreements", LIST_TEXT["bulk_done"].format(n=n, kind=KIND_LABELS.get(kind, kind)))

    @post("/agreements/{agreement_id:int}/sign", sync_to_thread=True)
    def sign(self, request: Request[Any, Any, Any], agreement_id: FromPath[int], data: URLEncodedBody[dict[str, Any]], db: DB,
             ctx: Ctx, actor: Who) -> Redirect:
        a = services.get(db, actor, agreement_id)  # not found before anything else
        if access.party_of(db, actor, a) is not None and field(data, "agree") != "yes":
            raise ValidationFailed("请先勾选“我已阅读并同意以上协议全文”。", code="consent_required", field="agree")
        services.sign(ctx, db, actor, agreement_id, pdf_sha256=field(data, "pdf_sha256"),
                      user_agent=request.headers.get("user-agent", ""))
        return done(request, _back(agreement_id), DETAIL_TEXT["done_sign"])

    @post("/agreements/{agreement_id:int}/terminate", sync_to_thread=True)
    def terminate(self, request: Request[Any, Any, Any], agreement_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                  db: DB, ctx: Ctx, actor: Who) -> Redirect:
        services.terminate(ctx, db, actor, agreement_id, field(data, "reason"))
        return done(request, _back(agreement_id), DETAIL_TEXT["done_terminate"])

    @post("/agreements/{agreement_id:int}/renew", sync_to_thread=True)
    def renew(self, request: Request[Any, Any, Any], agreement_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
              db: DB, ctx: Ctx, actor: Who) -> Redirect:
        new = services.renew(ctx, db, actor, agreement_id, subject=field(data, "subject"), term_name=field(data, "term_name"))
        return done(request, _back(new.id), DETAIL_TEXT["done_renew"])

    @get("/county/agreement-templates", sync_to_thread=True)
    def templates(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        actor.require("county_staff")
        county = str(actor.county_code)
        saved = tpl.versions(db, actor, county)
        kinds = []
        for kind, label in KIND_LABELS.items():
            current = tpl.latest(db, county, kind)
            kinds.append({"kind": kind, "label": label, "current": current,
                          "placeholders": [(p, PLACEHOLDER_LABELS[p]) for p in PLACEHOLDERS[kind]], "required": REQUIRED[kind],
                          "history": [t for t in saved if t.kind == kind]})
        return render(request, "agreements/templates.html", actor, TEMPLATES_TEXT, kinds=kinds)

    @post("/county/agreement-templates", sync_to_thread=True)
    def save_template(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB,
                      actor: Who) -> Redirect:
        actor.require("county_staff")
        kind = field(data, "kind")
        tpl.save(db, actor, str(actor.county_code), kind=kind, title=field(data, "title"), body=field(data, "body"))
        return done(request, f"/county/agreement-templates#{kind}", TEMPLATES_TEXT["done"])
