"""Demo data of billing: 西湖区 publishes its fee basis and complaint hotline and the special account of
西湖区第1小学, which bills the families whose children already chose (parent02's twenty, 260 yuan each); one
family has paid by bank transfer, recorded by hand, and nineteen bills are outstanding (twenty-one once
parent01's are issued, below).

The bills get fixed references (``KHXH26DEMQ23`` for the first, then ``…24``, ``…25``) so that the sample bank
statement shipped in ``kehou/cli/samples/bank-statement-sample.csv`` (downloadable from 收款对账) matches them:
imported as ``school01`` it confirms the hand record, pays three more bills and leaves one transfer (no bill
reference in its note) to match by hand.

After the weeks of lessons held (:func:`kehou.cli.demo_catalogue.attendance`), :func:`after_lessons` bills the
families who chose since (parent01's two children) and drafts the provider's settlement for the lessons delivered."""

from __future__ import annotations

import datetime as dt
from itertools import count
from unittest import mock

from sqlalchemy import select

from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.platform.policy import services as policy
from kehou.plugins.billing_cap import bills, settlement
from kehou.plugins.billing_cap.models import Bill
from kehou.plugins.billing_cap.payments import find_bill, record_payment
from kehou.timeutil import clock

MAIN = "330106"
SETTINGS = {
    "billing.fee_basis": "西湖区教育局 西湖区发展和改革局《关于规范中小学课后服务收费的通知》（西教〔2026〕12号）",
    "billing.complaint_hotline": "0571-87000000（区教育局）、12345",
}
#: the special account of the demo school (offline gateway setting; shown on each family's bill)
ACCOUNT = ["西湖区第1小学课后服务专户", "中国工商银行杭州西湖支行", "1202 0212 0900 0123 456"]
#: the hand-recorded transfer of the first bill (also the first line of the sample statement)
FIRST_TXN = "ICBC-20261124-0001"


def demo_reference(n: int) -> str:
    """The reference of the n-th demo bill (n from 1): "KH" and 10 characters of billing's alphabet."""
    return f"KHXH26DEMQ{bills.ALPHABET[n // 32 % 32]}{bills.ALPHABET[n % 32]}"


def load(ctx: Context, school_admin: Actor, term_name: str) -> None:
    with ctx.db.write_session() as s:
        decider = accounts.actor_for(s.scalars(select(User).where(User.username == "xh_decider")).one())
        assert school_admin.school_id is not None
        school = s.get(School, school_admin.school_id)
        assert school is not None
        for key, value in SETTINGS.items():
            policy.put(s, ctx.registry, decider, scope=MAIN, key=key, value=value, effective_from=clock.today_local(),
                       reason="公示收费依据和投诉电话")
        policy.put(s, ctx.registry, decider, scope=MAIN, key="payments_offline.school_accounts",
                   value={school.name: ACCOUNT}, effective_from=clock.today_local(),
                   reason="登记学校课后服务专户，供家长转账缴费")
        numbers = count(1)
        with mock.patch.object(bills, "new_reference", side_effect=lambda: demo_reference(next(numbers))):
            bills.issue_for_school(ctx, s, school_admin, school_admin.school_id, term_name)
        first = s.scalars(select(Bill).where(Bill.school_id == school_admin.school_id).order_by(Bill.id)).first()
        if first is not None:
            bill = find_bill(s, bill_id=first.id)
            record_payment(s, school_admin, bill, gateway="offline", external_id=FIRST_TXN,
                           amount_fen=bill.total_fen, note="工商银行转账，附言含账单编号")
            s.commit()


def after_lessons(ctx: Context, school_admin: Actor, term_name: str, first_lesson: dt.date) -> None:
    """Bill the families who chose after the first bills; draft the settlement of the lessons held until yesterday."""
    assert school_admin.school_id is not None
    with ctx.db.write_session() as s:
        bills.issue_for_school(ctx, s, school_admin, school_admin.school_id, term_name)
        settlement.draft(ctx, s, school_admin, school_admin.school_id, first_lesson,
                         clock.today_local() - dt.timedelta(days=1))
