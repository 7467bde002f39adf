from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime

#: Built-in document types (a county may add more with the setting documents.extra_types).
DOCUMENT_TYPES = {
    "business_licence": "营业执照",
    "school_licence": "办学许可证",
    "non_enterprise_registration": "民办非企业单位登记证书",
    "public_institution_certificate": "事业单位法人证书",
    "social_organisation_registration": "社会团体或基金会法人登记证书",
    "insurance": "责任保险单",
    "qualification_certificate": "资格证书（教师资格证/专业能力证书）",
    "criminal_record_certificate": "无犯罪记录证明",
    "safety_commitment": "安全承诺书",
    "id_card": "身份证明",
}

#: Types that always belong to a staff member (an id_card may belong to an individual provider itself).
STAFF_DOCUMENT_TYPES = {"qualification_certificate", "criminal_record_certificate"}


class Document(Base):
    """A document a provider uploaded, for itself or for one of its staff."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("provider_id", "sha256", "doc_type", "staff_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("provider_staff.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(60))
    number: Mapped[str] = mapped_column(String(100), default="")
    issuer: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)  # None: no expiry
    scope_text: Mapped[str] = mapped_column(Text, default="")  # licence business scope (经营范围/业务范围)
    storage_key: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | accepted | rejected | replaced
    review_note: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
