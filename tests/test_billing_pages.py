"""Billing's web pages through the app (TestClient): the school's forms (issue, waiver, term end,
refunds, settlements), a parent's bills and paying one, the county's approval and ledger, the
provider's settlements and their Excel, the public fee page. The phone in a real browser:
tests/test_browser_billing.py."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from kehou.plugins.billing_cap.models import Bill, Settlement, Waiver
from kehou.plugins.billing_cap.payments import find_bill, record_payment
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import World
from tests.test_browser_catalogue import flash, send
from tests.test_html_pages import browser
from tests.test_permissions import billing_in

pytestmark = pytest.mark.usefixtures("ledger_balanced")
SCHOOL = "/school/billing"


def bill_of(world: World, student_id: int) -> Bill:
    with world.ctx.db.read_session() as s:
        return s.scalars(select(Bill).where(Bill.student_id == student_id)).one()


def pay_in_full(world: World, student_id: int) -> None:
    with world.ctx.db.write_session() as s:
        bill = find_bill(s, bill_id=bill_of(world, student_id).id)
        record_payment(s, world.actor("school_admin"), bill, gateway="offline", external_id=f"BANK-{student_id}",
                       amount_fen=bill.total_fen)
        s.commit()


def after_term() -> None:
    clock.advance(dt.datetime(2027, 2, 2, 12) - dt.datetime.combine(clock.today_local(), dt.time(12)))


def test_school_issues_bills_and_records_a_waiver(ctx, world: World) -> None:
    cat = bs.ready(world)
    ming = cat.students["xiaoming"]
    bs.enrol(world, ming, cat.entries["calligraphy"])
    term = bs.term_name(world, cat.menu_id)
    with browser(ctx, "school_admin") as school:
        page = school.get(SCHOOL).text
        assert term in page and "本学期尚未生成账单" in page and "低保、特困供养或建档立卡证明" in page
        assert "没有已发布的课程超市" in flash(send(school, f"{SCHOOL}/issue", SCHOOL, {"term_name": "2030年春季学期"}).text)
        resp = send(school, f"{SCHOOL}/issue", SCHOOL, {"term_name": term})
        assert "已生成1张账单" in flash(resp.text)
        bill = bill_of(world, ming)
        row = resp.text.split(f'id="bill-{bill.id}"')[1].split("</tr>")[0]
        assert bill.reference in row and "小明" in row and "320.00" in row and "待缴费" in row
        assert "没有需要生成账单的学生" in flash(send(school, f"{SCHOOL}/issue", SCHOOL, {"term_name": term}).text)

        waiver = {"term_name": term, "student_id": str(ming), "tier": "free", "evidence": "", "reason": "家庭困难"}
        resp = send(school, f"{SCHOOL}/waivers", SCHOOL, waiver)
        assert "请登记减免依据（低保、特困供养或建档立卡证明）。" in flash(resp.text)
        assert "请选择学期" in flash(send(school, f"{SCHOOL}/waivers", SCHOOL, waiver | {"term_name": ""}).text)
        assert "减免档次只能取：全免、减半" in flash(send(school, f"{SCHOOL}/waivers", SCHOOL, waiver | {"tier": "x"}).text)
        assert "整数" in flash(send(school, f"{SCHOOL}/waivers", SCHOOL, waiver | {"student_id": ""}).text)
        resp = send(school, f"{SCHOOL}/waivers", SCHOOL, waiver | {"evidence": "低保证 330106-2026-0042"})
        assert "已为小明登记减免（100%）" in flash(resp.text)
        assert "低保证 330106-2026-0042" in resp.text.split('id="waivers"')[1]
    with ctx.db.read_session() as s:
        assert s.scalars(select(Waiver.percent).where(Waiver.student_id == ming)).one() == 100
    assert bill_of(world, ming).total_fen == 0
    with browser(ctx, "parent") as parent:
        page = parent.get("/parent/bills").text
        assert "减免（全免）调整为 100%" in page  # the bill came first: its waiver line names the tier
    with browser(ctx, "school_admin") as school:  # a student not of the school: a message, not an error page
        resp = send(school, f"{SCHOOL}/waivers", SCHOOL, waiver | {"student_id": "999999", "evidence": "低保证 0043"})
        assert resp.status_code == 200 and "学生不存在" in flash(resp.text)

def test_parent_sees_own_bills_and_gets_the_offline_instructions(ctx, world: World) -> None:
    cat = bs.ready(world)
    ming = cat.students["xiaoming"]
    hong = cs.child(world, "小红", parent="parent2", new_parent=True)
    bs.enrol(world, ming, cat.entries["calligraphy"])
    bs.enrol(world, hong, cat.entries["painting"], parent="parent2")
    bs.issue(world, cat.menu_id)
    mine, hers = bill_of(world, ming), bill_of(world, hong)
    with browser(ctx, "parent") as parent:
        page = parent.get("/parent/bills").text
        assert mine.reference in page and hers.reference not in page and "小红" not in page
        card = page.split(f'id="bill-{mine.id}"')[1].split("</article>")[0]
        for text in ("少儿软笔书法", "少儿软笔书法（材料费）", "300.00", "20.00", "¥320.00", "¥0.00", "待缴费", str(mine.due_on)):
            assert text in card, text
        page = parent.get(f"/parent/bills/{mine.id}").text
        assert "银行转账 / 非税缴款" in page and "连续缺课满7天（含）" in page
        resp = send(parent, f"/parent/bills/{mine.id}/pay", f"/parent/bills/{mine.id}", {"gateway": "offline"})
        assert resp.status_code == 200
        started = resp.text.split('id="started"')[1].split("</section>")[0]
        assert f'id="quote">{mine.reference}<' in started and "¥320.00" in started and "转账附言" in started
        resp = send(parent, f"/parent/bills/{mine.id}/pay", f"/parent/bills/{mine.id}", {"gateway": "paypal"})
        assert "不支持的缴费方式" in flash(resp.text)

        for url in (f"/parent/bills/{hers.id}", "/parent/bills/999999"):  # another family's bill: not found
            resp = parent.get(url)
            assert resp.status_code == 404 and "出错了" in resp.text and "账单不存在" in resp.text
            assert hers.reference not in resp.text
        resp = send(parent, f"/parent/bills/{hers.id}/pay", "/parent/bills", {"gateway": "offline"})
        assert resp.status_code == 404 and hers.reference not in resp.text
    with browser(ctx, "school_admin") as school:  # a school admin does not pay through the parent's page
        assert send(school, f"/parent/bills/{mine.id}/pay", SCHOOL, {"gateway": "offline"}).status_code == 403

    pay_in_full(world, ming)
    with browser(ctx, "parent") as parent:
        page = parent.get(f"/parent/bills/{mine.id}").text
        assert "已缴清" in page and "本账单无需再缴费" in page and "BANK-" in page and 'action="/parent/bills/' not in page
        resp = send(parent, f"/parent/bills/{mine.id}/pay", f"/parent/bills/{mine.id}", {"gateway": "offline"})
        assert "该账单已缴清" in flash(resp.text)


def test_term_end_statement_and_refunds_through_the_school_page(ctx, world: World) -> None:
    cat = bs.ready(world)
    ming = cat.students["xiaoming"]
    bs.enrol(world, ming, cat.entries["calligraphy"])
    bs.issue(world, cat.menu_id)
    term = bs.term_name(world, cat.menu_id)
    pay_in_full(world, ming)
    form = {"term_name": term}
    with browser(ctx, "school_admin") as school:
        assert "之后才能进行期末结算" in flash(send(school, f"{SCHOOL}/close", SCHOOL, form).text)
    after_term()
    with browser(ctx, "school_admin") as school:
        resp = send(school, f"{SCHOOL}/close", SCHOOL, form)
        assert "已生成1份期末结算单" in flash(resp.text)
        table = resp.text.split('id="statements"')[1].split("</table>")[0]
        assert "小明" in table and "-300.00" in table  # no lesson was delivered: the course fee comes back
        assert "没有新的期末结算单" in flash(send(school, f"{SCHOOL}/close", SCHOOL, form).text)
        assert "已原路退款 300.00 元" in flash(send(school, f"{SCHOOL}/refunds", SCHOOL, form).text)
        assert "没有需要退款的账单" in flash(send(school, f"{SCHOOL}/refunds", SCHOOL, form).text)
    assert bill_of(world, ming).status == "settled"
    with browser(ctx, None) as anon:  # the term's accounts are public after the term
        page = anon.get(f"/fees/{world.school_ids['school']}").text
        accounts = page.split('id="accounts"')[1]
        assert "实收" in accounts and "320.00" in accounts and "退费" in accounts and "300.00" in accounts


def test_settlement_from_draft_to_paid_and_the_county_ledger(ctx, world: World) -> None:
    values = billing_in(world, "billing_delivered")
    form = {"period_start": values["period_start"], "period_end": values["period_end"], "term_name": values["term_name"]}
    with browser(ctx, "school_admin") as school:
        assert "须为日期" in flash(send(school, f"{SCHOOL}/settlements", SCHOOL, form | {"period_start": "上个月"}).text)
        resp = send(school, f"{SCHOOL}/settlements", SCHOOL, form)
        assert "已生成1份结算单" in flash(resp.text)
        with ctx.db.read_session() as s:
            sid = s.scalars(select(Settlement.id)).one()
        row = resp.text.split(f'id="settlement-{sid}"')[1].split("</tr>")[0]
        assert "西湖青少年美术中心" in row and "待学校审核" in row and f"/billing/settlements/{sid}.xlsx" in row
        assert "该期间没有未结算的课次" in flash(send(school, f"{SCHOOL}/settlements", SCHOOL, form).text)
        resp = send(school, f"/school/settlements/{sid}/approve", SCHOOL, {"term_name": values["term_name"]})
        assert "结算单已审核通过" in flash(resp.text) and "待教育局审批" in resp.text
        assert "您不能进行这一步审批" in flash(send(school, f"/school/settlements/{sid}/approve", SCHOOL).text)

    with browser(ctx, "other_reviewer") as other:
        assert f'id="settlement-{sid}"' not in other.get("/county/billing").text
        assert send(other, f"/county/settlements/{sid}/approve", "/county/billing").status_code == 404
    with browser(ctx, "reviewer1") as rev:
        page = rev.get("/county/billing").text
        assert f'id="settlement-{sid}"' in page and "只有有决定权限的人员可以审批" in page
        resp = send(rev, f"/county/settlements/{sid}/approve", "/county/billing")
        assert "只有有决定权限的教育局工作人员可以审批结算单" in flash(resp.text)
    with browser(ctx, "decider") as dec:
        resp = send(dec, f"/county/settlements/{sid}/approve", "/county/billing", {"reason": "课时核对无误"})
        assert "结算单已审批，待支付" in flash(resp.text) and "没有待审批的结算单" in resp.text
        assert 'id="balanced"' in resp.text and "借贷平衡" in resp.text
        ledger = resp.text.split('id="ledger"')[1]
        for kind in ("家长应收", "预收学费", "应付机构"):
            assert kind in ledger, kind
        xlsx = dec.get(f"/billing/settlements/{sid}.xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        assert "spreadsheetml" in xlsx.headers["content-type"]
    with browser(ctx, "school_admin") as school:
        back = SCHOOL
        assert "请填写付款凭证号" in flash(send(school, f"/school/settlements/{sid}/paid", back, {"reference": ""}).text)
        resp = send(school, f"/school/settlements/{sid}/paid", back, {"reference": "ICBC-20261201-01"})
        assert "已登记向机构付款" in flash(resp.text) and "已支付" in resp.text.split(f'id="settlement-{sid}"')[1][:400]
    with browser(ctx, "provider") as prov:
        page = prov.get("/provider/settlements").text
        assert "西湖小学" in page and "已支付" in page
        detail = prov.get(f"/provider/settlements/{sid}").text
        assert values["period_start"] in detail and "学校审核" in detail and "教育局审批" in detail
        assert prov.get(f"/billing/settlements/{sid}.xlsx").content[:2] == b"PK"
        assert prov.get(f"/billing/settlements/{sid}.csv").status_code == 404
    with browser(ctx, "other_provider") as other:
        assert "西湖小学" not in other.get("/provider/settlements").text
        assert other.get(f"/provider/settlements/{sid}").status_code == 404
        assert other.get(f"/billing/settlements/{sid}.xlsx").status_code == 404


def test_public_fee_page_needs_no_login(ctx, world: World) -> None:
    cat = bs.ready(world)
    bs.put(world, "billing.complaint_hotline", "0571-12345678")
    bs.put(world, "billing.fee_basis", "西湖区教育局《课后服务收费管理办法》（西教〔2026〕8号）")
    school = world.school_ids["school"]
    term = bs.term_name(world, cat.menu_id)
    with browser(ctx, None) as anon:
        page = anon.get(f"/fees/{school}").text
        assert f"西湖小学 {term} 课后服务收费公示" in page
        for text in ("少儿软笔书法", "国画入门", "西湖青少年美术中心", "¥300.00", "毛笔 ¥15.00", "¥600.00", "学校课后服务专户",
                     "西教〔2026〕8号", "全免", "低保、特困供养或建档立卡证明", "连续缺课满7天（含）", "0571-12345678"):
            assert text in page, text
        assert 'id="accounts"' not in page  # during the term
        for url, message in ((f"/fees/{school}?term_name=2030年春季学期", "尚未公布"), ("/fees/999999", "学校不存在"),
                             (f"/fees/{world.school_ids['other_school']}", "未通过本平台公示")):
            resp = anon.get(url)
            assert resp.status_code == 404 and "出错了" in resp.text and message in resp.text, url
