"""HTML: a family ranks its choices for a child on a ranked-lottery menu (phone first): one list per child and
menu, saved as a whole, changeable until the window closes, acknowledged with the time saved and what already
looks wrong; the menu's draw commitment shown so the family can check the draw later."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import func, select

from kehou.errors import Conflict, NotFound
from kehou.platform.counties.models import School
from kehou.platform.policy import services as policy
from kehou.platform.privacy import access
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue import queries
from kehou.plugins.course_catalogue.lottery import choices, draw, runs
from kehou.plugins.course_catalogue.menus import get_menu
from kehou.plugins.course_catalogue.models import AllocationRun, Menu, RankedChoice
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
    "fee": "¥{fee}/学期", "grade_no": "（不面向本年级）", "my_ref": "本学期抽签编号", "draw_page": "查看公开抽签页",
}

REVIEW = {
    "title": "摇号分配", "back": "返回课程超市", "window": "填报时间", "to": "至",
    "open": "填报尚未截止：截止后才能分配。已有 {n} 名学生填报志愿。", "closed": "填报已截止，共 {n} 名学生填报志愿。",
    "run": "运行分配", "rerun": "重新分配（同一种子与志愿，结果相同）", "publish": "发布结果并录取",
    "publish_confirm": "发布后将按此结果录取、公布种子并通知家长，且不能撤回。确定发布吗？",
    "published": "结果已于 {at} 发布。", "draft": "分配结果（待发布，第{n}次运行）", "none_yet": "尚未分配。",
    "courses": "各课程录取情况", "course": "课程", "capacity": "名额", "filled": "录取", "rate": "满额率",
    "nothing": "未录取任何课程的学生（{n}）", "children": "每名学生的结果（按抽签顺序）", "position": "抽签位次",
    "child": "学生", "assigned": "录取", "reasons": "分配过程", "none": "无", "public": "公开抽签页",
    "ran": "已完成分配，请核对后发布。", "done": "已发布：学生已录取，家长已收到通知。",
}

PUBLIC = {
    "title": "选课摇号公示", "commitment": "抽签承诺值（选课开始前公布）", "seed": "随机种子（分配后公布）",
    "not_yet": "尚未摇号：分配发布后在此公布种子与抽签顺序。", "order": "抽签顺序（抽签编号，优先层级）",
    "verify": "核验方法：任何人可用公布的种子、承诺值和抽签顺序运行 kehou selection verify-draw --seed 种子 "
              "--commitment 承诺值 --order 顺序文件，重新计算抽签顺序；每个编号的签号为 SHA-256(种子:编号)，"
              "优先层级高者在前，同一层级按签号从小到大，同胞取其中最靠前者的位次。",
    "download": "下载抽签顺序（CSV）",
}


class ParentRankedPages(Controller):
    path = "/parent/children/{student_id:int}/menus/{menu_id:int}/choices"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def form(self, request: Request[Any, Any, Any], student_id: FromPath[int], menu_id: FromPath[int], db: DB, ctx: Ctx,
             actor: Who) -> Template:
        kid = students.child_of(db, actor, student_id)
        saved = choices.current(db, actor, kid.id, menu_id)
        menu = choices.menu_for(db, kid.school_id, menu_id)
        most = int(policy.get(db, ctx.registry, menu.county_code, "catalogue.ranked_max_choices"))
        courses = queries.entries(db, menu_id=menu.id, published_only=True)
        picks = saved.entry_ids + [0] * (most - len(saved.entry_ids))
        return page(request, "parent_rank.html", actor, TEXT, kid=kid, menu=queries.menu_out(menu), courses=courses,
                    picks=picks, saved=saved, saved_at=fmt_local(saved.saved_at) if saved.saved_at else "", most=most,
                    state=choices.window_state(menu), opens_local=fmt_local(menu.opens_at),
                    my_ref=draw.draw_ref(ctx.settings.security.secret_key, menu.id, kid.id))

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


class SchoolAllocationPages(Controller):
    path = "/school/menus/{menu_id:int}/allocation"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def review(self, request: Request[Any, Any, Any], menu_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("school_admin")
        menu = get_menu(db, actor, menu_id)
        if menu.selection_mode != "ranked_lottery":
            raise Conflict("本课程超市按先到先得选课，无需摇号分配。", code="menu_not_ranked")
        made = runs.latest(db, actor, menu_id)
        summary = runs.summary(db, made) if made else None
        if summary:
            access.record(ctx, actor, menu.county_code, [c["student_id"] for c in summary["children"]], "allocation")
        listed = db.scalar(select(func.count(func.distinct(RankedChoice.student_id))).where(RankedChoice.menu_id == menu.id))
        return page(request, "school_allocation.html", actor, REVIEW, menu=queries.menu_out(menu), made=made,
                    summary=summary, listed=listed or 0,
                    closed=utcnow() > as_utc(menu.closes_at), published_at=fmt_local(made.published_at) if made and
                    made.published_at else "")

    @post("/", sync_to_thread=True)
    def run(self, request: Request[Any, Any, Any], menu_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("school_admin")
        runs.run(ctx, db, actor, menu_id)
        return done(request, f"/school/menus/{menu_id}/allocation", REVIEW["ran"])

    @post("/{run_id:int}/publish", sync_to_thread=True)
    def publish(self, request: Request[Any, Any, Any], menu_id: FromPath[int], run_id: FromPath[int], db: DB, ctx: Ctx,
                actor: Who) -> Redirect:
        actor.require("school_admin")
        made = db.get(AllocationRun, run_id)
        if made is None or made.menu_id != menu_id:
            raise NotFound("分配结果不存在。", code="run_not_found")
        runs.publish(ctx, db, actor, run_id)
        return done(request, f"/school/menus/{menu_id}/allocation", REVIEW["done"])


class PublicDrawPages(Controller):
    """The draw of a ranked-lottery menu, for everyone: the commitment from the start, then the seed and the order
    of pseudonymous draw references (no names), so anyone can recompute it."""

    path = "/public/draws/{menu_id:int}"
    include_in_schema = False

    def _published(self, db: DB, menu_id: int) -> tuple[Menu, AllocationRun | None]:
        menu = db.get(Menu, menu_id)
        if menu is None or menu.selection_mode != "ranked_lottery" or not menu.draw_commitment:
            raise NotFound("没有该摇号公示。", code="draw_not_found")
        made = db.scalars(select(AllocationRun).where(AllocationRun.menu_id == menu.id,
                                                      AllocationRun.status == "published")).first()
        return menu, made

    @get("/", sync_to_thread=True)
    def show(self, request: Request[Any, Any, Any], menu_id: FromPath[int], db: DB, actor: Who) -> Template:
        menu, made = self._published(db, menu_id)
        order = _order_rows(made) if made else []
        return page(request, "public_draw.html", actor, PUBLIC, menu=queries.menu_out(menu), order=order,
                    school=db.get(School, menu.school_id))

    @get("/order.csv", sync_to_thread=True)
    def csv(self, menu_id: FromPath[int], db: DB) -> Response[str]:
        _, made = self._published(db, menu_id)
        if made is None:
            raise NotFound("尚未摇号。", code="draw_not_found")
        body = "".join(f"{ref},{tier or ''},{family}\n" for ref, tier, family in _order_rows(made))
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="draw-{menu_id}.csv"'})


def _order_rows(made: AllocationRun) -> list[tuple[str, int, str]]:
    """(draw reference, tier, sibling group) in draw order, as the draw used them (pseudonymous, no names)."""
    tiers, families = made.result.get("tiers", {}), made.result.get("families", {})
    return [(ref, int(tiers.get(ref, 0)), families.get(ref, "")) for ref in made.result["order"]]
