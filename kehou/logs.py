"""Structured logs: one JSON object per line, with the time (UTC, ISO 8601), level, logger, message, and
the request id, user and county of the request (or task) that logged it. Used by ``kehou serve`` (uvicorn's
own loggers included; its access log is replaced by the middleware's, :mod:`kehou.web.observe`) and by
Celery workers started with ``-A kehou.tasks.worker``."""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
from typing import Any

from kehou.requestctx import county_code, request_id, user_id

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage(),
        }
        rid, uid, county = request_id.get(), user_id.get(), county_code.get()
        if rid:
            out["request_id"] = rid
        if uid is not None:
            out["user_id"] = uid
        if county:
            out["county"] = county
        for key, value in vars(record).items():  # extra={...} fields
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the whole process (also given to uvicorn as ``log_config``)."""
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access",
                                                                            "celery", "kombu")},
    }


def configure(level: str = "INFO") -> None:
    logging.config.dictConfig(config(level))
