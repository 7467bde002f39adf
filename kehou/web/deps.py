"""Request dependencies: the context, a database session, the acting user."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.orm import Session

from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import User
from kehou.platform.accounts.security import token_digest
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.web import csrf_binding

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def provide_ctx(state: State) -> Context:
    return state.ctx


async def provide_db(request: Request[Any, Any, Any], ctx: NamedDependency[Context]) -> AsyncGenerator[Session, None]:
    """A session per request. Async on purpose: opening is lazy (no connection until first use) and
    closing runs on the event loop, not in a thread hop. A sync generator's cleanup would wait for a
    thread of the loop's small default pool while holding a pooled connection; under load every
    such thread then waits for a connection and the worker deadlocks until the pool times out."""
    factory = ctx.db.read_session if request.method in SAFE_METHODS else ctx.db.write_session
    session = factory()
    try:
        yield session
    finally:
        session.close()


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


def provide_actor(request: Request[Any, Any, Any], ctx: NamedDependency[Context]) -> Actor:
    actor = _resolve_actor(request, ctx)
    who = request.scope.get("state", {}).get("kehou_who")
    if who is not None:  # for the access log (kehou.web.observe)
        who["user_id"], who["county"] = actor.user_id, actor.county_code
    return actor


def _resolve_actor(request: Request[Any, Any, Any], ctx: Context) -> Actor:
    """The acting user, resolved in a read session of its own that is closed before this returns: no
    connection is held while the request waits for the handler's thread, and a write request's session
    does not begin its write transaction (on SQLite: the write lock) just to authenticate. API tokens
    are looked up through the process's short token cache (:mod:`kehou.platform.accounts.tokencache`)."""
    ip = client_ip(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()

        def lookup() -> tuple[Actor, dt.datetime] | None:
            with ctx.db.read_session() as db:
                return accounts.actor_for_token(db, token, ip)

        return ctx.tokens.actor(token_digest(token), ip, lookup) or Actor.anonymous(ip)
    if request.url.path.startswith("/api/"):
        return Actor.anonymous(ip)  # programs use tokens; cookies would need CSRF
    data = request.session if "session" in request.scope else {}
    uid = data.get("uid") if data else None
    if uid is None:
        return Actor.anonymous(ip)
    csrf_binding.check(request, data)
    with ctx.db.read_session() as db:
        user = db.get(User, uid)
        if user is None or not user.is_active or user.session_version != data.get("sv"):
            request.clear_session()
            return Actor.anonymous(ip)
        return accounts.actor_for(user, ip)


# Explicit dependency and parameter annotations for handlers (Litestar 2.25+).
DB = NamedDependency[Session]
Ctx = NamedDependency[Context]
Who = NamedDependency[Actor]
