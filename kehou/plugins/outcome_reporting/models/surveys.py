"""Satisfaction surveys (parents, students of suitable age, schools) and the term-end showcase (结业汇报)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class Survey(Base):
    """One survey round of a county for a term: at term end, or on demand."""

    __tablename__ = "outcome_survey"
    __table_args__ = (UniqueConstraint("county_code", "term_name", "reason"),)  # one term-end round per county and term

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    term_name: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(20))  # term_end | on_demand
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"code", "text", "for": [parent|student|school]}]
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SurveyResponse(Base):
    """One answer per enrolment and respondent kind. The provider never sees who answered."""

    __tablename__ = "outcome_survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "enrolment_id", "respondent"),
                      Index("ix_outcome_response_provider", "survey_id", "provider_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("outcome_survey.id"))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"))
    respondent: Mapped[str] = mapped_column(String(10))  # parent | student
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("course_entry.id"))
    answers: Mapped[dict[str, int]] = mapped_column(JSON)  # question code -> 1..5
    score: Mapped[int] = mapped_column(Integer)  # 0..100, the mean answer scaled: (mean - 1) / 4 * 100, rounded
    satisfied: Mapped[bool] = mapped_column()  # overall answer >= 4 (satisfied or very satisfied)
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # never shown to the provider
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SchoolRating(Base):
    """A school's evaluation of a provider it used in the survey's term."""

    __tablename__ = "outcome_school_rating"
    __table_args__ = (UniqueConstraint("survey_id", "school_id", "provider_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("outcome_survey.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    answers: Mapped[dict[str, int]] = mapped_column(JSON)
    score: Mapped[int] = mapped_column(Integer)  # 0..100, as SurveyResponse.score
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    rated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ShowcaseItem(Base):
    """A work, photo or short video a provider uploads for a course's term-end showcase; the school
    publishes it to the course's parents."""

    __tablename__ = "outcome_showcase_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("course_entry.id"), index=True)
    term_name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))  # work | photo | video
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    storage_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="submitted")  # submitted | published | withdrawn
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
