"""What other plugins (billing, outcome reporting, agreements) may read of the catalogue.

Frozen records, never ORM objects; read in the caller's session. This module is the catalogue's
declared interface: other plugins import this and nothing else from the catalogue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kehou.plugins.course_catalogue.models import (
    Attendance,
    Enrolment,
    EnrolmentStatus,
    Entry,
    EntryStatus,
    Lesson,
    Menu,
    MenuStatus,
    Offering,
)


@dataclass(frozen=True)
class EnrolmentRecord:
    enrolment_id: int
    entry_id: int
    student_id: int
    status: str  # enrolled | waitlisted | quit | cancelled | merged
    source: str
    enrolled_at: dt.datetime | None
    ended_at: dt.datetime | None
    school_id: int
    provider_id: int
    county_code: str
    term_name: str
    title: str
    category: str
    fee_fen: int  # per term, fixed when the school placed the course
    materials_fee_fen: int


@dataclass(frozen=True)
class LessonRecord:
    lesson_id: int
    entry_id: int
    school_id: int
    provider_id: int
    day: dt.date
    start_min: int
    end_min: int
    status: str  # scheduled | delivered | cancelled
    staff_id: int | None  # who checked in


@dataclass(frozen=True)
class AttendanceRecord:
    lesson_id: int
    student_id: int
    status: str  # present | absent | leave
    reason: str
    parent_status: str | None  # confirmed | disputed | None


def enrolments(session: Session, *, county_code: str | None = None, school_id: int | None = None,
               student_id: int | None = None, provider_id: int | None = None, entry_id: int | None = None,
               term_name: str | None = None) -> list[EnrolmentRecord]:
    stmt = (select(Enrolment, Entry, Menu.term_name, Offering.title, Offering.category)
            .join(Entry, Entry.id == Enrolment.entry_id).join(Menu, Menu.id == Entry.menu_id)
            .join(Offering, Offering.id == Entry.offering_id))
    for col, value in ((Entry.county_code, county_code), (Entry.school_id, school_id), (Enrolment.student_id, student_id),
                       (Entry.provider_id, provider_id), (Entry.id, entry_id), (Menu.term_name, term_name)):
        if value is not None:
            stmt = stmt.where(col == value)
    return [EnrolmentRecord(e.id, en.id, e.student_id, e.status, e.source, e.enrolled_at, e.ended_at, en.school_id,
                            en.provider_id, en.county_code, term, title, category, en.fee_fen, en.materials_fee_fen)
            for e, en, term, title, category in session.execute(stmt.order_by(Enrolment.id))]


def enrolment_ids_of(student_ids: Sequence[int]) -> Select[int]:
    """A subquery: the ids of these children's enrolments (any status), for plugins that key rows by enrolment."""
    return select(Enrolment.id).where(Enrolment.student_id.in_(student_ids))


def lessons(session: Session, *, entry_id: int | None = None, provider_id: int | None = None, county_code: str | None = None,
            since: dt.date | None = None, until: dt.date | None = None) -> list[LessonRecord]:
    stmt = select(Lesson, Entry).join(Entry, Entry.id == Lesson.entry_id)
    for col, value in ((Entry.id, entry_id), (Entry.provider_id, provider_id), (Entry.county_code, county_code)):
        if value is not None:
            stmt = stmt.where(col == value)
    if since is not None:
        stmt = stmt.where(Lesson.day >= since)
    if until is not None:
        stmt = stmt.where(Lesson.day <= until)
    return [LessonRecord(le.id, en.id, en.school_id, en.provider_id, le.day, le.start_min, le.end_min, le.status, le.staff_id)
            for le, en in session.execute(stmt.order_by(Lesson.day, Lesson.start_min, Lesson.id))]


def attendance(session: Session, *, entry_id: int | None = None, student_id: int | None = None) -> list[AttendanceRecord]:
    stmt = select(Attendance).join(Lesson, Lesson.id == Attendance.lesson_id)
    if entry_id is not None:
        stmt = stmt.where(Lesson.entry_id == entry_id)
    if student_id is not None:
        stmt = stmt.where(Attendance.student_id == student_id)
    return [AttendanceRecord(a.lesson_id, a.student_id, a.status, a.reason, a.parent_status)
            for a in session.scalars(stmt.order_by(Attendance.lesson_id, Attendance.student_id))]


@dataclass(frozen=True)
class MenuRecord:
    menu_id: int
    school_id: int
    county_code: str
    term_name: str
    term_start: dt.date
    term_end: dt.date
    closes_at: dt.datetime  # the selection window's end
    status: str  # draft | published


def menus(session: Session, *, county_code: str | None = None, school_id: int | None = None,
          term_name: str | None = None) -> list[MenuRecord]:
    stmt = select(Menu)
    for col, value in ((Menu.county_code, county_code), (Menu.school_id, school_id), (Menu.term_name, term_name)):
        if value is not None:
            stmt = stmt.where(col == value)
    return [MenuRecord(m.id, m.school_id, m.county_code, m.term_name, m.term_start, m.term_end, m.closes_at, m.status)
            for m in session.scalars(stmt.order_by(Menu.id))]


@dataclass(frozen=True)
class EntryRecord:
    entry_id: int
    menu_id: int
    school_id: int
    provider_id: int
    provider_name: str
    title: str
    category: str
    fee_fen: int
    materials_fee_fen: int
    materials: tuple[tuple[str, int], ...]
    capacity: int
    enrolled: int
    status: str  # open | cancelled | merged
    lessons: int


def entries(session: Session, *, menu_id: int, admitted_only: bool = True) -> list[EntryRecord]:
    """A menu's courses; by default only those of providers admitted today (as every school and parent path)."""
    from sqlalchemy import func

    from kehou.platform.providers.models import Provider
    from kehou.plugins.course_catalogue.access import admitted

    counts: dict[int, int] = dict(session.execute(
        select(Lesson.entry_id, func.count(Lesson.id)).join(Entry, Entry.id == Lesson.entry_id)
        .where(Entry.menu_id == menu_id).group_by(Lesson.entry_id)).all())
    stmt = (select(Entry, Offering, Provider.name).join(Offering, Offering.id == Entry.offering_id)
            .join(Provider, Provider.id == Entry.provider_id).where(Entry.menu_id == menu_id))
    if admitted_only:
        stmt = stmt.where(admitted(Entry.provider_id, Entry.county_code))
    rows = session.execute(stmt.order_by(Entry.id))
    return [EntryRecord(e.id, e.menu_id, e.school_id, e.provider_id, name, o.title, o.category, e.fee_fen, e.materials_fee_fen,
                        tuple((m["item"], int(m["fen"])) for m in o.materials or []), e.capacity, e.enrolled, e.status,
                        counts.get(e.id, 0))
            for e, o, name in rows]


@dataclass(frozen=True)
class CourseRecord:
    """One course on a school's menu with what supervision and evaluation need: where, who, which term."""

    entry_id: int
    menu_id: int
    school_id: int
    county_code: str
    provider_id: int
    instructor_id: int  # the instructor named on the entry
    title: str
    category: str
    grades: tuple[int, ...]
    term_name: str
    term_start: dt.date
    term_end: dt.date
    status: str  # open | cancelled | merged
    menu_status: str  # draft | published


def _courses(session: Session, *conditions: object) -> list[CourseRecord]:
    stmt = (select(Entry, Offering.title, Offering.category, Menu).join(Offering, Offering.id == Entry.offering_id)
            .join(Menu, Menu.id == Entry.menu_id).where(*conditions).order_by(Entry.id))  # type: ignore[arg-type]
    return [CourseRecord(e.id, e.menu_id, e.school_id, e.county_code, e.provider_id, e.instructor_id, title, category,
                         tuple(e.grades or ()), m.term_name, m.term_start, m.term_end, e.status, m.status)
            for e, title, category, m in session.execute(stmt)]


def course(session: Session, entry_id: int) -> CourseRecord | None:
    found = _courses(session, Entry.id == entry_id)
    return found[0] if found else None


def courses(session: Session, *, county_code: str | None = None, term_name: str | None = None,
            provider_id: int | None = None, school_id: int | None = None) -> list[CourseRecord]:
    conditions = [col == value for col, value in ((Entry.county_code, county_code), (Menu.term_name, term_name),
                                                  (Entry.provider_id, provider_id), (Entry.school_id, school_id))
                  if value is not None]
    return _courses(session, *conditions)


def lesson(session: Session, lesson_id: int) -> LessonRecord | None:
    row = session.execute(select(Lesson, Entry).join(Entry, Entry.id == Lesson.entry_id).where(Lesson.id == lesson_id)).first()
    if row is None:
        return None
    le, en = row
    return LessonRecord(le.id, en.id, en.school_id, en.provider_id, le.day, le.start_min, le.end_min, le.status, le.staff_id)


# --- aggregates for outcome reporting (one GROUP BY query each, never rows) ------------------------


@dataclass(frozen=True)
class TermRecord:
    term_name: str
    term_start: dt.date  # the earliest menu start of the term in the county
    term_end: dt.date


class _Termed(Protocol):
    @property
    def term_start(self) -> dt.date: ...
    @property
    def term_end(self) -> dt.date: ...


T = TypeVar("T", bound=_Termed)


def current(records: Sequence[T], today: dt.date) -> T | None:
    """What a term picker starts on: the term running today, else the latest that has started, else the
    first planned (never next term's while this one runs)."""
    running = [r for r in records if r.term_start <= today <= r.term_end]
    started = [r for r in records if r.term_start <= today]
    if running or started:
        return max(running or started, key=lambda r: r.term_start)
    return min(records, key=lambda r: r.term_start) if records else None


def terms(session: Session, county_code: str) -> list[TermRecord]:
    """The terms the county's schools had menus for, oldest first."""
    from sqlalchemy import func

    rows = session.execute(select(Menu.term_name, func.min(Menu.term_start), func.max(Menu.term_end))
                           .where(Menu.county_code == county_code).group_by(Menu.term_name))
    return sorted((TermRecord(name, start, end) for name, start, end in rows), key=lambda t: (t.term_start, t.term_name))


@dataclass(frozen=True)
class SchoolTermCounts:
    """One school in one term: published open courses, enrolled places and students (all, priority groups)."""

    term_name: str
    school_id: int
    courses: int
    enrolments: int
    students: int
    priority_students: int


def school_term_counts(session: Session, county_code: str, *, term_name: str | None = None,
                       school_id: int | None = None) -> list[SchoolTermCounts]:
    """Per term and school of the county. Courses: open entries on published menus; enrolments and
    students: places with status ``enrolled`` in those courses (a student counts once per school and term)."""
    from sqlalchemy import func

    from kehou.platform.students.models import Student

    where = [Entry.county_code == county_code, Entry.status == EntryStatus.open, Menu.status == MenuStatus.published]
    if term_name is not None:
        where.append(Menu.term_name == term_name)
    if school_id is not None:
        where.append(Entry.school_id == school_id)
    courses = {(t, s): n for t, s, n in session.execute(
        select(Menu.term_name, Entry.school_id, func.count(Entry.id)).join(Menu, Menu.id == Entry.menu_id)
        .where(*where).group_by(Menu.term_name, Entry.school_id))}
    seen: dict[tuple[str, int], tuple[list[int], set[int], set[int]]] = {}  # priority groups are sealed: counted here
    for t, s, sid, group in session.execute(
            select(Menu.term_name, Entry.school_id, Enrolment.student_id, Student.priority_group)
            .select_from(Enrolment).join(Entry, Entry.id == Enrolment.entry_id).join(Menu, Menu.id == Entry.menu_id)
            .join(Student, Student.id == Enrolment.student_id).where(*where, Enrolment.status == EnrolmentStatus.enrolled)):
        n, kids, priority = seen.setdefault((t, s), ([0], set(), set()))
        n[0] += 1
        kids.add(sid)
        if group is not None:
            priority.add(sid)
    enrolled = {key: (n[0], len(kids), len(priority)) for key, (n, kids, priority) in seen.items()}
    return [SchoolTermCounts(t, s, n, *enrolled.get((t, s), (0, 0, 0))) for (t, s), n in sorted(courses.items())]


@dataclass(frozen=True)
class CategoryCounts:
    category: str
    providers: int
    courses: int
    enrolments: int


def category_counts(session: Session, county_code: str, term_name: str, *, school_id: int | None = None) -> list[CategoryCounts]:
    """Open courses on published menus by category: distinct providers, courses, enrolled places."""
    from sqlalchemy import case, distinct, func

    where = [Entry.county_code == county_code, Entry.status == EntryStatus.open, Menu.status == MenuStatus.published,
             Menu.term_name == term_name]
    if school_id is not None:
        where.append(Entry.school_id == school_id)
    places = (select(Enrolment.entry_id, func.count(Enrolment.id).label("n")).where(Enrolment.status == EnrolmentStatus.enrolled)
              .group_by(Enrolment.entry_id).subquery())
    rows = session.execute(
        select(Offering.category, func.count(distinct(Entry.provider_id)), func.count(Entry.id),
               func.coalesce(func.sum(case((places.c.n.is_not(None), places.c.n), else_=0)), 0))
        .select_from(Entry).join(Menu, Menu.id == Entry.menu_id).join(Offering, Offering.id == Entry.offering_id)
        .outerjoin(places, places.c.entry_id == Entry.id).where(*where).group_by(Offering.category).order_by(Offering.category))
    return [CategoryCounts(c, int(p), int(n), int(e)) for c, p, n, e in rows]


@dataclass(frozen=True)
class AttendanceCounts:
    term_name: str
    school_id: int
    marked: int  # attendance marks recorded
    present: int


def attendance_counts(session: Session, county_code: str, *, term_name: str | None = None,
                      school_id: int | None = None) -> list[AttendanceCounts]:
    """Attendance marks per term and school (one GROUP BY over attendance, lessons, entries, menus)."""
    from sqlalchemy import case, func

    where = [Entry.county_code == county_code]
    if term_name is not None:
        where.append(Menu.term_name == term_name)
    if school_id is not None:
        where.append(Entry.school_id == school_id)
    rows = session.execute(
        select(Menu.term_name, Entry.school_id, func.count(Attendance.id),
               func.coalesce(func.sum(case((Attendance.status == "present", 1), else_=0)), 0))
        .select_from(Attendance).join(Lesson, Lesson.id == Attendance.lesson_id).join(Entry, Entry.id == Lesson.entry_id)
        .join(Menu, Menu.id == Entry.menu_id).where(*where).group_by(Menu.term_name, Entry.school_id)
        .order_by(Menu.term_name, Entry.school_id))
    return [AttendanceCounts(t, s, int(m), int(p)) for t, s, m, p in rows]
