"""The course catalogue's web pages: a parent choosing courses on a phone in a real browser, and every
form of the provider, county, school and parent pages through the app (TestClient)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from kehou.app import create_app
from kehou.platform.students.models import Student
from kehou.plugins.course_catalogue.models import Entry, Lesson, Menu, Offering
from kehou.timeutil import SHANGHAI, as_utc, clock, utcnow
from tests import catalogue_setup as cs
from tests.browser import chromium, live_server, require_chromium
from tests.factories import PASSWORD, World
from tests.test_html_pages import browser, csrf

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 375, "height": 740}


def send(client, url: str, back: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    """Post a form as the page ``back`` would: its CSRF token, and ``back`` as the Referer (where errors return)."""
    return client.post(url, data={"_csrf_token": csrf(client, back), **(data or {})},
                       headers={"referer": f"http://127.0.0.1{back}"})


def flash(html: str) -> str:
    """The flash messages of a page, as text."""
    return " ".join(re.findall(r'<div class="flash \w+" role="(?:status|alert)">([^<]*)</div>', html))


# --- in a real browser ------------------------------------------------------------------------------


@pytest.mark.browser
def test_parent_selects_two_courses_on_a_phone(ctx, world: World) -> None:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    cat = cs.ready(world)
    sid = cat.students["xiaoming"]
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        phone = chrome.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        page = phone.new_page()
        page.goto(f"{base}/login?next=/parent")
        page.fill("input[name=username]", "parent")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('登录')")
        page.wait_for_load_state()
        assert page.url.endswith("/parent"), page.url
        assert "小明" in page.inner_text("main")
        page.click("a:has-text('选课和课表')")
        page.wait_for_load_state()
        assert page.url.endswith(f"/parent/children/{sid}")
        assert "还没有选课" in page.inner_text("#timetable ~ p")

        for key, title in (("calligraphy", "少儿软笔书法"), ("painting", "国画入门")):
            card = page.locator(f"#course-{cat.entries[key]}")
            assert "¥300.00" in card.inner_text() and "¥20.00" in card.inner_text() and "30/30" in card.inner_text()
            card.locator("button:has-text('选课')").click()
            page.wait_for_load_state()
            assert f"已选上「{title}」" in page.locator(".flash.ok").inner_text()
            card = page.locator(f"#course-{cat.entries[key]}")
            assert "已选上" in card.locator(".status.mine").inner_text()
            assert card.locator("button:has-text('退课')").count() == 1
            assert "29/30" in card.inner_text()

        table = page.locator("ol.timetable")
        rows = [table.locator("li").nth(i).inner_text() for i in range(5)]
        assert rows[0].startswith("周一") and "16:00-17:00 少儿软笔书法" in rows[0] and "书法教室" in rows[0]
        assert rows[1].startswith("周二") and "16:00-17:00 国画入门" in rows[1] and "美术教室" in rows[1]
        assert all("—" in r for r in rows[2:])

        assert page.evaluate("window.innerWidth") == 375  # the viewport meta is honoured
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways on a phone: {width}px"
        page.screenshot(path=str(ARTIFACTS / "parent-selection-375.png"), full_page=True)


# --- every form, through the app --------------------------------------------------------------------


def local_input(value: dt.datetime) -> str:
    return as_utc(value).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def test_provider_offers_a_course_and_the_county_reviews_it(ctx, world: World) -> None:
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    staff = cs.staff_id(world, "provider")
    form = {"county_code": "330106", "title": "少儿篆刻", "category": "优秀传统文化", "description": "认识印章与篆书",
            "grades": ["3", "4"], "sessions_per_week": "1", "minutes": "60", "capacity": "20", "fee_yuan": "12.345",
            "material_item": ["刻刀", "印石", ""], "material_yuan": ["15", "5.5", ""], "instructor_id": str(staff),
            "school_requirements": "美术教室"}
    with browser(ctx, "provider") as prov:
        page = prov.get("/provider/offerings").text
        assert "西湖区" in page and 'name="fee_yuan"' in page and "王老师" in page
        assert "最多两位小数" in flash(send(prov, "/provider/offerings", "/provider/offerings", form).text)
        resp = send(prov, "/provider/offerings", "/provider/offerings", form | {"fee_yuan": "300.5"})
        assert "等待教育局审核" in flash(resp.text)
        assert "少儿篆刻" in resp.text and "300.50" in resp.text and "20.50" in resp.text and "待教育局审核" in resp.text
    with ctx.db.read_session() as s:
        o = s.scalars(select(Offering).where(Offering.title == "少儿篆刻")).one()
        assert (o.fee_fen, o.materials_fee_fen, o.grades, o.status) == (30050, 2050, [3, 4], "pending")
        assert o.materials == [{"item": "刻刀", "fen": 1500}, {"item": "印石", "fen": 550}]

    with browser(ctx, "other_reviewer") as other:
        assert "少儿篆刻" not in other.get("/desk/offerings").text  # another county's queue
    with browser(ctx, "reviewer1") as rev:
        page = rev.get("/desk/offerings").text
        assert "少儿篆刻" in page and "西湖青少年美术中心" in page and "300.50" in page
        resp = send(rev, f"/desk/offerings/{o.id}/review", "/desk/offerings", {"approve": "no", "reason": ""})
        assert "须说明理由" in flash(resp.text)
        resp = send(rev, f"/desk/offerings/{o.id}/review", "/desk/offerings", {"approve": "yes"})
        assert "审核通过" in flash(resp.text) and "没有待审核的课程" in resp.text

    with browser(ctx, "provider") as prov:
        resp = send(prov, f"/provider/offerings/{o.id}/withdraw", "/provider/offerings", {"reason": "教师调动"})
        assert "已撤下" in flash(resp.text)
    with browser(ctx, "other_provider") as other:  # not admitted anywhere: told so, and cannot touch another's course
        page = other.get("/provider/offerings").text
        assert "尚未在任何区县准入" in page and "少儿篆刻" not in page
        assert send(other, f"/provider/offerings/{o.id}/withdraw", "/provider/offerings").status_code == 404


def test_school_builds_and_publishes_a_menu_and_manages_classes(ctx, world: World) -> None:
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    o1 = cs.offering(world, "provider", "少儿软笔书法")
    o2 = cs.offering(world, "provider", "国画入门", category="体育艺术")
    opens = utcnow() - dt.timedelta(minutes=1)
    with browser(ctx, "school_admin") as school:
        menu_form = {"opens_at": "明天", "closes_at": "", "service_start": "15:30", "service_end": "17:40"}
        assert "须为日期和时刻" in flash(send(school, "/school/menus", "/school/menus", menu_form).text)
        resp = send(school, "/school/menus", "/school/menus", menu_form | {
            "opens_at": local_input(opens), "closes_at": local_input(opens + dt.timedelta(days=2)), "homework_minutes": "40"})
        assert "课程超市已建立" in flash(resp.text)
        menu_id = int(str(resp.url).rstrip("/").rsplit("/", 1)[1])
        with ctx.db.read_session() as s:  # Beijing time in the form, UTC in the database
            assert as_utc(s.get(Menu, menu_id).opens_at) == opens.replace(second=0, microsecond=0)
        builder = f"/school/menus/{menu_id}"
        page = school.get(builder).text
        assert "少儿软笔书法" in page and "国画入门" in page and "草稿" in page
        assert "国画入门" not in school.get(f"{builder}?q=书法").text

        def place(offering_id: int, weekday: str, grades: list[str], start: str = "16:00") -> str:
            return send(school, f"{builder}/entries", builder, {
                "offering_id": str(offering_id), "weekday": [weekday], "start": [start], "venue": "书法教室", "capacity": "30",
                "grades": grades}).text

        assert "不在本校课后服务时段" in flash(place(o1, "0", [], start="17:00"))
        assert "已排入" in flash(place(o1, "0", ["3"]))
        assert "已排入" in flash(place(o1, "2", ["4"]))
        page = place(o2, "1", [])
        with ctx.db.read_session() as s:
            e3, e4, painting = s.scalars(select(Entry.id).where(Entry.menu_id == menu_id).order_by(Entry.id)).all()
        assert page.count("0/30") == 3
        assert "已从课程超市移除" in flash(send(school, f"/school/entries/{painting}/remove", builder).text)
        assert send(school, f"/school/entries/{e3}/teleport", builder).status_code == 404
        resp = send(school, f"{builder}/publish", builder)
        assert "已发布" in flash(resp.text) and "草稿" not in resp.text.split('id="menu-status"')[1][:40]

        printed = school.get(f"{builder}/print").text
        assert "西湖小学" in printed and "少儿软笔书法" in printed and "300.00" in printed and "毛笔 15.00" in printed
        assert "周一" in printed and "周三" in printed and "<form" not in printed.split("<main>")[1]

        resp = send(school, f"/school/entries/{e3}/merge", builder, {"into_id": str(e4), "reason": "人数不足"})
        assert "班级已合并" in flash(resp.text)
        o3 = cs.offering(world, "provider", "国画入门", category="体育艺术")
        place(o3, "1", [])
        with ctx.db.read_session() as s:
            new = s.scalars(select(Entry.id).where(Entry.offering_id == o3)).one()
        assert "原因" in flash(send(school, f"/school/entries/{new}/cancel", builder, {"reason": ""}).text)
        assert "已取消开班" in flash(send(school, f"/school/entries/{new}/cancel", builder, {"reason": "场地维修"}).text)
    with browser(ctx, "parent") as parent:  # another role cannot act on the school's classes
        assert send(parent, f"/school/entries/{e4}/cancel", "/parent", {"reason": "x"}).status_code == 403


def test_school_roster_and_parent_selection_with_waitlist(ctx, world: World) -> None:
    cat = cs.ready(world)
    roster = "/school/students"
    with browser(ctx, "school_admin") as school:
        resp = send(school, roster, roster, {"student_no": "G-001", "name": "小红", "grade": "3", "class_name": "2班",
                                             "priority_group": ""})
        assert "学生已登记" in flash(resp.text) and "小红" in resp.text
        with ctx.db.read_session() as s:
            red = s.scalars(select(Student.id).where(Student.name == "小红")).one()
        assert "没有该家长账号" in flash(send(school, f"{roster}/{red}/guardians", roster, {"username": "nobody"}).text)
        resp = send(school, f"{roster}/{red}/guardians", roster, {"username": "parent", "relation": "父亲"})
        assert "已关联" in flash(resp.text) and "parent（父亲）" in resp.text
        resp = send(school, f"{roster}/{red}/priority", roster, {"priority_group": "left_behind", "reason": "父母均在外务工"})
        assert "已更新" in flash(resp.text) and "留守儿童" in resp.text
    small = cs.place(world, cat.menu_id, cs.offering(world, "provider", "创意手工", category="劳动实践"), [(3, "16:00")],
                     capacity=1, venue="手工教室")

    ming = cat.students["xiaoming"]
    with browser(ctx, "parent") as parent:
        page = parent.get("/parent").text
        assert "小明" in page and "小红" in page and "留守" not in page
        mine, hers = f"/parent/children/{ming}", f"/parent/children/{red}"
        page = parent.get(mine).text
        assert "少儿软笔书法" in page and "¥300.00" in page and "1/1" in page and "留守" not in page
        assert "已选上「创意手工」" in flash(send(parent, f"{mine}/enrol", mine, {"entry_id": str(small)}).text)
        assert "已经选过「创意手工」" in flash(send(parent, f"{mine}/enrol", mine, {"entry_id": str(small)}).text)
        card = parent.get(hers).text.split(f'id="course-{small}"')[1].split("</article>")[0]
        assert "已满" in card and "加入候补" in card
        assert "名额已满" in flash(send(parent, f"{hers}/enrol", hers, {"entry_id": str(small)}).text)
        resp = send(parent, f"{hers}/enrol", hers, {"entry_id": str(small), "waitlist": "yes"})
        assert "已加入候补" in flash(resp.text) and "（候补）" in resp.text
        assert "已退出「创意手工」" in flash(send(parent, f"{mine}/quit", mine, {"entry_id": str(small)}).text)
        assert "16:00-17:00 创意手工 <small>" in parent.get(hers).text  # the freed seat went to the waitlist
        resp = send(parent, f"{mine}/quit", mine, {"entry_id": str(small)})
        assert resp.status_code == 404 and "没有选这门课" in resp.text
    with browser(ctx, "school_admin") as school:  # a school admin cannot enrol a child
        assert send(school, f"/parent/children/{ming}/enrol", roster, {"entry_id": str(small)}).status_code == 403


def test_provider_checks_in_on_the_lesson_day(ctx, world: World) -> None:
    """Inside the county's window (from 30 minutes before the start); too early refused; after 15 minutes past the
    start a check-in needs a reason, which the school sees on the lesson's page and in a notification."""
    cat = cs.ready(world)
    with ctx.db.read_session() as s:
        first, second = s.scalars(select(Lesson).where(Lesson.entry_id == cat.entries["calligraphy"]).order_by(Lesson.day)
                                  .limit(2)).all()

    def at(day: dt.date, hour: int, minute: int) -> None:
        clock.advance(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI) - clock.now())

    staff = {"staff_id": str(cs.staff_id(world, "provider"))}
    at(first.day, 15, 20)
    with browser(ctx, "provider") as prov:
        page = prov.get("/provider/lessons").text
        assert "少儿软笔书法" in page and "西湖小学" in page and "16:00-17:00" in page and "待上课" in page
        assert "签到时段为上课前30分钟起（本课次15:30起）" in flash(send(prov, f"/provider/lessons/{first.id}/check-in",
                                                                 "/provider/lessons", staff).text)
        at(first.day, 15, 50)
        resp = send(prov, f"/provider/lessons/{first.id}/check-in", "/provider/lessons", staff)
        assert "服务协议尚未由双方全部签署" in flash(resp.text)
        cs.sign_service(world, cat.entries["calligraphy"])
        resp = send(prov, f"/provider/lessons/{first.id}/check-in", "/provider/lessons", staff)
        assert "已签到" in flash(resp.text) and "王老师" in resp.text and "迟到签到" not in resp.text
        at(second.day, 16, 16)  # the next lesson, 16 minutes after its start
        resp = send(prov, f"/provider/lessons/{second.id}/check-in", "/provider/lessons", staff)
        assert "已超过上课开始后15分钟，迟到签到须填写原因" in resp.text
        resp = send(prov, f"/provider/lessons/{second.id}/check-in", "/provider/lessons",
                    {**staff, "late_reason": "路上堵车"})
        assert "已签到" in flash(resp.text) and "迟到签到" in resp.text and "路上堵车" in resp.text
    with browser(ctx, "school_admin") as school:
        assert "路上堵车" in school.get(f"/school/lessons/{second.id}").text
        assert "路上堵车" not in school.get(f"/school/lessons/{first.id}").text
        assert "迟到签到" in school.get("/notifications").text
    with browser(ctx, "other_provider") as other:
        assert "少儿软笔书法" not in other.get("/provider/lessons").text
        assert send(other, f"/provider/lessons/{first.id}/check-in", "/provider/lessons", {"staff_id": "1"}).status_code == 404


def test_pages_never_show_a_suspended_providers_courses(ctx, world: World) -> None:
    cat = cs.ready(world)
    child = f"/parent/children/{cat.students['xiaoming']}"
    builder = f"/school/menus/{cat.menu_id}"
    titles = ("少儿软笔书法", "国画入门")
    with browser(ctx, "parent") as parent:
        send(parent, f"{child}/enrol", child, {"entry_id": str(cat.entries["calligraphy"])})
        assert all(t in parent.get(child).text for t in titles)
    with browser(ctx, "school_admin") as school:
        assert all(t in school.get(builder).text for t in titles)

    cs.set_whitelist_status(world, "provider", "suspended")
    with browser(ctx, "parent") as parent:
        page = parent.get(child).text
        assert not any(t in page for t in titles) and "没有可选的课程" in page and "还没有选课" in page
        assert not any(t in parent.get(f"{child}?q=书法").text for t in titles)
        assert send(parent, f"{child}/enrol", child, {"entry_id": str(cat.entries["painting"])}).status_code == 404
    with browser(ctx, "school_admin") as school:
        for url in (builder, f"{builder}?q=书法", f"{builder}/print"):
            assert not any(t in school.get(url).text for t in titles), url
        assert "没有符合条件的课程" in school.get(builder).text
