"""Money in and out of a bill, whichever gateway moved it.

A payment is recorded once per (gateway, external id): a webhook delivered twice, a bank statement
imported twice or a double click posts nothing the second time. Refunds go back through the
gateway that took the money, each with a key derived from the bill so a retry cannot pay twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.pluginapi import BillSnapshot, PaymentGateway, PaymentSnapshot
from kehou.plugins.billing_cap import access, ledger
from kehou.plugins.billing_cap.bills import outstanding, receivable
from kehou.plugins.billing_cap.ledger import Leg
from kehou.plugins.billing_cap.models import Bill, Payment, PaymentRefund
from kehou.timeutil import utcnow

MAX_FEN = 10_000_000  # 100,000 yuan: far above any term's fees


def gateways(ctx: Context) -> dict[str, PaymentGateway]:
    """The configured gateways of this installation (a gateway without its keys is off)."""
    if "gateways" not in ctx.extra:
        found: dict[str, PaymentGateway] = {}
        for answer in ctx.pm.hook.kehou_register_payment_providers():
            for cls in answer:
                gw = cls(ctx.settings)
                if gw.enabled():
                    found[gw.name] = gw
        ctx.extra["gateways"] = found
    return ctx.extra["gateways"]


def gateway(ctx: Context, name: str) -> PaymentGateway:
    gw = gateways(ctx).get(name)
    if gw is None:
        raise ValidationFailed(f"不支持的缴费方式：{name}。可用：{'、'.join(gateways(ctx)) or '无'}。",
                               code="gateway_unknown", field="gateway")
    return gw


def snapshot(session: Session, bill: Bill) -> BillSnapshot:
    return BillSnapshot(bill.id, bill.reference, bill.county_code, bill.school_id, bill.student_id, bill.term_name,
                        bill.total_fen, bill.paid_fen, outstanding(session, bill))


def payment_snapshot(p: Payment) -> PaymentSnapshot:
    return PaymentSnapshot(p.id, p.bill_id, p.gateway, p.external_id, p.amount_fen, p.refunded_fen)


def start(ctx: Context, session: Session, actor: Actor, bill_id: int, gateway_name: str) -> dict[str, Any]:
    """Begin paying a bill through a gateway (the family or the collector's staff)."""
    bill = access.bill_for(session, actor, bill_id)
    if actor.role not in ("parent", "platform_admin"):
        access.require_collector_staff(actor, bill)
    snap = snapshot(session, bill)
    if snap.outstanding_fen <= 0:
        raise Conflict("该账单已缴清。", code="bill_paid")
    return {"gateway": gateway_name, "bill_id": bill.id, "reference": bill.reference,
            "amount_fen": snap.outstanding_fen} | gateway(ctx, gateway_name).start(snap)


def find_bill(session: Session, *, bill_id: int | None = None, reference: str | None = None, lock: bool = True) -> Bill:
    stmt = select(Bill)
    if bill_id is not None:
        stmt = stmt.where(Bill.id == bill_id)
    else:
        stmt = stmt.where(Bill.reference == (reference or "").strip().upper())
    bill = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if bill is None:
        raise NotFound("找不到该账单（请核对账单编号）。", code="bill_not_found", field="reference")
    return bill


def record_payment(session: Session, actor: Actor, bill: Bill, *, gateway: str, external_id: str, amount_fen: int,
                   note: str = "") -> tuple[Payment, bool]:
    """Record money received for ``bill`` (locked by the caller through :func:`find_bill`). Returns the
    payment and whether it is new; the same (gateway, external id) again returns the first one."""
    external_id = external_id.strip()
    if not external_id or len(external_id) > 120:
        raise ValidationFailed("缺少交易流水号，或超过120个字符。", code="external_id_required", field="external_id")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= MAX_FEN:
        raise ValidationFailed("金额须为正整数（分），且不超过10万元。", code="amount_invalid", field="amount_fen")
    existing = session.scalars(select(Payment).where(Payment.gateway == gateway, Payment.external_id == external_id)).first()
    if existing is not None:
        if existing.bill_id != bill.id or existing.amount_fen != amount_fen:
            raise Conflict("该交易流水号已登记在另一张账单或金额不同。", code="payment_conflict", field="external_id")
        return existing, False
    payment = Payment(bill_id=bill.id, gateway=gateway, external_id=external_id, amount_fen=amount_fen,
                      refunded_fen=0, status="succeeded", payer_note=note.strip()[:200], recorded_by=actor.user_id,
                      created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:  # the same id recorded at this moment by another transaction
        existing = session.scalars(select(Payment).where(Payment.gateway == gateway, Payment.external_id == external_id)).one()
        if existing.bill_id != bill.id or existing.amount_fen != amount_fen:
            raise Conflict("该交易流水号已登记在另一张账单或金额不同。", code="payment_conflict", field="external_id") from None
        return existing, False
    ledger.post(session, bill.county_code, kind="payment", key=f"payment:{gateway}:{external_id}", bill_id=bill.id,
                memo=f"{gateway} 收款 {external_id}", actor_id=actor.user_id,
                legs=[Leg(f"cash:{bill.collector}", amount_fen), Leg(receivable(bill), -amount_fen)])
    bill.paid_fen += amount_fen
    left = outstanding(session, bill)
    if left <= 0 and bill.status == "open":
        bill.status = "paid"
    elif left < 0 and bill.status == "settled":  # paid after the statement: the overpayment is refunded
        bill.status = "open"
    audit.record(session, actor, county_code=bill.county_code, action="billing.payment", entity_type="bill",
                 entity_id=bill.id, old=None, new={"gateway": gateway, "external_id": external_id, "amount_fen": amount_fen})
    return payment, True


def refund_credit(ctx: Context, session: Session, actor: Actor, bill: Bill, *, key: str, reason: str) -> int:
    """Send a bill's credit balance (what the family overpaid) back through the gateways that took
    the money, newest payment first. Returns the fen refunded. Retrying with the same ``key`` is harmless."""
    owed = -outstanding(session, bill)
    done = 0
    failed: list[str] = []
    if owed <= 0:
        return 0
    for p in session.scalars(select(Payment).where(Payment.bill_id == bill.id).order_by(Payment.id.desc()).with_for_update()):
        amount = min(owed - done, p.amount_fen - p.refunded_fen)
        if amount <= 0:
            continue
        rkey = f"{key}:{p.id}"
        if session.scalar(select(PaymentRefund.id).where(PaymentRefund.key == rkey)) is not None:
            continue
        record = gateway(ctx, p.gateway).refund(payment_snapshot(p), amount, rkey)
        if record.status == "failed":  # nothing moved and nothing is kept: a later attempt may use a new key
            failed.append(f"{p.gateway}:{record.external_id}")
            continue
        session.add(PaymentRefund(payment_id=p.id, key=rkey, external_id=record.external_id, amount_fen=amount,
                                  status=record.status, created_at=utcnow()))
        p.refunded_fen += amount
        ledger.post(session, bill.county_code, kind="payout", key=f"payout:{rkey}", bill_id=bill.id,
                    memo=f"退款 {reason}"[:300], actor_id=actor.user_id,
                    legs=[Leg(receivable(bill), amount), Leg(f"cash:{bill.collector}", -amount)])
        bill.paid_fen -= amount
        done += amount
        if done >= owed:
            break
    if done or failed:
        audit.record(session, actor, county_code=bill.county_code, action="billing.refund", entity_type="bill",
                     entity_id=bill.id, reason=reason, new={"amount_fen": done, "key": key, "failed": failed})
    return done


def refund_failed(session: Session, actor: Actor, *, gateway: str, external_id: str) -> bool:
    """A refund the gateway accepted has failed after all (e.g. the payer's account was closed): the
    payout is reversed, so the family's credit is owed again. Returns False when already reversed or
    unknown. The caller commits."""
    row = session.scalars(select(PaymentRefund).join(Payment, Payment.id == PaymentRefund.payment_id)
                          .where(Payment.gateway == gateway, PaymentRefund.external_id == external_id)
                          .with_for_update()).first()
    if row is None or row.status == "failed":
        return False
    payment = session.scalars(select(Payment).where(Payment.id == row.payment_id).with_for_update()).one()
    bill = find_bill(session, bill_id=payment.bill_id)
    ledger.post(session, bill.county_code, kind="payout", key=f"payout-failed:{row.key}", bill_id=bill.id,
                memo=f"退款失败冲回 {external_id}", actor_id=actor.user_id,
                legs=[Leg(f"cash:{bill.collector}", row.amount_fen), Leg(receivable(bill), -row.amount_fen)])
    old = row.status
    row.status = "failed"
    payment.refunded_fen -= row.amount_fen
    bill.paid_fen += row.amount_fen
    if bill.status == "settled":
        bill.status = "open"
    audit.record(session, actor, county_code=bill.county_code, action="billing.refund_failed", entity_type="bill",
                 entity_id=bill.id, old={"refund": external_id, "status": old}, new={"status": "failed",
                                                                                   "amount_fen": row.amount_fen})
    return True


def payments_of(session: Session, bill: Bill) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.bill_id == bill.id).order_by(Payment.id)))


def refunds_of(session: Session, bill: Bill) -> list[PaymentRefund]:
    return list(session.scalars(select(PaymentRefund).join(Payment, Payment.id == PaymentRefund.payment_id)
                                .where(Payment.bill_id == bill.id).order_by(PaymentRefund.id)))
