"""The waiting room at a first-come selection's opening: early tickets drawn in the seed's order, one
draw however many parents look at once, admission by the clock, nobody admitted twice and nobody
enrolling ahead of their number, through the service, the JSON API and the phone page."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from kehou.app import create_app
from kehou.errors import KehouError
from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context
from kehou.platform.policy import services as policy
from kehou.platform.students.models import Student
from kehou.plugins.course_catalogue import waitingroom
from kehou.plugins.course_catalogue.models import Enrolment, QueueRoom, QueueTicket
from kehou.timeutil import clock
from tests import catalogue_setup as cs
from tests.apps import app_for
from tests.browser import chromium, live_server, login, require_chromium
from tests.factories import ADMIN, COUNTY, World
from tests.helpers import err, ok, token_headers
from tests.test_catalogue_concurrency import race
from tests.test_html_pages import browser, csrf

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 375, "height": 740}
PARENTS = 30
PER_MINUTE = 60  # ten parents every ten seconds


def _set(world: World, key: str, value: object) -> None:
    with world.ctx.db.write_session() as s:
        policy.put(s, world.ctx.registry, ADMIN, scope=COUNTY, key=key, value=value, effective_from=clock.today_local(),
                   reason="测试")


def _opening(world: World, parents: int = PARENTS) -> tuple[int, int, list[tuple[str, int]]]:
    """A menu opening in an hour with one 100-seat course, and ``parents`` parents with a grade-3 child each."""
    cs.enable_catalogue(world)
    _set(world, "catalogue.queue_per_minute", PER_MINUTE)
    cs.admit(world, "provider")
    menu = cs.menu(world, opens_in=dt.timedelta(hours=1))
    entry = cs.place(world, menu, cs.offering(world, "provider", capacity=100), [(0, "16:00")], capacity=100)
    cs.publish(world, menu)
    kids = [(f"p{i:02d}", cs.child(world, f"孩子{i:02d}", parent=f"p{i:02d}", new_parent=True)) for i in range(parents)]
    return menu, entry, kids


def _open_now() -> None:
    clock.advance(dt.timedelta(hours=1, minutes=1))


def test_early_crowd_is_drawn_by_the_seed_and_admitted_by_the_clock(ctx: Context, world: World) -> None:
    menu, entry, kids = _opening(world)
    actors = [world.actor(name) for name, _ in kids]

    # every parent takes a ticket before opening, all at once; a second tap changes nothing
    early = race(ctx, PARENTS, lambda c, i: _join(c, actors[i], menu))
    assert {s.state for s in early} == {"before_open"} and {s.position for s in early} == {None}
    commitment = {s.seed_sha256 for s in early}
    assert len(commitment) == 1
    assert _join(ctx, actors[0], menu).state == "before_open"
    with ctx.db.read_session() as s:
        tickets = dict(s.execute(select(QueueTicket.user_id, QueueTicket.id).where(QueueTicket.menu_id == menu)).all())
    assert len(tickets) == PARENTS

    # at opening everyone looks at once: one draw, a permutation of 1..30 in the seed's order
    _open_now()
    looks = race(ctx, PARENTS, lambda c, i: _look(c, actors[i], menu))
    assert not [s for s in looks if isinstance(s, KehouError)], looks
    with ctx.db.read_session() as s:
        room = s.get(QueueRoom, menu)
        assert room is not None and room.drawn_at is not None and room.early == PARENTS
        numbered = dict(s.execute(select(QueueTicket.id, QueueTicket.position).where(QueueTicket.menu_id == menu)).all())
        draws = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "selection.queue_drawn",
                                                                            AuditEntry.entity_id == str(menu)))
        audit_seed = s.scalars(select(AuditEntry.new_values).where(AuditEntry.action == "selection.queue_drawn")).one()["seed"]
    assert draws == 1 and audit_seed == room.seed
    assert hashlib.sha256(room.seed.encode()).hexdigest() in commitment  # the seed is the one committed to
    assert sorted(numbered.values()) == list(range(1, PARENTS + 1))
    by_position = [t for t, _ in sorted(numbered.items(), key=lambda kv: kv[1])]
    assert by_position == waitingroom.draw_order(room.seed, numbered)  # anyone can recompute it from the seed
    assert by_position != sorted(numbered)  # not the arrival order (a 1 in 30! chance otherwise)

    # the first step of ten is in; the rest wait, with the right count ahead
    status = {name: s for (name, _), s in zip(kids, looks, strict=True)}
    assert Counter(s.state for s in looks) == {"admitted": 10, "waiting": PARENTS - 10}
    for s in looks:
        assert (s.state == "admitted") == (s.position <= 10)
        if s.state == "waiting":
            assert s.ahead == s.position - 11 and s.wait_s > 0 and s.refresh_s >= 1

    # nobody enrols ahead of their number, by the API either; the admitted do
    with TestClient(app=app_for(ctx)) as client:
        for name, kid in kids:
            resp = client.post(f"/api/v1/children/{kid}/enrolments", json={"entry_id": entry},
                               headers=token_headers(client, name))
            if status[name].state == "admitted":
                ok(resp, 201)
            else:
                body = err(resp, 409, "queue_waiting")
                assert body["extra"]["queue"] == f"/api/v1/menus/{menu}/queue"
        # a latecomer without a ticket is refused too, then joins at the back
        late = cs.child(world, "迟到", parent="late", new_parent=True)
        err(client.post(f"/api/v1/children/{late}/enrolments", json={"entry_id": entry},
                        headers=token_headers(client, "late")), 409, "queue_waiting")
        body = ok(client.post(f"/api/v1/menus/{menu}/queue", headers=token_headers(client, "late")))
        assert body["state"] == "waiting" and body["position"] == PARENTS + 1 and body["seed"] == room.seed
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Enrolment)) == 10

    # ten seconds later the next ten are in; admission is recorded once, however often they look
    with ctx.db.read_session() as s:
        first_admitted = dict(s.execute(select(QueueTicket.user_id, QueueTicket.admitted_at)
                                        .where(QueueTicket.admitted_at.is_not(None))).all())
    assert len(first_admitted) == 10
    clock.advance(dt.timedelta(seconds=waitingroom.STEP_S))
    again = [_look(ctx, a, menu) for a in actors]
    assert Counter(s.state for s in again) == {"admitted": 20, "waiting": 10}
    again = [_look(ctx, a, menu) for a in actors]
    with ctx.db.read_session() as s:
        tickets_now = s.execute(select(QueueTicket.user_id, QueueTicket.admitted_at, QueueTicket.position)).all()
    assert len(tickets_now) == PARENTS + 1 and len({t.user_id for t in tickets_now}) == PARENTS + 1
    admitted_now = {t.user_id: t.admitted_at for t in tickets_now if t.admitted_at is not None}
    assert len(admitted_now) == 20 and all(admitted_now[u] == at for u, at in first_admitted.items())
    assert all(t.position <= 20 for t in tickets_now if t.admitted_at is not None)


def _join(c: Context, actor, menu: int) -> waitingroom.Status:  # type: ignore[no-untyped-def]
    with c.db.write_session() as s:
        return waitingroom.join(c, s, actor, menu)


def _look(c: Context, actor, menu: int) -> waitingroom.Status:  # type: ignore[no-untyped-def]
    with c.db.read_session() as s:
        return waitingroom.look(c, s, actor, menu)


def test_no_queue_without_tickets_and_none_when_the_county_turns_it_off(ctx: Context, world: World) -> None:
    menu, entry, kids = _opening(world, parents=4)
    (a, kid_a), (b, _), (c, _), (d, _) = kids
    _open_now()
    with TestClient(app=app_for(ctx)) as client:
        # nobody queued: the first parent simply chooses
        ok(client.post(f"/api/v1/children/{kid_a}/enrolments", json={"entry_id": entry}, headers=token_headers(client, a)), 201)
        # three parents queue after opening at two a step (10 a minute): the third waits, so a parent
        # without a ticket must queue too
        _set(world, "catalogue.queue_per_minute", 10)
        states = [ok(client.post(f"/api/v1/menus/{menu}/queue", headers=token_headers(client, n)))["state"] for n in (b, c, d)]
        assert states == ["admitted", "admitted", "waiting"]
        late = cs.child(world, "后来", parent="late", new_parent=True)
        err(client.post(f"/api/v1/children/{late}/enrolments", json={"entry_id": entry},
                        headers=token_headers(client, "late")), 409, "queue_waiting")
        # the county turns the waiting room off: everyone chooses at once
        _set(world, "catalogue.waiting_room", False)
        ok(client.post(f"/api/v1/children/{late}/enrolments", json={"entry_id": entry},
                       headers=token_headers(client, "late")), 201)
        assert ok(client.get(f"/api/v1/menus/{menu}/queue", headers=token_headers(client, b)))["state"] == "off"


def test_priority_children_choose_before_opening_without_queueing(ctx: Context, world: World) -> None:
    menu, entry, kids = _opening(world, parents=2)
    _join(ctx, world.actor(kids[0][0]), menu)  # a room with an early ticket exists
    cs.child(world, "优先", parent="prio", new_parent=True, priority="disabled")
    with ctx.db.read_session() as s:
        prio = s.scalar(select(Student.id).where(Student.name == "优先"))
    with TestClient(app=app_for(ctx)) as client:
        body = ok(client.post(f"/api/v1/children/{prio}/enrolments", json={"entry_id": entry},
                              headers=token_headers(client, "prio")), 201)
        assert body["source"] == "priority"


def test_who_may_not_queue(ctx: Context, world: World) -> None:
    menu, _entry, _kids = _opening(world, parents=1)
    with TestClient(app=app_for(ctx)) as client:
        err(client.post(f"/api/v1/menus/{menu}/queue"), 401, "not_authenticated")
        err(client.post(f"/api/v1/menus/{menu}/queue", headers=token_headers(client, "school_admin")), 403, "permission_denied")
        err(client.get(f"/api/v1/menus/{menu}/queue", headers=token_headers(client, "provider")), 403, "permission_denied")
        # a parent with no child at the school cannot see or join its room
        err(client.post(f"/api/v1/menus/{menu}/queue", headers=token_headers(client, "parent")), 404, "menu_not_found")
        err(client.get(f"/api/v1/menus/{menu + 999}/queue", headers=token_headers(client, "p00")), 404, "menu_not_found")
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(QueueTicket)) == 0


def test_the_phone_page_takes_a_ticket_waits_and_goes_on_to_choose(ctx: Context, world: World) -> None:
    menu, _entry, kids = _opening(world, parents=12)
    for name, _kid in kids[:11]:
        _join(ctx, world.actor(name), menu)
    with browser(ctx, kids[0][0]) as c:  # an early parent before opening
        page = c.get(f"/parent/queue/{menu}?child={kids[0][1]}").text
        assert "您已取号" in page and 'http-equiv="refresh"' in page and "SHA-256" in page
    name, kid = kids[11]
    with browser(ctx, name) as c:
        page = c.get(f"/parent/children/{kid}").text
        assert "取号排队" in page and "早取晚取机会相同" in page
        _open_now()  # eleven early tickets are drawn; ten go in at once
        page = c.get(f"/parent/children/{kid}").text
        assert "选课人数较多" in page and "先排队" in page and f'action="/parent/children/{kid}/enrol"' not in page
        resp = c.post(f"/parent/queue/{menu}", data={"_csrf_token": csrf(c, f"/parent/children/{kid}"), "child": str(kid)},
                      follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == f"/parent/queue/{menu}?child={kid}"
        page = c.get(resp.headers["location"]).text
        figures = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
        assert "您的排队号 12" in figures and "前面还有 1 位家长" in figures and 'http-equiv="refresh"' in page
        clock.advance(dt.timedelta(seconds=waitingroom.STEP_S))
        resp = c.get(f"/parent/queue/{menu}?child={kid}", follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == f"/parent/children/{kid}#courses"
        page = c.get(f"/parent/children/{kid}").text
        assert f'action="/parent/children/{kid}/enrol"' in page and "先排队" not in page and "轮到您了" in page
        # another parent's child cannot be the page's way back
        other = cs.child(world, "别人家", parent="stranger", new_parent=True)
        assert c.get(f"/parent/queue/{menu}?child={other}", follow_redirects=False).status_code == 404


def test_only_a_parent_of_the_school_takes_a_ticket_on_the_page(ctx: Context, world: World) -> None:
    menu, _entry, _kids = _opening(world, parents=1)
    for who, status in (("school_admin", 403), ("provider", 403), ("parent", 404)):
        with browser(ctx, who) as c:
            resp = c.post(f"/parent/queue/{menu}", data={"_csrf_token": csrf(c, "/notifications")}, follow_redirects=False)
            assert resp.status_code == status and "出错了" in resp.text, (who, resp.status_code)
    with browser(ctx, None) as anon:
        resp = anon.post(f"/parent/queue/{menu}", data={"_csrf_token": csrf(anon, "/login")}, follow_redirects=False)
        assert resp.status_code in (303, 401, 403)
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(QueueTicket)) == 0


@pytest.mark.parametrize("ids", [[1, 2, 3], list(range(50))])
def test_draw_order_depends_only_on_seed_and_tickets(ids: list[int]) -> None:
    assert waitingroom.draw_order("abc", ids) == waitingroom.draw_order("abc", list(reversed(ids)))
    assert sorted(waitingroom.draw_order("abc", ids)) == sorted(ids)


@pytest.mark.browser
def test_waiting_on_a_phone_in_a_real_browser(ctx: Context, world: World) -> None:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    menu, _entry, kids = _opening(world, parents=12)
    for name, _kid in kids[:11]:
        _join(ctx, world.actor(name), menu)
    _open_now()
    name, kid = kids[11]
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        phone = chrome.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        page = phone.new_page()
        login(page, base, name, f"/parent/children/{kid}")
        assert "选课人数较多" in page.inner_text("main")
        page.click("button:has-text('取号排队')")
        page.wait_for_load_state()
        assert f"/parent/queue/{menu}" in page.url
        text = page.inner_text("main")
        assert "您的排队号" in text and "12" in text and "前面还有" in text, text
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(ARTIFACTS / "waiting-room-phone.png"), full_page=True)
        clock.advance(dt.timedelta(seconds=waitingroom.STEP_S))
        page.click("a:has-text('立即刷新')")
        page.wait_for_load_state()
        assert page.url.endswith(f"/parent/children/{kid}#courses"), page.url
        assert "轮到您了" in page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "waiting-room-admitted-phone.png"))
