"""Selection day under concurrency: real threads, each with its own session and transaction,
released together by a barrier. On PostgreSQL (CI) these are true races decided by row locks;
on SQLite the same code is serialised by BEGIN IMMEDIATE."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from kehou.db import Database
from kehou.errors import KehouError
from kehou.platform.accounts import services as accounts
from kehou.platform.context import Context
from kehou.platform.counties import services as counties
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue import enrolment, menus
from kehou.plugins.course_catalogue.models import Enrolment, Entry
from tests import catalogue_setup as cs
from tests.factories import ADMIN, COUNTY, PASSWORD, SYSTEM, World


def race(ctx: Context, n: int, attempt: Callable[[Context, int], Any]) -> list[Any]:
    """Run ``attempt(ctx, i)`` for i in range(n) at once; returns results or the KehouError raised."""
    db = Database(ctx.db.url, pool_size=min(max(n // 4, 5), 16))  # at most 32 connections: PostgreSQL allows 100
    fast = dataclasses.replace(ctx, db=db)
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return attempt(fast, i)
        except KehouError as exc:
            return exc

    try:
        with ThreadPoolExecutor(max_workers=n) as pool:
            return list(pool.map(run, range(n)))
    finally:
        db.dispose()


def many_children(world: World, n: int, grade: int = 3) -> list[int]:
    ids = []
    with world.ctx.db.write_session() as s:
        for i in range(n):
            st = students.add_student(s, world.actor("school_admin"), world.school_ids["school"], students.StudentInput(
                student_no=f"C{i:04d}", name=f"学生{i}", grade=grade), commit=False)
            s.flush()
            ids.append(st.id)
        s.commit()
        for sid in ids:
            students.link_guardian(s, world.actor("school_admin"), sid, "parent")
    return ids


def enrol(world: World, sid: int, entry_id: int, **kw: Any) -> Callable[[Context, int], Any]:
    actor = world.actor("parent")

    def attempt(ctx: Context, _i: int) -> Any:
        with ctx.db.write_session() as s:
            return enrolment.enroll(ctx, s, actor, sid, entry_id, **kw)
    return attempt


def counts(ctx: Context, entry_id: int) -> tuple[int, int]:
    with ctx.db.read_session() as s:
        rows = s.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.entry_id == entry_id,
                                                                            Enrolment.status == "enrolled"))
        return rows, s.get(Entry, entry_id).enrolled


def test_200_parents_on_a_30_seat_course_fill_exactly_30(ctx: Context, world: World) -> None:
    cat = cs.ready(world)
    kids = many_children(world, 200)
    entry = cat.entries["calligraphy"]
    actor = world.actor("parent")

    def attempt(c: Context, i: int) -> Any:
        with c.db.write_session() as s:
            return enrolment.enroll(c, s, actor, kids[i], entry)

    results = race(ctx, 200, attempt)
    won = [r for r in results if isinstance(r, enrolment.Outcome)]
    lost = [r for r in results if isinstance(r, KehouError)]
    assert len(won) == 30 and len(lost) == 170
    assert {e.code for e in lost} == {"course_full"}
    assert counts(ctx, entry) == (30, 30)


def test_a_parent_double_submitting_gets_one_enrolment(ctx: Context, world: World) -> None:
    cat = cs.ready(world)
    sid, entry = cat.students["xiaoming"], cat.entries["calligraphy"]
    results = race(ctx, 20, enrol(world, sid, entry))
    assert all(isinstance(r, enrolment.Outcome) for r in results), results
    assert sum(r.created for r in results) == 1
    assert len({r.enrolment.id for r in results}) == 1
    assert counts(ctx, entry) == (1, 1)


def test_two_courses_at_the_same_time_for_one_child_are_refused(ctx: Context, world: World) -> None:
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    m = cs.menu(world)
    second_teacher = cs.add_instructor(world, "provider", "赵老师")  # one person cannot teach both at once
    same_time = [cs.place(world, m, cs.offering(world, "provider", t, category=c, instructor=teacher), [(0, "16:00")],
                          venue=f"教室{i}")
                 for i, (t, c, teacher) in enumerate([("少儿软笔书法", "优秀传统文化", None),
                                                      ("国画入门", "体育艺术", second_teacher)])]
    cs.publish(world, m)
    sid = cs.child(world, "小红")
    actor = world.actor("parent")

    def attempt(c: Context, i: int) -> Any:
        with c.db.write_session() as s:
            return enrolment.enroll(c, s, actor, sid, same_time[i % 2])

    results = race(ctx, 10, attempt)
    won = {r.enrolment.entry_id for r in results if isinstance(r, enrolment.Outcome)}
    refused = [r for r in results if isinstance(r, KehouError)]
    assert len(won) == 1
    assert refused and {e.code for e in refused} == {"timetable_conflict"}
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.student_id == sid)) == 1


def test_an_instructor_double_booked_across_two_schools_is_refused(ctx: Context, world: World) -> None:
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    oid = cs.offering(world, "provider", "少儿软笔书法")
    with ctx.db.write_session() as s:
        world.school_ids["school2"] = counties.add_school(s, ADMIN, county_code=COUNTY, name="西湖第二小学", kind="primary").id
        world.users["school_admin2"] = accounts.create_user(s, SYSTEM, username="school_admin2", display_name="二小管理员",
                                                            password=PASSWORD, role="school_admin", county_code=COUNTY,
                                                            school_id=world.school_ids["school2"])
    menus_by_school = [cs.menu(world), cs.menu(world, "school2", "school_admin2")]
    admins = [world.actor("school_admin"), world.actor("school_admin2")]

    def attempt(c: Context, i: int) -> Any:
        with c.db.write_session() as s:
            return menus.place(c, s, admins[i % 2], menus_by_school[i % 2], menus.PlaceInput(
                offering_id=oid, venue=f"教室{i}", capacity=30, slots=[menus.SlotInput(2, "16:00" if i % 3 else "16:30")]))

    results = race(ctx, 12, attempt)
    placed = [r for r in results if isinstance(r, Entry)]
    refused = [r for r in results if isinstance(r, KehouError)]
    assert len(placed) == 1, results
    assert {e.code for e in refused} == {"instructor_double_booked"}
    # a different weekday is fine, in the other school
    with ctx.db.write_session() as s:
        other = 1 if placed[0].school_id == world.school_ids["school"] else 0
        menus.place(ctx, s, admins[other], menus_by_school[other], menus.PlaceInput(
            offering_id=oid, venue="操场", capacity=30, slots=[menus.SlotInput(3, "16:00")]))
