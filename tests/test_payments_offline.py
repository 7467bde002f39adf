"""The offline gateway (bank transfer / 非税缴款): receipts recorded by hand, bank statements imported
(CSV in UTF-8 with BOM or GBK, .xlsx) and matched to bills by the reference in the transfer note, lines
matched by hand; who may do each; the ledger afterwards (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from kehou.platform.accounts import services as accounts
from kehou.platform.context import Context
from kehou.platform.counties import services as counties
from kehou.pluginapi import PaymentSnapshot
from kehou.plugins.billing_cap import ledger, payments, reconcile
from kehou.plugins.billing_cap.models import Bill, Payment, PaymentRefund
from kehou.plugins.course_catalogue.models import Entry
from kehou.plugins.payments_offline import importer, services
from kehou.plugins.payments_offline.gateway import OfflineGateway
from kehou.plugins.payments_offline.models import OfflineStatementLine
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import ADMIN, COUNTY, OTHER_COUNTY, PASSWORD, SYSTEM, World
from tests.helpers import err, ok, token_headers

pytestmark = pytest.mark.usefixtures("ledger_balanced")

BILL_FEN = 32000  # one course of 300 yuan + 20 yuan materials


@dataclass
class Setup:
    school_id: int
    bills: dict[str, tuple[int, str]]  # child -> (bill id, reference)
    school2_id: int = 0


def bill_of(world: World, student_id: int) -> tuple[int, str]:
    with world.ctx.db.read_session() as s:
        bill = s.scalars(select(Bill).where(Bill.student_id == student_id)).one()
        return bill.id, bill.reference


def billed(world: World, *, second_school: bool = False, collector: str = "school") -> Setup:
    """Two billed children of the school (小明 and 小红, 320 yuan each); with ``second_school`` also
    西湖二小 of the same county with its admin ``school2_admin`` and one billed child (小刚)."""
    cat = bs.ready(world)
    if collector != "school":
        bs.put(world, "billing.collector", collector)
    xiaohong = cs.child(world, "小红")
    for sid in (cat.students["xiaoming"], xiaohong):
        bs.enrol(world, sid, cat.entries["calligraphy"])
    bs.issue(world, cat.menu_id)
    setup = Setup(world.school_ids["school"], {"xiaoming": bill_of(world, cat.students["xiaoming"]),
                                               "xiaohong": bill_of(world, xiaohong)})
    with world.ctx.db.write_session() as s:
        school2 = counties.add_school(s, ADMIN, county_code=COUNTY, name="西湖第二小学", kind="primary").id
        world.school_ids["school2"] = school2
        world.users["school2_admin"] = accounts.create_user(
            s, SYSTEM, username="school2_admin", display_name="二小管理员", password=PASSWORD, role="school_admin",
            county_code=COUNTY, school_id=school2)
        world.users["other_school_admin"] = accounts.create_user(
            s, SYSTEM, username="other_school_admin", display_name="滨江初中管理员", password=PASSWORD, role="school_admin",
            county_code=OTHER_COUNTY, school_id=world.school_ids["other_school"])
        offering_id = s.scalars(select(Entry.offering_id).where(Entry.id == cat.entries["calligraphy"])).one()
        s.commit()
    setup.school2_id = school2
    if second_school:
        menu = cs.menu(world, school="school2", admin="school2_admin")
        entry = cs.place(world, menu, offering_id, [(2, "16:00")], admin="school2_admin")
        cs.publish(world, menu, admin="school2_admin")
        child = cs.child(world, "小刚", parent="parent2", school="school2", admin="school2_admin", new_parent=True)
        bs.enrol(world, child, entry, parent="parent2")
        bs.issue(world, menu, admin="school2_admin", school="school2")
        setup.bills["xiaogang"] = bill_of(world, child)
    return setup


def bill_state(world: World, bill_id: int) -> tuple[str, int, int]:
    with world.ctx.db.read_session() as s:
        bill = s.get(Bill, bill_id)
        assert bill is not None
        return bill.status, bill.paid_fen, ledger.balance(s, bill.county_code, f"receivable:bill:{bill.id}")


def cash(world: World, school_id: int) -> int:
    with world.ctx.db.read_session() as s:
        return ledger.balance(s, COUNTY, f"cash:school:{school_id}")


def payment_count(world: World) -> int:
    with world.ctx.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(Payment)) or 0


def receipt(txn: str = "HAND-001", amount: int = BILL_FEN, **kw: Any) -> dict[str, Any]:
    return {"bank_txn_id": txn, "amount_fen": amount, "paid_on": kw.pop("paid_on", clock.today_local().isoformat()),
            "payer": kw.pop("payer", "王芳"), **kw}


def csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


def upload(client: TestClient, school_id: int, headers: dict[str, str], name: str, data: bytes,
           content_type: str = "text/csv") -> Any:
    return client.post(f"/api/v1/schools/{school_id}/bank-statements", headers=headers,
                       files={"file": (name, data, content_type)})


def statement_rows(setup: Setup) -> list[list[str]]:
    """A bank's export: title rows, the header, then one line of each kind."""
    ming, hong = setup.bills["xiaoming"][1], setup.bills["xiaohong"][1]
    return [
        ["西湖小学课后服务专户 交易明细"],
        ["账号：33001616200053000000", "", "", "", ""],
        ["交易流水号", "交易日期", "收入金额（元）", "对方户名", "附言"],
        ["B20260901001", "2026-09-01", "320.00", "王芳", f"{ming.lower()} 小明课后服务费"],  # matched, lower case
        ["B20260901002", "2026/09/01", "100.00", "李雷", "课后服务费"],  # no reference
        ["B20260902003", "2026年9月2日", "1,000.00", "韩梅梅", "KH2222222222"],  # no such bill
        ["B20260902004", "20260902", "-50.00", "西湖小学", "手续费冲正"],  # not a payment
        ["B20260903005", "2026-09-03", "150.50", "张伟", f"缴费 {hong[:6]} {hong[6:]}"],  # matched, split reference
        ["B20260903006", "2026-09-03", "12.345", "赵六", "零头"],  # a fraction of a fen: rejected
        ["", "2026-09-03", "99.00", "钱七", "无流水号"],  # rejected
    ]


# --- the gateway ---------------------------------------------------------------------------


def test_gateway_is_registered_and_gives_chinese_instructions(ctx: Context, world: World) -> None:
    setup = billed(world)
    bill_id, ref = setup.bills["xiaoming"]
    assert "offline" in payments.gateways(ctx)
    gw = payments.gateways(ctx)["offline"]
    assert (gw.name, gw.label, gw.enabled()) == ("offline", "银行转账 / 非税缴款", True)
    with ctx.db.read_session() as s:
        started = payments.start(ctx, s, world.actor("parent"), bill_id, "offline")
    assert started["amount_fen"] == BILL_FEN and started["quote_in_note"] == ref
    assert "320.00元" in started["instructions"] and ref in started["instructions"] and "附言" in started["instructions"]
    assert "核对" in started["instructions"] and "确认收款" in started["instructions"]
    record = gw.refund(PaymentSnapshot(1, bill_id, "offline", "X", 100, 0), 100, "refund:abc")
    assert (record.external_id, record.kind, record.amount_fen, record.status) == (
        "offline-refund:refund:abc", "refund", 100, "succeeded")
    assert len(gw.refund(PaymentSnapshot(1, bill_id, "offline", "X", 100, 0), 1, "k" * 200).external_id) <= 120


def test_statement_parsing_is_exact() -> None:
    assert [importer.amount_fen(v) for v in ("300.00", "300", "1,200.5", "￥0.01", "(50.00)", "", None, 320.0, 7)] == \
        [30000, 30000, 120050, 1, -5000, 0, 0, 32000, 700]
    for bad in ("12.345", "abc", "1e3", "NaN", 0.1 + 0.2):
        with pytest.raises(importer.RowProblem):
            importer.amount_fen(bad)
    assert importer.paid_on("2026年9月1日") == importer.paid_on("2026/9/1 10:20") == dt.date(2026, 9, 1)
    assert importer.references("学费ｋｈ２３４５ａｂｃｄｅｆ") == ["KH2345ABCDEF"]  # full-width, lower case
    assert importer.references("KH2345ABCDE") == [] and importer.references("没有编号") == []
    assert importer.normalise_txn_id(" b 2026-01 ") == "B2026-01"


# --- by hand ---------------------------------------------------------------------------------


def test_hand_recorded_payment_is_idempotent(client: TestClient, world: World) -> None:
    setup = billed(world)
    bill_id, _ = setup.bills["xiaoming"]
    h = token_headers(client, "school_admin")
    first = ok(client.post(f"/api/v1/bills/{bill_id}/offline-payments", headers=h, json=receipt("hand-001")), 201)
    assert first["created"] is True and first["payment"]["external_id"] == "HAND-001"
    assert first["payment"]["gateway"] == "offline" and first["payment"]["amount_fen"] == BILL_FEN
    assert first["bill"]["paid_fen"] == BILL_FEN and first["bill"]["outstanding_fen"] == 0
    # the same transfer again (a double click; typed with spaces): the same payment, nothing posted
    again = ok(client.post(f"/api/v1/bills/{bill_id}/offline-payments", headers=h, json=receipt(" hand - 001")), 200)
    assert again["created"] is False and again["payment"]["id"] == first["payment"]["id"]
    assert bill_state(world, bill_id) == ("paid", BILL_FEN, 0)
    assert cash(world, setup.school_id) == BILL_FEN and payment_count(world) == 1
    # reused with another amount, or on another bill: a conflict, nothing recorded
    err(client.post(f"/api/v1/bills/{bill_id}/offline-payments", headers=h, json=receipt("HAND-001", 100)),
        409, "payment_conflict")
    other = setup.bills["xiaohong"][0]
    err(client.post(f"/api/v1/bills/{other}/offline-payments", headers=h, json=receipt("HAND-001")), 409, "payment_conflict")
    assert bill_state(world, other) == ("open", 0, BILL_FEN) and payment_count(world) == 1


def test_hand_record_refuses_bad_input(client: TestClient, world: World) -> None:
    setup = billed(world)
    bill_id, _ = setup.bills["xiaoming"]
    h = token_headers(client, "school_admin")
    path = f"/api/v1/bills/{bill_id}/offline-payments"
    tomorrow = (clock.today_local() + dt.timedelta(days=1)).isoformat()
    for body, code in [
        (receipt(amount=-100), "amount_invalid"),
        (receipt(amount=0), "amount_invalid"),
        (receipt(amount=10_000_001), "amount_invalid"),
        (receipt(txn="  "), "bank_txn_id_required"),
        (receipt(txn="X" * 81), "bank_txn_id_too_long"),
        (receipt(paid_on="2026/09/01"), "paid_on_invalid"),
        (receipt(paid_on=tomorrow), "paid_on_in_future"),
        (receipt(payer=" "), "payer_required"),
        (receipt(note="长" * 201), "note_too_long"),
        (receipt() | {"amount_fen": "300.00"}, "amount_invalid"),  # never read as 300 fen
        (receipt() | {"amount_fen": 300.5}, "amount_invalid"),
        (receipt() | {"amount_fen": True}, "amount_invalid"),
        (receipt() | {"paid_on": 20260901}, "invalid_input"),
    ]:
        body_err = err(client.post(path, headers=h, json=body), 400, code)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body_err["message"]), body_err
    assert bill_state(world, bill_id) == ("open", 0, BILL_FEN) and payment_count(world) == 0


def test_who_may_not_record_by_hand(client: TestClient, world: World) -> None:
    setup = billed(world)
    bill_id, _ = setup.bills["xiaoming"]
    path = f"/api/v1/bills/{bill_id}/offline-payments"
    err(client.post(path, json=receipt()), 401, "not_authenticated")
    for who, status, code in [("parent", 403, "not_collector"),  # the family sees the bill but does not collect
                              ("reviewer1", 403, "not_collector"),  # the county does not collect this bill
                              ("provider", 403, "permission_denied"),
                              ("school2_admin", 404, "bill_not_found"),
                              ("other_school_admin", 404, "bill_not_found"),
                              ("other_reviewer", 404, "bill_not_found")]:
        err(client.post(path, headers=token_headers(client, who), json=receipt()), status, code)
    assert payment_count(world) == 0
    # billing decides who may: the collector's staff (and the platform administrator)
    ok(client.post(path, headers=token_headers(client, "admin"), json=receipt()), 201)


def test_double_submission_from_two_threads_records_one_payment(ctx: Context, world: World) -> None:
    setup = billed(world)
    bill_id, _ = setup.bills["xiaoming"]
    barrier = threading.Barrier(2)

    def submit() -> bool:
        with ctx.db.write_session() as s:
            barrier.wait(30)
            return services.record_by_hand(s, world.actor("school_admin"), bill_id, services.HandReceipt(
                "B-SAME-1", BILL_FEN, clock.today_local().isoformat(), "王芳")).created

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(submit) for _ in range(2)]
        outcomes = [f.result(timeout=60) for f in futures]
    assert sorted(outcomes) == [False, True]
    assert payment_count(world) == 1
    assert bill_state(world, bill_id) == ("paid", BILL_FEN, 0) and cash(world, setup.school_id) == BILL_FEN


# --- bank statements -------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_statement_matches_lines_and_skips_them_on_reimport(client: TestClient, world: World, encoding: str) -> None:
    setup = billed(world, second_school=True)
    rows = statement_rows(setup)
    rows.insert(7, ["B20260903007", "2026-09-03", "320.00", "刘强", f"{setup.bills['xiaogang'][1]}"])  # another school's bill
    data = csv_bytes(rows, encoding)
    h = token_headers(client, "school_admin")
    body = ok(upload(client, setup.school_id, h, "流水.csv", data))
    assert body["counts"] == {"lines": 8, "new": 6, "duplicates": 0, "matched": 2, "unmatched": 4, "rejected": 2}
    problems = {x["bank_txn_id"]: x["problem"] for x in body["unmatched"]}
    assert set(problems) == {"B20260901002", "B20260902003", "B20260902004", "B20260903007"}
    assert "没有账单编号" in problems["B20260901002"]
    assert "找不到账单编号KH2222222222" in problems["B20260902003"]
    assert "不是正数" in problems["B20260902004"]
    assert "不是本校的账单" in problems["B20260903007"]
    assert {x["row"] for x in body["unmatched"]} == {5, 6, 7, 8}
    assert [r["row"] for r in body["rejected"]] == [10, 11]
    assert "分以下" in body["rejected"][0]["problem"] and "流水号" in body["rejected"][1]["problem"]
    ming, hong = setup.bills["xiaoming"][0], setup.bills["xiaohong"][0]
    assert bill_state(world, ming) == ("paid", BILL_FEN, 0)
    assert bill_state(world, hong) == ("open", 15050, BILL_FEN - 15050)
    assert cash(world, setup.school_id) == BILL_FEN + 15050
    assert bill_state(world, setup.bills["xiaogang"][0]) == ("open", 0, BILL_FEN)
    assert cash(world, setup.school2_id) == 0
    # the same file again: every stored line is a duplicate, nothing is recorded twice
    again = ok(upload(client, setup.school_id, h, "流水.csv", data))
    assert again["counts"] == {"lines": 8, "new": 0, "duplicates": 6, "matched": 0, "unmatched": 0, "rejected": 2}
    assert again["unmatched"] == []
    assert payment_count(world) == 2 and cash(world, setup.school_id) == BILL_FEN + 15050
    with world.ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(OfflineStatementLine)) == 6


def test_xlsx_statement_and_a_hand_record_it_confirms(client: TestClient, world: World) -> None:
    from openpyxl import Workbook

    setup = billed(world)
    ming, ming_ref = setup.bills["xiaoming"]
    hong, hong_ref = setup.bills["xiaohong"]
    h = token_headers(client, "school_admin")
    # the finance office saw 小明's transfer arrive and recorded it by hand first
    ok(client.post(f"/api/v1/bills/{ming}/offline-payments", headers=h, json=receipt("B9001")), 201)
    book = Workbook()
    sheet = book.active
    sheet.append(["交易流水号", "交易日期", "金额", "付款人", "摘要", "用途"])
    sheet.append(["B9001", dt.datetime(2026, 9, 1, 10, 30), 320.0, "王芳", "转账", ming_ref])  # the hand record
    sheet.append(["B9002", dt.date(2026, 9, 2), 200, "李雷", "网银", f"{hong_ref}学费"])
    sheet.append([])
    sheet.append(["B9003", dt.date(2026, 9, 2), 120, "李雷", "网银", f"{hong_ref}"])
    buf = io.BytesIO()
    book.save(buf)
    xlsx = buf.getvalue()
    ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    body = ok(upload(client, setup.school_id, h, "statement.xlsx", xlsx, ctype))
    assert body["counts"] == {"lines": 3, "new": 3, "duplicates": 0, "matched": 3, "unmatched": 0, "rejected": 0}
    assert payment_count(world) == 3  # the hand record was confirmed, not recorded again
    assert bill_state(world, ming) == ("paid", BILL_FEN, 0)
    assert bill_state(world, hong) == ("paid", BILL_FEN, 0)
    assert cash(world, setup.school_id) == 2 * BILL_FEN
    again = ok(upload(client, setup.school_id, h, "statement.xlsx", xlsx, ctype))
    assert again["counts"] == {"lines": 3, "new": 0, "duplicates": 3, "matched": 0, "unmatched": 0, "rejected": 0}
    assert cash(world, setup.school_id) == 2 * BILL_FEN
    # a statement line contradicting a hand record is not recorded; it waits, with its problem
    ok(client.post(f"/api/v1/bills/{ming}/offline-payments", headers=h, json=receipt("B9100", 100)), 201)
    clash = csv_bytes([["流水号", "日期", "金额", "附言"], ["B9100", "2026-09-05", "1.50", ming_ref]], "utf-8")
    body = ok(upload(client, setup.school_id, h, "clash.csv", clash))
    assert body["counts"]["unmatched"] == 1 and "金额不同" in body["unmatched"][0]["problem"]
    assert bill_state(world, ming)[1] == BILL_FEN + 100


def test_county_collected_and_ambiguous_lines_wait(client: TestClient, world: World) -> None:
    setup = billed(world, collector="county")
    ming, ming_ref = setup.bills["xiaoming"]
    hong_ref = setup.bills["xiaohong"][1]
    h = token_headers(client, "school_admin")
    rows = [["流水号", "日期", "金额", "摘要", "用途"],
            ["C-1", "2026-09-01", "320.00", "课后服务", ming_ref],
            ["C-2", "2026-09-01", "640.00", ming_ref, hong_ref]]
    body = ok(upload(client, setup.school_id, h, "s.csv", csv_bytes(rows, "utf-8")))
    assert body["counts"] == {"lines": 2, "new": 2, "duplicates": 0, "matched": 0, "unmatched": 2, "rejected": 0}
    problems = {x["bank_txn_id"]: x["problem"] for x in body["unmatched"]}
    assert "教育局专户" in problems["C-1"] and "多个账单编号" in problems["C-2"]
    assert payment_count(world) == 0
    # the county collects: its staff record the transfer, the school may not
    path = f"/api/v1/bills/{ming}/offline-payments"
    err(client.post(path, headers=h, json=receipt("C-1")), 403, "not_collector")
    err(client.post(path, headers=token_headers(client, "other_reviewer"), json=receipt("C-1")), 404, "bill_not_found")
    ok(client.post(path, headers=token_headers(client, "reviewer1"), json=receipt("C-1")), 201)
    assert bill_state(world, ming) == ("paid", BILL_FEN, 0)
    with world.ctx.db.read_session() as s:
        assert ledger.balance(s, COUNTY, f"cash:county:{COUNTY}") == BILL_FEN
    line = {x["bank_txn_id"]: x["id"] for x in body["unmatched"]}["C-2"]
    err(client.post(f"/api/v1/bank-statement-lines/{line}/match", headers=h, json={"bill_id": ming}), 403, "not_collector")


def test_statement_files_refused_whole(client: TestClient, world: World) -> None:
    setup = billed(world)
    h = token_headers(client, "school_admin")
    ref = setup.bills["xiaoming"][1]
    missing = csv_bytes([["交易流水号", "交易日期", "付款人", "附言"], ["B1", "2026-09-01", "王芳", ref]], "utf-8")
    body = err(upload(client, setup.school_id, h, "a.csv", missing), 400, "statement_columns")
    assert "金额" in body["message"]
    no_header = csv_bytes([["hello", "world"], ["1", "2"]], "utf-8")
    err(upload(client, setup.school_id, h, "b.csv", no_header), 400, "statement_columns")
    twice = csv_bytes([["流水号", "交易流水号", "日期", "金额", "附言"]], "utf-8")
    err(upload(client, setup.school_id, h, "c.csv", twice), 400, "statement_columns")
    err(upload(client, setup.school_id, h, "d.pdf", b"%PDF-1.4\n", "application/pdf"), 400, "statement_file_type")
    err(upload(client, setup.school_id, h, "e.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "application/vnd.ms-excel"),
        400, "statement_file_type")
    err(upload(client, setup.school_id, h, "f.xlsx", b"PK\x03\x04 not really a zip"), 400, "statement_unreadable")
    err(upload(client, setup.school_id, h, "g.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 400, "statement_unreadable")
    err(upload(client, setup.school_id, h, "h.csv", b""), 400, "statement_empty")
    big = csv_bytes([["交易流水号", "交易日期", "金额", "附言"]], "utf-8") + b"x" * importer.MAX_BYTES
    err(upload(client, setup.school_id, h, "j.csv", big), 413, "statement_too_large")
    with world.ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(OfflineStatementLine)) == 0
    assert payment_count(world) == 0


def test_too_many_lines_is_its_own_code(client: TestClient, world: World) -> None:
    setup = billed(world)
    h = token_headers(client, "school_admin")
    many = csv_bytes([["流水号", "日期", "金额", "附言"]]
                     + [[f"{i}", "20260901", "1", ""] for i in range(importer.MAX_LINES + 1)], "utf-8")
    assert len(many) < importer.MAX_BYTES
    err(upload(client, setup.school_id, h, "many.csv", many), 413, "statement_too_many_lines")


def test_who_may_not_import_or_read_statements(client: TestClient, world: World) -> None:
    setup = billed(world)
    data = csv_bytes(statement_rows(setup), "utf-8-sig")
    err(upload(client, setup.school_id, {}, "s.csv", data), 401, "not_authenticated")
    err(client.get(f"/api/v1/schools/{setup.school_id}/bank-statements"), 401, "not_authenticated")
    tokens = {who: token_headers(client, who) for who in ("parent", "provider", "reviewer1", "decider", "other_reviewer",
                                                          "admin", "police", "school2_admin", "other_school_admin",
                                                          "school_admin")}
    for who in ("parent", "provider", "reviewer1", "decider", "other_reviewer", "admin", "police"):
        err(upload(client, setup.school_id, tokens[who], "s.csv", data), 403, "statement_denied")
    for who in ("school2_admin", "other_school_admin"):
        err(upload(client, setup.school_id, tokens[who], "s.csv", data), 404, "school_not_found")
    err(upload(client, 999_999, tokens["school_admin"], "s.csv", data), 404, "school_not_found")
    assert payment_count(world) == 0
    ok(upload(client, setup.school_id, tokens["school_admin"], "s.csv", data))
    # reading: the school, its county, the platform
    path = f"/api/v1/schools/{setup.school_id}/bank-statements"
    for who in ("parent", "provider", "police"):
        err(client.get(path, headers=tokens[who]), 403, "statement_denied")
    for who in ("school2_admin", "other_school_admin", "other_reviewer"):
        err(client.get(path, headers=tokens[who]), 404, "school_not_found")
    for who in ("school_admin", "reviewer1", "admin"):
        lines = ok(client.get(path, headers=tokens[who]))
        assert len(lines) == 5
    unmatched = ok(client.get(path, headers=tokens["reviewer1"], params={"unmatched": "true"}))
    assert {x["bank_txn_id"] for x in unmatched} == {"B20260901002", "B20260902003", "B20260902004"}
    assert all(x["problem"] and not x["matched"] for x in unmatched)


def test_unmatched_line_matched_by_hand(client: TestClient, world: World) -> None:
    setup = billed(world, second_school=True)
    h = token_headers(client, "school_admin")
    ok(upload(client, setup.school_id, h, "s.csv", csv_bytes(statement_rows(setup), "utf-8-sig")))
    with world.ctx.db.read_session() as s:
        line = {x.bank_txn_id: x.id for x in s.scalars(select(OfflineStatementLine))}
    hong = setup.bills["xiaohong"][0]
    path = f"/api/v1/bank-statement-lines/{line['B20260901002']}/match"
    err(client.post(path, json={"bill_id": hong}), 401, "not_authenticated")
    for who, status, code in [("parent", 403, "statement_denied"), ("provider", 403, "statement_denied"),
                              ("reviewer1", 403, "statement_denied"), ("admin", 403, "statement_denied"),
                              ("school2_admin", 404, "statement_line_not_found"),
                              ("other_school_admin", 404, "statement_line_not_found")]:
        err(client.post(path, headers=token_headers(client, who), json={"bill_id": hong}), status, code)
    err(client.post(path, headers=h, json={"bill_id": setup.bills["xiaogang"][0]}), 404, "bill_not_found")
    err(client.post(path, headers=h, json={"bill_id": 999_999}), 404, "bill_not_found")
    assert bill_state(world, hong) == ("open", 15050, BILL_FEN - 15050)
    done = ok(client.post(path, headers=h, json={"bill_id": hong}))
    assert done["line"]["matched"] and done["line"]["problem"] == "" and done["payment"]["amount_fen"] == 10000
    assert done["payment"]["external_id"] == "B20260901002"
    assert bill_state(world, hong) == ("open", 25050, BILL_FEN - 25050)
    err(client.post(path, headers=h, json={"bill_id": hong}), 409, "statement_line_matched")
    err(client.post(f"/api/v1/bank-statement-lines/{line['B20260902004']}/match", headers=h, json={"bill_id": hong}),
        409, "statement_line_not_payment")
    err(client.post("/api/v1/bank-statement-lines/999999/match", headers=h, json={"bill_id": hong}),
        404, "statement_line_not_found")
    left = ok(client.get(f"/api/v1/schools/{setup.school_id}/bank-statements", headers=h, params={"unmatched": "true"}))
    assert {x["bank_txn_id"] for x in left} == {"B20260902003", "B20260902004"}
    assert cash(world, setup.school_id) == BILL_FEN + 15050 + 10000


# --- reconciliation --------------------------------------------------------------------------


def test_reconcile_agrees_with_statement_lines_and_hand_records(ctx: Context, client: TestClient, world: World) -> None:
    setup = billed(world)
    ming_ref = setup.bills["xiaoming"][1]
    hong = setup.bills["xiaohong"][0]
    h = token_headers(client, "school_admin")
    ok(client.post(f"/api/v1/bills/{hong}/offline-payments", headers=h, json=receipt("HAND-7", 20000)), 201)
    statement = csv_bytes([["流水号", "日期", "金额", "附言"], ["S-1", "2026-09-01", "320.00", ming_ref]], "utf-8")
    ok(upload(client, setup.school_id, h, "s.csv", statement))
    with ctx.db.read_session() as s:
        snaps = [payments.payment_snapshot(p) for p in s.scalars(select(Payment).order_by(Payment.id))]
        records = OfflineGateway(ctx.settings).records(s, snaps)
        report = reconcile.run(ctx, s)
    assert [(r.external_id, r.kind, r.amount_fen, r.status) for r in records] == [
        ("HAND-7", "payment", 20000, "succeeded"), ("S-1", "payment", BILL_FEN, "succeeded")]
    assert report.ok, report.problems
    assert report.payments == 2 and cash(world, setup.school_id) == BILL_FEN + 20000


def test_reconcile_agrees_with_an_offline_refund(ctx: Context, client: TestClient, world: World) -> None:
    setup = billed(world)
    hong = setup.bills["xiaohong"][0]
    h = token_headers(client, "school_admin")
    ok(client.post(f"/api/v1/bills/{hong}/offline-payments", headers=h, json=receipt("HAND-7", BILL_FEN + 5000)), 201)
    # 小红's family overpaid 50 yuan: the credit goes back through the offline gateway
    with ctx.db.write_session() as s:
        bill = s.get(Bill, hong)
        assert bill is not None
        assert payments.refund_credit(ctx, s, world.actor("school_admin"), bill, key="overpaid", reason="多缴退回") == 5000
        s.commit()
    assert bill_state(world, hong) == ("paid", BILL_FEN, 0) and cash(world, setup.school_id) == BILL_FEN
    with ctx.db.read_session() as s:
        refund = s.scalars(select(PaymentRefund)).one()
        assert (refund.external_id, refund.amount_fen, refund.status) == ("offline-refund:overpaid:1", 5000, "succeeded")
        report = reconcile.run(ctx, s)
    assert report.ok, report.problems
