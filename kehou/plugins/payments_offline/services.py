"""Recording offline payments: by hand, from an imported bank statement, or by matching a statement
line to a bill by hand. Money is recorded only through ``billing_cap.public.receive`` (gateway
``offline``, external id = the bank transaction id), so each transaction id is one payment however
often it is submitted or imported.

Who may: recording by hand — the bill's collector staff, as billing decides (``may_record``);
importing and matching statement lines — the school's administrator, for their own school; reading
the lines — the school's administrator, the county staff of its county, a platform administrator.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.counties.models import School
from kehou.pluginapi import BillSnapshot, PaymentSnapshot
from kehou.plugins.billing_cap import public as billing
from kehou.plugins.payments_offline import importer
from kehou.plugins.payments_offline.gateway import NAME
from kehou.plugins.payments_offline.models import OfflineStatementLine
from kehou.timeutil import clock, utcnow

MAX_AMOUNT_FEN = 10_000_000  # billing's limit per payment (10万元)
MAX_NOTE = 200


# --- who may -------------------------------------------------------------------------------


def school_for_import(session: Session, actor: Actor, school_id: int) -> School:
    """Importing or matching statement lines: the school's own administrator (the school holds the
    special account that collects its bills)."""
    actor.require()
    if actor.role != "school_admin":
        raise PermissionDenied("只有学校管理员可以导入或匹配本校的银行流水。", code="statement_denied")
    school = session.get(School, school_id)
    if school is None or actor.school_id != school_id:
        raise NotFound("学校不存在。", code="school_not_found")
    return school


def school_for_reader(session: Session, actor: Actor, school_id: int) -> School:
    actor.require()
    if actor.role not in ("school_admin", "county_staff", "platform_admin"):
        raise PermissionDenied("只有学校管理员或本区县教育局工作人员可以查看银行流水。", code="statement_denied")
    school = session.get(School, school_id)
    if school is None or (actor.role == "school_admin" and actor.school_id != school_id) \
            or (actor.role == "county_staff" and actor.county_code != school.county_code):
        raise NotFound("学校不存在。", code="school_not_found")
    return school


# --- by hand -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandReceipt:
    bank_txn_id: str
    amount_fen: Any  # a JSON integer, checked here
    paid_on: str  # YYYY-MM-DD
    payer: str
    note: str = ""


@dataclass(frozen=True)
class Recorded:
    payment: PaymentSnapshot
    bill: BillSnapshot
    created: bool


def _paid_on(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationFailed("到账日期格式应为 年-月-日（如 2026-09-01）。", code="paid_on_invalid", field="paid_on") from None
    if day > clock.today_local():
        raise ValidationFailed("到账日期不能晚于今天。", code="paid_on_in_future", field="paid_on")
    return day


def _validated(data: HandReceipt) -> tuple[str, dt.date, str, str]:
    txn = importer.normalise_txn_id(data.bank_txn_id)
    if not txn:
        raise ValidationFailed("请填写银行交易流水号。", code="bank_txn_id_required", field="bank_txn_id")
    if len(txn) > importer.MAX_TXN_ID:
        raise ValidationFailed(f"交易流水号过长（最多{importer.MAX_TXN_ID}个字符）。", code="bank_txn_id_too_long",
                               field="bank_txn_id")
    amount = data.amount_fen
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationFailed("到账金额须为整数，单位分（如300元填30000），不能是文字或小数。", code="amount_invalid",
                               field="amount_fen")
    if amount <= 0:
        raise ValidationFailed("到账金额须大于0（单位：分）。", code="amount_invalid", field="amount_fen")
    if amount > MAX_AMOUNT_FEN:
        raise ValidationFailed("单笔到账金额不能超过10万元。", code="amount_invalid", field="amount_fen")
    day = _paid_on(data.paid_on)
    payer = importer.clean(data.payer)
    if not payer:
        raise ValidationFailed("请填写付款人姓名或户名。", code="payer_required", field="payer")
    if len(payer) > importer.MAX_PAYER:
        raise ValidationFailed(f"付款人过长（最多{importer.MAX_PAYER}个字）。", code="payer_too_long", field="payer")
    note = importer.clean(data.note)
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"备注过长（最多{MAX_NOTE}个字）。", code="note_too_long", field="note")
    return txn, day, payer, note


def record_by_hand(session: Session, actor: Actor, bill_id: int, data: HandReceipt) -> Recorded:
    """The collector's staff record a transfer they saw arrive. The same transaction id again (a double
    click, a retry) returns the first payment; reused with another amount or bill: ``payment_conflict``."""
    billing.may_record(session, actor, bill_id)  # who may, before looking at the input; locks the bill
    txn, day, payer, note = _validated(data)
    text = f"手工登记：付款人{payer}，{day.isoformat()}到账" + (f"，{note}" if note else "")
    payment, created = billing.receive(session, actor, bill_id=bill_id, gateway=NAME, external_id=txn,
                                       amount_fen=data.amount_fen, note=text)
    bill = billing.bill_snapshot(session, actor, bill_id)
    session.commit()
    return Recorded(payment, bill, created)


# --- bank statements -------------------------------------------------------------------------


@dataclass
class ImportResult:
    lines: int = 0
    new: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0
    rejected: list[importer.Rejected] = field(default_factory=list)
    unmatched_lines: list[tuple[int, OfflineStatementLine]] = field(default_factory=list)  # (row, line)

    def counts(self) -> dict[str, int]:
        return {"lines": self.lines, "new": self.new, "duplicates": self.duplicates, "matched": self.matched,
                "unmatched": self.unmatched, "rejected": len(self.rejected)}


NO_REFERENCE = "附言中没有账单编号（KH开头的12位编号），请人工匹配。"
NOT_POSITIVE = "金额不是正数（支出、冲正或空白），不作为缴费登记。"


def import_statement(session: Session, actor: Actor, school_id: int, *, filename: str, data: bytes) -> ImportResult:
    """Store each line once (per school and transaction id) and record the payment of each line whose
    note quotes a bill of this school. Lines already stored are skipped; lines that cannot be matched are
    stored with their problem, to be matched by hand."""
    school = school_for_import(session, actor, school_id)
    statement = importer.parse(filename, data)
    result = ImportResult(lines=statement.rows, rejected=list(statement.rejected))
    ids = list(dict.fromkeys(line.bank_txn_id for line in statement.lines))
    stored: set[str] = set()
    for i in range(0, len(ids), 500):
        stored.update(session.scalars(select(OfflineStatementLine.bank_txn_id).where(
            OfflineStatementLine.school_id == school_id, OfflineStatementLine.bank_txn_id.in_(ids[i:i + 500]))))
    now = utcnow()
    for parsed in statement.lines:
        if parsed.bank_txn_id in stored:
            result.duplicates += 1
            continue
        stored.add(parsed.bank_txn_id)
        line = OfflineStatementLine(county_code=school.county_code, school_id=school_id, bank_txn_id=parsed.bank_txn_id,
                                    reference=parsed.note[:importer.MAX_REFERENCE], amount_fen=parsed.amount_fen,
                                    paid_on=parsed.paid_on, payer=parsed.payer, payment_id=None, problem="",
                                    imported_at=now, imported_by=actor.user_id)
        try:
            with session.begin_nested():
                session.add(line)
                session.flush()
        except IntegrityError:  # stored by a concurrent import of the same statement
            result.duplicates += 1
            continue
        result.new += 1
        line.problem = _match(session, actor, line, parsed.note)
        if line.payment_id is not None:
            result.matched += 1
        else:
            result.unmatched += 1
            result.unmatched_lines.append((parsed.row, line))
    audit.record(session, actor, county_code=school.county_code, action="payments_offline.import",
                 entity_type="school", entity_id=school_id,
                 new=result.counts() | {"file": (filename or "")[-200:], "sha256": hashlib.sha256(data).hexdigest()})
    session.commit()
    return result


def _match(session: Session, actor: Actor, line: OfflineStatementLine, note: str) -> str:
    """Record the line's payment on the bill its note quotes; returns the problem ("" when matched)."""
    if line.amount_fen <= 0:
        return NOT_POSITIVE
    candidates = importer.references(note)
    if not candidates:
        return NO_REFERENCE
    bills: dict[int, BillSnapshot] = {}
    for ref in candidates:
        try:
            snap = billing.lock_bill(session, reference=ref)
        except NotFound:
            continue
        bills[snap.bill_id] = snap
    if not bills:
        return f"找不到账单编号{candidates[0]}，请核对后人工匹配。"
    if len(bills) > 1:
        return f"附言中有多个账单编号（{'、'.join(b.reference for b in bills.values())}），请人工匹配。"
    bill = next(iter(bills.values()))
    if bill.school_id != line.school_id:
        return f"账单{bill.reference}不是本校的账单，不能用本校流水登记。"
    return _record(session, actor, line, bill)


def _record(session: Session, actor: Actor, line: OfflineStatementLine, bill: BillSnapshot) -> str:
    note = f"银行流水：付款人{line.payer or '未知'}，{line.paid_on.isoformat()}到账"
    try:
        with session.begin_nested():
            billing.may_record(session, actor, bill.bill_id)
            payment, _ = billing.receive(session, actor, bill_id=bill.bill_id, gateway=NAME, external_id=line.bank_txn_id,
                                         amount_fen=line.amount_fen, note=note)
    except PermissionDenied:
        return f"账单{bill.reference}由教育局专户收款，不能用学校的流水登记。"
    except Conflict:
        return "该交易流水号已登记在另一张账单上或金额不同，请核对。"
    except ValidationFailed as exc:
        return exc.message[:200]
    line.payment_id = payment.payment_id
    return ""


def match_line(session: Session, actor: Actor, line_id: int, bill_id: int) -> tuple[OfflineStatementLine, PaymentSnapshot]:
    """Resolve an unmatched line by hand: record its payment on a bill of the school."""
    actor.require()
    if actor.role != "school_admin":
        raise PermissionDenied("只有学校管理员可以导入或匹配本校的银行流水。", code="statement_denied")
    line = session.scalars(select(OfflineStatementLine).where(OfflineStatementLine.id == line_id).with_for_update()).first()
    if line is None or line.school_id != actor.school_id:
        raise NotFound("流水记录不存在。", code="statement_line_not_found")
    bill = billing.may_record(session, actor, bill_id)
    if bill.school_id != line.school_id:
        raise NotFound("账单不存在。", code="bill_not_found")
    if line.payment_id is not None:
        raise Conflict("该流水已登记到账单，不能重复匹配。", code="statement_line_matched")
    if line.amount_fen <= 0:
        raise Conflict("该流水金额不是正数，不能作为缴费登记。", code="statement_line_not_payment")
    payment, _ = billing.receive(session, actor, bill_id=bill_id, gateway=NAME, external_id=line.bank_txn_id,
                                 amount_fen=line.amount_fen,
                                 note=f"人工匹配银行流水：付款人{line.payer or '未知'}，{line.paid_on.isoformat()}到账")
    audit.record(session, actor, county_code=line.county_code, action="payments_offline.match",
                 entity_type="offline_statement_line", entity_id=line.id, old={"problem": line.problem},
                 new={"bill_id": bill_id, "payment_id": payment.payment_id})
    line.payment_id = payment.payment_id
    line.problem = ""
    session.commit()
    return line, payment


def lines_of_school(session: Session, actor: Actor, school_id: int, *, unmatched: bool = False) -> list[OfflineStatementLine]:
    school_for_reader(session, actor, school_id)
    stmt = select(OfflineStatementLine).where(OfflineStatementLine.school_id == school_id)
    if unmatched:
        stmt = stmt.where(OfflineStatementLine.payment_id.is_(None))
    return list(session.scalars(stmt.order_by(OfflineStatementLine.paid_on, OfflineStatementLine.id)))


def line_out(line: OfflineStatementLine) -> dict[str, Any]:
    return {"id": line.id, "school_id": line.school_id, "bank_txn_id": line.bank_txn_id, "paid_on": line.paid_on.isoformat(),
            "amount_fen": line.amount_fen, "payer": line.payer, "reference": line.reference,
            "matched": line.payment_id is not None, "payment_id": line.payment_id, "problem": line.problem,
            "imported_at": line.imported_at.isoformat()}
