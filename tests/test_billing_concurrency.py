"""Billing under concurrency: the cap with two guardians enrolling one child at once, and one term
bill under concurrent and retried issuing (real threads; PostgreSQL in CI, serialised on SQLite)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kehou.errors import KehouError
from kehou.platform.accounts import services as accounts
from kehou.platform.context import Context
from kehou.platform.students import services as students
from kehou.plugins.billing_cap import bills
from kehou.plugins.billing_cap.models import Bill, LedgerTxn
from kehou.plugins.course_catalogue import enrolment
from kehou.plugins.course_catalogue.models import Enrolment, Entry
from tests import billing_setup as bs
from tests.factories import PASSWORD, SYSTEM, World
from tests.test_catalogue_concurrency import race

pytestmark = pytest.mark.usefixtures("ledger_balanced")


def test_two_guardians_enrolling_one_child_at_once_cannot_pass_the_cap(ctx: Context, world: World) -> None:
    cat = bs.courses(world, {"书法": 30000, "国画": 30000, "象棋": 30000, "围棋": 30000})
    sid = cat.students["xiaoming"]
    with ctx.db.write_session() as s:
        world.users["father"] = accounts.create_user(s, SYSTEM, username="father", display_name="父亲", password=PASSWORD,
                                                     role="parent", county_code=world.users["school_admin"].county_code,
                                                     school_id=world.school_ids["school"])
        students.link_guardian(s, world.actor("school_admin"), sid, "father", "父亲")
    bs.enrol(world, sid, cat.entries["书法"])
    names = ["国画", "象棋", "围棋"]

    def attempt(c: Context, i: int) -> object:
        who = "parent" if i % 2 == 0 else "father"
        with c.db.write_session() as s:
            return enrolment.enroll(c, s, world.actor(who), sid, cat.entries[names[i % 3]])

    results = race(ctx, 12, attempt)
    refused = [r for r in results if isinstance(r, KehouError)]
    assert refused and {r.code for r in refused} == {"term_cap_exceeded"}
    with ctx.db.read_session() as s:
        fees = s.scalars(select(Entry.fee_fen).join(Enrolment, Enrolment.entry_id == Entry.id).where(
            Enrolment.student_id == sid, Enrolment.status == "enrolled")).all()
    assert sum(fees) == 60000 and len(fees) == 2  # one of the three got the last 300 yuan, no more


def test_one_bill_per_student_under_concurrent_and_retried_issuing(ctx: Context, world: World) -> None:
    cat = bs.courses(world, {"书法": 30000, "国画": 20000})
    kids = [cat.students["xiaoming"]] + [bs.cs.child(world, f"学生{i}") for i in range(5)]
    for sid in kids:
        bs.enrol(world, sid, cat.entries["书法"])
        bs.enrol(world, sid, cat.entries["国画"])
    term = bs.term_name(world, cat.menu_id)

    def attempt(c: Context, i: int) -> object:
        with c.db.write_session() as s:
            return bills.issue_for_school(c, s, world.actor("school_admin"), world.school_ids["school"], term)

    results = race(ctx, 8, attempt)
    assert not [r for r in results if isinstance(r, KehouError)]
    assert sum(len(r.created) for r in results) == len(kids)  # each child billed by exactly one of the eight
    bs.issue(world, cat.menu_id)  # and a retry later changes nothing
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Bill)) == len(kids)
        assert s.scalar(select(func.count()).select_from(LedgerTxn).where(LedgerTxn.kind == "charge")) == len(kids)
        assert set(s.scalars(select(Bill.total_fen))) == {50000 + 4000}
