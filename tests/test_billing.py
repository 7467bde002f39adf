"""Billing: the per-student term cap, one bill per term, waivers (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kehou.platform.context import Context
from kehou.plugins.billing_cap import bills, ledger
from kehou.plugins.billing_cap.models import Bill, BillLine
from tests import billing_setup as bs
from tests.factories import World

pytestmark = pytest.mark.usefixtures("ledger_balanced")


def test_one_term_bill_lists_courses_and_materials(ctx: Context, world: World) -> None:
    cat = bs.ready(world)
    sid = cat.students["xiaoming"]
    bs.enrol(world, sid, cat.entries["calligraphy"])
    bs.enrol(world, sid, cat.entries["painting"])
    first = bs.issue(world, cat.menu_id)
    again = bs.issue(world, cat.menu_id)
    assert len(first.created) == 1 and again.created == [] and len(again.existing) == 1
    with ctx.db.read_session() as s:
        bill = s.scalars(select(Bill)).one()
        lines = [(x.kind, x.amount_fen) for x in s.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.id))]
        assert lines == [("course", 30000), ("materials", 2000), ("course", 30000), ("materials", 2000)]
        assert (bill.course_fen, bill.materials_fen, bill.total_fen) == (60000, 4000, 64000)
        assert bills.outstanding(s, bill) == 64000
        assert ledger.balance(s, bill.county_code, f"deferred:school:{bill.school_id}") == -60000
