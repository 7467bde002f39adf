"""No-show release (issue 19 part 6): off by default; where the county turns it on, unexplained absences early in
a course warn the family with a deadline; no answer releases the seat to the waitlist and billing settles it as a
quit under the county's rules; an answer goes to the school, which keeps or releases the seat. Leave and disputed
marks do not count, nor absences an earlier case counted. Through the API, the pages and a phone in chromium."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kehou.app import create_app
from kehou.platform.audit.models import AuditEntry
from kehou.platform.notifications.models import Notification
from kehou.plugins.billing_cap import statement
from kehou.plugins.billing_cap.rules import shares
from kehou.plugins.course_catalogue import enrolment, lessons, noshow
from kehou.plugins.course_catalogue.models import Enrolment, EnrolmentEvent, Entry, NoShowCase
from kehou.timeutil import SHANGHAI, clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.browser import chromium, live_server, require_chromium
from tests.factories import World
from tests.helpers import err, ok, token_headers
from tests.test_attendance_pages import no_sideways_scroll, phone_page
from tests.test_billing_terms import after_term, pay_in_full
from tests.test_browser_catalogue import ARTIFACTS
from tests.test_html_pages import browser, csrf

FEE = 30000
RULES = {"catalogue.no_show_release": True, "catalogue.no_show_absences": 2, "catalogue.no_show_weeks": 4,
         "catalogue.no_show_answer_days": 3}


def switch_on(world: World) -> None:
    for key, value in RULES.items():
        bs.put(world, key, value)


def a_course(world: World) -> tuple[int, int, list[int]]:
    """小明 (parent) enrolled in the only seat of a weekly calligraphy class; 小红 (parent2) on its waitlist.
    Billing on, the term bill paid. (student, entry, lesson ids by day)."""
    cat = bs.courses(world, {"书法": FEE})
    sid, entry = cat.students["xiaoming"], cat.entries["书法"]
    bs.enrol(world, sid, entry)
    with world.ctx.db.write_session() as s:
        s.get(Entry, entry).capacity = 1
        s.commit()
    hong = cs.child(world, "小红", parent="parent2", new_parent=True)
    with world.ctx.db.write_session() as s:
        assert enrolment.enroll(world.ctx, s, world.actor("parent2"), hong, entry, waitlist=True).enrolment.status == "waitlisted"
    bs.issue(world, cat.menu_id)
    pay_in_full(world, sid)
    return sid, entry, [lesson_id for lesson_id, _ in bs.lesson_days(world, entry)]


def at_evening_of(world: World, lesson_id: int) -> None:
    """The clock at 20:00 on the lesson's day."""
    from kehou.plugins.course_catalogue.models import Lesson

    with world.ctx.db.read_session() as s:
        day = s.get(Lesson, lesson_id).day
    clock.reset()
    clock.advance(dt.datetime.combine(day, dt.time(20), tzinfo=SHANGHAI) - clock.now())


def cases(world: World) -> list[NoShowCase]:
    with world.ctx.db.read_session() as s:
        return list(s.scalars(select(NoShowCase).order_by(NoShowCase.id)))


def told(world: World, user: str, title: str) -> list[str]:
    with world.ctx.db.read_session() as s:
        return list(s.scalars(select(Notification.body).where(Notification.user_id == world.users[user].id,
                                                              Notification.title == title)))


@pytest.mark.usefixtures("ledger_balanced")
def test_no_answer_releases_the_seat_to_the_waitlist_and_billing_settles_a_quit(world: World, client: TestClient) -> None:
    bs.put(world, "billing.refund_rules", [{"kind": "quit", "from": "term_start", "of": "untaught",
                                            "schedule": [{"within": 365, "unit": "days", "percent": 100}]}])
    sid, entry, lesson_ids = a_course(world)
    for lesson_id in lesson_ids[:2]:
        bs.deliver(world, lesson_id, {sid: "absent"})
    at_evening_of(world, lesson_ids[1])
    try:
        assert noshow.sweep(world.ctx) == {"warned": 0, "released": 0, "promoted": 0}  # off by default
        switch_on(world)
        assert noshow.sweep(world.ctx)["warned"] == 1
        assert noshow.sweep(world.ctx)["warned"] == 0  # one open case per enrolment
        [case] = cases(world)
        assert case.status == "warned" and case.lesson_ids == lesson_ids[:2]
        [warning] = told(world, "parent", "未到课提醒")
        assert "2次无故缺勤" in warning and "逾期未说明的，名额将释放给候补学生" in warning
        clock.advance(dt.timedelta(days=4))  # the deadline (3 days) passed without an answer
        err(client.post(f"/api/v1/no-show-cases/{case.id}/answer", headers=token_headers(client, "parent"),
                        json={"answer": "孩子生病了"}), 409, "no_show_deadline_passed")
        assert noshow.sweep(world.ctx) == {"warned": 0, "released": 1, "promoted": 1}
        with world.ctx.db.read_session() as s:
            mine = s.scalars(select(Enrolment).where(Enrolment.student_id == sid)).one()
            assert mine.status == "quit" and mine.ended_reason == "未到课释放名额：逾期未说明"
            assert s.scalars(select(EnrolmentEvent.action).where(EnrolmentEvent.enrolment_id == mine.id)
                             .order_by(EnrolmentEvent.id)).all()[-1] == "no_show_release"
            assert s.scalars(select(Enrolment.status).where(Enrolment.entry_id == entry, Enrolment.student_id != sid)).one() \
                == "enrolled"  # 小红 came off the waitlist
            assert s.get(Entry, entry).enrolled == 1
            actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "no_show_case")
                                .order_by(AuditEntry.id)).all()
            assert actions == ["no_show.warn", "no_show.release"]
        assert cases(world)[0].status == "released" and told(world, "parent", "名额已释放")
        assert noshow.sweep(world.ctx) == {"warned": 0, "released": 0, "promoted": 0}
        after_term()
        with world.ctx.db.write_session() as s:
            made = statement.close_term(world.ctx, s, world.actor("school_admin"), world.school_ids["school"],
                                        bs.term_name(world, menu_of(world, entry)))
        share = shares(FEE, len(lesson_ids))
        [line] = next(m for m in made if m.student_id == sid).lines
        assert line["refunds"] == {"quit": FEE - share[0] - share[1]}  # the two lessons before the release are taught
    finally:
        clock.reset()


def menu_of(world: World, entry_id: int) -> int:
    with world.ctx.db.read_session() as s:
        return s.get(Entry, entry_id).menu_id


def test_leave_and_disputes_do_not_count_and_the_school_keeps_an_explained_seat(world: World, client: TestClient) -> None:
    sid, entry, lesson_ids = a_course(world)
    switch_on(world)
    bs.deliver(world, lesson_ids[0], {sid: "absent"})
    bs.deliver(world, lesson_ids[1], {sid: "leave"})
    bs.deliver(world, lesson_ids[2], {sid: "absent"})
    at_evening_of(world, lesson_ids[2])
    try:
        with world.ctx.db.write_session() as s:  # the family says the first mark is wrong
            lessons.respond(s, world.actor("parent"), lesson_ids[0], sid, confirm=False, note="孩子当天在校")
        assert noshow.sweep(world.ctx)["warned"] == 0  # one absence counts: leave and the disputed mark do not
    finally:
        clock.reset()
    bs.deliver(world, lesson_ids[3], {sid: "absent"})
    at_evening_of(world, lesson_ids[3])
    try:
        assert noshow.sweep(world.ctx)["warned"] == 1
        [case] = cases(world)
        assert case.lesson_ids == [lesson_ids[2], lesson_ids[3]]
        parent, school = token_headers(client, "parent"), token_headers(client, "school_admin")
        [listed] = ok(client.get("/api/v1/no-show-cases", headers=parent))
        assert listed["status"] == "warned" and listed["student"] == "小明" and len(listed["absences"]) == 2
        assert ok(client.get("/api/v1/no-show-cases", headers=token_headers(client, "parent2"))) == []
        err(client.post(f"/api/v1/no-show-cases/{case.id}/answer", headers=parent, json={"answer": " "}), 400,
            "reason_required")
        err(client.post(f"/api/v1/no-show-cases/{case.id}/answer", headers=token_headers(client, "parent2"),
                        json={"answer": "不是我的孩子"}), 404, "no_show_not_found")
        assert ok(client.post(f"/api/v1/no-show-cases/{case.id}/answer", headers=parent,
                              json={"answer": "孩子这两周在外地看病，已向班主任说明"}))["status"] == "explained"
        err(client.post(f"/api/v1/no-show-cases/{case.id}/answer", headers=parent, json={"answer": "再说一次"}), 409,
            "no_show_answered")
        assert told(world, "school_admin", "家长已说明未到课情况")
        [row] = ok(client.get(f"/api/v1/schools/{world.school_ids['school']}/no-show-cases?status=explained", headers=school))
        assert row["answer"].startswith("孩子这两周在外地看病")
        err(client.get(f"/api/v1/schools/{world.school_ids['school']}/no-show-cases?status=bogus", headers=school), 400,
            "status_invalid")
        clock.advance(dt.timedelta(days=5))  # past the deadline: an explained case is not released by the job
        assert noshow.sweep(world.ctx)["released"] == 0
        with browser(world.ctx, "school_admin") as page:
            token = csrf(page, "/school/no-show")
            resp = page.post(f"/school/no-show/{case.id}", data={"_csrf_token": token, "decision": "keep", "reason": ""},
                             follow_redirects=False)
            assert resp.status_code in (303, 400) and cases(world)[0].status == "explained"  # a reason is needed
            resp = page.post(f"/school/no-show/{case.id}", data={"_csrf_token": token, "decision": "keep",
                                                                 "reason": "病假属实，保留名额"}, follow_redirects=False)
            assert resp.status_code == 303
            assert "已保留小明在「书法」的名额" in page.get(resp.headers["location"]).text
        assert cases(world)[0].status == "kept" and told(world, "parent", "名额保留")
        err(client.post(f"/api/v1/no-show-cases/{case.id}/decision", headers=school,
                        json={"keep": False, "reason": "改变主意"}), 409, "no_show_closed")
        with world.ctx.db.read_session() as s:
            assert s.scalars(select(Enrolment.status).where(Enrolment.student_id == sid)).one() == "enrolled"
        assert noshow.sweep(world.ctx)["warned"] == 0  # the absences the case counted are not counted again
    finally:
        clock.reset()


def test_the_school_may_release_at_once(world: World, client: TestClient) -> None:
    sid, entry, lesson_ids = a_course(world)
    switch_on(world)
    for lesson_id in lesson_ids[:2]:
        bs.deliver(world, lesson_id, {sid: "absent"})
    at_evening_of(world, lesson_ids[1])
    try:
        noshow.sweep(world.ctx)
        [case] = cases(world)
        got = ok(client.post(f"/api/v1/no-show-cases/{case.id}/decision", headers=token_headers(client, "school_admin"),
                             json={"keep": False, "reason": "家长电话表示不再参加"}))
        assert got["status"] == "released"
        with world.ctx.db.read_session() as s:
            assert s.scalars(select(Enrolment.status).where(Enrolment.student_id == sid)).one() == "quit"
            assert s.scalars(select(Enrolment.status).where(Enrolment.entry_id == entry, Enrolment.student_id != sid)).one() \
                == "enrolled"
            entry_audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "no_show.release")).one()
            assert entry_audit.reason == "家长电话表示不再参加" and entry_audit.actor_role == "school_admin"
            assert entry_audit.old_values == {"status": "warned"} and entry_audit.new_values == {"status": "released"}
    finally:
        clock.reset()
    # who may not: another school's administrator, other families, providers (tests/test_permissions.py)


@pytest.mark.browser
def test_a_family_answers_on_a_phone_and_the_school_decides_on_its_page(world: World) -> None:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    sid, _, lesson_ids = a_course(world)
    switch_on(world)
    for lesson_id in lesson_ids[:2]:
        bs.deliver(world, lesson_id, {sid: "absent"})
    at_evening_of(world, lesson_ids[1])
    try:
        noshow.sweep(world.ctx)
        [case] = cases(world)
        with live_server(create_app(world.ctx.settings, context=world.ctx)) as base, chromium() as chrome:
            with phone_page(chrome, base, "parent") as page:
                page.locator("header").get_by_role("link", name="考勤确认").click()
                page.wait_for_load_state()
                card = page.locator(f"#no-show-{case.id}")
                assert "已提醒，待家长说明" in card.inner_text() and "请在此前说明" in card.inner_text()
                card.locator("textarea[name=answer]").fill("孩子这两周发烧在家，已好转，下周起按时上课")
                no_sideways_scroll(page)
                page.screenshot(path=str(ARTIFACTS / "no-show-parent-375.png"), full_page=True)
                card.locator("button:has-text('提交说明')").click()
                page.wait_for_load_state()
                assert "已提交说明" in page.locator(".flash.ok").inner_text()
                assert "家长已说明，待学校处理" in page.locator(f"#no-show-{case.id}").inner_text()
            with phone_page(chrome, base, "school_admin") as page:
                page.goto(f"{base}/school/menus")
                page.get_by_role("link", name="未到课处理").click()
                page.wait_for_load_state()
                row = page.locator(f"#case-{case.id}")
                assert "孩子这两周发烧在家" in row.inner_text() and "开课后前4周内" in page.inner_text("body")
                row.locator("input[name=reason]").fill("家长说明属实，保留名额")
                no_sideways_scroll(page)
                page.screenshot(path=str(ARTIFACTS / "no-show-school.png"), full_page=True)
                row.locator("button:has-text('保留名额')").click()
                page.wait_for_load_state()
                assert "已保留小明在「书法」的名额" in page.locator(".flash.ok").inner_text()
                assert chrome.dialogs == []  # keeping asks nothing; releasing asks first
    finally:
        clock.reset()
    assert cases(world)[0].status == "kept"
