"""JSON API of supervision: class patrols (multipart, with photos), complaints and their workflow,
the public complaint form and tracking, safety incidents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody

from kehou.errors import ValidationFailed
from kehou.plugins.outcome_reporting import complaints, incidents, patrols
from kehou.web.deps import DB, Ctx, Who


@dataclass
class PatrolForm:
    """Multipart: the lesson (the page's form only), the five checks (yes/no), the rating, notes and up to six photos."""

    lesson_id: str = ""
    instructor_present: str = ""
    instructor_matches: str = ""
    on_topic: str = ""
    non_academic: str = ""
    safety_ok: str = ""
    rating: str = ""
    notes: str = ""
    photos: Any = None  # one file or several; a browser sends an empty part (a string) when none was chosen


YES = {"yes", "true", "1", "on", "是"}
NO = {"no", "false", "0", "否"}
CHECK_LABELS = {"instructor_present": "授课教师是否到岗", "instructor_matches": "是否为登记的授课教师",
                "on_topic": "内容是否与课程相符", "non_academic": "是否无学科类教学", "safety_ok": "安全是否正常"}


def yes_no(value: str, name: str) -> bool:
    v = (value or "").strip().lower()
    if v in YES:
        return True
    if v in NO:
        return False
    raise ValidationFailed(f"请选择「{CHECK_LABELS[name]}」：是或否。", code="check_required", field=name)


def whole(value: str, name: str, label: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise ValidationFailed(f"「{label}」须为整数。", code="integer_required", field=name) from None


def patrol_input(form: PatrolForm, lesson_id: int | None = None) -> patrols.PatrolInput:
    """The form as the service's input; the API names the lesson in its path, the page in a field."""
    parts = form.photos if isinstance(form.photos, list) else [form.photos]
    uploads = [u for u in parts if isinstance(u, UploadFile)]
    photos = [patrols.Photo(u.filename or "", u.file.read()) for u in uploads if (u.filename or "").strip()]
    return patrols.PatrolInput(
        lesson_id=lesson_id if lesson_id is not None else whole(form.lesson_id, "lesson_id", "课次"),
        **{name: yes_no(getattr(form, name), name) for name in patrols.CHECKS},
        rating=whole(form.rating, "rating", "评分"), notes=form.notes or "", photos=photos)


class ComplaintBody(msgspec.Struct):
    category: str
    text: str
    entry_id: int | None = None
    provider_id: int | None = None


class PublicComplaintBody(msgspec.Struct):
    category: str
    text: str
    anonymous: bool = True
    contact_name: str = ""
    contact_phone: str = ""
    entry_id: int | None = None
    provider_id: int | None = None


class AssignBody(msgspec.Struct):
    handler_id: int
    note: str = ""


class InvestigateBody(msgspec.Struct):
    investigation: str


class ResolveBody(msgspec.Struct):
    finding: str
    resolution: str


class VisibilityBody(msgspec.Struct):
    visible: bool
    note: str = ""


Aware = Annotated[dt.datetime, msgspec.Meta(tz=True)]


class IncidentBody(msgspec.Struct):
    entry_id: int
    severity: str
    occurred_at: Aware
    description: str
    injured: int = 0
    actions_taken: str = ""


class CloseBody(msgspec.Struct):
    note: str


class PatrolsApi(Controller):
    path = "/api/v1/patrols"
    tags = ["outcome"]

    @get("/", sync_to_thread=True, summary="Patrols: the school its own, the county its county's, the provider its courses'")
    def index(self, db: DB, actor: Who) -> list[dict[str, Any]]:
        return [patrols.patrol_out(p, actor) for p in patrols.list_for(db, actor)]

    @get("/lessons", sync_to_thread=True, summary="Lessons to patrol: today's first, then the past week's")
    def lessons(self, db: DB, actor: Who) -> list[dict[str, Any]]:
        return patrols.lesson_choices(db, actor)

    @get("/{patrol_id:int}", sync_to_thread=True, summary="One patrol with short-lived links to its photos")
    def show(self, patrol_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        p = patrols.get(db, actor, patrol_id)
        links = [patrols.photo_url(ctx, db, actor, p.id, n) for n in range(len(p.photos or []))]
        return patrols.patrol_out(p, actor) | {"photo_urls": links}


class LessonPatrolsApi(Controller):
    path = "/api/v1/lessons/{lesson_id:int}/patrols"
    tags = ["outcome"]

    @post("/", sync_to_thread=True, status_code=201,
          summary="Record a patrol of the lesson (multipart: the five checks yes/no, rating, notes, photos JPEG/PNG)")
    def create(self, lesson_id: FromPath[int], data: MultipartBody[PatrolForm], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        actor.require("school_admin", "county_staff")
        return patrols.patrol_out(patrols.record(ctx, db, actor, patrol_input(data, lesson_id)), actor)


class ComplaintsApi(Controller):
    path = "/api/v1/complaints"
    tags = ["outcome"]

    @get("/", sync_to_thread=True, summary="Complaints the actor may see (?status=)")
    def index(self, db: DB, actor: Who, status: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        return [complaints.complaint_out(c, actor) for c in complaints.list_for(db, actor, status)]

    @post("/", sync_to_thread=True, status_code=201, summary="File a complaint (parent about a child's course, school)")
    def create(self, data: JSONBody[ComplaintBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        c = complaints.submit(ctx, db, actor, complaints.ComplaintInput(
            category=data.category, text=data.text, entry_id=data.entry_id, provider_id=data.provider_id))
        return complaints.complaint_out(c, actor)

    @get("/{complaint_id:int}", sync_to_thread=True, summary="One complaint with its steps")
    def show(self, complaint_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        c = complaints.get(db, actor, complaint_id)
        out = complaints.complaint_out(c, actor)
        if actor.role != "provider":
            out["steps"] = [{"action": s.action, "old_status": s.old_status, "new_status": s.new_status,
                             "actor_role": s.actor_role, "note": s.note, "at": s.at.isoformat()}
                            for s in complaints.steps(db, c.id)]
        return out

    @post("/{complaint_id:int}/assign", sync_to_thread=True, status_code=200)
    def assign(self, complaint_id: FromPath[int], data: JSONBody[AssignBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return complaints.complaint_out(complaints.assign(ctx, db, actor, complaint_id, data.handler_id, data.note), actor)

    @post("/{complaint_id:int}/investigate", sync_to_thread=True, status_code=200)
    def investigate(self, complaint_id: FromPath[int], data: JSONBody[InvestigateBody], db: DB, ctx: Ctx,
                    actor: Who) -> dict[str, Any]:
        return complaints.complaint_out(complaints.investigate(ctx, db, actor, complaint_id, data.investigation), actor)

    @post("/{complaint_id:int}/resolve", sync_to_thread=True, status_code=200)
    def resolve(self, complaint_id: FromPath[int], data: JSONBody[ResolveBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return complaints.complaint_out(complaints.resolve(ctx, db, actor, complaint_id, data.finding, data.resolution), actor)

    @post("/{complaint_id:int}/visibility", sync_to_thread=True, status_code=200,
          summary="Show the complaint to the provider it is about (never the complainant), or hide it")
    def visibility(self, complaint_id: FromPath[int], data: JSONBody[VisibilityBody], db: DB, ctx: Ctx,
                   actor: Who) -> dict[str, Any]:
        return complaints.complaint_out(complaints.set_visibility(ctx, db, actor, complaint_id, data.visible, data.note), actor)


class PublicComplaintsApi(Controller):
    path = "/api/v1/public"
    tags = ["outcome"]

    @post("/counties/{code:str}/complaints", sync_to_thread=True, status_code=201,
          summary="A complaint from the public, anonymous allowed; answers the tracking code")
    def create(self, code: FromPath[str], data: JSONBody[PublicComplaintBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        c = complaints.submit(ctx, db, actor, complaints.ComplaintInput(
            category=data.category, text=data.text, entry_id=data.entry_id, provider_id=data.provider_id,
            anonymous=data.anonymous, contact_name=data.contact_name, contact_phone=data.contact_phone), county_code=code)
        return complaints.public_out(c)

    @get("/complaints/{tracking_code:str}", sync_to_thread=True, summary="Follow a complaint by its tracking code")
    def track(self, tracking_code: FromPath[str], db: DB) -> dict[str, Any]:
        return complaints.public_out(complaints.track(db, tracking_code))


class IncidentsApi(Controller):
    path = "/api/v1/incidents"
    tags = ["outcome"]

    @get("/", sync_to_thread=True)
    def index(self, db: DB, actor: Who) -> list[dict[str, Any]]:
        return [incidents.incident_out(i) for i in incidents.list_for(db, actor)]

    @post("/", sync_to_thread=True, status_code=201, summary="Report a safety incident (school admin or provider)")
    def create(self, data: JSONBody[IncidentBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return incidents.incident_out(incidents.report(ctx, db, actor, incidents.IncidentInput(
            entry_id=data.entry_id, severity=data.severity, occurred_at=data.occurred_at, description=data.description,
            injured=data.injured, actions_taken=data.actions_taken)))

    @get("/{incident_id:int}", sync_to_thread=True)
    def show(self, incident_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        return incidents.incident_out(incidents.get(db, actor, incident_id))

    @post("/{incident_id:int}/close", sync_to_thread=True, status_code=200, summary="Close with a note (county staff)")
    def close(self, incident_id: FromPath[int], data: JSONBody[CloseBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return incidents.incident_out(incidents.close(ctx, db, actor, incident_id, data.note))


API_ROUTES = [PatrolsApi, LessonPatrolsApi, ComplaintsApi, PublicComplaintsApi, IncidentsApi]
