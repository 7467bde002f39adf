"""HTML: "try a title" — county staff type a course title (and description) and see what the automatic content
check would say with the county's word lists in force: pass, warn (a person decides) or block, and why."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template

from kehou.errors import ValidationFailed
from kehou.platform.policy import services as policy
from kehou.vetting import content_check
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import render

TEXT = {
    "title": "试审课程名称",
    "intro": "按本区县现行的学科类、商业推广用语及例外短语，试看一个课程名称和简介会得到什么结果。不保存任何内容。",
    "course_title": "课程名称", "description": "课程简介（可选）", "submit": "试一试",
    "why": "原因", "words": "本区县的用语设置（点击修改）", "too_long": "课程名称不超过100字，简介不超过2000字。",
}
VERDICTS = {"pass": "通过：未发现须处理的用语", "warn": "提醒：提交后须由审核人员判断，通过时须说明理由",
            "block": "阻止：不能提交（机构可申请人工复核，由有决定权限的人员决定）"}
LISTS = [("vetting.academic_words", "学科类用语（阻止）"), ("vetting.academic_subject_words", "学科名称"),
         ("vetting.academic_theme_words", "非学科主题词"), ("vetting.academic_warn_words", "疑似学科类用语（提醒）"),
         ("vetting.academic_allow", "例外短语"), ("vetting.promotion_words", "商业推广用语（阻止）"),
         ("vetting.promotion_warn_words", "疑似商业推广用语（提醒）")]


class TryTitlePages(Controller):
    path = "/desk/vetting/try"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, ctx: Ctx, actor: Who, title: FromQuery[str] = "",
              description: FromQuery[str] = "") -> Template:
        actor.require("county_staff")
        if len(title) > 100 or len(description) > 2000:
            raise ValidationFailed(TEXT["too_long"], code="text_too_long", field="title")
        settings = policy.resolve_all(db, ctx.registry, str(actor.county_code))
        result = content_check.check_text(settings, str(actor.county_code), title, description) if title.strip() else None
        return render(request, "try_title.html", actor, TEXT, result=result, course_title=title, description=description,
                      verdicts=VERDICTS, lists=[(key, label) for key, label in LISTS if key in ctx.registry.specs])
