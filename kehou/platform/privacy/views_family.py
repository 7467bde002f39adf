"""HTML and API of parents' rights: the family's page 个人信息 (what is held about each child, who looked at it,
requests and answers) and the school's page 个人信息申请 (answer within the county's period)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from kehou.platform.policy import services as policy
from kehou.platform.privacy import consent, inventory, requests
from kehou.platform.students import services as students
from kehou.web.deps import DB, Ctx, Who, client_ip
from kehou.web.pages import done, field, render

Req = Request[Any, Any, Any]
FAMILY = {
    "title": "孩子的个人信息", "intro": "这里列出本平台保存的您孩子的个人信息、查看过这些信息的单位和时间。信息有误可申请更正，"
                                   "不再需要的信息可申请删除，学校须在{days}天内答复。",
    "held": "平台保存的信息", "name": "姓名", "student_no": "学籍号", "school": "学校", "grade": "年级", "class_name": "班级",
    "priority": "优先保障群体", "no_priority": "无", "guardians": "监护人", "relation": "关系", "phone": "手机号",
    "what_kept": "信息清单与保存期限",
    "accesses": "查看记录（最近100次）", "at": "时间", "org": "单位", "what": "查看内容", "purpose": "用途",
    "no_access": "暂无查看记录。", "ask": "提出申请", "kind": "申请类型", "detail": "具体内容 *",
    "detail_hint": "如：孩子的班级应为3年级2班", "send": "提交申请", "requests": "我的申请", "status": "状态",
    "due": "答复期限", "answer": "学校答复", "none": "暂无申请。", "sent": "申请已提交，学校将在{due}前答复。",
    "overdue": "（已逾期）",
    "consents": "同意事项", "notice": "阅读告知书", "notice_outdated": "区县发布了新版告知书，请阅读后确认。",
    "notice_missing": "您还没有确认《个人信息保护告知书》，请阅读后确认。",
    "accept": "我已阅读并同意", "give": "同意", "withdraw": "撤回同意", "given_at": "同意于 {at}", "not_given": "未同意",
    "consent_given": "已记录您的同意。", "consent_withdrawn": "已撤回同意。",
}
SCHOOL = {
    "title": "个人信息申请", "intro": "家长对孩子个人信息提出的更正、删除等申请，须在期限内答复；办理后请写明已做的修改。",
    "child": "学生", "kind": "类型", "detail": "内容", "asked_at": "提出时间", "due": "答复期限", "status": "状态",
    "answer": "答复", "answer_hint": "如：已将班级更正为3年级2班", "done": "已办结", "refuse": "不予办理", "none": "暂无申请。",
    "answered": "已答复。", "overdue": "（已逾期）",
}


class AskBody(msgspec.Struct):
    kind: str
    detail: str


class AnswerBody(msgspec.Struct):
    done: bool
    answer: str


class FamilyPrivacyPages(Controller):
    path = "/parent/privacy"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        kids = students.children_of(db, actor)
        days = int(policy.get(db, ctx.registry, kids[0].county_code, "privacy.request_days")) if kids else 15
        return render(request, "privacy_family.html", actor, FAMILY, days=days, consents=consent.state(db, actor),
                      SCOPES=consent.SCOPES, OPTIONAL=consent.OPTIONAL,
                      kids=[(k, requests.held(db, actor, k.id), requests.accesses(db, actor, k.id)) for k in kids],
                      rows=requests.for_family(db, actor), KINDS=requests.KINDS,
                      fields=[f for f in inventory.FIELDS if f.subject in ("child", "guardian")], I=inventory)

    @post("/consents", sync_to_thread=True)
    def consents(self, request: Req, data: URLEncodedBody[dict[str, Any]], db: DB, actor: Who) -> Redirect:
        scope, give = field(data, "scope"), field(data, "action") == "give"
        if give:
            consent.give(db, actor, scope, ip=client_ip(request))
        else:
            consent.withdraw(db, actor, scope)
        return done(request, "/parent/privacy#consents", FAMILY["consent_given" if give else "consent_withdrawn"])

    @post("/{student_id:int}", sync_to_thread=True)
    def ask(self, request: Req, student_id: FromPath[int], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
            actor: Who) -> Redirect:
        row = requests.ask(ctx, db, actor, student_id, kind=field(data, "kind"), detail=field(data, "detail"))
        return done(request, f"/parent/privacy#request-{row.id}", FAMILY["sent"].format(due=row.due_on))


class SchoolPrivacyPages(Controller):
    path = "/school/privacy-requests"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Req, db: DB, actor: Who) -> Template:
        return render(request, "privacy_school_requests.html", actor, SCHOOL, rows=requests.for_school(db, actor))

    @post("/{request_id:int}", sync_to_thread=True)
    def answer(self, request: Req, request_id: FromPath[int], data: URLEncodedBody[dict[str, Any]], db: DB,
               actor: Who) -> Redirect:
        requests.answer(db, actor, request_id, done=field(data, "decision") == "done", text=field(data, "answer"))
        return done(request, f"/school/privacy-requests#request-{request_id}", SCHOOL["answered"])


class PrivacyApi(Controller):
    path = "/api/v1"
    tags = ["privacy"]

    @get("/children/{student_id:int}/privacy", sync_to_thread=True,
         summary="What the platform holds about the child and which organisations looked at it (the child's parents)")
    def held(self, student_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        return requests.held(db, actor, student_id) | {"accesses": requests.accesses(db, actor, student_id)}

    @post("/children/{student_id:int}/privacy-requests", sync_to_thread=True, status_code=201,
          summary="Ask the school to correct or delete the child's information (kind: correct | delete | explain)")
    def ask(self, student_id: FromPath[int], data: JSONBody[AskBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return requests.out(requests.ask(ctx, db, actor, student_id, kind=data.kind, detail=data.detail))

    @get("/me/consents", sync_to_thread=True, summary="The parent's consents and the county's current privacy notice")
    def consents(self, db: DB, actor: Who) -> dict[str, Any]:
        actor.require("parent")
        return consent.state(db, actor)

    @post("/me/consents/{consent_scope:str}", sync_to_thread=True, status_code=201,
          summary="Give a consent (notice: accept the current privacy notice; showcase; survey)")
    def give(self, request: Req, consent_scope: FromPath[str], db: DB, actor: Who) -> dict[str, Any]:
        consent.give(db, actor, consent_scope, ip=client_ip(request))
        return consent.state(db, actor)

    @delete("/me/consents/{consent_scope:str}", sync_to_thread=True, status_code=204, summary="Withdraw an optional consent")
    def withdraw(self, consent_scope: FromPath[str], db: DB, actor: Who) -> None:
        consent.withdraw(db, actor, consent_scope)

    @get("/me/privacy-requests", sync_to_thread=True, summary="The parent's requests and their answers")
    def mine(self, db: DB, actor: Who) -> list[dict[str, Any]]:
        return requests.for_family(db, actor)

    @get("/school/privacy-requests", sync_to_thread=True, summary="The school's requests from families (school admin)")
    def school(self, db: DB, actor: Who) -> list[dict[str, Any]]:
        return requests.for_school(db, actor)

    @post("/privacy-requests/{request_id:int}/answer", sync_to_thread=True, status_code=200,
          summary="The school answers a family's request: done or refused, with what was done or why not")
    def answer(self, request_id: FromPath[int], data: JSONBody[AnswerBody], db: DB, actor: Who) -> dict[str, Any]:
        return requests.out(requests.answer(db, actor, request_id, done=data.done, text=data.answer))


class NoticePages(Controller):
    """The privacy notice, public (shown before activation): the county's current version, or the platform's."""

    path = "/privacy-notice"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def notice(self, request: Req, db: DB, actor: Who, county: FromQuery[str] = "") -> Template:
        code = county if county.isdecimal() and len(county) == 6 else (actor.county_code or "")
        version, title, body = consent.notice(db, code or None)
        return render(request, "privacy_notice.html", actor, {"title": title, "version": "版本 {v}"}, version=version,
                      paragraphs=[p for p in body.splitlines() if p.strip()])
