"""Supervision records: class patrols (查堂/巡课), complaints with their handling steps, safety incidents.
Instants are UTC; ``term_name`` is the catalogue's term (e.g. 2026-2027学年第一学期)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime
from kehou.platform.pii import SealedText


class Patrol(Base):
    """One visit to one lesson by a school's patrol teacher (school_admin) or a county inspector."""

    __tablename__ = "outcome_patrol"
    __table_args__ = (Index("ix_outcome_patrol_county_term", "county_code", "term_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("course_entry.id"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"), index=True)
    term_name: Mapped[str] = mapped_column(String(60))
    day: Mapped[dt.date] = mapped_column(Date)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    inspector_kind: Mapped[str] = mapped_column(String(10))  # school | county
    instructor_present: Mapped[bool] = mapped_column(Boolean)
    instructor_matches: Mapped[bool] = mapped_column(Boolean)  # the instructor on the entry, not a stand-in
    on_topic: Mapped[bool] = mapped_column(Boolean)  # the course's declared content
    non_academic: Mapped[bool] = mapped_column(Boolean)  # no academic (学科类) teaching
    safety_ok: Mapped[bool] = mapped_column(Boolean)
    rating: Mapped[int] = mapped_column(Integer)  # 1..5
    notes: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"key", "sha256", "name", "content_type"}]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Complaint(Base):
    """A complaint from a parent, a school or the public (anonymous allowed), handled by the county:
    received → assigned → investigated → resolved (with a finding)."""

    __tablename__ = "outcome_complaint"
    __table_args__ = (Index("ix_outcome_complaint_county_status", "county_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)  # the complainant follows the case with it
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("course_entry.id"))
    term_name: Mapped[str] = mapped_column(String(60), default="")
    source: Mapped[str] = mapped_column(String(10))  # parent | school | public
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    # sealed at rest: a complainant is usually a guardian (kehou.platform.pii.SealedText)
    contact_phone: Mapped[str] = mapped_column("contact_phone_sealed", SealedText(empty=""), insert_default="")
    category: Mapped[str] = mapped_column(String(20))  # fees | safety | teaching | conduct | academic | other
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # received | assigned | investigated | resolved
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    assign_by: Mapped[dt.date] = mapped_column(Date)  # deadlines, county working days from receipt
    resolve_by: Mapped[dt.date] = mapped_column(Date)
    investigation: Mapped[str] = mapped_column(Text, default="")
    finding: Mapped[str | None] = mapped_column(String(20))  # substantiated | partly | unsubstantiated
    resolution: Mapped[str] = mapped_column(Text, default="")
    visible_to_provider: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ComplaintStep(Base):
    """Append-only history of a complaint: who, when, what, old and new status, note."""

    __tablename__ = "outcome_complaint_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("outcome_complaint.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Incident(Base):
    """A safety incident during a provider's lesson, reported by the school or the provider."""

    __tablename__ = "outcome_incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("course_entry.id"))
    term_name: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    severity: Mapped[str] = mapped_column(String(10))  # minor | serious | major
    description: Mapped[str] = mapped_column(Text)
    injured: Mapped[int] = mapped_column(Integer, default=0)  # children hurt
    actions_taken: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    closed_note: Mapped[str] = mapped_column(Text, default="")
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
