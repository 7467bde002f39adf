"""Pages of attendance: a school's classes and today's lessons, one class (roster and lessons), marking a
whole lesson in one form on a phone, and a parent's confirmation or dispute of each record.

Thin like the other views: the marks and the answers go through :func:`lessons.mark` and
:func:`lessons.respond`, which check roles, tenancy and the lesson's state and raise domain errors;
:mod:`kehou.web.errors` turns a refused form into a flash message with what was typed. A school
administrator sees only its own school's classes and lessons, a parent only their own children (404
otherwise). All text is in :mod:`kehou.plugins.course_catalogue.attendance_text`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.privacy import access
from kehou.platform.providers.models import Provider, Staff
from kehou.platform.students import services as students
from kehou.platform.students.models import Student
from kehou.plugins.course_catalogue import attendance_text as A
from kehou.plugins.course_catalogue import lessons, noshow, queries
from kehou.plugins.course_catalogue.models import (
    Attendance,
    Enrolment,
    EnrolmentStatus,
    Entry,
    Lesson,
    Menu,
    MenuStatus,
    Offering,
)
from kehou.plugins.course_catalogue.public import current
from kehou.plugins.course_catalogue.timewindow import WEEKDAYS
from kehou.plugins.course_catalogue.views import own_school, page
from kehou.plugins.course_catalogue.views_noshow import FAMILY
from kehou.timeutil import as_utc, clock, fmt_local
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, values

Form = URLEncodedBody[dict[str, Any]]
Req = Request[Any, Any, Any]
PARENT_DAYS = 120  # answered records older than this leave the parent's page (awaiting ones stay)
PARENT_ANSWERED = 30  # answered records shown per child


# --- reading ---------------------------------------------------------------------------------------


def day_label(day: dt.date) -> str:
    return A.COMMON["day"].format(m=day.month, d=day.day, w=WEEKDAYS[day.weekday()])


def own_entry(db: Session, actor: Actor, entry_id: int) -> Entry:
    """A class of the administrator's own school (another school's: not found)."""
    actor.require("school_admin")
    entry = db.get(Entry, entry_id)
    if entry is None or entry.school_id != actor.school_id:
        raise NotFound(A.ERRORS["entry"], code="entry_not_found")
    students.school_of(db, actor, entry.school_id)
    return entry


def own_lesson(db: Session, actor: Actor, lesson_id: int) -> tuple[Lesson, Entry]:
    """A lesson of a class of the administrator's own school (another school's: not found)."""
    actor.require("school_admin")
    lesson = db.get(Lesson, lesson_id)
    entry = db.get(Entry, lesson.entry_id) if lesson else None
    if lesson is None or entry is None or entry.school_id != actor.school_id:
        raise NotFound(A.ERRORS["lesson"], code="lesson_not_found")
    students.school_of(db, actor, entry.school_id)
    return lesson, entry


def classes(db: Session, *where: Any) -> list[dict[str, Any]]:
    """Classes with their course, provider, instructor and weekly slots."""
    rows = db.execute(select(Entry, Offering.title, Offering.category, Provider.name, Staff.name)
                      .join(Offering, Offering.id == Entry.offering_id).join(Provider, Provider.id == Entry.provider_id)
                      .join(Staff, Staff.id == Entry.instructor_id).where(*where)
                      .order_by(Entry.status != "open", Offering.title, Entry.id)).all()
    slots = queries.slots_of(db, [r[0].id for r in rows])
    return [{"entry": e, "title": title, "category": category, "provider": provider, "instructor": instructor,
             "slots": slots[e.id]} for e, title, category, provider, instructor in rows]


def roster(db: Session, entry_id: int) -> list[Student]:
    """The children enrolled in the class, by grade, class and student number."""
    return list(db.scalars(select(Student).join(Enrolment, Enrolment.student_id == Student.id)
                           .where(Enrolment.entry_id == entry_id, Enrolment.status == EnrolmentStatus.enrolled)
                           .order_by(Student.grade, Student.class_name, Student.student_no, Student.id)))


def tallies(db: Session, lesson_ids: list[int]) -> dict[int, Counter[str]]:
    """Per lesson: present, absent, leave, marked (all three) and disputed counts."""
    out: dict[int, Counter[str]] = {i: Counter() for i in lesson_ids}
    if lesson_ids:
        for lesson_id, status, parent_status, n in db.execute(
                select(Attendance.lesson_id, Attendance.status, Attendance.parent_status, func.count())
                .where(Attendance.lesson_id.in_(lesson_ids))
                .group_by(Attendance.lesson_id, Attendance.status, Attendance.parent_status)):
            out[lesson_id].update({status: n, "marked": n, "disputed": n if parent_status == "disputed" else 0})
    return out


def per_class(db: Session, entry_ids: list[int], today: dt.date) -> tuple[dict[int, int], dict[int, int]]:
    """Per class: lessons held up to today and not marked yet, and records parents dispute."""
    if not entry_ids:
        return {}, {}
    unmarked = dict(db.execute(select(Lesson.entry_id, func.count()).where(
        Lesson.entry_id.in_(entry_ids), Lesson.day <= today, Lesson.status != "cancelled",
        ~exists().where(Attendance.lesson_id == Lesson.id)).group_by(Lesson.entry_id)).all())
    disputed = dict(db.execute(
        select(Lesson.entry_id, func.count()).join(Attendance, Attendance.lesson_id == Lesson.id)
        .where(Lesson.entry_id.in_(entry_ids), Attendance.parent_status == "disputed").group_by(Lesson.entry_id)).all())
    return unmarked, disputed


def attendance_page(request: Req, template: str, actor: Actor, text: dict[str, str], **context: Any) -> Template:
    return page(request, template, actor, text, day_label=day_label, STATUS=A.STATUS, PARENT_STATUS=A.PARENT_STATUS,
                LESSON_STATUS=A.LESSON_STATUS, ENTRY_STATUS=A.ENTRY_STATUS, today=clock.today_local(), **context)


# --- marking ---------------------------------------------------------------------------------------

_MARK_FIELD = re.compile(r"^marks\[(\d+)\]\.(\w+)$")


def marks_from_form(form: dict[str, Any], names: dict[int, str]) -> list[lessons.Mark]:
    """One mark per child listed in the form (hidden ``student``): ``status_<id>`` and ``reason_<id>``.
    With ``all_present``, a child left without an answer is present; an answer given is kept. Nothing
    is ever chosen for a child otherwise: a missing answer is refused beside that child's row."""
    all_present = field(form, "all_present") == "yes"
    marks = []
    for sid in names:
        status = field(form, f"status_{sid}") or ("present" if all_present else "")
        if status not in A.STATUS:
            raise ValidationFailed(A.ERRORS["status"].format(name=names[sid]), code="attendance_status_missing",
                                   field=f"status_{sid}")
        marks.append(lessons.Mark(sid, status, "" if status == "present" else field(form, f"reason_{sid}")[:500]))
    return marks


def located(exc: ValidationFailed, names: dict[int, str]) -> ValidationFailed:
    """The service's error on ``marks[i].reason`` put on the form's field of that child, with the child's name."""
    match = _MARK_FIELD.match(exc.field or "")
    ids = list(names)
    if not match or int(match.group(1)) >= len(ids):
        return exc
    sid = ids[int(match.group(1))]
    name = f"reason_{sid}" if match.group(2) == "reason" else f"status_{sid}"
    return ValidationFailed(A.ERRORS["about"].format(name=names[sid], message=exc.message), code=exc.code, field=name)


class SchoolAttendancePages(Controller):
    path = "/school"
    include_in_schema = False

    @get("/attendance", sync_to_thread=True)
    def overview(self, request: Req, db: DB, actor: Who, term: FromQuery[int | None] = None) -> Template:
        school = own_school(db, actor)
        today = clock.today_local()
        terms = list(db.scalars(select(Menu).where(Menu.school_id == school.id, Menu.status == MenuStatus.published)
                                .order_by(Menu.term_start.desc())))
        picked = next((m for m in terms if m.id == term), None) or current(terms, today)
        todays = db.execute(select(Lesson, Entry, Offering.title).join(Entry, Entry.id == Lesson.entry_id)
                            .join(Offering, Offering.id == Entry.offering_id).join(Menu, Menu.id == Entry.menu_id)
                            .where(Entry.school_id == school.id, Menu.status == MenuStatus.published, Lesson.day == today)
                            .order_by(Lesson.status == "cancelled", Lesson.start_min, Offering.title)).all()
        rows = classes(db, Entry.menu_id == picked.id) if picked else []
        unmarked, disputed = per_class(db, [r["entry"].id for r in rows], today)
        return attendance_page(request, "attendance_school.html", actor, A.SCHOOL, school=school, terms=terms,
                               picked=picked, todays=todays, counts=tallies(db, [lesson.id for lesson, _, _ in todays]),
                               rows=rows, unmarked=unmarked, disputed=disputed)

    @get("/entries/{entry_id:int}", sync_to_thread=True)
    def entry_page(self, request: Req, entry_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Template:
        entry = own_entry(db, actor, entry_id)
        kids = roster(db, entry.id)
        access.record(ctx, actor, entry.county_code, [k.id for k in kids], "class")
        today = clock.today_local()
        held = lessons.for_entry(db, entry.id)
        past = [x for x in reversed(held) if x.day <= today]
        return attendance_page(request, "attendance_entry.html", actor, A.ENTRY,
                               info=classes(db, Entry.id == entry.id)[0], menu=db.get(Menu, entry.menu_id),
                               kids=kids, past=past,
                               upcoming=[x for x in held if x.day > today], counts=tallies(db, [x.id for x in past]))

    @get("/lessons/{lesson_id:int}", sync_to_thread=True)
    def lesson_page(self, request: Req, lesson_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Template:
        lesson, entry = own_lesson(db, actor, lesson_id)
        kids = roster(db, entry.id)
        access.record(ctx, actor, entry.county_code, [k.id for k in kids], "lesson")
        marks = {a.student_id: a for a in db.scalars(select(Attendance).where(Attendance.lesson_id == lesson.id))}
        gone = sorted(set(marks) - {k.id for k in kids})
        former = list(db.scalars(select(Student).where(Student.id.in_(gone)).order_by(Student.id))) if gone else []
        if lesson.day > clock.today_local():
            state = "future"
        else:
            state = "cancelled" if lesson.status == "cancelled" else ("open" if kids else "nobody")
        teacher = db.get(Staff, lesson.staff_id) if lesson.staff_id else None
        last = max((as_utc(a.marked_at) for a in marks.values()), default=None)
        return attendance_page(request, "attendance_lesson.html", actor, A.MARK, lesson=lesson,
                               info=classes(db, Entry.id == entry.id)[0], kids=kids, marks=marks, former=former, state=state,
                               teacher=teacher.name if teacher else "", saved_at=fmt_local(last),
                               action=f"/school/lessons/{lesson.id}")

    @post("/lessons/{lesson_id:int}", sync_to_thread=True)
    def mark(self, request: Req, lesson_id: FromPath[int], data: Form, db: DB, actor: Who) -> Redirect:
        lesson, entry = own_lesson(db, actor, lesson_id)
        if lesson.day > clock.today_local() or lesson.status == "cancelled":
            lessons.mark(db, actor, lesson.id, [])  # refused by the service, with its own message
        ids = list(dict.fromkeys(int(v) for v in values(data, "student") if v.isdecimal() and len(v) < 10))
        found = dict(db.execute(select(Student.id, Student.name).where(  # the school's own: no name of another's
            Student.id.in_(ids), Student.school_id == entry.school_id)).all())
        names = {sid: found[sid] for sid in ids if sid in found}
        if not names:
            raise ValidationFailed(A.ERRORS["nobody"], code="attendance_empty", field="student")
        marks = marks_from_form(data, names)
        title, day = db.scalar(select(Offering.title).where(Offering.id == entry.offering_id)) or "", day_label(lesson.day)
        try:
            lessons.mark(db, actor, lesson.id, marks)
        except ValidationFailed as exc:
            raise located(exc, names) from None
        n = Counter(m.status for m in marks)
        return done(request, f"/school/lessons/{lesson_id}",
                    A.DONE["marked"].format(title=title, day=day, p=n["present"], a=n["absent"], l=n["leave"]))


# --- parents ---------------------------------------------------------------------------------------


class ParentAttendancePages(Controller):
    path = "/parent/attendance"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def records(self, request: Req, db: DB, actor: Who) -> Template:
        kids = students.children_of(db, actor)
        since = clock.today_local() - dt.timedelta(days=PARENT_DAYS)
        rows = db.execute(select(Attendance, Lesson, Offering.title).join(Lesson, Lesson.id == Attendance.lesson_id)
                          .join(Entry, Entry.id == Lesson.entry_id).join(Offering, Offering.id == Entry.offering_id)
                          .where(Attendance.student_id.in_([k.id for k in kids]),
                                 or_(Attendance.parent_status.is_(None), Lesson.day >= since))
                          .order_by(Lesson.day.desc(), Lesson.start_min.desc(), Attendance.id)).all() if kids else []
        awaiting = {k.id: [r for r in rows if r[0].student_id == k.id and r[0].parent_status is None] for k in kids}
        answered = {k.id: [r for r in rows if r[0].student_id == k.id and r[0].parent_status][:PARENT_ANSWERED]
                    for k in kids}
        cases = noshow.for_family(db, actor)
        return attendance_page(request, "attendance_parent.html", actor, A.PARENT | FAMILY, kids=kids,
                               awaiting=awaiting, answered=answered, fmt_local=fmt_local, cases=cases)

    @post("/{lesson_id:int}/{student_id:int}", sync_to_thread=True)
    def answer(self, request: Req, lesson_id: FromPath[int], student_id: FromPath[int], data: Form, db: DB,
               actor: Who) -> Redirect:
        actor.require("parent")
        kid = students.child_of(db, actor, student_id)
        answer = field(data, "answer")
        if answer not in ("confirm", "dispute"):
            raise ValidationFailed(A.ERRORS["answer"], code="answer_required", field="answer")
        confirm = answer == "confirm"
        row = lessons.respond(db, actor, lesson_id, student_id, confirm=confirm, note="" if confirm else field(data, "note"))
        found = db.execute(select(Lesson.day, Offering.title).join(Entry, Entry.id == Lesson.entry_id)
                           .join(Offering, Offering.id == Entry.offering_id).where(Lesson.id == row.lesson_id)).one()
        message = A.DONE["confirmed" if confirm else "disputed"].format(name=kid.name, day=day_label(found[0]), title=found[1])
        return done(request, f"/parent/attendance#record-{lesson_id}-{student_id}", message)


ATTENDANCE_ROUTES: list[Any] = [SchoolAttendancePages, ParentAttendancePages]
