"""The platform's own housekeeping tasks: the outbox sweep (also run once when a worker starts), and
the request id carried from the request into the tasks it caused."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.schedules import schedule
from celery.signals import task_postrun, task_prerun, worker_ready
from prometheus_client import Counter

from kehou.requestctx import request_id

log = logging.getLogger(__name__)
TASK_RUNS = Counter("kehou_task_runs_total", "Celery task runs by task and outcome (success, failure, retry)",
                    ["task", "outcome"])

SWEEP_S = 30.0


def outbox_sweep() -> int:
    """Send every outbox message that is due (those the broker refused, or whose relay died)."""
    from kehou.platform.outbox import events
    from kehou.platform.outbox import services as outbox
    from kehou.tasks.app import get_context

    ctx = get_context()
    return events.sweep(ctx, ctx.db.write_session) + outbox.sweep(ctx.db.write_session)


def register(app: Celery) -> None:
    app.task(name="kehou.outbox.sweep", acks_late=True)(outbox_sweep)
    app.conf.beat_schedule = {**(app.conf.beat_schedule or {}),
                              "outbox-sweep": {"task": "kehou.outbox.sweep", "schedule": schedule(SWEEP_S)}}


@worker_ready.connect
def _sweep_at_start(**_: Any) -> None:
    """A worker coming up (e.g. after a broker outage) sends what waited meanwhile."""
    try:
        sent = outbox_sweep()
        if sent:
            log.info("outbox: sent %s waiting message(s) at worker start", sent)
    except Exception:
        log.exception("outbox: sweep at worker start failed")


@task_prerun.connect
def _request_id_in(task: Any = None, **_: Any) -> None:
    rid = getattr(getattr(task, "request", None), "kehou_request_id", None) or ""
    if not rid and task is not None:
        headers = getattr(task.request, "headers", None) or {}
        rid = headers.get("kehou_request_id", "") if isinstance(headers, dict) else ""
    request_id.set(str(rid))


@task_postrun.connect
def _request_id_out(task: Any = None, state: str | None = None, **_: Any) -> None:
    TASK_RUNS.labels(getattr(task, "name", "?"), (state or "unknown").lower()).inc()
    request_id.set("")
