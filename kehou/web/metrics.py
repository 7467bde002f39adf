"""``GET /metrics``: Prometheus text format, for scrapers on the local or a private network only.

Per process: HTTP requests by route and status with latency (:mod:`kehou.web.observe`), task runs and
failures by name (counted in the Celery worker: set ``PROMETHEUS_MULTIPROC_DIR`` for web workers and the
Celery worker on one host to be added up, see docs/operations.md). Read from the database at each scrape:
the database pool in use, outbox messages waiting and the age of the oldest, jobs by kind and state, stuck
jobs (lease run out), vetting findings by verdict, failed logins in the last hour, requests refused by the
limiter.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterator
from typing import Any

from litestar import Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from kehou.errors import PermissionDenied
from kehou.platform.accounts.models import LoginAttempt
from kehou.platform.context import Context
from kehou.platform.outbox import services as outbox
from kehou.timeutil import utcnow
from kehou.vetting.models import VettingFinding
from kehou.web.deps import Ctx


class PlatformCollector(Collector):
    """Gauges read from the database at scrape time."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ctx = self.ctx
        pool = GaugeMetricFamily("kehou_db_pool_connections", "Database pool connections", labels=["state"])
        p: Any = ctx.db.engine.pool
        if hasattr(p, "checkedout"):
            pool.add_metric(["in_use"], p.checkedout())
            pool.add_metric(["idle"], p.checkedin())
        yield pool
        with ctx.db.read_session() as s:
            pending, age = outbox.backlog(s)
            yield GaugeMetricFamily("kehou_outbox_pending", "Outbox messages not yet taken by the broker", value=pending)
            yield GaugeMetricFamily("kehou_outbox_oldest_age_seconds", "Age of the oldest waiting outbox message", value=age)
            jobs = GaugeMetricFamily("kehou_jobs", "Background jobs by kind and state", labels=["kind", "state"])
            stuck = 0
            for table in (t for answer in ctx.pm.hook.kehou_register_job_tables() for t in answer):
                model = table.model
                for state, n in s.execute(select(model.status, func.count()).group_by(model.status)):
                    jobs.add_metric([table.kind, state], n)
                if hasattr(model, "lease_until"):
                    stuck += s.scalar(select(func.count()).select_from(model).where(
                        model.status == "running", model.lease_until < utcnow())) or 0
            yield jobs
            yield GaugeMetricFamily("kehou_jobs_stuck", "Running jobs whose lease ran out (their worker died)", value=stuck)
            findings = GaugeMetricFamily("kehou_vetting_findings", "Vetting findings by verdict", labels=["verdict"])
            for verdict, n in s.execute(select(VettingFinding.verdict, func.count()).group_by(VettingFinding.verdict)):
                findings.add_metric([verdict], n)
            yield findings
            failed = s.scalar(select(func.count()).select_from(LoginAttempt).where(
                LoginAttempt.succeeded.is_(False), LoginAttempt.at >= utcnow() - dt.timedelta(hours=1)))
            yield GaugeMetricFamily("kehou_logins_failed_last_hour", "Failed logins in the last hour", value=failed or 0)


def _private(ip: str) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip in ("testclient", "testserver")  # the test client
    return addr.is_loopback or addr.is_private


def registry_for(ctx: Context) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # every process's counters and histograms on this host, added up
    else:
        for collector in list(REGISTRY._collector_to_names):  # this process's counters and histograms
            registry.register(collector)
    registry.register(PlatformCollector(ctx))
    return registry


@get("/metrics", sync_to_thread=True, include_in_schema=False, cache=False)
def metrics(request: Request[Any, Any, Any], ctx: Ctx) -> Response[bytes]:
    if not _private(request.client.host if request.client else ""):
        raise PermissionDenied("指标只对本机和内网开放。", code="metrics_private")
    return Response(generate_latest(registry_for(ctx)), media_type=CONTENT_TYPE_LATEST)
