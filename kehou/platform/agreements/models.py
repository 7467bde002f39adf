"""Written agreements (协议): county templates, the agreements rendered from them, and signatures.

A signature is never deleted: when the text of an agreement changes, its live signatures are voided
(``voided_at``, ``void_reason``) and kept. The database refuses DELETE on ``agreement_signature`` and
any UPDATE other than voiding a live signature (migration 0006).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class Kind(StrEnum):
    admission = "admission"  # 准入协议: county bureau – provider
    service = "service"  # 服务协议: school – provider, per term
    tripartite = "tripartite"  # 三方协议: school – parent – provider, per enrolment


KIND_LABELS = {"admission": "准入协议", "service": "服务协议", "tripartite": "三方协议"}


class AgreementStatus(StrEnum):
    draft = "draft"  # waiting for signatures (also after the text changed)
    signed = "signed"  # every party signed the current text
    terminated = "terminated"


STATUS_LABELS = {"draft": "待签署", "signed": "已签署", "terminated": "已终止"}

#: Party roles, and who they are in a kind's text (甲方, 乙方, 丙方 in this order).
ROLE_LABELS = {"county": "区县教育行政部门", "school": "学校", "provider": "服务机构", "parent": "学生监护人"}
PARTY_ROLES: dict[str, tuple[str, ...]] = {
    "admission": ("county", "provider"),
    "service": ("school", "provider"),
    "tripartite": ("school", "parent", "provider"),
}
PARTY_TITLES = ("甲方", "乙方", "丙方")


class AgreementTemplate(Base):
    """One version of a county's template for a kind. Versions are never edited; saving adds one."""

    __tablename__ = "agreement_template"
    __table_args__ = (UniqueConstraint("county_code", "kind", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Agreement(Base):
    """An agreement between two or three parties, identified by its ``subject``.

    ``school_id``, ``provider_id`` and ``student_id`` repeat the parties' references (``parties``)
    so that tenancy is a plain indexed query on every backend.
    """

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(String(200), unique=True)
    #: [{"role", "ref", "label"}] in the kind's order (甲方, 乙方, 丙方)
    parties: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    #: the placeholder values the caller gave (names of counties, schools, … are filled in from the records)
    values: Mapped[dict[str, str]] = mapped_column(JSON)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_template.id"))  # None: the built-in default
    template_version: Mapped[int] = mapped_column(Integer, default=0)  # 0: the built-in default
    term_name: Mapped[str] = mapped_column(String(60), default="")
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    pdf_key: Mapped[str] = mapped_column(String(200))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=AgreementStatus.draft, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    terminated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    terminated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    terminated_reason: Mapped[str] = mapped_column(Text, default="")
    renewed_from: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"), index=True)
    #: past the county's retention period (kehou/platform/agreements/retention.py): text, values, the family's names
    #: and the PDF removed; the PDF's SHA-256 stays as the evidence of what was signed
    redacted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def party(self, role: str) -> dict[str, Any] | None:
        return next((p for p in self.parties if p["role"] == role), None)


class AgreementSignature(Base):
    """One party's signature on one version (``pdf_sha256``) of an agreement's text."""

    __tablename__ = "agreement_signature"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    party_role: Mapped[str] = mapped_column(String(20))
    party_ref: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    signer_name: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str] = mapped_column(Text, default="")
    #: the signer's name, address and device removed past the retention period: the one change the database allows
    #: besides voiding (migration 0030)
    redacted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
