"""No-show release (see :mod:`kehou.plugins.course_catalogue.noshow`): the API, the school's page (未到课处理) and
the family's answer, which sits on the parent's attendance page. A school sees only its own cases, a family only
its own children's (404 otherwise)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from kehou.errors import ValidationFailed
from kehou.platform.policy import services as policy
from kehou.platform.privacy import access
from kehou.plugins.course_catalogue import noshow
from kehou.plugins.course_catalogue.models import NO_SHOW_STATUS_LABELS
from kehou.plugins.course_catalogue.views import own_school, page
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field

Req = Request[Any, Any, Any]

SCHOOL = {
    "title": "未到课处理",
    "intro": "本区县规定：开课后前{weeks}周内（学期中加入的从加入起算）无故缺勤满{n}次的学生，系统提醒家长在{days}天内说明；"
             "逾期未说明的，名额释放给候补学生，费用按退课规则结算。家长说明后由学校决定保留或释放名额。",
    "off": "本区县未启用“未到课释放名额”。启用与次数、期限由区县教育局在政策设置中规定。",
    "filter": "状态", "all": "全部", "go": "筛选", "none": "暂无记录。",
    "student": "学生", "course": "课程", "absences": "无故缺勤", "warned": "提醒时间", "deadline": "说明期限",
    "status": "状态", "answer": "家长说明", "answered_at": "说明时间", "closed": "处理结果",
    "keep": "保留名额", "release": "释放名额", "reason": "处理理由", "reason_hint": "如：家长已说明因病缺课，核实无误",
    "release_confirm": "释放后该生退出本课程，名额转给候补学生，费用按退课规则结算。确定释放吗？",
    "kept": "已保留{name}在「{title}」的名额。", "released": "已释放{name}在「{title}」的名额。",
    "passed": "（已逾期）",
}

FAMILY = {
    "no_show_heading": "未到课提醒", "no_show_absences": "无故缺勤", "no_show_deadline": "请在此前说明",
    "no_show_answer": "说明情况",
    "no_show_answer_hint": "如：孩子生病在家休息，已向班主任请假", "no_show_send": "提交说明", "no_show_your_answer": "您的说明",
    "no_show_sent": "已提交说明，学校将决定是否保留名额。", "no_show_result": "处理结果",
}


class AnswerBody(msgspec.Struct):
    answer: str


class DecideBody(msgspec.Struct):
    keep: bool
    reason: str


class NoShowApi(Controller):
    path = "/api/v1"
    tags = ["catalogue"]

    @get("/schools/{school_id:int}/no-show-cases", sync_to_thread=True,
         summary="Cases of children who did not come (open first); ?status=warned|explained|kept|released")
    def school_cases(self, school_id: FromPath[int], db: DB, actor: Who, status: FromQuery[str] = "") -> list[dict[str, Any]]:
        actor.require("school_admin")
        return noshow.for_school(db, actor, school_id, status)

    @post("/no-show-cases/{case_id:int}/decision", sync_to_thread=True, status_code=200,
          summary="The school keeps the seat or releases it now (with a reason)")
    def decide(self, case_id: FromPath[int], data: JSONBody[DecideBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        case = noshow.decide(ctx, db, actor, case_id, keep=data.keep, reason=data.reason)
        return {"id": case.id, "status": case.status}

    @get("/no-show-cases", sync_to_thread=True, summary="The family's cases, for all their children")
    def family_cases(self, db: DB, actor: Who) -> list[dict[str, Any]]:
        return noshow.for_family(db, actor)

    @post("/no-show-cases/{case_id:int}/answer", sync_to_thread=True, status_code=200,
          summary="The family explains the absences before the deadline")
    def answer(self, case_id: FromPath[int], data: JSONBody[AnswerBody], db: DB, actor: Who) -> dict[str, Any]:
        case = noshow.answer(db, actor, case_id, data.answer)
        return {"id": case.id, "status": case.status}


class SchoolNoShowPages(Controller):
    path = "/school/no-show"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def cases(self, request: Req, db: DB, ctx: Ctx, actor: Who, status: FromQuery[str] = "") -> Template:
        school = own_school(db, actor)
        rules = noshow.settings_of(policy.resolve_all(db, ctx.registry, school.county_code))
        rows = noshow.for_school(db, actor, school.id, status if status in NO_SHOW_STATUS_LABELS else "")
        access.record(ctx, actor, school.county_code, [r["student_id"] for r in rows], "no_show")
        return page(request, "school_no_show.html", actor, SCHOOL, school=school, rules=rules, rows=rows, status=status,
                    STATUS=NO_SHOW_STATUS_LABELS)

    @post("/{case_id:int}", sync_to_thread=True)
    def decide(self, request: Req, case_id: FromPath[int], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
               actor: Who) -> Redirect:
        choice = field(data, "decision")
        if choice not in ("keep", "release"):
            raise ValidationFailed("请选择保留或释放名额。", code="decision_required", field="decision")
        case = noshow.decide(ctx, db, actor, case_id, keep=choice == "keep", reason=field(data, "reason"))
        message = SCHOOL["kept" if choice == "keep" else "released"].format(**noshow.names_of(db, case))
        return done(request, f"/school/no-show#case-{case.id}", message)


class FamilyNoShowPages(Controller):
    path = "/parent/no-show"
    include_in_schema = False

    @post("/{case_id:int}", sync_to_thread=True)
    def answer(self, request: Req, case_id: FromPath[int], data: URLEncodedBody[dict[str, Any]], db: DB,
               actor: Who) -> Redirect:
        case = noshow.answer(db, actor, case_id, field(data, "answer"))
        return done(request, f"/parent/attendance#no-show-{case.id}", FAMILY["no_show_sent"])


NO_SHOW_ROUTES: list[Any] = [NoShowApi, SchoolNoShowPages, FamilyNoShowPages]
