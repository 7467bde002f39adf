"""A worker killed in the middle of a task: the task is taken back and done once.

A real Celery worker process (prefork, one child) on the machine's Redis runs a vetting task that the test
holds up with a lock on the run's row; the child executing it is killed with SIGKILL. The message was not
acknowledged (``acks_late``) and the lost child rejects it (``reject_on_worker_lost``), so the worker's next
child takes it again; once the lock is released the run completes, with its findings stored once. A report
export left ``running`` by a dead worker is taken back by the reaper (or by the redelivered message) when
its lease runs out, and failed with a reason after three attempts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select, text, update

from kehou.platform.admission import services as admission
from kehou.platform.context import Context, build_context
from kehou.platform.outbox.models import OutboxMessage
from kehou.plugins.outcome_reporting import report_jobs
from kehou.plugins.outcome_reporting.models.reports import ReportJob
from kehou.settings import Settings
from kehou.tasks import app as task_app
from kehou.timeutil import clock, utcnow
from kehou.vetting.models import VettingFinding, VettingRun
from tests.conftest import _worker
from tests.factories import COUNTY, make_world
from tests.test_outbox import REDIS, _redis_up, _wait

CELERY = Path(sys.executable).parent / "celery"


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.fixture
def redis_settings(settings: Settings) -> Iterator[Settings]:
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    db = 5 + (int(_worker()[2:]) if _worker().startswith("gw") else 0) % 5
    redis.Redis(*REDIS, db=db).flushdb()
    yield dataclasses.replace(settings, tasks=dataclasses.replace(settings.tasks, broker_url=f"redis://127.0.0.1:6379/{db}"))
    redis.Redis(*REDIS, db=db).flushdb()


@pytest.fixture
def rctx(redis_settings: Settings) -> Iterator[Context]:
    ctx = build_context(redis_settings)
    task_app.configure(redis_settings, ctx)
    clock.reset()
    yield ctx
    clock.reset()
    ctx.close()


def _worker_process(s: Settings, tmp: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHOU_")}
    env.update({"KEHOU_DATA_DIR": str(tmp / "worker"), "KEHOU_DATABASE_URL": s.database.url,
                "KEHOU_BROKER_URL": s.tasks.broker_url, "KEHOU_RESULT_BACKEND": f"file://{tmp / 'worker-results'}",
                "KEHOU_STORAGE_ROOT": str(s.storage.local_root), "KEHOU_SECRET_KEY": s.security.secret_key,
                "KEHOU_PII_KEY": s.security.pii_key})
    return subprocess.Popen([str(CELERY), "-A", "kehou.tasks.worker", "worker", "--pool", "prefork", "-c", "1",
                             "-l", "warning", "-n", f"kill-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
                            env=env, stdout=subprocess.DEVNULL, stderr=(tmp / "worker.log").open("wb"))


def test_a_worker_killed_mid_task_gives_the_task_back_and_it_is_done_once(rctx: Context, redis_settings: Settings,
                                                                          tmp_path: Path) -> None:
    ctx = rctx
    world = make_world(ctx)
    with ctx.db.write_session() as s:
        aid = admission.create(ctx, s, world.actor("provider"), county_code=COUNTY, categories=["阅读"], statement="").id
    with ctx.db.write_session() as s:
        admission.submit(s, world.actor("provider"), aid)  # the vetting task goes to Redis after the commit
    with ctx.db.read_session() as s:
        run_id = s.scalars(select(VettingRun.id)).one()
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) == 0

    hold = ctx.db.write_session()  # holds the run up: on SQLite the write lock, on PostgreSQL the run's row
    hold.execute(select(VettingRun.id).where(VettingRun.id == run_id).with_for_update()) if not ctx.db.is_sqlite \
        else hold.execute(text("UPDATE vetting_run SET error = '' WHERE id = :i"), {"i": run_id})
    proc = _worker_process(redis_settings, tmp_path)
    inspect = task_app.get_app().control.inspect(timeout=1.0)
    try:
        def busy() -> list[int]:
            active = inspect.active() or {}
            return [t["worker_pid"] for tasks in active.values() for t in tasks if t["name"] == "kehou.vetting.run"]

        [child] = _wait(busy, what_for="the worker to start the task")
        assert child in _children(proc.pid)
        os.kill(child, signal.SIGKILL)  # the child executing the task dies
        again = _wait(lambda: [p for p in busy() if p != child], what_for="the task to be taken again")
        assert again and again[0] in _children(proc.pid)
        hold.rollback()
        hold.close()
        _wait(lambda: _run(ctx, run_id).status == "done", what_for="the run to complete")
    finally:
        hold.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    with ctx.db.read_session() as s:
        run = s.get(VettingRun, run_id)
        findings = s.scalars(select(VettingFinding).where(VettingFinding.run_id == run_id)).all()
    assert run is not None and run.passed + run.warnings + run.blocks == len(findings) > 0  # stored once
    assert len({f.rule for f in findings}) == len(findings)


def _run(ctx: Context, run_id: int) -> VettingRun:
    with ctx.db.read_session() as s:
        run = s.get(VettingRun, run_id)
        assert run is not None
        return run


def test_a_report_job_left_running_by_a_dead_worker_is_reclaimed_then_failed_after_three_tries(ctx: Context) -> None:
    from tests.test_outcome_reports import TERM, small_county

    world = make_world(ctx)
    small_county(world)
    with ctx.db.write_session() as s:
        job, _ = report_jobs.start(ctx, s, world.actor("reviewer1"), COUNTY, TERM, "xlsx")

    def die_mid_task() -> None:  # what a worker killed while rendering leaves behind
        with ctx.db.write_session() as s:
            s.execute(update(ReportJob).where(ReportJob.id == job.id).values(
                status="running", progress=50, lease_until=utcnow() + dt.timedelta(seconds=report_jobs.LEASE_S),
                attempts=ReportJob.attempts + 1))
            s.commit()

    die_mid_task()
    assert report_jobs.execute(ctx, job.id) == "skipped"  # a redelivered message while the lease holds
    assert report_jobs.reap(ctx) == {"requeued": 0, "failed": 0}
    clock.advance(dt.timedelta(seconds=report_jobs.LEASE_S + 1))
    assert report_jobs.reap(ctx) == {"requeued": 1, "failed": 0}
    with ctx.db.read_session() as s:
        assert s.get(ReportJob, job.id).status == "queued"
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.task == report_jobs.TASK)) == 2  # sent again
    assert report_jobs.execute(ctx, job.id) == "done"
    assert report_jobs.execute(ctx, job.id) == "skipped"  # and not twice

    with ctx.db.write_session() as s:
        second, _ = report_jobs.start(ctx, s, world.actor("reviewer1"), COUNTY, TERM, "pdf")
    for _ in range(report_jobs.MAX_ATTEMPTS):
        with ctx.db.write_session() as s:
            s.execute(update(ReportJob).where(ReportJob.id == second.id).values(
                status="running", lease_until=utcnow() - dt.timedelta(seconds=1), attempts=ReportJob.attempts + 1))
            s.commit()
        report_jobs.reap(ctx)
    with ctx.db.read_session() as s:
        failed = s.get(ReportJob, second.id)
        assert failed.status == "failed" and "已尝试3次" in failed.error and "重新导出" in failed.error
