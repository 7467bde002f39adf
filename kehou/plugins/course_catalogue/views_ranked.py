"""HTML: a family ranks its choices for a child on a ranked-lottery menu (phone first): one list per child and
menu, saved as a whole, changeable until the window closes, acknowledged with the time saved and what already
looks wrong; the menu's draw commitment shown so the family can check the draw later."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from kehou.errors import NotFound
from kehou.platform.policy import services as policy
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue import queries
from kehou.plugins.course_catalogue.lottery import choices
from kehou.plugins.course_catalogue.models import Menu
from kehou.plugins.course_catalogue.views import page
from kehou.timeutil import as_utc, fmt_local, utcnow
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done

TEXT = {
    "title": "填报志愿", "back": "返回孩子的选课页",
    "how": "本学期选课采用“填报志愿后摇号分配”：选课时间内按意愿排列最多{n}个志愿，可随时修改，截止前以最后保存的为准；"
           "何时填报不影响结果。截止后按公开抽签顺序分轮分配：每轮每名学生录取排序最靠前、仍有名额且符合规定的一门。",
    "window": "填报时间", "to": "至", "choice": "第{k}志愿", "none": "（不填）", "save": "保存志愿",
    "saved": "已保存 {n} 个志愿（{at}）。", "saved_none": "尚未填报志愿。", "withdrawn": "已撤回全部志愿。",
    "warnings": "请注意（分配时仍会核对）", "commitment": "抽签承诺值",
    "commitment_help": "选课开始前已公布；摇号后公布种子，任何人可核验抽签顺序未被改动。",
    "closed": "填报已截止，以下为最后保存的志愿。", "not_open": "填报尚未开始（{at} 开始）。",
    "fee": "¥{fee}/学期", "grade_no": "（不面向本年级）",
}


def _menu(db: DB, school_id: int, menu_id: int) -> Menu:
    menu = db.get(Menu, menu_id)
    if menu is None or menu.school_id != school_id:
        raise NotFound("没有该课程超市。", code="menu_not_found")
    return menu


class ParentRankedPages(Controller):
    path = "/parent/children/{student_id:int}/menus/{menu_id:int}/choices"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def form(self, request: Request[Any, Any, Any], student_id: FromPath[int], menu_id: FromPath[int], db: DB, ctx: Ctx,
             actor: Who) -> Template:
        kid = students.child_of(db, actor, student_id)
        saved = choices.current(db, actor, kid.id, menu_id)
        menu = _menu(db, kid.school_id, menu_id)
        most = int(policy.get(db, ctx.registry, menu.county_code, "catalogue.ranked_max_choices"))
        courses = queries.entries(db, menu_id=menu.id, published_only=True)
        state = "open" if as_utc(menu.opens_at) <= utcnow() <= as_utc(menu.closes_at) and menu.draw_revealed_at is None \
            else ("not_open" if utcnow() < as_utc(menu.opens_at) else "closed")
        picks = saved.entry_ids + [0] * (most - len(saved.entry_ids))
        return page(request, "parent_rank.html", actor, TEXT, kid=kid, menu=queries.menu_out(menu), courses=courses,
                    picks=picks, saved=saved, saved_at=fmt_local(saved.saved_at) if saved.saved_at else "", most=most,
                    state=state, opens_local=fmt_local(menu.opens_at))

    @post("/", sync_to_thread=True)
    def save(self, request: Request[Any, Any, Any], student_id: FromPath[int], menu_id: FromPath[int],
             data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        picked = data.get("choice", [])
        picked = picked if isinstance(picked, list) else [picked]
        ids = [int(v) for v in picked if str(v).isdecimal() and int(v) > 0]
        saved = choices.save(ctx, db, actor, student_id, menu_id, ids)
        message = (TEXT["saved"].format(n=len(saved.entry_ids), at=fmt_local(saved.saved_at)) if saved.entry_ids
                   else TEXT["withdrawn"])
        return done(request, f"/parent/children/{student_id}/menus/{menu_id}/choices", message)
