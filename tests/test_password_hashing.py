"""Password hashing cost from settings: tests hash cheaply, production keeps argon2's defaults, and a hash
made at another cost still verifies and is upgraded at the next login."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from kehou.platform.accounts import security
from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import User
from kehou.platform.context import build_context
from kehou.settings import load_settings
from tests.factories import PASSWORD, World


def _params(hash_: str) -> str:
    return hash_.split("$")[3]  # "m=...,t=...,p=..."


def test_production_defaults_are_argon2s_own(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("ARGON2_TIME_COST", "ARGON2_MEMORY_KIB", "ARGON2_PARALLELISM"):
        monkeypatch.delenv(f"KEHOU_{name}", raising=False)
    sec = load_settings().security
    assert (sec.argon2_time_cost, sec.argon2_memory_kib, sec.argon2_parallelism) == (3, 65536, 4)
    monkeypatch.setenv("KEHOU_ARGON2_TIME_COST", "5")
    assert load_settings().security.argon2_time_cost == 5


def test_test_settings_hash_at_the_cheapest_cost(ctx, world: World) -> None:
    with ctx.db.read_session() as s:
        stored = s.scalars(select(User.password_hash).where(User.username == "provider")).one()
    assert stored.startswith("$argon2id$") and _params(stored) == "m=8,t=1,p=1"


def test_a_hash_of_another_cost_verifies_and_is_upgraded_at_login(ctx, world: World) -> None:
    with ctx.db.read_session() as s:
        cheap = s.scalars(select(User.password_hash).where(User.username == "provider")).one()
    stronger = dataclasses.replace(ctx.settings, security=dataclasses.replace(
        ctx.settings.security, argon2_time_cost=2, argon2_memory_kib=1024, argon2_parallelism=2))
    other = build_context(stronger)
    try:
        assert security.verify_password(cheap, PASSWORD) and not security.verify_password(cheap, "wrong-password-1")
        assert security.needs_rehash(cheap)
        with other.db.write_session() as s:
            accounts.login(s, stronger.security, username="provider", password=PASSWORD, ip="127.0.0.1")
        with other.db.read_session() as s:
            upgraded = s.scalars(select(User.password_hash).where(User.username == "provider")).one()
        assert _params(upgraded) == "m=1024,t=2,p=2" and not security.needs_rehash(upgraded)
        with other.db.write_session() as s:  # the upgraded hash still logs in
            accounts.login(s, stronger.security, username="provider", password=PASSWORD, ip="127.0.0.1")
    finally:
        other.close()
        build_context(ctx.settings).close()  # back to the test cost for the rest of the session
