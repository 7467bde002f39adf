"""Refunds and the term-end statement with worked examples, a provider's exit mid-term, provider
settlement and the publicity page (SQLite and PostgreSQL).

The menu's term is 2026-09-01 to 2027-01-31; lessons are generated from today (2026-11-24 in the
sessions these examples were written in, but nothing depends on it): the examples compute each
expected figure from the lesson count ``n`` with the cumulative formula fee*k//n."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.plugins.billing_cap import bills, ledger, settlement, statement
from kehou.plugins.billing_cap.models import Bill
from kehou.plugins.billing_cap.payments import find_bill, record_payment
from kehou.plugins.course_catalogue import enrolment
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import COUNTY, World
from tests.helpers import err, ok, token_headers

pytestmark = pytest.mark.usefixtures("ledger_balanced")
FEE = 30000


def pay_in_full(world: World, student_id: int) -> Bill:
    with world.ctx.db.write_session() as s:
        bill = find_bill(s, bill_id=s.scalars(select(Bill.id).where(Bill.student_id == student_id)).one())
        record_payment(s, world.actor("school_admin"), bill, gateway="offline", external_id=f"BANK-{student_id}",
                       amount_fen=bill.total_fen)
        s.commit()
        return bill


def bill_of(world: World, student_id: int) -> Bill:
    with world.ctx.db.read_session() as s:
        return s.scalars(select(Bill).where(Bill.student_id == student_id)).one()


def owed(world: World, student_id: int) -> int:
    with world.ctx.db.read_session() as s:
        return bills.outstanding(s, s.scalars(select(Bill).where(Bill.student_id == student_id)).one())


def after_term() -> None:
    clock.advance(dt.datetime(2027, 2, 2, 12) - dt.datetime.combine(clock.today_local(), dt.time(12)))


def test_provider_exit_mid_term_refunds_exactly_the_undelivered_lessons(ctx: Context, world: World) -> None:
    cat = bs.courses(world, {"书法": FEE})
    entry = cat.entries["书法"]
    kids = [cat.students["xiaoming"], cs.child(world, "小红"), cs.child(world, "小刚")]
    for sid in kids:
        bs.enrol(world, sid, entry)
    bs.issue(world, cat.menu_id)
    for sid in kids:
        pay_in_full(world, sid)
    days = bs.lesson_days(world, entry)
    n = len(days)
    assert n >= 4
    for lesson_id, _ in days[:2]:
        bs.deliver(world, lesson_id, dict.fromkeys(kids, "present"))
    with ctx.db.write_session() as s:
        credited = statement.exit_refunds(s, Actor.system("test"), world.provider_ids["provider"], COUNTY, days[2][1])
    undelivered = FEE - FEE * 2 // n  # lessons 3..n
    assert credited == 3 * undelivered
    with ctx.db.write_session() as s:  # a repeated event credits nothing more
        assert statement.exit_refunds(s, Actor.system("test"), world.provider_ids["provider"], COUNTY, days[2][1]) == 0
    for sid in kids:
        assert owed(world, sid) == -undelivered  # materials bought and two lessons taught: not refunded
    after_term()
    with ctx.db.write_session() as s:
        made = statement.close_term(ctx, s, world.actor("school_admin"), world.school_ids["school"],
                                    bs.term_name(world, cat.menu_id))
    assert [m.balance_fen for m in made] == [-undelivered] * 3 and all(m.refund_fen == 0 for m in made)


def test_absence_refund_worked_example(ctx: Context, world: World) -> None:
    """Three Monday lessons missed in a row: the run starts on the first; the second is 7 days later,
    so it and the third (14 days) fall after a continuous absence of more than 7 days: 2 shares back."""
    cat = bs.courses(world, {"书法": FEE})
    sid, entry = cat.students["xiaoming"], cat.entries["书法"]
    bs.enrol(world, sid, entry)
    bs.issue(world, cat.menu_id)
    pay_in_full(world, sid)
    days = bs.lesson_days(world, entry)
    n = len(days)
    assert (days[1][1] - days[0][1]).days == 7 and (days[2][1] - days[0][1]).days == 14
    for lesson_id, _ in days[:3]:
        bs.deliver(world, lesson_id, {sid: "leave"})
    bs.deliver(world, days[3][0], {sid: "present"})
    for lesson_id, _ in days[4:]:
        bs.deliver(world, lesson_id, {sid: "present"})
    after_term()
    with ctx.db.write_session() as s:
        [made] = statement.close_term(ctx, s, world.actor("school_admin"), world.school_ids["school"],
                                      bs.term_name(world, cat.menu_id))
    share = [FEE * k // n - FEE * (k - 1) // n for k in range(1, n + 1)]
    assert made.lines[0]["refunds"] == {"absence": share[1] + share[2]}
    assert made.balance_fen == -(share[1] + share[2]) and made.refund_fen == share[1] + share[2]
    with ctx.db.write_session() as s:  # idempotent: a second run makes no second statement
        assert statement.close_term(ctx, s, world.actor("school_admin"), world.school_ids["school"],
                                    bs.term_name(world, cat.menu_id)) == []


def test_quit_refund_follows_the_policy_the_bill_was_made_under(ctx: Context, world: World) -> None:
    cat = bs.courses(world, {"书法": FEE})
    sid, entry = cat.students["xiaoming"], cat.entries["书法"]
    bs.put(world, "billing.refund_rules", [{"kind": "quit", "from": "term_start", "of": "untaught",
                                            "schedule": [{"within": 200, "unit": "days", "percent": 80}]},
                                           {"kind": "undelivered"}])
    bs.enrol(world, sid, entry)
    bs.issue(world, cat.menu_id)
    pay_in_full(world, sid)
    bs.put(world, "billing.refund_rules", [{"kind": "undelivered"}])  # later change: not this bill's policy
    days = bs.lesson_days(world, entry)
    n = len(days)
    bs.deliver(world, days[0][0], {sid: "present"})
    clock.advance(dt.datetime.combine(days[1][1], dt.time(9)) - dt.datetime.combine(clock.today_local(), dt.time(9)))
    with ctx.db.write_session() as s:
        enrolment.quit(ctx, s, world.actor("parent"), sid, entry, "孩子兴趣转移")
    clock.reset()
    after_term()
    with ctx.db.write_session() as s:
        [made] = statement.close_term(ctx, s, world.actor("school_admin"), world.school_ids["school"],
                                      bs.term_name(world, cat.menu_id))
    after_quit = FEE - FEE * 1 // n  # lessons 2..n, from the quit date on
    assert made.lines[0]["refunds"] == {"quit": after_quit * 80 // 100}
    assert made.lines[0]["retained_fen"] == after_quit - after_quit * 80 // 100
    assert made.balance_fen == -(after_quit * 80 // 100)
    with ctx.db.read_session() as s:
        bill = s.scalars(select(Bill)).one()
        assert ledger.balance(s, COUNTY, f"income:{bill.collector}") == -(after_quit - after_quit * 80 // 100)


def test_join_after_billing_is_collected_once_at_term_end(ctx: Context, world: World) -> None:
    cat = bs.courses(world, {"书法": FEE, "国画": 20000})
    sid = cat.students["xiaoming"]
    bs.enrol(world, sid, cat.entries["书法"])
    bs.issue(world, cat.menu_id)
    pay_in_full(world, sid)
    days = bs.lesson_days(world, cat.entries["国画"])
    n = len(days)
    clock.advance(dt.datetime.combine(days[2][1], dt.time(7)) - dt.datetime.combine(clock.today_local(), dt.time(7)))
    bs.enrol(world, sid, cat.entries["国画"])  # joins before its third lesson
    bs.issue(world, cat.menu_id)  # no second collection mid-term
    clock.reset()
    with ctx.db.read_session() as s:
        assert len(s.scalars(select(Bill)).all()) == 1
    for lesson_id, _ in days[2:]:
        bs.deliver(world, lesson_id, {sid: "present"})
    for lesson_id, _ in bs.lesson_days(world, cat.entries["书法"]):
        bs.deliver(world, lesson_id, {sid: "present"})
    after_term()
    with ctx.db.write_session() as s:
        [made] = statement.close_term(ctx, s, world.actor("school_admin"), world.school_ids["school"],
                                      bs.term_name(world, cat.menu_id))
    joined_part = 20000 - 20000 * 2 // n
    assert made.extra_fen == joined_part and made.balance_fen == joined_part  # 少补: on the same bill


def test_waiver_halves_the_bill_and_the_refunds(ctx: Context, world: World) -> None:
    cat = bs.courses(world, {"书法": FEE})
    sid = cat.students["xiaoming"]
    bs.enrol(world, sid, cat.entries["书法"])
    term = bs.term_name(world, cat.menu_id)
    with ctx.db.write_session() as s:
        bills.record_waiver(ctx, s, world.actor("school_admin"), world.school_ids["school"], student_id=sid, term_name=term,
                            tier="half", evidence="低保证明 编号2026-118", reason="家庭经济困难")
    bs.issue(world, cat.menu_id)
    bill = bill_of(world, sid)
    assert (bill.waiver_fen, bill.total_fen) == ((FEE + 2000) // 2, (FEE + 2000) // 2)
    with ctx.db.write_session() as s:
        bills.record_waiver(ctx, s, world.actor("school_admin"), world.school_ids["school"], student_id=sid, term_name=term,
                            tier="free", evidence="特困供养证明 编号77", reason="复核后全免")
    assert owed(world, sid) == 0 and bill_of(world, sid).total_fen == 0


def test_settlement_pays_delivered_marked_lessons_after_two_approvals(client: TestClient, ctx: Context, world: World) -> None:
    cat = bs.courses(world, {"书法": FEE})
    entry = cat.entries["书法"]
    kids = [cat.students["xiaoming"], cs.child(world, "小红")]
    for sid in kids:
        bs.enrol(world, sid, entry)
    bs.issue(world, cat.menu_id)
    days = bs.lesson_days(world, entry)
    n = len(days)
    bs.deliver(world, days[0][0], {kids[0]: "present", kids[1]: "absent"})
    bs.deliver(world, days[1][0], {kids[0]: "present", kids[1]: "present"})
    clock.advance(dt.datetime.combine(days[2][1], dt.time(7)) - dt.datetime.combine(clock.today_local(), dt.time(7)))
    school = token_headers(client, "school_admin")
    period = {"period_start": days[0][1].isoformat(), "period_end": days[1][1].isoformat()}
    [row] = ok(client.post(f"/api/v1/schools/{world.school_ids['school']}/settlements", headers=school, json=period))
    assert ok(client.post(f"/api/v1/schools/{world.school_ids['school']}/settlements", headers=school, json=period)) == []
    assert row["amount_fen"] == 2 * (FEE * 2 // n) and row["lessons"] == 2 and row["status"] == "draft"
    err(client.post(f"/api/v1/settlements/{row['id']}/paid", headers=school, json={"reference": "X1"}), 409, "settlement_state")
    err(client.post(f"/api/v1/settlements/{row['id']}/approve", headers=token_headers(client, "decider"), json={}),
        409, "settlement_state")
    ok(client.post(f"/api/v1/settlements/{row['id']}/approve", headers=school, json={}))
    err(client.post(f"/api/v1/settlements/{row['id']}/approve", headers=token_headers(client, "other_decider"), json={}),
        404, "settlement_not_found")
    assert ok(client.post(f"/api/v1/settlements/{row['id']}/approve", headers=token_headers(client, "decider"),
                          json={"reason": "核对无误"}))["status"] == "approved"
    ok(client.post(f"/api/v1/settlements/{row['id']}/paid", headers=school, json={"reference": "BANK-2026-12-001"}))
    provider = token_headers(client, "provider")
    assert [s["id"] for s in ok(client.get("/api/v1/settlements", headers=provider))] == [row["id"]]
    xlsx = client.get(f"/api/v1/settlements/{row['id']}/xlsx", headers=provider)
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    detail = list(wb["明细"].iter_rows(values_only=True))
    assert detail[-1] == ("合计", None, None, None, row["amount_fen"]) and len(detail) == 2 + 4
    with ctx.db.read_session() as s:
        assert ledger.balance(s, COUNTY, f"payable:provider:{world.provider_ids['provider']}") == -4000  # materials only
        assert ledger.balance(s, COUNTY, f"cash:school:{world.school_ids['school']}") == -row["amount_fen"]
    assert settlement.STATUS_LABELS["paid"] == "已支付"


def test_fee_publicity_page_and_term_accounts(client: TestClient, ctx: Context, world: World) -> None:
    cat = bs.courses(world, {"书法": FEE})
    bs.put(world, "billing.complaint_hotline", "0571-12345678")
    bs.put(world, "billing.fee_basis", "西湖区教育局《课后服务收费管理办法》（西教〔2026〕8号）")
    sid = cat.students["xiaoming"]
    bs.enrol(world, sid, cat.entries["书法"])
    bs.issue(world, cat.menu_id)
    pay_in_full(world, sid)
    page = ok(client.get(f"/api/v1/public/fees/{world.school_ids['school']}"))
    assert page["hotline"] == "0571-12345678" and "西教〔2026〕8号" in page["basis"]
    assert page["courses"][0]["fee_fen"] == FEE and page["standard"]["term_cap_fen"] == 60000
    assert page["accounts"] is None  # during the term
    assert any("连续缺课满7天（含）" in r for r in page["refunds"]) and page["waivers"][0]["label"] == "全免"
    after_term()
    page = ok(client.get(f"/api/v1/public/fees/{world.school_ids['school']}"))
    assert page["accounts"]["collected_fen"] == FEE + 2000 and page["accounts"]["billed_fen"] == FEE + 2000
    err(client.get("/api/v1/public/fees/999999"), 404, "school_not_found")
    cs.set_whitelist_status(world, "provider", "suspended")
    assert ok(client.get(f"/api/v1/public/fees/{world.school_ids['school']}"))["courses"] == []
