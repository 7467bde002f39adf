"""Refunds and the term-end statement (多退少补).

During the term nothing is collected twice: a provider's exit credits each family at once with the
fees of the lessons that will not be delivered; everything else (quits, absences, joins after the
bill, cancelled lessons) waits for the term-end statement, which computes what each course really
cost under the refund rules of the bill's policy, credits or charges the difference once, and
leaves each bill with one balance — refunded through the gateways, or collected on the same bill.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.notifications.models import Notification
from kehou.platform.students import services as students
from kehou.plugins.billing_cap import access, ledger
from kehou.plugins.billing_cap.bills import _issue_one, bill_of_enrolment, outstanding, receivable, term_menu, waiver_percent
from kehou.plugins.billing_cap.facts import EntryFacts, billable
from kehou.plugins.billing_cap.ledger import Leg
from kehou.plugins.billing_cap.models import Bill, Payment, PaymentRefund, TermStatement
from kehou.plugins.billing_cap.policy import FeePolicy, yuan
from kehou.plugins.billing_cap.rules import Outcome, family_share, outcome
from kehou.plugins.course_catalogue import public as catalogue
from kehou.timeutil import clock, utcnow

RULE_LABELS = {"absence": "连续缺课退费", "quit": "退课退费", "undelivered": "未上课次退费"}


@dataclass(frozen=True)
class Owed:
    """Where one enrolment stands against its bill."""

    charged: int  # course fee charged so far (gross of waivers)
    refunded: int  # course fee credited back so far
    materials_charged: int
    materials_refunded: int


def _standing(sums: dict[tuple[int, str, str], int], bill: Bill, enrolment_id: int, provider_id: int) -> Owed:
    """From :func:`ledger.enrolment_sums` read before any posting for these enrolments."""
    def on(code: str, kinds: tuple[str, ...]) -> int:
        return sum(sums.get((enrolment_id, code, kind), 0) for kind in kinds)

    deferred, payable = f"deferred:{bill.collector}", f"payable:provider:{provider_id}"
    return Owed(charged=-on(deferred, ("charge",)), refunded=on(deferred, ("refund",)),
                materials_charged=-on(payable, ("charge",)), materials_refunded=on(payable, ("refund",)))


def _credit(session: Session, bill: Bill, *, key: str, source: str, amount: int, enrolment_id: int, percent: int,
            memo: str, actor: Actor) -> None:
    """Give ``amount`` back on the bill from ``source`` (deferred fees or a provider's materials), split
    between the family and the waiver subsidy in the proportion they paid."""
    if amount <= 0:
        return
    family, subsidy = family_share(amount, percent)
    ledger.post(session, bill.county_code, kind="refund", key=key, bill_id=bill.id, memo=memo, actor_id=actor.user_id,
                legs=[Leg(source, amount, enrolment_id), Leg(receivable(bill), -family),
                      Leg(f"subsidy:{bill.collector}", -subsidy)])


def _charge(session: Session, bill: Bill, *, key: str, amount: int, enrolment_id: int, percent: int, memo: str,
            actor: Actor) -> None:
    family, subsidy = family_share(amount, percent)
    ledger.post(session, bill.county_code, kind="charge", key=key, bill_id=bill.id, memo=memo, actor_id=actor.user_id,
                legs=[Leg(receivable(bill), family), Leg(f"subsidy:{bill.collector}", subsidy),
                      Leg(f"deferred:{bill.collector}", -amount, enrolment_id)])


# --- a provider's exit ------------------------------------------------------------------------


def exit_refunds(session: Session, actor: Actor, provider_id: int, county_code: str, effective: dt.date) -> int:
    """Credit every billed family with the fees of the provider's lessons from ``effective`` on (and the
    materials of a course that never started). Idempotent per enrolment. Returns the fen credited."""
    facts = EntryFacts(session)
    total = 0
    records = billable(catalogue.enrolments(session, county_code=county_code, provider_id=provider_id))
    sums = ledger.enrolment_sums(session, county_code, [r.enrolment_id for r in records])
    for rec in records:
        bill = bill_of_enrolment(session, rec.enrolment_id)
        if bill is None:
            continue
        bill = session.scalars(select(Bill).where(Bill.id == bill.id).with_for_update()).one()
        policy = FeePolicy.from_json(bill.policy)
        menu = term_menu(session, bill.school_id, bill.term_name)
        result = outcome(facts.course(rec, exit_on=effective), facts.lessons(rec.entry_id), policy, menu.term_start,
                         term_over=False)
        owed = _standing(sums, bill, rec.enrolment_id, rec.provider_id)
        back = max(0, result.refunds.get("undelivered", 0) - owed.refunded)
        percent = waiver_percent(session, bill.student_id, bill.term_name)
        _credit(session, bill, key=f"exit:{rec.enrolment_id}", source=f"deferred:{bill.collector}", amount=back,
                enrolment_id=rec.enrolment_id, percent=percent, memo=f"机构退出：{rec.title}未上课次退费", actor=actor)
        mats = max(0, result.materials_refund - owed.materials_refunded)
        _credit(session, bill, key=f"exit-materials:{rec.enrolment_id}", source=f"payable:provider:{rec.provider_id}",
                amount=mats, enrolment_id=rec.enrolment_id, percent=percent, memo=f"机构退出：{rec.title}材料费退还",
                actor=actor)
        total += back + mats
    audit.record(session, actor, county_code=county_code, action="billing.exit_refunds", entity_type="provider",
                 entity_id=provider_id, new={"effective": effective, "credited_fen": total})
    session.commit()
    return total


# --- the term-end statement -------------------------------------------------------------------


def close_term(ctx: Context, session: Session, actor: Actor, school_id: int, term_name: str) -> list[TermStatement]:
    """One statement per student of the school for the term (after its last day). Idempotent."""
    if actor.role != "system":
        access.school_for_staff(session, actor, school_id, county_may=False)
    menu = term_menu(session, school_id, term_name)
    access.settings(ctx, session, menu.county_code)
    if clock.today_local() <= menu.term_end:
        raise Conflict(f"学期于{menu.term_end}结束，之后才能进行期末结算。", code="term_not_over")
    per_student: dict[int, list[catalogue.EnrolmentRecord]] = defaultdict(list)
    for rec in billable(catalogue.enrolments(session, school_id=school_id, term_name=term_name)):
        per_student[rec.student_id].append(rec)
    done = {s.student_id for s in session.scalars(select(TermStatement).where(
        TermStatement.school_id == school_id, TermStatement.term_name == term_name))}
    facts = EntryFacts(session)
    sums = ledger.enrolment_sums(session, menu.county_code, [r.enrolment_id for recs in per_student.values() for r in recs])
    made = []
    for student_id, recs in sorted(per_student.items()):
        if student_id not in done:
            made.append(_statement(ctx, session, actor, menu, student_id, recs, facts, sums))
    audit.record(session, actor, county_code=menu.county_code, action="billing.close_term", entity_type="school_term",
                 entity_id=f"{school_id}:{term_name}", new={"statements": len(made)})
    _notify(session, made)
    session.commit()
    return made


def _statement(ctx: Context, session: Session, actor: Actor, menu: catalogue.MenuRecord, student_id: int,
               recs: list[catalogue.EnrolmentRecord], facts: EntryFacts,
               sums: dict[tuple[int, str, str], int]) -> TermStatement:
    bill = session.scalars(select(Bill).where(Bill.student_id == student_id, Bill.term_name == menu.term_name,
                                              Bill.kind == "term").with_for_update()).first()
    if bill is None:  # joined after billing with no bill: the statement is the term's one collection
        policy = access.fee_policy(ctx, session, menu.county_code)
        bill = _issue_one(session, actor, policy, menu, student_id, [r for r in recs if r.status == "enrolled"] or recs[:1],
                          facts, kind="term")
        assert bill is not None
        sums = sums | ledger.enrolment_sums(session, menu.county_code, [r.enrolment_id for r in recs])
    policy = FeePolicy.from_json(bill.policy)
    percent = waiver_percent(session, student_id, menu.term_name)
    lines: list[dict[str, Any]] = []
    extra = refund = 0
    for rec in recs:
        result = outcome(facts.course(rec), facts.lessons(rec.entry_id), policy, menu.term_start, term_over=True)
        owed = _standing(sums, bill, rec.enrolment_id, rec.provider_id)
        delta = (result.chargeable - result.refund_total) - (owed.charged - owed.refunded)
        if delta > 0:
            _charge(session, bill, key=f"statement:{rec.enrolment_id}", amount=delta, enrolment_id=rec.enrolment_id,
                    percent=percent, memo=f"期末结算补收：{rec.title}", actor=actor)
            extra += delta
        elif delta < 0:
            _credit(session, bill, key=f"statement:{rec.enrolment_id}", source=f"deferred:{bill.collector}",
                    amount=-delta, enrolment_id=rec.enrolment_id, percent=percent, memo=f"期末结算退费：{rec.title}",
                    actor=actor)
            refund += -delta
        mats = max(0, result.materials_refund - owed.materials_refunded) if owed.materials_charged else 0
        _credit(session, bill, key=f"statement-materials:{rec.enrolment_id}", source=f"payable:provider:{rec.provider_id}",
                amount=mats, enrolment_id=rec.enrolment_id, percent=percent, memo=f"期末结算：{rec.title}材料费退还",
                actor=actor)
        refund += mats
        _retain(session, bill, rec, result, actor)
        lines.append(_line(rec, result, owed, delta, mats))
    balance = outstanding(session, bill)
    if bill.status != "settled":
        bill.status = "settled" if balance == 0 else "open"
    row = TermStatement(county_code=menu.county_code, school_id=menu.school_id, student_id=student_id,
                        term_name=menu.term_name, lines=lines, charged_fen=bill.total_fen, extra_fen=extra,
                        refund_fen=refund, balance_fen=balance, created_at=utcnow(),
                        created_by=actor.user_id)
    session.add(row)
    session.flush()
    return row


def _retain(session: Session, bill: Bill, rec: catalogue.EnrolmentRecord, result: Outcome, actor: Actor) -> None:
    if result.retained:
        ledger.post(session, bill.county_code, kind="adjustment", key=f"retained:{rec.enrolment_id}", bill_id=bill.id,
                    memo=f"退课保留费用：{rec.title}", actor_id=actor.user_id,
                    legs=[Leg(f"deferred:{bill.collector}", result.retained, rec.enrolment_id),
                          Leg(f"income:{bill.collector}", -result.retained, rec.enrolment_id)])


def _line(rec: catalogue.EnrolmentRecord, result: Outcome, owed: Owed, delta: int, mats: int) -> dict[str, Any]:
    return {"enrolment_id": rec.enrolment_id, "title": rec.title, "status": rec.status, "fee_fen": rec.fee_fen,
            "chargeable_fen": result.chargeable, "billed_fen": owed.charged - owed.refunded,
            "refunds": dict(result.refunds), "retained_fen": result.retained,
            "materials_refund_fen": mats, "delta_fen": delta, "explain": result.explain}


def _notify(session: Session, made: list[TermStatement]) -> None:
    guardians = students.guardian_user_ids(session, [m.student_id for m in made])
    now = utcnow()
    for m in made:
        if m.balance_fen < 0:
            body = f"{m.term_name}期末结算：应退 {yuan(-m.balance_fen)} 元，将原路退回。"
        elif m.balance_fen > 0:
            body = f"{m.term_name}期末结算：应补缴 {yuan(m.balance_fen)} 元。"
        else:
            body = f"{m.term_name}期末结算：费用已结清。"
        for uid in guardians.get(m.student_id, []):
            session.add(Notification(user_id=uid, title="课后服务期末结算", body=body, link="/parent/bills", created_at=now))


def statements_of_school(session: Session, actor: Actor, school_id: int, term_name: str | None) -> list[TermStatement]:
    access.school_for_staff(session, actor, school_id)
    stmt = select(TermStatement).where(TermStatement.school_id == school_id)
    if term_name:
        stmt = stmt.where(TermStatement.term_name == term_name)
    return list(session.scalars(stmt.order_by(TermStatement.id)))



def pay_refunds(ctx: Context, session: Session, actor: Actor, school_id: int, term_name: str) -> int:
    """Send every credit balance left by the statements back through the gateways that took the money."""
    from kehou.plugins.billing_cap.payments import refund_credit

    school = access.school_for_staff(session, actor, school_id, county_may=False) if actor.role != "system" else None
    total = 0
    for bill in session.scalars(select(Bill).where(Bill.school_id == school_id, Bill.term_name == term_name)
                                .order_by(Bill.id).with_for_update()):
        if outstanding(session, bill) < 0:
            access.require_collector_staff(actor, bill)
            # a refund that failed after the gateway took it was reversed: the next attempt needs a new key
            retry = session.scalar(select(func.count(PaymentRefund.id)).join(Payment, Payment.id == PaymentRefund.payment_id)
                                   .where(Payment.bill_id == bill.id, PaymentRefund.status == "failed")) or 0
            total += refund_credit(ctx, session, actor, bill, key=f"statement:{bill.id}:{retry}", reason="期末结算多退")
            if outstanding(session, bill) == 0:
                bill.status = "settled"
    audit.record(session, actor, county_code=school.county_code if school else None, action="billing.pay_refunds",
                 entity_type="school_term", entity_id=f"{school_id}:{term_name}", new={"refunded_fen": total})
    session.commit()
    return total
