"""One Litestar app per shape, reused by every test of the process and pointed at each test's context.

Building the app costs about 0.9 s (Litestar parses the signature of each of its ~570 handlers); what it is
built from — the security settings, debug and the registered plugins — is the same for almost every test,
while everything a test changes (the database, storage, broker, clock) lives in the context the handlers
read from ``app.state.ctx`` on every request. A test whose settings or plugins differ gets an app of its own.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from kehou.app import create_app
from kehou.platform.context import Context

_apps: dict[Any, Litestar] = {}


def _shape(ctx: Context) -> Any:
    plugins = tuple(sorted(name for name, _plugin in ctx.pm.list_name_plugin()))
    return ctx.settings.security, ctx.settings.server, ctx.settings.payments, plugins


def app_for(ctx: Context) -> Litestar:
    key = _shape(ctx)
    app = _apps.get(key)
    if app is None:
        app = _apps[key] = create_app(ctx.settings, context=ctx)
    app.state.ctx = ctx
    return app
