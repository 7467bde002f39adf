"""Every daily page of a role is in that role's menu, and the menu's links open (no 500, no refusal)."""

from __future__ import annotations

import re

import pytest

from kehou.platform.context import Context
from tests import catalogue_setup as cs
from tests.factories import World
from tests.test_html_pages import browser

MENU = {
    "provider": ["/provider", "/provider/offerings", "/provider/lessons", "/provider/settlements", "/provider/exits"],
    "reviewer1": ["/desk", "/desk/offerings", "/county/exits", "/desk/settings", "/county/billing"],
    "school_admin": ["/school/menus", "/school/billing"],
    "parent": ["/parent", "/parent/bills"],
}


@pytest.mark.parametrize("who", sorted(MENU))
def test_the_menu_of_each_role_holds_its_pages_and_they_open(ctx: Context, world: World, who: str) -> None:
    cs.enable_catalogue(world)
    with browser(ctx, who) as c:
        header = re.search(r"<header>(.*?)</header>", c.get("/notifications").text, re.S)
        assert header is not None
        links = re.findall(r'href="(/[^"#?]*)"', header.group(1))
        for path in MENU[who]:
            assert path in links, (who, path)
            assert c.get(path).status_code == 200, (who, path)


def test_staff_documents_name_the_person(ctx: Context, world: World) -> None:
    from kehou.platform.admission import services as admission
    from tests.factories import COUNTY

    with ctx.db.write_session() as s:
        app = admission.create(ctx, s, world.actor("provider"), county_code=COUNTY, categories=["阅读"], statement="x")
        admission.submit(s, world.actor("provider"), app.id)
        app_id = app.id
    with browser(ctx, "reviewer1") as c:
        page = c.get(f"/desk/applications/{app_id}").text
    assert "人员#" not in page and "（王老师）" in page


def test_a_child_page_with_two_terms_labels_each_course_with_its_term(ctx: Context, world: World) -> None:
    import datetime as dt

    cat = cs.ready(world)
    from kehou.plugins.course_catalogue import menus
    from kehou.timeutil import clock, utcnow

    with ctx.db.write_session() as s:  # next term's menu, published while this term's still runs
        nxt = menus.create_menu(ctx, s, world.actor("school_admin"), world.school_ids["school"], menus.MenuInput(
            opens_at=utcnow() + dt.timedelta(days=1), closes_at=utcnow() + dt.timedelta(days=3), service_start="15:30",
            service_end="17:40", term_day=clock.today_local() + dt.timedelta(days=100))).id
    with ctx.db.read_session() as s:
        from kehou.plugins.course_catalogue.models import Entry, Menu

        offering = s.get(Entry, cat.entries["calligraphy"]).offering_id
        terms = [s.get(Menu, m).term_name for m in (cat.menu_id, nxt)]
    cs.place(world, nxt, offering, [(0, "16:00")])
    cs.publish(world, nxt)
    assert terms[0] != terms[1]
    with browser(ctx, "parent") as c:
        page = c.get(f"/parent/children/{cat.students['xiaoming']}").text
    cards = re.findall(r'<article class="card course".*?</h3>', page, re.S)
    labels = [t for card in cards for t in terms if f'<span class="status term">{t}</span>' in card]
    assert sorted(labels) == sorted([terms[0], terms[0], terms[1]]), labels  # two courses this term, one next


def test_term_pickers_start_on_the_term_running_today() -> None:
    import datetime as dt
    from dataclasses import dataclass

    from kehou.plugins.course_catalogue.public import current

    @dataclass
    class T:
        term_name: str
        term_start: dt.date
        term_end: dt.date

    autumn = T("2026-2027学年第一学期", dt.date(2026, 9, 1), dt.date(2027, 1, 31))
    spring = T("2026-2027学年第二学期", dt.date(2027, 2, 1), dt.date(2027, 7, 10))
    spring_before = T("2025-2026学年第二学期", dt.date(2026, 2, 1), dt.date(2026, 7, 10))
    assert current([autumn, spring], dt.date(2026, 12, 3)) is autumn  # next term's menu is out: still this term
    assert current([spring, autumn], dt.date(2027, 3, 1)) is spring
    assert current([spring_before, autumn], dt.date(2026, 8, 1)) is spring_before  # summer: the latest started
    assert current([spring], dt.date(2026, 12, 3)) is spring  # nothing started: the first planned
    assert current([], dt.date(2026, 12, 3)) is None


def test_the_evaluation_term_picker_selects_the_running_term(ctx: Context, world: World) -> None:
    cat = cs.ready(world)
    with ctx.db.read_session() as s:
        from kehou.plugins.course_catalogue.models import Menu

        term = s.get(Menu, cat.menu_id).term_name
    with browser(ctx, "reviewer1") as c:
        page = c.get("/county/evaluations").text
    assert f'<option value="{term}" selected>' in page
