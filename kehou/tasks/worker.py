"""Entry point for ``celery -A kehou.tasks.worker worker|beat``: JSON log lines (:mod:`kehou.logs`)."""

from typing import Any

from celery.signals import setup_logging

from kehou import logs
from kehou.tasks.app import get_app


@setup_logging.connect
def _json_logs(loglevel: Any = None, **_: Any) -> None:
    logs.configure(logging_level(loglevel))


def logging_level(level: Any) -> str:
    import logging

    return logging.getLevelName(level) if isinstance(level, int) else str(level or "INFO")


app = get_app()
