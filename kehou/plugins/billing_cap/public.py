"""What payment gateway plugins may use of billing: find a bill, record money received once, and
remember gateway events (webhooks) so each is applied exactly once; and the term's fee aggregates
outcome reporting reads (``term_fees``).

Gateway plugins and outcome reporting import this module and nothing else from billing. All functions work in the
caller's session; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import PermissionDenied
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.pluginapi import BillSnapshot, GatewayRecord, PaymentSnapshot
from kehou.plugins.billing_cap import access, ledger
from kehou.plugins.billing_cap.bills import receivable
from kehou.plugins.billing_cap.models import Bill, GatewayEvent, Payment, PaymentRefund
from kehou.plugins.billing_cap.payments import find_bill, payment_snapshot, record_payment, refund_failed, snapshot
from kehou.timeutil import utcnow

__all__ = ["announce", "bill_snapshot", "bills_of_payments", "bills_to_collect", "event_seen", "lock_bill", "may_record",
           "payments", "receive", "refund_failed", "refunds", "remember_event", "term_fees"]


def lock_bill(session: Session, *, bill_id: int | None = None, reference: str | None = None) -> BillSnapshot:
    """The bill (by id or by the reference a payer quoted), locked for this transaction."""
    return snapshot(session, find_bill(session, bill_id=bill_id, reference=reference))


def bill_snapshot(session: Session, actor: Actor, bill_id: int) -> BillSnapshot:
    """A bill the actor may see (family, school, county), not locked."""
    return snapshot(session, access.bill_for(session, actor, bill_id))


def may_record(session: Session, actor: Actor, bill_id: int) -> BillSnapshot:
    """A bill the actor may record money on (the collector's staff), locked; raises otherwise."""
    bill = access.bill_for(session, actor, bill_id, lock=True)
    access.require_collector_staff(actor, bill)
    return snapshot(session, bill)


def receive(session: Session, actor: Actor, *, bill_id: int, gateway: str, external_id: str, amount_fen: int,
            note: str = "") -> tuple[PaymentSnapshot, bool]:
    """Record a confirmed payment on a bill (locking it). Returns the payment and whether it is new."""
    bill = find_bill(session, bill_id=bill_id)
    payment, new = record_payment(session, actor, bill, gateway=gateway, external_id=external_id,
                                  amount_fen=amount_fen, note=note)
    return payment_snapshot(payment), new


def payments(session: Session, gateway: str, *, county_code: str | None = None) -> list[PaymentSnapshot]:
    stmt = select(Payment).where(Payment.gateway == gateway)
    if county_code is not None:
        stmt = stmt.join(Bill, Bill.id == Payment.bill_id).where(Bill.county_code == county_code)
    return [payment_snapshot(p) for p in session.scalars(stmt.order_by(Payment.id))]


def event_seen(session: Session, gateway: str, event_id: str) -> bool:
    return session.scalar(select(GatewayEvent.id).where(GatewayEvent.gateway == gateway,
                                                        GatewayEvent.event_id == event_id)) is not None


def remember_event(session: Session, gateway: str, event_id: str, type_: str, object_id: str, outcome: str) -> bool:
    """Claim an event id; False when it was already claimed (a duplicate delivery), also concurrently."""
    try:
        with session.begin_nested():
            session.add(GatewayEvent(gateway=gateway, event_id=event_id, type=type_[:80], object_id=object_id[:120],
                                     outcome=outcome[:200], received_at=utcnow()))
            session.flush()
    except IntegrityError:
        return False
    return True


def announce(ctx: Context, county_code: str, payment: PaymentSnapshot) -> None:
    """After the payment's transaction has committed: ``kehou_payment_succeeded`` for the county's plugins."""
    with ctx.db.read_session() as session:
        hook = ctx.county_hook(session, county_code, "kehou_payment_succeeded")
    hook(payment=payment)


def refunds(session: Session, payment_ids: list[int]) -> list[GatewayRecord]:
    """The refunds billing asked a gateway to make on these payments, as the gateway answered them (for a
    gateway that keeps no records of its own, such as a bank transfer made by the finance office)."""
    out: list[GatewayRecord] = []
    for i in range(0, len(payment_ids), 500):
        rows = session.scalars(select(PaymentRefund).where(PaymentRefund.payment_id.in_(payment_ids[i:i + 500]))
                               .order_by(PaymentRefund.id))
        out.extend(GatewayRecord(r.external_id, "refund", r.amount_fen, r.status) for r in rows)
    return out


def bills_to_collect(session: Session, actor: Actor, school_id: int) -> list[BillSnapshot]:
    """The school's bills the actor's office collects that still have money owed, oldest first: for the school's
    finance page (the school's administrator; county staff for a county-collected bill; others see none)."""
    school = access.school_for_staff(session, actor, school_id)
    bills = list(session.scalars(select(Bill).where(Bill.school_id == school.id, Bill.status == "open").order_by(Bill.id)))
    if not bills:
        return []
    balances = _receivables(session, school.county_code)
    out: list[BillSnapshot] = []
    for bill in bills:
        try:
            access.require_collector_staff(actor, bill)
        except PermissionDenied:
            continue
        owed = balances.get(receivable(bill), 0)
        if owed > 0:
            out.append(BillSnapshot(bill.id, bill.reference, bill.county_code, bill.school_id, bill.student_id,
                                    bill.term_name, bill.total_fen, bill.paid_fen, owed))
    return out


def _receivables(session: Session, county_code: str) -> dict[str, int]:
    """What is owed on every bill of the county, by ledger account code (one GROUP BY query)."""
    return ledger.balances(session, county_code, prefix="receivable:bill:")


def bills_of_payments(session: Session, payment_ids: list[int]) -> dict[int, BillSnapshot]:
    """The bill each payment was recorded on (payment id -> bill), for a list of payments already shown."""
    out: dict[int, BillSnapshot] = {}
    for i in range(0, len(payment_ids), 500):
        rows = session.execute(select(Payment.id, Bill).join(Bill, Bill.id == Payment.bill_id)
                               .where(Payment.id.in_(payment_ids[i:i + 500])))
        for payment_id, bill in rows:
            out[payment_id] = snapshot(session, bill)
    return out


# --- aggregates for outcome reporting ----------------------------------------------------------------


@dataclass(frozen=True)
class SchoolTermFees:
    """Money of one school's bills for one term, in fen: collected (payments received, gross), refunded
    (paid back out of those payments), waived (fee reductions on the bills)."""

    term_name: str
    school_id: int
    collected_fen: int
    refunded_fen: int
    waived_fen: int


def term_fees(session: Session, county_code: str, *, term_name: str | None = None,
              school_id: int | None = None) -> list[SchoolTermFees]:
    """Per term and school of the county: two GROUP BY queries (bills; payments joined to their bills)."""
    from sqlalchemy import func

    where = [Bill.county_code == county_code]
    if term_name is not None:
        where.append(Bill.term_name == term_name)
    if school_id is not None:
        where.append(Bill.school_id == school_id)
    waived = {(t, s): int(w) for t, s, w in session.execute(
        select(Bill.term_name, Bill.school_id, func.coalesce(func.sum(Bill.waiver_fen), 0)).where(*where)
        .group_by(Bill.term_name, Bill.school_id))}
    paid = {(t, s): (int(c), int(r)) for t, s, c, r in session.execute(
        select(Bill.term_name, Bill.school_id, func.coalesce(func.sum(Payment.amount_fen), 0),
               func.coalesce(func.sum(Payment.refunded_fen), 0))
        .join(Bill, Bill.id == Payment.bill_id).where(*where).group_by(Bill.term_name, Bill.school_id))}
    return [SchoolTermFees(t, s, *paid.get((t, s), (0, 0)), w) for (t, s), w in sorted(waived.items())]
