"""Stripe's notifications: ``POST /api/v1/payments/stripe/webhook``.

Only the signature proves an event came from Stripe (there is no login): it is checked with the
webhook secret, and an event signed more than five minutes ago is refused like a forged one. Of a
genuine event only its id, type and object id are used: the PaymentIntent (or Refund) is read again
from Stripe, and what Stripe holds now is applied. So events may arrive twice, late or out of order
(``payment_failed`` after ``succeeded``): the PaymentIntent decides, and billing records a
PaymentIntent's money once.

A refund Stripe accepted may fail days later (WeChat Pay and Alipay refunds stay pending for a
while; a card may have been closed). On ``refund.updated``, ``refund.failed`` and
``charge.refund.updated`` the Refund is read back, and if it has failed or been canceled billing
reverses its payout (``refund_failed``): the family's credit is owed again. Billing reverses a
refund once, so the several events Stripe sends for one failure, or a stale ``succeeded``
arriving after it, change nothing more.

Each event id is remembered with what came of it, in the same transaction as the payment; a
repeated delivery is answered ``duplicate`` and applies nothing. An event Kehou cannot apply (no
such bill, another installation's PaymentIntent) is remembered and answered 200, so Stripe does not
retry it for days; what came of it is kept in the event's ``outcome``. When Stripe cannot be reached
to read the PaymentIntent, nothing is kept and the answer is 502, so Stripe delivers it again.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import stripe
from litestar import Request, post
from litestar.params import RawBody
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.pluginapi import PaymentSnapshot
from kehou.plugins.billing_cap import public as billing
from kehou.plugins.payments_stripe.gateway import NAME, StripeGateway
from kehou.web.deps import DB, Ctx

log = logging.getLogger(__name__)

PATH = "/api/v1/payments/stripe/webhook"

#: events carrying a Refund whose status may have changed (all exist in API 2026-10-28.endive)
REFUND_EVENTS = frozenset({"refund.updated", "refund.failed", "charge.refund.updated"})
#: Refund statuses after which no money went back to the payer
REFUND_UNDONE = frozenset({"failed", "canceled"})


def gateway_of(ctx: Context) -> StripeGateway:
    """This installation's Stripe gateway (one client per process); raises NotFound when it is off."""
    gw = ctx.extra.get("payments_stripe.gateway")
    if gw is None:
        gw = ctx.extra["payments_stripe.gateway"] = StripeGateway(ctx.settings)
    if not gw.enabled():
        raise NotFound("本平台未启用 Stripe 缴费。", code="gateway_disabled")
    return gw


class Applied(NamedTuple):
    outcome: str  # kept with the event
    payment: PaymentSnapshot | None = None  # a payment recorded by this event, to announce
    county_code: str = ""


def handle(ctx: Context, session: Session, gw: StripeGateway, payload: bytes, signature: str | None) -> dict[str, str]:
    """Verify, apply and remember one event; commits, then announces a new payment
    (``kehou_payment_succeeded``). Returns what the webhook answers."""
    try:
        event = gw.verify(payload, signature).to_dict()
    except (stripe.SignatureVerificationError, ValueError) as e:
        log.warning("stripe webhook refused: %s", e)
        raise ValidationFailed("Stripe 通知签名无效或已过期。", code="signature_invalid") from e
    event_id, type_ = str(event.get("id") or ""), str(event.get("type") or "")
    if not event_id or not type_:
        raise ValidationFailed("Stripe 通知内容不完整。", code="event_invalid")
    if billing.event_seen(session, NAME, event_id):
        return {"status": "duplicate", "event_id": event_id}
    obj = (event.get("data") or {}).get("object") or {}
    object_id = str(obj.get("id") or "")
    if object_id and type_.startswith("payment_intent."):
        applied = apply_intent(session, gw, object_id)
    elif object_id and type_ in REFUND_EVENTS:
        applied = apply_refund(session, gw, object_id)
    else:
        applied = Applied("ignored")
    if not billing.remember_event(session, NAME, event_id, type_, object_id, applied.outcome):
        session.rollback()  # delivered twice at once: the other delivery applies it
        return {"status": "duplicate", "event_id": event_id}
    session.commit()
    log.info("stripe event %s %s %s: %s", event_id, type_, object_id, applied.outcome)
    if applied.payment is not None:
        try:
            billing.announce(ctx, applied.county_code, applied.payment)
        except Exception:  # the payment is committed: a listener's failure must not make Stripe resend
            log.exception("kehou_payment_succeeded failed for stripe payment %s", applied.payment.external_id)
    return {"status": "processed", "event_id": event_id, "outcome": applied.outcome}


def apply_intent(session: Session, gw: StripeGateway, intent_id: str) -> Applied:
    """Record the PaymentIntent's money if Stripe says it succeeded."""
    pi = gw.intent(intent_id).to_dict()
    if pi["status"] != "succeeded":
        return Applied(f"not_paid:{pi['status']}")
    if pi["currency"] != "cny":
        return Applied(f"ignored:currency_{pi['currency']}")
    meta = pi.get("metadata") or {}
    try:
        bill_id = int(meta.get("bill_id") or "")
    except ValueError:
        return Applied("ignored:no_bill")
    if not 0 < bill_id < 2**31:
        return Applied("ignored:no_bill")
    try:
        with session.begin_nested():
            bill = billing.lock_bill(session, bill_id=bill_id)
            if bill.reference != meta.get("reference") or bill.county_code != meta.get("county_code"):
                return Applied("ignored:bill_mismatch")  # e.g. a test installation sharing the Stripe account
            payment, new = billing.receive(session, Actor.system(NAME), bill_id=bill_id, gateway=NAME,
                                           external_id=pi["id"], amount_fen=pi["amount_received"])
    except NotFound:
        return Applied("ignored:bill_not_found")
    except (Conflict, ValidationFailed) as e:
        log.error("stripe payment %s on bill %s not recorded: %s", pi["id"], bill_id, e.code)
        return Applied(f"rejected:{e.code}")
    return Applied("recorded", payment, bill.county_code) if new else Applied("already_recorded")


def apply_refund(session: Session, gw: StripeGateway, refund_id: str) -> Applied:
    """Reverse a refund's payout if Stripe says it failed or was canceled after all."""
    found = gw.read_refund(refund_id)
    if found is None:
        return Applied("refund_unknown")
    refund = found.to_dict()
    status = str(refund.get("status") or "")
    if status not in REFUND_UNDONE:
        return Applied(f"refund_ok:{status}")
    try:
        bill_id = int((refund.get("metadata") or {}).get("bill_id") or "")
    except ValueError:
        bill_id = 0
    if 0 < bill_id < 2**31:
        # Lock the bill first, as refund_credit's callers do: a refund still being booked (its
        # transaction open when Stripe fails it quickly) is committed before we look for it.
        try:
            billing.lock_bill(session, bill_id=bill_id)
        except NotFound:
            pass
    if not billing.refund_failed(session, Actor.system(NAME), gateway=NAME, external_id=refund["id"]):
        return Applied("refund_unknown")  # not booked by Kehou, or already reversed
    log.warning("stripe refund %s %s (%s): payout reversed, the credit is owed again", refund["id"], status,
                refund.get("failure_reason") or "no reason given")
    return Applied("refund_reversed")


@post(PATH, sync_to_thread=True, status_code=200, tags=["payments"],
      summary="Stripe webhook (no login: the Stripe-Signature header is checked)")
def stripe_webhook(request: Request[Any, Any, Any], body: RawBody, db: DB, ctx: Ctx) -> dict[str, str]:
    return handle(ctx, db, gateway_of(ctx), body, request.headers.get("stripe-signature"))
