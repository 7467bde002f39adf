"""Billing at the scale of one big school term: ``./dev bench billing [options]`` (``--help``). Prints figures.

One primary school, ``--students`` children (one parent each) in ``--entries`` weekly courses (Monday-Friday,
15:30 or 16:30, 60 minutes, 200-300 yuan + 20 yuan materials), every child in two courses on different days,
5% with a waiver. Timed, through the billing services: issuing the term bills (and a retry), offline payments
for half of them, the provider settlement of the first month, the term-end statements, reconciliation; then
the size of the ledger and whether it balances.

The county, provider, offerings, menu, students and waivers go through the real services (tests/catalogue_setup).
Written directly, for setup speed: parent accounts and guardian links, the enrolments (and ``Entry.enrolled``),
lesson check-ins and attendance. The database is a fresh SQLite file, or the empty PostgreSQL database named
by ``KEHOU_BENCH_DATABASE_URL`` (migrated here).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import logging
import math
import os
import pstats
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select, update

from benchmarks.outcome_report import bench_context
from kehou.platform.accounts.models import User
from kehou.platform.students import services as students
from kehou.platform.students.models import Guardian
from kehou.plugins.billing_cap import bills, ledger, payments, reconcile, settlement, statement
from kehou.plugins.billing_cap.models import Bill, LedgerEntry, LedgerTxn, SettlementLine
from kehou.plugins.course_catalogue.models import Attendance, Enrolment, Entry, Lesson
from kehou.timeutil import SHANGHAI, UTC, clock, utcnow
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import COUNTY, make_world

TERM = "压测学期"
TITLES = ["少儿软笔书法", "国画入门", "少儿足球", "篮球基础", "围棋", "中国象棋", "合唱", "民族舞", "创意美术", "剪纸"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="benchmarks billing", description="Billing benchmark: one school, one term.")
    p.add_argument("--students", type=int, default=2000)
    p.add_argument("--entries", type=int, default=40, help="course entries (one lesson a week each)")
    p.add_argument("--capacity", type=int, default=60, help="class size; raised when 2 x students seats do not fit")
    p.add_argument("--weeks", type=int, default=18, help="length of the term")
    p.add_argument("--waived", type=float, default=0.05, help="share of children with a waiver")
    p.add_argument("--absent", type=float, default=0.025, help="chance of one absence (plus 1%% absent 3 weeks running)")
    p.add_argument("--paid", type=float, default=0.5, help="share of bills paid through the offline gateway")
    p.add_argument("--profile", action="store_true", help="cProfile each timed step (timings inflated)")
    p.add_argument("--seed", type=int, default=20261124)
    args = p.parse_args(argv)
    if args.entries < 2 or args.entries % 5 == 1 or args.students < 1:  # child k takes entries k and k+1 (mod n)
        p.error("need students, and at least 2 entries, not 1 more than a multiple of 5 (two courses on different days)")
    return args


@contextlib.contextmanager
def timed(engine: Any, profile: bool) -> Iterator[dict[str, float]]:
    """Wall time, this process's CPU time, SQL statements and (--profile) the hottest kehou functions of a step."""
    out = {"sql": 0.0}

    def count(*_: Any) -> None:
        out["sql"] += 1

    event.listen(engine, "before_cursor_execute", count)
    prof = cProfile.Profile()
    t, cpu = time.perf_counter(), time.process_time()
    with prof if profile else contextlib.nullcontext():
        yield out
    out.update(s=time.perf_counter() - t, cpu=time.process_time() - cpu)
    event.remove(engine, "before_cursor_execute", count)
    if profile:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(r"kehou/|'execute' of|psycopg/cursor.py", 12)
        print("\n".join("      " + ln for ln in buf.getvalue().splitlines()[6:] if ln.strip()))


def took(t: dict[str, float]) -> str:
    return f"{t['s']:.2f} s (this process's CPU {t['cpu']:.2f} s, {t['sql']:,.0f} SQL statements)"


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f} yuan"


def setup(ctx: Any, args: argparse.Namespace) -> tuple[Any, int, dt.date]:
    """The school's term, courses and children, enrolled and partly waived. Returns (world, school id, term end)."""
    world = make_world(ctx)
    school, admin = world.school_ids["school"], world.actor("school_admin")
    today = clock.today_local()
    term_end = today + dt.timedelta(weeks=args.weeks)
    bs.put(world, "plugins.enabled", bs.PLUGINS)
    bs.put(world, "catalogue.term_calendar", [{"name": TERM, "start": today.isoformat(), "end": term_end.isoformat()}])
    cs.admit(world, "provider")
    staff = [cs.staff_id(world, "provider")] + [cs.add_instructor(world, "provider", f"压测老师{i}", f"33010619910202{i + 200}")
                                                for i in range(1, math.ceil(args.entries / 10))]
    menu = cs.menu(world)
    entries = []
    for i in range(args.entries):  # an instructor teaches 10 slots a week: 5 days x (15:30, 16:30)
        o = cs.offering(world, "provider", f"{TITLES[i % len(TITLES)]}（{i + 1}班）", fee_fen=20000 + 2500 * (i % 5),
                        capacity=args.capacity, instructor=staff[i // 10])
        entries.append(cs.place(world, menu, o, [(i % 5, ("15:30", "16:30")[i // 5 % 2])], capacity=args.capacity,
                                venue=f"教室{i + 1}"))
    cs.publish(world, menu)

    now = utcnow()
    with ctx.db.write_session() as s:
        kids = [students.add_student(s, admin, school, students.StudentInput(f"B{k:05d}", f"学生{k}", 1 + k % 6, "1班"),
                                     commit=False).id for k in range(args.students)]
        parents = [User(username=f"bench_parent_{k}", display_name=f"家长{k}", password_hash="!", role="parent",
                        county_code=COUNTY, school_id=school, created_at=now) for k in range(args.students)]
        s.add_all(parents)
        s.flush()
        s.add_all(Guardian(student_id=sid, user_id=u.id, relation="母亲", created_at=now)
                  for sid, u in zip(kids, parents, strict=True))
        # Child k takes entries k and k+1 (mod n): entry i meets on weekday i % 5, so never on the same day.
        s.execute(insert(Enrolment), [{"entry_id": entries[(k + j) % len(entries)], "student_id": sid, "status": "enrolled",
                                       "source": "selection", "requested_at": now, "enrolled_at": now, "ended_reason": ""}
                                      for k, sid in enumerate(kids) for j in (0, 1)])
        for e in entries:
            s.execute(update(Entry).where(Entry.id == e).values(
                enrolled=select(func.count()).where(Enrolment.entry_id == e).scalar_subquery()))
        s.commit()
    for k, sid in enumerate(kids[::max(1, round(1 / args.waived))] if args.waived else []):
        with ctx.db.write_session() as s:
            bills.record_waiver(ctx, s, admin, school, student_id=sid, term_name=TERM, tier=("free", "half")[k % 2],
                                evidence="低保证明 2026-001", reason="家庭经济困难")
    return world, school, term_end


def deliver(ctx: Any, since: dt.date, until: dt.date, rng: random.Random, p_absent: float,
            runs: set[tuple[int, int]]) -> tuple[int, int, int]:
    """Check in every lesson from ``since`` to ``until`` and mark every enrolled child; ``runs``: (entry, student)
    absent on the entry's first three lessons (a run of 14 days). Returns (lessons, marks, absences)."""
    def at(day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), SHANGHAI).astimezone(UTC)

    with ctx.db.write_session() as s:
        staff = dict(s.execute(select(Entry.id, Entry.instructor_id)).tuples().all())
        seats: dict[int, list[int]] = defaultdict(list)
        for entry_id, student_id in s.execute(select(Enrolment.entry_id, Enrolment.student_id)
                                              .where(Enrolment.status == "enrolled").order_by(Enrolment.id)):
            seats[entry_id].append(student_id)
        ordered: dict[int, list[int]] = defaultdict(list)
        for lesson_id, entry_id in s.execute(select(Lesson.id, Lesson.entry_id).order_by(Lesson.day, Lesson.start_min)):
            ordered[entry_id].append(lesson_id)
        todo = s.execute(select(Lesson.id, Lesson.entry_id, Lesson.day).where(
            Lesson.day >= since, Lesson.day <= until, Lesson.status == "scheduled").order_by(Lesson.id)).all()
        marks, absent = [], 0
        for lesson_id, entry_id, day in todo:
            for sid in seats[entry_id]:
                away = (entry_id, sid) in runs and lesson_id in ordered[entry_id][:3] or rng.random() < p_absent
                status = ("leave" if rng.random() < 0.3 else "absent") if away else "present"
                absent += away
                marks.append({"lesson_id": lesson_id, "student_id": sid, "status": status, "marked_at": at(day, 17),
                              "reason": "病假" if status == "leave" else "", "parent_note": ""})
        if todo:
            s.execute(update(Lesson), [{"id": lid, "status": "delivered", "staff_id": staff[eid], "checked_in_at": at(day, 15)}
                                       for lid, eid, day in todo])
            s.execute(insert(Attendance), marks)
        s.commit()
    return len(todo), len(marks), absent


def run(ctx: Any, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    world, school, term_end = setup(ctx, args)
    admin, today = world.actor("school_admin"), clock.today_local()
    with ctx.db.read_session() as s:
        pairs = [tuple(r) for r in s.execute(select(Enrolment.entry_id, Enrolment.student_id).order_by(Enrolment.id))]
    runs = set(rng.sample(pairs, max(1, len(pairs) // 100)))  # 1% of enrolments: absent three weeks running
    print(f"setup: {time.perf_counter() - t0:.1f} s ({len(pairs):,} enrolments inserted directly, Entry.enrolled set; "
          f"term {today} to {term_end})", flush=True)
    timer = partial(timed, ctx.db.engine, args.profile)

    for attempt in ("issue_for_school", "issue_for_school again (retry)"):
        with timer() as t, ctx.db.write_session() as s:
            res = bills.issue_for_school(ctx, s, admin, school, TERM)
        rate = f", {len(res.created) / t['s']:,.0f} bills/s" if res.created else ""
        print(f"1. {attempt}: {took(t)}, {len(res.created):,} bills created, {len(res.existing):,} existing{rate}", flush=True)

    with ctx.db.read_session() as s:
        ids = list(s.scalars(select(Bill.id).where(Bill.total_fen > 0).order_by(Bill.id)))
    paid = ids[::max(1, round(1 / args.paid))] if args.paid else []
    with timer() as t:
        for bill_id in paid:
            with ctx.db.write_session() as s:
                bill = payments.find_bill(s, bill_id=bill_id)
                payments.record_payment(s, admin, bill, gateway="offline", external_id=f"BANK{bill_id:08d}",
                                        amount_fen=bill.total_fen, note="银行转账")
                s.commit()
    print(f"   record_payment (offline) for {len(paid):,} bills, one transaction each: {took(t)}, "
          f"{len(paid) / max(t['s'], 1e-9):,.0f} payments/s", flush=True)

    month_end = today + dt.timedelta(days=29)
    lessons, marks, absent = deliver(ctx, today, month_end, rng, args.absent, runs)
    clock.advance(dt.timedelta(days=31))
    with timer() as t, ctx.db.write_session() as s:
        drafts = settlement.draft(ctx, s, admin, school, today, month_end)
        n_lines = s.scalar(select(func.count()).where(SettlementLine.settlement_id.in_([d.id for d in drafts])))
    print(f"2. settlement.draft {today}~{month_end} ({lessons:,} lessons delivered, {marks:,} marks, "
          f"{absent / max(marks, 1):.1%} absent): {took(t)}, {len(drafts)} settlement(s), {n_lines:,} lines, "
          f"{yuan(sum(d.amount_fen for d in drafts))}", flush=True)

    lessons, marks, absent = deliver(ctx, month_end + dt.timedelta(days=1), term_end, rng, args.absent, runs)
    clock.advance(dt.timedelta(days=(term_end - clock.today_local()).days + 1))
    with timer() as t, ctx.db.write_session() as s:
        made = statement.close_term(ctx, s, admin, school, TERM)
    print(f"3. close_term (rest of the term delivered first: {lessons:,} lessons, {marks:,} marks): {took(t)}, "
          f"{len(made):,} statements = {len(made) / t['s']:,.0f} statements/s; refunds "
          f"{yuan(sum(m.refund_fen for m in made))}, extra {yuan(sum(m.extra_fen for m in made))}", flush=True)

    for gateways in (False, True):
        with timer() as t, ctx.db.read_session() as s:
            report = reconcile.run(ctx, s, check_gateways=gateways)
        print(f"4. reconcile.run(check_gateways={gateways}): {took(t)}, {report.transactions:,} transactions, "
              f"{report.bills:,} bills, {report.payments:,} payments checked, {len(report.problems)} problems"
              + (f": {report.problems[:3]}" if report.problems else ""), flush=True)

    with ctx.db.read_session() as s:
        txns, entries = s.scalar(select(func.count(LedgerTxn.id))), s.scalar(select(func.count(LedgerEntry.id)))
        total = ledger.total(s)
    print(f"5. ledger: {txns:,} transactions, {entries:,} entries; total {total} fen "
          f"({'balances' if total == 0 else 'DOES NOT BALANCE'}); load average now {os.getloadavg()[0]:.1f}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.capacity * args.entries < 2 * args.students:
        needed = math.ceil(2 * args.students / args.entries)
        print(f"note: {args.entries} entries x {args.capacity} seats < {2 * args.students:,} enrolments; "
              f"capacity raised to {needed}")
        args.capacity = needed
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="kehou-bench-billing-") as tmp:
        folder = Path(tmp)
        url = os.environ.get("KEHOU_BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
        ctx = bench_context(url, folder)
        print(f"billing benchmark, database: {ctx.db.engine.dialect.name} ({ctx.db.engine.url.render_as_string()}); "
              f"{args.students:,} students, {args.entries} entries of capacity {args.capacity}, 2 courses each, "
              f"{args.weeks}-week term, {args.waived:.0%} waived, {args.paid:.0%} of bills paid; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
        try:
            run(ctx, args)
        finally:
            clock.reset()
            ctx.close()
    return 0


def dispatch() -> None:
    """``python -m benchmarks billing [options]`` runs only this benchmark."""
    if sys.argv[1:2] == ["billing"]:
        raise SystemExit(main(sys.argv[2:]))


if __name__ == "__main__":
    raise SystemExit(main())
