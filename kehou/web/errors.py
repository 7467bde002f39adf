"""The one place where errors become HTTP responses.

JSON under ``/api``: ``{"error": {"code", "message", "field"?}}`` with the
domain error's status. HTML pages: a form error goes back to the form with a
flash message (the summary at the top) and what was typed, which the page puts back in
the form with the error beside its field (``static/refill.js``); anything else renders
the error page.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.exceptions import ValidationException as LitestarValidation
from litestar.response import Redirect, Template
from litestar.utils.scope.state import ScopeState
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError

from kehou.errors import (
    Conflict,
    KehouError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ServiceBusy,
    ValidationFailed,
)

log = logging.getLogger(__name__)

#: Framework errors, in Chinese, with stable codes.
HTTP_MESSAGES = {
    405: ("不支持该请求方法。", "method_not_allowed"),
    413: ("提交的内容过大。", "request_too_large"),
    415: ("不支持该内容类型。", "unsupported_media_type"),
    429: ("请求过于频繁，请稍后再试。", "too_many_requests"),
}


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.startswith("/schema")


def _headers(err: KehouError) -> dict[str, str]:
    return {"Retry-After": str(err.retry_after_s)} if isinstance(err, ServiceBusy) else {}


def _json(err: KehouError) -> Response[Any]:
    return Response({"error": err.to_dict()}, status_code=err.status_code, media_type=MediaType.JSON, headers=_headers(err))


def flash(request: Request[Any, Any, Any], kind: str, message: str) -> None:
    if "session" in request.scope:
        msgs = list(request.session.get("flash", []))
        msgs.append([kind, message])
        request.session["flash"] = msgs[-5:]


#: never sent back to the browser: secrets and the CSRF token
_NOT_REFILLED = ("password", "_csrf_token", "secret", "token")
REFILL_MAX_CHARS = 2500  # the session is a signed cookie: keep what is typed, not an essay's worth


def _typed(request: Request[Any, Any, Any]) -> tuple[dict[str, Any], bool]:
    """What the failed form held (already parsed by the handler): text fields, and whether files came."""
    form = ScopeState.from_scope(request.scope).form
    if not isinstance(form, dict):
        return {}, False
    out: dict[str, Any] = {}
    files, used = False, 0
    for name, value in form.items():
        raw = value if isinstance(value, list) else [value]
        if any(not isinstance(v, str) for v in raw):
            files = True
            continue
        items = [str(v) for v in raw]
        if any(word in name.lower() for word in _NOT_REFILLED):
            continue
        used += sum(len(v) for v in items) + len(name)
        if used > REFILL_MAX_CHARS:
            break
        out[name] = items if isinstance(value, list) else value
    return out, files


def _html(request: Request[Any, Any, Any], err: KehouError) -> Response[Any]:
    if request.method == "POST" and err.status_code in (400, 409, 429) and "session" in request.scope:
        flash(request, "error", err.message)
        back = request.headers.get("referer") or request.url.path
        typed, files = _typed(request)
        field = err.field or ""
        if field.endswith("_fen") and field not in typed and f"{field[:-4]}_yuan" in typed:
            field = f"{field[:-4]}_yuan"  # the domain's money in fen is typed in yuan
        if typed or field:  # the page refills its form and puts the error beside the field (static/refill.js)
            request.session["refill"] = {"page": urlsplit(back).path, "action": request.url.path, "values": typed,
                                         "field": field, "message": err.message, "files": files}
        return Redirect(path=back, status_code=303)
    if isinstance(err, NotAuthenticated) and request.method == "GET":
        return Redirect(path=f"/login?next={request.url.path}", status_code=303)
    return Template(template_name="error.html", context={"error": err}, status_code=err.status_code,
                    headers=_headers(err))


def _out_of_range(exc: BaseException) -> bool:
    """A number the database cannot hold: PostgreSQL's numeric_value_out_of_range (SQLSTATE 22003) or
    SQLite's OverflowError, raised directly or wrapped by SQLAlchemy."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return False
        if isinstance(seen, OverflowError) or getattr(seen, "sqlstate", None) == "22003":
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def to_domain(exc: Exception) -> KehouError:
    if isinstance(exc, KehouError):
        return exc
    if isinstance(exc, PoolTimeout):  # every pooled connection busy for pool_timeout: busy, not broken
        log.warning("database pool timeout: %s", exc)
        return ServiceBusy()
    if isinstance(exc, (StaleDataError, IntegrityError)):
        return Conflict("记录已被他人修改，请刷新后重试。", code="concurrent_update")
    if _out_of_range(exc):  # an id or number beyond what the database stores (2147483648 on PostgreSQL, 2**63 SQLite)
        return ValidationFailed("数值超出允许范围。", code="value_out_of_range")
    if isinstance(exc, LitestarValidation):
        fields = []
        for item in exc.extra or []:
            if isinstance(item, dict):
                fields.append(str(item.get("key") or item.get("source") or ""))
        detail = "、".join(f for f in fields if f)
        return ValidationFailed(
            "提交的数据格式不正确" + (f"：{detail}" if detail else "") + "。",
            code="invalid_input", field=fields[0] if fields else None, extra={"detail": str(exc.detail)},
        )
    if isinstance(exc, NotFoundException):
        return NotFound("页面或资源不存在。")
    if isinstance(exc, NotAuthorizedException):
        return NotAuthenticated("请先登录。")
    if isinstance(exc, PermissionDeniedException):
        msg = "安全校验失败，请刷新页面后重试。" if "CSRF" in str(exc.detail) else "无权访问。"
        return PermissionDenied(msg, code="csrf_failed" if "CSRF" in str(exc.detail) else "permission_denied")
    if isinstance(exc, HTTPException):
        message, code = HTTP_MESSAGES.get(exc.status_code, ("请求无法处理。", "http_error"))
        err = KehouError(message, code=code, extra={"detail": str(exc.detail)})
        err.status_code = exc.status_code
        return err
    log.exception("unhandled error", exc_info=exc)
    err = KehouError("服务器内部错误，请稍后再试。", code="internal_error")
    err.status_code = 500
    return err


def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    err = to_domain(exc)
    return _json(err) if _is_api(request) else _html(request, err)
