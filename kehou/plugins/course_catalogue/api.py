"""JSON API of the course catalogue: providers' offerings, schools' menus, parents' selection,
lessons and attendance."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from kehou.errors import NotFound
from kehou.platform.privacy import access
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue import agreements as contracts
from kehou.plugins.course_catalogue import classes, enrolment, lessons, menus, offerings, queries, waitingroom
from kehou.plugins.course_catalogue.lottery import choices, runs
from kehou.plugins.course_catalogue.models import Attendance, Entry, Lesson
from kehou.plugins.course_catalogue.timewindow import fmt_hhmm
from kehou.timeutil import fmt_local
from kehou.web.deps import DB, Ctx, Who


class MaterialItem(msgspec.Struct):
    item: str
    fen: int


class OfferingBody(msgspec.Struct):
    county_code: str
    title: str
    category: str
    grades: list[int]
    sessions_per_week: int
    minutes: int
    capacity: int
    fee_fen: int
    instructor_id: int
    description: str = ""
    materials_fee_fen: int = 0
    materials: list[MaterialItem] = []
    school_requirements: str = ""
    #: when the automatic content check would block the course: why a person at the bureau should decide
    review_request: str = ""


class ReviewBody(msgspec.Struct):
    approve: bool
    reason: str = ""


class Reason(msgspec.Struct):
    reason: str = ""


Aware = Annotated[dt.datetime, msgspec.Meta(tz=True)]  # with an offset (+08:00 or Z): never guessed


class MenuBody(msgspec.Struct):
    opens_at: Aware
    closes_at: Aware
    service_start: str
    service_end: str
    homework_minutes: int = 0
    term_day: dt.date | None = None
    #: first_come or ranked_lottery (empty: the county's default)
    selection_mode: str = ""


class SlotBody(msgspec.Struct):
    weekday: int
    start: str


class PlaceBody(msgspec.Struct):
    offering_id: int
    venue: str
    capacity: int
    slots: list[SlotBody]
    grades: list[int] = []


class MergeBody(msgspec.Struct):
    into_id: int
    reason: str


class EnrolBody(msgspec.Struct):
    entry_id: int
    waitlist: bool = False


class CheckInBody(msgspec.Struct):
    staff_id: int
    late_reason: str = ""  # required after the county's grace period past the start


class MarkBody(msgspec.Struct):
    student_id: int
    status: str
    reason: str = ""


class MarksBody(msgspec.Struct):
    marks: list[MarkBody]


class RespondBody(msgspec.Struct):
    confirm: bool
    note: str = ""


def enrolment_out(e: Any) -> dict[str, Any]:
    return {"id": e.id, "entry_id": e.entry_id, "student_id": e.student_id, "status": e.status, "source": e.source,
            "requested_at": e.requested_at.isoformat(), "enrolled_at": e.enrolled_at.isoformat() if e.enrolled_at else None}


def lesson_out(lesson: Lesson) -> dict[str, Any]:
    return {"id": lesson.id, "entry_id": lesson.entry_id, "day": lesson.day.isoformat(), "start": fmt_hhmm(lesson.start_min),
            "end": fmt_hhmm(lesson.end_min), "status": lesson.status, "staff_id": lesson.staff_id,
            "late_reason": lesson.late_reason}


def attendance_out(a: Attendance) -> dict[str, Any]:
    return {"lesson_id": a.lesson_id, "student_id": a.student_id, "status": a.status, "reason": a.reason,
            "parent_status": a.parent_status, "parent_note": a.parent_note}


class OfferingsApi(Controller):
    path = "/api/v1/offerings"
    tags = ["catalogue"]

    @get("/", sync_to_thread=True, summary="Own offerings (provider) or the county's (county staff, ?status=)")
    def list_(self, db: DB, actor: Who, status: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        actor.require("provider", "county_staff", "platform_admin")
        if actor.role == "provider":
            return [queries.offering_out(o) for o in offerings.list_own(db, actor)]
        return [queries.offering_out(o) for o in offerings.for_county(db, actor, actor.county_code or "", status)]

    @post("/", sync_to_thread=True, status_code=201, summary="Offer a course (admitted provider)")
    def create(self, data: JSONBody[OfferingBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        body = msgspec.structs.asdict(data) | {"materials": [msgspec.structs.asdict(m) for m in data.materials]}
        return queries.offering_out(offerings.create(ctx, db, actor, offerings.OfferingInput(**body)))

    @post("/{offering_id:int}/withdraw", sync_to_thread=True, status_code=200)
    def withdraw(self, offering_id: FromPath[int], data: JSONBody[Reason], db: DB, actor: Who) -> dict[str, Any]:
        return queries.offering_out(offerings.withdraw(db, actor, offering_id, data.reason))

    @post("/{offering_id:int}/review", sync_to_thread=True, status_code=200, summary="Approve or reject (county staff)")
    def review(self, offering_id: FromPath[int], data: JSONBody[ReviewBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return queries.offering_out(offerings.review(ctx, db, actor, offering_id, approve=data.approve, reason=data.reason))


class SchoolCatalogueApi(Controller):
    path = "/api/v1"
    tags = ["catalogue"]

    @get("/schools/{school_id:int}/offerings", sync_to_thread=True, summary="Approved offerings a school may place")
    def offerings(self, school_id: FromPath[int], db: DB, actor: Who, q: FromQuery[str] = "") -> list[dict[str, Any]]:
        school = students.school_of(db, actor, school_id)
        return queries.approved_offerings(db, school.county_code, q)

    @get("/schools/{school_id:int}/menus", sync_to_thread=True)
    def menus(self, school_id: FromPath[int], db: DB, actor: Who) -> list[dict[str, Any]]:
        return [queries.menu_out(m) for m in menus.menus_of_school(db, actor, school_id)]

    @post("/schools/{school_id:int}/menus", sync_to_thread=True, status_code=201, summary="Start a term's course supermarket")
    def create_menu(self, school_id: FromPath[int], data: JSONBody[MenuBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return queries.menu_out(menus.create_menu(ctx, db, actor, school_id, menus.MenuInput(**msgspec.structs.asdict(data))))

    @get("/menus/{menu_id:int}", sync_to_thread=True, summary="A menu with its courses (school admin)")
    def menu(self, menu_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        m = menus.get_menu(db, actor, menu_id)
        return queries.menu_out(m) | {"entries": queries.entries(db, menu_id=m.id, include_closed=True)}

    @post("/menus/{menu_id:int}/entries", sync_to_thread=True, status_code=201, summary="Place an offering on slots")
    def place(self, menu_id: FromPath[int], data: JSONBody[PlaceBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        d = menus.PlaceInput(offering_id=data.offering_id, venue=data.venue, capacity=data.capacity, grades=data.grades,
                             slots=[menus.SlotInput(s.weekday, s.start) for s in data.slots])
        entry = menus.place(ctx, db, actor, menu_id, d)
        return {"id": entry.id, "menu_id": entry.menu_id, "capacity": entry.capacity, "grades": entry.grades}

    @post("/menus/{menu_id:int}/publish", sync_to_thread=True, status_code=200)
    def publish(self, menu_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return queries.menu_out(menus.publish(ctx, db, actor, menu_id))

    @delete("/entries/{entry_id:int}", sync_to_thread=True, status_code=204, summary="Remove from a draft menu")
    def remove(self, entry_id: FromPath[int], db: DB, actor: Who) -> None:
        menus.remove(db, actor, entry_id)

    @get("/entries/{entry_id:int}/roster", sync_to_thread=True)
    def roster(self, entry_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> list[dict[str, Any]]:
        entry = db.get(Entry, entry_id)
        if entry is None:
            raise NotFound("课程不存在。", code="entry_not_found")
        menus.get_menu(db, actor, entry.menu_id)
        rows = queries.roster(db, entry_id)
        access.record(ctx, actor, entry.county_code, [r["student_id"] for r in rows], "class_api")
        return rows

    @post("/entries/{entry_id:int}/cancel", sync_to_thread=True, status_code=200, summary="Cancel a class")
    def cancel(self, entry_id: FromPath[int], data: JSONBody[Reason], db: DB, actor: Who) -> dict[str, Any]:
        e = classes.cancel(db, actor, entry_id, data.reason)
        return {"id": e.id, "status": e.status}

    @post("/entries/{entry_id:int}/merge", sync_to_thread=True, status_code=200, summary="Merge into another class")
    def merge(self, entry_id: FromPath[int], data: JSONBody[MergeBody], db: DB, actor: Who) -> dict[str, Any]:
        t = classes.merge(db, actor, entry_id, data.into_id, data.reason)
        return {"id": t.id, "enrolled": t.enrolled, "grades": t.grades}

    @get("/entries/{entry_id:int}/lessons", sync_to_thread=True, summary="Lessons (school admin or the provider)")
    def lessons(self, entry_id: FromPath[int], db: DB, actor: Who) -> list[dict[str, Any]]:
        entry = db.get(Entry, entry_id)
        if entry is None or (actor.role == "provider" and entry.provider_id != actor.provider_id):
            raise NotFound("课程不存在。", code="entry_not_found")
        if actor.role != "provider":
            menus.get_menu(db, actor, entry.menu_id)
        return [lesson_out(x) for x in lessons.for_entry(db, entry_id)]

    @post("/lessons/{lesson_id:int}/check-in", sync_to_thread=True, status_code=200, summary="Instructor check-in (provider)")
    def check_in(self, lesson_id: FromPath[int], data: JSONBody[CheckInBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return lesson_out(lessons.check_in(ctx, db, actor, lesson_id, data.staff_id, late_reason=data.late_reason))

    @post("/lessons/{lesson_id:int}/attendance", sync_to_thread=True, status_code=200, summary="Record attendance (school)")
    def attendance(self, lesson_id: FromPath[int], data: JSONBody[MarksBody], db: DB, actor: Who) -> list[dict[str, Any]]:
        marks = [lessons.Mark(m.student_id, m.status, m.reason) for m in data.marks]
        return [attendance_out(a) for a in lessons.mark(db, actor, lesson_id, marks)]


class AllocationApi(Controller):
    """A school allocates its ranked-lottery menu after the window closed, reviews, and publishes."""

    path = "/api/v1"
    tags = ["catalogue"]

    @post("/menus/{menu_id:int}/allocation", sync_to_thread=True, status_code=201,
          summary="Allocate (again) from the families' ranked lists: stored as a draft with every decision's reason")
    def allocate(self, menu_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        actor.require("school_admin")
        return runs.summary(db, runs.run(ctx, db, actor, menu_id))

    @get("/menus/{menu_id:int}/allocation", sync_to_thread=True, summary="The latest allocation, for review")
    def allocation(self, menu_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        actor.require("school_admin")
        made = runs.latest(db, actor, menu_id)
        if made is None:
            raise NotFound("尚未分配。", code="run_not_found")
        return runs.summary(db, made)

    @post("/allocation-runs/{run_id:int}/publish", sync_to_thread=True, status_code=200,
          summary="Publish an allocation: enrol, reveal the seed, tell the families")
    def publish(self, run_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        actor.require("school_admin")
        return runs.summary(db, runs.publish(ctx, db, actor, run_id))


class ChoicesBody(msgspec.Struct):
    entry_ids: list[int]


def _saved_out(saved: choices.Saved) -> dict[str, Any]:
    return {"entry_ids": saved.entry_ids, "saved_at": saved.saved_at.isoformat() if saved.saved_at else None,
            "saved_at_local": fmt_local(saved.saved_at) if saved.saved_at else None, "warnings": saved.warnings}


class ParentCatalogueApi(Controller):
    path = "/api/v1/children/{student_id:int}"
    tags = ["catalogue"]

    @get("/courses", sync_to_thread=True, summary="Courses open to the child (?q= searches titles)")
    def courses(self, student_id: FromPath[int], db: DB, actor: Who, q: FromQuery[str] = "") -> list[dict[str, Any]]:
        return queries.choices_for_child(db, actor, student_id, q)

    @get("/courses/{entry_id:int}", sync_to_thread=True)
    def course(self, student_id: FromPath[int], entry_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        for row in queries.choices_for_child(db, actor, student_id):
            if row["id"] == entry_id:
                return row
        raise NotFound("没有该课程，或已停止开放。", code="entry_not_found")

    @get("/menus/{menu_id:int}/choices", sync_to_thread=True, summary="The child's ranked choices on a ranked-lottery menu")
    def ranked(self, student_id: FromPath[int], menu_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        return _saved_out(choices.current(db, actor, student_id, menu_id))

    @put("/menus/{menu_id:int}/choices", sync_to_thread=True, summary="Replace the child's ranked choices (most wanted "
         "first; an empty list withdraws them) while the choice window is open")
    def rank(self, student_id: FromPath[int], menu_id: FromPath[int], data: JSONBody[ChoicesBody], db: DB, ctx: Ctx,
             actor: Who) -> dict[str, Any]:
        return _saved_out(choices.save(ctx, db, actor, student_id, menu_id, data.entry_ids))

    @post("/enrolments", sync_to_thread=True, status_code=201, summary="Enrol (idempotent; 200 when already enrolled)")
    def enrol(self, student_id: FromPath[int], data: JSONBody[EnrolBody], db: DB, ctx: Ctx,
              actor: Who) -> Response[dict[str, Any]]:
        outcome = enrolment.enroll(ctx, db, actor, student_id, data.entry_id, waitlist=data.waitlist)
        return Response(enrolment_out(outcome.enrolment), status_code=201 if outcome.created else 200)

    @post("/enrolments/{entry_id:int}/quit", sync_to_thread=True, status_code=200)
    def quit(self, student_id: FromPath[int], entry_id: FromPath[int], data: JSONBody[Reason], db: DB, ctx: Ctx,
             actor: Who) -> dict[str, Any]:
        return enrolment_out(enrolment.quit(ctx, db, actor, student_id, entry_id, data.reason))

    @get("/timetable", sync_to_thread=True, summary="一人一课表")
    def timetable(self, student_id: FromPath[int], db: DB, actor: Who) -> list[dict[str, Any]]:
        students.child_of(db, actor, student_id)
        return enrolment.timetable(db, student_id)

    @get("/agreements", sync_to_thread=True, summary="The child's enrolled courses and their tripartite agreements")
    def agreements(self, student_id: FromPath[int], db: DB, actor: Who) -> list[dict[str, Any]]:
        students.child_of(db, actor, student_id)
        return contracts.for_child(db, student_id)

    @post("/enrolments/{entry_id:int}/agreement", sync_to_thread=True, status_code=200,
          summary="The tripartite agreement of an enrolment (made on first request), to read and sign")
    def agreement(self, student_id: FromPath[int], entry_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        actor.require("parent")
        students.child_of(db, actor, student_id)
        row = contracts.ensure_tripartite(ctx, db, actor, contracts.enrolment_of(db, student_id, entry_id))
        return {"agreement_id": row.id, "status": row.status, "pdf_sha256": row.pdf_sha256, "title": row.title}

    @post("/lessons/{lesson_id:int}/attendance", sync_to_thread=True, status_code=200, summary="Confirm or dispute attendance")
    def respond(self, student_id: FromPath[int], lesson_id: FromPath[int], data: JSONBody[RespondBody], db: DB,
                actor: Who) -> dict[str, Any]:
        return attendance_out(lessons.respond(db, actor, lesson_id, student_id, confirm=data.confirm, note=data.note))


class QueueApi(Controller):
    """The waiting room (候场排队) at a first-come selection's opening: see docs/selection.md."""

    path = "/api/v1/menus/{menu_id:int}/queue"
    tags = ["catalogue"]

    @get("/", sync_to_thread=True, summary="The parent's place in the menu's waiting room")
    def look(self, menu_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return waitingroom.status_out(waitingroom.look(ctx, db, actor, menu_id))

    @post("/", sync_to_thread=True, status_code=200, summary="Take a ticket (idempotent: one per parent and menu)")
    def join(self, menu_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return waitingroom.status_out(waitingroom.join(ctx, db, actor, menu_id))


API_ROUTES = [OfferingsApi, SchoolCatalogueApi, ParentCatalogueApi, QueueApi, AllocationApi]
