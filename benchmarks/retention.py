"""The daily retention job at the scale of a big county (issue 20): ``./dev bench retention [options]`` or
``python -m benchmarks.retention [options]`` (``--help``). Prints figures; asserts nothing.

1. builds the outcome benchmark's county in PostgreSQL (``benchmarks.outcome_report.build``: ``--students``
   students in ``--schools`` schools, two terms of weekly lessons with every attendance mark, bills, payments,
   waivers, survey answers, complaints, patrols) in ``KEHOU_BENCH_RETENTION_URL`` (default
   ``postgresql+psycopg://postgres@127.0.0.1:5432/kehou_bench_retention``; dropped and created again), and adds
   what retention removes: leave reasons and parents' notes on attendance, payers' notes, waiver evidence, quit
   reasons, complainants' names, survey comments, ``--views`` child-access rows, and the sixth-graders recorded
   as having left school at the end of the last term;
2. runs the daily job (``retention.run_all``) as of a day past every default period: the first run does the work
   (every category of the county at once), the second is the steady cost of a day with nothing due;
3. prints what each step removed, the times, and whether the county term report is the same before and after.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from benchmarks.outcome_report import build, fresh_context
from tests.factories import COUNTY

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/kehou_bench_retention"
#: what retention will find: free text about children and families written into the built county
PLANTED = {
    "attendance reasons": "UPDATE attendance SET reason = '发烧请假' WHERE status = 'leave'",
    "parents' attendance notes": "UPDATE attendance SET parent_note = '孩子那天发烧' WHERE id % 50 = 0",
    "payers' notes": "UPDATE payment SET payer_note = '家长转账' WHERE id % 3 = 0",
    "quit reasons": "UPDATE enrolment SET ended_reason = '时间冲突' WHERE status = 'quit'",
    "complainants": "UPDATE outcome_complaint SET contact_name = '投诉家长' WHERE status = 'resolved'",
    "survey comments": "UPDATE outcome_survey_response SET comment = '老师很耐心' WHERE id % 5 = 0",
    "departures": "UPDATE student SET left_on = (SELECT max(term_end) FROM course_menu), left_reason = 'graduated' "
                  "WHERE grade = 6",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="benchmarks.retention", description="The daily retention job at county scale.")
    p.add_argument("--students", type=int, default=50_000)
    p.add_argument("--schools", type=int, default=40)
    p.add_argument("--entries", type=int, default=30, help="course entries per school and term")
    p.add_argument("--weeks", type=int, default=18, help="weekly lessons per entry in a term")
    p.add_argument("--views", type=int, default=200_000, help="child-access log rows")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--quick", action="store_true", help="smoke run: 2,000 students in 4 schools, 8 weeks")
    args = p.parse_args(argv)
    if args.quick:
        args.students, args.schools, args.entries, args.weeks, args.views = 2_000, 4, 10, 8, 5_000
    return args


def plant(ctx: Any, views: int) -> dict[str, int]:
    """Write what retention removes into the built county; answers rows per kind."""
    out: dict[str, int] = {}
    with ctx.db.engine.begin() as conn:
        for label, sql in PLANTED.items():
            out[label] = conn.execute(text(sql)).rowcount
        out["waiver evidence"] = conn.execute(text(
            "INSERT INTO fee_waiver (county_code, school_id, student_id, term_name, tier, percent, evidence, recorded_at) "
            "SELECT county_code, school_id, student_id, term_name, 'hardship', 50, '低保证明', issued_at FROM bill "
            "WHERE waiver_fen > 0")).rowcount
        out["child-access rows"] = conn.execute(text(
            "INSERT INTO child_access (at, actor_id, actor_role, county_code, student_id, what, purpose) "
            "SELECT now(), (SELECT min(id) FROM app_user WHERE role = 'school_admin'), 'school_admin', :county, s.id, "
            "'roster', '学籍管理' FROM generate_series(1, :n) g JOIN student s ON s.id = (SELECT min(id) FROM student) "
            "+ g % (SELECT count(*) FROM student)"), {"county": COUNTY, "n": views}).rowcount
    with ctx.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return out


def figures(ctx: Any, term: str) -> dict[str, Any]:
    from kehou.plugins.outcome_reporting import report

    with ctx.db.read_session() as s:
        r = report.county_term(s, COUNTY, term)
    return {k: v for k, v in dataclasses.asdict(r).items() if k != "generated_at"}


def main(argv: list[str] | None = None) -> int:
    from kehou.platform.privacy import retention
    from kehou.platform.privacy.models import RetentionAction

    args = parse_args(sys.argv[1:] if argv is None else argv)
    url = os.environ.get("KEHOU_BENCH_RETENTION_URL") or DEFAULT_URL
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="kehou-bench-retention-") as tmp:
        ctx = fresh_context(url, Path(tmp))
        try:
            print(f"retention benchmark, database: {ctx.db.engine.url.render_as_string()}; {args.students:,} students in "
                  f"{args.schools} schools, {args.entries} entries each, {args.weeks}-week terms, 2 terms; load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
            t0 = time.perf_counter()
            term = build(ctx, args)
            planted = plant(ctx, args.views)
            print(f"1. county built and planted in {time.perf_counter() - t0:.1f} s: "
                  + ", ".join(f"{k} {n:,}" for k, n in planted.items()), flush=True)
            before = figures(ctx, term)
            with ctx.db.read_session() as s:
                last = s.scalar(text("SELECT max(term_end) FROM course_menu"))
            today = last.replace(year=last.year + 11)  # past every default period (billing: 10 years)
            t0 = time.perf_counter()
            touched = retention.run_all(ctx, today)
            first = time.perf_counter() - t0
            with ctx.db.read_session() as s:
                steps = s.execute(select(RetentionAction.category, RetentionAction.method, RetentionAction.students,
                                         RetentionAction.contacts, RetentionAction.records)
                                  .order_by(RetentionAction.id)).all()
            print(f"2. first run as of {today} (everything due): {first:.1f} s, {touched:,} children and records touched")
            for category, method, students, contacts, records in steps:
                print(f"   {category:<16} {method}: {students or records:,}" + (f" (accounts {contacts:,})" if contacts else ""))
            t0 = time.perf_counter()
            again = retention.run_all(ctx, today + dt.timedelta(days=1))
            print(f"3. the next day (nothing due): {time.perf_counter() - t0:.2f} s, {again} touched")
            after = figures(ctx, term)
            with ctx.db.read_session() as s:
                left = s.scalar(select(func.count()).select_from(text("attendance")).where(text("reason <> ''")))
            changed = [k for k in before if before[k] != after[k]]
            print(f"4. county term report {'unchanged' if not changed else 'CHANGED: ' + ', '.join(changed)}; "
                  f"attendance reasons left {left}")
            return 1 if changed else 0
        finally:
            ctx.close()


def dispatch() -> None:
    """``python -m benchmarks retention [options]`` runs only this benchmark."""
    if sys.argv[1:2] == ["retention"]:
        raise SystemExit(main(sys.argv[2:]))


if __name__ == "__main__":
    raise SystemExit(main())
