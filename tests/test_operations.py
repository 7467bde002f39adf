"""What operators see: readiness that fails for each dependency in turn, Prometheus metrics, request ids
carried from the request into the logs and into the tasks it causes, JSON log lines."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kehou.app import create_app
from kehou.logs import JsonFormatter
from kehou.platform.admission import services as admission
from kehou.platform.context import Context
from kehou.platform.outbox.models import OutboxMessage
from kehou.requestctx import request_id
from kehou.settings import Settings
from kehou.storage.minio_backend import MinioStorage
from kehou.tasks import app as task_app
from kehou.timeutil import utcnow
from kehou.web import health
from kehou.web.metrics import _private
from tests.factories import COUNTY, World
from tests.helpers import ok, token_headers


def _ready(ctx: Context) -> tuple[int, dict]:  # type: ignore[type-arg]
    with TestClient(app=create_app(ctx.settings, context=ctx)) as c:
        resp = c.get("/readyz")
        return resp.status_code, resp.json()


def test_readiness_passes_then_fails_for_each_dependency_in_turn(ctx: Context, settings: Settings) -> None:
    status, body = _ready(ctx)
    assert status == 200 and body["status"] == "ready", body
    assert set(body["checks"]) == {"database", "broker", "storage", "outbox"}

    # the broker: nothing listens where it is configured
    broken = dataclasses.replace(settings, tasks=dataclasses.replace(settings.tasks, broker_url="redis://127.0.0.1:1/0"))
    task_app.configure(broken, ctx)
    status, body = _ready(ctx)
    assert status == 503 and not body["checks"]["broker"]["ok"] and body["checks"]["database"]["ok"], body
    task_app.configure(settings, ctx)

    # the storage: a MinIO endpoint nobody answers
    dead = MinioStorage("127.0.0.1:1", "k", "s" * 16, "kehou", secure=False)
    status, body = _ready(dataclasses.replace(ctx, extra={"storage": dead}))
    assert status == 503 and not body["checks"]["storage"]["ok"] and body["checks"]["broker"]["ok"], body

    # the outbox: a task has waited for the broker longer than the lag allowed
    with ctx.db.write_session() as s:
        old = utcnow() - dt.timedelta(seconds=health.OUTBOX_LAG_S + 60)
        s.add(OutboxMessage(task="kehou.vetting.run", kwargs={"run_id": 0}, created_at=old, due_at=utcnow() + dt.timedelta(
            hours=1), attempts=3, error="Connection refused", request_id=""))
        s.commit()
    status, body = _ready(ctx)
    assert status == 503 and not body["checks"]["outbox"]["ok"] and "waiting" in body["checks"]["outbox"]["error"], body

    # the database: gone
    from kehou.db import Database

    gone = dataclasses.replace(ctx, db=Database("sqlite:////nonexistent-dir/kehou.db"))
    ok_, checks = health.readiness(gone)
    assert not ok_ and not checks["database"]["ok"] and not checks["outbox"]["ok"]
    gone.db.dispose()


def test_metrics_are_scraped_with_their_key_series(client: TestClient, world: World) -> None:
    client.post("/api/v1/auth/token", json={"username": "provider", "password": "wrong-password"})
    headers = token_headers(client, "reviewer1")
    ok(client.get("/api/v1/me", headers=headers))
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    body = resp.text
    for series in ('kehou_http_requests_total{method="GET",route="/api/v1/me",status="200"}',
                   "kehou_http_request_duration_seconds_bucket", 'kehou_db_pool_connections{state="in_use"}',
                   "kehou_outbox_pending 0.0", "kehou_outbox_oldest_age_seconds", "kehou_jobs_stuck 0.0",
                   "kehou_logins_failed_last_hour 1.0"):
        assert series in body, series
    assert _private("127.0.0.1") and _private("10.0.3.7") and not _private("8.8.8.8")


def test_request_id_reaches_the_response_the_access_log_and_the_tasks_it_causes(
        ctx: Context, world: World, client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with ctx.db.write_session() as s:
        aid = admission.create(ctx, s, world.actor("provider"), county_code=COUNTY, categories=["阅读"], statement="").id
        admission.submit(s, world.actor("provider"), aid)
    headers = {**token_headers(client, "reviewer1"), "X-Request-ID": "req-2026-12-03-0001"}
    with caplog.at_level(logging.INFO, logger="kehou.access"):
        resp = client.post(f"/api/v1/applications/{aid}/vetting", headers=headers)
    assert resp.status_code in (200, 202), resp.text
    assert resp.headers["x-request-id"] == "req-2026-12-03-0001"
    [line] = [r for r in caplog.records if r.name == "kehou.access" and getattr(r, "route", "").endswith("/vetting")]
    assert (line.status, line.method) == (resp.status_code, "POST")  # type: ignore[attr-defined]
    assert line.duration_ms >= 0  # type: ignore[attr-defined]
    with ctx.db.read_session() as s:
        rids = [m.request_id for m in s.scalars(select(OutboxMessage).where(OutboxMessage.task == "kehou.vetting.run"))]
    assert rids[-1] == "req-2026-12-03-0001"
    # a made-up id when none (or a hostile one) is sent
    made = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
    assert made != "<script>" and len(made) == 32


def test_log_lines_are_json_with_the_request_id() -> None:
    record = logging.LogRecord("kehou.test", logging.WARNING, __file__, 1, "陈老师 %s", ("到校",), None)
    record.route = "/api/v1/me"
    token = request_id.set("abc123")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["msg"] == "陈老师 到校" and line["level"] == "warning" and line["request_id"] == "abc123"
    assert line["route"] == "/api/v1/me" and dt.datetime.fromisoformat(line["ts"]).tzinfo is not None


def test_metrics_refuse_a_caller_from_a_public_address(ctx: Context) -> None:
    app = create_app(ctx.settings, context=ctx)

    async def call(client_ip: str) -> int:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                 "path": "/metrics", "raw_path": b"/metrics", "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"kehou.example.cn")], "client": (client_ip, 40000), "server": ("10.0.0.2", 8000)}
        sent: list[dict] = []  # type: ignore[type-arg]

        async def receive() -> dict:  # type: ignore[type-arg]
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:  # type: ignore[type-arg]
            sent.append(message)

        await app(scope, receive, send)
        return next(m["status"] for m in sent if m["type"] == "http.response.start")

    assert asyncio.run(call("8.8.8.8")) == 403
    assert asyncio.run(call("172.18.0.5")) == 200  # a Prometheus on the compose network
