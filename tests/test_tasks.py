"""Real Celery: a worker thread on the test's filesystem broker runs the jobs.

The decision hook fires only after the transaction commits and enqueues
``kehou.admission.notify_decision``; the worker writes the provider's
messages. A rolled-back decision enqueues nothing. The notice timer closes a
notice only once its last day is over.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from sqlalchemy import func, select

from kehou.platform.accounts import services as accounts
from kehou.platform.admission import decision, notice, review
from kehou.platform.admission import services as admission
from kehou.platform.admission.models import Application
from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context
from kehou.platform.notifications.models import Notification
from kehou.platform.policy import services as policy
from kehou.pluginapi import ApplicationDecided, hookimpl
from kehou.settings import Settings
from kehou.tasks import jobs
from kehou.timeutil import SHANGHAI, clock, end_of_local_day_utc
from tests.celery_support import worker
from tests.factories import ADMIN, COUNTY, PASSWORD, World, add_provider, review_documents

SCORES = {"qualification": 22, "curriculum": 26, "staff": 20, "safety": 18}
TIMEOUT = 30.0


# --- helpers ------------------------------------------------------------------


def wait_for(predicate: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {predicate.__name__}")
        time.sleep(0.1)


def queued(settings: Settings, task: str = "kehou.admission.notify_decision") -> list[Path]:
    """Messages for ``task`` waiting in the filesystem broker (submissions also queue vetting runs)."""
    return sorted(p for p in (settings.data_dir / "broker" / "queue").glob("*.msg") if task in p.read_text())


def in_public_notice(ctx: Context, world: World, provider: str = "provider") -> int:
    """An application through expert review into public notice, one request (session) per step."""
    prov, rev1, rev2 = world.actor(provider), world.actor("reviewer1"), world.actor("reviewer2")
    with ctx.db.write_session() as s:
        aid = admission.create(ctx, s, prov, county_code=COUNTY, categories=["体育艺术"], statement="少儿书法").id
    with ctx.db.write_session() as s:
        admission.submit(s, prov, aid)
    review_documents(world, provider)
    with ctx.db.write_session() as s:
        admission.accept_materials(s, rev1, aid)
    for who in (rev1, rev2):
        with ctx.db.write_session() as s:
            review.score(ctx, s, who, aid, scores=SCORES)
    with ctx.db.write_session() as s:
        assert review.finish_review(ctx, s, rev1, aid).status == "public_notice"
    return aid


def notice_end(ctx: Context, aid: int) -> dt.date:
    with ctx.db.read_session() as s:
        app = s.get(Application, aid)
        assert app is not None and app.notice_end is not None
        return app.notice_end


def status(ctx: Context, aid: int) -> str:
    with ctx.db.read_session() as s:
        app = s.get(Application, aid)
        assert app is not None
        return str(app.status)


def move_clock_to(moment: dt.datetime) -> None:
    clock.advance(moment - clock.now())


def awaiting_decision(ctx: Context, world: World) -> int:
    aid = in_public_notice(ctx, world)
    move_clock_to(end_of_local_day_utc(notice_end(ctx, aid)) + dt.timedelta(minutes=1))
    with ctx.db.write_session() as s:
        notice.close_notice(s, world.actor("reviewer1"), aid)
    assert status(ctx, aid) == "awaiting_decision"
    return aid


def notifications(ctx: Context) -> list[Notification]:
    with ctx.db.read_session() as s:
        return list(s.scalars(select(Notification).order_by(Notification.user_id)))


class DecisionSpy:
    """A plugin that records each decision event and what was committed when it came."""

    def __init__(self, ctx: Context, settings: Settings) -> None:
        self.ctx, self.settings = ctx, settings
        self.seen: list[tuple[ApplicationDecided, str, int]] = []

    @hookimpl
    def kehou_application_decided(self, decision: ApplicationDecided) -> None:
        # read in a separate session: only committed data is visible there
        self.seen.append((decision, status(self.ctx, decision.application_id), len(queued(self.settings))))


@pytest.fixture
def spy(ctx: Context, settings: Settings) -> Iterator[DecisionSpy]:
    plugin = DecisionSpy(ctx, settings)
    ctx.pm.register(plugin, name="test-decision-spy")
    with ctx.db.write_session() as s:  # plugins hear a county's events only where the county enabled them
        policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key="plugins.enabled", value=["test-decision-spy"],
                   effective_from=clock.today_local() - dt.timedelta(days=1), reason="测试插件",
                   retroactive_reason="测试：补录已执行的政策")
    yield plugin
    ctx.pm.unregister(plugin)


# --- the decision event -----------------------------------------------------------


def test_tasks_and_beat_schedule_are_registered(celery_app: Celery) -> None:
    assert set(jobs.TASKS) <= set(celery_app.tasks)
    beat = celery_app.conf.beat_schedule
    assert beat["close-ended-notices"]["task"] == "kehou.admission.close_ended_notices"
    assert beat["whitelist-expiry"]["task"] == "kehou.admission.review_whitelist_expiry"
    assert celery_app.conf.broker_url == "kehoufs://"  # the filesystem transport with an atomic put


def test_approval_notifies_every_active_provider_user_through_the_worker(
    ctx: Context, world: World, settings: Settings, celery_app: Celery, spy: DecisionSpy
) -> None:
    pid = world.provider_ids["provider"]
    with ctx.db.write_session() as s:
        colleague = accounts.create_user(s, world.actor("provider"), username="provider_b", display_name="机构二号",
                                         password=PASSWORD, role="provider", provider_id=pid)
        gone = accounts.create_user(s, world.actor("provider"), username="provider_c", display_name="已停用",
                                    password=PASSWORD, role="provider", provider_id=pid, commit=False)
        gone.is_active = False
        s.commit()
    aid = awaiting_decision(ctx, world)
    assert spy.seen == [] and queued(settings) == []

    with ctx.db.write_session() as s:
        decision.approve(ctx, s, world.actor("decider"), aid, reason="符合准入条件")

    # the hook ran once, after the commit (the approval was visible elsewhere), before the task was queued
    [(event, committed_status, queued_then)] = spy.seen
    assert (event.application_id, event.provider_id, event.county_code, event.approved) == (aid, pid, COUNTY, True)
    assert event.categories == ("体育艺术",) and event.reason == "符合准入条件"
    assert committed_status == "approved" and queued_then == 0
    assert len(queued(settings)) == 1  # the core plugin enqueued notify_decision; nothing has run it yet
    assert notifications(ctx) == []

    with worker(celery_app):
        rows = wait_for(lambda: len(notifications(ctx)) >= 2 and notifications(ctx))
        wait_for(lambda: not queued(settings))
    owners = {world.users["provider"].id, colleague.id}
    assert {n.user_id for n in rows} == owners  # not the deactivated user, not the other provider
    for n in rows:
        assert n.title == "西湖区准入申请结果：已准入"
        assert n.body == "符合准入条件"
        assert n.link == f"/provider/applications/{aid}"
        assert n.read_at is None

    # running the job again (a redelivery) sends nothing twice
    assert jobs.notify_decision(aid) == 0
    assert len(notifications(ctx)) == 2


def test_rejection_is_announced_too(ctx: Context, world: World, settings: Settings, celery_app: Celery,
                                    spy: DecisionSpy) -> None:
    aid = awaiting_decision(ctx, world)
    with ctx.db.write_session() as s:
        decision.reject(ctx, s, world.actor("decider"), aid, reason="场地安全不达标")
    [(event, committed_status, _)] = spy.seen
    assert event.approved is False and committed_status == "rejected"
    with worker(celery_app):
        [row] = wait_for(lambda: notifications(ctx))
    assert (row.user_id, row.title, row.body) == (world.users["provider"].id, "西湖区准入申请结果：未准入", "场地安全不达标")


def test_rolled_back_decision_enqueues_nothing(
    ctx: Context, world: World, settings: Settings, celery_app: Celery, spy: DecisionSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    aid = awaiting_decision(ctx, world)

    def boom(self: Any) -> None:
        raise RuntimeError("数据库连接中断")

    with ctx.db.write_session() as s:
        monkeypatch.setattr(type(s), "commit", boom)  # fail at the last moment, after the event was queued
        with pytest.raises(RuntimeError):
            decision.approve(ctx, s, world.actor("decider"), aid, reason="符合准入条件")
        assert s.info.get("after_commit"), "the event waits for the commit"
        s.rollback()
        assert "after_commit" not in s.info  # the rollback dropped it
        monkeypatch.undo()
        s.commit()  # a later commit of the same session must not send it either
    assert spy.seen == [] and queued(settings) == []
    assert status(ctx, aid) == "awaiting_decision"

    # an exception inside the session block (the usual request path) rolls back too
    with pytest.raises(RuntimeError):
        with ctx.db.write_session() as s, s.begin():
            app = s.get(Application, aid)
            assert app is not None
            decision._announce(ctx, s, app, True)
            raise RuntimeError("校验失败")
    assert spy.seen == [] and queued(settings) == []

    with worker(celery_app):  # the worker finds nothing to do ...
        time.sleep(1.0)
        assert notifications(ctx) == []
        with ctx.db.write_session() as s:  # ... until the decision really commits, once
            decision.approve(ctx, s, world.actor("decider"), aid)
        wait_for(lambda: notifications(ctx))
        wait_for(lambda: not queued(settings))
    assert len(spy.seen) == 1 and len(notifications(ctx)) == 1


# --- the notice timer -------------------------------------------------------------


def test_close_ended_notices_waits_until_the_last_day_is_over(ctx: Context, world: World, celery_app: Celery) -> None:
    aid = in_public_notice(ctx, world)
    end = notice_end(ctx, aid)
    assert end > clock.today_local()

    with worker(celery_app):
        def run_timer() -> list[int]:
            result = celery_app.send_task("kehou.admission.close_ended_notices")
            return list(result.get(timeout=TIMEOUT))

        assert run_timer() == []  # during the notice
        move_clock_to(dt.datetime.combine(end, dt.time(23, 59, 30), SHANGHAI))
        assert clock.today_local() == end
        assert run_timer() == [] and status(ctx, aid) == "public_notice"  # still its last day

        clock.advance(dt.timedelta(minutes=1))
        assert clock.today_local() == end + dt.timedelta(days=1)
        assert run_timer() == [aid]
        assert status(ctx, aid) == "awaiting_decision"
        assert run_timer() == []  # nothing left to close

    with ctx.db.read_session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(aid), AuditEntry.entity_type == "application")
                          .order_by(AuditEntry.seq.desc())).first()
        assert entry is not None
        assert (entry.action, entry.actor_role, entry.new_values["status"]) == (
            "admission.close_notice", "system", "awaiting_decision")


def test_close_ended_notices_job_in_process(ctx: Context, world: World) -> None:
    """The job function itself (what beat schedules), several notices at once."""
    add_provider(world, "provider2", body="52330106MJ0000003", name="西湖少儿合唱团")
    first = in_public_notice(ctx, world)
    second = in_public_notice(ctx, world, provider="provider2")
    assert jobs.close_ended_notices() == []
    clock.advance(dt.timedelta(days=(notice_end(ctx, first) - clock.today_local()).days + 1))
    assert sorted(jobs.close_ended_notices()) == sorted([first, second])
    with ctx.db.read_session() as s:
        closed = s.scalar(select(func.count()).select_from(Application).where(Application.status == "awaiting_decision"))
    assert closed == 2
    assert jobs.close_ended_notices() == []


def test_redelivered_notify_decision_running_concurrently_sends_once(ctx: Context, world: World) -> None:
    """acks_late means a message can be delivered twice; two copies may even run at the same time."""
    import threading

    from kehou.platform.admission import messages

    aid = awaiting_decision(ctx, world)
    with ctx.db.write_session() as s:
        decision.approve(ctx, s, world.actor("decider"), aid)
    start = threading.Barrier(6)
    sent: list[int] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait()
            with ctx.db.write_session() as s:
                sent.append(messages.notify_decision(s, aid))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and sorted(sent) == [0, 0, 0, 0, 0, 1]
    assert len(notifications(ctx)) == 1


def test_a_plugins_periodic_job_runs_in_the_worker(ctx: Context, world: World, celery_app: Celery) -> None:
    """The catalogue registers its own beat job (PeriodicTask.run); the worker runs it on the real broker."""
    from kehou.plugins.course_catalogue.models import Entry
    from tests import catalogue_setup as cs

    assert celery_app.conf.beat_schedule["catalogue-close-windows"]["task"] == "kehou.catalogue.close_windows"
    cat = cs.ready(world)
    clock.advance(dt.timedelta(days=3))  # the two-day selection window is over
    with worker(celery_app):
        assert celery_app.send_task("kehou.catalogue.close_windows").get(timeout=TIMEOUT) == 1
        assert celery_app.send_task("kehou.catalogue.close_windows").get(timeout=TIMEOUT) == 0
    with ctx.db.read_session() as s:
        assert {s.get(Entry, e).flag for e in cat.entries.values()} == {"undersized"}
