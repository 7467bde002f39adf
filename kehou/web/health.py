"""Liveness and readiness for load balancers and compose healthchecks.

``/healthz`` is liveness: the process answers and reaches its database (cheap; never held back by the
request limiter). ``/readyz`` is readiness: the database, the task broker, the document storage and the
outbox lag, each checked with a short timeout; 503 with the failing checks named when any fails.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from litestar import Response, get
from sqlalchemy import text

from kehou.platform.context import Context
from kehou.platform.outbox import services as outbox
from kehou.web.deps import DB, Ctx

OUTBOX_LAG_S = 300  # a message waiting longer than this means the broker (or the relay) is not keeping up
BROKER_TIMEOUT_S = 2.0
CHECK_TIMEOUT_S = 3.0


@get("/healthz", sync_to_thread=True, include_in_schema=False, cache=False)
def healthz(db: DB) -> dict[str, Any]:
    db.execute(text("SELECT 1"))
    return {"status": "ok"}


def _check_database(ctx: Context) -> dict[str, Any]:
    with ctx.db.read_session() as s:
        s.execute(text("SELECT 1"))
    return {}


def _check_broker(ctx: Context) -> dict[str, Any]:
    from kehou.tasks.app import get_app

    with get_app().connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_S)
        return {"transport": conn.transport_cls if isinstance(conn.transport_cls, str) else type(conn.transport).__name__}


def _check_storage(ctx: Context) -> dict[str, Any]:
    ctx.storage.exists("health/readiness-probe")  # a missing key is fine; an unreachable store raises
    return {"backend": type(ctx.storage).__name__}


def _check_outbox(ctx: Context) -> dict[str, Any]:
    with ctx.db.read_session() as s:
        pending, age = outbox.backlog(s)
    if age > OUTBOX_LAG_S:
        raise RuntimeError(f"{pending} task(s) waiting, the oldest for {int(age)} s")
    return {"pending": pending, "oldest_s": round(age, 1)}


CHECKS = {"database": _check_database, "broker": _check_broker, "storage": _check_storage, "outbox": _check_outbox}


def _timed(check: Any, ctx: Context) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        out = {"ok": True, **check(ctx)}
    except Exception as exc:
        out = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    out["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return out


def readiness(ctx: Context) -> tuple[bool, dict[str, Any]]:
    """Every check at once, each given :data:`CHECK_TIMEOUT_S` (a store that hangs is not ready)."""
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")
    futures = {name: pool.submit(_timed, check, ctx) for name, check in CHECKS.items()}
    deadline = time.monotonic() + CHECK_TIMEOUT_S
    out: dict[str, Any] = {}
    for name, future in futures.items():
        try:
            out[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            out[name] = {"ok": False, "error": f"no answer within {CHECK_TIMEOUT_S:g} s"}
    pool.shutdown(wait=False)
    return all(c["ok"] for c in out.values()), out


@get("/readyz", sync_to_thread=True, include_in_schema=False, cache=False)
def readyz(ctx: Ctx) -> Response[dict[str, Any]]:
    ready, checks = readiness(ctx)
    return Response({"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503)
