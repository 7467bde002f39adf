"""School finance in the browser (收款对账, /school/payments): importing a bank statement through the form,
matching what is left by hand, recording a receipt in yuan; who may not; the demo's sample statement. Also
billing's pages around it: the account a family pays into and a cancelled course on the bill, and the county's
settlement payouts. The same in a real chromium at the end. The API: tests/test_payments_offline.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kehou.plugins.billing_cap.models import Bill, Payment, Settlement
from kehou.plugins.course_catalogue import classes
from kehou.plugins.payments_offline.models import OfflineStatementLine
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import World
from tests.test_browser_catalogue import flash, send
from tests.test_form_refill import refill
from tests.test_html_pages import browser, csrf
from tests.test_payments_offline import BILL_FEN, bill_state, billed, csv_bytes, payment_count, statement_rows

pytestmark = pytest.mark.usefixtures("ledger_balanced")

PAGE = "/school/payments"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ACCOUNT = ["西湖小学课后服务专户", "中国工商银行杭州西湖支行", "1202 0212 0900 0123 456"]


def post_file(client: Any, data: bytes, name: str = "流水.csv", back: str = PAGE) -> Any:
    return client.post(f"{PAGE}/statements", data={"_csrf_token": csrf(client, back)},
                       files={"file": (name, data, "text/csv")}, headers={"referer": f"http://127.0.0.1{back}"})


def section(html: str, anchor: str) -> str:
    """The part of a page that the element with id ``anchor`` opens: a ``<section>`` to its end, a heading to the
    next heading."""
    head, part = html.split(f'id="{anchor}"', 1)
    if head.rsplit("<", 1)[1].startswith("section"):
        return part.split("</section>", 1)[0]
    return re.split(r"<h[23][ >]", part, maxsplit=1)[0]


def lines_by_txn(world: World) -> dict[str, OfflineStatementLine]:
    with world.ctx.db.read_session() as s:
        return {x.bank_txn_id: x for x in s.scalars(select(OfflineStatementLine))}


def payments(world: World) -> list[tuple[str, int, int]]:
    with world.ctx.db.read_session() as s:
        return [(p.external_id, p.bill_id, p.amount_fen) for p in s.scalars(select(Payment).order_by(Payment.id))]


# --- importing ---------------------------------------------------------------------------------------


def test_importing_a_statement_through_the_page(ctx, world: World) -> None:
    setup = billed(world)
    ming, hong = setup.bills["xiaoming"], setup.bills["xiaohong"]
    data = csv_bytes(statement_rows(setup), "utf-8-sig")
    with browser(ctx, "school_admin") as school:
        page = school.get(PAGE).text
        summary = section(page, "summary")
        assert 'id="bills-open">2<' in summary and "合计 ¥640.00" in summary and 'id="lines-imported">0<' in summary
        assert 'id="result"' not in page and "没有待人工匹配的流水" in page
        assert ming[1] in page and "小红" in page  # the open bills offered in the list
        assert 'action="/school/payments/statements"' in page and 'href="/school/payments/sample"' in page

        resp = post_file(school, data)
        assert resp.status_code == 200
        assert "已导入流水.csv：自动登记 2 笔，重复 0 笔，待人工匹配 3 笔，未导入 2 行" in flash(resp.text)
        result = section(resp.text, "result")
        for figure, value in (("matched", 2), ("duplicates", 0), ("unmatched", 3), ("rejected", 2)):
            assert f'id="result-{figure}">{value}<' in result, figure
        rejected = resp.text.split('id="rejected"')[1].split("</table>")[0]
        assert "<td class=\"nowrap\">9</td>" in rejected and "<td class=\"nowrap\">10</td>" in rejected
        assert "金额12.345元不是整分（不能有分以下的小数）。" in rejected and "缺少交易流水号。" in rejected
        lines = lines_by_txn(world)
        unmatched = section(resp.text, "unmatched")
        no_ref = unmatched.split(f'id="line-{lines["B20260901002"].id}"')[1].split("</tr>")[0]
        match_url = f'/school/payments/lines/{lines["B20260901002"].id}/match'
        for text in ("2026-09-01", "100.00", "李雷", "课后服务费", "附言中没有账单编号", match_url,
                     "确定将这笔流水登记到所选账单吗"):
            assert text in no_ref, text
        assert "找不到账单编号KH2222222222" in unmatched and "无需匹配" in unmatched  # the outgoing line: no form
        assert f'action="/school/payments/lines/{lines["B20260902004"].id}/match"' not in unmatched
        matched = section(resp.text, "matched")
        assert "王芳" in matched and ming[1] in matched and "小明" in matched and "150.50" in matched
        assert 'id="lines-imported">5<' in resp.text and 'id="lines-waiting">2<' in resp.text
        assert 'id="result"' not in school.get(PAGE).text  # shown once
    assert bill_state(world, ming[0]) == ("paid", BILL_FEN, 0)
    assert bill_state(world, hong[0]) == ("open", 15050, BILL_FEN - 15050)

    with browser(ctx, "school_admin") as school:  # the same file again: nothing recorded twice
        resp = post_file(school, data)
        assert "自动登记 0 笔，重复 5 笔，待人工匹配 0 笔，未导入 2 行" in flash(resp.text)
        assert 'id="result-duplicates">5<' in resp.text
    assert payment_count(world) == 2 and bill_state(world, ming[0]) == ("paid", BILL_FEN, 0)
    with world.ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(OfflineStatementLine)) == 5


def test_a_file_that_cannot_be_imported_comes_back_with_the_reason(ctx, world: World) -> None:
    setup = billed(world)
    missing = csv_bytes([["交易流水号", "交易日期", "付款人", "附言"], ["B1", "2026-09-01", "王芳", setup.bills["xiaoming"][1]]],
                        "utf-8")
    with browser(ctx, "school_admin") as school:
        resp = post_file(school, missing)
        assert resp.status_code == 200 and "表头缺少列：金额" in flash(resp.text)
        data = refill(resp.text)
        assert data is not None and data["field"] == "file" and data["files"] is True
        resp = post_file(school, b"%PDF-1.4\n", "a.pdf")
        assert "只能导入CSV或Excel" in flash(resp.text)
        resp = school.post(f"{PAGE}/statements", data={"_csrf_token": csrf(school, PAGE)},
                           files={"file": ("", b"", "text/csv")}, headers={"referer": f"http://127.0.0.1{PAGE}"})
        assert "请选择要导入的银行流水文件" in flash(resp.text)
    assert payment_count(world) == 0


# --- matching by hand --------------------------------------------------------------------------------


def test_matching_an_unmatched_line_by_hand_pays_the_bill_once(ctx, world: World) -> None:
    setup = billed(world)
    hong_id, hong_ref = setup.bills["xiaohong"]
    with browser(ctx, "school_admin") as school:
        post_file(school, csv_bytes(statement_rows(setup), "utf-8-sig"))
        lines = lines_by_txn(world)
        url = f"{PAGE}/lines/{lines['B20260901002'].id}/match"
        back = f"{PAGE}?q=%E6%9D%8E%E9%9B%B7"  # searched for 李雷 first: the search is kept afterwards
        page = school.get(back).text
        assert f'id="line-{lines["B20260901002"].id}"' in page and f'id="line-{lines["B20260902003"].id}"' not in page
        resp = send(school, url, back, {"bill": "KH2222222222"})
        assert "本校没有编号为 KH2222222222 的账单" in flash(resp.text)
        data = refill(resp.text)
        assert data is not None and data["field"] == "bill" and data["action"] == url
        resp = send(school, url, back, {"bill": ""})
        assert "请填写账单编号" in flash(resp.text)
        resp = send(school, url, back, {"bill": f"{hong_ref} 小红（待缴169.50元）"})  # as chosen from the list
        assert f"已将 100.00 元登记到账单 {hong_ref}" in flash(resp.text)
        assert str(resp.url).endswith(f"{back}#unmatched") and "李雷" in section(resp.text, "matched")
        assert bill_state(world, hong_id) == ("open", 25050, BILL_FEN - 25050)
        again = send(school, url, PAGE, {"bill": hong_ref})  # a second click: nothing more
        assert "该流水已登记到账单，不能重复匹配" in flash(again.text)
        # by the child's name alone (one open bill is theirs)
        url = f"{PAGE}/lines/{lines['B20260902003'].id}/match"
        resp = send(school, url, PAGE, {"bill": "小红"})
        assert f"已将 1000.00 元登记到账单 {hong_ref}" in flash(resp.text)
        outgoing = f"{PAGE}/lines/{lines['B20260902004'].id}/match"
        assert "金额不是正数" in flash(send(school, outgoing, PAGE, {"bill": hong_ref}).text)
        assert school.get(PAGE).status_code == 200 and 'id="lines-waiting">0<' in school.get(PAGE).text
    assert [p for p in payments(world) if p[0] in ("B20260901002", "B20260902003")] == [
        ("B20260901002", hong_id, 10000), ("B20260902003", hong_id, 100000)]


def test_search_and_paging_of_the_lines(ctx, world: World) -> None:
    billed(world)
    rows = [["流水号", "日期", "金额", "付款人", "附言"]]
    rows += [[f"P-{i:03d}", "2026-09-01", "10.00", f"付款人{i:03d}", "没有编号"] for i in range(1, 56)]
    with browser(ctx, "school_admin") as school:
        post_file(school, csv_bytes(rows, "utf-8"))
        first = school.get(PAGE).text
        assert "共 55 笔" in first and "第 1/2 页" in first and first.count('class="match"') == 50
        assert 'href="/school/payments?page=2#unmatched"' in first
        second = school.get(f"{PAGE}?page=2").text
        assert second.count('class="match"') == 5 and "第 2/2 页" in second and "上一页" in second
        found = school.get(f"{PAGE}?q=付款人007").text
        assert "共 1 笔" in section(found, "unmatched") and "付款人007" in found and "付款人008" not in found
        assert school.get(f"{PAGE}?q=P-05").text.count('class="match"') == 6  # P-050 … P-055, by transaction id
        assert school.get(f"{PAGE}?q=%25").text.count('class="match"') == 0  # a % is a character, not a wildcard
        assert school.get(f"{PAGE}?page=99").text.count('class="match"') == 5  # past the end: the last page


# --- recording by hand ------------------------------------------------------------------------------


def test_recording_a_receipt_in_yuan(ctx, world: World) -> None:
    setup = billed(world)
    ming_id, ming_ref = setup.bills["xiaoming"]
    hong_id, hong_ref = setup.bills["xiaohong"]
    today = clock.today_local().isoformat()
    form = {"bill": ming_ref, "bank_txn_id": "H-1", "amount_yuan": "300", "paid_on": today, "payer": "王芳", "note": "柜台转账"}
    url = f"{PAGE}/receipts"
    with browser(ctx, "school_admin") as school:
        row = school.get("/school/billing").text.split(f'id="bill-{hong_id}"')[1].split("</tr>")[0]
        assert f'href="/school/payments?bill={hong_ref}#receipt"' in row  # from the school's bill list
        page = school.get(f"{PAGE}?bill={hong_ref}").text  # a bill asked for in the link is filled in
        assert f'value="{hong_ref} 小红（待缴320.00元）"' in section(page, "receipt")
        for bad in ("3.001", "abc", "-5", "0", ""):
            resp = send(school, url, PAGE, form | {"amount_yuan": bad})
            data = refill(resp.text)
            assert data is not None and data["field"] == "amount_yuan", bad
            assert "金额" in data["message"] and data["message"] in flash(resp.text)
            assert {k: data["values"][k] for k in form} == form | {"amount_yuan": bad}  # what was typed is kept
        assert "两位小数" in refill(send(school, url, PAGE, form | {"amount_yuan": "3.001"}).text)["message"]  # type: ignore[index]
        resp = send(school, url, PAGE, form | {"paid_on": "2026/09/01"})
        assert refill(resp.text)["field"] == "paid_on"  # type: ignore[index]
        resp = send(school, url, PAGE, form | {"bill": "KH2222222222"})
        assert refill(resp.text)["field"] == "bill"  # type: ignore[index]
        assert payment_count(world) == 0

        resp = send(school, url, PAGE, form)
        assert f"已登记到账 300.00 元（账单 {ming_ref}）" in flash(resp.text)
        resp = send(school, url, PAGE, form)  # a double click: the same payment
        assert f"交易流水号 H-1 已登记在账单 {ming_ref} 上，未重复记账" in flash(resp.text)
        resp = send(school, url, PAGE, form | {"bill": "小红", "bank_txn_id": "H-2", "amount_yuan": "300.00"})
        assert f"已登记到账 300.00 元（账单 {hong_ref}）" in flash(resp.text)
        resp = send(school, url, PAGE, form | {"bill": hong_ref})  # H-1 again on another bill
        data = refill(resp.text)
        assert data is not None and data["field"] == "bank_txn_id" and "另一张账单" in data["message"]
    assert payments(world) == [("H-1", ming_id, 30000), ("H-2", hong_id, 30000)]
    assert bill_state(world, ming_id) == ("open", 30000, BILL_FEN - 30000)


def test_a_county_collected_bill_is_not_recorded_by_the_school(ctx, world: World) -> None:
    setup = billed(world, collector="county")
    ming_ref = setup.bills["xiaoming"][1]
    with browser(ctx, "school_admin") as school:
        page = school.get(PAGE).text
        assert 'id="county-collects"' in page and 'id="no-bills"' in page and ming_ref not in section(page, "receipt")
        resp = send(school, f"{PAGE}/receipts", PAGE, {"bill": ming_ref, "bank_txn_id": "C-1", "amount_yuan": "320",
                                                        "paid_on": clock.today_local().isoformat(), "payer": "王芳"})
        data = refill(resp.text)
        assert data is not None and data["field"] == "bill" and "收费主体" in data["message"]
    assert payment_count(world) == 0


# --- who may not -------------------------------------------------------------------------------------


def test_who_may_not_use_the_school_finance_pages(ctx, world: World) -> None:
    setup = billed(world, second_school=True)
    ming_id, ming_ref = setup.bills["xiaoming"]
    with browser(ctx, "school_admin") as school:
        post_file(school, csv_bytes(statement_rows(setup), "utf-8-sig"))
    line = lines_by_txn(world)["B20260901002"].id
    receipt = {"bill": ming_ref, "bank_txn_id": "X-1", "amount_yuan": "320", "paid_on": clock.today_local().isoformat(),
               "payer": "王芳"}
    data = csv_bytes([["流水号", "日期", "金额", "附言"], ["X-2", "2026-09-01", "320.00", ming_ref]], "utf-8")
    before = payment_count(world)
    gets = [PAGE, f"{PAGE}?q=x&page=2", f"{PAGE}/sample"]
    with browser(ctx, None) as anon:
        for url in gets:
            resp = anon.get(url, follow_redirects=False)
            assert resp.status_code == 303 and resp.headers["location"].startswith("/login"), url
        for url, body in ((f"{PAGE}/receipts", receipt), (f"{PAGE}/lines/{line}/match", {"bill": ming_ref})):
            assert send(anon, url, "/login", body).status_code == 401, url
        assert post_file(anon, data, back="/login").status_code == 401
    for who in ("parent", "provider", "reviewer1", "decider", "other_reviewer", "admin", "police"):
        with browser(ctx, who) as client:
            for url in gets:
                resp = client.get(url)
                assert resp.status_code == 403 and "出错了" in resp.text, (who, url)
            for url, body in ((f"{PAGE}/receipts", receipt), (f"{PAGE}/lines/{line}/match", {"bill": ming_ref})):
                assert send(client, url, "/notifications", body).status_code == 403, (who, url)
            assert post_file(client, data, back="/notifications").status_code == 403, who
    for who in ("school2_admin", "other_school_admin"):  # another school's administrator: their own school only
        with browser(ctx, who) as other:
            page = other.get(PAGE).text
            assert ming_ref not in page and "李雷" not in page and 'id="lines-imported">0<' in page
            resp = send(other, f"{PAGE}/lines/{line}/match", PAGE, {"bill": ming_ref})
            assert resp.status_code == 404 and "流水记录不存在" in resp.text
            resp = send(other, f"{PAGE}/receipts", PAGE, receipt)
            assert f"本校没有编号为 {ming_ref} 的账单" in flash(resp.text)
            assert other.get(f"{PAGE}/sample").status_code == 200  # the sample is no one's data
    assert payment_count(world) == before and bill_state(world, ming_id) == ("paid", BILL_FEN, 0)
    with browser(ctx, "school2_admin") as other:  # their import is theirs: 西湖小学's bill is not paid by it
        resp = post_file(other, csv_bytes([["流水号", "日期", "金额", "附言"], ["Y-1", "2026-09-01", "320.00",
                                                                                 setup.bills["xiaohong"][1]]], "utf-8"))
        assert "待人工匹配 1 笔" in flash(resp.text) and "不是本校的账单" in resp.text
    assert bill_state(world, setup.bills["xiaohong"][0])[1] == 15050


# --- the demo's sample statement ----------------------------------------------------------------------


def test_the_sample_statement_matches_the_demo_bills(ctx) -> None:  # type: ignore[no-untyped-def]
    from kehou.cli import demo

    assert demo.load(ctx) is True
    with browser(ctx, None) as school:
        resp = school.post("/login", data={"_csrf_token": csrf(school, "/login"), "username": "school01",
                                           "password": demo.PASSWORD}, follow_redirects=False)
        assert resp.status_code == 303
        page = school.get(PAGE).text
        # parent02's nineteen unpaid and parent01's two billed after the weeks held, 260 yuan each
        assert 'id="bills-open">21<' in page and "合计 ¥5460.00" in page
        assert "西湖区第1小学课后服务专户" in section(page, "summary")
        sample = school.get(f"{PAGE}/sample")
        assert sample.status_code == 200 and sample.headers["content-type"].startswith("text/csv")
        assert "attachment" in sample.headers["content-disposition"] and sample.content.startswith(b"\xef\xbb\xbf")
        resp = post_file(school, sample.content, "bank-statement-sample.csv")
        assert "自动登记 4 笔，重复 0 笔，待人工匹配 1 笔，未导入 0 行" in flash(resp.text)
        assert 'id="bills-open">18<' in resp.text and "合计 ¥4680.00" in section(resp.text, "summary")
        with ctx.db.read_session() as s:
            line = s.scalars(select(OfflineStatementLine).where(OfflineStatementLine.payment_id.is_(None))).one()
            bill = s.scalars(select(Bill).where(Bill.reference == "KHXH26DEMQ27")).one()
        row = section(resp.text, "unmatched").split(f'id="line-{line.id}"')[1].split("</tr>")[0]
        assert 'value="KHXH26DEMQ27 同学07（待缴260.00元）"' in row  # the child named in the note is offered
        resp = send(school, f"{PAGE}/lines/{line.id}/match", PAGE, {"bill": "KHXH26DEMQ27 同学07（待缴260.00元）"})
        assert "已将 260.00 元登记到账单 KHXH26DEMQ27" in flash(resp.text)
    with ctx.db.read_session() as s:
        paid = s.scalars(select(Bill.reference).where(Bill.status == "paid").order_by(Bill.id)).all()
        assert paid == [f"KHXH26DEMQ2{n}" for n in range(3, 8)]
        assert s.scalar(select(func.count()).select_from(Payment)) == 5  # the hand record was confirmed, not doubled
        assert s.get(Bill, bill.id).status == "paid"  # type: ignore[union-attr]


# --- billing's pages ---------------------------------------------------------------------------------


def test_parent_bill_shows_the_account_and_a_cancelled_course_as_cancelled(ctx, world: World) -> None:
    cat = bs.ready(world)
    ming = cat.students["xiaoming"]
    hong = cs.child(world, "小红")
    for entry in ("calligraphy", "painting"):
        bs.enrol(world, ming, cat.entries[entry])
    bs.issue(world, cat.menu_id)  # 小明's bill: both courses
    bs.enrol(world, hong, cat.entries["painting"])
    bs.enrol(world, hong, cat.entries["calligraphy"])
    with ctx.db.write_session() as s:  # the school cancels 国画入门 after 小明's bill was issued
        classes.cancel(s, world.actor("school_admin"), cat.entries["painting"], "报名人数不足")
    bs.issue(world, cat.menu_id)  # 小红's bill, after the cancellation: only what she still takes
    with ctx.db.read_session() as s:
        mine = s.scalars(select(Bill).where(Bill.student_id == ming)).one()
        hers = s.scalars(select(Bill).where(Bill.student_id == hong)).one()
    assert (mine.total_fen, hers.total_fen) == (64000, 32000)
    with browser(ctx, "parent") as parent:
        page = parent.get(f"/parent/bills/{mine.id}").text
        account = section(page, "account")
        assert "收款账户以学校通知为准" in account and mine.reference in account  # not set yet
        bill = page.split('id="bill"')[1].split("</section>")[0]
        cancelled = re.findall(r'<tr class="cancelled"[^>]*>(.*?)</tr>', bill, re.S)
        assert len(cancelled) == 2 and all("国画入门" in row and "已取消开班" in row for row in cancelled)  # course and materials
        assert "未上课次的费用将在期末结算时全额退还" in cancelled[0]
        assert "少儿软笔书法" in bill and "少儿软笔书法" not in "".join(cancelled) and "¥640.00" in bill  # as billed
        listing = parent.get("/parent/bills").text.split(f'id="bill-{mine.id}"')[1].split("</article>")[0]
        assert "已取消开班" in listing
        theirs = parent.get(f"/parent/bills/{hers.id}").text.split('id="bill"')[1].split("</section>")[0]
        assert "国画入门" not in theirs and "已取消开班" not in theirs and "¥320.00" in theirs  # never charged

    bs.put(world, "payments_offline.school_accounts", {"西湖小学": ACCOUNT, "别的学校": ["x", "y", "z"]})
    with browser(ctx, "parent") as parent:
        page = parent.get(f"/parent/bills/{mine.id}").text
        account = section(page, "account")
        assert 'id="account-name">西湖小学课后服务专户<' in account and 'id="account-bank">中国工商银行杭州西湖支行<' in account
        assert 'id="account-number">1202 0212 0900 0123 456<' in account and mine.reference in account
    with browser(ctx, "school_admin") as school:
        assert "1202 0212 0900 0123 456" in section(school.get(PAGE).text, "summary")



def test_a_county_collected_bill_shows_the_bureau_account(ctx, world: World) -> None:
    setup = billed(world, collector="county")
    bs.put(world, "payments_offline.school_accounts", {"西湖小学": ACCOUNT})
    bs.put(world, "payments_offline.county_account", {"name": "西湖区教育局课后服务专户", "bank": "农业银行西湖支行",
                                                      "number": "1903 3101 0400 0000 1"})
    with browser(ctx, "parent") as parent:
        account = section(parent.get(f"/parent/bills/{setup.bills['xiaoming'][0]}").text, "account")
        assert "西湖区教育局课后服务专户" in account and "1903 3101 0400 0000 1" in account
        assert "西湖小学课后服务专户" not in account


def test_account_settings_are_checked(ctx, world: World) -> None:
    from kehou.errors import ValidationFailed
    from kehou.platform.policy import services as policy

    for key, value in (("payments_offline.school_accounts", {"西湖小学": ["户名", "", "123"]}),
                       ("payments_offline.school_accounts", {"西湖小学": "户名"}),
                       ("payments_offline.county_account", {"name": "户名"})):
        with pytest.raises(ValidationFailed):
            policy.coerce(ctx.registry.spec(key), value)
    assert policy.coerce(ctx.registry.spec("payments_offline.county_account"), {}) == {}


def test_county_pays_a_settlement_from_its_own_account(ctx, world: World) -> None:
    from tests.test_permissions import billing_in

    bs.put(world, "billing.collector", "county")  # the bureau collects the fees, so it pays the providers
    values = billing_in(world, "billing_delivered")
    form = {"period_start": values["period_start"], "period_end": values["period_end"], "term_name": values["term_name"]}
    with browser(ctx, "school_admin") as school:
        send(school, "/school/billing/settlements", "/school/billing", form)
        with ctx.db.read_session() as s:
            row = s.scalars(select(Settlement)).one()
            assert row.collector == f"county:{row.county_code}"
            sid = row.id
        send(school, f"/school/settlements/{sid}/approve", "/school/billing", {"term_name": values["term_name"]})
    with browser(ctx, "decider") as dec:
        resp = send(dec, f"/county/settlements/{sid}/approve", "/county/billing", {"reason": "课时核对无误"})
        to_pay = section(resp.text, "to-pay")
        assert f'id="pay-{sid}"' in to_pay and f'action="/county/settlements/{sid}/paid"' in to_pay
        assert "确定已从教育局专户向该机构付款吗" in to_pay
        assert "待支付" in section(resp.text, "all") and "教育局专户" in section(resp.text, "all")
    with browser(ctx, "reviewer1") as rev:  # no decision right: sees it, may not mark it paid
        page = rev.get("/county/billing").text
        assert f'id="pay-{sid}"' in page and f'action="/county/settlements/{sid}/paid"' not in page
        resp = send(rev, f"/county/settlements/{sid}/paid", "/county/billing", {"reference": "ABC-1"})
        assert "只有收费主体可以登记向机构付款" in flash(resp.text)
    with browser(ctx, "other_reviewer") as other:
        assert f'id="recent-{sid}"' not in other.get("/county/billing").text
        assert send(other, f"/county/settlements/{sid}/paid", "/county/billing", {"reference": "ABC-1"}).status_code == 404
    with browser(ctx, "school_admin") as school:  # the school does not pay what the county collects
        assert send(school, f"/county/settlements/{sid}/paid", "/school/billing", {"reference": "A"}).status_code == 403
    with browser(ctx, "decider") as dec:
        resp = send(dec, f"/county/settlements/{sid}/paid", "/county/billing", {"reference": ""})
        assert "请填写付款凭证号" in flash(resp.text)
        resp = send(dec, f"/county/settlements/{sid}/paid", "/county/billing", {"reference": "NSBANK-20261201-7"})
        assert "已登记向机构付款" in flash(resp.text) and "没有待教育局付款的结算单" in resp.text
        assert "已支付" in resp.text.split(f'id="recent-{sid}"')[1].split("</tr>")[0]
    with ctx.db.read_session() as s:
        assert s.get(Settlement, sid).status == "paid"  # type: ignore[union-attr]


# --- in a real browser --------------------------------------------------------------------------------


@pytest.mark.browser
def test_school_admin_imports_and_matches_in_chromium(ctx, world: World, tmp_path: Path) -> None:
    from kehou.app import create_app
    from tests.browser import chromium, live_server, login, require_chromium

    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    setup = billed(world)
    bs.put(world, "payments_offline.school_accounts", {"西湖小学": ACCOUNT})
    ming_id, ming_ref = setup.bills["xiaoming"]
    hong_id = setup.bills["xiaohong"][0]
    statement = tmp_path / "工行流水-2026年9月.csv"
    statement.write_bytes(csv_bytes([
        ["西湖小学课后服务专户 交易明细"], ["交易流水号", "交易日期", "收入金额（元）", "对方户名", "附言"],
        ["B20260901001", "2026-09-01", "320.00", "王芳", f"{ming_ref} 小明课后服务费"],
        ["B20260902002", "2026-09-02", "320.00", "李娜", "小红 课后服务费"],
        ["B20260903003", "2026-09-03", "12.345", "赵六", "零头"]], "utf-8-sig"))
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        desk = chrome.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = desk.new_page()
        login(page, base, "school_admin")
        page.click("header a:has-text('收款对账')")
        page.wait_for_load_state()
        assert page.url.endswith(PAGE), page.url
        page.set_input_files("input[name=file]", str(statement))
        page.click("#import button:has-text('导入')")
        page.wait_for_load_state()
        assert page.locator("#result-matched").inner_text() == "1"
        assert page.locator("#result-unmatched").inner_text() == "1"
        assert "不是整分" in page.locator("#rejected").inner_text()
        row = page.locator("#unmatched ~ .scroll tr:has-text('李娜')")
        assert "小红" in row.locator("input[name=bill]").input_value()  # offered: the child the note names
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 1280, f"the page scrolls sideways on a desk: {wide}px"
        page.screenshot(path=str(ARTIFACTS / "school-finance-import.png"), full_page=True)

        row.locator("button:has-text('匹配')").click()
        page.wait_for_load_state()
        assert any("确定将这笔流水登记到所选账单吗" in d for d in chrome.dialogs)
        assert "已将 320.00 元登记到账单" in page.locator(".flash.ok").inner_text()
        assert page.locator("#lines-waiting").inner_text() == "0"
        assert "李娜" in page.locator("#matched ~ .scroll").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "school-finance-matched.png"), full_page=True)

        phone = chrome.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True)
        small = phone.new_page()
        login(small, base, "school_admin", PAGE)
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways on a phone: {width}px"
        small.screenshot(path=str(ARTIFACTS / "school-finance-375.png"), full_page=True)
    assert bill_state(world, ming_id) == ("paid", BILL_FEN, 0) and bill_state(world, hong_id) == ("paid", BILL_FEN, 0)


@pytest.mark.browser
def test_parent_sees_the_account_and_the_cancelled_course_on_a_phone(ctx, world: World) -> None:
    from kehou.app import create_app
    from tests.browser import chromium, live_server, login, require_chromium
    from tests.test_browser_billing import PHONE, no_sideways_scroll

    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    cat = bs.ready(world)
    ming = cat.students["xiaoming"]
    for entry in ("calligraphy", "painting"):
        bs.enrol(world, ming, cat.entries[entry])
    bs.issue(world, cat.menu_id)
    with ctx.db.write_session() as s:
        classes.cancel(s, world.actor("school_admin"), cat.entries["painting"], "报名人数不足")
        bill = s.scalars(select(Bill).where(Bill.student_id == ming)).one()
    bs.put(world, "payments_offline.school_accounts", {"西湖小学": ACCOUNT})
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        page = chrome.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        login(page, base, "parent", f"/parent/bills/{bill.id}")
        assert page.locator("#account-number").inner_text() == ACCOUNT[2]
        assert page.locator("#account-name").is_visible()
        cancelled = page.locator("tr.cancelled").first.inner_text()
        assert "国画入门" in cancelled and "已取消开班" in cancelled and "期末结算" in cancelled
        no_sideways_scroll(page, "the bill with its account")
        page.screenshot(path=str(ARTIFACTS / "parent-bill-account-375.png"), full_page=True)
