"""Benchmarks: `./dev bench` (or `python -m benchmarks`). Prints figures; asserts nothing.

Runs on a fresh SQLite file with the demo data, or on PostgreSQL when
KEHOU_BENCH_DATABASE_URL is set (the database must be empty).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

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


def bench_vetting_run(ctx, n_staff: int = 50, extra_docs: int = 47, runs: int = 20) -> None:  # type: ignore[no-untyped-def]
    """A whole vetting run from the database: snapshot 50 staff and 150 documents, run every rule,
    store the findings (one transaction per run)."""
    from sqlalchemy import select

    from kehou.platform.admission.models import Application
    from kehou.platform.documents.models import Document
    from kehou.platform.providers.models import Provider, Staff
    from kehou.timeutil import clock, utcnow
    from kehou.vetting import services as vetting

    with ctx.db.write_session() as s:
        provider = s.query(Provider).filter(Provider.org_type == "private_non_enterprise").first()
        today = clock.today_local()
        staff = []
        for i in range(n_staff):
            sealed = ctx.vault.seal(f"33010619900101{i:03d}X")
            person = Staff(provider_id=provider.id, name=f"压测老师{i}", id_number_enc=sealed.ciphertext,
                           id_number_hash=sealed.keyed_hash, id_number_last4=sealed.last4,
                           qualification_type="professional_certificate", qualification_number=f"B{i:04d}",
                           criminal_record_issued_on=today - dt.timedelta(days=30), created_at=utcnow())
            s.add(person)
            staff.append(person)
        s.flush()

        def doc(doc_type: str, staff_id: int | None, n: int) -> Document:
            return Document(provider_id=provider.id, staff_id=staff_id, doc_type=doc_type, number=f"B{n:04d}",
                            valid_from=today - dt.timedelta(days=10), valid_to=today + dt.timedelta(days=800),
                            storage_key=f"bench/{n}", size=100, content_type="application/pdf", sha256=f"{n:064d}",
                            original_name="x.pdf", status="accepted", uploaded_at=utcnow())

        n = 0
        for person in staff:
            for doc_type in ("qualification_certificate", "criminal_record_certificate"):
                n += 1
                s.add(doc(doc_type, person.id, n))
        for _ in range(extra_docs):
            n += 1
            s.add(doc("safety_commitment", None, n))
        s.commit()
        docs = s.query(Document).filter(Document.provider_id == provider.id, Document.status == "accepted").count()
        staff_count = s.query(Staff).filter(Staff.provider_id == provider.id).count()
        app_id = s.scalars(select(Application.id).where(Application.provider_id == provider.id)).first()
    timings = []
    for _ in range(runs):
        with ctx.db.write_session() as s:
            start = time.perf_counter()
            run = vetting.new_run(s, provider_id=provider.id, county_code="330106", trigger="on_demand", application_id=app_id)
            findings = vetting.execute(ctx, s, run)
            s.commit()
            timings.append(time.perf_counter() - start)
    timings.sort()
    print(f"vetting run from the database, {staff_count} staff / {docs} documents / {len(findings)} findings: "
          f"median {statistics.median(timings) * 1000:.0f} ms, max {timings[-1] * 1000:.0f} ms ({runs} runs)")


def main() -> None:
    from benchmarks.selection_day import dispatch

    dispatch()  # `./dev bench selection-day [options]` runs only that benchmark
    from benchmarks.billing import dispatch as billing_dispatch

    billing_dispatch()  # `./dev bench billing [options]` runs only the billing benchmark
    from benchmarks.outcome_report import dispatch as outcome_dispatch

    outcome_dispatch()  # `./dev bench outcome [options]`: the 50,000-student county report (PostgreSQL)
    from benchmarks.lottery_publication import dispatch as lottery_dispatch

    lottery_dispatch()  # `./dev bench lottery [options]`: allocating and publishing a county's ranked lists (PostgreSQL)
    from benchmarks.retention import dispatch as retention_dispatch

    retention_dispatch()  # `./dev bench retention [options]`: the daily retention job over a big county (PostgreSQL)
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
            from benchmarks.vetting import bench_vetting_rules

            bench_vetting_rules()
            bench_vetting_run(ctx)
            bench_http(ctx, "/api/v1/public/counties/330106/whitelist")
            bench_http(ctx, "/public/330106")
        finally:
            ctx.close()


if __name__ == "__main__":
    main()
