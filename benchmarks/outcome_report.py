"""The county term report at the scale of a big county: ``python -m benchmarks.outcome_report [options]``
(``--help``). Prints figures; asserts nothing.

Builds a synthetic county in PostgreSQL (``KEHOU_BENCH_OUTCOME_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/kehou_bench_outcome``; the database is dropped and created
again, then migrated): ``--schools`` schools with ``--students`` students in all (8% in a priority group),
``--entries`` course entries per school on a published menu for two terms, about 85% of the students in
one or two courses, a weekly lesson for every entry over the term (``--weeks``) with every enrolled
student's attendance (92% present), term bills with payments, waivers and refunds, parents' survey answers,
school ratings, complaints, patrols and incidents.

The county, providers, staff and offerings go through the real services (tests/factories, tests/catalogue_setup);
everything at volume is written with PostgreSQL COPY, ids assigned here and the sequences moved past them.
Then it times ``report.county_term`` (best and median of ``--runs``) and the Excel export of that report.
Target: the report in under 5 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from kehou.cli import demo
from kehou.cli.main import migrate
from kehou.platform.context import build_context
from kehou.platform.counties import services as counties
from kehou.settings import load_settings
from kehou.timeutil import utcnow
from tests import catalogue_setup as cs
from tests.factories import ADMIN, COUNTY, make_world

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/kehou_bench_outcome"
TERMS = (("2025-2026学年第二学期", dt.date(2026, 2, 23)), ("2026-2027学年第一学期", dt.date(2026, 9, 1)))
CATEGORIES = ["优秀传统文化", "体育艺术", "科普", "阅读", "劳动实践"]
PRIORITY = ["left_behind", "migrant", "hardship", "disabled"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="benchmarks.outcome_report", description="County term report at scale.")
    p.add_argument("--students", type=int, default=50_000)
    p.add_argument("--schools", type=int, default=40)
    p.add_argument("--entries", type=int, default=30, help="course entries per school and term")
    p.add_argument("--weeks", type=int, default=18, help="weekly lessons per entry in a term")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args(argv)


def recreate(url: str) -> None:
    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


def fresh_context(url: str, folder: Path) -> Any:
    """The PostgreSQL database at ``url`` dropped and created again, then :func:`bench_context` on it."""
    recreate(url)
    return bench_context(url, folder)


def bench_context(url: str, folder: Path) -> Any:
    """The database at ``url`` migrated; a context on it with files under ``folder``, no embedded worker and
    throwaway keys (the benchmarks' common set-up)."""
    base = load_settings()
    settings = dataclasses.replace(
        base, data_dir=folder, database=dataclasses.replace(base.database, url=url, pool_size=5),
        tasks=dataclasses.replace(base.tasks, embedded_worker=False),
        storage=dataclasses.replace(base.storage, local_root=folder / "files"),
        security=dataclasses.replace(base.security, secret_key="bench-" + "s" * 32, pii_key="bench-" + "p" * 32))
    migrate(settings)
    ctx = build_context(settings)
    with ctx.db.write_session() as s:  # this year and next as provisional where the calendar lacks them, as the demo
        demo.provisional_calendar(s)
        s.commit()
    return ctx


class Loader:
    """COPY rows into tables with ids assigned here; sequences are moved past them at the end."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.raw = ctx.db.engine.raw_connection()
        self.next: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    def first_id(self, table: str) -> int:
        if table not in self.next:
            with self.raw.cursor() as cur:
                cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
                self.next[table] = int(cur.fetchone()[0])
        return self.next[table]

    def copy(self, table: str, columns: list[str], rows: Any) -> int:
        start = n = self.first_id(table)
        with self.raw.cursor() as cur, cur.copy(f"COPY {table} (id, {', '.join(columns)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row((n, *row))
                n += 1
        self.raw.commit()
        self.next[table] = n
        self.counts[table] = self.counts.get(table, 0) + n - start
        return start

    def finish(self) -> None:
        with self.raw.cursor() as cur:
            for table, n in self.next.items():
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})")
                cur.execute(f"ANALYZE {table}")
        self.raw.commit()
        self.raw.close()


def build(ctx: Any, args: argparse.Namespace) -> str:
    rnd = random.Random(args.seed)
    world = make_world(ctx)
    cs.enable_catalogue(world)
    from tests import outcome_setup as ot

    ot.enable(world)
    for key in ("provider", "other_provider"):
        cs.admit(world, key)
    offerings = [(cs.offering(world, key, f"{cat}课程{i}", category=cat), key)
                 for i, cat in enumerate(CATEGORIES) for key in ("provider", "other_provider")]
    with ctx.db.write_session() as s:
        schools = [world.school_ids["school"]] + [
            counties.add_school(s, ADMIN, county_code=COUNTY, name=f"西湖第{i}小学", kind="primary", commit=False).id
            for i in range(2, args.schools + 1)]
        s.commit()
    from kehou.platform.providers.models import Staff

    with ctx.db.read_session() as s:
        instructor = {pid: sid for sid, pid in s.execute(select(Staff.id, Staff.provider_id).order_by(Staff.id.desc()))}
    now = utcnow()
    load = Loader(ctx)
    per_school = args.students // len(schools)
    student_start = load.first_id("student")
    seal = ctx.vault._fernet.encrypt  # priority groups are sealed at rest (kehou.platform.pii.SealedText)
    load.copy("student", ["school_id", "county_code", "student_no", "name", "grade", "class_name", "priority_sealed",
                          "created_at"],
              ((schools[i % len(schools)], COUNTY, f"S{i:07d}", f"学生{i}", 1 + i % 6, f"{1 + i % 8}班",
                seal((rnd.choice(PRIORITY) if rnd.random() < 0.08 else "").encode()), now)
               for i in range(per_school * len(schools))))
    students_of = {sch: [student_start + i for i in range(k, per_school * len(schools), len(schools))]
                   for k, sch in enumerate(schools)}
    term_name = TERMS[-1][0]
    for term, start in TERMS:
        end = start + dt.timedelta(weeks=args.weeks)
        menu0 = load.copy("course_menu", ["school_id", "county_code", "term_name", "term_start", "term_end", "service_start",
                                          "service_end", "homework_minutes", "opens_at", "closes_at", "status",
                                          "published_at", "created_at"],
                          ((sch, COUNTY, term, start, end, 930, 1060, 40, now, now, "published", now, now) for sch in schools))
        entries: list[tuple[int, int, int, int, int]] = []  # id, school, offering index, weekday, fee
        entry_rows = []
        next_entry = load.first_id("course_entry")
        for k, sch in enumerate(schools):
            for j in range(args.entries):
                oi = (k + j) % len(offerings)
                fee = 20000 + 1000 * (j % 11)
                entries.append((next_entry + len(entries), sch, oi, j % 5, fee))
                entry_rows.append((menu0 + k, sch, COUNTY, offerings[oi][0], world.provider_ids[offerings[oi][1]],
                                   instructor[world.provider_ids[offerings[oi][1]]], f"教室{j}", json.dumps([1, 2, 3, 4, 5, 6]),
                                   120, 0, fee, 2000, "open", now))
        load.copy("course_entry", ["menu_id", "school_id", "county_code", "offering_id", "provider_id", "instructor_id", "venue",
                                   "grades", "capacity", "enrolled", "fee_fen", "materials_fee_fen", "status", "created_at"],
                  entry_rows)
        by_school: dict[int, list[tuple[int, int, int, int, int]]] = {}
        for e in entries:
            by_school.setdefault(e[1], []).append(e)
        enrolled: list[tuple[int, int, int]] = []  # entry, student, fee
        for sch, kids in students_of.items():
            options = by_school[sch]
            for sid in kids:
                r = rnd.random()
                picks = rnd.sample(options, 2) if r < 0.35 else [rnd.choice(options)] if r < 0.85 else []
                enrolled.extend((e[0], sid, e[4]) for e in picks)
        enrol0 = load.copy("enrolment", ["entry_id", "student_id", "status", "source", "requested_at", "enrolled_at",
                                         "ended_reason"],
                           ((e, sid, "enrolled" if rnd.random() > 0.03 else "quit", "selection", now, now, "")
                            for e, sid, _ in enrolled))
        lesson0 = load.first_id("lesson")
        weeks = args.weeks
        load.copy("lesson", ["entry_id", "day", "start_min", "end_min", "status"],
                  ((e[0], start + dt.timedelta(weeks=w, days=e[3]), 960, 1020, "delivered")
                   for e in entries for w in range(weeks)))
        lesson_of = {e[0]: lesson0 + i * weeks for i, e in enumerate(entries)}
        load.copy("attendance", ["lesson_id", "student_id", "status", "reason", "marked_at", "parent_note"],
                  ((lesson_of[e] + w, sid, "present" if rnd.random() < 0.92 else ("absent" if rnd.random() < 0.5 else "leave"),
                    "", now, "") for e, sid, _ in enrolled for w in range(weeks)))
        # bills (one per served student), payments for 80%, a waiver on 5%, a refund on 2%
        owed: dict[int, int] = {}
        school_of = {sid: sch for sch, kids in students_of.items() for sid in kids}
        for _, sid, fee in enrolled:
            owed[sid] = owed.get(sid, 0) + fee + 2000
        bill0 = load.first_id("bill")
        bills = []
        for sid, total in owed.items():
            waiver = total // 2 if rnd.random() < 0.05 else 0
            bills.append((sid, total, waiver))
        load.copy("bill", ["reference", "county_code", "school_id", "student_id", "term_name", "kind", "collector", "status",
                           "policy_on", "policy", "course_fen", "materials_fen", "waiver_fen", "total_fen", "paid_fen", "due_on",
                           "issued_at"],
                  ((f"B{term[:4]}{i:08d}", COUNTY, school_of[sid], sid, term, "term", f"school:{school_of[sid]}", "open", start,
                    "{}", total - 2000, 2000, waiver, total - waiver, 0, start, now)
                   for i, (sid, total, waiver) in enumerate(bills)))
        load.copy("payment", ["bill_id", "gateway", "external_id", "amount_fen", "refunded_fen", "status", "payer_note",
                              "created_at"],
                  ((bill0 + i, "offline", f"P{term[:4]}{i:08d}", total - waiver,
                    (total - waiver) // 4 if rnd.random() < 0.02 else 0, "succeeded", "", now)
                   for i, (sid, total, waiver) in enumerate(bills) if total > waiver and rnd.random() < 0.8))
        # satisfaction: a parents' survey answered for 30% of the places, each school rating each provider
        survey = load.copy("outcome_survey", ["county_code", "term_name", "reason", "questions", "opens_at", "closes_at",
                                              "created_at"], [(COUNTY, term, "term_end", "[]", now, now, now)])
        entry_info = {e[0]: e for e in entries}
        load.copy("outcome_survey_response", ["survey_id", "enrolment_id", "respondent", "school_id", "provider_id", "entry_id",
                                              "answers", "score", "satisfied", "comment", "submitted_at"],
                  ((survey, enrol0 + i, "parent", entry_info[e][1], world.provider_ids[offerings[entry_info[e][2]][1]], e, "{}",
                    score, score >= 75, "", now)
                   for i, (e, _, _) in enumerate(enrolled) if rnd.random() < 0.3
                   for score in [rnd.choice((25, 50, 75, 75, 100, 100))]))
        rater = world.users["school_admin"].id
        load.copy("outcome_school_rating", ["survey_id", "school_id", "provider_id", "answers", "score", "comment", "rated_by",
                                            "rated_at"],
                  ((survey, sch, pid, "{}", rnd.choice((50, 75, 100)), "", rater, now)
                   for sch in schools for pid in world.provider_ids.values()))
        load.copy("outcome_complaint", ["tracking_code", "county_code", "school_id", "term_name", "source", "anonymous",
                                        "contact_name", "contact_phone_sealed", "category", "text", "status", "assign_by",
                                        "resolve_by",
                                        "investigation", "resolution", "visible_to_provider", "overdue_notified", "received_at",
                                        "resolved_at"],
                  ((f"C{term[:4]}{i:05d}", COUNTY, rnd.choice(schools), term, "parent", False, "", seal(b""), "teaching", "投诉",
                    status,
                    start, start + dt.timedelta(days=21), "", "", False, False, now - dt.timedelta(days=10),
                    now - dt.timedelta(days=rnd.randint(1, 9)) if status == "resolved" else None)
                   for i in range(300) for status in [rnd.choice(("resolved", "resolved", "received"))]))
        load.copy("outcome_patrol", ["county_code", "school_id", "provider_id", "entry_id", "term_name", "day", "inspector_id",
                                     "inspector_kind", "instructor_present", "instructor_matches", "on_topic", "non_academic",
                                     "safety_ok", "rating", "notes", "photos", "created_at"],
                  ((COUNTY, e[1], world.provider_ids[offerings[e[2]][1]], e[0], term, start, rater, "school", True, True, True,
                    True, True, 4, "", "[]", now) for e in entries[::3]))
        load.copy("outcome_incident", ["county_code", "school_id", "provider_id", "term_name", "occurred_at", "severity",
                                       "description", "injured", "actions_taken", "reported_by", "reported_at", "status",
                                       "closed_note"],
                  ((COUNTY, rnd.choice(schools), world.provider_ids["provider"], term, now, "minor", "擦伤", 0, "", rater, now,
                    "open", "") for _ in range(40)))
    load.finish()
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in load.counts.items()), flush=True)
    return term_name


def timed(fn: Any, runs: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    url = os.environ.get("KEHOU_BENCH_OUTCOME_URL") or DEFAULT_URL
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="kehou-bench-outcome-") as tmp:
        ctx = fresh_context(url, Path(tmp))
        from kehou.plugins.outcome_reporting import exports, report
        from kehou.plugins.outcome_reporting.models.reports import ReportJob  # noqa: F401  (the table exists)

        try:
            print(f"outcome report benchmark, database: {ctx.db.engine.url.render_as_string()}; {args.students:,} students "
                  f"in {args.schools} schools, {args.entries} entries each, {args.weeks}-week terms, 2 terms; "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
            t0 = time.perf_counter()
            term = build(ctx, args)
            print(f"1. synthetic county built in {time.perf_counter() - t0:.1f} s", flush=True)
            with ctx.db.read_session() as s:
                from kehou.plugins.course_catalogue.models import Attendance

                marks = s.scalar(select(func.count(Attendance.id)))
                best, median, r = timed(lambda: report.county_term(s, COUNTY, term), args.runs)
            t = r.total
            print(f"2. report.county_term ({marks:,} attendance marks): best {best:.2f} s, median {median:.2f} s over "
                  f"{args.runs} runs ({'meets' if best < 5 else 'MISSES'} the 5 s target)")
            print(f"   coverage {t.coverage}%, students served {t.students_served:,}/{t.students:,} ({t.students_rate}%), "
                  f"priority {t.priority_rate}%, enrolments {t.enrolments:,}, attendance {t.attendance_rate}%, "
                  f"satisfaction {t.satisfaction_mean} ({t.responses:,} answers), complaints {t.complaints}, "
                  f"collected {t.collected_fen / 100:,.2f} yuan, {len(r.schools)} schools, {len(r.history)} terms")
            xbest, xmedian, body = timed(lambda: exports.render(report.REPORT, "xlsx", r), 3)
            pbest, _, pdf = timed(lambda: exports.render(report.REPORT, "pdf", r), 3)
            print(f"3. xlsx export: best {xbest:.2f} s, median {xmedian:.2f} s ({len(body):,} bytes); "
                  f"pdf: best {pbest:.2f} s ({len(pdf):,} bytes)")
        finally:
            ctx.close()
    return 0


def dispatch() -> None:
    """``python -m benchmarks outcome [options]`` runs only this benchmark."""
    if sys.argv[1:2] == ["outcome"]:
        raise SystemExit(main(sys.argv[2:]))


if __name__ == "__main__":
    raise SystemExit(main())
