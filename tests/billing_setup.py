"""Setting up billing for tests, through the real services (catalogue first, see catalogue_setup).

``deliver`` checks the instructor in and marks attendance with the clock moved to the lesson's day,
exactly as the provider and the school would; ``ledger_ok`` is the invariant every billing test ends on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from kehou.platform.policy import services as policy
from kehou.plugins.billing_cap import bills, ledger
from kehou.plugins.course_catalogue import enrolment, lessons
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.course_catalogue.models import Entry, Lesson
from kehou.timeutil import SHANGHAI, clock
from tests import catalogue_setup as cs
from tests.factories import ADMIN, COUNTY, World

PLUGINS = ["course_catalogue", "billing_cap"]


def enable(world: World, county: str = COUNTY) -> None:
    put(world, "plugins.enabled", PLUGINS, county)


def put(world: World, key: str, value: Any, county: str = COUNTY, effective: dt.date | None = None) -> None:
    with world.ctx.db.write_session() as s:
        policy.put(s, world.ctx.registry, ADMIN, scope=county, key=key, value=value,
                   effective_from=effective or clock.today_local(), reason="测试设置收费政策",
                   retroactive_reason="测试：补录已执行的政策")


def ready(world: World) -> cs.Catalogue:
    """The catalogue of :func:`catalogue_setup.ready` (two courses of 300 yuan + 20 yuan materials),
    with billing switched on for the county."""
    cat = cs.ready(world)
    enable(world)
    return cat


def enrol(world: World, student_id: int, entry_id: int, parent: str = "parent") -> int:
    with world.ctx.db.write_session() as s:
        return enrolment.enroll(world.ctx, s, world.actor(parent), student_id, entry_id).enrolment.id


def term_name(world: World, menu_id: int) -> str:
    with world.ctx.db.read_session() as s:
        return next(m.term_name for m in catalogue.menus(s) if m.menu_id == menu_id)


def issue(world: World, menu_id: int, admin: str = "school_admin", school: str = "school") -> bills.IssueResult:
    with world.ctx.db.write_session() as s:
        return bills.issue_for_school(world.ctx, s, world.actor(admin), world.school_ids[school], term_name(world, menu_id))


def lesson_days(world: World, entry_id: int) -> list[tuple[int, dt.date]]:
    with world.ctx.db.read_session() as s:
        return [(le.id, le.day) for le in s.scalars(select(Lesson).where(Lesson.entry_id == entry_id)
                                                     .order_by(Lesson.day, Lesson.start_min))]


def deliver(world: World, lesson_id: int, marks: dict[int, str], *, provider: str = "provider",
            admin: str = "school_admin") -> None:
    """Check the instructor in on the lesson's day and mark every student given (present/absent/leave)."""
    with world.ctx.db.write_session() as s:
        le = s.get(Lesson, lesson_id)
        assert le is not None
        day = le.day
    with world.ctx.db.read_session() as s:
        entry_id = s.get(Lesson, lesson_id).entry_id
        signed = lessons.service_signed(s, s.get(Entry, entry_id))
    if not signed:
        cs.sign_service(world, entry_id, provider, admin)
    clock.reset()
    with world.ctx.db.read_session() as s:
        start = s.get(Lesson, lesson_id).start_min
    # at the lesson's start: inside the county's check-in window
    clock.advance(dt.datetime.combine(day, dt.time(start // 60, start % 60), tzinfo=SHANGHAI) - clock.now())
    try:
        with world.ctx.db.write_session() as s:
            lessons.check_in(world.ctx, s, world.actor(provider), lesson_id, cs.staff_id(world, provider))
        with world.ctx.db.write_session() as s:
            lessons.mark(s, world.actor(admin), lesson_id, [lessons.Mark(sid, st, "病假" if st == "leave" else "")
                                                            for sid, st in marks.items()])
    finally:
        clock.reset()


def ledger_ok(world_or_ctx: Any) -> None:
    ctx = getattr(world_or_ctx, "ctx", world_or_ctx)
    with ctx.db.read_session() as s:
        assert ledger.unbalanced(s) == [], "every ledger transaction sums to zero"
        assert ledger.total(s) == 0, "the ledger as a whole balances"


def courses(world: World, fees: dict[str, int]) -> cs.Catalogue:
    """A published menu with up to five courses, each on its own weekday at 16:00 (Monday first), at
    the given term fee (materials 20 yuan each); billing enabled; one child of ``parent`` in grade 3."""
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    enable(world)
    m = cs.menu(world)
    cat = cs.Catalogue(m)
    for weekday, (name, fee) in enumerate(fees.items()):
        o = cs.offering(world, "provider", name, fee_fen=fee)
        cat.entries[name] = cs.place(world, m, o, [(weekday, "16:00")], venue=f"教室{weekday}")
    cs.publish(world, m)
    cat.students["xiaoming"] = cs.child(world, "小明")
    return cat
