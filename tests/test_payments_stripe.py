"""The Stripe gateway against a local fake of the Stripe API (tests/fake_stripe.py): paying a bill
end to end, refunds sent once (and owed again when Stripe fails them), and webhooks delivered twice,
out of order, forged or late.

Every test ends on the ledger invariant; money is counted in Payment rows, remembered events,
``bill.paid_fen`` and ledger balances."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from litestar.testing import TestClient
from sqlalchemy import func, select

from kehou.app import create_app
from kehou.errors import Conflict, ValidationFailed
from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context, build_context
from kehou.pluginapi import GatewayRecord, PaymentSnapshot, hookimpl
from kehou.plugins.billing_cap import bills, ledger, payments, reconcile, statement
from kehou.plugins.billing_cap import public as billing
from kehou.plugins.billing_cap.models import Bill, GatewayEvent, Payment, PaymentRefund
from kehou.plugins.payments_stripe.gateway import GatewayUnavailable, StripeGateway
from kehou.plugins.payments_stripe.webhook import PATH
from kehou.settings import PaymentSettings, Settings
from tests import billing_setup as bs
from tests.factories import World
from tests.fake_stripe import FakeStripe
from tests.helpers import err, ok, token_headers

pytestmark = pytest.mark.usefixtures("ledger_balanced")

FEE = 32000  # 300 yuan of course fee + 20 yuan of materials (tests.catalogue_setup)


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe() as f:
        yield f


@pytest.fixture
def settings(settings: Settings, fake: FakeStripe) -> Settings:
    return dataclasses.replace(settings, payments=PaymentSettings(
        stripe_secret_key=fake.secret_key, stripe_webhook_secret=fake.webhook_secret, stripe_api_base=fake.url))


# --------------------------------------------------------------------------- helpers


def billed(world: World) -> Bill:
    """xiaoming's term bill for one course (320 yuan)."""
    cat = bs.ready(world)
    bs.enrol(world, cat.students["xiaoming"], cat.entries["calligraphy"])
    bs.issue(world, cat.menu_id)
    with world.ctx.db.read_session() as s:
        return s.scalars(select(Bill)).one()


def start(world: World, bill_id: int, who: str = "parent") -> dict[str, Any]:
    with world.ctx.db.write_session() as s:
        return payments.start(world.ctx, s, world.actor(who), bill_id, "stripe")


def deliver(client: TestClient, payload: str, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"} | ({"Stripe-Signature": signature} if signature else {})
    return client.post(PATH, content=payload.encode(), headers=headers)


def notify(client: TestClient, fake: FakeStripe, type_: str, pi_id: str, *, event_id: str | None = None,
           **claims: Any) -> Any:
    """Stripe sends an event about a PaymentIntent, its snapshot as of now (``claims`` overriding it)."""
    payload = fake.event(type_, fake.intents[pi_id] | claims, event_id=event_id)
    return deliver(client, payload, fake.sign(payload))


def waive_half(world: World, bill: Bill) -> None:
    with world.ctx.db.write_session() as s:
        bills.record_waiver(world.ctx, s, world.actor("school_admin"), bill.school_id, student_id=bill.student_id,
                            term_name=bill.term_name, tier="half", evidence="低保证明编号123", reason="家庭经济困难")


def money(ctx: Context, bill_id: int) -> dict[str, Any]:
    """What the books say of a bill."""
    with ctx.db.read_session() as s:
        bill = s.get(Bill, bill_id)
        assert bill is not None
        return {
            "payments": s.scalar(select(func.count()).select_from(Payment)),
            "events": s.scalar(select(func.count()).select_from(GatewayEvent)),
            "paid_fen": bill.paid_fen,
            "status": bill.status,
            "outstanding": bills.outstanding(s, bill),
            "cash": ledger.balance(s, bill.county_code, f"cash:{bill.collector}"),
        }


def outcomes(ctx: Context) -> list[tuple[str, str]]:
    with ctx.db.read_session() as s:
        return [(e.type, e.outcome) for e in s.scalars(select(GatewayEvent).order_by(GatewayEvent.id))]


def paid(world: World, client: TestClient, fake: FakeStripe) -> tuple[Bill, str]:
    """A bill paid in full through Stripe; returns it and its PaymentIntent id."""
    bill = billed(world)
    pi = start(world, bill.id)["payment_intent"]
    fake.succeed(pi)
    assert ok(notify(client, fake, "payment_intent.succeeded", pi))["outcome"] == "recorded"
    return bill, pi


# --------------------------------------------------------------------------- paying


def test_paying_a_bill_end_to_end(ctx: Context, world: World, client: TestClient, fake: FakeStripe) -> None:
    bill = billed(world)
    parent = token_headers(client, "parent")
    assert {"name": "stripe", "label": "微信支付 / 支付宝 / 银行卡"} in ok(client.get("/api/v1/payment-gateways",
                                                                               headers=parent))
    first = start(world, bill.id)
    again = ok(client.post(f"/api/v1/bills/{bill.id}/pay", headers=parent, json={"gateway": "stripe"}))
    assert first == again, "a double click, or the page reloaded: the same PaymentIntent"
    assert first["gateway"] == "stripe" and first["bill_id"] == bill.id and first["amount_fen"] == FEE
    assert first["client_secret"].startswith(first["payment_intent"] + "_secret_")
    assert fake.secret_key not in str(first) and fake.webhook_secret not in str(first)
    assert len(fake.intents) == 1, "the idempotency key made the second request the same PaymentIntent"
    sent = fake.requests("POST", "/v1/payment_intents")
    assert len(sent) == 2 and sent[0].idempotency_key == sent[1].idempotency_key
    assert sent[0].params == {
        "amount": str(FEE), "currency": "cny", "allowed_payment_method_types": ["wechat_pay", "alipay", "card"],
        "description": f"课后服务费 {bill.reference}",
        "metadata": {"bill_id": str(bill.id), "reference": bill.reference, "county_code": bill.county_code},
    }
    pi = first["payment_intent"]
    assert money(ctx, bill.id) == {"payments": 0, "events": 0, "paid_fen": 0, "status": "open", "outstanding": FEE,
                                   "cash": 0}

    fake.succeed(pi)
    body = ok(notify(client, fake, "payment_intent.succeeded", pi))
    assert body["status"] == "processed" and body["outcome"] == "recorded"
    assert fake.requests("GET", f"/v1/payment_intents/{pi}"), "the webhook read the PaymentIntent back"
    assert money(ctx, bill.id) == {"payments": 1, "events": 1, "paid_fen": FEE, "status": "paid", "outstanding": 0,
                                   "cash": FEE}
    with ctx.db.read_session() as s:
        p = s.scalars(select(Payment)).one()
        assert (p.bill_id, p.gateway, p.external_id, p.amount_fen, p.refunded_fen) == (bill.id, "stripe", pi, FEE, 0)
    with pytest.raises(Conflict) as e:
        start(world, bill.id)
    assert e.value.code == "bill_paid"


def test_staff_may_start_for_the_family(world: World, fake: FakeStripe) -> None:
    bill = billed(world)
    assert start(world, bill.id, "school_admin")["amount_fen"] == FEE
    assert len(fake.intents) == 1


def test_a_new_amount_gets_a_new_payment_intent(ctx: Context, world: World, fake: FakeStripe) -> None:
    bill = billed(world)
    first = start(world, bill.id)["payment_intent"]
    waive_half(world, bill)
    second = start(world, bill.id)
    assert second["payment_intent"] != first and second["amount_fen"] == FEE // 2
    assert [pi["amount"] for pi in fake.intents.values()] == [FEE, FEE // 2]


def test_the_fake_refuses_payment_method_types(fake: FakeStripe) -> None:
    """The API refuses ``payment_method_types`` since 2026-09-30 and so does the fake: the end-to-end
    test above passing proves the gateway does not send it."""
    client = stripe.StripeClient(fake.secret_key, base_addresses={"api": fake.url})
    with pytest.raises(stripe.InvalidRequestError) as e:
        client.v1.payment_intents.create({"amount": 100, "currency": "cny", "payment_method_types": ["card"]})  # type: ignore[typeddict-unknown-key]
    assert e.value.code == "payment_method_types_no_longer_supported" and e.value.http_status == 400
    assert fake.intents == {}
    pi = client.v1.payment_intents.create({"amount": 100, "currency": "cny", "allowed_payment_method_types": ["card"]})
    assert pi.object == "payment_intent" and pi.status == "requires_payment_method"


def test_off_without_keys(ctx: Context, world: World, settings: Settings) -> None:
    def gateway(secret_key: str, webhook_secret: str) -> StripeGateway:
        return StripeGateway(dataclasses.replace(settings, payments=PaymentSettings(
            stripe_secret_key=secret_key, stripe_webhook_secret=webhook_secret)))

    assert not gateway("", "").enabled()
    assert not gateway("sk_test_x", "").enabled()
    assert not gateway("", "whsec_x").enabled()
    assert gateway("sk_test_x", "whsec_x").enabled()
    assert "stripe" in payments.gateways(ctx)
    assert StripeGateway.label == "微信支付 / 支付宝 / 银行卡"

    bill = billed(world)
    off = build_context(dataclasses.replace(settings, payments=PaymentSettings()))
    try:
        assert "stripe" not in payments.gateways(off)
        with off.db.write_session() as s, pytest.raises(ValidationFailed) as e:
            payments.start(off, s, world.actor("parent"), bill.id, "stripe")
        assert e.value.code == "gateway_unknown"
        with TestClient(app=create_app(off.settings, context=off), base_url="http://127.0.0.1") as tc:
            err(deliver(tc, "{}", "t=1,v1=00"), 404, "gateway_disabled")
    finally:
        off.close()


def test_stripe_unreachable(ctx: Context, world: World, settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    gw = StripeGateway(dataclasses.replace(settings, payments=dataclasses.replace(
        settings.payments, stripe_api_base=f"http://127.0.0.1:{port}")))
    bill = billed(world)
    with ctx.db.read_session() as s:
        snap = billing.lock_bill(s, bill_id=bill.id)
    with pytest.raises(GatewayUnavailable) as e:
        gw.start(snap)
    assert e.value.status_code == 502 and e.value.code == "gateway_unavailable"


# --------------------------------------------------------------------------- refunds


def test_credit_refunded_through_stripe_once(ctx: Context, world: World, client: TestClient, fake: FakeStripe) -> None:
    bill, pi = paid(world, client, fake)
    waive_half(world, bill)  # granted after paying: the family is owed half
    assert money(ctx, bill.id)["outstanding"] == -FEE // 2
    admin = world.actor("school_admin")

    def refund(key: str, *, commit: bool = True) -> int:
        with ctx.db.write_session() as s:
            row = s.get(Bill, bill.id)
            assert row is not None
            done = payments.refund_credit(ctx, s, admin, row, key=key, reason="减免后退还多缴费用")
            if commit:
                s.commit()
            else:
                s.rollback()
            return done

    # The refund reached Stripe, then our transaction was lost (a crash, a timeout): nothing is booked.
    assert refund("credit-2026", commit=False) == FEE // 2
    assert len(fake.refunds) == 1 and money(ctx, bill.id)["paid_fen"] == FEE
    # The retry sends the same idempotency key: Stripe answers with the same refund, and it is booked once.
    assert refund("credit-2026") == FEE // 2
    assert refund("credit-2026") == 0
    assert refund("credit-2026-again") == 0  # nothing owed any more
    assert len(fake.refunds) == 1
    (re,) = fake.refunds.values()
    assert (re["payment_intent"], re["amount"], re["status"]) == (pi, FEE // 2, "succeeded")
    keys = {s.idempotency_key for s in fake.requests("POST", "/v1/refunds")}
    with ctx.db.read_session() as s:
        p = s.scalars(select(Payment)).one()
        r = s.scalars(select(PaymentRefund)).one()
        assert keys == {f"credit-2026:{p.id}"}
        assert (r.key, r.external_id, r.amount_fen, r.status) == (f"credit-2026:{p.id}", re["id"], FEE // 2, "succeeded")
        assert p.refunded_fen == FEE // 2
        snaps = billing.payments(s, "stripe")
    assert money(ctx, bill.id) == {"payments": 1, "events": 1, "paid_fen": FEE // 2, "status": "paid", "outstanding": 0,
                                   "cash": FEE // 2}

    gw = payments.gateways(ctx)["stripe"]
    with pytest.raises(Conflict) as e:  # Stripe refuses to refund more than is left
        gw.refund(snaps[0], FEE // 2 + 1, "too-much")
    assert e.value.code == "refund_refused" and e.value.extra == {"gateway_code": "amount_too_large"}
    with ctx.db.read_session() as s:
        assert gw.records(s, snaps) == [GatewayRecord(pi, "payment", FEE, "succeeded"),
                                        GatewayRecord(re["id"], "refund", FEE // 2, "succeeded")]
        report = reconcile.run(ctx, s)  # kehou billing reconcile: the books agree with Stripe
        assert report.ok and report.payments == 1, report.problems


def test_refund_statuses(world: World, client: TestClient, fake: FakeStripe) -> None:
    paid(world, client, fake)
    gw = payments.gateways(world.ctx)["stripe"]
    with world.ctx.db.read_session() as s:
        (snap,) = billing.payments(s, "stripe")
    fake.refund_status = "pending"  # WeChat Pay and Alipay refunds are often pending at first
    record = gw.refund(snap, 100, "status-pending")
    assert (record.kind, record.amount_fen, record.status) == ("refund", 100, "pending")
    fake.refunds[record.external_id]["status"] = "failed"
    with world.ctx.db.read_session() as s:
        assert gw.records(s, [snap])[1] == GatewayRecord(record.external_id, "refund", 100, "failed")


def test_reconcile_accepts_a_pending_refund(ctx: Context, world: World, client: TestClient, fake: FakeStripe) -> None:
    bill, _ = paid(world, client, fake)
    waive_half(world, bill)
    fake.refund_status = "pending"  # WeChat Pay and Alipay refunds are often pending at first
    with ctx.db.write_session() as s:
        row = s.get(Bill, bill.id)
        assert row is not None
        assert payments.refund_credit(ctx, s, world.actor("school_admin"), row, key="k", reason="退款") == FEE // 2
        s.commit()
    with ctx.db.read_session() as s:
        report = reconcile.run(ctx, s)
    assert report.ok, report.problems


# --------------------------------------------------------------------------- webhooks


def test_webhook_replays_leave_each_payment_applied_once(ctx: Context, world: World, client: TestClient,
                                                         fake: FakeStripe) -> None:
    bill = billed(world)
    pi = start(world, bill.id)["payment_intent"]
    nothing = {"payments": 0, "events": 0, "paid_fen": 0, "status": "open", "outstanding": FEE, "cash": 0}

    # Before the payer pays: an event about the PaymentIntent changes nothing in the books.
    fake.processing(pi)
    assert ok(notify(client, fake, "payment_intent.processing", pi))["outcome"] == "not_paid:processing"
    fake.succeed(pi)

    # Forged: signed with another secret, altered after signing, unsigned, garbled header.
    good = fake.event("payment_intent.succeeded", fake.intents[pi], event_id="evt_forged")
    altered = good.replace(f'"amount_received": {FEE}', '"amount_received": 1')
    assert altered != good
    for payload, signature in [
        (good, fake.sign(good, secret="whsec_not_ours")),
        (altered, fake.sign(good)),
        (good, None),
        (good, "t=abc,v1=zz"),
    ]:
        err(deliver(client, payload, signature), 400, "signature_invalid")
    # Stale: genuinely signed, but more than five minutes ago (a replayed capture).
    stale = int(time.time()) - 301
    old = fake.event("payment_intent.succeeded", fake.intents[pi], event_id="evt_stale", created=stale)
    assert err(deliver(client, old, fake.sign(old, timestamp=stale)), 400, "signature_invalid")["message"]
    assert money(ctx, bill.id) == nothing | {"events": 1}

    # A signed event whose snapshot claims a different amount and bill: the PaymentIntent read back decides.
    body = ok(notify(client, fake, "payment_intent.succeeded", pi, event_id="evt_claims", amount_received=1,
                     metadata={"bill_id": "999", "reference": "KHFAKE", "county_code": bill.county_code}))
    assert body == {"status": "processed", "event_id": "evt_claims", "outcome": "recorded"}
    paid_once = {"paid_fen": FEE, "status": "paid", "outstanding": 0, "cash": FEE, "payments": 1}
    assert money(ctx, bill.id) == paid_once | {"events": 2}

    # The genuine event, then the same event again (Stripe retries until it sees a 2xx).
    ok(notify(client, fake, "payment_intent.succeeded", pi, event_id="evt_succeeded"))
    again = ok(notify(client, fake, "payment_intent.succeeded", pi, event_id="evt_succeeded"))
    assert again == {"status": "duplicate", "event_id": "evt_succeeded"}
    # Out of order: a failed attempt and "processing" arrive after the success.
    ok(notify(client, fake, "payment_intent.payment_failed", pi, event_id="evt_failed_late",
              status="requires_payment_method", amount_received=0))
    ok(notify(client, fake, "payment_intent.processing", pi, event_id="evt_processing_late", status="processing"))
    ok(notify(client, fake, "payment_intent.payment_failed", pi, event_id="evt_failed_late"))  # and again
    # Another kind of event: remembered, ignored.
    ok(notify(client, fake, "charge.succeeded", pi, event_id="evt_charge", id=f"ch_{pi[3:]}", object="charge"))

    assert money(ctx, bill.id) == paid_once | {"events": 6}
    assert outcomes(ctx) == [
        ("payment_intent.processing", "not_paid:processing"),
        ("payment_intent.succeeded", "recorded"),
        ("payment_intent.succeeded", "already_recorded"),
        ("payment_intent.payment_failed", "already_recorded"),
        ("payment_intent.processing", "already_recorded"),
        ("charge.succeeded", "ignored"),
    ]
    with ctx.db.read_session() as s:
        p = s.scalars(select(Payment)).one()
        assert (p.bill_id, p.external_id, p.amount_fen) == (bill.id, pi, FEE)


class PaymentListener:
    """A plugin of the county listening for confirmed payments."""

    def __init__(self) -> None:
        self.payments: list[PaymentSnapshot] = []

    @hookimpl
    def kehou_payment_succeeded(self, payment: PaymentSnapshot) -> None:
        self.payments.append(payment)


def test_a_new_payment_is_announced_once(ctx: Context, world: World, client: TestClient, fake: FakeStripe) -> None:
    listener = PaymentListener()
    ctx.pm.register(listener, name="payment_listener")
    bill = billed(world)
    bs.put(world, "plugins.enabled", [*bs.PLUGINS, "payment_listener"])
    pi = start(world, bill.id)["payment_intent"]
    fake.succeed(pi)
    ok(notify(client, fake, "payment_intent.succeeded", pi, event_id="evt_1"))
    ok(notify(client, fake, "payment_intent.succeeded", pi, event_id="evt_1"))  # duplicate
    ok(notify(client, fake, "payment_intent.processing", pi, event_id="evt_2"))  # another event, same payment
    with ctx.db.read_session() as s:
        p = s.scalars(select(Payment)).one()
    assert listener.payments == [PaymentSnapshot(p.id, bill.id, "stripe", pi, FEE, 0)]


def test_racing_duplicate_applies_nothing(ctx: Context, world: World, client: TestClient, fake: FakeStripe,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Two deliveries of one event that both pass the "seen?" check: the one that loses the claim
    rolls back whatever it did and answers duplicate."""
    bill, pi = paid(world, client, fake)
    before = money(ctx, bill.id)
    monkeypatch.setattr(billing, "event_seen", lambda *args: False)
    payload = fake.event("payment_intent.succeeded", fake.intents[pi], event_id="evt_race")
    assert ok(deliver(client, payload, fake.sign(payload)))["status"] == "processed"
    assert ok(deliver(client, payload, fake.sign(payload))) == {"status": "duplicate", "event_id": "evt_race"}
    assert money(ctx, bill.id) == before | {"events": 2}


def test_events_kehou_cannot_apply_are_acknowledged(ctx: Context, world: World, client: TestClient,
                                                   fake: FakeStripe) -> None:
    """Stripe retries an event for days until it gets a 2xx: an event that can never apply is
    remembered with why, and answered 200."""
    bill = billed(world)
    meta = {"bill_id": str(bill.id), "reference": bill.reference, "county_code": bill.county_code}
    cases = [
        ("ignored:bill_not_found", fake.create_intent(500, meta | {"bill_id": "999999"})),
        ("ignored:bill_mismatch", fake.create_intent(500, meta | {"reference": "KHOTHERINST1"})),
        ("ignored:no_bill", fake.create_intent(500, {"order": "42"})),
        ("ignored:no_bill", fake.create_intent(500, meta | {"bill_id": "99999999999999999999"})),
        ("ignored:currency_usd", fake.create_intent(500, meta, currency="usd")),
        ("rejected:amount_invalid", fake.create_intent(10_000_001, meta)),  # over billing's 100,000 yuan bound
    ]
    for outcome, pi in cases:
        fake.succeed(pi["id"])
        assert ok(notify(client, fake, "payment_intent.succeeded", pi["id"]))["outcome"] == outcome
    assert [o for _, o in outcomes(ctx)] == [o for o, _ in cases]
    assert money(ctx, bill.id) == {"payments": 0, "events": 6, "paid_fen": 0, "status": "open", "outstanding": FEE,
                                   "cash": 0}


def test_event_is_kept_for_a_retry_when_stripe_is_unreachable(ctx: Context, world: World, client: TestClient,
                                                             fake: FakeStripe, settings: Settings) -> None:
    bill = billed(world)
    pi = start(world, bill.id)["payment_intent"]
    fake.succeed(pi)
    payload = fake.event("payment_intent.succeeded", fake.intents[pi], event_id="evt_retry")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ctx.extra["payments_stripe.gateway"] = StripeGateway(dataclasses.replace(settings, payments=dataclasses.replace(
        settings.payments, stripe_api_base=f"http://127.0.0.1:{port}")))
    err(deliver(client, payload, fake.sign(payload)), 502, "gateway_unavailable")
    assert money(ctx, bill.id)["events"] == 0, "not remembered: Stripe's retry will apply it"
    del ctx.extra["payments_stripe.gateway"]
    assert ok(deliver(client, payload, fake.sign(payload)))["outcome"] == "recorded"
    assert money(ctx, bill.id) | {"events": 1} == {"payments": 1, "events": 1, "paid_fen": FEE, "status": "paid",
                                                   "outstanding": 0, "cash": FEE}



# --------------------------------------------------------------------------- refunds that fail later


def notify_refund(client: TestClient, fake: FakeStripe, type_: str, re_id: str, *, event_id: str | None = None,
                  **claims: Any) -> Any:
    """Stripe sends an event about a refund, its snapshot as of now (``claims`` overriding it)."""
    payload = fake.event(type_, fake.refunds.get(re_id, {"id": re_id, "object": "refund"}) | claims,
                         event_id=event_id)
    return deliver(client, payload, fake.sign(payload))


def refund_credit(world: World, bill_id: int, key: str) -> int:
    with world.ctx.db.write_session() as s:
        row = s.get(Bill, bill_id)
        assert row is not None
        done = payments.refund_credit(world.ctx, s, world.actor("school_admin"), row, key=key, reason="减免后退还多缴费用")
        s.commit()
        return done


def refunds(ctx: Context) -> list[tuple[str, str, int, str]]:
    """Kehou's refund rows (key, Stripe id, fen, status) and what the payment counts as refunded."""
    with ctx.db.read_session() as s:
        return [(r.key, r.external_id, r.amount_fen, r.status)
                for r in s.scalars(select(PaymentRefund).order_by(PaymentRefund.id))]


def refunded_fen(ctx: Context) -> int:
    with ctx.db.read_session() as s:
        return s.scalars(select(Payment)).one().refunded_fen


def reconciled(ctx: Context) -> None:
    with ctx.db.read_session() as s:
        report = reconcile.run(ctx, s)
    assert report.ok and report.payments == 1, report.problems


def test_a_failed_refund_owes_the_credit_again(ctx: Context, world: World, client: TestClient,
                                              fake: FakeStripe) -> None:
    bill, pi = paid(world, client, fake)
    waive_half(world, bill)  # the family is owed half
    fake.refund_status = "pending"  # WeChat Pay and Alipay refunds are often pending at first
    assert refund_credit(world, bill.id, "credit-1") == FEE // 2
    (re_id,) = fake.refunds
    with ctx.db.read_session() as s:
        pid = s.scalars(select(Payment)).one().id
    booked = {"payments": 1, "paid_fen": FEE // 2, "status": "paid", "outstanding": 0, "cash": FEE // 2}
    assert money(ctx, bill.id) == booked | {"events": 1}
    assert refunds(ctx) == [(f"credit-1:{pid}", re_id, FEE // 2, "pending")]

    # Still pending: nothing to do.
    assert ok(notify_refund(client, fake, "refund.updated", re_id))["outcome"] == "refund_ok:pending"
    # Days later the payer's account turns out closed: Stripe fails the refund, the money stays with the collector.
    fake.fail_refund(re_id)
    body = ok(notify_refund(client, fake, "refund.failed", re_id, event_id="evt_refund_failed"))
    assert body == {"status": "processed", "event_id": "evt_refund_failed", "outcome": "refund_reversed"}
    assert fake.requests("GET", f"/v1/refunds/{re_id}"), "the webhook read the refund back"
    owed_again = {"payments": 1, "paid_fen": FEE, "status": "paid", "outstanding": -FEE // 2, "cash": FEE}
    assert money(ctx, bill.id) == owed_again | {"events": 3}
    assert refunds(ctx) == [(f"credit-1:{pid}", re_id, FEE // 2, "failed")]
    assert refunded_fen(ctx) == 0
    with ctx.db.read_session() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "billing.refund_failed")).one()
        assert (audit.actor_role, audit.entity_id, audit.new_values) == ("system", str(bill.id),
                                                                         {"status": "failed", "amount_fen": FEE // 2})
    reconciled(ctx)

    # Stripe sends several events about one failure, again and in any order: the payout is reversed once.
    assert ok(notify_refund(client, fake, "refund.failed", re_id, event_id="evt_refund_failed")) == {
        "status": "duplicate", "event_id": "evt_refund_failed"}
    ok(notify_refund(client, fake, "charge.refund.updated", re_id, event_id="evt_charge_refund_updated"))
    ok(notify_refund(client, fake, "refund.updated", re_id, event_id="evt_refund_updated"))
    # A late event from while it was still going through claims success: Stripe, read back, says failed.
    ok(notify_refund(client, fake, "refund.updated", re_id, event_id="evt_stale_success", status="succeeded",
                     failure_reason=None))
    ok(notify_refund(client, fake, "refund.created", re_id, event_id="evt_refund_created", status="pending"))
    assert money(ctx, bill.id) == owed_again | {"events": 7}
    assert refunded_fen(ctx) == 0
    reconciled(ctx)

    # The same key again refunds nothing (that attempt is over); a new key sends the credit back again.
    assert refund_credit(world, bill.id, "credit-1") == 0
    assert len(fake.refunds) == 1
    fake.refund_status = "succeeded"
    assert refund_credit(world, bill.id, "credit-2") == FEE // 2
    assert len(fake.refunds) == 2
    new_id = next(r for r in fake.refunds if r != re_id)
    assert fake.refunds[new_id]["amount"] == FEE // 2 and fake.refunds[new_id]["payment_intent"] == pi
    assert fake.requests("POST", "/v1/refunds")[-1].idempotency_key == f"credit-2:{pid}"
    assert refunds(ctx) == [(f"credit-1:{pid}", re_id, FEE // 2, "failed"),
                            (f"credit-2:{pid}", new_id, FEE // 2, "succeeded")]
    assert ok(notify_refund(client, fake, "refund.updated", new_id))["outcome"] == "refund_ok:succeeded"
    assert money(ctx, bill.id) == booked | {"events": 8}
    assert refunded_fen(ctx) == FEE // 2
    reconciled(ctx)
    assert outcomes(ctx) == [
        ("payment_intent.succeeded", "recorded"),
        ("refund.updated", "refund_ok:pending"),
        ("refund.failed", "refund_reversed"),
        ("charge.refund.updated", "refund_unknown"),
        ("refund.updated", "refund_unknown"),
        ("refund.updated", "refund_unknown"),
        ("refund.created", "ignored"),
        ("refund.updated", "refund_ok:succeeded"),
    ]


def test_a_canceled_refund_reopens_a_settled_bill(ctx: Context, world: World, client: TestClient,
                                                 fake: FakeStripe) -> None:
    bill, _ = paid(world, client, fake)
    waive_half(world, bill)
    fake.refund_status = "requires_action"  # the payer must act before the money goes back
    with ctx.db.write_session() as s:
        assert statement.pay_refunds(ctx, s, world.actor("school_admin"), bill.school_id, bill.term_name) == FEE // 2
    assert money(ctx, bill.id) | {"events": 0} == {"payments": 1, "events": 0, "paid_fen": FEE // 2,
                                                   "status": "settled", "outstanding": 0, "cash": FEE // 2}
    (re_id,) = fake.refunds
    fake.fail_refund(re_id, status="canceled")  # the payer never did
    # charge.refund.updated carries the Refund too.
    assert ok(notify_refund(client, fake, "charge.refund.updated", re_id))["outcome"] == "refund_reversed"
    assert money(ctx, bill.id) == {"payments": 1, "events": 2, "paid_fen": FEE, "status": "open",
                                   "outstanding": -FEE // 2, "cash": FEE}
    assert [r[3] for r in refunds(ctx)] == ["failed"] and refunded_fen(ctx) == 0
    reconciled(ctx)


def test_refund_events_cannot_be_forged(ctx: Context, world: World, client: TestClient, fake: FakeStripe) -> None:
    bill, pi = paid(world, client, fake)
    waive_half(world, bill)
    fake.refund_status = "pending"
    assert refund_credit(world, bill.id, "credit-1") == FEE // 2
    (re_id,) = fake.refunds
    booked = {"payments": 1, "paid_fen": FEE // 2, "status": "paid", "outstanding": 0, "cash": FEE // 2}

    # Not from Stripe: wrong secret, altered, unsigned.
    claim = fake.event("refund.failed", fake.refunds[re_id], event_id="evt_forged")
    altered = claim.replace('"status": "pending"', '"status": "failed"')
    assert altered != claim
    for payload, signature in [(claim.replace('"pending"', '"failed"'), fake.sign(claim, secret="whsec_not_ours")),
                               (altered, fake.sign(claim)), (altered, None)]:
        err(deliver(client, payload, signature), 400, "signature_invalid")
    # Signed, but the snapshot claims a failure Stripe does not hold: the refund read back decides.
    body = ok(notify_refund(client, fake, "refund.failed", re_id, event_id="evt_claims", status="failed",
                            failure_reason="lost_or_stolen_card", metadata={"bill_id": "1"}))
    assert body["outcome"] == "refund_ok:pending"
    # A refund Stripe does not know; refunds made outside Kehou (the dashboard) that failed.
    assert ok(notify_refund(client, fake, "refund.failed", "re_nosuchrefund", status="failed"))["outcome"] == \
        "refund_unknown"
    outside = stripe.StripeClient(fake.secret_key, base_addresses={"api": fake.url})
    for metadata in ({}, {"bill_id": str(bill.id)}, {"bill_id": "999999"}, {"bill_id": "x"}):
        re = outside.v1.refunds.create({"payment_intent": pi, "amount": 100, "metadata": metadata})
        fake.fail_refund(re.id)
        assert ok(notify_refund(client, fake, "refund.failed", re.id))["outcome"] == "refund_unknown"
    assert money(ctx, bill.id) == booked | {"events": 7}
    assert [r[1:] for r in refunds(ctx)] == [(re_id, FEE // 2, "pending")]
    assert refunded_fen(ctx) == FEE // 2
    reconciled(ctx)


def test_refund_event_kept_for_a_retry_when_stripe_is_unreachable(ctx: Context, world: World, client: TestClient,
                                                                 fake: FakeStripe, settings: Settings) -> None:
    bill, _ = paid(world, client, fake)
    waive_half(world, bill)
    fake.refund_status = "pending"
    assert refund_credit(world, bill.id, "credit-1") == FEE // 2
    (re_id,) = fake.refunds
    fake.fail_refund(re_id)
    payload = fake.event("refund.failed", fake.refunds[re_id], event_id="evt_retry")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ctx.extra["payments_stripe.gateway"] = StripeGateway(dataclasses.replace(settings, payments=dataclasses.replace(
        settings.payments, stripe_api_base=f"http://127.0.0.1:{port}")))
    err(deliver(client, payload, fake.sign(payload)), 502, "gateway_unavailable")
    assert money(ctx, bill.id)["events"] == 1 and refunded_fen(ctx) == FEE // 2, "nothing kept: Stripe will retry"
    del ctx.extra["payments_stripe.gateway"]
    assert ok(deliver(client, payload, fake.sign(payload)))["outcome"] == "refund_reversed"
    assert money(ctx, bill.id) == {"payments": 1, "events": 2, "paid_fen": FEE, "status": "paid",
                                   "outstanding": -FEE // 2, "cash": FEE}
    reconciled(ctx)
