"""Every request: a request id (``X-Request-ID`` if the caller sent a sane one, else made here) set for the
logs and for the tasks the request causes and returned in the response; one JSON access-log line (method,
route, status, duration, user, county); and the HTTP metrics (:mod:`kehou.web.metrics`)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Histogram

from kehou.requestctx import county_code, request_id, user_id

ASGIApp = Callable[..., Any]
log = logging.getLogger("kehou.access")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
QUIET = ("/healthz", "/readyz", "/metrics", "/static/")  # not logged line by line (probes, scrapes, files)

REQUESTS = Counter("kehou_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram("kehou_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def observe(app: ASGIApp) -> ASGIApp:
    async def observed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        who: dict[str, Any] = {}
        scope.setdefault("state", {})["kehou_who"] = who  # filled by provide_actor (another thread's context)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            if not scope["path"].startswith(QUIET) or status >= 500:
                uid, county = user_id.set(who.get("user_id")), county_code.set(who.get("county") or "")
                log.info("%s %s %s", scope["method"], scope["path"], status, extra={
                    "method": scope["method"], "route": route, "path": scope["path"], "status": status,
                    "duration_ms": round(elapsed * 1000, 1), "client": (scope.get("client") or ("",))[0]})
                user_id.reset(uid)
                county_code.reset(county)
            request_id.reset(token)

    return observed
