"""Billing: the per-student term cap, one bill per term, waivers (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kehou.platform.context import Context
from kehou.plugins.billing_cap import bills, ledger
from kehou.plugins.billing_cap.models import Bill, BillLine
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import World
from tests.helpers import err, ok, token_headers

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
        lines = [(x.kind, x.amount_fen)
                 for x in s.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.id))]
        assert lines == [("course", 30000), ("materials", 2000), ("course", 30000), ("materials", 2000)]
        assert (bill.course_fen, bill.materials_fen, bill.total_fen) == (60000, 4000, 64000)
        assert bills.outstanding(s, bill) == 64000
        assert ledger.balance(s, bill.county_code, f"deferred:school:{bill.school_id}") == -60000


def test_term_cap_boundary_counts_course_fees_not_materials(client: TestClient, ctx: Context, world: World) -> None:
    cat = bs.courses(world, {"书法": 30000, "国画": 29999, "象棋": 1, "围棋": 2})
    sid = cat.students["xiaoming"]
    parent = token_headers(client, "parent")

    def enrol(name: str) -> object:
        return client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries[name]})

    ok(enrol("书法"), 201)
    ok(enrol("国画"), 201)  # 599.99 yuan, plus 40 yuan of materials: materials are not counted
    ok(enrol("象棋"), 201)  # exactly 600.00 yuan: at the cap is allowed
    over = err(enrol("围棋"), 400, "term_cap_exceeded")  # one fen... two fen over
    assert over["message"] == ("本学期已选课程费用合计600.00元，加上「围棋」0.02元共600.02元，超过每生每学期收费上限600.00元"
                               "（超出0.02元）。材料费不计入上限。")
    bs.put(world, "billing.term_cap_fen", 60001)
    err(enrol("围棋"), 400, "term_cap_exceeded")  # 600.02 > 600.01: still one fen over
    bs.put(world, "billing.term_cap_fen", 60002)
    ok(enrol("围棋"), 201)


def test_cap_counts_the_waitlist_and_follows_the_county_setting(client: TestClient, ctx: Context, world: World) -> None:
    cat = bs.courses(world, {"书法": 30000, "国画": 30000})
    sid = cat.students["xiaoming"]
    bs.put(world, "billing.term_cap_fen", 35000)
    parent = token_headers(client, "parent")
    ok(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["书法"]}), 201)
    err(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent,
                    json={"entry_id": cat.entries["国画"], "waitlist": True}), 400, "term_cap_exceeded")
    bs.put(world, "billing.term_cap_fen", 0)  # 0: no cap
    ok(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["国画"]}), 201)


def test_lesson_cap_and_category_price_range(client: TestClient, ctx: Context, world: World) -> None:
    cat = bs.courses(world, {"书法": 30000})
    sid = cat.students["xiaoming"]
    with ctx.db.read_session():
        n = len(bs.lesson_days(world, cat.entries["书法"]))
    assert n > 0
    bs.put(world, "billing.lesson_cap_fen", 30000 // n - 1)  # a fen under the course's price per lesson
    parent = token_headers(client, "parent")
    body = err(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["书法"]}),
               400, "lesson_cap_exceeded")
    assert f"{n}次课" in body["message"]
    bs.put(world, "billing.lesson_cap_fen", -(-30000 // n))
    ok(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["书法"]}), 201)
    bs.put(world, "billing.category_price_ranges", {"优秀传统文化": [10000, 29999]})
    prov = token_headers(client, "provider")
    offer = {"county_code": "330106", "title": "少儿硬笔书法", "category": "优秀传统文化", "grades": [3], "sessions_per_week": 1,
             "minutes": 60, "capacity": 30, "fee_fen": 30000, "instructor_id": cs.staff_id(world, "provider")}
    err(client.post("/api/v1/offerings", headers=prov, json=offer), 400, "fee_out_of_range")
    ok(client.post("/api/v1/offerings", headers=prov, json=offer | {"fee_fen": 29999}), 201)
    err(client.put("/api/v1/counties/330106/settings/billing.category_price_ranges", headers=token_headers(client, "decider"),
                   json={"value": {"体育": [5, 1]}, "reason": "x", "effective_from": "2026-12-01"}), 400, "setting_invalid")
