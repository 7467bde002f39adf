from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base


class RegionLevel(StrEnum):
    province = "province"
    city = "city"
    county = "county"


class SchoolKind(StrEnum):
    primary = "primary"
    junior = "junior"
    nine_year = "nine_year"


SCHOOL_KIND_LABELS = {"primary": "小学", "junior": "初级中学", "nine_year": "九年一贯制学校"}


class Region(Base):
    """Province, city or county, keyed by the 6-digit administrative division code."""

    __tablename__ = "region"
    __table_args__ = (CheckConstraint("length(code) = 6", name="code_len"),)

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    student_count: Mapped[int] = mapped_column(Integer, default=0)
