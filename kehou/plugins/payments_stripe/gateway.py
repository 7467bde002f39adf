"""The Stripe gateway: a PaymentIntent in CNY (WeChat Pay, Alipay or a card) for what a bill still
asks, refunds through the same PaymentIntent, and Stripe's own record of both for reconciliation.

Amounts are fen both here and at Stripe (fen are Stripe's minor units of ``cny``). Every request
that could move money carries an idempotency key, so a retry (a double click, a timeout, a task run
twice) reaches Stripe as the same request and never creates a second PaymentIntent or refund.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe
from stripe.params import PaymentIntentCreateParams, RefundCreateParams

from kehou.errors import Conflict, KehouError, NotFound
from kehou.pluginapi import BillSnapshot, GatewayRecord, PaymentGateway, PaymentSnapshot

log = logging.getLogger(__name__)

NAME = "stripe"
TIMEOUT_S = 20  # per request; Stripe's SDK waits 80 s by default
RETRIES = 2  # network retries are safe: every POST carries an idempotency key
WEBHOOK_TOLERANCE_S = 300

#: Stripe PaymentIntent / Refund status → GatewayRecord status (anything else: pending)
PAYMENT_STATUS = {"succeeded": "succeeded", "canceled": "failed"}
REFUND_STATUS = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}


class GatewayUnavailable(KehouError):
    """Stripe could not be reached or refused a request we expected it to accept (502)."""

    status_code = 502
    code = "gateway_unavailable"


def start_key(bill: BillSnapshot, methods: tuple[str, ...]) -> str:
    """The idempotency key of a bill's PaymentIntent: the same bill asking the same amount (through
    the same methods) gets the same PaymentIntent; after a waiver or a part payment it gets a new one."""
    return f"kehou-bill-{bill.reference}-{bill.outstanding_fen}-{'.'.join(methods)}"


def payment_record(pi: Any) -> GatewayRecord:
    status = PAYMENT_STATUS.get(pi.status, "pending")
    return GatewayRecord(pi.id, "payment", pi.amount_received if status == "succeeded" else pi.amount, status)


def refund_record(refund: Any) -> GatewayRecord:
    return GatewayRecord(refund.id, "refund", refund.amount, REFUND_STATUS.get(refund.status, "pending"))


class StripeGateway(PaymentGateway):
    """Off unless both the secret key and the webhook secret are configured."""

    name = NAME
    label = "微信支付 / 支付宝 / 银行卡"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.conf = settings.payments
        self._client: stripe.StripeClient | None = None

    def enabled(self) -> bool:
        return bool(self.conf.stripe_secret_key and self.conf.stripe_webhook_secret)

    @property
    def client(self) -> stripe.StripeClient:
        if not self.enabled():
            raise NotFound("未配置 Stripe 密钥，该缴费方式未启用。", code="gateway_disabled")
        if self._client is None:
            base = self.conf.stripe_api_base.rstrip("/")
            self._client = stripe.StripeClient(
                self.conf.stripe_secret_key, base_addresses={"api": base} if base else None,
                max_network_retries=RETRIES, http_client=stripe.new_default_http_client(timeout=TIMEOUT_S))
        return self._client

    # --- PaymentGateway ------------------------------------------------------------------------

    def start(self, bill: BillSnapshot) -> dict[str, Any]:
        if bill.outstanding_fen <= 0:
            raise Conflict("该账单已缴清。", code="bill_paid")
        methods = tuple(self.conf.stripe_methods)
        params: PaymentIntentCreateParams = {
            "amount": bill.outstanding_fen,
            "currency": "cny",
            # never payment_method_types: the API refuses it since 2026-09-30
            "allowed_payment_method_types": list(methods),
            "description": f"课后服务费 {bill.reference}",
            "metadata": {"bill_id": str(bill.bill_id), "reference": bill.reference, "county_code": bill.county_code},
        }
        with stripe_errors():
            pi = self.client.v1.payment_intents.create(params, {"idempotency_key": start_key(bill, methods)})
        # An idempotent replay answers with the first response, so its status may be stale: none is
        # passed on. The payment counts once Stripe's webhook confirms it.
        return {"payment_intent": pi.id, "client_secret": pi.client_secret, "currency": "cny", "methods": list(methods)}

    def refund(self, payment: PaymentSnapshot, amount_fen: int, key: str) -> GatewayRecord:
        if payment.gateway != self.name:
            raise Conflict("该笔收款不是经 Stripe 收取的。", code="gateway_mismatch")
        params: RefundCreateParams = {
            "payment_intent": payment.external_id,
            "amount": amount_fen,
            "metadata": {"bill_id": str(payment.bill_id), "payment_id": str(payment.payment_id)},
        }
        try:
            with stripe_errors(pass_refusals=True):
                refund = self.client.v1.refunds.create(params, {"idempotency_key": key})
        except stripe.InvalidRequestError as e:
            log.warning("stripe refused refund %s of %s: %s", key, payment.external_id, e.code)
            raise Conflict("支付渠道拒绝了该退款（如金额超过可退金额），请核对后再试。", code="refund_refused",
                           extra={"gateway_code": e.code or ""}) from e
        return refund_record(refund)

    def records(self, session: Any, payments: list[PaymentSnapshot]) -> list[GatewayRecord]:
        out: list[GatewayRecord] = []
        for p in payments:
            if p.gateway != self.name:
                continue
            out.append(payment_record(self.intent(p.external_id)))
            with stripe_errors():
                refunds = list(self.client.v1.refunds.list({"payment_intent": p.external_id, "limit": 100})
                               .auto_paging_iter())
            out.extend(refund_record(r) for r in refunds)
        return out

    # --- for the webhook -----------------------------------------------------------------------

    def intent(self, intent_id: str) -> Any:
        """The PaymentIntent as Stripe holds it now (never as a webhook payload claims it)."""
        with stripe_errors():
            return self.client.v1.payment_intents.retrieve(intent_id)

    def read_refund(self, refund_id: str) -> Any | None:
        """The Refund as Stripe holds it now, or None when Stripe has no such refund."""
        try:
            with stripe_errors(pass_refusals=True):
                return self.client.v1.refunds.retrieve(refund_id)
        except stripe.InvalidRequestError as e:
            if e.http_status == 404:
                return None
            log.error("stripe refused to read refund %s: %s", refund_id, e.code)
            raise GatewayUnavailable("支付渠道拒绝了该请求，请稍后再试。") from e

    def verify(self, payload: bytes, signature: str | None) -> Any:
        """The event, if ``signature`` (the Stripe-Signature header) proves it came from Stripe in the
        last five minutes; raises ``stripe.SignatureVerificationError`` or ``ValueError`` otherwise."""
        return self.client.construct_event(payload, signature, self.conf.stripe_webhook_secret,
                                           tolerance=WEBHOOK_TOLERANCE_S)


@contextmanager
def stripe_errors(*, pass_refusals: bool = False) -> Iterator[None]:
    """Stripe unreachable or failing becomes :class:`GatewayUnavailable` (502); retrying is safe, as the
    same request carries the same idempotency key. With ``pass_refusals`` a request Stripe refuses
    (``InvalidRequestError``) is re-raised as it is, for the caller to explain."""
    try:
        yield
    except stripe.InvalidRequestError as e:
        if pass_refusals:
            raise
        log.error("stripe refused a request: %s (%s)", e.code, e.user_message or e)
        raise GatewayUnavailable("支付渠道拒绝了该请求，请稍后再试或改用其他缴费方式。") from e
    except stripe.StripeError as e:
        log.warning("stripe request failed: %s", e.__class__.__name__)
        raise GatewayUnavailable("暂时无法连接支付渠道，请稍后再试或改用其他缴费方式。") from e
