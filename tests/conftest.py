"""Test fixtures: a real database built by the migrations (SQLite by default,
PostgreSQL when KEHOU_TEST_DATABASE_URL is set), the real app, real Celery
settings on a per-test filesystem broker."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from kehou.app import create_app
from kehou.cli.main import migrate
from kehou.platform.context import Context, build_context
from kehou.settings import Settings, load_settings
from kehou.tasks import app as task_app
from kehou.timeutil import clock
from tests.factories import World, make_world

pytest_plugins = ["tests.celery_support"]  # the celery_app fixture

PG_URL = os.environ.get("KEHOU_TEST_DATABASE_URL", "")
#: The cheapest argon2id parameters argon2 accepts (one pass, 8 KiB, one lane): tests hash dozens of passwords.
CHEAP_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}


def _settings(data_dir: Path, db_url: str) -> Settings:
    base = load_settings()
    return dataclasses.replace(
        base,
        data_dir=data_dir,
        database=dataclasses.replace(base.database, url=db_url, pool_size=10),
        tasks=dataclasses.replace(
            base.tasks, broker_url="filesystem://", result_backend=f"file://{data_dir / 'results'}", embedded_worker=False
        ),
        storage=dataclasses.replace(base.storage, local_root=data_dir / "files"),
        security=dataclasses.replace(base.security, secret_key="test-secret-" + "x" * 32, pii_key="test-pii-" + "y" * 32,
                                     **CHEAP_ARGON2),
    )


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once; SQLite tests copy the file, PostgreSQL tests truncate."""
    if PG_URL:
        migrate(_settings(tmp_path_factory.mktemp("pg"), PG_URL))
        return PG_URL
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    migrate(_settings(folder, f"sqlite:///{path}"))
    return str(path)


def _pg_reset(ctx: Context) -> None:
    with ctx.db.engine.begin() as conn:
        conn.execute(text("SET session_replication_role = replica"))
        tables = [t for (t,) in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(text("SET session_replication_role = DEFAULT"))


@pytest.fixture
def settings(tmp_path: Path, template_db: str) -> Settings:
    if PG_URL:
        return _settings(tmp_path, PG_URL)
    db_path = tmp_path / "kehou.db"
    shutil.copy(template_db, db_path)
    return _settings(tmp_path, f"sqlite:///{db_path}")


@pytest.fixture
def ctx(settings: Settings) -> Iterator[Context]:
    context = build_context(settings)
    if PG_URL:
        _pg_reset(context)
    task_app.configure(settings, context)
    clock.reset()
    yield context
    clock.reset()
    context.close()


@pytest.fixture
def world(ctx: Context) -> World:
    return make_world(ctx)


@pytest.fixture
def client(ctx: Context) -> Iterator[TestClient]:
    app = create_app(ctx.settings, context=ctx)
    with TestClient(app=app, base_url="http://127.0.0.1") as tc:
        yield tc


@pytest.fixture
def ledger_balanced(ctx: Context) -> Iterator[None]:
    """Billing tests end on the ledger invariant: every transaction, and the whole ledger, sums to zero."""
    yield
    from tests.billing_setup import ledger_ok

    ledger_ok(ctx)
