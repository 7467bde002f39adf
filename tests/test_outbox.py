"""Work is never lost when the broker is down: tasks and events go through the transactional outbox.

The broker is the machine's real Redis behind a TCP relay the test starts and stops, so "the broker is
down" is a refused connection on the very URL the platform keeps using. With it down, a provider's
submission (vetting), a county report export and a provider's exit (family refunds, classes ended) are
all recorded and answered at once; when the broker is back and a worker runs, each piece of work is done
exactly once — and delivering every task a second time changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from kehou.platform.admission import services as admission
from kehou.platform.context import Context, build_context
from kehou.platform.exits import services as exits
from kehou.platform.notifications.models import Notification
from kehou.platform.outbox.models import OutboxMessage
from kehou.platform.policy import services as policy
from kehou.plugins.billing_cap.models import LedgerTxn
from kehou.plugins.outcome_reporting import report_jobs
from kehou.plugins.outcome_reporting.models.reports import ReportJob
from kehou.settings import Settings
from kehou.tasks import app as task_app
from kehou.tasks import maintenance
from kehou.timeutil import clock
from kehou.vetting.models import VettingFinding, VettingRun
from kehou.web.health import readiness
from tests import billing_setup as bs
from tests.celery_support import worker
from tests.conftest import _worker
from tests.factories import ADMIN, COUNTY, make_world

REDIS = ("127.0.0.1", 6379)


def _redis_up() -> bool:
    try:
        return bool(redis.Redis(*REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


class Relay:
    """A TCP relay to the real broker that can be switched off (connections refused) and on again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.server: socket.socket | None = None
        self.conns: list[socket.socket] = []

    def start(self) -> None:
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", self.port))
        self.server.listen(64)
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        self.conns.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def relay() -> Iterator[Relay]:
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    r = Relay(REDIS)
    yield r
    r.stop()


@pytest.fixture
def redis_ctx(settings: Settings, relay: Relay) -> Iterator[Context]:
    """The platform with its broker (Redis, through the relay) down to begin with."""
    db = 10 + (int(_worker()[2:]) if _worker().startswith("gw") else 0) % 5
    redis.Redis(*REDIS, db=db).flushdb()
    url = f"redis://127.0.0.1:{relay.port}/{db}"
    s = dataclasses.replace(settings, tasks=dataclasses.replace(settings.tasks, broker_url=url))
    ctx = build_context(s)
    task_app.configure(s, ctx)
    clock.reset()
    yield ctx
    clock.reset()
    redis.Redis(*REDIS, db=db).flushdb()
    ctx.close()


def _wait(what: Callable[[], Any], timeout: float = 60.0, what_for: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what_for}")


def _facts(ctx: Context) -> dict[str, Any]:
    """What the work did, to compare after a second delivery."""
    with ctx.db.read_session() as s:
        return {
            "runs": [(r.id, r.status) for r in s.scalars(select(VettingRun).order_by(VettingRun.id))],
            "findings": s.scalar(select(func.count()).select_from(VettingFinding)),
            "jobs": [(j.id, j.status, j.storage_key) for j in s.scalars(select(ReportJob).order_by(ReportJob.id))],
            "ledger": sorted((t.kind, t.key) for t in s.scalars(select(LedgerTxn))),
            "notices": sorted((n.user_id, n.title) for n in s.scalars(select(Notification))),
        }


def test_broker_outage_loses_nothing_and_each_piece_of_work_is_done_once(redis_ctx: Context, relay: Relay) -> None:
    ctx = redis_ctx
    world = make_world(ctx)
    cat = bs.courses(world, {"书法": 30000})
    bs.enrol(world, cat.students["xiaoming"], cat.entries["书法"])
    bs.issue(world, cat.menu_id)
    term = bs.term_name(world, cat.menu_id)
    with ctx.db.write_session() as s:
        enabled = list(policy.get(s, ctx.registry, COUNTY, "plugins.enabled"))
        policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key="plugins.enabled", value=[*enabled, "outcome_reporting"],
                   effective_from=clock.today_local(), reason="启用成效报告")
    ready, checks = readiness(ctx)
    assert not ready and not checks["broker"]["ok"] and checks["database"]["ok"]  # readiness tells the truth

    # with the broker down: a submission (vetting), a report export and a provider's exit
    started = time.monotonic()
    with ctx.db.write_session() as s:
        aid = admission.create(ctx, s, world.actor("other_provider"), county_code=COUNTY, categories=["阅读"],
                               statement="").id
    with ctx.db.write_session() as s:
        admission.submit(s, world.actor("other_provider"), aid)
    with ctx.db.write_session() as s:
        job, _new = report_jobs.start(ctx, s, world.actor("reviewer1"), COUNTY, term, "xlsx")
    with ctx.db.write_session() as s:
        case = exits.give_notice(ctx, s, world.actor("provider"), provider_id=world.provider_ids["provider"],
                                 county_code=COUNTY, effective_on=clock.today_local() + dt.timedelta(days=30),
                                 reason="机构业务调整")
    clock.advance(dt.timedelta(days=30))
    with ctx.db.write_session() as s:
        assert exits.finalise_due(ctx, s) == [case.id]
    assert time.monotonic() - started < 20  # nobody waited on the broker
    with ctx.db.read_session() as s:
        waiting = {m.task: m for m in s.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))}
        assert {"kehou.vetting.run", "kehou.outcome.render_report", "kehou.billing.exit_refunds",
                "kehou.catalogue.provider_exited"} <= set(waiting), waiting
        assert all(m.attempts >= 1 and m.error for m in waiting.values())  # tried, refused, kept
        assert s.get(ReportJob, job.id).status == "queued" and s.scalars(select(VettingRun)).one().status == "queued"

    # the broker comes back, a worker starts; the periodic sweep sends what waited
    relay.start()
    clock.advance(dt.timedelta(minutes=10))  # past every backoff
    with worker(task_app.get_app()):
        assert maintenance.outbox_sweep() >= 4
        _wait(lambda: _all_done(ctx, job.id))
        first = _facts(ctx)
        # every task delivered a second time: nothing changes
        with ctx.db.read_session() as s:
            sent = [(m.task, dict(m.kwargs)) for m in s.scalars(select(OutboxMessage).where(
                OutboxMessage.task != "kehou.outbox.event"))]
        results = [task_app.get_app().send_task(t, kwargs=kw) for t, kw in sent]
        _wait(lambda: all(r.ready() for r in results))
    assert _facts(ctx) == first
    bs.ledger_ok(ctx)
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) == 0
    assert readiness(ctx)[0]


def _all_done(ctx: Context, job_id: int) -> bool:
    with ctx.db.read_session() as s:
        run = s.scalars(select(VettingRun)).one()
        refunds = s.scalar(select(func.count()).select_from(LedgerTxn).where(LedgerTxn.kind == "refund"))
        return run.status == "done" and s.get(ReportJob, job_id).status == "done" and bool(refunds)
