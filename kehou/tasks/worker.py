"""Entry point for ``celery -A kehou.tasks.worker worker|beat``: JSON log lines (:mod:`kehou.logs`)."""

import sys
from typing import Any

from celery.signals import setup_logging

from kehou import logs
from kehou.settings import SettingsError
from kehou.tasks.app import get_app


@setup_logging.connect
def _json_logs(loglevel: Any = None, **_: Any) -> None:
    logs.configure(logging_level(loglevel))


def logging_level(level: Any) -> str:
    import logging

    return logging.getLevelName(level) if isinstance(level, int) else str(level or "INFO")


try:
    app = get_app()
except SettingsError as exc:  # a configuration mistake: say what, no traceback (as the kehou command does)
    print(f"kehou: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
