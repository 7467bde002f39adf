"""我的班级 (a provider's classes and their rosters, see :mod:`kehou.plugins.course_catalogue.provider_classes`):
the pages for the provider's staff and the same through the API. Another provider's class, a past one or a class
of a county the provider no longer serves: not found."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from kehou.plugins.course_catalogue import provider_classes
from kehou.plugins.course_catalogue.views import page
from kehou.web.deps import DB, Ctx, Who

TEXT = {
    "title": "我的班级",
    "intro": "本机构在各校正在开设或即将开课的班级。名单只含授课需要的学生姓名、年级与班级，每次查看都会留下记录，"
             "家长可以看到哪些机构查看过孩子的信息。请勿拍照、转发或另作他用。",
    "course": "课程", "school": "学校", "term": "学期", "time": "上课时间", "venue": "地点", "grades": "年级",
    "enrolled": "已选人数", "roster": "学生名单", "open": "查看名单", "empty": "本机构目前没有正在开设的班级。",
    "per": "{n}/{cap}人", "term_value": "{start} 至 {end}",
    "name": "姓名", "grade": "年级", "class_name": "班级", "phones": "监护人电话（紧急联系用）",
    "phones_on": "本区县允许授课机构查看本班学生的监护人电话，仅限紧急联系使用。",
    "phones_off": "本区县未允许授课机构查看监护人电话；如需联系家长，请通过学校。",
    "nobody": "这个班级目前没有学生。", "back": "返回我的班级", "count": "共{n}名学生",
}


class ProviderClassPages(Controller):
    path = "/provider/classes"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        rows = provider_classes.classes_of(db, actor)
        return page(request, "provider_classes.html", actor, TEXT, rows=rows)

    @get("/{entry_id:int}", sync_to_thread=True)
    def one(self, request: Request[Any, Any, Any], entry_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Template:
        info, kids, phones = provider_classes.roster(ctx, db, actor, entry_id)
        return page(request, "provider_class.html", actor, TEXT, info=info, kids=kids, phones=phones)


class ProviderClassApi(Controller):
    path = "/api/v1/provider/classes"
    tags = ["catalogue"]

    @get("/", sync_to_thread=True, summary="The provider's current classes")
    def index(self, db: DB, actor: Who) -> list[dict[str, Any]]:
        return [{k: (v.isoformat() if k.startswith("term_") else v) for k, v in row.items()}
                for row in provider_classes.classes_of(db, actor)]

    @get("/{entry_id:int}/roster", sync_to_thread=True,
         summary="A class's children: name, grade, class (guardian phones only where the county allows); logged")
    def roster(self, entry_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> list[dict[str, Any]]:
        _, kids, phones = provider_classes.roster(ctx, db, actor, entry_id)
        return [k.as_dict(phones) for k in kids]


PROVIDER_CLASS_ROUTES: list[Any] = [ProviderClassPages, ProviderClassApi]
