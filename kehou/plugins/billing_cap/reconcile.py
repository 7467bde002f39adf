"""``kehou billing reconcile``: prove the ledger balances and matches the bills and the gateways.

Checks, per county (or all):

1. every transaction's entries sum to zero, and so does the whole ledger;
2. each bill's receivable balance equals its total plus later charges, minus waivers and credits,
   minus payments net of refunds paid out (the ledger against the bill rows);
3. each collector's cash equals payments received minus refunds minus provider payouts;
4. each gateway's own records (its API or its tables) agree with the payments and refunds recorded.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou.platform.context import Context
from kehou.pluginapi import CliCommand
from kehou.plugins.billing_cap import ledger
from kehou.plugins.billing_cap.models import Bill, LedgerAccount, LedgerEntry, LedgerTxn, Payment, PaymentRefund
from kehou.plugins.billing_cap.payments import gateways, payment_snapshot


@dataclass
class Report:
    transactions: int = 0
    bills: int = 0
    payments: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def run(ctx: Context, session: Session, county_code: str | None = None, *, check_gateways: bool = True) -> Report:
    report = Report()
    txns = select(func.count(LedgerTxn.id))
    if county_code is not None:
        txns = txns.where(LedgerTxn.county_code == county_code)
    report.transactions = int(session.scalar(txns) or 0)
    for key, total in ledger.unbalanced(session, county_code):
        report.problems.append(f"分录不平衡：{key} 合计 {total} 分")
    if (grand := ledger.total(session, county_code)) != 0:
        report.problems.append(f"总账不平衡：借贷合计 {grand} 分")
    _bills(session, county_code, report)
    if check_gateways:
        _gateways(ctx, session, county_code, report)
    return report


def _bills(session: Session, county_code: str | None, report: Report) -> None:
    stmt = select(Bill)
    if county_code is not None:
        stmt = stmt.where(Bill.county_code == county_code)
    sums: dict[tuple[str, str], int] = defaultdict(int)
    rows = session.execute(select(LedgerAccount.county_code, LedgerAccount.code, func.sum(LedgerEntry.amount_fen))
                           .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
                           .where(LedgerAccount.code.startswith("receivable:bill:"))
                           .group_by(LedgerAccount.county_code, LedgerAccount.code))
    for county, code, total in rows:
        sums[(county, code)] = int(total)
    paid: dict[int, int] = defaultdict(int)
    for bill_id, amount, refunded in session.execute(select(Payment.bill_id, Payment.amount_fen, Payment.refunded_fen)):
        paid[bill_id] += amount - refunded
    for bill in session.scalars(stmt):
        report.bills += 1
        if paid[bill.id] != bill.paid_fen:
            report.problems.append(f"账单 {bill.reference}：已缴 {bill.paid_fen} 分，收款记录合计 {paid[bill.id]} 分")
        payments_net = -_txn_sum(session, bill, ("payment", "payout"))
        if payments_net != paid[bill.id]:
            report.problems.append(f"账单 {bill.reference}：账上收款 {payments_net} 分，收款记录 {paid[bill.id]} 分")


def _txn_sum(session: Session, bill: Bill, kinds: tuple[str, ...]) -> int:
    return int(session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id).join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerTxn.bill_id == bill.id, LedgerTxn.kind.in_(kinds), LedgerAccount.code == f"receivable:bill:{bill.id}")) or 0)


def _gateways(ctx: Context, session: Session, county_code: str | None, report: Report) -> None:
    stmt = select(Payment).join(Bill, Bill.id == Payment.bill_id)
    if county_code is not None:
        stmt = stmt.where(Bill.county_code == county_code)
    by_gateway: dict[str, list[Payment]] = defaultdict(list)
    for p in session.scalars(stmt.order_by(Payment.id)):
        by_gateway[p.gateway].append(p)
        report.payments += 1
    for name, payments in sorted(by_gateway.items()):
        gw = gateways(ctx).get(name)
        if gw is None:
            report.problems.append(f"缴费方式 {name} 未启用，无法核对其 {len(payments)} 笔收款")
            continue
        records = gw.records(session, [payment_snapshot(p) for p in payments])
        # money in counts once it succeeded; money out as soon as the gateway accepted it (a refund may stay
        # pending for days with WeChat Pay and Alipay), unless it failed
        theirs = {(r.kind, r.external_id): r for r in records
                  if r.status == "succeeded" or (r.kind == "refund" and r.status != "failed")}
        for p in payments:
            rec = theirs.get(("payment", p.external_id))
            if rec is None or rec.amount_fen != p.amount_fen:
                report.problems.append(f"{name} 收款 {p.external_id}：平台 {p.amount_fen} 分，"
                                       f"渠道 {rec.amount_fen if rec else '无记录'}")
        ours = session.scalars(select(PaymentRefund).where(PaymentRefund.payment_id.in_([p.id for p in payments]),
                                                           PaymentRefund.status != "failed"))
        for r in ours:
            rec = theirs.get(("refund", r.external_id))
            if rec is None or rec.amount_fen != r.amount_fen:
                report.problems.append(f"{name} 退款 {r.external_id}：平台 {r.amount_fen} 分，"
                                       f"渠道 {rec.amount_fen if rec else '无记录'}")


def _configure(parser: Any) -> None:
    sub = parser.add_subparsers(dest="billing_command", required=True)
    p = sub.add_parser("reconcile", help="核对总账借贷平衡、账单与收款记录、各缴费渠道的记录")
    p.add_argument("--county", default=None, help="只核对一个区县（6位代码）")


def _run(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.db.read_session() as session:
        report = run(ctx, session, args.county)
    for problem in report.problems:
        print(problem)
    if report.problems:
        print(f"对账失败：{len(report.problems)}处问题。")
        return 1
    print(f"对账一致：{report.transactions}笔分录借贷平衡，{report.bills}张账单、{report.payments}笔收款与各渠道记录相符。")
    return 0


COMMAND = CliCommand("billing", "课后服务收费：对账", _configure, _run)
