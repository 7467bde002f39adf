"""What the current request (or task) is, for the logs and for the work it causes: set by the web
middleware from ``X-Request-ID`` (or made), and by the task runner from the message's header."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("kehou_request_id", default="")
user_id: ContextVar[int | None] = ContextVar("kehou_user_id", default=None)
county_code: ContextVar[str] = ContextVar("kehou_county_code", default="")
