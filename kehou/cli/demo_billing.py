"""Demo data of billing: 西湖区 publishes its fee basis and complaint hotline, 西湖区第1小学 bills the
families whose children already chose (parent02's twenty), and one family has paid by bank transfer."""

from __future__ import annotations

from sqlalchemy import select

from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.policy import services as policy
from kehou.plugins.billing_cap import bills
from kehou.plugins.billing_cap.models import Bill
from kehou.plugins.billing_cap.payments import find_bill, record_payment
from kehou.timeutil import clock

MAIN = "330106"
SETTINGS = {
    "billing.fee_basis": "西湖区教育局 西湖区发展和改革局《关于规范中小学课后服务收费的通知》（西教〔2026〕12号）",
    "billing.complaint_hotline": "0571-87000000（区教育局）、12345",
}


def load(ctx: Context, school_admin: Actor, term_name: str) -> None:
    with ctx.db.write_session() as s:
        decider = accounts.actor_for(s.scalars(select(User).where(User.username == "xh_decider")).one())
        for key, value in SETTINGS.items():
            policy.put(s, ctx.registry, decider, scope=MAIN, key=key, value=value, effective_from=clock.today_local(),
                       reason="公示收费依据和投诉电话")
        assert school_admin.school_id is not None
        bills.issue_for_school(ctx, s, school_admin, school_admin.school_id, term_name)
        first = s.scalars(select(Bill).where(Bill.school_id == school_admin.school_id).order_by(Bill.id)).first()
        if first is not None:
            bill = find_bill(s, bill_id=first.id)
            record_payment(s, school_admin, bill, gateway="offline", external_id="ICBC-20261124-0001",
                           amount_fen=bill.total_fen, note="工商银行转账，附言含账单编号")
            s.commit()
