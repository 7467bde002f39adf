"""Retention of billing records (``privacy.retention_billing_years`` from the record's day): the evidence behind a
waiver (a hardship certificate…) and the payer's note on a payment are emptied; tiers, amounts, bills and the ledger
stay as they are."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kehou.platform.privacy.sweep import QUIET, Swept, swept
from kehou.plugins.billing_cap.models import Bill, Payment, Waiver
from kehou.timeutil import end_of_local_day_utc


def sweep(session: Session, county_code: str, due: dict[str, dt.date]) -> list[Swept]:
    if "billing" not in due:
        return []
    until = end_of_local_day_utc(due["billing"])
    waivers = session.execute(update(Waiver).where(Waiver.county_code == county_code, Waiver.recorded_at < until,
                                                   Waiver.evidence != "").values(evidence="").execution_options(**QUIET))
    notes = session.execute(update(Payment).where(
        Payment.bill_id.in_(select(Bill.id).where(Bill.county_code == county_code)), Payment.created_at < until,
        Payment.payer_note != "").values(payer_note="").execution_options(**QUIET))
    return swept("billing", "删除减免依据", waivers) + swept("billing", "删除付款备注", notes)
