"""Selection day (选课日): a whole county's parents enrolling at once through the HTTP API, on PostgreSQL.

    ./dev bench selection-day [--quick] [--students 50000 --schools 40 --entries 2000]
                              [--concurrency 64 --duration 60 --workers 2]
    uv run python -m benchmarks.selection_day --help

What it does, in one command:

1. creates a throwaway database ``kehou_bench_<random>`` on the PostgreSQL server of ``--pg``
   (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``, or ``KEHOU_BENCH_PG_URL``),
   migrates it and bulk-loads a synthetic county with SQLAlchemy Core: 40 schools, 2,000 course
   entries on published menus whose window is open now (several entries per weekday afternoon, so
   timetables can clash), 50,000 students with one parent user, guardian link and API token each;
   the course catalogue is switched on for the county through ``policy.put``;
2. runs enrolments one at a time in process (the real app, Litestar's TestClient): the SQL statements of
   one enrolment with their time, its PostgreSQL round trips (libpq trace), wall and CPU time per request;
3. starts the real server (``uvicorn --factory kehou.app:asgi``, ``--workers``) as a subprocess and
   drives it with ``--concurrency`` keep-alive HTTP/1.1 clients (a small asyncio client, far cheaper
   than httpx, because the load generator shares the machine). Each client takes the next parent,
   who tries to enrol the child in 1-3 courses of their school picked by popularity (Zipf within the
   school, ``--zipf``), moving on to the next choice on ``course_full`` / ``timetable_conflict``;
4. for the same duration and concurrency, drives an authenticated one-query GET (``--ceiling-path``,
   default ``/api/v1/me``: the token lookup) through the same middleware, as the ceiling;
5. checks the data by SQL: entries over capacity (or whose ``enrolled`` counter disagrees with the
   rows) and pairs of a student's active enrolments whose slots overlap. Both must be 0.

It prints committed enrolments/s, p50/p95/p99 latency, outcomes and errors, the CPU used by the server,
PostgreSQL, the load generator and anything else on the machine (read from /proc: the load generator
shares the cores), the ceiling and the ratio. ``--py-spy DIR`` samples the workers (GIL holders) during
the load. The server is started the way it is deployed: ``kehou serve --no-worker --workers N``
(uvicorn with TCP_NODELAY on every connection, see ``kehou/web/server.py``), logging at warning level.

201 counts as a committed enrolment; 200 (already enrolled) and 409 are valid answers; 5xx, other
statuses, timeouts and broken connections are errors. Exit status 1 when an integrity check fails
(or, with ``--strict``, when there were errors or a target was missed). The database is dropped at
the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import hashlib
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import Engine, make_url

COUNTY, CITY, PROVINCE = "330106", "330100", "330000"
TARGET_RATE, TARGET_P99_MS = 500.0, 300.0
SERVICE_START, SERVICE_END = 15 * 60 + 30, 17 * 60 + 40
SLOT_STARTS = (15 * 60 + 30, 16 * 60, 16 * 60 + 30)
SLOT_MINUTES = (45, 60, 70)
KIND_GRADES = {"primary": list(range(1, 7)), "junior": [7, 8, 9], "nine_year": list(range(1, 10))}
TITLES = ["少儿软笔书法", "国画入门", "少儿足球", "篮球基础", "围棋", "中国象棋", "合唱", "民族舞", "街舞", "科学小实验",
          "机器人编程", "航模", "创意美术", "陶艺", "剪纸", "阅读写作", "英语绘本戏剧", "乒乓球", "羽毛球", "跆拳道",
          "田径", "心理成长营", "劳动实践·种植", "手工木艺", "小主持人", "天文观测", "趣味数学思维", "书法硬笔", "葫芦丝", "武术"]


# --------------------------------------------------------------------------------------------- CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="selection_day", description="Selection-day enrolment benchmark (PostgreSQL).")
    p.add_argument("--pg", default=os.environ.get("KEHOU_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
                   help="a PostgreSQL URL whose user may CREATE DATABASE (the bench database is created beside it)")
    p.add_argument("--schools", type=int, default=40)
    p.add_argument("--students", type=int, default=50_000)
    p.add_argument("--entries", type=int, default=2_000, help="course entries in the county (spread over the schools)")
    p.add_argument("--zipf", type=float, default=1.0, help="popularity skew within a school (weight = 1/rank^s)")
    p.add_argument("--concurrency", type=int, default=64, help="simultaneous HTTP clients")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of enrolment load (and of the ceiling run)")
    p.add_argument("--parents", type=int, default=0, help="stop after this many parents (0: all, or until --duration)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    p.add_argument("--pool-size", type=int, default=20, help="KEHOU_DATABASE_POOL_SIZE per worker (overflow is as large)")
    p.add_argument("--ceiling-path", default="/api/v1/me",
                   help="the GET measured as the ceiling: an authenticated one-query API GET by default (/api/... sends a token)")
    p.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds")
    p.add_argument("--py-spy", metavar="DIR", default="",
                   help="sample every worker with py-spy (must be on PATH, e.g. `uv run --with py-spy ...`) during "
                        "the enrolment load; collapsed stacks are written to DIR")
    p.add_argument("--seed", type=int, default=20260901)
    p.add_argument("--keep", action="store_true", help="keep the database (and print its URL) instead of dropping it")
    p.add_argument("--no-probe", action="store_true", help="skip counting the SQL of one enrolment")
    p.add_argument("--strict", action="store_true", help="also exit 1 on errors or a missed target")
    p.add_argument("--burst", default="300,1000",
                   help="after the load: for each N, N requests at the same instant on one course with 30 free seats "
                        "('' or 0 to skip)")
    p.add_argument("--quick", action="store_true", help="smoke run: 4 schools, 2,000 students, 200 entries, 16 clients, 8 s")
    args = p.parse_args(argv)
    if args.quick:
        args.schools, args.students, args.entries = min(args.schools, 4), min(args.students, 2_000), min(args.entries, 200)
        args.concurrency, args.duration = min(args.concurrency, 16), min(args.duration, 8.0)
    if args.schools < 1 or args.students < args.schools or args.entries < args.schools:
        p.error("need at least one school, and at least as many students and entries as schools")
    return args


# ----------------------------------------------------------------------------------- the county


@dataclasses.dataclass
class Parent:
    student_id: int
    token: str
    school_id: int
    grade: int


@dataclasses.dataclass
class County:
    parents: list[Parent]
    # school -> grade -> ([entry ids], [weights]) in popularity order
    choices: dict[int, dict[int, tuple[list[int], list[float]]]]
    entries: int
    seats: int
    slots: int


def _chunks(rows: list[dict[str, Any]], n: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), n):
        yield rows[i:i + n]


def seed(ctx: Any, args: argparse.Namespace, rng: random.Random) -> County:
    """Bulk-load the county with Core inserts (explicit ids; sequences moved past them afterwards)."""
    from kehou.platform.accounts.models import ApiToken, User
    from kehou.platform.actor import Actor
    from kehou.platform.admission.models import Application, WhitelistEntry
    from kehou.platform.core_plugin import DEFAULT_CATEGORIES
    from kehou.platform.counties.models import Region, School
    from kehou.platform.policy import services as policy
    from kehou.platform.providers.models import Provider, Staff
    from kehou.platform.students.models import Guardian, Student
    from kehou.plugins.course_catalogue.models import Entry, Menu, Offering, Slot
    from kehou.timeutil import clock, utcnow

    now, today = utcnow(), clock.today_local()
    n_providers = max(1, min(60, args.entries // 30))

    regions = [{"code": PROVINCE, "name": "浙江省", "level": "province", "parent_code": None},
               {"code": CITY, "name": "杭州市", "level": "city", "parent_code": PROVINCE},
               {"code": COUNTY, "name": "西湖区", "level": "county", "parent_code": CITY}]
    kinds = (["primary"] * 13 + ["junior"] * 5 + ["nine_year"] * 2)
    schools = [{"id": i, "county_code": COUNTY, "name": f"压测第{i}学校", "kind": kinds[(i - 1) % len(kinds)], "student_count": 0}
               for i in range(1, args.schools + 1)]
    admin = {"id": 1, "username": "bench_admin", "display_name": "压测管理员", "password_hash": "!", "role": "platform_admin",
             "county_code": None, "is_active": True, "session_version": 1, "created_at": now}
    providers, applications, whitelist = [], [], []
    for i in range(1, n_providers + 1):
        providers.append({"id": i, "name": f"压测机构{i}", "uscc": f"91330106BENCH{i:05d}", "org_type": "private_non_enterprise",
                          "legal_rep_name": "法人", "legal_rep_id_enc": b"x", "legal_rep_id_hash": f"{i:064x}",
                          "legal_rep_id_last4": "0000", "contact_name": "联系人", "contact_phone": "13800000000",
                          "created_at": now, "updated_at": now})
        applications.append({"id": i, "provider_id": i, "county_code": COUNTY, "kind": "initial", "status": "approved",
                             "categories": DEFAULT_CATEGORIES, "statement": "", "proposed_courses": [], "decided_at": now,
                             "created_at": now, "updated_at": now})
        whitelist.append({"id": i, "provider_id": i, "county_code": COUNTY, "categories": DEFAULT_CATEGORIES, "valid_from": today,
                          "valid_until": today + dt.timedelta(days=365), "status": "active", "application_id": i,
                          "updated_at": now})
    term_end = today + dt.timedelta(days=120)
    menus = [{"id": s["id"], "school_id": s["id"], "county_code": COUNTY, "term_name": "压测学期", "term_start": today,
              "term_end": term_end, "service_start": SERVICE_START, "service_end": SERVICE_END, "homework_minutes": 40,
              "opens_at": now - dt.timedelta(minutes=5), "closes_at": now + dt.timedelta(days=2), "status": "published",
              "published_at": now, "created_at": now} for s in schools]

    staff, offerings, entries, slots = [], [], [], []
    by_school_grade: dict[int, dict[int, list[int]]] = {}
    seats = 0
    for n in range(args.entries):
        eid = n + 1
        school = schools[n % len(schools)]
        pid = (n % n_providers) + 1
        grades_all = KIND_GRADES[school["kind"]]
        width = rng.choice((2, 3, 3, 4)) if len(grades_all) > 3 else rng.choice((1, 2, 3))
        first = rng.randrange(0, max(1, len(grades_all) - width + 1))
        grades = grades_all[first:first + width]
        sessions = 2 if rng.random() < 0.3 else 1
        minutes = rng.choice(SLOT_MINUTES)
        capacity = rng.randint(20, 40)
        seats += capacity
        category = DEFAULT_CATEGORIES[n % len(DEFAULT_CATEGORIES)]
        title = f"{TITLES[n % len(TITLES)]}{eid}"
        staff.append({"id": eid, "provider_id": pid, "name": f"老师{eid}", "id_number_enc": b"x", "id_number_hash": f"{eid:064x}",
                      "id_number_last4": "0000", "qualification_type": "professional_certificate",
                      "qualification_number": f"B{eid:05d}", "criminal_record_issued_on": today - dt.timedelta(days=30),
                      "is_serving_teacher": False, "active": True, "created_at": now})
        offerings.append({"id": eid, "provider_id": pid, "county_code": COUNTY, "title": title, "category": category,
                          "description": "压测课程", "grades": grades, "sessions_per_week": sessions, "minutes": minutes,
                          "capacity": 40, "fee_fen": 30000, "materials_fee_fen": 0, "materials": [], "instructor_id": eid,
                          "school_requirements": "", "status": "approved", "review_reason": "", "created_at": now,
                          "updated_at": now})
        entries.append({"id": eid, "menu_id": school["id"], "school_id": school["id"], "county_code": COUNTY, "offering_id": eid,
                        "provider_id": pid, "instructor_id": eid, "venue": f"教室{eid}", "grades": grades, "capacity": capacity,
                        "enrolled": 0, "fee_fen": 30000, "materials_fee_fen": 0, "status": "open", "created_at": now})
        for weekday in rng.sample(range(5), sessions):
            start = rng.choice(SLOT_STARTS)
            slots.append({"entry_id": eid, "instructor_id": eid, "term_start": today, "term_end": term_end, "weekday": weekday,
                          "start_min": start, "end_min": min(start + minutes, SERVICE_END), "active": True})
        for g in grades:
            by_school_grade.setdefault(school["id"], {}).setdefault(g, []).append(eid)

    # Popularity: a random rank per entry within its school; weight 1/rank^s.
    weight: dict[int, float] = {}
    for school in schools:
        ids = [e["id"] for e in entries if e["school_id"] == school["id"]]
        rng.shuffle(ids)
        for rank, eid in enumerate(ids, start=1):
            weight[eid] = 1.0 / rank ** args.zipf
    choices: dict[int, dict[int, tuple[list[int], list[float]]]] = {}
    for school_id, grades_map in by_school_grade.items():
        for g, ids in grades_map.items():
            ranked = sorted(ids, key=lambda e: -weight[e])
            choices.setdefault(school_id, {})[g] = (ranked, [weight[e] for e in ranked])

    students, users, guardians, tokens, parents = [], [admin], [], [], []
    per_school = [args.students // len(schools) + (1 if i < args.students % len(schools) else 0) for i in range(len(schools))]
    sid = 0
    expires = now + dt.timedelta(days=30)
    for school, count in zip(schools, per_school, strict=True):
        grades_all = KIND_GRADES[school["kind"]]
        school["student_count"] = count
        for k in range(count):
            sid += 1
            uid = sid + 1
            grade = grades_all[k % len(grades_all)]
            token = f"kh_bench{sid}_{secrets.token_urlsafe(12)}"
            students.append({"id": sid, "school_id": school["id"], "county_code": COUNTY,
                             "student_no": f"B{school['id']}-{k:05d}", "name": f"学生{sid}", "grade": grade,
                             "class_name": f"{grade}年级{k % 8 + 1}班", "priority_sealed": None, "created_at": now})
            users.append({"id": uid, "username": f"bench_parent_{sid}", "display_name": f"家长{sid}", "password_hash": "!",
                          "role": "parent", "county_code": COUNTY, "school_id": school["id"], "is_active": True,
                          "session_version": 1, "created_at": now})
            guardians.append({"id": sid, "student_id": sid, "user_id": uid, "relation": "母亲", "created_at": now})
            tokens.append({"id": sid, "user_id": uid, "token_hash": hashlib.sha256(token.encode()).hexdigest(), "name": "bench",
                           "created_at": now, "expires_at": expires, "revoked_at": None})
            parents.append(Parent(sid, token, school["id"], grade))

    tables = [(Region, regions), (School, schools), (User, users), (Provider, providers), (Application, applications),
              (WhitelistEntry, whitelist), (Staff, staff), (Offering, offerings), (Menu, menus), (Entry, entries),
              (Slot, slots), (Student, students), (Guardian, guardians), (ApiToken, tokens)]
    with ctx.db.engine.begin() as conn:
        for model, rows in tables:
            for chunk in _chunks(rows):
                conn.execute(insert(model.__table__), chunk)
        for model, _ in tables:
            if model is Region:
                continue
            name = model.__tablename__
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                              f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"))
    with ctx.db.write_session() as s:  # through the service, as a county would
        root = Actor(user_id=1, username="bench_admin", display_name="压测管理员", role="platform_admin")
        policy.put(s, ctx.registry, root, scope=COUNTY, key="plugins.enabled", value=["course_catalogue"],
                   effective_from=today, reason="选课日压测")
    with ctx.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return County(parents=parents, choices=choices, entries=len(entries), seats=seats, slots=len(slots))


# ------------------------------------------------------------------------------------- the plans


@dataclasses.dataclass
class Plan:
    student_id: int
    head: bytes  # request line prefix ... up to the body
    want: int
    choices: list[int]


def make_plans(county: County, rng: random.Random, host: str) -> list[Plan]:
    """Each parent: how many courses they want (1-3) and their preferences, sampled by popularity
    without replacement (Efraimidis-Spirakis), a few more than wanted for when courses are full."""
    plans = []
    for p in county.parents:
        ids, weights = county.choices.get(p.school_id, {}).get(p.grade, ([], []))
        if not ids:
            continue
        want = rng.choices((1, 2, 3), weights=(3, 4, 3))[0]
        keyed = sorted(((rng.random() ** (1.0 / w), e) for e, w in zip(ids, weights, strict=True)), reverse=True)
        picks = [e for _, e in keyed[:want + 4]]
        head = (f"POST /api/v1/children/{p.student_id}/enrolments HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: Bearer {p.token}\r\nContent-Type: application/json\r\n").encode()
        plans.append(Plan(p.student_id, head, want, picks))
    rng.shuffle(plans)
    return plans


def enrol_request(plan: Plan, entry_id: int) -> bytes:
    body = b'{"entry_id":%d}' % entry_id
    return plan.head + b"Content-Length: %d\r\n\r\n" % len(body) + body


# ------------------------------------------------------------------------------ the HTTP client


class Conn:
    """One keep-alive HTTP/1.1 connection; just enough protocol for this server."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(self.timeout):
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                    self.writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                assert self.reader is not None
                self.writer.write(raw)
                head = await self.reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length, chunked, close = -1, False, False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"transfer-encoding":
                        chunked = b"chunked" in value.lower()
                    elif name == b"connection":
                        close = b"close" in value.lower()
                if chunked:
                    parts = []
                    while True:
                        size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                        parts.append(await self.reader.readexactly(size + 2))
                        if size == 0:
                            break
                    body = b"".join(p[:-2] for p in parts)
                elif length >= 0:
                    body = await self.reader.readexactly(length)
                else:
                    body, close = await self.reader.read(), True
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, body


@dataclasses.dataclass
class Tally:
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)
    latencies: list[float] = dataclasses.field(default_factory=list)
    committed_latencies: list[float] = dataclasses.field(default_factory=list)
    committed_at: list[float] = dataclasses.field(default_factory=list)
    error_samples: list[str] = dataclasses.field(default_factory=list)
    parents: int = 0
    satisfied: int = 0
    elapsed: float = 0.0

    def error(self, what: str) -> None:
        self.outcomes[f"error: {what}"] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def committed(self) -> int:
        return self.outcomes["201 created"]

    @property
    def errors(self) -> int:
        return sum(v for k, v in self.outcomes.items() if k.startswith("error"))


async def _timed(conn: Conn, raw: bytes, tally: Tally) -> tuple[int, bytes, float] | None:
    """One request: (status, body, finish time), its latency recorded; None (an error counted) when it failed."""
    start = time.perf_counter()
    try:
        status, body = await conn.request(raw)
    except TimeoutError:
        tally.error("timeout")
        status = 0
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        tally.error(type(exc).__name__)
        status = 0
    done = time.perf_counter()
    tally.latencies.append(done - start)
    return (status, body, done) if status else None


async def _enrol_client(conn: Conn, plans: Iterator[Plan], deadline: float, tally: Tally, t0: float) -> None:
    clock = time.perf_counter
    while clock() < deadline:
        plan = next(plans, None)
        if plan is None:
            return
        tally.parents += 1
        got = 0
        for entry_id in plan.choices:
            if got >= plan.want or clock() >= deadline:
                break
            answer = await _timed(conn, enrol_request(plan, entry_id), tally)
            if answer is None:
                continue
            status, body, done = answer
            if status == 201:
                got += 1
                tally.outcomes["201 created"] += 1
                tally.committed_latencies.append(tally.latencies[-1])
                tally.committed_at.append(done - t0)
            elif status == 200:
                got += 1
                tally.outcomes["200 already enrolled"] += 1
            elif 400 <= status < 500:
                try:
                    code = json.loads(body)["error"]["code"]
                except Exception:  # noqa: BLE001 - whatever it was, it is not the API's error shape
                    code = "?"
                if code in ("course_full", "timetable_conflict", "too_many_courses"):
                    tally.outcomes[f"{status} {code}"] += 1
                    if code == "too_many_courses":
                        break
                else:  # the parent's request was refused for a reason the scenario does not expect
                    tally.error(f"{status} {code}")
                    break
            else:
                tally.error(f"HTTP {status}: {body[:200]!r}")
        if got >= plan.want:
            tally.satisfied += 1


async def _get_client(conn: Conn, raw: bytes, deadline: float, tally: Tally) -> None:
    clock = time.perf_counter
    while clock() < deadline:
        answer = await _timed(conn, raw, tally)
        if answer is None:
            continue
        status, body, _ = answer
        if status == 200:
            tally.outcomes["200"] += 1
        else:
            tally.error(f"HTTP {status}: {body[:200]!r}")


def run_enrolment(host: str, port: int, plans: list[Plan], args: argparse.Namespace, duration: float) -> Tally:
    async def go() -> Tally:
        tally = Tally()
        it = iter(plans)
        conns = [Conn(host, port, args.timeout) for _ in range(args.concurrency)]
        t0 = time.perf_counter()
        deadline = t0 + duration
        await asyncio.gather(*(_enrol_client(c, it, deadline, tally, t0) for c in conns))
        tally.elapsed = time.perf_counter() - t0
        for c in conns:
            c.close()
        return tally

    return asyncio.run(go())


def run_get(host: str, port: int, raw: bytes, concurrency: int, duration: float, timeout: float) -> Tally:
    async def go() -> Tally:
        tally = Tally()
        conns = [Conn(host, port, timeout) for _ in range(concurrency)]
        t0 = time.perf_counter()
        await asyncio.gather(*(_get_client(c, raw, t0 + duration, tally) for c in conns))
        tally.elapsed = time.perf_counter() - t0
        for c in conns:
            c.close()
        return tally

    return asyncio.run(go())


# ---------------------------------------------------------------------------------- measurement


CLK_TCK = os.sysconf("SC_CLK_TCK")


def run_burst(host: str, port: int, url: str, county: County, host_header: str, n: int, timeout: float) -> str:
    """N enrolment requests released at one instant, each on a connection of its own, on one course given
    exactly 30 free seats; the children of the largest school-grade group, repeated when N is larger.
    Meanwhile a probe asks /healthz every 100 ms on fresh connections. Returns the report line."""
    groups: dict[tuple[int, int], list[Parent]] = {}
    for p in county.parents:
        groups.setdefault((p.school_id, p.grade), []).append(p)
    (school, grade), kids = max(groups.items(), key=lambda kv: len(kv[1]))
    entry = county.choices[school][grade][0][-(n % 7) - 1]  # a less popular course: it still has seats
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE course_entry SET capacity = enrolled + 30 WHERE id = :e"), {"e": entry})
            taken = set(conn.execute(text("SELECT student_id FROM enrolment WHERE entry_id = :e"), {"e": entry}).scalars())
    finally:
        engine.dispose()
    kids = [k for k in kids if k.student_id not in taken]
    raws = []
    for i in range(n):
        k = kids[i % len(kids)]
        body = b'{"entry_id":%d}' % entry
        raws.append((f"POST /api/v1/children/{k.student_id}/enrolments HTTP/1.1\r\nHost: {host_header}\r\n"
                     f"Authorization: Bearer {k.token}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n").encode() + body)

    async def go() -> tuple[Counter[str], list[float], list[float]]:
        outcomes: Counter[str] = Counter()
        times: list[float] = []
        health: list[float] = []
        gate = asyncio.Event()
        done = asyncio.Event()

        async def one(raw: bytes) -> None:
            conn = Conn(host, port, timeout)
            await gate.wait()
            t = time.perf_counter()
            try:
                status, body = await conn.request(raw)
                code = "" if status in (200, 201) else json.loads(body)["error"]["code"]
                outcomes[f"{status} {code}".strip()] += 1
            except Exception as exc:  # noqa: BLE001 - counted as what it was
                outcomes[f"error {type(exc).__name__}"] += 1
            times.append(time.perf_counter() - t)
            conn.close()

        async def probe_health() -> None:
            raw = f"GET /healthz HTTP/1.1\r\nHost: {host_header}\r\nConnection: close\r\n\r\n".encode()
            await gate.wait()
            while not done.is_set():
                conn = Conn(host, port, timeout)
                t = time.perf_counter()
                try:
                    status, _ = await conn.request(raw)
                    health.append(time.perf_counter() - t if status == 200 else float("inf"))
                except Exception:  # noqa: BLE001 - a failed health check counts as never answered
                    health.append(float("inf"))
                conn.close()
                await asyncio.sleep(0.1)

        tasks = [asyncio.create_task(one(r)) for r in raws]
        prober = asyncio.create_task(probe_health())
        await asyncio.sleep(0.5)
        gate.set()
        await asyncio.gather(*tasks)
        done.set()
        await prober
        return outcomes, times, health

    outcomes, times, health = asyncio.run(go())
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            cap, enrolled, rows = conn.execute(text(
                "SELECT e.capacity, e.enrolled, (SELECT count(*) FROM enrolment WHERE entry_id = e.id AND status = 'enrolled')"
                " FROM course_entry e WHERE e.id = :e"), {"e": entry}).one()
    finally:
        engine.dispose()
    worst = max(health) if health else float("nan")
    return (f"burst {n:,} at once on one course with 30 free seats ({len(kids)} children): "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items()))
            + f"; time to an answer {lat(times)}; /healthz slowest {worst * 1000:.0f} ms over {len(health)} probes"
            + f" ({'under' if worst < 1 else 'NOT under'} 1 s); seats {rows}/{cap} (counter {enrolled})"
            + ("" if rows == enrolled == cap else "  <- INTEGRITY"))


def _proc_stat(pid: int, reaped: bool = False) -> tuple[str, int, float] | None:
    """(comm, parent pid, cpu seconds) of a process (with ``reaped``, plus its waited-for children's),
    or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    comm = data[data.index("(") + 1:data.rindex(")")]
    fields = data[data.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return comm, int(fields[1]), ticks / CLK_TCK


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far: the server's processes, PostgreSQL's, this process, the whole machine."""
    server = postgres = 0.0
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _proc_stat(int(name))
            if st is not None:
                stats[int(name)] = st
    for pid, (comm, ppid, cpu) in stats.items():
        if pid == server_pid or ppid == server_pid:
            server += cpu
        elif comm.startswith("postgres"):
            if stats.get(ppid, ("",))[0].startswith("postgres"):
                postgres += cpu  # a backend or auxiliary process
            else:  # the postmaster: its own time and that of backends that have exited
                postgres += (_proc_stat(pid, reaped=True) or (comm, ppid, cpu))[2]
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    busy = (sum(parts) - parts[3] - parts[4]) / CLK_TCK
    me = os.times()
    return {"server": server, "postgres": postgres, "loadgen": me.user + me.system, "machine": busy,
            "wall": time.perf_counter()}


def cpu_delta(a: dict[str, float], b: dict[str, float]) -> str:
    wall = b["wall"] - a["wall"]
    cores = {k: (b[k] - a[k]) / wall for k in ("server", "postgres", "loadgen", "machine")}
    other = cores["machine"] - cores["server"] - cores["postgres"] - cores["loadgen"]
    return (f"CPU (cores of {os.cpu_count()}): server {cores['server']:.2f}, PostgreSQL {cores['postgres']:.2f}, "
            f"load generator {cores['loadgen']:.2f}, anything else {max(0.0, other):.2f} "
            f"(whole machine {cores['machine']:.2f})")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def lat(values: list[float]) -> str:
    return (f"p50 {pct(values, 0.50):.1f} ms, p95 {pct(values, 0.95):.1f} ms, p99 {pct(values, 0.99):.1f} ms, "
            f"max {pct(values, 1.0):.1f} ms")


def probe(settings: Any, spares: list[Plan]) -> str:
    """Enrolments one at a time, in process (the real app through Litestar's TestClient, no concurrency):
    the SQL statements of one enrolment with their time, round trips to PostgreSQL counted by libpq's
    trace (extended-protocol batches and simple queries such as BEGIN/COMMIT), wall and CPU time per
    request; the same for GET /healthz."""
    from litestar.testing import TestClient

    from kehou.app import create_app
    from kehou.platform.context import build_context

    ctx = build_context(dataclasses.replace(settings, database=dataclasses.replace(settings.database, pool_size=2)))
    statements: list[tuple[str, float]] = []
    trace = tempfile.NamedTemporaryFile("w+", suffix=".pqtrace", delete=False)
    traced: list[Any] = []

    @event.listens_for(ctx.db.engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    @event.listens_for(ctx.db.engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        statements.append((" ".join(statement.split())[:100], time.perf_counter() - conn.info.pop("bench_t0")))

    @event.listens_for(ctx.db.engine, "checkout")
    def _trace(dbapi_conn: Any, rec: Any, proxy: Any) -> None:
        if dbapi_conn not in traced:
            dbapi_conn.pgconn.trace(trace.fileno())
            traced.append(dbapi_conn)

    def token(plan: Plan) -> str:
        return plan.head.split(b"Authorization: Bearer ")[1].split(b"\r\n")[0].decode()

    def measure(
        client: Any, call: Any, n: int
    ) -> tuple[list[float], list[float], float, list[list[tuple[str, float]]], Counter[int]]:
        walls, sqls, per, codes = [], [], [], Counter()
        cpu0 = sum(os.times()[:2])
        for i in range(n):
            k = len(statements)
            t0 = time.perf_counter()
            codes[call(client, i)] += 1
            walls.append(time.perf_counter() - t0)
            sqls.append(sum(d for _, d in statements[k:]))
            per.append(statements[k:])
        return walls, sqls, (sum(os.times()[:2]) - cpu0) / n, per, codes

    def enrol(client: Any, i: int) -> int:
        plan = spares[2 + i]
        return client.post(f"/api/v1/children/{plan.student_id}/enrolments", json={"entry_id": plan.choices[0]},
                           headers={"Authorization": f"Bearer {token(plan)}"}).status_code

    def health(client: Any, i: int) -> int:
        return client.get("/healthz").status_code

    n = len(spares) - 2
    try:
        with TestClient(app=create_app(settings, context=ctx), base_url="http://127.0.0.1") as client:
            client.get("/healthz")  # connect, warm
            first = spares[0]
            client.post(f"/api/v1/children/{first.student_id}/enrolments", json={"entry_id": first.choices[0]},
                        headers={"Authorization": f"Bearer {token(first)}"})  # compile the statements
            size0, k0 = os.fstat(trace.fileno()).st_size, len(statements)
            one = spares[1]
            status = client.post(f"/api/v1/children/{one.student_id}/enrolments", json={"entry_id": one.choices[0]},
                                 headers={"Authorization": f"Bearer {token(one)}"}).status_code
            size1, traced_stmts = os.fstat(trace.fileno()).st_size, statements[k0:]
            e_wall, e_sql, e_cpu, e_per, e_codes = measure(client, enrol, n)
            h_wall, h_sql, h_cpu, _, h_codes = measure(client, health, n)
    finally:
        for c in traced:
            try:
                c.pgconn.untrace()
            except Exception:  # noqa: BLE001
                pass
        ctx.close()
    with open(trace.name) as f:
        f.seek(size0)
        lines = f.read(size1 - size0).splitlines()
    os.unlink(trace.name)
    front = [ln.split("\t") for ln in lines if "\tF\t" in ln]
    trips = sum(1 for parts in front if len(parts) > 3 and parts[3] in ("Sync", "Query"))
    simple = [parts[4].strip().strip('"')[:40] for parts in front if len(parts) > 4 and parts[3] == "Query"]

    def med(xs: list[float]) -> float:
        return sorted(xs)[len(xs) // 2] * 1000 if xs else float("nan")

    same = [p for p in e_per if len(p) == len(traced_stmts)]
    extra = ", ".join("';' (pool pre-ping)" if q == ";" else q for q in simple) or "none"
    out = [f"in process, one request at a time ({n} of each, Litestar TestClient, no concurrency):",
           (f"  POST enrolment: HTTP {dict(e_codes)}; {len(traced_stmts)} SQL statements, {trips} round trips to "
            f"PostgreSQL (the statements plus {extra}); median {med(e_wall):.1f} ms wall, "
            f"{med(e_sql):.1f} ms of it inside SQL; {e_cpu * 1000:.1f} ms CPU per request (this process, client included)"),
           (f"  GET /healthz:   HTTP {dict(h_codes)}; median {med(h_wall):.1f} ms wall, {med(h_sql):.1f} ms inside SQL; "
            f"{h_cpu * 1000:.1f} ms CPU per request"),
           f"  the statements of one enrolment (HTTP {status}), median ms each:"]
    out += [f"    {i + 1:2d}. {med([p[i][1] for p in same]):5.2f}  {stmt}" for i, (stmt, _) in enumerate(traced_stmts)]
    return "\n".join(out)


# ------------------------------------------------------------------------------- checks by SQL


OVER_CAPACITY = """
SELECT count(*) FILTER (WHERE coalesce(c.n, 0) > e.capacity OR e.enrolled > e.capacity) AS over,
       count(*) FILTER (WHERE e.enrolled <> coalesce(c.n, 0)) AS drift
FROM course_entry e
LEFT JOIN (SELECT entry_id, count(*) AS n FROM enrolment WHERE status = 'enrolled' GROUP BY entry_id) c ON c.entry_id = e.id
"""

CONFLICTS = """
SELECT count(DISTINCT (a.id, b.id))
FROM enrolment a
JOIN enrolment b ON b.student_id = a.student_id AND b.id > a.id AND b.status IN ('enrolled', 'waitlisted')
JOIN course_slot sa ON sa.entry_id = a.entry_id AND sa.active
JOIN course_slot sb ON sb.entry_id = b.entry_id AND sb.active
 AND sb.weekday = sa.weekday AND sa.start_min < sb.end_min AND sb.start_min < sa.end_min
WHERE a.status IN ('enrolled', 'waitlisted')
"""

SUMMARY = """
SELECT (SELECT count(*) FROM enrolment WHERE status = 'enrolled'),
       (SELECT count(*) FROM enrolment_event WHERE action = 'enrol'),
       (SELECT count(*) FROM course_entry WHERE enrolled >= capacity),
       (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM enrolment
          WHERE status IN ('enrolled', 'waitlisted') GROUP BY student_id) t)
"""


# ------------------------------------------------------------------------------------- the run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(args: argparse.Namespace, url: str, folder: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    env = dict(os.environ)
    env.update({
        "KEHOU_DATABASE_URL": url, "KEHOU_DATABASE_POOL_SIZE": str(args.pool_size), "KEHOU_DATA_DIR": str(folder),
        "KEHOU_SECRET_KEY": "bench-" + "s" * 32, "KEHOU_PII_KEY": "bench-" + "p" * 32, "KEHOU_EMBEDDED_WORKER": "false",
        "KEHOU_BROKER_URL": "memory://", "KEHOU_DEBUG": "false",
    })
    root = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "kehou", "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(args.workers), "--log-level", "warning"]
    log = folder / "server.log"
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    return proc, log


def wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path, workers: int, timeout: float = 60.0) -> None:
    raw = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            tally = run_get("127.0.0.1", port, raw, max(4, workers * 4), 0.5, 2.0)
            if tally.outcomes["200"] and not tally.errors:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def start_py_spy(proc: subprocess.Popen[bytes], folder: str, seconds: float) -> list[subprocess.Popen[bytes]]:
    import shutil

    exe = shutil.which("py-spy")
    if not exe:
        print("py-spy is not on PATH; not profiling (try `uv run --with py-spy python -m benchmarks.selection_day ...`)")
        return []
    Path(folder).mkdir(parents=True, exist_ok=True)
    workers = [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
               if (st := _proc_stat(pid)) is not None and st[1] == proc.pid and st[0].startswith("python")]
    spies = []
    for pid in workers:
        out = Path(folder) / f"worker-{pid}.txt"
        spies.append(subprocess.Popen([exe, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "97",
                                       "--format", "raw", "--threads", "--gil", "--nonblocking", "-o", str(out)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    print(f"py-spy: sampling {len(workers)} worker(s) into {folder}", flush=True)
    return spies


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    import logging

    from kehou.cli.main import migrate
    from kehou.platform.context import build_context
    from kehou.settings import load_settings

    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("kehou.access").setLevel(logging.WARNING)  # one line per request: the figures say it
    args = parse_args(argv)
    rng = random.Random(args.seed)
    admin_url = make_url(args.pg)
    name = f"kehou_bench_{secrets.token_hex(4)}"
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    admin: Engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    status = 0
    proc: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="kehou-bench-") as tmp:
        folder = Path(tmp)
        try:
            base = load_settings()
            settings = dataclasses.replace(
                base, data_dir=folder, database=dataclasses.replace(base.database, url=url, pool_size=args.pool_size),
                tasks=dataclasses.replace(base.tasks, embedded_worker=False),
                storage=dataclasses.replace(base.storage, local_root=folder / "files"),
                security=dataclasses.replace(base.security, secret_key="bench-" + "s" * 32, pii_key="bench-" + "p" * 32),
            )
            try:
                rev = subprocess.run(["git", "describe", "--always", "--dirty"], check=False, cwd=Path(__file__).resolve().parent,
                                     capture_output=True, text=True, timeout=10).stdout.strip()
            except OSError:
                rev = ""
            print(f"selection day{' at ' + rev if rev else ''}: {args.schools} schools, {args.students:,} students, "
                  f"{args.entries:,} course entries, "
                  f"{args.concurrency} clients, {args.duration:.0f} s, {args.workers} uvicorn worker(s), "
                  f"pool {args.pool_size}+{args.pool_size} per worker"
                  + f"; database {name}", flush=True)
            t = time.perf_counter()
            migrate(settings)
            ctx = build_context(settings)
            try:
                county = seed(ctx, args, rng)
            finally:
                ctx.close()
            print(f"county loaded in {time.perf_counter() - t:.1f} s: {county.entries:,} entries with {county.slots:,} "
                  f"weekly slots and {county.seats:,} seats, {len(county.parents):,} parents with tokens", flush=True)

            port = _free_port()
            host_header = f"127.0.0.1:{port}"
            plans = make_plans(county, rng, host_header)
            if not args.no_probe and len(plans) > 64:
                spares, plans = plans[-32:], plans[:-32]  # their enrolments are not counted in the load figures
                print(probe(settings, spares), flush=True)
            if args.parents:
                plans = plans[:args.parents]
            wanted = sum(p.want for p in plans)
            print(f"{len(plans):,} parents want {wanted:,} places in all ({county.seats:,} seats exist)", flush=True)

            proc, log = start_server(args, url, folder, port)
            wait_ready(port, proc, log, args.workers)
            ceiling_raw = f"GET {args.ceiling_path} HTTP/1.1\r\nHost: {host_header}\r\n".encode()
            if args.ceiling_path.startswith("/api/"):
                ceiling_raw += f"Authorization: Bearer {county.parents[0].token}\r\n".encode()
            ceiling_raw += b"\r\n"
            run_get("127.0.0.1", port, ceiling_raw, args.concurrency, 2.0, args.timeout)  # warm every worker's pool
            idle = run_get("127.0.0.1", port, ceiling_raw, 1, 2.0, args.timeout)
            print(f"one keep-alive client, one request at a time: GET {args.ceiling_path} {lat(idle.latencies)}"
                  + ("  <- ~40 ms: Nagle + delayed ACK (TCP_NODELAY not set?)" if pct(idle.latencies, 0.5) > 35 else ""),
                  flush=True)

            c0 = cpu_snapshot(proc.pid)
            print(f"{time.strftime('%H:%M:%S')} enrolment load starts", flush=True)
            spies = start_py_spy(proc, args.py_spy, args.duration) if args.py_spy else []
            tally = run_enrolment("127.0.0.1", port, plans, args, args.duration)
            c1 = cpu_snapshot(proc.pid)
            enrol_cpu = cpu_delta(c0, c1)
            for spy in spies:
                spy.wait()
            c2 = cpu_snapshot(proc.pid)
            print(f"{time.strftime('%H:%M:%S')} ceiling load starts", flush=True)
            ceiling = run_get("127.0.0.1", port, ceiling_raw, args.concurrency, args.duration, args.timeout)
            c3 = cpu_snapshot(proc.pid)
            bursts = [run_burst("127.0.0.1", port, url, county, host_header, int(n), args.timeout)
                      for n in args.burst.split(",") if n.strip() and int(n) > 0]  # "0" or "": no burst
            stop_server(proc)

            rate = tally.committed / tally.elapsed
            req_rate = tally.requests / tally.elapsed
            ceil_rate = ceiling.requests / ceiling.elapsed
            p99 = pct(tally.latencies, 0.99)
            print()
            print(f"enrolment: {tally.committed:,} committed in {tally.elapsed:.1f} s = {rate:,.0f} committed enrolments/s "
                  f"({tally.requests:,} requests = {req_rate:,.0f} req/s; {tally.parents:,} parents, "
                  f"{tally.satisfied:,} got all they wanted)")
            print(f"  latency, all enrolment requests: {lat(tally.latencies)}")
            print(f"  latency, committed (201) only:   {lat(tally.committed_latencies)}")
            print("  outcomes: " + ", ".join(f"{k} {v:,}" for k, v in sorted(tally.outcomes.items()) if v))
            print(f"  errors: {tally.errors:,}" + (f" (e.g. {tally.error_samples})" if tally.error_samples else ""))
            if tally.committed_at:
                buckets = Counter(int(t // 5) for t in tally.committed_at)
                print("  committed/s per 5 s: " + " ".join(f"{buckets.get(i, 0) / 5:.0f}"
                                                          for i in range(int(tally.elapsed // 5) + 1)))
            print(f"  {enrol_cpu}")
            print(f"ceiling: GET {args.ceiling_path}: {ceil_rate:,.0f} req/s, {lat(ceiling.latencies)}, "
                  f"errors {ceiling.errors:,}")
            print(f"  {cpu_delta(c2, c3)}")
            print(f"ratio: committed enrolments/s ÷ ceiling GET/s = {rate / ceil_rate:.2f}; "
                  f"enrolment requests/s ÷ ceiling = {req_rate / ceil_rate:.2f}"
                  + (" (the ceiling run had errors: not a real ceiling)" if ceiling.errors else ""))

            server_log = log.read_text(errors="replace").splitlines()
            tracebacks = sum(1 for ln in server_log if ln.startswith("Traceback"))
            if tracebacks or any("ERROR" in ln for ln in server_log):
                errs = Counter(ln.strip()[:160] for ln in server_log if ln and not ln.startswith((" ", "Traceback", "\t")))
                print(f"server log: {len(server_log):,} lines, {tracebacks:,} tracebacks; most frequent lines:")
                for line, n in errs.most_common(6):
                    print(f"  {n:6,} x {line}")
            engine = create_engine(url)
            try:
                with engine.connect() as conn:
                    over, drift = conn.execute(text(OVER_CAPACITY)).one()
                    conflicts = conn.execute(text(CONFLICTS)).scalar_one()
                    enrolled, events, full, most = conn.execute(text(SUMMARY)).one()
            finally:
                engine.dispose()
            print(f"checks: over-capacity entries {over + drift} (over capacity {over}, counter != rows {drift}); "
                  f"timetable conflicts {conflicts}")
            print(f"  database: {enrolled:,} enrolled rows, {events:,} enrol events, {full:,} entries full, "
                  f"most courses per student {most}")
            for line in bursts:
                print(line)
            ok_rate, ok_p99 = rate >= TARGET_RATE, p99 < TARGET_P99_MS
            print(f"target: >= {TARGET_RATE:.0f} committed/s: {'PASS' if ok_rate else 'MISS'} ({rate:,.0f}); "
                  f"p99 < {TARGET_P99_MS:.0f} ms: {'PASS' if ok_p99 else 'MISS'} ({p99:.0f} ms)")
            if over + drift or conflicts:
                print("FAILED: integrity check")
                status = 1
            elif args.strict and (tally.errors or ceiling.errors or not ok_rate or not ok_p99):
                status = 1
        finally:
            if proc is not None:
                stop_server(proc)
            if args.keep:
                print(f"kept database: {make_url(url).render_as_string(hide_password=True)}")
                if (folder / "server.log").exists():
                    kept = Path(tempfile.gettempdir()) / f"{name}-server.log"
                    kept.write_bytes((folder / "server.log").read_bytes())
                    print(f"kept server log: {kept}")
            else:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return status


def dispatch() -> None:
    """``python -m benchmarks selection-day [options]`` runs only this benchmark."""
    if sys.argv[1:2] == ["selection-day"]:
        raise SystemExit(main(sys.argv[2:]))


if __name__ == "__main__":
    raise SystemExit(main())
