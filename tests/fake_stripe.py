"""A small fake of the Stripe API, enough for the ``payments_stripe`` plugin, on a local port.

It answers what stripe-python sends (form-encoded POSTs, ``Idempotency-Key`` and ``Bearer`` key
headers) with JSON shaped like Stripe's objects, and behaves as Stripe does where it matters to us:

- ``POST /v1/payment_intents`` refuses ``payment_method_types`` (HTTP 400
  ``payment_method_types_no_longer_supported``, as the API does since 2026-09-30);
- the same ``Idempotency-Key`` replays the first successful response (with other parameters: 400
  ``idempotency_error``);
- ``POST /v1/refunds`` refuses to refund more than the PaymentIntent received, or an unpaid one;
- ``GET /v1/payment_intents/{id}``, ``GET /v1/refunds?payment_intent=…``, ``GET /v1/refunds/{id}``.

Test helpers move a PaymentIntent on (:meth:`FakeStripe.succeed`, :meth:`FakeStripe.fail`,
:meth:`FakeStripe.processing`) or a refund (:meth:`FakeStripe.fail_refund`,
:meth:`FakeStripe.succeed_refund`) and build signed webhook events (:meth:`FakeStripe.event`,
:meth:`FakeStripe.sign`) with any timestamp or secret.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-10-28.endive"


@dataclass(frozen=True)
class Seen:
    """A request the fake received."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None


class StripeFailure(Exception):
    def __init__(self, status: int, code: str, message: str, type_: str = "invalid_request_error",
                 param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "code": code, "message": message, "param": param}}


def decode_form(body: str) -> dict[str, Any]:
    """``a[b][0]=x`` form encoding (as stripe-python sends it) into nested dicts and lists."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt: Any = value if last else ([] if parts[i + 1].isdigit() else {})
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(None)
                if last or node[index] is None:
                    node[index] = nxt
                node = node[index]
            else:
                if last or part not in node:
                    node[part] = nxt
                node = node[part]
    return out


class FakeStripe:
    def __init__(self, secret_key: str = "sk_test_kehou_fake", webhook_secret: str = "whsec_kehou_fake") -> None:
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.seen: list[Seen] = []
        self.refund_status = "succeeded"  # the status new refunds get
        self._replies: dict[str, tuple[str, dict[str, Any], int, bytes]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # --- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- test helpers --------------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    def create_intent(self, amount: int, metadata: dict[str, str], currency: str = "cny",
                      methods: list[str] | None = None) -> dict[str, Any]:
        """A PaymentIntent made outside Kehou (another installation, the dashboard)."""
        with self._lock:
            pi_id = self._id("pi")
            pi = {"id": pi_id, "object": "payment_intent", "amount": amount, "amount_received": 0,
                  "currency": currency, "status": "requires_payment_method",
                  "client_secret": f"{pi_id}_secret_{hashlib.sha256(pi_id.encode()).hexdigest()[:16]}",
                  "metadata": dict(metadata), "payment_method_types": list(methods or ["card"]),
                  "description": None, "created": int(time.time()), "livemode": False, "latest_charge": None}
            self.intents[pi_id] = pi
            return copy.deepcopy(pi)

    def succeed(self, pi_id: str, amount_received: int | None = None) -> dict[str, Any]:
        """The payer paid: the PaymentIntent succeeded with ``amount_received`` (default: its amount)."""
        with self._lock:
            pi = self.intents[pi_id]
            pi.update(status="succeeded", amount_received=pi["amount"] if amount_received is None else amount_received,
                      latest_charge=f"ch_{pi_id[3:]}")
            return copy.deepcopy(pi)

    def fail(self, pi_id: str) -> dict[str, Any]:
        """A payment attempt failed: Stripe puts the PaymentIntent back to ``requires_payment_method``."""
        with self._lock:
            pi = self.intents[pi_id]
            pi.update(status="requires_payment_method", last_payment_error={"code": "payment_declined"})
            return copy.deepcopy(pi)

    def processing(self, pi_id: str) -> dict[str, Any]:
        with self._lock:
            self.intents[pi_id].update(status="processing")
            return copy.deepcopy(self.intents[pi_id])

    def fail_refund(self, re_id: str, reason: str = "expired_or_canceled_card", *,
                    status: str = "failed") -> dict[str, Any]:
        """A refund Stripe had accepted failed after all (``status="canceled"``: canceled while it
        required action); its money is no longer counted as refunded."""
        with self._lock:
            refund = self.refunds[re_id]
            refund.update(status=status, failure_reason=reason if status == "failed" else None)
            return copy.deepcopy(refund)

    def succeed_refund(self, re_id: str) -> dict[str, Any]:
        with self._lock:
            self.refunds[re_id].update(status="succeeded")
            return copy.deepcopy(self.refunds[re_id])

    def requests(self, method: str, path_prefix: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.method == method and s.path.startswith(path_prefix)]

    def event(self, type_: str, obj: dict[str, Any], *, event_id: str | None = None,
              created: int | None = None) -> str:
        """A webhook body: an event of ``type_`` carrying ``obj`` (a snapshot of a PaymentIntent, or
        anything a forger would like it to say)."""
        return json.dumps({
            "id": event_id or self._id("evt"), "object": "event", "api_version": API_VERSION,
            "created": created or int(time.time()), "type": type_, "livemode": False, "pending_webhooks": 1,
            "data": {"object": obj}, "request": {"id": None, "idempotency_key": None},
        })

    def sign(self, payload: str, *, timestamp: int | None = None, secret: str | None = None) -> str:
        """The ``Stripe-Signature`` header: HMAC-SHA256 over ``"{t}.{payload}"``."""
        t = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new((secret or self.webhook_secret).encode(), f"{t}.{payload}".encode(), hashlib.sha256)
        return f"t={t},v1={mac.hexdigest()}"

    # --- the API -------------------------------------------------------------------------------

    def _serve(self, req: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length).decode() if length else ""
        params = decode_form(raw if method == "POST" else url.query)
        key = req.headers.get("Idempotency-Key")
        with self._lock:
            self.seen.append(Seen(method, url.path, params, key))
            try:
                if req.headers.get("Authorization") != f"Bearer {self.secret_key}":
                    raise StripeFailure(401, "api_key_invalid", "Invalid API Key provided.")
                if method == "POST" and key:
                    replay = self._replies.get(key)
                    if replay is not None:
                        path, first, status, body = replay
                        if path != url.path or first != params:
                            raise StripeFailure(400, "idempotency_key_in_use", "Keys for idempotent requests can only "
                                                "be used with the same parameters they were first used with.",
                                                type_="idempotency_error")
                        self._reply(req, status, body, replayed=True)
                        return
                status, obj = 200, self._route(method, url.path, params)
            except StripeFailure as f:
                status, obj = f.status, f.body
            body = json.dumps(obj).encode()
            if method == "POST" and key and status == 200:  # as Stripe: a refused request is not saved
                self._replies[key] = (url.path, params, status, body)
        self._reply(req, status, body)

    @staticmethod
    def _reply(req: BaseHTTPRequestHandler, status: int, body: bytes, replayed: bool = False) -> None:
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.send_header("Request-Id", f"req_fake{time.monotonic_ns()}")
        if replayed:
            req.send_header("Idempotent-Replayed", "true")
        req.end_headers()
        req.wfile.write(body)

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "POST" and path == "/v1/payment_intents":
            return self._create_intent(params)
        if method == "GET" and (m := re.fullmatch(r"/v1/payment_intents/([^/]+)", path)):
            return copy.deepcopy(self._intent(m.group(1)))
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(params)
        if method == "GET" and path == "/v1/refunds":
            found = [r for r in self.refunds.values()
                     if not params.get("payment_intent") or r["payment_intent"] == params["payment_intent"]]
            return {"object": "list", "url": "/v1/refunds", "has_more": False, "data": copy.deepcopy(found)}
        if method == "GET" and (m := re.fullmatch(r"/v1/refunds/([^/]+)", path)):
            if m.group(1) not in self.refunds:
                raise StripeFailure(404, "resource_missing", f"No such refund: '{m.group(1)}'", param="id")
            return copy.deepcopy(self.refunds[m.group(1)])
        raise StripeFailure(404, "resource_missing", f"Unrecognized request URL ({method}: {path}).")

    def _intent(self, pi_id: str) -> dict[str, Any]:
        if pi_id not in self.intents:
            raise StripeFailure(404, "resource_missing", f"No such payment_intent: '{pi_id}'", param="intent")
        return self.intents[pi_id]

    def _create_intent(self, p: dict[str, Any]) -> dict[str, Any]:
        if "payment_method_types" in p:
            raise StripeFailure(400, "payment_method_types_no_longer_supported",
                                "payment_method_types is no longer supported; use allowed_payment_method_types.",
                                param="payment_method_types")
        try:
            amount = int(p.get("amount", ""))
        except ValueError:
            raise StripeFailure(400, "parameter_missing", "Missing required param: amount.", param="amount") from None
        if amount < 1:
            raise StripeFailure(400, "amount_too_small", "Amount must be at least 1.", param="amount")
        if not p.get("currency"):
            raise StripeFailure(400, "parameter_missing", "Missing required param: currency.", param="currency")
        pi = self.create_intent(amount, p.get("metadata") or {}, p["currency"],
                                list(p.get("allowed_payment_method_types") or ["card"]))
        self.intents[pi["id"]]["description"] = p.get("description")
        return copy.deepcopy(self.intents[pi["id"]])

    def _create_refund(self, p: dict[str, Any]) -> dict[str, Any]:
        pi = self._intent(str(p.get("payment_intent", "")))
        if pi["status"] != "succeeded":
            raise StripeFailure(400, "payment_intent_unexpected_state",
                                "This PaymentIntent has not succeeded and cannot be refunded.", param="payment_intent")
        refunded = sum(r["amount"] for r in self.refunds.values()
                       if r["payment_intent"] == pi["id"] and r["status"] not in ("failed", "canceled"))
        left = pi["amount_received"] - refunded
        amount = int(p.get("amount") or left)
        if amount < 1 or amount > left:
            raise StripeFailure(400, "amount_too_large" if amount > left else "amount_too_small",
                                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left}).",
                                param="amount")
        refund = {"id": self._id("re"), "object": "refund", "amount": amount, "currency": pi["currency"],
                  "payment_intent": pi["id"], "charge": pi["latest_charge"], "status": self.refund_status,
                  "failure_reason": "declined" if self.refund_status == "failed" else None,
                  "metadata": p.get("metadata") or {}, "reason": p.get("reason"), "created": int(time.time())}
        self.refunds[refund["id"]] = refund
        return copy.deepcopy(refund)
