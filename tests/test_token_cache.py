"""The per-process token cache: a burst costs one lookup per token, and revocation still takes effect
(at once through this process, within ``KEHOU_AUTH_CACHE_SECONDS`` through another)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, event, update

from kehou.platform.accounts.models import ApiToken, User
from kehou.platform.accounts.security import token_digest
from kehou.platform.context import Context, build_context
from kehou.settings import Settings
from kehou.tasks import app as task_app
from kehou.timeutil import clock, utcnow
from tests.apps import app_for
from tests.factories import make_world
from tests.helpers import err, ok, token_headers

TTL = 0.6


@pytest.fixture
def cached(settings: Settings) -> Iterator[tuple[Context, TestClient]]:
    ctx = build_context(dataclasses.replace(settings, security=dataclasses.replace(settings.security, auth_cache_s=TTL)))
    task_app.configure(ctx.settings, ctx)
    make_world(ctx)
    clock.reset()
    with TestClient(app=app_for(ctx), base_url="http://127.0.0.1") as tc:
        yield ctx, tc
    clock.reset()
    ctx.close()


def _count_token_queries(ctx: Context) -> list[str]:
    seen: list[str] = []

    @event.listens_for(ctx.db.engine, "before_cursor_execute")
    def _before(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "api_token" in statement:
            seen.append(statement)

    return seen


def _elsewhere(ctx: Context, stmt) -> None:  # type: ignore[no-untyped-def]
    """A change made by another process: its own engine, Core SQL, none of this process's ORM events."""
    engine = create_engine(ctx.settings.database.url)
    with engine.begin() as conn:
        conn.execute(stmt)
    engine.dispose()


def test_a_burst_looks_a_token_up_once(cached) -> None:  # type: ignore[no-untyped-def]
    ctx, client = cached
    headers = token_headers(client, "reviewer1")
    seen = _count_token_queries(ctx)
    for _ in range(20):
        assert ok(client.get("/api/v1/me", headers=headers))["username"] == "reviewer1"
    assert len(seen) == 1
    err(client.get("/api/v1/me", headers={"Authorization": "Bearer kh_forged"}), 401, "not_authenticated")
    err(client.get("/api/v1/me", headers={"Authorization": "Bearer kh_forged"}), 401, "not_authenticated")
    assert len(seen) == 3  # a refused token is never cached


def test_revoking_through_this_process_takes_effect_at_once(cached) -> None:  # type: ignore[no-untyped-def]
    _ctx, client = cached
    headers = token_headers(client, "reviewer1")
    ok(client.get("/api/v1/me", headers=headers))
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    err(client.get("/api/v1/me", headers=headers), 401, "not_authenticated")


def test_deactivating_a_user_in_this_process_takes_effect_at_once(cached) -> None:  # type: ignore[no-untyped-def]
    ctx, client = cached
    headers = token_headers(client, "reviewer1")
    ok(client.get("/api/v1/me", headers=headers))
    with ctx.db.write_session() as s:
        user = s.query(User).filter_by(username="reviewer1").one()
        user.is_active = False
        s.commit()
    err(client.get("/api/v1/me", headers=headers), 401, "not_authenticated")


@pytest.mark.parametrize("change", ["revoke", "deactivate"])
def test_a_change_made_by_another_process_takes_effect_within_the_ttl(cached, change: str) -> None:  # type: ignore[no-untyped-def]
    ctx, client = cached
    headers = token_headers(client, "reviewer1")
    token = headers["Authorization"][7:]
    ok(client.get("/api/v1/me", headers=headers))
    if change == "revoke":
        _elsewhere(ctx, update(ApiToken).where(ApiToken.token_hash == token_digest(token)).values(revoked_at=utcnow()))
    else:
        _elsewhere(ctx, update(User).where(User.username == "reviewer1").values(is_active=False))
    time.sleep(TTL + 0.2)
    err(client.get("/api/v1/me", headers=headers), 401, "not_authenticated")


def test_a_cached_token_is_never_trusted_past_its_expiry(cached) -> None:  # type: ignore[no-untyped-def]
    ctx, client = cached
    headers = token_headers(client, "reviewer1")
    ok(client.get("/api/v1/me", headers=headers))
    with ctx.db.read_session() as s:
        expires = s.query(ApiToken.expires_at).filter(
            ApiToken.token_hash == token_digest(headers["Authorization"][7:])).scalar()
    clock.advance(expires + dt.timedelta(seconds=1) - utcnow())
    err(client.get("/api/v1/me", headers=headers), 401, "not_authenticated")
