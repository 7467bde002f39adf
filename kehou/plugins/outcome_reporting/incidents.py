"""Safety incidents (安全事件) during a provider's lesson, reported by the school's admin or the provider
for a course of theirs. Serious and major ones reach the county's staff at once; county staff close
each with a note. Everyone sees only their own: a school its school's, a provider its courses', the
county its county's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.notifications.services import notify_county_staff
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting.access import settings
from kehou.plugins.outcome_reporting.models.supervision import Incident
from kehou.timeutil import as_utc, utcnow

SEVERITIES = ("minor", "serious", "major")
SEVERITY_LABELS = {"minor": "一般", "serious": "较大", "major": "重大"}
ALERT = ("serious", "major")
TEXT_MAX = 5000


@dataclass(frozen=True)
class IncidentInput:
    entry_id: int
    severity: str
    occurred_at: dt.datetime
    description: str
    injured: int = 0
    actions_taken: str = ""


def _not_found() -> NotFound:
    return NotFound("安全事件不存在。", code="incident_not_found")


def report(ctx: Context, session: Session, actor: Actor, data: IncidentInput) -> Incident:
    actor.require("school_admin", "provider")
    course = catalogue.course(session, data.entry_id)
    if course is None or (actor.role == "school_admin" and course.school_id != actor.school_id) or (
            actor.role == "provider" and course.provider_id != actor.provider_id):
        raise NotFound("课程不存在。", code="entry_not_found", field="entry_id")
    settings(ctx, session, course.county_code)
    if data.severity not in SEVERITIES:
        raise ValidationFailed("请选择严重程度：一般、较大或重大。", code="severity_invalid", field="severity")
    if isinstance(data.injured, bool) or not isinstance(data.injured, int) or not 0 <= data.injured <= 1000:
        raise ValidationFailed("受伤人数须为0或正整数。", code="injured_invalid", field="injured")
    description = (data.description or "").strip()
    if len(description) < 5:
        raise ValidationFailed("请描述事件经过（至少5个字）。", code="description_required", field="description")
    if len(description) > TEXT_MAX or len(data.actions_taken or "") > TEXT_MAX:
        raise ValidationFailed(f"描述不能超过{TEXT_MAX}个字。", code="text_too_long", field="description")
    if data.occurred_at.tzinfo is None:
        raise ValidationFailed("发生时间须带时区。", code="datetime_invalid", field="occurred_at")
    occurred = as_utc(data.occurred_at)
    now = utcnow()
    if occurred > now + dt.timedelta(minutes=5):
        raise ValidationFailed("发生时间不能晚于现在。", code="occurred_in_future", field="occurred_at")
    i = Incident(county_code=course.county_code, school_id=course.school_id, provider_id=course.provider_id,
                 entry_id=course.entry_id, term_name=course.term_name, occurred_at=occurred, severity=data.severity,
                 description=description, injured=data.injured, actions_taken=(data.actions_taken or "").strip(),
                 reported_by=actor.user_id, reported_at=now, status="open")
    session.add(i)
    session.flush()
    audit.record(session, actor, county_code=i.county_code, action="outcome.incident.report", entity_type="outcome_incident",
                 entity_id=i.id, new={"entry_id": i.entry_id, "provider_id": i.provider_id, "school_id": i.school_id,
                                      "severity": i.severity, "injured": i.injured, "occurred_at": i.occurred_at,
                                      "description": i.description, "actions_taken": i.actions_taken})
    if i.severity in ALERT:
        notify_county_staff(session, i.county_code, f"{SEVERITY_LABELS[i.severity]}安全事件",
                            f"「{course.title}」发生{SEVERITY_LABELS[i.severity]}安全事件，受伤{i.injured}人：{description[:100]}",
                            "/county/supervision#incidents")
    session.commit()
    return i


def _visible(actor: Actor) -> Any:
    if actor.role == "county_staff":
        return Incident.county_code == actor.county_code
    if actor.role == "school_admin":
        return Incident.school_id == actor.school_id
    if actor.role == "provider":
        return Incident.provider_id == actor.provider_id
    raise PermissionDenied("您的角色无权查看安全事件。")


def list_for(session: Session, actor: Actor) -> list[Incident]:
    actor.require("county_staff", "school_admin", "provider")
    return list(session.scalars(select(Incident).where(_visible(actor))
                                .order_by(Incident.occurred_at.desc(), Incident.id.desc())))


def get(session: Session, actor: Actor, incident_id: int) -> Incident:
    actor.require("county_staff", "school_admin", "provider")
    i = session.scalars(select(Incident).where(Incident.id == incident_id, _visible(actor))).first()
    if i is None:
        raise _not_found()
    return i


def close(ctx: Context, session: Session, actor: Actor, incident_id: int, note: str) -> Incident:
    actor.require("county_staff")
    i = session.scalars(select(Incident).where(Incident.id == incident_id).with_for_update()).first()
    if i is None or i.county_code != actor.county_code:
        raise _not_found()
    settings(ctx, session, i.county_code)
    if i.status != "open":
        raise Conflict("该安全事件已结案。", code="incident_closed")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("请填写结案说明。", code="note_required", field="note")
    if len(note) > TEXT_MAX:
        raise ValidationFailed(f"结案说明不能超过{TEXT_MAX}个字。", code="text_too_long", field="note")
    i.status, i.closed_note, i.closed_by, i.closed_at = "closed", note, actor.user_id, utcnow()
    audit.record(session, actor, county_code=i.county_code, action="outcome.incident.close", entity_type="outcome_incident",
                 entity_id=i.id, reason=note, old={"status": "open"}, new={"status": "closed", "closed_note": note})
    session.commit()
    return i


def incident_out(i: Incident) -> dict[str, Any]:
    return {"id": i.id, "county_code": i.county_code, "school_id": i.school_id, "provider_id": i.provider_id,
            "entry_id": i.entry_id, "term_name": i.term_name, "occurred_at": i.occurred_at.isoformat(),
            "severity": i.severity, "injured": i.injured, "description": i.description, "actions_taken": i.actions_taken,
            "reported_at": i.reported_at.isoformat(), "status": i.status, "closed_note": i.closed_note,
            "closed_at": i.closed_at.isoformat() if i.closed_at else None}
