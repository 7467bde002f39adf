"""Benchmarks: `./dev bench` (or `python -m benchmarks`). Prints figures; asserts nothing.

Runs on a fresh SQLite file with the demo data, or on PostgreSQL when
KEHOU_BENCH_DATABASE_URL is set (the database must be empty).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import logging

from kehou.app import create_app
from kehou.cli import demo
from kehou.cli.main import migrate
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import build_context
from kehou.settings import load_settings
from tests.browser import live_server


def _settings(folder: Path):  # type: ignore[no-untyped-def]
    base = load_settings()
    url = os.environ.get("KEHOU_BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    return dataclasses.replace(
        base, data_dir=folder, database=dataclasses.replace(base.database, url=url, pool_size=20),
        tasks=dataclasses.replace(base.tasks, embedded_worker=False),
        security=dataclasses.replace(base.security, secret_key="bench-" + "s" * 32, pii_key="bench-" + "p" * 32),
    )


def bench_audit(ctx, n: int = 2000, threads: int = 4) -> None:  # type: ignore[no-untyped-def]
    actor = Actor(user_id=1, username="bench", display_name="bench", role="county_staff", county_code="330106")

    def work(count: int) -> None:
        for _ in range(count):
            with ctx.db.write_session() as s:
                audit.record(s, actor, county_code="330108", action="bench.append", entity_type="bench", entity_id=1,
                             old={"v": 0}, new={"v": 1})
                s.commit()

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, [n // threads] * threads))
    elapsed = time.perf_counter() - start
    print(f"audit append, {threads} threads, one transaction each: {n / elapsed:,.0f} entries/s ({n} entries)")
    with ctx.db.read_session() as s:
        start = time.perf_counter()
        checked, problems = audit.verify(s)
        elapsed = time.perf_counter() - start
    print(f"audit verify: {checked:,} entries in {elapsed:.2f} s = {checked / elapsed:,.0f} entries/s, problems={len(problems)}")


def bench_http(ctx, path: str, requests: int = 2000, concurrency: int = 8) -> None:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    lock = threading.Lock()
    with live_server(create_app(ctx.settings, context=ctx)) as base:
        with httpx.Client(base_url=base) as warm:
            assert warm.get(path).status_code == 200

        def work(count: int) -> None:
            with httpx.Client(base_url=base) as client:
                for _ in range(count):
                    t0 = time.perf_counter()
                    resp = client.get(path)
                    dt = time.perf_counter() - t0
                    if resp.status_code != 200:
                        raise RuntimeError(f"{path}: {resp.status_code}")
                    with lock:
                        latencies.append(dt)

        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(work, [requests // concurrency] * concurrency))
        elapsed = time.perf_counter() - start
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(len(latencies) * 0.95)] * 1000
    print(f"GET {path}: {len(latencies) / elapsed:,.0f} req/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms "
          f"({len(latencies)} requests, {concurrency} clients, one uvicorn worker)")


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(Path(tmp))
        migrate(settings)
        ctx = build_context(settings)
        try:
            start = time.perf_counter()
            demo.load(ctx, only_if_empty=False)
            print(f"database: {ctx.db.engine.dialect.name}")
            print(f"demo data (22 providers through the workflow, 49 schools): {time.perf_counter() - start:.1f} s")
            bench_audit(ctx)
            bench_http(ctx, "/api/v1/public/counties/330106/whitelist")
            bench_http(ctx, "/public/330106")
        finally:
            ctx.close()


if __name__ == "__main__":
    main()
