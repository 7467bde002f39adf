"""Fee caps are checked where courses are made (issue 18 part 4): at creation and review with the lesson count
of the whole term from the county's term calendar, at placement with the lessons of the chosen slots, and the
public fee page flags a course over a cap (compared in fen, never on a rounded price)."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from kehou.errors import ValidationFailed
from kehou.platform.calendar.services import load as load_calendar
from kehou.platform.policy import services as policy
from kehou.plugins.course_catalogue import offerings, terms
from kehou.plugins.course_catalogue.models import Offering
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import COUNTY, World


def term_lessons(world: World, sessions: int = 1) -> tuple[int, str]:
    with world.ctx.db.read_session() as s:
        settings = policy.resolve_all(s, world.ctx.registry, COUNTY)
        default = world.ctx.hook_for_settings(settings, "kehou_term_for_date")(county_code=COUNTY, day=clock.today_local())
        term = terms.term_for(settings, default, clock.today_local())
        return terms.term_lessons(settings, load_calendar(s, COUNTY), term, sessions), term.name


def ready(world: World) -> None:
    cs.enable_catalogue(world)
    bs.enable(world)
    cs.admit(world, "provider")


def test_an_over_cap_offering_is_refused_at_creation(world: World) -> None:
    ready(world)
    n, term = term_lessons(world)
    assert 17 <= n <= 22, n  # Sep to Jan, one a week, less the National Day week and New Year's Day
    bs.put(world, "billing.lesson_cap_fen", 300)  # 3 yuan a lesson, as county 003 publishes
    with pytest.raises(ValidationFailed) as refused:
        cs.offering(world, "provider", fee_fen=300 * n + 1)
    assert refused.value.code == "lesson_cap_exceeded" and refused.value.field == "fee_fen"
    assert f"按{term}校历每周1次共{n}次课" in refused.value.message and "超出0.01元" in refused.value.message
    assert cs.offering(world, "provider", "少儿硬笔书法", fee_fen=300 * n) > 0  # exactly at the cap
    n2, _ = term_lessons(world, 2)
    assert n2 == 2 * n and cs.offering(world, "provider", "书法进阶", fee_fen=300 * n2, sessions=2) > 0


def test_a_policy_changed_since_submission_stops_the_approval(world: World) -> None:
    ready(world)
    bs.put(world, "catalogue.offering_approval", True)
    offering_id = cs.offering(world, "provider", fee_fen=30000, approve=False)
    bs.put(world, "billing.lesson_cap_fen", 100)
    with world.ctx.db.write_session() as s, pytest.raises(ValidationFailed) as refused:
        offerings.review(world.ctx, s, world.actor("reviewer1"), offering_id, approve=True, reason="")
    assert refused.value.code == "lesson_cap_exceeded" and refused.value.message.startswith("不能通过：")
    with world.ctx.db.write_session() as s:
        assert s.get(Offering, offering_id).status == "pending"
        offerings.review(world.ctx, s, world.actor("reviewer1"), offering_id, approve=False, reason="超过每课时收费上限")
        assert s.get(Offering, offering_id).status == "rejected"


def test_placement_counts_the_lessons_of_the_chosen_slots(world: World) -> None:
    ready(world)
    offering_id = cs.offering(world, "provider", fee_fen=30000)
    menu_id = cs.menu(world)
    bs.put(world, "billing.term_cap_fen", 29999)  # lowered after the course was approved
    with pytest.raises(ValidationFailed) as refused:
        cs.place(world, menu_id, offering_id, [(0, "16:00")])
    assert refused.value.code == "fee_over_term_cap"
    bs.put(world, "billing.term_cap_fen", 60000)
    with world.ctx.db.read_session() as s:
        settings = policy.resolve_all(s, world.ctx.registry, COUNTY)
        from kehou.plugins.course_catalogue.models import Menu

        menu = s.get(Menu, menu_id)
        mondays = len(terms.lesson_days(settings, load_calendar(s, COUNTY), menu.term_start, menu.term_end, 0))
    bs.put(world, "billing.lesson_cap_fen", 30000 // mondays - 1)
    with pytest.raises(ValidationFailed) as refused:
        cs.place(world, menu_id, offering_id, [(0, "16:00")])
    assert refused.value.code == "lesson_cap_exceeded" and f"按所排时段共{mondays}次课" in refused.value.message
    bs.put(world, "billing.lesson_cap_fen", -(-30000 // mondays))
    assert cs.place(world, menu_id, offering_id, [(0, "16:00")]) > 0


def test_the_fee_page_flags_a_course_over_a_cap(client: TestClient, world: World) -> None:
    cat = bs.courses(world, {"书法": 30000, "国画": 20000})
    n = len(bs.lesson_days(world, cat.entries["书法"]))
    page = client.get(f"/fees/{world.school_ids['school']}").text
    assert "over-cap" not in page
    cap = 29999 // n  # 书法 is over it by at least a fen, however many lessons are left this term
    bs.put(world, "billing.lesson_cap_fen", cap)
    page = client.get(f"/fees/{world.school_ids['school']}").text
    m = len(bs.lesson_days(world, cat.entries["国画"]))
    assert page.count('class="over-cap"') == 1 + (20000 > cap * m)
    assert f"超过每课时{cap // 100}.{cap % 100:02d}元的收费上限（{n}次课最多" in page
