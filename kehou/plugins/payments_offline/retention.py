"""Retention of imported bank statements (``privacy.retention_billing_years`` from the import): the payer's name on
each line is emptied; amounts, references and the payments they matched stay."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from kehou.platform.privacy.sweep import QUIET, Swept, swept
from kehou.plugins.payments_offline.models import OfflineStatementLine
from kehou.timeutil import end_of_local_day_utc


def sweep(session: Session, county_code: str, due: dict[str, dt.date]) -> list[Swept]:
    if "billing" not in due:
        return []
    lines = session.execute(update(OfflineStatementLine).where(
        OfflineStatementLine.county_code == county_code, OfflineStatementLine.imported_at < end_of_local_day_utc(due["billing"]),
        OfflineStatementLine.payer != "").values(payer="").execution_options(**QUIET))
    return swept("billing", "删除银行流水付款人姓名", lines)
