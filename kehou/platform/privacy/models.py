"""Privacy records: the log of views of children's records (append-only: nothing in the code updates or deletes a
row), bulk exports with their approvals, and what the retention job removed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class ChildAccess(Base):
    """One person's view of one child's record: who (account and role), what (the page or API), why, when."""

    __tablename__ = "child_access"
    __table_args__ = (Index("ix_child_access_actor_at", "actor_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))  # when a provider's staff looked
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    what: Mapped[str] = mapped_column(String(60))  # ACCESS_WHAT
    purpose: Mapped[str] = mapped_column(String(60))


class DataExport(Base):
    """A bulk export of children's personal data: asked, approved by a second person (or not), downloaded once,
    with the watermark written into the file and the file's digest."""

    __tablename__ = "data_export"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), index=True)  # exports.STATUS
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    downloaded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    watermark: Mapped[str] = mapped_column(Text, default="")


class RetentionAction(Base):
    """One step of the retention job in a county: what category of data was removed or anonymised, for how many
    children, guardians or other records, and the children concerned (their records remain, anonymised)."""

    __tablename__ = "retention_action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    category: Mapped[str] = mapped_column(String(30))  # inventory.CATEGORIES
    method: Mapped[str] = mapped_column(String(60))
    students: Mapped[int] = mapped_column(Integer)
    contacts: Mapped[int] = mapped_column(Integer)  # guardian accounts closed
    records: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # other records removed or emptied
    note: Mapped[str] = mapped_column(Text, default="")
    student_ids: Mapped[list[int]] = mapped_column(JSON)


class PrivacyRequest(Base):
    """A parent's request about their child's information (correct, delete, explain), answered by the school by
    ``due_on``."""

    __tablename__ = "privacy_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # requests.KINDS
    detail: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # open | done | refused
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_on: Mapped[dt.date] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PrivacyNotice(Base):
    """A version of a county's privacy notice (告知书); without one, the platform's default (version 0) applies."""

    __tablename__ = "privacy_notice"
    __table_args__ = (UniqueConstraint("county_code", "version", name="uq_privacy_notice_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Consent(Base):
    """A guardian's consent: ``notice`` (the notice of ``notice_version`` accepted), ``showcase`` or ``survey``;
    withdrawn (or replaced by the acceptance of a newer notice) when ``withdrawn_at`` is set."""

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_user_scope", "user_id", "scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    scope: Mapped[str] = mapped_column(String(20))
    notice_version: Mapped[int] = mapped_column(Integer)
    given_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(64), default="")
