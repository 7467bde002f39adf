"""Class patrols (查堂/巡课): a school's patrol teacher (school_admin of the lesson's school) or a county
inspector (county_staff of its county) visits one lesson and records what they saw, with photos.

A failed check (instructor absent or a stand-in, off-topic, academic teaching, unsafe) tells the
county's staff and the provider at once. The provider sees the patrols of its own courses, never the
inspector's identity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from kehou.db import contains_pattern
from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.notifications.services import notify_county_staff, notify_provider_users
from kehou.platform.providers.models import Provider
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting.access import settings
from kehou.plugins.outcome_reporting.models.supervision import Patrol
from kehou.storage import new_key
from kehou.storage.validation import validate_upload
from kehou.timeutil import clock, utcnow

CHECKS = ("instructor_present", "instructor_matches", "on_topic", "non_academic", "safety_ok")
PHOTO_KINDS = ("jpeg", "png")
MAX_PHOTOS = 6
LINK_TTL = dt.timedelta(minutes=10)
RECENT_DAYS = 7  # lessons offered for a patrol: today first, then the last week's
NOTES_MAX = 2000


@dataclass(frozen=True)
class Photo:
    filename: str
    data: bytes


@dataclass(frozen=True)
class PatrolInput:
    lesson_id: int
    instructor_present: bool
    instructor_matches: bool
    on_topic: bool
    non_academic: bool
    safety_ok: bool
    rating: int
    notes: str = ""
    photos: list[Photo] = field(default_factory=list)


def failed_checks(p: Patrol) -> list[str]:
    return [name for name in CHECKS if not getattr(p, name)]


def _lesson_for(session: Session, actor: Actor, lesson_id: int) -> tuple[catalogue.LessonRecord, catalogue.CourseRecord]:
    """The lesson and its course, if the actor may patrol it (else not found: no leak across tenants)."""
    actor.require("school_admin", "county_staff")
    lesson = catalogue.lesson(session, lesson_id)
    course = catalogue.course(session, lesson.entry_id) if lesson else None
    if lesson is None or course is None or (actor.role == "school_admin" and actor.school_id != lesson.school_id) or (
            actor.role == "county_staff" and actor.county_code != course.county_code):
        raise NotFound("课次不存在。", code="lesson_not_found", field="lesson_id")
    return lesson, course


def record(ctx: Context, session: Session, actor: Actor, data: PatrolInput) -> Patrol:
    """Record one patrol; photos are checked by content, stored, and removed again if saving fails."""
    lesson, course = _lesson_for(session, actor, data.lesson_id)
    values = settings(ctx, session, course.county_code)
    if lesson.status == "cancelled":
        raise Conflict("该课次已取消，无需巡课。", code="lesson_cancelled", field="lesson_id")
    if lesson.day > clock.today_local():
        raise Conflict("课次尚未开始，不能提前记录巡课。", code="patrol_too_early", field="lesson_id")
    if isinstance(data.rating, bool) or not isinstance(data.rating, int) or not 1 <= data.rating <= 5:
        raise ValidationFailed("评分须为1到5的整数。", code="rating_invalid", field="rating")
    notes = (data.notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise ValidationFailed(f"备注不能超过{NOTES_MAX}个字。", code="notes_too_long", field="notes")
    if len(data.photos) > MAX_PHOTOS:
        raise ValidationFailed(f"每次巡课最多上传{MAX_PHOTOS}张照片。", code="too_many_photos", field="photos")
    max_bytes = int(values.get("documents.max_size_bytes") or 0) or 5 * 1024 * 1024
    checked = [(validate_upload(p.data, p.filename, allowed=PHOTO_KINDS, max_bytes=max_bytes), p.data) for p in data.photos]
    stored: list[str] = []
    try:
        photos = []
        for check, raw in checked:
            key = new_key(f"outcome/patrols/{course.county_code}")
            ctx.storage.put(key, raw, check.content_type)
            stored.append(key)
            photos.append({"key": key, "sha256": check.sha256, "name": check.safe_name, "content_type": check.content_type})
        p = Patrol(county_code=course.county_code, school_id=course.school_id, provider_id=course.provider_id,
                   entry_id=course.entry_id, lesson_id=lesson.lesson_id, term_name=course.term_name, day=lesson.day,
                   inspector_id=actor.user_id, inspector_kind="school" if actor.role == "school_admin" else "county",
                   instructor_present=data.instructor_present, instructor_matches=data.instructor_matches,
                   on_topic=data.on_topic, non_academic=data.non_academic, safety_ok=data.safety_ok, rating=data.rating,
                   notes=notes, photos=photos, created_at=utcnow())
        session.add(p)
        session.flush()
        failed = failed_checks(p)
        audit.record(session, actor, county_code=p.county_code, action="outcome.patrol.record", entity_type="outcome_patrol",
                     entity_id=p.id, reason="；".join(failed),
                     new={"lesson_id": p.lesson_id, "entry_id": p.entry_id, "provider_id": p.provider_id,
                          "inspector_kind": p.inspector_kind, **{c: getattr(p, c) for c in CHECKS}, "rating": p.rating,
                          "notes": p.notes, "photos": [ph["sha256"] for ph in photos], "lesson_staff_id": lesson.staff_id})
        if failed:
            labels = "、".join(FAILED_LABELS[c] for c in failed)
            body = f"{lesson.day.isoformat()}「{course.title}」巡课发现问题：{labels}。"
            notify_county_staff(session, p.county_code, "巡课发现问题", body, "/county/supervision#patrols")
            notify_provider_users(session, p.provider_id, "巡课发现问题", body, "/provider/supervision#patrols", once=False)
        session.commit()
    except Exception:
        session.rollback()
        for key in stored:
            ctx.storage.delete(key)
        raise
    return p


FAILED_LABELS = {"instructor_present": "授课教师未到岗", "instructor_matches": "授课教师与登记不符（替课）",
                 "on_topic": "授课内容与课程不符", "non_academic": "存在学科类教学", "safety_ok": "存在安全隐患"}


def _scope(actor: Actor) -> Any:
    if actor.role == "school_admin":
        return Patrol.school_id == actor.school_id
    if actor.role == "county_staff":
        return Patrol.county_code == actor.county_code
    if actor.role == "provider":
        return Patrol.provider_id == actor.provider_id
    raise PermissionDenied("您的角色无权查看巡课记录。")


def list_for(session: Session, actor: Actor) -> list[Patrol]:
    """The school its own, the county its county's, the provider its own courses' patrols; newest first."""
    actor.require("school_admin", "county_staff", "provider")
    return list(session.scalars(select(Patrol).where(_scope(actor)).order_by(Patrol.day.desc(), Patrol.id.desc())))


def scope_courses(session: Session, actor: Actor) -> dict[int, str]:
    """The titles of the courses whose patrols (and complaints) the county or school lists: entry id -> title."""
    actor.require("school_admin", "county_staff")
    found = catalogue.courses(session, school_id=actor.school_id) if actor.role == "school_admin" else \
        catalogue.courses(session, county_code=actor.county_code)
    return {c.entry_id: c.title for c in found}


def list_stmt(session: Session, actor: Actor, *, search: str = "", provider_id: int | None = None,
              titles: dict[int, str] | None = None) -> Select[Patrol]:
    """The patrols list of a school (its own school's) or a county (its county's), newest first, for paging and
    export: searched by the provider's name, the course's title or the patroller's name; by provider. ``titles``:
    :func:`scope_courses`, if the caller has it already."""
    actor.require("school_admin", "county_staff")
    stmt = select(Patrol).where(_scope(actor))
    if provider_id is not None:
        stmt = stmt.where(Patrol.provider_id == provider_id)
    term = search.strip()
    if term:
        like = contains_pattern(term)
        titles = scope_courses(session, actor) if titles is None else titles
        entries = sorted(e for e, title in titles.items() if term.casefold() in title.casefold())
        stmt = stmt.where(or_(Patrol.provider_id.in_(select(Provider.id).where(Provider.name.ilike(like, escape="\\"))),
                              Patrol.inspector_id.in_(select(User.id).where(User.display_name.ilike(like, escape="\\"))),
                              Patrol.entry_id.in_(entries)))
    return stmt.order_by(Patrol.day.desc(), Patrol.id.desc())


def provider_ids(session: Session, actor: Actor) -> set[int]:
    """The providers of the patrols the actor may list (the choices of the list's provider filter)."""
    actor.require("school_admin", "county_staff")
    return set(session.scalars(select(Patrol.provider_id).where(_scope(actor)).distinct()))


def get(session: Session, actor: Actor, patrol_id: int) -> Patrol:
    actor.require("school_admin", "county_staff", "provider")
    p = session.scalars(select(Patrol).where(Patrol.id == patrol_id, _scope(actor))).first()
    if p is None:
        raise NotFound("巡课记录不存在。", code="patrol_not_found")
    return p


def photo_url(ctx: Context, session: Session, actor: Actor, patrol_id: int, index: int) -> str:
    """A short-lived signed link to one photo of a patrol the actor may see."""
    p = get(session, actor, patrol_id)
    if not 0 <= index < len(p.photos or []):
        raise NotFound("照片不存在。", code="photo_not_found")
    photo = p.photos[index]
    return ctx.storage.download_url(photo["key"], filename=photo["name"], content_type=photo["content_type"], expires=LINK_TTL)


def lesson_choices(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Lessons the actor may patrol: today's first (by start time), then the past week's, newest first."""
    actor.require("school_admin", "county_staff")
    today = clock.today_local()
    if actor.role == "school_admin":
        courses = {c.entry_id: c for c in catalogue.courses(session, school_id=actor.school_id)}
    else:
        courses = {c.entry_id: c for c in catalogue.courses(session, county_code=actor.county_code)}
    county = actor.county_code if actor.role == "county_staff" else None
    rows = [le for le in catalogue.lessons(session, county_code=county, since=today - dt.timedelta(days=RECENT_DAYS), until=today)
            if le.entry_id in courses and le.status != "cancelled"]
    rows.sort(key=lambda le: (le.day != today, -le.day.toordinal(), le.start_min))
    return [{"lesson_id": le.lesson_id, "entry_id": le.entry_id, "day": le.day.isoformat(), "today": le.day == today,
             "start_min": le.start_min, "end_min": le.end_min, "status": le.status, "checked_in_staff_id": le.staff_id,
             "instructor_id": courses[le.entry_id].instructor_id, "title": courses[le.entry_id].title,
             "school_id": le.school_id, "provider_id": le.provider_id} for le in rows]


def patrol_out(p: Patrol, actor: Actor) -> dict[str, Any]:
    """The provider never learns who patrolled (neither the inspector nor the notes' author)."""
    out = {"id": p.id, "county_code": p.county_code, "school_id": p.school_id, "provider_id": p.provider_id,
           "entry_id": p.entry_id, "lesson_id": p.lesson_id, "term_name": p.term_name, "day": p.day.isoformat(),
           "inspector_kind": p.inspector_kind, **{c: getattr(p, c) for c in CHECKS}, "rating": p.rating, "notes": p.notes,
           "failed": failed_checks(p), "photos": len(p.photos or []), "created_at": p.created_at.isoformat()}
    if actor.role != "provider":
        out["inspector_id"] = p.inspector_id
    return out
