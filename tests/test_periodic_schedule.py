"""Periodic jobs that belong to a time of day run at that local (Asia/Shanghai) time, whenever beat
started: `PeriodicTask(crontab=...)` becomes a Celery crontab in the app's time zone. Interval jobs
(every few minutes or hours) stay intervals, and plugins that give `seconds` work as before."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from celery import Celery
from celery.schedules import crontab, schedule

import kehou.plugin_manager as plugin_manager
from kehou.pluginapi import PeriodicTask, hookimpl
from kehou.settings import Settings
from kehou.tasks import jobs
from kehou.tasks.app import make_celery

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def _app(settings: Settings, monkeypatch: pytest.MonkeyPatch, *plugins: Any) -> Celery:
    if plugins:
        real = plugin_manager.build_plugin_manager
        monkeypatch.setattr(plugin_manager, "build_plugin_manager",
                            lambda **kw: real(extra=list(plugins)))
    app = make_celery(settings)
    jobs.register(app)
    return app


def _at(sched: Any, now: dt.datetime) -> Any:
    sched.nowfun = lambda: now
    return sched


def _plugin(make: Callable[[], list[PeriodicTask]]) -> types.ModuleType:
    module = types.ModuleType("kehou_schedule_test")
    module.kehou_register_periodic_tasks = hookimpl(make)  # type: ignore[attr-defined]
    return module


# the stated local times: docs/plugin_hooks.md ("When the bundled jobs run")
STATED = {
    "whitelist-expiry": ({5}, {0}, set(range(1, 32))),  # 00:05 every day
    "nightly-vetting": ({30}, {2}, set(range(1, 32))),  # 02:30 every day
    "billing-monthly-settlements": ({0}, {3}, {1}),  # 03:00 on the 1st
}


def test_daily_and_monthly_jobs_are_crontabs_at_the_stated_local_times(settings: Settings,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    beat = _app(settings, monkeypatch).conf.beat_schedule
    for name, (minute, hour, day_of_month) in STATED.items():
        sched = beat[name]["schedule"]
        assert isinstance(sched, crontab), name
        assert (sched.minute, sched.hour, sched.day_of_month) == (minute, hour, day_of_month), name
        assert sched.month_of_year == set(range(1, 13)) and sched.day_of_week == set(range(7)), name
        assert str(sched.tz) == "Asia/Shanghai", name
    assert beat["nightly-vetting"]["task"] == "kehou.vetting.nightly"
    assert beat["billing-monthly-settlements"]["task"] == "kehou.billing.monthly_settlements"
    # jobs run every few minutes or hours stay intervals
    for name, seconds in (("close-ended-notices", 600), ("exits-finalise-due", 3600), ("billing-issue-bills", 3600),
                          ("catalogue-promote-waitlists", 60)):
        assert type(beat[name]["schedule"]) is schedule and beat[name]["schedule"].run_every == dt.timedelta(seconds=seconds)
    # tasks run only when enqueued are registered, not scheduled
    assert "billing-exit-refunds" not in beat


def test_the_nightly_vetting_runs_at_half_past_two_local_time_whenever_beat_started(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    nightly = _app(settings, monkeypatch).conf.beat_schedule["nightly-vetting"]["schedule"]
    # beat started at 14:00: the first run is at 02:30 that night, not 24 hours later
    started = local(2026, 3, 10, 14, 0)
    assert _at(nightly, started).remaining_estimate(started) == dt.timedelta(hours=12, minutes=30)
    assert _at(nightly, local(2026, 3, 11, 2, 29, 59)).is_due(started)[0] is False
    due, next_in = _at(nightly, local(2026, 3, 11, 2, 30, 1)).is_due(started)
    assert due is True and next_in == pytest.approx(24 * 3600 - 1, abs=1)  # then again tomorrow at 02:30
    # a last run stored in UTC (02:30 in Shanghai is 18:30 UTC the day before) is read in local time
    last = dt.datetime(2026, 3, 10, 18, 30, tzinfo=dt.UTC)  # 2026-03-11 02:30 in Shanghai
    assert _at(nightly, local(2026, 3, 11, 12, 0)).remaining_estimate(last) == dt.timedelta(hours=14, minutes=30)
    assert _at(nightly, local(2026, 3, 12, 2, 30, 0)).is_due(last)[0] is True


def test_whitelist_expiry_runs_just_after_midnight_and_settlements_on_the_first(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    beat = _app(settings, monkeypatch).conf.beat_schedule
    expiry, monthly = beat["whitelist-expiry"]["schedule"], beat["billing-monthly-settlements"]["schedule"]
    last = local(2026, 3, 9, 0, 5)
    assert _at(expiry, local(2026, 3, 9, 23, 59)).remaining_estimate(last) == dt.timedelta(minutes=6)
    assert _at(expiry, local(2026, 3, 10, 0, 5, 2)).is_due(last)[0] is True
    last = local(2026, 3, 1, 3, 0)
    assert _at(monthly, local(2026, 3, 31, 23, 0)).remaining_estimate(last) == dt.timedelta(hours=4)
    assert _at(monthly, local(2026, 3, 15, 3, 0, 30)).is_due(last)[0] is False
    assert _at(monthly, local(2026, 4, 1, 3, 0, 30)).is_due(last)[0] is True
    # a beat that was down at 03:00 on the 1st runs the missed draft when it is back (its schedule file keeps the last run)
    assert _at(monthly, local(2026, 4, 2, 9, 0)).is_due(last)[0] is True


def test_a_plugin_may_give_a_crontab_or_seconds_as_before(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def remind(days: int = 7) -> int:
        return days

    plugin = _plugin(lambda: [
        PeriodicTask("music-remind", "music.remind", crontab="0 9 * * 1-5", kwargs={"days": 3}, run=remind),
        PeriodicTask("music-sync", "music.sync", 3600.0, {"full": False}),  # positional, as before
        PeriodicTask("music-on-event", "music.on_event", 0, run=remind),
    ])
    app = _app(settings, monkeypatch, plugin)
    beat = app.conf.beat_schedule
    remind_at = beat["music-remind"]["schedule"]
    assert isinstance(remind_at, crontab) and beat["music-remind"]["kwargs"] == {"days": 3}
    assert (remind_at.minute, remind_at.hour, remind_at.day_of_week) == ({0}, {9}, {1, 2, 3, 4, 5})
    friday = local(2026, 3, 13, 9, 0)  # next: Monday 09:00
    assert _at(remind_at, friday).remaining_estimate(friday) == dt.timedelta(days=3)
    assert "music.remind" in app.tasks and "music.on_event" in app.tasks
    assert beat["music-sync"]["schedule"].run_every == dt.timedelta(hours=1)
    assert beat["music-sync"]["kwargs"] == {"full": False}
    assert "music-on-event" not in beat


def test_a_crontab_that_cannot_be_read_is_refused_naming_the_job(settings: Settings,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="seconds or crontab"):
        PeriodicTask("both", "x.both", 60.0, crontab="0 3 * * *")
    with pytest.raises(ValueError, match="five fields"):
        PeriodicTask("short", "x.short", crontab="0 3 * *")
    plugin = _plugin(lambda: [PeriodicTask("music-late", "music.late", crontab="75 2 * * *")])
    with pytest.raises(ValueError, match="'music-late'.*75 2"):
        _app(settings, monkeypatch, plugin)
