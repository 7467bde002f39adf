"""Course catalogue: offerings, menus, selection, waitlists, small classes (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from kehou.platform.context import Context
from kehou.plugins.course_catalogue.models import Enrolment, EnrolmentEvent, Entry, Lesson
from kehou.timeutil import clock
from tests import catalogue_setup as cs
from tests.factories import World
from tests.helpers import err, ok, token_headers


def test_parent_selects_and_gets_one_timetable(client: TestClient, ctx: Context, world: World) -> None:
    cat = cs.ready(world)
    sid = cat.students["xiaoming"]
    parent = token_headers(client, "parent")
    courses = ok(client.get(f"/api/v1/children/{sid}/courses", headers=parent))
    assert {c["title"] for c in courses} == {"少儿软笔书法", "国画入门"}
    assert all(c["my_status"] is None and c["seats_left"] == 30 for c in courses)
    first = client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["calligraphy"]})
    assert first.status_code == 201 and first.json()["status"] == "enrolled"
    again = client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["calligraphy"]})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    ok(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["painting"]}), 201)
    table = ok(client.get(f"/api/v1/children/{sid}/timetable", headers=parent))
    assert [(r["title"], r["weekday"], r["start"], r["end"]) for r in table] == [
        ("少儿软笔书法", 0, "16:00", "17:00"), ("国画入门", 1, "16:00", "17:00")]
    with ctx.db.read_session() as s:
        assert s.get(Entry, cat.entries["calligraphy"]).enrolled == 1
        assert s.scalar(select(func.count()).select_from(EnrolmentEvent)) == 2
        assert s.scalar(select(func.count()).select_from(Lesson).where(Lesson.entry_id == cat.entries["painting"])) > 0


def _notes(ctx: Context, user_id: int) -> list[str]:
    from kehou.platform.notifications.models import Notification

    with ctx.db.read_session() as s:
        return [n.title for n in s.scalars(select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))]


def test_offerings_come_only_from_admitted_providers_within_their_categories(
    client: TestClient, ctx: Context, world: World
) -> None:
    cs.enable_catalogue(world)
    prov = token_headers(client, "provider")
    body = {"county_code": "330106", "title": "少儿软笔书法", "category": "优秀传统文化", "grades": [3, 4],
            "sessions_per_week": 1, "minutes": 60, "capacity": 30, "fee_fen": 30000,
            "instructor_id": cs.staff_id(world, "provider"),
            "materials_fee_fen": 2000, "materials": [{"item": "毛笔", "fen": 1500}, {"item": "毛边纸", "fen": 500}]}
    err(client.post("/api/v1/offerings", headers=prov, json=body), 403, "provider_not_admitted")
    err(client.post("/api/v1/offerings", headers=prov, json=body | {"county_code": "330108"}), 403, "catalogue_disabled")
    cs.admit(world, "provider", categories=["优秀传统文化"])
    err(client.post("/api/v1/offerings", headers=prov, json=body | {"category": "体育艺术"}), 400, "category_not_admitted")
    err(client.post("/api/v1/offerings", headers=prov, json=body | {"category": "奥数"}), 400, "category_unknown")
    err(client.post("/api/v1/offerings", headers=prov, json=body | {"materials_fee_fen": 1000}), 400, "materials_fee_mismatch")
    err(client.post("/api/v1/offerings", headers=prov, json=body | {"grades": [0]}), 400, "grades_invalid")
    err(client.post("/api/v1/offerings", headers=prov, json=body | {"fee_fen": -1}), 400, "fee_invalid")
    blocked = err(client.post("/api/v1/offerings", headers=prov, json=body | {"title": "小学数学同步辅导"}), 400,
                  "offering_content_blocked")
    assert "数学" in blocked["message"]
    err(client.post("/api/v1/offerings", headers=prov, json=body | {"description": "报名即送优惠券"}), 400,
        "offering_content_blocked")
    other_staff = cs.staff_id(world, "other_provider")
    err(client.post("/api/v1/offerings", headers=prov, json=body | {"instructor_id": other_staff}), 400, "instructor_not_vetted")
    created = ok(client.post("/api/v1/offerings", headers=prov, json=body), 201)
    assert created["status"] == "pending"  # the county approves offerings by default
    school = token_headers(client, "school_admin")
    assert ok(client.get(f"/api/v1/schools/{world.school_ids['school']}/offerings", headers=school)) == []
    reviewer = token_headers(client, "reviewer1")
    assert [o["id"] for o in ok(client.get("/api/v1/offerings?status=pending", headers=reviewer))] == [created["id"]]
    err(client.post(f"/api/v1/offerings/{created['id']}/review", headers=reviewer, json={"approve": False}), 400,
        "reason_required")
    ok(client.post(f"/api/v1/offerings/{created['id']}/review", headers=reviewer, json={"approve": True}))
    listed = ok(client.get(f"/api/v1/schools/{world.school_ids['school']}/offerings", headers=school))
    assert [o["title"] for o in listed] == ["少儿软笔书法"] and listed[0]["materials_fee_fen"] == 2000


def test_a_county_that_has_not_enabled_the_catalogue_refuses_it(ctx: Context, world: World) -> None:
    cs.admit(world, "provider")
    with pytest.raises(Exception) as exc:
        cs.offering(world, "provider")
    assert getattr(exc.value, "code", "") == "catalogue_disabled"


def test_menu_time_windows_follow_county_settings(client: TestClient, ctx: Context, world: World) -> None:
    clock.advance(dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC) - clock.now())  # before the window below opens
    cs.enable_catalogue(world)
    school = token_headers(client, "school_admin")
    url = f"/api/v1/schools/{world.school_ids['school']}/menus"
    base = {"opens_at": "2026-11-25T00:00:00Z", "closes_at": "2026-11-27T00:00:00Z", "service_start": "15:30",
            "service_end": "17:40", "homework_minutes": 40}
    err(client.post(url, headers=school, json=base | {"service_end": "18:20"}), 400, "service_too_late")  # primary: 18:00
    err(client.post(url, headers=school, json=base | {"service_end": "17:00"}), 400, "service_too_short")  # < 2 hours
    err(client.post(url, headers=school, json=base | {"homework_minutes": 60}), 400, "homework_too_long")  # > one period
    err(client.post(url, headers=school, json=base | {"service_end": "25:00"}), 400, "time_invalid")
    err(client.post(url, headers=school, json=base | {"closes_at": "2026-11-24T00:00:00Z"}), 400, "window_invalid")
    menu = ok(client.post(url, headers=school, json=base), 201)
    assert menu["term_name"] == "2026-2027学年第一学期" and menu["status"] == "draft"
    err(client.post(url, headers=school, json=base), 409, "menu_exists")
    cs.admit(world, "provider")
    oid = cs.offering(world, "provider")
    place = f"/api/v1/menus/{menu['id']}/entries"
    slot = {"offering_id": oid, "venue": "书法教室", "capacity": 30, "slots": [{"weekday": 0, "start": "17:00"}]}
    err(client.post(place, headers=school, json=slot), 400, "slot_outside_service")  # 17:00-18:00 ends after 17:40
    err(client.post(place, headers=school, json=slot | {"slots": [{"weekday": 5, "start": "16:00"}]}), 400, "weekday_invalid")
    err(client.post(place, headers=school, json=slot | {"slots": []}), 400, "slot_count_mismatch")
    err(client.post(place, headers=school, json=slot | {"capacity": 31}), 400, "capacity_invalid")
    err(client.post(place, headers=school, json=slot | {"grades": [7]}), 400, "grades_invalid")
    err(client.post(f"/api/v1/menus/{menu['id']}/publish", headers=school), 409, "menu_empty")
    ok(client.post(place, headers=school, json=slot | {"slots": [{"weekday": 0, "start": "16:00"}]}), 201)
    cs.child(world, "小明")  # the parent is linked before publishing: they are told
    published = ok(client.post(f"/api/v1/menus/{menu['id']}/publish", headers=school))
    assert published["status"] == "published"
    assert _notes(ctx, world.users["parent"].id) == ["课程超市已发布"]


def test_full_course_waitlist_is_promoted_in_order_when_a_seat_frees(client: TestClient, ctx: Context, world: World) -> None:
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    m = cs.menu(world)
    entry = cs.place(world, m, cs.offering(world, "provider"), [(0, "16:00")], capacity=1)
    cs.publish(world, m)
    first = cs.child(world, "甲")
    second = cs.child(world, "乙", parent="parent_b", new_parent=True)
    third = cs.child(world, "丙", parent="parent_c", new_parent=True)
    a, b, c = (token_headers(client, u) for u in ("parent", "parent_b", "parent_c"))
    ok(client.post(f"/api/v1/children/{first}/enrolments", headers=a, json={"entry_id": entry}), 201)
    full = err(client.post(f"/api/v1/children/{second}/enrolments", headers=b, json={"entry_id": entry}), 409, "course_full")
    assert full["extra"] == {"waitlist": True}
    assert ok(client.post(f"/api/v1/children/{second}/enrolments", headers=b, json={"entry_id": entry, "waitlist": True}),
              201)["status"] == "waitlisted"
    ok(client.post(f"/api/v1/children/{third}/enrolments", headers=c, json={"entry_id": entry, "waitlist": True}), 201)
    err(client.post(f"/api/v1/children/{first}/enrolments/{entry}/quit", headers=b, json={}), 404, "student_not_found")
    ok(client.post(f"/api/v1/children/{first}/enrolments/{entry}/quit", headers=a, json={"reason": "时间冲突"}))
    mine = {c["id"]: c["my_status"] for c in ok(client.get(f"/api/v1/children/{second}/courses", headers=b))}
    assert mine[entry] == "enrolled"
    courses = ok(client.get(f"/api/v1/children/{third}/courses", headers=c))
    assert {course["id"]: course["my_status"] for course in courses}[entry] == "waitlisted"
    assert "候补成功" in _notes(ctx, world.users["parent_b"].id)
    assert counts_ok(ctx, entry, 1)
    with ctx.db.read_session() as s:
        actions = [e.action for e in s.scalars(select(EnrolmentEvent).where(EnrolmentEvent.entry_id == entry)
                                               .order_by(EnrolmentEvent.id))]
    assert actions == ["enrol", "waitlist", "waitlist", "quit", "promote"]


def counts_ok(ctx: Context, entry_id: int, expected: int) -> bool:
    with ctx.db.read_session() as s:
        rows = s.scalar(select(func.count()).select_from(Enrolment)
                        .where(Enrolment.entry_id == entry_id, Enrolment.status == "enrolled"))
        return rows == expected == s.get(Entry, entry_id).enrolled


def test_priority_groups_choose_first_and_grades_are_respected(client: TestClient, ctx: Context, world: World) -> None:
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    m = cs.menu(world, opens_in=dt.timedelta(hours=2))
    entry = cs.place(world, m, cs.offering(world, "provider", grades=[3, 4]), [(0, "16:00")])
    cs.publish(world, m)
    plain = cs.child(world, "普通")
    left_behind = cs.child(world, "留守", priority="left_behind")
    young = cs.child(world, "一年级", grade=1)
    parent = token_headers(client, "parent")
    err(client.post(f"/api/v1/children/{plain}/enrolments", headers=parent, json={"entry_id": entry}), 409, "selection_not_open")
    got = ok(client.post(f"/api/v1/children/{left_behind}/enrolments", headers=parent, json={"entry_id": entry}), 201)
    assert got["source"] == "priority"
    children = ok(client.get("/api/v1/me/children", headers=parent))
    assert children and all("priority_group" not in c for c in children)  # school staff only
    roster = ok(client.get(f"/api/v1/schools/{world.school_ids['school']}/students",
                           headers=token_headers(client, "school_admin")))
    assert {r["name"]: r["priority_group"] for r in roster}["留守"] == "left_behind"
    assert [c["id"] for c in ok(client.get(f"/api/v1/children/{young}/courses", headers=parent))] == []
    ctx_clock_advance(dt.timedelta(hours=3))
    err(client.post(f"/api/v1/children/{young}/enrolments", headers=parent, json={"entry_id": entry}), 400, "grade_not_eligible")
    ok(client.post(f"/api/v1/children/{plain}/enrolments", headers=parent, json={"entry_id": entry}), 201)


def ctx_clock_advance(delta: dt.timedelta) -> None:
    from kehou.timeutil import clock

    clock.advance(delta)


def test_after_the_window_small_classes_are_flagged_then_cancelled_or_merged(
    client: TestClient, ctx: Context, world: World
) -> None:
    from kehou.plugins.course_catalogue import classes

    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    oid = cs.offering(world, "provider", grades=[2, 3, 4])
    other = cs.offering(world, "provider", "国画入门", category="体育艺术",
                        instructor=cs.add_instructor(world, "provider", "赵老师"))
    m = cs.menu(world, hours=2)
    grade2 = cs.place(world, m, oid, [(0, "16:00")], grades=[2])
    grade3 = cs.place(world, m, oid, [(1, "16:00")], grades=[3])
    painting = cs.place(world, m, other, [(2, "16:00")])
    cs.publish(world, m)
    parent = token_headers(client, "parent")
    kid2, kid3 = cs.child(world, "二年级", grade=2), cs.child(world, "三年级", grade=3)
    for kid, entry in ((kid2, grade2), (kid3, grade3), (kid3, painting)):
        ok(client.post(f"/api/v1/children/{kid}/enrolments", headers=parent, json={"entry_id": entry}), 201)
    ctx_clock_advance(dt.timedelta(hours=3))
    with ctx.db.write_session() as s:
        assert classes.close_windows(ctx, s) == 1
        assert classes.close_windows(ctx, s) == 0  # once per menu
    school = token_headers(client, "school_admin")
    entries = {e["id"]: e for e in ok(client.get(f"/api/v1/menus/{m}", headers=school))["entries"]}
    assert {i for i, e in entries.items() if e["flag"] == "undersized"} == {grade2, grade3, painting}  # all below 30
    assert "选课结束：有班级人数不足" in _notes(ctx, world.users["school_admin"].id)
    err(client.post(f"/api/v1/entries/{grade2}/merge", headers=school, json={"into_id": painting, "reason": "人数不足"}), 400,
        "merge_different_course")
    merged = ok(client.post(f"/api/v1/entries/{grade2}/merge", headers=school,
                            json={"into_id": grade3, "reason": "人数不足，跨年级合班"}))
    assert merged["enrolled"] == 2 and merged["grades"] == [2, 3]
    assert {r["name"] for r in ok(client.get(f"/api/v1/entries/{grade3}/roster", headers=school))} == {"二年级", "三年级"}
    err(client.post(f"/api/v1/entries/{painting}/cancel", headers=school, json={}), 400, "reason_required")
    ok(client.post(f"/api/v1/entries/{painting}/cancel", headers=school, json={"reason": "报名人数不足"}))
    assert "课程取消开班" in _notes(ctx, world.users["parent"].id)
    table = ok(client.get(f"/api/v1/children/{kid3}/timetable", headers=parent))
    assert [r["entry_id"] for r in table] == [grade3]
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Lesson).where(Lesson.entry_id == painting,
                                                                       Lesson.status == "scheduled")) == 0


@pytest.mark.parametrize("state", ["suspended", "exited", "expired"])
def test_no_path_shows_or_enrols_a_course_of_a_provider_not_admitted_today(client: TestClient, ctx: Context, world: World,
                                                                           state: str) -> None:
    cat = cs.ready(world)
    sid = cat.students["xiaoming"]
    other_kid = cs.child(world, "小刚")
    parent, school = token_headers(client, "parent"), token_headers(client, "school_admin")
    ok(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["calligraphy"]}), 201)
    spare = cs.offering(world, "provider", "篆刻体验")
    if state == "expired":
        from kehou.timeutil import clock

        clock.advance(dt.timedelta(days=400))  # past the whitelist's valid_until
    else:
        cs.set_whitelist_status(world, "provider", state)
    parent, school = token_headers(client, "parent"), token_headers(client, "school_admin")  # fresh after a time jump
    school_id = world.school_ids["school"]
    assert ok(client.get(f"/api/v1/schools/{school_id}/offerings", headers=school)) == []
    assert ok(client.get(f"/api/v1/schools/{school_id}/offerings?q=书法", headers=school)) == []
    assert ok(client.get(f"/api/v1/menus/{cat.menu_id}", headers=school))["entries"] == []
    if state != "expired":  # a menu after the term has ended takes no new courses anyway
        err(client.post(f"/api/v1/menus/{cat.menu_id}/entries", headers=school, json={
            "offering_id": spare, "venue": "教室", "capacity": 10, "slots": [{"weekday": 3, "start": "16:00"}]}), 404,
            "offering_not_found")
    for kid in (sid, other_kid):
        assert ok(client.get(f"/api/v1/children/{kid}/courses", headers=parent)) == []
        assert ok(client.get(f"/api/v1/children/{kid}/courses?q=国画", headers=parent)) == []
        err(client.get(f"/api/v1/children/{kid}/courses/{cat.entries['painting']}", headers=parent), 404, "entry_not_found")
    err(client.post(f"/api/v1/children/{other_kid}/enrolments", headers=parent, json={"entry_id": cat.entries["painting"]}),
        404, "entry_not_found")
    assert ok(client.get(f"/api/v1/children/{sid}/timetable", headers=parent)) == []


def test_an_offering_of_another_county_never_reaches_this_countys_schools(client: TestClient, ctx: Context, world: World) -> None:
    cat = cs.ready(world)
    cs.enable_catalogue(world, "330108")
    cs.admit(world, "other_provider", county="330108")
    theirs = cs.offering(world, "other_provider", "滨江足球", county="330108", category="体育艺术")
    school = token_headers(client, "school_admin")
    offered = ok(client.get(f"/api/v1/schools/{world.school_ids['school']}/offerings", headers=school))
    assert all(o["id"] != theirs for o in offered)
    err(client.post(f"/api/v1/menus/{cat.menu_id}/entries", headers=school, json={
        "offering_id": theirs, "venue": "操场", "capacity": 10, "slots": [{"weekday": 3, "start": "16:00"}]}), 404,
        "offering_not_found")


def bs_term(ctx: Context, menu_id: int) -> str:
    from kehou.plugins.course_catalogue.models import Menu

    with ctx.db.read_session() as s:
        return s.get(Menu, menu_id).term_name


def test_lessons_check_in_attendance_and_a_parent_dispute(client: TestClient, ctx: Context, world: World) -> None:
    from kehou.platform.agreements import services as agreements
    from kehou.platform.agreements.models import Agreement
    from kehou.plugins.course_catalogue import public
    from kehou.plugins.course_catalogue.agreements import service_subject
    from kehou.timeutil import SHANGHAI, clock

    cat = cs.ready(world)
    sid, entry = cat.students["xiaoming"], cat.entries["calligraphy"]
    parent, school, prov = (token_headers(client, u) for u in ("parent", "school_admin", "provider"))
    ok(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": entry}), 201)
    lessons_ = ok(client.get(f"/api/v1/entries/{entry}/lessons", headers=school))
    assert lessons_ and all(dt.date.fromisoformat(x["day"]).weekday() == 0 for x in lessons_)
    assert not any(x["day"] == "2027-01-01" for x in lessons_)  # public holidays are skipped by the calendar
    first = lessons_[0]
    err(client.get(f"/api/v1/entries/{entry}/lessons", headers=token_headers(client, "other_provider")), 404, "entry_not_found")
    staff = cs.staff_id(world, "provider")
    err(client.post(f"/api/v1/lessons/{first['id']}/check-in", headers=prov, json={"staff_id": staff}), 409, "check_in_wrong_day")
    subject = service_subject(world.school_ids["school"], world.provider_ids["provider"], bs_term(ctx, cat.menu_id))
    with ctx.db.read_session() as s:
        made = s.scalars(select(Agreement).where(Agreement.subject == subject)).one()
        assert made.status == "draft" and "少儿软笔书法" in made.text and "国画入门" in made.text
    cs.sign_service(world, entry)
    with ctx.db.read_session() as s:
        assert agreements.fully_signed(s, subject)
    # a course added to the published menu changes the agreement's text: both signatures are void
    cs.place(world, cat.menu_id, cs.offering(world, "provider", "少儿篆刻"), [(2, "16:00")], venue="篆刻教室")
    with ctx.db.read_session() as s:
        assert "少儿篆刻" in s.get(Agreement, made.id).text and not agreements.fully_signed(s, subject)
    day = dt.date.fromisoformat(first["day"])
    target = dt.datetime.combine(day, dt.time(15, 50), tzinfo=SHANGHAI)
    clock.advance(target - clock.now())
    prov, parent, school = (token_headers(client, u) for u in ("provider", "parent", "school_admin"))
    err(client.post(f"/api/v1/lessons/{first['id']}/check-in", headers=prov,
                    json={"staff_id": cs.staff_id(world, "other_provider")}), 400, "instructor_not_vetted")
    err(client.post(f"/api/v1/lessons/{first['id']}/check-in", headers=token_headers(client, "other_provider"),
                    json={"staff_id": staff}), 404, "lesson_not_found")
    # the course cannot start before the school and the provider have both signed the service agreement
    check_in = f"/api/v1/lessons/{first['id']}/check-in"
    unsigned = err(client.post(check_in, headers=prov, json={"staff_id": staff}), 409, "service_agreement_unsigned")
    assert "服务协议" in unsigned["message"]
    with ctx.db.read_session() as s:
        agreement = s.scalars(select(Agreement).where(Agreement.subject == subject)).one()
        digest = agreement.pdf_sha256
    with ctx.db.write_session() as s:
        agreements.sign(ctx, s, world.actor("school_admin"), agreement.id, pdf_sha256=digest)
    # one party is not enough
    err(client.post(check_in, headers=prov, json={"staff_id": staff}), 409, "service_agreement_unsigned")
    with ctx.db.write_session() as s:
        agreements.sign(ctx, s, world.actor("provider"), agreement.id, pdf_sha256=digest)
    assert ok(client.post(check_in, headers=prov, json={"staff_id": staff}))["status"] == "delivered"
    url = f"/api/v1/lessons/{first['id']}/attendance"
    err(client.post(url, headers=school, json={"marks": [{"student_id": sid, "status": "leave"}]}), 400, "leave_reason_required")
    err(client.post(url, headers=school, json={"marks": [{"student_id": sid, "status": "late"}]}), 400,
        "attendance_status_invalid")
    stranger = cs.child(world, "未选课")
    err(client.post(url, headers=school, json={"marks": [{"student_id": stranger, "status": "present"}]}), 400,
        "student_not_enrolled")
    ok(client.post(url, headers=school, json={"marks": [{"student_id": sid, "status": "absent"}]}))
    respond = f"/api/v1/children/{sid}/lessons/{first['id']}/attendance"
    err(client.post(respond, headers=parent, json={"confirm": False}), 400, "note_required")
    got = ok(client.post(respond, headers=parent, json={"confirm": False, "note": "孩子当天在校上课，请核实"}))
    assert got["parent_status"] == "disputed"
    assert "家长对考勤有异议" in _notes(ctx, world.users["school_admin"].id)
    with ctx.db.read_session() as s:
        delivered = [x for x in public.lessons(s, entry_id=entry) if x.status == "delivered"]
        assert [(x.lesson_id, x.staff_id) for x in delivered] == [(first["id"], staff)]
        assert [(a.student_id, a.status, a.parent_status)
                for a in public.attendance(s, entry_id=entry)] == [(sid, "absent", "disputed")]
        assert [(e.student_id, e.status, e.fee_fen) for e in public.enrolments(s, entry_id=entry)] == [(sid, "enrolled", 30000)]


def test_policy_hooks_of_enabled_plugins_can_refuse_an_enrolment(client: TestClient, ctx: Context, world: World) -> None:
    from kehou.platform.policy import services as policy
    from kehou.pluginapi import EnrollmentRequest, Refusal, hookimpl
    from kehou.timeutil import clock
    from tests.factories import ADMIN

    seen: list[EnrollmentRequest] = []

    class TermCap:
        @hookimpl
        def kehou_validate_enrollment(self, enrollment: EnrollmentRequest, policy: dict) -> list[Refusal]:
            seen.append(enrollment)
            total = enrollment.course.fee_fen + sum(c.fee_fen for c in enrollment.current)
            if total > 50000:
                return [Refusal("term_cap_exceeded", f"已选课程合计{total / 100:.2f}元，超过每生每学期500元上限。")]
            return []

    ctx.pm.register(TermCap(), name="term_cap_test")
    try:
        cat = cs.ready(world)
        sid = cat.students["xiaoming"]
        parent = token_headers(client, "parent")
        ok(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["calligraphy"]}), 201)
        assert seen == []  # not enabled in this county yet
        with ctx.db.write_session() as s:
            policy.put(s, ctx.registry, ADMIN, scope="330106", key="plugins.enabled", value=["course_catalogue", "term_cap_test"],
                       effective_from=clock.today_local(), reason="启用收费上限")
        refused = err(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent,
                                  json={"entry_id": cat.entries["painting"]}), 400, "term_cap_exceeded")
        assert refused["message"] == "已选课程合计600.00元，超过每生每学期500元上限。"
        assert seen[-1].current[0].entry_id == cat.entries["calligraphy"] and seen[-1].course.fee_fen == 30000
        assert counts_ok(ctx, cat.entries["painting"], 0)
    finally:
        ctx.pm.unregister(name="term_cap_test")


def test_a_freed_seat_belongs_to_the_waitlist_and_the_sweep_hands_it_out(client: TestClient, ctx: Context, world: World) -> None:
    from kehou.plugins.course_catalogue import enrolment

    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    m = cs.menu(world)
    entry = cs.place(world, m, cs.offering(world, "provider"), [(0, "16:00")], capacity=1)
    cs.publish(world, m)
    first, second, third = (cs.child(world, n) for n in ("甲", "乙", "丙"))
    parent = token_headers(client, "parent")
    ok(client.post(f"/api/v1/children/{first}/enrolments", headers=parent, json={"entry_id": entry}), 201)
    ok(client.post(f"/api/v1/children/{second}/enrolments", headers=parent, json={"entry_id": entry, "waitlist": True}), 201)
    with ctx.db.write_session() as s:  # a seat freed without the promotion that normally follows (a crash, say)
        enrolment.release_seat(s, entry)
        s.get(Enrolment, 1).status = "quit"
        s.commit()
    err(client.post(f"/api/v1/children/{third}/enrolments", headers=parent, json={"entry_id": entry}), 409, "course_full")
    assert enrolment.promote_all(ctx) == 1
    mine = {c["id"]: c["my_status"] for c in ok(client.get(f"/api/v1/children/{second}/courses", headers=parent))}
    assert mine[entry] == "enrolled" and counts_ok(ctx, entry, 1)


def test_a_category_the_county_no_longer_admits_cannot_be_enrolled_by_id(client: TestClient, ctx: Context, world: World) -> None:
    from kehou.platform.admission.models import WhitelistEntry

    cat = cs.ready(world)
    with ctx.db.write_session() as s:
        s.scalars(select(WhitelistEntry)).one().categories = ["体育艺术"]  # calligraphy's 优秀传统文化 dropped at renewal
        s.commit()
    parent = token_headers(client, "parent")
    sid = cat.students["xiaoming"]
    assert [c["title"] for c in ok(client.get(f"/api/v1/children/{sid}/courses", headers=parent))] == ["国画入门"]
    err(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["calligraphy"]}),
        404, "entry_not_found")
    ok(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["painting"]}), 201)


def test_bad_amounts_duplicates_and_naive_times_are_refused_clearly(client: TestClient, ctx: Context, world: World) -> None:
    cat = cs.ready(world)
    prov, school = token_headers(client, "provider"), token_headers(client, "school_admin")
    body = {"county_code": "330106", "title": "篆刻", "category": "优秀传统文化", "grades": [4], "sessions_per_week": 1,
            "minutes": 60, "capacity": 20, "fee_fen": 20000, "instructor_id": cs.staff_id(world, "provider"),
            "materials_fee_fen": 2**40, "materials": [{"item": "印石", "fen": 2**40}]}
    err(client.post("/api/v1/offerings", headers=prov, json=body), 400, "materials_invalid")
    err(client.post(f"/api/v1/schools/{world.school_ids['school']}/menus", headers=school, json={
        "opens_at": "2027-02-20T08:00:00", "closes_at": "2027-02-25T08:00:00", "service_start": "15:30",
        "service_end": "17:40", "term_day": "2027-03-01"}), 400, "invalid_input")
    from kehou.timeutil import SHANGHAI, clock

    sid = cat.students["xiaoming"]
    ok(client.post(f"/api/v1/children/{sid}/enrolments", headers=token_headers(client, "parent"),
                   json={"entry_id": cat.entries["calligraphy"]}), 201)
    lesson = ok(client.get(f"/api/v1/entries/{cat.entries['calligraphy']}/lessons", headers=school))[0]
    clock.advance(dt.datetime.combine(dt.date.fromisoformat(lesson["day"]), dt.time(17, 30), tzinfo=SHANGHAI) - clock.now())
    school = token_headers(client, "school_admin")
    err(client.post(f"/api/v1/lessons/{lesson['id']}/attendance", headers=school, json={"marks": [
        {"student_id": sid, "status": "present"}, {"student_id": sid, "status": "absent"}]}), 400, "attendance_duplicate")
