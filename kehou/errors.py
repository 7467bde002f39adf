"""Domain errors. Services raise these; the web edge alone maps them to HTTP.

Every error carries a stable machine ``code`` (snake_case, never changes once
released) and a ``message`` in Chinese for people. ``field`` names the input
that was wrong, where there is one.
"""

from __future__ import annotations

from typing import Any


class KehouError(Exception):
    status_code = 400
    code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.extra = extra or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.extra:
            body["extra"] = self.extra
        return body


class ValidationFailed(KehouError):
    """Input is malformed or breaks a rule (400)."""

    status_code = 400
    code = "validation_failed"


class NotAuthenticated(KehouError):
    status_code = 401
    code = "not_authenticated"


class PermissionDenied(KehouError):
    status_code = 403
    code = "permission_denied"


class NotFound(KehouError):
    """Also used for records of another tenant, so their existence is not leaked."""

    status_code = 404
    code = "not_found"


class Conflict(KehouError):
    """The record is not in a state that allows this (409)."""

    status_code = 409
    code = "conflict"


class TooManyRequests(KehouError):
    status_code = 429
    code = "too_many_requests"


class ServiceBusy(KehouError):
    """Too many requests in flight, or no database connection free in time (503, with ``Retry-After``)."""

    status_code = 503
    code = "server_busy"
    retry_after_s = 2

    def __init__(self, message: str = "当前访问人数较多，请稍后重试。", **kw: Any) -> None:
        super().__init__(message, **kw)
