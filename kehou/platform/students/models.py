from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime
from kehou.platform.pii import SealedText


class PriorityGroup(StrEnum):
    """Children served first (POLICY.md Courses: 001, 002, 004). Visible to school staff only."""

    disabled = "disabled"
    left_behind = "left_behind"
    migrant = "migrant"
    hardship = "hardship"


DEPARTURE_REASONS = {"graduated": "毕业", "transferred": "转学", "other": "其他原因离校"}
PRIORITY_LABELS = {"disabled": "残疾儿童", "left_behind": "留守儿童", "migrant": "进城务工人员随迁子女",
                   "hardship": "家庭经济困难学生"}

GRADE_LABELS = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
                7: "七年级", 8: "八年级", 9: "九年级"}

#: the grades a school of each kind teaches (kehou.platform.counties.models.SchoolKind)
KIND_GRADES = {"primary": range(1, 7), "junior": range(7, 10), "nine_year": range(1, 10)}


class Student(Base):
    __tablename__ = "student"
    __table_args__ = (UniqueConstraint("school_id", "student_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    student_no: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    grade: Mapped[int] = mapped_column(Integer)
    class_name: Mapped[str] = mapped_column(String(40), default="")
    # sealed at rest (a priority group is sensitive: disability, left-behind, migrant, hardship): see pii.SealedText
    priority_group: Mapped[str | None] = mapped_column("priority_sealed", SealedText, insert_default="")
    left_on: Mapped[dt.date | None] = mapped_column(Date)  # left the school (graduated, transferred): retention runs from it
    left_reason: Mapped[str] = mapped_column(String(20), default="", server_default="")  # DEPARTURE_REASONS
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # privacy.retention
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Guardian(Base):
    """A parent user linked to a child by the school."""

    __tablename__ = "guardian"
    __table_args__ = (UniqueConstraint("student_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    relation: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class GuardianContact(Base):
    """A guardian's mobile number at one school, and the parent account made for it: one account per number per
    school, so siblings share it. The number is sealed like an ID number (kehou/platform/pii.py): encrypted,
    found by its keyed hash, shown by its last four digits."""

    __tablename__ = "guardian_contact"
    __table_args__ = (UniqueConstraint("school_id", "phone_hash", name="uq_guardian_contact_school_phone"),
                      UniqueConstraint("user_id", name="uq_guardian_contact_user"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    phone_enc: Mapped[bytes] = mapped_column(LargeBinary)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_last4: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
