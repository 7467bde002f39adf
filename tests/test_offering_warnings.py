"""A course fee above the county's per-student term cap is not refused but warned — to the provider when it is
offered, as an automatic hint (not the bureau's opinion), and to the reviewer at approval."""

from __future__ import annotations

from sqlalchemy import select

from kehou.platform.context import Context
from kehou.plugins.course_catalogue.models import Offering
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import World
from tests.test_browser_catalogue import send
from tests.test_html_pages import browser


def _form(staff: int, fee_yuan: str) -> dict[str, object]:
    return {"county_code": "330106", "title": "少儿篆刻", "category": "优秀传统文化", "description": "认识印章与篆书",
            "grades": ["3", "4"], "sessions_per_week": "1", "minutes": "60", "capacity": "20", "fee_yuan": fee_yuan,
            "material_item": [""], "material_yuan": [""], "instructor_id": str(staff), "school_requirements": ""}


def test_a_fee_over_the_term_cap_is_offered_with_a_warning_the_reviewer_sees(ctx: Context, world: World) -> None:
    bs.enable(world)  # billing on: the default term cap is 600 yuan
    cs.admit(world, "provider")
    staff = cs.staff_id(world, "provider")
    with browser(ctx, "provider") as prov:
        page = send(prov, "/provider/offerings", "/provider/offerings", _form(staff, "700")).text
        assert "课程已提交" in page and "系统自动提示（并非教育局审核意见）" in page
        assert "超过本区县每生每学期收费上限600.00元，学生将无法选择此课程" in page
        assert "系统自动提示（非教育局意见）" in prov.get("/provider/offerings?county=330106").text
        plain = send(prov, "/provider/offerings", "/provider/offerings", _form(staff, "300") | {"title": "少儿书法"}).text
        assert "系统自动提示" not in plain.split("少儿书法")[0]  # a fee within the cap: no warning flashed
    with ctx.db.read_session() as s:
        over = s.scalars(select(Offering).where(Offering.title == "少儿篆刻")).one()
        within = s.scalars(select(Offering).where(Offering.title == "少儿书法")).one()
    assert over.status == "pending" and "每生每学期收费上限" in over.review_reason and within.review_reason == ""
    with browser(ctx, "reviewer1") as rev:
        desk = rev.get("/desk/offerings").text
    assert "自动核查提示" in desk and "学生将无法选择此课程" in desk


def test_without_review_an_automatic_warning_is_never_shown_as_the_bureaus_opinion(ctx: Context, world: World) -> None:
    bs.enable(world)
    bs.put(world, "catalogue.offering_approval", False)  # approved at once: nobody at the bureau looked at it
    cs.admit(world, "provider")
    with browser(ctx, "provider") as prov:
        send(prov, "/provider/offerings", "/provider/offerings", _form(cs.staff_id(world, "provider"), "700"))
        page = prov.get("/provider/offerings?county=330106").text
    with ctx.db.read_session() as s:
        assert s.scalars(select(Offering).where(Offering.title == "少儿篆刻")).one().status == "approved"
    assert "系统自动提示（非教育局意见）：" in page and "审核意见：" not in page
