"""Selection (菜单双选): atomic, concurrency-safe enrolment, waitlists, quitting.

One transaction per request, in a fixed lock order (the student's row, then the entry's row):

1. the student's row ``FOR UPDATE`` — the per-student lock: the same click twice, two courses at
   the same time, and the policy hooks (e.g. the fee cap) all see a stable timetable;
2. checks (window, waiting room (:mod:`.waitingroom`), grade, admitted provider, timetable, number of courses,
   ``kehou_validate_enrollment``);
3. the seat, last: ``UPDATE course_entry SET enrolled = enrolled + 1 WHERE id = ? AND enrolled < capacity``
   (and, for a newcomer, no one on the waitlist: a freed seat is the waitlist's) — the row lock is
   held only from here to the commit, so a popular course serialises nothing else.

SQLite write transactions are ``BEGIN IMMEDIATE``, so there every write is serialised anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, Table, bindparam, exists, func, insert, literal, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kehou.db import UTCDateTime
from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.admission.models import WhitelistEntry
from kehou.platform.context import Context
from kehou.platform.notifications.models import Notification
from kehou.platform.policy import services as policy
from kehou.platform.students import services as students
from kehou.platform.students.models import Guardian, Student
from kehou.pluginapi import EnrolledCourse, EnrollmentRequest
from kehou.plugins.course_catalogue import waitingroom
from kehou.plugins.course_catalogue.access import admitted, require_enabled
from kehou.plugins.course_catalogue.models import (
    ACTIVE,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Entry,
    EntryStatus,
    Lesson,
    Menu,
    MenuStatus,
    Offering,
    QueueRoom,
    QueueTicket,
    Slot,
)
from kehou.plugins.course_catalogue.timewindow import WEEKDAYS, fmt_hhmm, overlaps
from kehou.timeutil import as_utc, clock, fmt_local, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placed:
    """An enrolment as the enrolment request left it."""

    id: int
    entry_id: int
    student_id: int
    status: str
    source: str
    requested_at: dt.datetime
    enrolled_at: dt.datetime | None


@dataclass(frozen=True)
class Outcome:
    enrolment: Placed
    created: bool  # False: the same request had already succeeded (idempotent)


def event(session: Session, actor: Actor, e: Enrolment, action: str, old: str | None, reason: str = "") -> None:
    session.add(EnrolmentEvent(enrolment_id=e.id, entry_id=e.entry_id, student_id=e.student_id, action=action,
                               old_status=old, new_status=e.status, actor_id=actor.user_id, actor_role=actor.role,
                               reason=reason, ip=actor.ip, at=utcnow()))


def notify_guardians(session: Session, student_id: int, title: str, body: str, link: str = "/parent") -> None:
    for uid in students.guardian_user_ids(session, [student_id]).get(student_id, []):
        session.add(Notification(user_id=uid, title=title, body=body, link=link, created_at=utcnow()))


def _window(settings: Mapping[str, Any], menu: Any, priority_group: str | None, had_cancelled: bool) -> str:
    """The enrolment's source, or a refusal when the selection window does not admit the student now
    (``menu``: anything with ``opens_at``, ``closes_at`` and ``term_end``)."""
    now = utcnow()
    opens = as_utc(menu.opens_at)
    head_start = dt.timedelta(hours=int(settings["catalogue.priority_head_start_hours"]))
    if now < opens:
        if priority_group and now >= opens - head_start:
            return "priority"
        raise Conflict(f"选课尚未开始（{fmt_local(opens)} 开始）。",
                       code="selection_not_open")
    if now <= as_utc(menu.closes_at):
        return "selection"
    if clock.today_local() > menu.term_end:
        raise Conflict("本学期已结束。", code="term_ended")
    if settings["catalogue.allow_midterm_join"] or had_cancelled:
        return "midterm"
    raise Conflict("选课已截止。", code="selection_closed")


def _clash(session: Session, entry_id: int, other_ids: list[int]) -> str | None:
    if not other_ids:
        return None
    slots = session.connection().execute(_Q_SLOTS, {"entry_ids": [entry_id, *other_ids]}).all()
    mine = [s for s in slots if s.entry_id == entry_id]
    for other in slots:
        if other.entry_id == entry_id:
            continue
        for s in mine:
            if s.weekday == other.weekday and overlaps(s.start_min, s.end_min, other.start_min, other.end_min):
                return (f"与已选课程（编号{other.entry_id}）{WEEKDAYS[s.weekday]}"
                        f"{fmt_hhmm(other.start_min)}-{fmt_hhmm(other.end_min)}时间冲突。")
    return None


def _ask_hooks(ctx: Context, settings: Mapping[str, Any], request: EnrollmentRequest) -> None:
    hook = ctx.hook_for_settings(settings, "kehou_validate_enrollment")
    refusals = [r for answer in hook(enrollment=request, policy=settings) for r in answer or []]
    if refusals:
        raise ValidationFailed("；".join(r.message for r in refusals), code=refusals[0].code, field=refusals[0].field)


def take_seat(session: Session, entry_id: int, *, from_waitlist: bool = False) -> bool:
    """Take a seat if one is free. A newcomer never takes a seat while others wait for one: a freed
    seat belongs to the waitlist (:func:`promote`)."""
    result = session.connection().execute(_Q_SEAT[from_waitlist], {"entry_id": entry_id})
    return result.rowcount == 1


def release_seat(session: Session, entry_id: int) -> None:
    session.execute(update(Entry).where(Entry.id == entry_id, Entry.enrolled > 0)
                    .values(enrolled=Entry.enrolled - 1).execution_options(synchronize_session=False))


_STUDENT = select(Student.id, Student.school_id, Student.county_code, Student.grade,
                  Student.priority_group.label("priority_group"))
_CHILD = _STUDENT.join(Guardian, Guardian.student_id == Student.id)
_ENTRY_COLUMNS = (Entry.id.label("entry_id"), Entry.grades, Entry.fee_fen, Entry.materials_fee_fen, Menu.id.label("menu_id"),
                  Menu.term_name, Menu.term_end, Menu.opens_at, Menu.closes_at, Menu.selection_mode, Menu.draw_revealed_at,
                  Offering.title, Offering.category,
                  WhitelistEntry.categories,
                  select(func.count(Lesson.id)).where(Lesson.entry_id == Entry.id).scalar_subquery().label("lessons"))


def _with_entry(stmt: Any) -> Any:
    """``stmt`` joined from its course entry to the entry's menu, offering and the provider's whitelist entry."""
    return (stmt.join(Menu, Menu.id == Entry.menu_id).join(Offering, Offering.id == Entry.offering_id)
            .join(WhitelistEntry, (WhitelistEntry.provider_id == Entry.provider_id)
                  & (WhitelistEntry.county_code == Entry.county_code)))


_ENTRY = _with_entry(select(*_ENTRY_COLUMNS))
_MINE = (select(Enrolment.id, Enrolment.entry_id, Enrolment.status, Enrolment.source, Enrolment.requested_at,
                Enrolment.enrolled_at, Entry.fee_fen, Entry.materials_fee_fen, Offering.title, Offering.category)
         .join(Entry, Entry.id == Enrolment.entry_id).join(Offering, Offering.id == Entry.offering_id))
_OPEN_NOW = (Entry.status == EntryStatus.open, Menu.status == MenuStatus.published, WhitelistEntry.status == "active",
             WhitelistEntry.valid_from <= bindparam("today"), WhitelistEntry.valid_until >= bindparam("today"))

# The hot path's statements, built once with bound parameters: no statement construction or cache-key
# generation per request, executed on the session's Core connection (no ORM execution layer).
_Q_OPEN = _ENTRY.where(Entry.id == bindparam("entry_id"), Entry.school_id == bindparam("school_id"), *_OPEN_NOW)
_ROOM_COLUMNS = (QueueRoom.created_at.label("room_created_at"), QueueRoom.drawn_at.label("room_drawn_at"),
                 QueueRoom.last_position.label("room_last_position"), QueueRoom.admit_per_minute.label("room_admit_per_minute"),
                 QueueTicket.position.label("my_position"))
_Q_CHILD_AND_ENTRY = (  # the child, locked, with the entry if it is open to the child's school, and the waiting room
    _with_entry(select(*_CHILD.selected_columns, *_ENTRY_COLUMNS, *_ROOM_COLUMNS).select_from(Student)
                .join(Guardian, Guardian.student_id == Student.id)
                .join(Entry, (Entry.school_id == Student.school_id) & (Entry.id == bindparam("entry_id"))))
    .outerjoin(QueueRoom, QueueRoom.menu_id == Menu.id)
    .outerjoin(QueueTicket, (QueueTicket.menu_id == Menu.id) & (QueueTicket.user_id == bindparam("user_id")))
    .where(Student.id == bindparam("student_id"), Guardian.user_id == bindparam("user_id"), *_OPEN_NOW)
    .with_for_update(of=Student))
_Q_CHILD = (_CHILD.where(Student.id == bindparam("student_id"), Guardian.user_id == bindparam("user_id"))
            .with_for_update(of=Student))
_Q_MINE = _MINE.where(Enrolment.student_id == bindparam("student_id"), Entry.menu_id == bindparam("menu_id"))
_Q_SLOTS = select(Slot.entry_id, Slot.weekday, Slot.start_min, Slot.end_min).where(
    Slot.entry_id.in_(bindparam("entry_ids", expanding=True)), Slot.active.is_(True))
_NO_WAITLIST = ~exists().where(Enrolment.entry_id == bindparam("entry_id"), Enrolment.status == EnrolmentStatus.waitlisted)
_SEAT_FREE = (Entry.id == bindparam("entry_id"), Entry.status == EntryStatus.open, Entry.enrolled < Entry.capacity)
_Q_SEAT = {  # by from_waitlist: a newcomer never takes a seat while others wait for one
    False: update(Entry).where(*_SEAT_FREE, _NO_WAITLIST).values(enrolled=Entry.enrolled + 1),
    True: update(Entry).where(*_SEAT_FREE).values(enrolled=Entry.enrolled + 1)}
_ENROLMENT_T: Table = Enrolment.__table__  # type: ignore[assignment]
_EVENT_T: Table = EnrolmentEvent.__table__  # type: ignore[assignment]
_EVENT_COLUMNS = ("enrolment_id", "entry_id", "student_id", "action", "old_status", "new_status", "actor_id", "actor_role",
                  "reason", "ip", "at")


def _seat_enrolment_event() -> Any:
    """PostgreSQL: the seat, the enrolment and its event in one statement (data-modifying CTEs). No row
    comes back when no seat was free, and then nothing was written."""
    seat = _Q_SEAT[False].returning(Entry.id).cte("seat")
    row = (insert(_ENROLMENT_T).from_select(
        ["entry_id", "student_id", "status", "source", "requested_at", "enrolled_at", "ended_reason"],
        select(seat.c.id, bindparam("student_id"), literal(EnrolmentStatus.enrolled.value), bindparam("source"),
               bindparam("now", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime()), literal("")))
        .returning(_ENROLMENT_T.c.id).cte("row"))
    return (insert(_EVENT_T).from_select(list(_EVENT_COLUMNS), select(
        row.c.id, bindparam("entry_id"), bindparam("student_id"), literal("enrol"), literal(None, String()),
        literal(EnrolmentStatus.enrolled.value), bindparam("actor_id", type_=Integer()), bindparam("actor_role"),
        literal(""), bindparam("ip"), bindparam("now", type_=UTCDateTime())))
        .returning(_EVENT_T.c.enrolment_id))


_Q_SEAT_ENROLMENT_EVENT = _seat_enrolment_event()


def _open(session: Session, entry_id: int, school_id: int) -> Any:
    """The entry, if open on a published menu of the school and its provider admitted today for its category."""
    entry = session.connection().execute(
        _Q_OPEN, {"entry_id": entry_id, "school_id": school_id, "today": clock.today_local()}).first()
    if entry is None or entry.category not in entry.categories:
        raise NotFound("没有该课程，或已停止开放。", code="entry_not_found", field="entry_id")
    return entry


def _request(child: Any, entry: Any, current: list[Any], waitlist: bool) -> EnrollmentRequest:
    """What ``kehou_validate_enrollment`` sees, from the rows of ``_CHILD``/``_STUDENT``, ``_ENTRY`` and ``_MINE``."""
    return EnrollmentRequest(
        student_id=child.id, school_id=child.school_id, county_code=child.county_code, term_name=entry.term_name,
        course=EnrolledCourse(entry.entry_id, entry.title, entry.category, entry.fee_fen, entry.materials_fee_fen, entry.lessons),
        current=tuple(EnrolledCourse(r.entry_id, r.title, r.category, r.fee_fen, r.materials_fee_fen) for r in current),
        waitlist=waitlist)


def _child_and_entry(conn: Connection, actor: Actor, student_id: int, entry_id: int) -> Any:
    """The child (locked: the per-student lock) and the entry open to the child, in one query; on a miss
    a second query tells which of the two is missing."""
    params = {"student_id": student_id, "user_id": actor.user_id, "entry_id": entry_id, "today": clock.today_local()}
    row = conn.execute(_Q_CHILD_AND_ENTRY, params).first()
    if row is None and conn.execute(_Q_CHILD, params).first() is None:
        raise NotFound("学生不存在。", code="student_not_found")
    if row is None or row.category not in row.categories:
        raise NotFound("没有该课程，或已停止开放。", code="entry_not_found", field="entry_id")
    return row


def enroll(ctx: Context, session: Session, actor: Actor, student_id: int, entry_id: int, *, waitlist: bool = False) -> Outcome:
    """Enrol a child (see the module docstring for the locks). Lean on purpose: selection day runs this
    thousands of times a minute, so it reads what the checks need in two queries (the child with the
    entry, then the child's courses on the menu) and writes seat, enrolment and event in one statement
    on PostgreSQL (three on SQLite), all prepared once."""
    actor.require("parent")
    conn = session.connection()
    row = _child_and_entry(conn, actor, student_id, entry_id)
    child = entry = row  # one row carries both: the student's columns (id, grade, ...) and the entry's (entry_id, ...)
    mine = conn.execute(_Q_MINE, {"student_id": child.id, "menu_id": entry.menu_id}).all()
    existing = next((r for r in mine if r.entry_id == entry_id), None)
    if existing is not None and existing.status in ACTIVE:
        return Outcome(Placed(existing.id, entry_id, child.id, existing.status, existing.source, existing.requested_at,
                              existing.enrolled_at), False)
    settings = policy.resolve_recent(session, ctx.registry, child.county_code)
    require_enabled(settings)
    if entry.selection_mode == "ranked_lottery" and entry.draw_revealed_at is None:
        raise Conflict("本校本学期选课采用“填报志愿后摇号分配”：请在选课时间内填报志愿，截止后统一摇号分配，与提交先后无关。",
                       code="selection_by_lottery", field="entry_id")
    if entry.selection_mode == "ranked_lottery" and clock.today_local() <= entry.term_end:
        source = "after_draw"  # the draw is published: the seats left go first come (and waitlists) until the term ends
    else:
        source = _window(settings, entry, child.priority_group, any(r.status == EnrolmentStatus.cancelled for r in mine))
    waitingroom.gate(settings, source, row, utcnow())
    if child.grade not in entry.grades:
        raise ValidationFailed("该课程不面向您孩子所在年级。", code="grade_not_eligible", field="entry_id")
    current = [r for r in mine if r.status in ACTIVE]
    limit = int(settings["catalogue.max_courses_per_student"])
    if len(current) >= limit:
        raise Conflict(f"每生每学期最多选{limit}门课程（含候补）。", code="too_many_courses")
    clash = _clash(session, entry_id, [r.entry_id for r in current])
    if clash:
        raise Conflict(clash, code="timetable_conflict", field="entry_id")
    _ask_hooks(ctx, settings, _request(child, entry, current, waitlist))
    now = utcnow()
    if existing is None and not session.get_bind().dialect.name == "sqlite":
        created = conn.execute(_Q_SEAT_ENROLMENT_EVENT, {
            "entry_id": entry_id, "student_id": child.id, "source": source, "now": now, "actor_id": actor.user_id,
            "actor_role": actor.role, "ip": actor.ip}).scalar()
        if created is not None:
            session.commit()
            return Outcome(Placed(created, entry_id, child.id, EnrolmentStatus.enrolled, source, now, now), True)
        seated = False
    else:
        seated = take_seat(session, entry_id)
    if not seated and not waitlist:
        raise Conflict("该课程名额已满，可以加入候补。", code="course_full", extra={"waitlist": True})
    if not seated and session.scalar(
            select(Entry.status).where(Entry.id == entry_id).with_for_update(key_share=True)) != EntryStatus.open:
        raise NotFound("没有该课程，或已停止开放。", code="entry_not_found", field="entry_id")  # cancelled meanwhile
    status = EnrolmentStatus.enrolled if seated else EnrolmentStatus.waitlisted
    enrolled_at = now if seated else None
    values = {"status": status, "source": source, "requested_at": now, "enrolled_at": enrolled_at,
              "ended_at": None, "ended_reason": ""}
    if existing is None:
        enrolment_id = conn.execute(insert(_ENROLMENT_T).values(entry_id=entry_id, student_id=child.id, **values)
                                    .returning(_ENROLMENT_T.c.id)).scalar_one()
    else:  # re-joining after quitting or a cancellation: the same row, a new history event
        enrolment_id = existing.id
        conn.execute(update(_ENROLMENT_T).where(_ENROLMENT_T.c.id == existing.id).values(**values))
    conn.execute(insert(_EVENT_T).values(
        enrolment_id=enrolment_id, entry_id=entry_id, student_id=child.id, action="enrol" if seated else "waitlist",
        old_status=existing.status if existing else None, new_status=status, actor_id=actor.user_id,
        actor_role=actor.role, reason="", ip=actor.ip, at=now))
    session.commit()
    return Outcome(Placed(enrolment_id, entry_id, child.id, status, source, now, enrolled_at), True)


def quit(ctx: Context, session: Session, actor: Actor, student_id: int, entry_id: int, reason: str = "") -> Enrolment:
    """A parent takes a child out of a course (or off its waitlist); the freed seat goes to the waitlist."""
    student = students.child_of(session, actor, student_id, lock=True)
    e = session.scalars(select(Enrolment).where(Enrolment.student_id == student.id, Enrolment.entry_id == entry_id)).first()
    if e is None or e.status not in ACTIVE:
        raise NotFound("您的孩子没有选这门课。", code="enrolment_not_found")
    old = e.status
    e.status, e.ended_at, e.ended_reason = EnrolmentStatus.quit, utcnow(), reason.strip()[:500]
    if old == EnrolmentStatus.enrolled:
        release_seat(session, entry_id)
    event(session, actor, e, "quit", old, reason.strip())
    session.commit()
    if old == EnrolmentStatus.enrolled:
        try:
            promote(ctx, entry_id)
        except Exception:  # the quit is saved; the periodic sweep (promote_all) gives the seat out later
            log.exception("promoting the waitlist of entry %s failed", entry_id)
    return e


def promote(ctx: Context, entry_id: int) -> int:
    """Give free seats to the waitlist in order, each in its own transaction under the candidate's lock.
    A candidate now refused (a policy hook, the course cancelled) keeps their place and is skipped."""
    from kehou.platform.actor import Actor as _A

    system = _A.system("waitlist")
    promoted = 0
    with ctx.db.read_session() as s:
        queue = list(s.execute(select(Enrolment.id, Enrolment.student_id).where(
            Enrolment.entry_id == entry_id, Enrolment.status == EnrolmentStatus.waitlisted)
            .order_by(Enrolment.requested_at, Enrolment.id)))
    for enrolment_id, student_id in queue:
        with ctx.db.write_session() as s:
            child = s.execute(_STUDENT.where(Student.id == student_id).with_for_update()).one()  # the student's lock
            e = s.get(Enrolment, enrolment_id)
            if e is None or e.status != EnrolmentStatus.waitlisted:
                continue
            try:  # still open, published, its provider admitted today
                entry = _open(s, entry_id, child.school_id)
            except NotFound:
                return promoted
            current = [r for r in s.execute(_MINE.where(Enrolment.student_id == student_id, Entry.menu_id == entry.menu_id))
                       if r.status in ACTIVE and r.id != e.id]
            settings = policy.resolve_all(s, ctx.registry, child.county_code)
            try:
                _ask_hooks(ctx, settings, _request(child, entry, current, waitlist=False))
            except ValidationFailed:
                s.rollback()
                continue
            if not take_seat(s, entry_id, from_waitlist=True):
                return promoted
            e.status, e.enrolled_at = EnrolmentStatus.enrolled, utcnow()
            event(s, system, e, "promote", EnrolmentStatus.waitlisted)
            notify_guardians(s, student_id, "候补成功", f"您的孩子已从候补转为正式选上「{entry.title}」。")
            s.commit()
            promoted += 1
    return promoted


def promote_all(ctx: Context) -> int:
    """The sweep: promote every entry that has both a free seat and a waitlist."""
    with ctx.db.read_session() as s:
        ids = list(s.scalars(select(Entry.id).where(Entry.status == EntryStatus.open, Entry.enrolled < Entry.capacity,
                                                    exists().where(Enrolment.entry_id == Entry.id,
                                                                   Enrolment.status == EnrolmentStatus.waitlisted))))
    return sum(promote(ctx, entry_id) for entry_id in ids)


def timetable(session: Session, student_id: int) -> list[dict[str, Any]]:
    """The child's courses (enrolled and waitlisted) with their slots, for the 一人一课表."""
    rows = session.execute(
        select(Enrolment, Entry, Offering, Menu).join(Entry, Entry.id == Enrolment.entry_id)
        .join(Offering, Offering.id == Entry.offering_id).join(Menu, Menu.id == Entry.menu_id)
        .where(Enrolment.student_id == student_id, Enrolment.status.in_(ACTIVE), Entry.status == EntryStatus.open,
               admitted(Entry.provider_id, Entry.county_code))).all()
    out = []
    for e, entry, offering, menu in rows:
        for slot in session.scalars(select(Slot).where(Slot.entry_id == entry.id, Slot.active.is_(True))):
            out.append({"entry_id": entry.id, "title": offering.title, "status": e.status, "weekday": slot.weekday,
                        "start": fmt_hhmm(slot.start_min), "end": fmt_hhmm(slot.end_min), "venue": entry.venue,
                        "term": menu.term_name})
    return sorted(out, key=lambda r: (r["weekday"], r["start"]))
