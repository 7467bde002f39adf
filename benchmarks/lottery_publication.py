"""The ranked-choice lottery end to end on PostgreSQL (issue 19): ``./dev bench lottery [options]`` or
``python -m benchmarks.lottery_publication [options]`` (``--help``). Prints figures; asserts nothing.

1. creates a throwaway database ``kehou_bench_lottery_<random>`` on the server of ``--pg`` (default
   ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``, or ``KEHOU_BENCH_PG_URL``), migrates it and loads
   the selection-day county (``benchmarks.selection_day.seed``: 40 schools, 50,000 students with a parent each,
   2,000 course entries with timetables) with every school's menu in ranked-lottery mode, its seed committed
   and its window closed; each child ranks ``--choices`` courses of their school and grade (Zipf popularity),
   5% are in a priority group;
2. times the allocation job (``runs.allocate_due``: every menu's draw and allocation with the county's rules and
   hooks, every decision stored) and the publication of every run (seats, enrolments, their events and the
   families' notifications written);
3. checks by SQL that no entry is over capacity, every entry's counter matches its enrolments and no child has
   two courses at one time, and prints the fill rates. Target: the draw under 10 s, everything under 60 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.engine import make_url

from benchmarks import selection_day

CHECKS = {
    "entries over capacity": "SELECT count(*) FROM course_entry WHERE enrolled > capacity",
    "entry counters off": """SELECT count(*) FROM course_entry e WHERE e.enrolled <> (SELECT count(*) FROM enrolment n
                             WHERE n.entry_id = e.id AND n.status = 'enrolled')""",
    "timetable clashes": """SELECT count(*) FROM enrolment a JOIN enrolment b ON a.student_id = b.student_id
                            AND a.entry_id < b.entry_id JOIN course_slot x ON x.entry_id = a.entry_id
                            JOIN course_slot y ON y.entry_id = b.entry_id AND x.weekday = y.weekday
                            AND x.start_min < y.end_min AND y.start_min < x.end_min""",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="benchmarks.lottery_publication", description="Ranked-choice lottery on PostgreSQL.")
    p.add_argument("--pg", default=os.environ.get("KEHOU_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--schools", type=int, default=40)
    p.add_argument("--students", type=int, default=50_000)
    p.add_argument("--entries", type=int, default=2_000)
    p.add_argument("--choices", type=int, default=3, help="courses each child ranks")
    p.add_argument("--zipf", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=20270301)
    p.add_argument("--quick", action="store_true", help="smoke run: 4 schools, 2,000 students, 200 entries")
    args = p.parse_args(argv)
    if args.quick:
        args.schools, args.students, args.entries = 4, 2_000, 200
    return args


def rank_everyone(ctx: Any, county: selection_day.County, n_choices: int, rng: random.Random) -> int:
    """Close every menu's window with its seed committed, and give every child a ranked list."""
    from kehou.platform.students.models import Student
    from kehou.plugins.course_catalogue.lottery import draw
    from kehou.plugins.course_catalogue.models import Menu, RankedChoice
    from kehou.timeutil import utcnow

    now = utcnow()
    rows: list[dict[str, Any]] = []
    with ctx.db.engine.begin() as conn:
        for (menu_id,) in conn.execute(select(Menu.id)):
            seed = draw.new_seed()
            conn.execute(update(Menu).where(Menu.id == menu_id).values(
                selection_mode="ranked_lottery", draw_seed=seed, draw_commitment=draw.commitment(seed),
                opens_at=now - dt.timedelta(days=3), closes_at=now - dt.timedelta(minutes=1)))
        for parent in county.parents:
            ids, weights = county.choices[parent.school_id][parent.grade]
            picked: list[int] = []
            while len(picked) < min(n_choices, len(ids)):
                entry_id = rng.choices(ids, weights)[0]
                if entry_id not in picked:
                    picked.append(entry_id)
            rows += [{"menu_id": parent.school_id, "student_id": parent.student_id, "entry_id": e, "rank": k + 1,
                      "saved_at": now, "saved_by": parent.student_id + 1} for k, e in enumerate(picked)]
        for i in range(0, len(rows), 5000):
            conn.execute(insert(RankedChoice.__table__), rows[i:i + 5000])
        priority = [p.student_id for p in county.parents if rng.random() < 0.05]
        conn.execute(update(Student).where(Student.id.in_(priority)).values(priority_group="left_behind"))
    with ctx.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    from kehou.cli.main import migrate
    from kehou.platform.actor import Actor
    from kehou.platform.context import build_context
    from kehou.platform.notifications.models import Notification
    from kehou.plugins.course_catalogue.lottery import runs
    from kehou.plugins.course_catalogue.models import AllocationRun, Enrolment, EnrolmentEvent
    from kehou.settings import load_settings

    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rng = random.Random(args.seed)
    admin_url = make_url(args.pg)
    name = f"kehou_bench_lottery_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory(prefix="kehou-bench-lottery-") as tmp:
            base, folder = load_settings(), Path(tmp)
            settings = dataclasses.replace(
                base, data_dir=folder,
                database=dataclasses.replace(base.database, url=admin_url.set(database=name).render_as_string(
                    hide_password=False), pool_size=5),
                tasks=dataclasses.replace(base.tasks, embedded_worker=False),
                storage=dataclasses.replace(base.storage, local_root=folder / "files"),
                security=dataclasses.replace(base.security, secret_key="bench-" + "s" * 32, pii_key="bench-" + "p" * 32))
            migrate(settings)
            ctx = build_context(settings)
            try:
                t = time.perf_counter()
                county = selection_day.seed(ctx, argparse.Namespace(entries=args.entries, schools=args.schools,
                                                                    students=args.students, zipf=args.zipf), rng)
                lists = rank_everyone(ctx, county, args.choices, rng)
                print(f"lottery on PostgreSQL ({name}): {args.schools} schools, {len(county.parents):,} children with "
                      f"{lists:,} ranked choices over {county.entries:,} entries ({county.seats:,} seats); loaded in "
                      f"{time.perf_counter() - t:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
                      flush=True)
                t = time.perf_counter()
                with ctx.db.write_session() as s:
                    menus = runs.allocate_due(ctx, s)
                allocated = time.perf_counter() - t
                school_admin = Actor.system("selection-publisher")
                t = time.perf_counter()
                with ctx.db.write_session() as s:
                    run_ids = s.scalars(select(AllocationRun.id).where(AllocationRun.status == "draft")).all()
                for run_id in run_ids:
                    with ctx.db.write_session() as s:
                        runs.publish(ctx, s, school_admin, run_id)
                published = time.perf_counter() - t
                with ctx.db.read_session() as s:
                    enrolled = s.scalar(select(func.count(Enrolment.id)))
                    events = s.scalar(select(func.count(EnrolmentEvent.id)))
                    told = s.scalar(select(func.count(Notification.id)))
                    decisions = sum(len(r.result["decisions"]) for r in s.scalars(select(AllocationRun)))
                    nothing = sum(1 for r in s.scalars(select(AllocationRun))
                                  for v in r.result["assigned"].values() if not v)
                    full = s.scalar(text("SELECT count(*) FROM course_entry WHERE enrolled = capacity"))
                    problems = {label: s.scalar(text(sql)) for label, sql in CHECKS.items()}
                total = allocated + published
                print(f"  allocation job, {menus} menus (draw, allocation, {decisions:,} decisions stored): {allocated:.1f} s")
                print(f"  publication of {len(run_ids)} runs ({enrolled:,} enrolments, {events:,} events, {told:,} "
                      f"notifications written): {published:.1f} s")
                print(f"  total {total:.1f} s ({'meets' if total < 60 else 'MISSES'} the 60 s target)")
                print(f"  seats filled {enrolled:,}/{county.seats:,} ({enrolled / county.seats:.0%}); courses full "
                      f"{full:,}/{county.entries:,}; children with nothing {nothing:,} ({nothing / len(county.parents):.1%})")
                print("  checks: " + ", ".join(f"{label} {n}" for label, n in problems.items()))
                return 1 if any(problems.values()) else 0
            finally:
                ctx.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def dispatch() -> None:
    """``python -m benchmarks lottery [options]`` runs only this benchmark."""
    if sys.argv[1:2] == ["lottery"]:
        raise SystemExit(main(sys.argv[2:]))


if __name__ == "__main__":
    raise SystemExit(main())
