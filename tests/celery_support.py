"""A real Celery worker for tests: an embedded worker thread on the test's filesystem broker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from kehou.platform.context import Context
from kehou.settings import Settings
from kehou.tasks import app as task_app


@pytest.fixture
def celery_app(settings: Settings, ctx: Context) -> Celery:
    return task_app.configure(settings, ctx)


@contextmanager
def worker(app: Celery) -> Iterator[None]:
    """The ping task is not registered, so no ping check."""
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30.0):
        yield
