"""The CSRF token bound to the login session. Litestar's CSRF check (double submit) only asks that the form's
token match the ``kehou_csrf`` cookie and carry the server's HMAC; a token pair an attacker fetched for himself
and planted in a victim's browser (a cookie set from a sibling subdomain or over plain HTTP) would pass it.

So a login issues a fresh CSRF cookie and keeps its secret in the signed session cookie; from then on every
state-changing page request of that session must come with that very cookie (checked where the acting user is
resolved, :func:`kehou.web.deps.provide_actor`). A planted pair is refused (403 ``csrf_failed``), and a pair
planted before the login is replaced by it."""

from __future__ import annotations

from hmac import compare_digest
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_token

from kehou.errors import PermissionDenied

COOKIE = "kehou_csrf"
SESSION_KEY = "csrf"
SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def fresh(secret: str, *, secure: bool) -> tuple[str, Cookie]:
    """A new CSRF token for a new login session: (what the session keeps, the cookie to set)."""
    token = generate_csrf_token(secret=secret)
    return token[:CSRF_SECRET_LENGTH], Cookie(key=COOKIE, value=token, path="/", secure=secure, httponly=False,
                                              samesite="lax")


def check(request: Request[Any, Any, Any], session: dict[str, Any]) -> None:
    """Refuses a state-changing request whose CSRF cookie is not the one its login session was given."""
    bound = session.get(SESSION_KEY)
    if request.method in SAFE or not bound:
        return
    cookie = request.cookies.get(COOKIE, "")
    if not compare_digest(cookie[:CSRF_SECRET_LENGTH].encode(), str(bound).encode()):
        raise PermissionDenied("页面已过期或来源不明，请刷新页面后重试。", code="csrf_failed")
