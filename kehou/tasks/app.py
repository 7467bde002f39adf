"""The Celery app and after-commit enqueueing.

Embedded default: kombu's ``filesystem://`` broker (with an atomic put, see
``fsbroker``) under ``KEHOU_DATA_DIR`` with
``file://`` results, consumed by a real worker process that ``kehou serve``
starts. In production set ``KEHOU_BROKER_URL`` (Redis or RabbitMQ) and
``KEHOU_RESULT_BACKEND`` and run ``celery -A kehou.tasks.worker worker`` and
``beat`` (see docker-compose.yml).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery import Celery
from sqlalchemy.orm import Session

from kehou.settings import Settings, load_settings
from kehou.tasks import fsbroker

log = logging.getLogger(__name__)

VISIBILITY_TIMEOUT_S = 1800  # Redis: the longest task (a county's report export) takes minutes, not half an hour

_app: Celery | None = None
_context: Any = None


def make_celery(settings: Settings) -> Celery:
    app = Celery("kehou", include=["kehou.tasks.jobs"])
    conf: dict[str, Any] = {
        "broker_url": fsbroker.broker_url(settings.tasks.broker_url),
        "result_backend": settings.tasks.result_backend,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "timezone": settings.timezone,
        "enable_utc": True,
        # at-least-once: a message is acknowledged when its task has finished, a worker that dies (even by
        # SIGKILL) gives its message back, and a worker takes one message at a time
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # publishing fails fast when the broker is down: the outbox retries, the request does not wait
        "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5},
        "broker_connection_timeout": 3,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "task_always_eager": settings.tasks.eager,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "beat_schedule_filename": str(settings.data_dir / "celerybeat-schedule"),
    }
    if settings.tasks.broker_url.startswith("filesystem://"):
        folder = settings.data_dir / "broker"
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        conf["broker_transport_options"] = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.1,
        }
    if settings.tasks.broker_url.startswith(("redis://", "rediss://")):
        # an unacknowledged message goes back to the queue after this long: longer than the longest task
        conf["broker_transport_options"] = {"visibility_timeout": VISIBILITY_TIMEOUT_S}
    if settings.tasks.result_backend.startswith("file://"):
        Path(settings.tasks.result_backend[len("file://"):]).mkdir(parents=True, exist_ok=True)
    app.conf.update(conf)
    return app


def configure(settings: Settings, context: Any = None) -> Celery:
    """(Re)build the process's Celery app; ``context`` is the one tasks use."""
    global _app, _context
    _app = make_celery(settings)
    _context = context
    from kehou.tasks import jobs, maintenance

    jobs.register(_app)
    maintenance.register(_app)
    return _app


def get_app() -> Celery:
    if _app is None:
        configure(load_settings())
    assert _app is not None
    return _app


def get_context() -> Any:
    global _context
    if _context is None:
        from kehou.platform.context import build_context

        _context = build_context(load_settings())
    return _context


def enqueue(task_name: str, *, session: Session | None = None, **kwargs: Any) -> None:
    """Have a worker run ``task_name(**kwargs)``: written to the transactional outbox of ``session`` (or of
    the transaction an event hook runs in, see :func:`kehou.platform.outbox.services.within`), relayed to
    Celery once that commits. Without either, in a transaction of its own, committed before this returns."""
    from kehou.platform.outbox import services as outbox

    session = session or outbox.current_session()
    if session is not None:
        outbox.put(session, task_name, kwargs)
        return
    with get_context().db.write_session() as own:
        outbox.put(own, task_name, kwargs)
        own.commit()
