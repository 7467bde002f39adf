"""The offline gateway: bank transfer or the government non-tax payment channel (非税缴款).

The family transfers the amount to the collector's special account and quotes the bill reference in
the transfer note (附言). Nothing happens online: the collector's staff record the receipt by hand or
import the bank statement (see :mod:`kehou.plugins.payments_offline.services`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from kehou.pluginapi import BillSnapshot, GatewayRecord, PaymentGateway, PaymentSnapshot
from kehou.plugins.billing_cap import public as billing
from kehou.plugins.payments_offline.models import OfflineStatementLine

NAME = "offline"
MAX_EXTERNAL_ID = 120  # billing's PaymentRefund.external_id


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def refund_external_id(key: str) -> str:
    """``offline-refund:<key>``; a key too long for the column is replaced by its hash (deterministic,
    so a retry with the same key gives the same id)."""
    external_id = f"offline-refund:{key}"
    if len(external_id) > MAX_EXTERNAL_ID:
        external_id = "offline-refund:sha256:" + hashlib.sha256(key.encode()).hexdigest()[:64]
    return external_id


def _chunks(values: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


class OfflineGateway(PaymentGateway):
    name = NAME
    label = "银行转账 / 非税缴款"

    def enabled(self) -> bool:
        return True  # needs no keys: the mainland default

    def start(self, bill: BillSnapshot) -> dict[str, Any]:
        amount = yuan(bill.outstanding_fen)
        return {
            "instructions": (
                f"请通过银行转账或非税缴款渠道缴纳{amount}元，并在转账附言（用途、备注）中填写账单编号{bill.reference}。"
                "收款账户以学校通知为准。收款单位（学校或教育局）财务人员核对银行到账后确认收款，"
                "账单状态随之更新，通常需要几个工作日；请保留转账凭证。"),
            "quote_in_note": bill.reference,
            "amount_yuan": amount,
        }

    def refund(self, payment: PaymentSnapshot, amount_fen: int, key: str) -> GatewayRecord:
        """An offline refund is a bank transfer the collector's finance office makes back to the payer;
        nothing here moves money or can confirm that transfer. It is recorded as succeeded at once (the
        bill's paid amount drops by it); making the transfer is the finance office's task, outside the
        platform."""
        return GatewayRecord(refund_external_id(key), "refund", amount_fen, "succeeded")

    def records(self, session: Any, payments: list[PaymentSnapshot]) -> list[GatewayRecord]:
        """A payment imported from (or confirmed by) a bank statement: the statement line and its amount.
        A payment recorded by hand and not yet on an imported statement: the hand record itself (its
        transaction id and amount as entered).

        Refunds: the offline channel keeps no records of its own (the finance office makes the transfer
        back outside the platform), so the refund instructions it answered are reported as billing
        stored them; the bank statement of the special account is where the finance office checks them."""
        lines = {line.payment_id: line for chunk in _chunks([p.payment_id for p in payments])
                 for line in session.scalars(select(OfflineStatementLine).where(OfflineStatementLine.payment_id.in_(chunk)))}
        out: list[GatewayRecord] = []
        for p in payments:
            line = lines.get(p.payment_id)
            if line is not None:
                out.append(GatewayRecord(line.bank_txn_id, "payment", line.amount_fen, "succeeded"))
            else:
                out.append(GatewayRecord(p.external_id, "payment", p.amount_fen, "succeeded"))
        return out + billing.refunds(session, [p.payment_id for p in payments])

