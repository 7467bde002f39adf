from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class AppStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"  # awaiting the material check
    returned = "returned"  # returned to the applicant for more information
    expert_review = "expert_review"
    joint_signoff = "joint_signoff"
    public_notice = "public_notice"
    awaiting_decision = "awaiting_decision"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


STATUS_LABELS = {
    "draft": "草稿",
    "submitted": "材料审核中",
    "returned": "退回补充材料",
    "expert_review": "专家评审中",
    "joint_signoff": "部门联审中",
    "public_notice": "公示中",
    "awaiting_decision": "待决定",
    "approved": "已准入",
    "rejected": "未准入",
    "withdrawn": "已撤回",
}


class AppKind(StrEnum):
    initial = "initial"
    renewal = "renewal"  # annual re-review (留库审查)


class Application(Base):
    """A provider's application for admission in one county."""

    __tablename__ = "admission_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=AppKind.initial)
    status: Mapped[str] = mapped_column(String(30), index=True)
    categories: Mapped[list[str]] = mapped_column(JSON)
    statement: Mapped[str] = mapped_column(Text, default="")
    #: proposed courses: [{"title", "description", "category"}]
    proposed_courses: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    return_message: Mapped[str | None] = mapped_column(Text)
    notice_start: Mapped[dt.date | None] = mapped_column(Date)
    notice_end: Mapped[dt.date | None] = mapped_column(Date)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Review(Base):
    """One expert reviewer's scores for an application (one per reviewer)."""

    __tablename__ = "admission_review"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("admission_application.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")  # reviewers only
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Signoff(Base):
    """A joint-review department's sign-off."""

    __tablename__ = "admission_signoff"
    __table_args__ = (UniqueConstraint("application_id", "department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("admission_application.id"), index=True)
    department: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    agreed: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Objection(Base):
    """An objection filed by anyone, under real name, during public notice."""

    __tablename__ = "admission_objection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("admission_application.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    ip: Mapped[str] = mapped_column(String(64), default="")
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    upheld: Mapped[bool | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    spam: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # dismissed as invalid (刷量、重复)


class WhitelistEntry(Base):
    """A provider admitted in a county (白名单), for categories and a period."""

    __tablename__ = "whitelist_entry"
    __table_args__ = (UniqueConstraint("provider_id", "county_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    categories: Mapped[list[str]] = mapped_column(JSON)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | suspended | expired | exited
    status_reason: Mapped[str] = mapped_column(Text, default="")
    application_id: Mapped[int] = mapped_column(ForeignKey("admission_application.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
