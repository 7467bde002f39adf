"""Ranked-choice selection, choosing first (issue 19 parts 1–3, the part built so far): the menu's mode from the
county's allowed modes, the draw's commitment published with the menu, families ranking courses while the window
is open (changeable, acknowledged, warned), and first-come enrolment refused on such a menu."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from litestar.testing import TestClient

from kehou.errors import ValidationFailed
from kehou.platform.audit.models import AuditEntry
from kehou.platform.notifications.models import Notification
from kehou.plugins.course_catalogue.lottery import draw
from kehou.plugins.course_catalogue.models import AllocationRun, Enrolment, EnrolmentEvent, Entry, Menu
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.browser import chromium, live_server, require_chromium
from tests.factories import COUNTY, PASSWORD, World
from tests.helpers import err, ok, token_headers
from tests.test_browser_catalogue import ARTIFACTS, PHONE
from tests.test_html_pages import browser, csrf


def url(cat: cs.Catalogue, sid: int) -> str:
    return f"/api/v1/children/{sid}/menus/{cat.menu_id}/choices"


def test_the_county_decides_which_modes_schools_may_use(world: World) -> None:
    cs.enable_catalogue(world)
    bs.put(world, "catalogue.selection_modes", ["first_come"])
    with pytest.raises(ValidationFailed) as refused:
        cs.menu(world, selection_mode="ranked_lottery")
    assert refused.value.code == "selection_mode_not_allowed" and "先到先得" in refused.value.message
    bs.put(world, "catalogue.selection_modes", ["first_come", "ranked_lottery"])
    bs.put(world, "catalogue.selection_mode_default", "ranked_lottery")
    with world.ctx.db.read_session() as s:
        assert s.get(Menu, cs.menu(world)).selection_mode == "ranked_lottery"  # the county's default


def test_publishing_commits_to_a_seed_that_stays_secret(client: TestClient, world: World) -> None:
    cat = cs.ready(world, selection_mode="ranked_lottery")
    with world.ctx.db.read_session() as s:
        menu = s.get(Menu, cat.menu_id)
        assert len(menu.draw_seed) == 64 and menu.draw_commitment == draw.commitment(menu.draw_seed)
        seed, commitment = menu.draw_seed, menu.draw_commitment
        published = s.query(AuditEntry).filter_by(action="menu.publish", entity_id=str(cat.menu_id)).one()
        assert published.new_values["draw_commitment"] == commitment and seed not in str(published.new_values)
    school = token_headers(client, "school_admin")
    got = ok(client.get("/api/v1/schools/{}/menus".format(world.school_ids["school"]), headers=school))
    mine = next(m for m in got if m["id"] == cat.menu_id)
    assert mine["draw_commitment"] == commitment and mine["draw_seed"] is None


def test_a_family_ranks_changes_and_withdraws_its_choices(client: TestClient, world: World) -> None:
    cat = cs.ready(world, selection_mode="ranked_lottery")
    sid, parent = cat.students["xiaoming"], token_headers(client, "parent")
    assert ok(client.get(url(cat, sid), headers=parent)) == {"entry_ids": [], "saved_at": None, "saved_at_local": None,
                                                             "warnings": []}
    first = ok(client.put(url(cat, sid), headers=parent, json={"entry_ids": [cat.entries["painting"],
                                                                           cat.entries["calligraphy"]]}))
    assert first["entry_ids"] == [cat.entries["painting"], cat.entries["calligraphy"]] and first["saved_at"]
    again = ok(client.put(url(cat, sid), headers=parent, json={"entry_ids": [cat.entries["calligraphy"]]}))
    assert ok(client.get(url(cat, sid), headers=parent))["entry_ids"] == again["entry_ids"] == [cat.entries["calligraphy"]]
    with world.ctx.db.read_session() as s:
        entries = s.query(AuditEntry).filter_by(action="selection.rank").order_by(AuditEntry.id).all()
        assert entries[-1].old_values["choices"] == first["entry_ids"] and entries[-1].new_values["choices"] == [
            cat.entries["calligraphy"]]
    assert ok(client.put(url(cat, sid), headers=parent, json={"entry_ids": []}))["entry_ids"] == []
    # first come is not how this menu works
    body = err(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent,
                           json={"entry_id": cat.entries["calligraphy"]}), 409, "selection_by_lottery")
    assert "与提交先后无关" in body["message"]


def test_bad_lists_are_refused_and_what_looks_wrong_is_said(client: TestClient, world: World) -> None:
    cat = cs.ready(world, selection_mode="ranked_lottery")
    sid, parent = cat.students["xiaoming"], token_headers(client, "parent")
    bs.put(world, "catalogue.ranked_max_choices", 1)
    err(client.put(url(cat, sid), headers=parent, json={"entry_ids": [cat.entries["painting"],
                                                                      cat.entries["calligraphy"]]}), 400, "too_many_choices")
    bs.put(world, "catalogue.ranked_max_choices", 5)
    err(client.put(url(cat, sid), headers=parent, json={"entry_ids": [cat.entries["painting"]] * 2}), 400,
        "choice_repeated")
    err(client.put(url(cat, sid), headers=parent, json={"entry_ids": [999999]}), 400, "entry_not_found")
    err(client.put(url(cat, sid), headers=parent, json={"entry_ids": "1,2"}), 400, "invalid_input")
    coach = cs.add_instructor(world, "provider", "李教练")
    clash = cs.place(world, cat.menu_id, cs.offering(world, "provider", "少儿围棋", category="体育艺术", instructor=coach),
                     [(0, "16:00")], venue="棋室")
    young = cs.place(world, cat.menu_id, cs.offering(world, "provider", "彩泥手工", category="体育艺术", grades=[1],
                                                      instructor=coach), [(2, "16:00")], venue="手工室", grades=[1])
    got = ok(client.put(url(cat, sid), headers=parent, json={"entry_ids": [cat.entries["calligraphy"], clash, young]}))
    assert any("少儿软笔书法" in w and "少儿围棋" in w and "最多录取其中一门" in w for w in got["warnings"])
    assert any("彩泥手工" in w and "不面向3年级" in w for w in got["warnings"])


def test_only_the_childs_family_and_only_while_the_window_is_open(client: TestClient, world: World) -> None:
    cat = cs.ready(world, selection_mode="ranked_lottery")
    sid = cat.students["xiaoming"]
    other = cs.child(world, "小红", parent="other_parent", new_parent=True)
    body = {"entry_ids": [cat.entries["calligraphy"]]}
    for who, status in (("school_admin", 403), ("provider", 403), ("reviewer1", 403)):
        assert client.put(url(cat, sid), headers=token_headers(client, who), json=body).status_code == status
    err(client.put(url(cat, other), headers=token_headers(client, "parent"), json=body), 404, "student_not_found")
    assert client.put(url(cat, sid), json=body).status_code == 401
    clock.advance(dt.timedelta(days=3))  # the 48-hour window is over
    try:
        err(client.put(url(cat, sid), headers=token_headers(client, "parent"), json=body), 409, "selection_closed")
    finally:
        clock.reset()


def test_the_ranking_page_is_the_familys_alone(world: World) -> None:
    cat = cs.ready(world, selection_mode="ranked_lottery")
    page = f"/parent/children/{cat.students['xiaoming']}/menus/{cat.menu_id}/choices"
    with browser(world.ctx, None) as anon:
        assert anon.get(page, follow_redirects=False).headers["location"].startswith("/login")
    for who in ("school_admin", "provider", "reviewer1", "decider", "admin"):
        with browser(world.ctx, who) as c:
            assert c.get(page, follow_redirects=False).status_code in (403, 404), who
            token = csrf(c, "/notifications")
            resp = c.post(page, data={"_csrf_token": token, "choice": str(cat.entries["calligraphy"])},
                          follow_redirects=False)
            assert resp.status_code in (403, 404) or "出错了" in resp.text, who
    with browser(world.ctx, "parent") as c:
        assert "第1志愿" in c.get(page).text
    with world.ctx.db.read_session() as s:
        assert s.query(AuditEntry).filter_by(action="selection.rank").count() == 0  # nobody else saved anything


def test_a_first_come_menu_takes_no_ranked_lists(client: TestClient, world: World) -> None:
    cat = cs.ready(world)  # the county default: first come
    err(client.get(url(cat, cat.students["xiaoming"]), headers=token_headers(client, "parent")), 409, "menu_not_ranked")


@pytest.mark.browser
def test_a_parent_ranks_choices_on_a_phone(ctx: object, world: World) -> None:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    cat = cs.ready(world, selection_mode="ranked_lottery")
    sid = cat.students["xiaoming"]
    from kehou.app import create_app

    with live_server(create_app(world.ctx.settings, context=world.ctx)) as base, chromium() as chrome:
        phone = chrome.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        page = phone.new_page()
        page.goto(f"{base}/login?next=/parent/children/{sid}")
        page.fill("input[name=username]", "parent")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('登录')")
        page.wait_for_load_state()
        page.click("a:has-text('填报志愿')")
        page.wait_for_load_state()
        assert "尚未填报志愿" in page.inner_text("#saved-state")
        selects = page.locator("#rank-form select")
        assert selects.count() == 5
        selects.nth(0).select_option(str(cat.entries["painting"]))
        selects.nth(1).select_option(str(cat.entries["calligraphy"]))
        page.click("button:has-text('保存志愿')")
        page.wait_for_load_state()
        assert "已保存 2 个志愿" in page.inner_text("#saved-state")
        assert page.locator("#rank-form select").nth(0).input_value() == str(cat.entries["painting"])
        with world.ctx.db.read_session() as s:
            assert s.get(Menu, cat.menu_id).draw_commitment in page.inner_text("#commitment")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways on a phone: {width}px"
        page.screenshot(path=str(ARTIFACTS / "parent-ranking-375.png"), full_page=True)


def test_allocation_after_close_is_repeatable_reviewed_and_published(client: TestClient, world: World) -> None:
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    coach = cs.add_instructor(world, "provider", "李教练")
    menu_id = cs.menu(world, selection_mode="ranked_lottery")
    popular = cs.place(world, menu_id, cs.offering(world, "provider", "少儿软笔书法"), [(0, "16:00")], capacity=2)
    other = cs.place(world, menu_id, cs.offering(world, "provider", "国画入门", category="体育艺术", instructor=coach),
                     [(1, "16:00")], capacity=10, venue="美术教室")
    cs.publish(world, menu_id)
    kids = [cs.child(world, name, parent=f"family{i}", new_parent=True) for i, name in enumerate("甲乙丙丁戊")]
    from kehou.plugins.course_catalogue.lottery import choices

    for i, sid in enumerate(kids):
        with world.ctx.db.write_session() as s:
            choices.save(world.ctx, s, world.actor(f"family{i}"), sid, menu_id, [popular, other])
    school = token_headers(client, "school_admin")
    err(client.post(f"/api/v1/menus/{menu_id}/allocation", headers=school), 409, "selection_still_open")
    clock.advance(dt.timedelta(days=3))
    try:
        err(client.post(f"/api/v1/menus/{menu_id}/allocation", headers=token_headers(client, "family0")), 403,
            "permission_denied")
        first = ok(client.post(f"/api/v1/menus/{menu_id}/allocation", headers=school), 201)
        fill = {c["entry_id"]: c["filled"] for c in first["courses"]}
        assert fill == {popular: 2, other: 5}  # two lotteries won, everyone gets painting in round 1 or 2
        assert first["nothing"] == [] and len(first["children"]) == 5
        lost = [c for c in first["children"] if c["assigned"] == ["国画入门"]]
        assert len(lost) == 3 and all(any("少儿软笔书法」：名额已满" in r for r in c["reasons"]) for c in lost)
        again = ok(client.post(f"/api/v1/menus/{menu_id}/allocation", headers=school), 201)
        assert [c["assigned"] for c in again["children"]] == [c["assigned"] for c in first["children"]]
        with world.ctx.db.read_session() as s:
            runs_ = s.query(AllocationRun).filter_by(menu_id=menu_id).order_by(AllocationRun.id).all()
            assert [r.status for r in runs_] == ["superseded", "draft"] and runs_[0].result == runs_[1].result
        published = ok(client.post(f"/api/v1/allocation-runs/{again['run_id']}/publish", headers=school))
        assert published["status"] == "published"
        err(client.post(f"/api/v1/allocation-runs/{again['run_id']}/publish", headers=school), 409, "run_not_draft")
        err(client.post(f"/api/v1/menus/{menu_id}/allocation", headers=school), 409, "allocation_published")
        with world.ctx.db.read_session() as s:
            rows = s.query(Enrolment).filter_by(source="lottery").all()
            assert len(rows) == 7 and s.get(Entry, popular).enrolled == 2 and s.get(Entry, other).enrolled == 5
            events = s.query(EnrolmentEvent).filter(EnrolmentEvent.enrolment_id.in_([r.id for r in rows])).all()
            assert sorted((ev.enrolment_id, ev.action, ev.new_status) for ev in events) == sorted(
                (r.id, "enrol", "enrolled") for r in rows)
            assert {ev.reason for ev in events} == {f"摇号分配第{again['run_id']}次"}
            menu = s.get(Menu, menu_id)
            assert menu.draw_revealed_at is not None
            refs = [c["ref"] for c in published["children"]]
            families = {}  # each child here has its own family
            assert draw.verify(menu.draw_seed, menu.draw_commitment, refs, refs, families=families) == []
            told = s.query(Notification).filter_by(title="选课摇号结果").count()
            assert told == 5
        got = [m for m in ok(client.get(f"/api/v1/schools/{world.school_ids['school']}/menus", headers=school))
               if m["id"] == menu_id][0]
        assert got["draw_seed"] and draw.commitment(got["draw_seed"]) == got["draw_commitment"]
    finally:
        clock.reset()


def test_publishing_a_run_whose_seats_changed_writes_nothing(client: TestClient, world: World) -> None:
    cat, kids = closed_ranked_menu(world)
    clock.advance(dt.timedelta(days=3))
    try:
        school = token_headers(client, "school_admin")
        made = ok(client.post(f"/api/v1/menus/{cat.menu_id}/allocation", headers=school), 201)
        with world.ctx.db.write_session() as s:  # a seat of the calligraphy class went meanwhile
            s.get(Entry, cat.entries["calligraphy"]).capacity = 1
            s.commit()
        err(client.post(f"/api/v1/allocation-runs/{made['run_id']}/publish", headers=school), 409, "seats_changed")
        with world.ctx.db.read_session() as s:
            assert s.query(Enrolment).count() == 0 and s.query(EnrolmentEvent).count() == 0
            assert [s.get(Entry, e).enrolled for e in cat.entries.values()] == [0, 0]
            assert s.get(AllocationRun, made["run_id"]).status == "draft" and s.get(Menu, cat.menu_id).draw_revealed_at is None
    finally:
        clock.reset()


def test_children_who_got_nothing_last_term_are_drawn_first_where_the_county_says_so(world: World) -> None:
    from kehou.platform.policy import services as policy
    from kehou.plugins.course_catalogue.lottery import runs
    from kehou.plugins.course_catalogue.models import RankedChoice

    cat, kids = closed_ranked_menu(world)
    now = clock.now()
    with world.ctx.db.write_session() as s:  # last term at this school: 乙 ranked and got nothing, 丙 only waited, 甲 got in
        menu = s.get(Menu, cat.menu_id)
        old = Menu(**{c.key: getattr(menu, c.key) for c in Menu.__table__.columns if c.key != "id"})
        old.term_name, old.term_start, old.term_end = "上学期", menu.term_start - dt.timedelta(days=200), \
            menu.term_start - dt.timedelta(days=30)
        s.add(old)
        s.flush()
        entry = s.get(Entry, cat.entries["calligraphy"])
        was = Entry(**{c.key: getattr(entry, c.key) for c in Entry.__table__.columns if c.key not in ("id", "menu_id")},
                    menu_id=old.id)
        s.add(was)
        s.flush()
        s.add(RankedChoice(menu_id=old.id, student_id=kids[1], entry_id=was.id, rank=1, saved_at=now,
                           saved_by=world.users["family1"].id))
        s.add_all([Enrolment(entry_id=was.id, student_id=kids[2], status="cancelled", source="selection", requested_at=now,
                             enrolled_at=None, ended_reason=""),
                   Enrolment(entry_id=was.id, student_id=kids[0], status="quit", source="selection", requested_at=now,
                             enrolled_at=now, ended_reason="")])
        s.commit()
        assert runs.empty_handed_last_term(s, menu, kids) == {kids[1], kids[2]}
    clock.advance(dt.timedelta(days=3))
    try:
        with world.ctx.db.write_session() as s:
            plain = runs.run(world.ctx, s, world.actor("school_admin"), cat.menu_id)
            assert plain.result["tiers"] == {}  # off by default
            policy.put(s, world.ctx.registry, world.actor("decider"), scope=COUNTY,
                       key="catalogue.lottery_boost_empty_handed", value=True, effective_from=clock.today_local(),
                       reason="上学期落空的学生优先")
        with world.ctx.db.write_session() as s:
            boosted = runs.run(world.ctx, s, world.actor("school_admin"), cat.menu_id)
            refs = {sid: ref for ref, sid in boosted.refs.items()}
            assert boosted.result["tiers"] == {refs[kids[1]]: 1, refs[kids[2]]: 1}
            assert set(boosted.result["order"][:2]) == {refs[kids[1]], refs[kids[2]]}
            assert [boosted.result["assigned"][refs[k]][0] for k in kids[1:3]] == [cat.entries["calligraphy"]] * 2
            told = {c["student_id"]: c["reasons"] for c in runs.summary(s, boosted)["children"]}
            assert [("上学期未获任何课程，抽签优先" in told[k]) for k in kids] == [False, True, True, False, False]
    finally:
        clock.reset()


def closed_ranked_menu(world: World) -> tuple[cs.Catalogue, list[int]]:
    """A ranked menu whose calligraphy class has 2 seats, five families who all want it first, the window over."""
    from kehou.plugins.course_catalogue.lottery import choices

    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    coach = cs.add_instructor(world, "provider", "李教练")
    cat = cs.Catalogue(cs.menu(world, selection_mode="ranked_lottery"))
    cat.entries["calligraphy"] = cs.place(world, cat.menu_id, cs.offering(world, "provider", "少儿软笔书法"), [(0, "16:00")],
                                          capacity=2)
    cat.entries["painting"] = cs.place(world, cat.menu_id, cs.offering(world, "provider", "国画入门", category="体育艺术",
                                                                       instructor=coach), [(1, "16:00")], venue="美术教室")
    cs.publish(world, cat.menu_id)
    kids = [cs.child(world, name, parent=f"family{i}", new_parent=True) for i, name in enumerate("甲乙丙丁戊")]
    for i, sid in enumerate(kids):
        with world.ctx.db.write_session() as s:
            choices.save(world.ctx, s, world.actor(f"family{i}"), sid, cat.menu_id,
                         [cat.entries["calligraphy"], cat.entries["painting"]])
    return cat, kids


def test_the_review_and_draw_pages_refuse_who_must_not_act(world: World) -> None:
    cat, _ = closed_ranked_menu(world)
    review = f"/school/menus/{cat.menu_id}/allocation"
    clock.advance(dt.timedelta(days=3))
    try:
        for who in ("parent", "provider", "reviewer1", "decider"):
            with browser(world.ctx, who) as c:
                assert c.get(review, follow_redirects=False).status_code in (403, 404), who
                resp = c.post(review, data={"_csrf_token": csrf(c, "/notifications")}, follow_redirects=False)
                assert resp.status_code in (403, 404) or "出错了" in resp.text, who
        with browser(world.ctx, None) as anon:
            assert anon.get(review, follow_redirects=False).headers["location"].startswith("/login")
            public = anon.get(f"/public/draws/{cat.menu_id}")  # the public page: for everyone, no names
            assert public.status_code == 200 and "尚未摇号" in public.text and "甲" not in public.text
            assert anon.get(f"/public/draws/{cat.menu_id}/order.csv").status_code == 404
        with world.ctx.db.read_session() as s:
            assert s.query(AllocationRun).count() == 0
    finally:
        clock.reset()


@pytest.mark.browser
def test_the_school_reviews_and_publishes_and_anyone_verifies_the_draw(world: World, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    cat, _ = closed_ranked_menu(world)
    from kehou.app import create_app

    clock.advance(dt.timedelta(days=3))
    try:
        with live_server(create_app(world.ctx.settings, context=world.ctx)) as base, chromium() as chrome:
            page = chrome.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{base}/login?next=/school/menus/{cat.menu_id}")
            page.fill("input[name=username]", "school_admin")
            page.fill("input[name=password]", PASSWORD)
            page.click("button:has-text('登录')")
            page.wait_for_load_state()
            page.click("a:has-text('摇号分配')")
            page.wait_for_load_state()
            assert "共 5 名学生填报志愿" in page.inner_text("#state")
            page.click("button:has-text('运行分配')")
            page.wait_for_load_state()
            fill = page.inner_text("#fill")
            assert "少儿软笔书法\t2\t2\t100%" in fill and "国画入门\t30\t5\t17%" in fill
            assert page.locator("#children details").count() == 5
            page.screenshot(path=str(ARTIFACTS / "school-allocation-review.png"), full_page=True)
            page.once("dialog", lambda d: d.accept())
            page.click("button:has-text('发布结果并录取')")
            page.wait_for_load_state()
            assert "已发布" in page.inner_text(".flash.ok")
            page.goto(f"{base}/public/draws/{cat.menu_id}")
            seed, commitment = page.inner_text("#seed"), page.inner_text("#commitment")
            assert page.locator("#order li").count() == 5
            order_csv = page.request.get(f"{base}/public/draws/{cat.menu_id}/order.csv").text()
    finally:
        clock.reset()
    order_file = tmp_path / "order.csv"
    order_file.write_text(order_csv, encoding="utf-8")
    for name, value in (("KEHOU_DATABASE_URL", world.ctx.settings.database.url),
                        ("KEHOU_DATA_DIR", str(world.ctx.settings.data_dir)),
                        ("KEHOU_SECRET_KEY", world.ctx.settings.security.secret_key),
                        ("KEHOU_PII_KEY", world.ctx.settings.security.pii_key)):
        monkeypatch.setenv(name, value)
    from kehou.cli.main import main

    assert main(["selection", "verify-draw", "--seed", seed, "--commitment", commitment, "--order", str(order_file)]) == 0
    with world.ctx.db.read_session() as s:
        assert s.query(Enrolment).filter_by(source="lottery").count() == 7


def test_the_job_allocates_closed_menus_once_and_seats_left_go_first_come_after(client: TestClient, world: World) -> None:
    from kehou.plugins.course_catalogue.lottery import runs

    cat, _ = closed_ranked_menu(world)
    with world.ctx.db.write_session() as s:
        assert runs.allocate_due(world.ctx, s) == 0  # still open
    clock.advance(dt.timedelta(days=3))
    try:
        with world.ctx.db.write_session() as s:
            assert runs.allocate_due(world.ctx, s) == 1
            assert runs.allocate_due(world.ctx, s) == 0  # once: then it is the school's to review
            made = s.query(AllocationRun).one()
            assert made.status == "draft" and made.created_by is None
        late = cs.child(world, "己", parent="late_family", new_parent=True)
        headers = token_headers(client, "late_family")
        err(client.post(f"/api/v1/children/{late}/enrolments", headers=headers, json={"entry_id": cat.entries["painting"]}),
            409, "selection_by_lottery")  # not before the result is published
        ok(client.post(f"/api/v1/allocation-runs/{made.id}/publish", headers=token_headers(client, "school_admin")))
        got = ok(client.post(f"/api/v1/children/{late}/enrolments", headers=headers,
                             json={"entry_id": cat.entries["painting"]}), 201)
        assert got["source"] == "after_draw" and got["status"] == "enrolled"
    finally:
        clock.reset()
