"""Test fixtures: a real database built by the migrations (SQLite by default,
PostgreSQL when KEHOU_TEST_DATABASE_URL is set), the real app, real Celery
settings on a per-test filesystem broker."""

from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from kehou.cli.main import migrate
from kehou.db import Database
from kehou.platform.context import Context, build_context
from kehou.settings import Settings, load_settings
from kehou.tasks import app as task_app
from kehou.timeutil import clock
from tests.apps import app_for
from tests.factories import SYSTEM, World, make_world

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


#: Years the chinesecalendar package does not know yet get a provisional (Monday to Friday) arrangement in the
#: test template, as a county would enter before the State Council's notice; calendar tests replace or remove it.
PROVISIONAL_YEARS = range(2027, 2032)


def _seed_test_calendar(settings: Settings) -> None:
    from kehou.platform.calendar import services as calendar

    db = Database(settings.database.url, pool_size=1)
    try:
        with db.write_session() as s:
            known = calendar.known_years(s)
            for year in PROVISIONAL_YEARS:
                if year not in known:
                    calendar.put_year(s, SYSTEM, year=year, status="provisional", source="", items=[],
                                      reason="测试：尚无国务院公布的安排", audited=False)
            s.commit()
    finally:
        db.dispose()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def _pg_admin(url: str) -> str:
    """A psycopg URL to the server's maintenance database."""
    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


def _pg_db(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _pg_exec(sql: str) -> None:
    with psycopg.connect(_pg_admin(PG_URL), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per test process into a template. SQLite tests copy the file; PostgreSQL tests get a database
    created from the template (CREATE DATABASE ... TEMPLATE: about 60 ms against 160 ms for truncating every table)."""
    folder = tmp_path_factory.mktemp("template")
    if PG_URL:
        name = f"{make_url(PG_URL).database}_tpl_{_worker()}"
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_exec(f'CREATE DATABASE "{name}"')
        url = _pg_db(PG_URL, name)
        migrate(_settings(folder, url))
        _seed_test_calendar(_settings(folder, url))
        yield name
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    path = folder / "template.db"
    migrate(_settings(folder, f"sqlite:///{path}"))
    _seed_test_calendar(_settings(folder, f"sqlite:///{path}"))
    yield str(path)


class _PgCopies:
    """Each PostgreSQL test gets its own database copied from the template. Copying (about 70 ms) and dropping
    (about 190 ms) run on a background thread, one copy ahead, while the previous test runs."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.counter = itertools.count()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-copies")
        self.ready: deque[Future[str]] = deque([self.pool.submit(self._copy)])

    def _copy(self) -> str:
        name = f"{make_url(PG_URL).database}_{_worker()}_{next(self.counter)}"
        _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def take(self) -> str:
        name = self.ready.popleft().result()
        self.ready.append(self.pool.submit(self._copy))
        return name

    def drop(self, name: str) -> None:
        self.pool.submit(_pg_exec, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for future in self.ready:
            self.drop(future.result())
        self.pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def pg_copies(template_db: str) -> Iterator[_PgCopies | None]:
    if not PG_URL:
        yield None
        return
    copies = _PgCopies(template_db)
    yield copies
    copies.close()


@pytest.fixture
def settings(tmp_path: Path, template_db: str, pg_copies: _PgCopies | None) -> Iterator[Settings]:
    if pg_copies is not None:
        name = pg_copies.take()
        yield _settings(tmp_path, _pg_db(PG_URL, name))
        pg_copies.drop(name)
        return
    db_path = tmp_path / "kehou.db"
    shutil.copy(template_db, db_path)
    yield _settings(tmp_path, f"sqlite:///{db_path}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """KEHOU_TEST_DATABASE_ONLY=1 (.ci/run's PostgreSQL pass) skips the tests that touch no database: they ran in
    the SQLite pass and would prove nothing new."""
    if not (PG_URL and os.environ.get("KEHOU_TEST_DATABASE_ONLY")):
        return
    skip = pytest.mark.skip(reason="touches no database; ran in the SQLite pass (KEHOU_TEST_DATABASE_ONLY is set)")
    for item in items:
        if "template_db" not in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.fixture
def ctx(settings: Settings) -> Iterator[Context]:
    context = build_context(settings)
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
    app = app_for(ctx)
    with TestClient(app=app, base_url="http://127.0.0.1") as tc:
        yield tc


@pytest.fixture
def ledger_balanced(ctx: Context) -> Iterator[None]:
    """Billing tests end on the ledger invariant: every transaction, and the whole ledger, sums to zero."""
    yield
    from tests.billing_setup import ledger_ok

    ledger_ok(ctx)
