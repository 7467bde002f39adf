"""The attendance pages: the school marks a whole class in one form (honest: nothing chosen for a lesson not yet
marked), a parent confirms or disputes each record, each sees only their own; on a 375 px phone in a real
browser; and the demo data has a lesson to mark today and records for parent01 to answer."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kehou.app import create_app
from kehou.platform.accounts import services as accounts
from kehou.platform.context import Context
from kehou.platform.notifications.models import Notification
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue import enrolment
from kehou.plugins.course_catalogue.models import Attendance, Lesson
from kehou.timeutil import SHANGHAI, clock
from tests import catalogue_setup as cs
from tests.apps import app_for
from tests.browser import chromium, live_server, login, require_chromium
from tests.factories import OTHER_COUNTY, PASSWORD, SYSTEM, World
from tests.test_browser_catalogue import ARTIFACTS, PHONE, flash, send
from tests.test_form_refill import refill
from tests.test_html_pages import browser, csrf


@dataclass
class Klass:
    entry: int
    lessons: list[int]  # by day: the first is today (the clock is moved to it), the others to come
    kids: dict[str, int]  # 小明 and 小红 are parent's, 小刚 is parent2's


def a_class(world: World) -> Klass:
    """The calligraphy class (Mondays 16:00) with three children, the clock on its first lesson's day at 17:30."""
    cat = cs.ready(world)
    kids = {"小明": cat.students["xiaoming"], "小红": cs.child(world, "小红", grade=4),
            "小刚": cs.child(world, "小刚", parent="parent2", new_parent=True)}
    entry = cat.entries["calligraphy"]
    ctx = world.ctx
    for name, sid in kids.items():
        with ctx.db.write_session() as s:
            enrolment.enroll(ctx, s, world.actor("parent2" if name == "小刚" else "parent"), sid, entry)
    with ctx.db.read_session() as s:
        rows = list(s.scalars(select(Lesson).where(Lesson.entry_id == entry).order_by(Lesson.day)))
    clock.advance(dt.datetime.combine(rows[0].day, dt.time(17, 30), tzinfo=SHANGHAI) - clock.now())
    return Klass(entry, [r.id for r in rows], kids)


def marks_of(ctx: Context, lesson_id: int) -> dict[int, tuple[str, str, str | None]]:
    with ctx.db.read_session() as s:
        return {a.student_id: (a.status, a.reason, a.parent_status)
                for a in s.scalars(select(Attendance).where(Attendance.lesson_id == lesson_id))}


def form(k: Klass, **answers: str) -> dict[str, str | list[str]]:
    """The marking form as the page sends it: every child listed, ``status_<name>``/``reason_<name>`` answers."""
    data: dict[str, str | list[str]] = {"student": [str(i) for i in k.kids.values()]}
    for key, value in answers.items():
        kind, name = key.split("_", 1)
        data[f"{kind}_{k.kids[name]}"] = value
    return data


def checked(page: str, sid: int) -> list[str]:
    return re.findall(rf'name="status_{sid}" value="(\w+)" required checked', page)


# --- the school marks a class ------------------------------------------------------------------------


def test_the_school_marks_a_whole_class_in_one_form(ctx: Context, world: World) -> None:
    k = a_class(world)
    today, lesson = clock.today_local(), k.lessons[0]
    url = f"/school/lessons/{lesson}"
    ming, hong, gang = k.kids["小明"], k.kids["小红"], k.kids["小刚"]
    with browser(ctx, "school_admin") as school:
        overview = school.get("/school/attendance").text
        assert "今天要点名的课" in overview and "少儿软笔书法" in overview and "未点名" in overview
        assert f'href="{url}"' in overview and f'href="/school/entries/{k.entry}"' in overview
        page = school.get(f"/school/entries/{k.entry}").text
        assert all(name in page for name in k.kids) and "学生名单（3人）" in page and "西湖青少年美术中心" in page
        assert f'href="{url}"' in page and "未点名" in page
        page = school.get(url).text
        assert page.count('type="radio"') == 9 and " checked" not in page  # honest: nothing chosen for the school
        assert "全部出勤" in page and "保存考勤" in page and f"{today.month}月{today.day}日" in page

        # leave without a reason: back to the form, every answer kept, the error on that child's reason
        typed = form(k, status_小明="present", status_小红="leave", reason_小红="", status_小刚="absent")
        page = send(school, url, url, typed).text
        assert "小红：请假须填写原因。" in flash(page)
        data = refill(page)
        assert data is not None and data["field"] == f"reason_{hong}" and data["action"] == url
        assert {key: data["values"][key] for key in typed} == typed
        assert checked(page, ming) == ["present"] and checked(page, hong) == ["leave"] and checked(page, gang) == ["absent"]
        assert marks_of(ctx, lesson) == {}

        # a child left without an answer is never marked for the school
        page = send(school, url, url, form(k, status_小明="present", status_小红="present")).text
        assert "请为小刚选择出勤、缺勤或请假。" in flash(page)
        assert (refill(page) or {})["field"] == f"status_{gang}" and marks_of(ctx, lesson) == {}

        page = send(school, url, url, form(k, status_小明="present", status_小红="leave", reason_小红="感冒发烧",
                                           status_小刚="absent", reason_小刚="")).text
        assert "已保存「少儿软笔书法」" in flash(page) and "出勤 1 人，缺勤 1 人，请假 1 人" in flash(page)
        assert marks_of(ctx, lesson) == {ming: ("present", "", None), hong: ("leave", "感冒发烧", None),
                                         gang: ("absent", "", None)}
        # re-marking: the saved marks are shown chosen, the reason filled in
        assert checked(page, ming) == ["present"] and checked(page, hong) == ["leave"] and checked(page, gang) == ["absent"]
        assert 'value="感冒发烧"' in page and "已点名 3/3" in page
        assert "已点名 3/3" in school.get("/school/attendance").text
        assert "出勤 1 · 缺勤 1 · 请假 1" in school.get(f"/school/entries/{k.entry}").text

        # 全部出勤: the children without an answer are present, an answer given is kept
        page = send(school, url, url, form(k, status_小刚="absent") | {"all_present": "yes"}).text
        assert "出勤 2 人，缺勤 1 人，请假 0 人" in flash(page)
        assert marks_of(ctx, lesson) == {ming: ("present", "", None), hong: ("present", "", None),
                                         gang: ("absent", "", None)}


def test_all_present_in_one_press_and_what_cannot_be_marked(ctx: Context, world: World) -> None:
    k = a_class(world)
    today, future = k.lessons[0], k.lessons[1]
    with browser(ctx, "school_admin") as school:
        url = f"/school/lessons/{today}"
        assert "出勤 3 人，缺勤 0 人，请假 0 人" in flash(send(school, url, url, form(k) | {"all_present": "yes"}).text)
        assert {v[0] for v in marks_of(ctx, today).values()} == {"present"} and len(marks_of(ctx, today)) == 3

        # a lesson to come: the page says so and has no form; a form sent anyway gets the service's refusal
        url = f"/school/lessons/{future}"
        page = school.get(url).text
        assert "上课当天起才能点名" in page and 'type="radio"' not in page
        page = send(school, url, url, form(k, status_小明="present", status_小红="present", status_小刚="present")).text
        assert "课次尚未开始，不能记录考勤。" in flash(page) and marks_of(ctx, future) == {}
        with ctx.db.write_session() as s:
            row = s.get(Lesson, today)
            assert row is not None
            row.status = "cancelled"
            s.commit()
        url = f"/school/lessons/{today}"
        assert "这节课已取消" in school.get(url).text
        assert "该课次已取消。" in flash(send(school, url, url, form(k) | {"all_present": "yes"}).text)


def test_the_term_picker_starts_on_the_running_term(ctx: Context, world: World) -> None:
    from kehou.plugins.course_catalogue import menus
    from kehou.plugins.course_catalogue.models import Entry
    from kehou.timeutil import utcnow

    cat = cs.ready(world)
    with ctx.db.write_session() as s:  # next term's menu, published while this term's runs
        nxt = menus.create_menu(ctx, s, world.actor("school_admin"), world.school_ids["school"], menus.MenuInput(
            opens_at=utcnow() + dt.timedelta(days=1), closes_at=utcnow() + dt.timedelta(days=3), service_start="15:30",
            service_end="17:40", term_day=clock.today_local() + dt.timedelta(days=100))).id
        offering = s.get(Entry, cat.entries["calligraphy"]).offering_id  # type: ignore[union-attr]
    later = cs.place(world, nxt, offering, [(0, "16:00")])
    cs.publish(world, nxt)
    with browser(ctx, "school_admin") as school:
        page = school.get("/school/attendance").text
        assert f'<option value="{cat.menu_id}" selected>' in page and f'<option value="{nxt}">' in page
        assert f'href="/school/entries/{cat.entries["painting"]}"' in page and f'href="/school/entries/{later}"' not in page
        page = school.get(f"/school/attendance?term={nxt}").text
        assert f'<option value="{nxt}" selected>' in page
        assert f'href="/school/entries/{later}"' in page and f'href="/school/entries/{cat.entries["painting"]}"' not in page


# --- parents -------------------------------------------------------------------------------------------


def test_a_parent_confirms_one_record_and_disputes_another(ctx: Context, world: World) -> None:
    k = a_class(world)
    lesson = k.lessons[0]
    ming, hong = k.kids["小明"], k.kids["小红"]
    with browser(ctx, "school_admin") as school:
        url = f"/school/lessons/{lesson}"
        send(school, url, url, form(k, status_小明="absent", status_小红="leave", reason_小红="看牙医", status_小刚="present"))
    with browser(ctx, "parent") as parent:
        assert 'href="/parent/attendance#child-' in parent.get(f"/parent/children/{ming}").text
        page = parent.get("/parent/attendance").text
        assert "小明" in page and "小红" in page and "小刚" not in page and page.count("待确认（1）") == 2
        assert "看牙医" in page and "缺勤" in page and "确认无误" in page and "有异议" in page
        confirm_url, dispute_url = f"/parent/attendance/{lesson}/{hong}", f"/parent/attendance/{lesson}/{ming}"
        assert f'action="{confirm_url}"' in page and f'action="{dispute_url}"' in page

        assert "已确认小红" in flash(send(parent, confirm_url, "/parent/attendance", {"answer": "confirm"}).text)
        page = send(parent, dispute_url, "/parent/attendance", {"answer": "dispute", "note": "  "}).text
        assert "提出异议请说明情况。" in flash(page)
        data = refill(page)
        assert data is not None and data["field"] == "note" and data["action"] == dispute_url
        assert re.search(rf'<article class="record waiting" id="record-{lesson}-{ming}">.*?<details open>', page, re.S)
        assert "请选择“确认无误”或“有异议”" in flash(send(parent, dispute_url, "/parent/attendance", {"answer": "maybe"}).text)
        page = send(parent, dispute_url, "/parent/attendance", {"answer": "dispute", "note": "孩子当天在校上课，请核实"}).text
        assert "已提交异议" in flash(page)
        assert "待确认（" not in page and "没有待确认的记录" in page
        assert "已确认" in page and "已提出异议" in page and "孩子当天在校上课，请核实" in page
    got = marks_of(ctx, lesson)
    assert got[hong] == ("leave", "看牙医", "confirmed") and got[ming] == ("absent", "", "disputed")
    with ctx.db.read_session() as s:
        note = s.scalars(select(Notification).where(Notification.user_id == world.users["school_admin"].id)).one()
        assert note.link == f"/school/lessons/{lesson}"
    with browser(ctx, "school_admin") as school:  # the school sees the dispute beside the child, and on its lists
        page = school.get(f"/school/lessons/{lesson}").text
        assert re.search(rf'<fieldset class="mark-row" id="student-{ming}">.*?家长有异议（缺勤）：孩子当天在校上课，请核实',
                         page, re.S)
        assert "1 条家长异议" in school.get(f"/school/entries/{k.entry}").text
        assert "1 条家长异议" in school.get("/school/attendance").text


# --- who may not ---------------------------------------------------------------------------------------


def refused(client: TestClient, url: str, post: dict[str, str] | None = None) -> None:
    if post is None:
        resp = client.get(url, follow_redirects=False)
    else:
        resp = client.post(url, data={"_csrf_token": csrf(client, "/notifications"), **post}, follow_redirects=False)
    assert resp.status_code in (403, 404), (url, resp.status_code)
    assert "出错了" in resp.text


def test_each_sees_only_their_own(ctx: Context, world: World) -> None:
    k = a_class(world)
    lesson, ming = k.lessons[0], k.kids["小明"]
    with ctx.db.write_session() as s:
        other = accounts.create_user(s, SYSTEM, username="other_school_admin", display_name="滨江初中管理员", password=PASSWORD,
                                     role="school_admin", county_code=OTHER_COUNTY, school_id=world.school_ids["other_school"])
        foreign = students.add_student(s, accounts.actor_for(other), world.school_ids["other_school"], students.StudentInput(
            student_no="B-001", name="滨江学生", grade=7, class_name="1班")).id
    with browser(ctx, "school_admin") as school:
        url = f"/school/lessons/{lesson}"
        page = send(school, url, url, {"student": str(foreign), f"status_{foreign}": "present"}).text
        assert "这个班没有在读学生" in flash(page) and "滨江学生" not in page  # never another school's child's name
        send(school, url, url, form(k) | {"all_present": "yes"})
    school_pages = [f"/school/entries/{k.entry}", f"/school/lessons/{lesson}"]
    mark = {"student": str(ming), f"status_{ming}": "absent"}
    with browser(ctx, "other_school_admin") as other:
        page = other.get("/school/attendance").text
        assert "少儿软笔书法" not in page and "本校还没有发布课程超市" in page
        for url in school_pages:
            refused(other, url)
        refused(other, f"/school/lessons/{lesson}", mark)
        refused(other, "/parent/attendance")
    with browser(ctx, "parent2") as other_parent:
        page = other_parent.get("/parent/attendance").text
        assert "小刚" in page and "小明" not in page
        refused(other_parent, f"/parent/attendance/{lesson}/{ming}", {"answer": "confirm"})
    for who in ("parent", "provider", "other_provider", "reviewer1", "decider", "police", "admin"):
        with browser(ctx, who) as client:
            for url in ["/school/attendance", *school_pages]:
                refused(client, url)
            refused(client, f"/school/lessons/{lesson}", mark)
            if who != "parent":
                refused(client, "/parent/attendance")
                refused(client, f"/parent/attendance/{lesson}/{ming}", {"answer": "dispute", "note": "x"})
    with browser(ctx, "school_admin") as school:
        refused(school, "/parent/attendance")
        refused(school, f"/parent/attendance/{lesson}/{ming}", {"answer": "confirm"})
        refused(school, "/school/lessons/999999")
        refused(school, "/school/entries/999999")
    with browser(ctx, None) as anon:
        for url in ["/school/attendance", *school_pages, "/parent/attendance"]:
            resp = anon.get(url, follow_redirects=False)
            assert resp.status_code == 303 and resp.headers["location"].startswith("/login"), url
    assert {v[0] for v in marks_of(ctx, lesson).values()} == {"present"}  # nothing changed by the refused posts
    assert {v[2] for v in marks_of(ctx, lesson).values()} == {None}


# --- on a phone, in a real browser ----------------------------------------------------------------------


@contextmanager
def phone_page(chrome, base: str, username: str) -> Iterator:  # type: ignore[no-untyped-def]
    context = chrome.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    login(page, base, username)
    try:
        yield page
    finally:
        context.close()


def no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("window.innerWidth") == 375
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone: {width}px"


@pytest.mark.browser
def test_marking_and_confirming_on_a_phone(ctx: Context, world: World) -> None:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    k = a_class(world)
    lesson, ming, hong, gang = k.lessons[0], k.kids["小明"], k.kids["小红"], k.kids["小刚"]
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        with phone_page(chrome, base, "school_admin") as page:
            page.locator("header").get_by_role("link", name="考勤", exact=True).click()
            page.wait_for_load_state()
            assert page.url.endswith("/school/attendance")
            no_sideways_scroll(page)
            page.screenshot(path=str(ARTIFACTS / "attendance-school-phone-list.png"), full_page=True)
            page.goto(f"{base}/school/entries/{k.entry}")
            no_sideways_scroll(page)
            page.screenshot(path=str(ARTIFACTS / "attendance-school-phone-class.png"), full_page=True)
            page.goto(f"{base}/school/attendance")
            page.locator(f"#lesson-{lesson} a.button").click()
            page.wait_for_load_state()
            assert page.url.endswith(f"/school/lessons/{lesson}")
            assert page.locator("input[type=radio]:checked").count() == 0
            no_sideways_scroll(page)
            page.locator(f"#student-{ming} label.choice.present").click()
            page.locator(f"#student-{hong} label.choice.leave").click()
            page.locator(f"#student-{gang} label.choice.absent").click()
            page.click("button:has-text('保存考勤')")  # a leave without its reason: back, answers kept, error beside it
            page.wait_for_load_state()
            error = page.locator(f"#student-{hong} .field-error")
            assert "请假须填写原因" in error.inner_text() and error.is_visible()
            assert page.locator(f"input[name=status_{ming}][value=present]").is_checked()
            assert page.locator(f"input[name=status_{gang}][value=absent]").is_checked()
            page.fill(f"input[name=reason_{hong}]", "感冒发烧")
            page.screenshot(path=str(ARTIFACTS / "attendance-school-phone-form.png"), full_page=True)
            page.click("button:has-text('保存考勤')")
            page.wait_for_load_state()
            assert "出勤 1 人，缺勤 1 人，请假 1 人" in page.locator(".flash.ok").inner_text()
            assert page.locator(f"input[name=status_{hong}][value=leave]").is_checked()
            no_sideways_scroll(page)
            # a full-page shot draws the sticky buttons where the screen's foot is: scrolled to the end, after the last row
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            page.screenshot(path=str(ARTIFACTS / "attendance-school-phone.png"), full_page=True)
        with phone_page(chrome, base, "parent") as page:
            page.locator("header").get_by_role("link", name="考勤确认").click()
            page.wait_for_load_state()
            assert page.url.endswith("/parent/attendance")
            no_sideways_scroll(page)
            page.locator(f"#record-{lesson}-{hong} button:has-text('确认无误')").click()
            page.wait_for_load_state()
            assert "已确认小红" in page.locator(".flash.ok").inner_text()
            record = page.locator(f"#record-{lesson}-{ming}")
            record.locator("summary:has-text('有异议')").click()
            record.locator("textarea[name=note]").fill("孩子当天在校上课，请核实")
            page.screenshot(path=str(ARTIFACTS / "attendance-parent-phone-dispute.png"), full_page=True)
            record.locator("button:has-text('提交异议')").click()
            page.wait_for_load_state()
            assert "已提交异议" in page.locator(".flash.ok").inner_text()
            no_sideways_scroll(page)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(ARTIFACTS / "attendance-parent-phone.png"), full_page=True)
    got = marks_of(ctx, lesson)
    assert got[hong][2] == "confirmed" and got[ming][2] == "disputed" and got[gang] == ("absent", "", None)


# --- the demo data -------------------------------------------------------------------------------------


def _demo_login(client: TestClient, user: str) -> None:
    from kehou.cli import demo

    resp = client.post("/login", data={"_csrf_token": csrf(client, "/login"), "username": user, "password": demo.PASSWORD},
                       follow_redirects=False)
    assert resp.status_code == 303, resp.text


def test_the_demo_has_a_lesson_to_mark_today_and_records_to_answer(ctx: Context) -> None:
    from kehou.cli import demo

    assert demo.load(ctx) is True
    with TestClient(app=app_for(ctx), base_url="http://127.0.0.1") as school:
        _demo_login(school, "school01")
        page = school.get("/school/attendance").text
        today = [li for li in re.findall(r'<li id="lesson-(\d+)">(.*?)</li>', page, re.S) if "校园足球" in li[1]]
        assert len(today) == 1 and "未点名" in today[0][1], "school01 has no football lesson to mark today"
        page = school.get(f"/school/lessons/{today[0][0]}").text
        assert "王小明" in page and "王小红" in page and " checked" not in page
        entry = re.search(r'href="/school/entries/(\d+)"><strong>校园足球', page) or re.search(
            r'<a href="/school/entries/(\d+)">← ', page)
        assert entry
        page = school.get(f"/school/entries/{entry.group(1)}").text
        assert "学生名单（22人）" in page and "出勤 " in page
    with TestClient(app=app_for(ctx), base_url="http://127.0.0.1") as parent:
        _demo_login(parent, "parent01")
        page = parent.get("/parent/attendance").text
        waiting = [int(n) for n in re.findall(r"待确认（(\d+)）", page)]
        assert len(waiting) == 2 and sum(waiting) >= 2, waiting
        assert "已确认" in page and "发烧，家长电话请假" in page
