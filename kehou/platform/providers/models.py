from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class OrgType(StrEnum):
    enterprise = "enterprise"
    private_non_enterprise = "private_non_enterprise"
    public_institution = "public_institution"
    social_organisation = "social_organisation"
    training_institution = "training_institution"
    individual = "individual"


ORG_TYPE_LABELS = {
    "enterprise": "企业",
    "private_non_enterprise": "民办非企业单位",
    "public_institution": "事业单位",
    "social_organisation": "社会团体、基金会等社会组织",
    "training_institution": "校外培训机构",
    "individual": "个人（专业人士）",
}


class QualificationType(StrEnum):
    teacher_certificate = "teacher_certificate"
    professional_certificate = "professional_certificate"


QUALIFICATION_LABELS = {"teacher_certificate": "教师资格证", "professional_certificate": "专业能力证书"}


class Provider(Base):
    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    org_type: Mapped[str] = mapped_column(String(40))
    legal_rep_name: Mapped[str] = mapped_column(String(100))
    legal_rep_id_enc: Mapped[bytes] = mapped_column(LargeBinary)
    legal_rep_id_hash: Mapped[str] = mapped_column(String(64), index=True)
    legal_rep_id_last4: Mapped[str] = mapped_column(String(4))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(30))
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    national_platform_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Staff(Base):
    """An instructor of a provider."""

    __tablename__ = "provider_staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    id_number_last4: Mapped[str] = mapped_column(String(4))
    qualification_type: Mapped[str] = mapped_column(String(40))
    qualification_number: Mapped[str] = mapped_column(String(100))
    criminal_record_issued_on: Mapped[dt.date] = mapped_column(Date)
    is_serving_teacher: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # privacy.retention (staff)
