"""Celery tasks of the core platform. Each opens its own session."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.schedules import schedule


def notify_decision(application_id: int) -> int:
    from kehou.platform.admission import messages
    from kehou.tasks.app import get_context

    ctx = get_context()
    with ctx.db.write_session() as session:
        return messages.notify_decision(session, application_id)


def close_ended_notices() -> list[int]:
    from kehou.platform.admission import notice
    from kehou.tasks.app import get_context

    with get_context().db.write_session() as session:
        return notice.close_ended_notices(session)


def review_whitelist_expiry() -> list[int]:
    """Expire lapsed whitelist entries and remind providers whose admission ends soon."""
    from kehou.platform.admission import decision
    from kehou.tasks.app import get_context

    ctx = get_context()
    with ctx.db.write_session() as session:
        expired = decision.expire_whitelist(session)
        decision.remind_renewals(ctx, session)
        return expired


def vetting_run(run_id: int) -> str:
    from kehou.tasks.app import get_context
    from kehou.vetting import services as vetting
    from kehou.vetting.models import VettingRun

    ctx = get_context()
    with ctx.db.write_session() as session:
        # the run's row lock: a redelivered message waits for the first delivery, then finds the run done
        run = session.get(VettingRun, run_id, with_for_update=True, populate_existing=True)
        if run is None or run.status == "done":
            return "skipped"
        run.status = "running"
        try:
            vetting.execute(ctx, session, run)
            session.commit()
        except Exception as exc:
            session.rollback()
            run = session.get(VettingRun, run_id)
            if run is not None:
                run.status, run.error = "failed", str(exc)[:1000]
                session.commit()
            raise
        return run.status


def vetting_nightly() -> dict[str, int]:
    from kehou.tasks.app import get_context
    from kehou.vetting import monitor

    ctx = get_context()
    with ctx.db.write_session() as session:
        return monitor.nightly(ctx, session)


def exits_finalise_due() -> list[int]:
    """Carry out exits whose appeal window lapsed and voluntary exits whose day has come."""
    from kehou.platform.exits import services as exits
    from kehou.tasks.app import get_context

    ctx = get_context()
    with ctx.db.write_session() as session:
        return exits.finalise_due(ctx, session)


def exits_open_proposal(**proposal: Any) -> int:
    """Open the exit case an evaluation proposed (idempotent by the proposal's key)."""
    from kehou.platform.exits import proposals
    from kehou.tasks.app import get_context

    ctx = get_context()
    with ctx.db.write_session() as session:
        return proposals.open_case(ctx, session, proposal)


def audit_checkpoint() -> dict[str, int]:
    """Sign the audit chains' heads and publish the checkpoint (kehou/platform/audit/anchor.py)."""
    from kehou.platform.audit import anchor
    from kehou.tasks.app import get_context

    ctx = get_context()
    with ctx.db.read_session() as session:
        cp, _where = anchor.checkpoint(ctx.settings, session, ctx.storage)
    return {"chains": len(cp.heads), "entries": cp.entries}


def privacy_retention() -> int:
    """Remove or anonymise personal data past the county's retention periods (every category the job enforces)."""
    from kehou.platform.privacy import retention
    from kehou.tasks.app import get_context

    return retention.run_all(get_context())


TASKS = {
    "kehou.audit.checkpoint": audit_checkpoint,
    "kehou.privacy.retention": privacy_retention,
    "kehou.exits.finalise_due": exits_finalise_due,
    "kehou.exits.open_proposal": exits_open_proposal,
    "kehou.vetting.run": vetting_run,
    "kehou.vetting.nightly": vetting_nightly,
    "kehou.admission.notify_decision": notify_decision,
    "kehou.admission.close_ended_notices": close_ended_notices,
    "kehou.admission.review_whitelist_expiry": review_whitelist_expiry,
}


def beat_schedule_of(app: Celery, entry: Any) -> schedule | None:
    """When a ``PeriodicTask`` runs: its crontab at local times in the app's time zone (Asia/Shanghai), or
    every ``seconds`` from beat's start; None for a task run only when enqueued (e.g. by an event hook)."""
    from celery.schedules import crontab

    if getattr(entry, "crontab", None):
        minute, hour, day_of_month, month_of_year, day_of_week = entry.crontab.split()
        try:
            return crontab(minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year,
                           day_of_week=day_of_week, app=app)
        except ValueError as exc:
            raise ValueError(f"periodic task {entry.name!r}: bad crontab {entry.crontab!r}: {exc}") from exc
    return schedule(entry.seconds) if entry.seconds > 0 else None


def register(app: Celery) -> None:
    for name, fn in TASKS.items():
        app.task(name=name, acks_late=True)(fn)
    from kehou.plugin_manager import build_plugin_manager

    beat: dict[str, Any] = {}
    for answer in build_plugin_manager().hook.kehou_register_periodic_tasks():
        for entry in answer:
            when = beat_schedule_of(app, entry)
            if when is not None:
                beat[entry.name] = {"task": entry.task, "schedule": when, "kwargs": entry.kwargs}
            if entry.run is not None and entry.task not in app.tasks:
                app.task(name=entry.task, acks_late=True)(entry.run)
    app.conf.beat_schedule = beat
