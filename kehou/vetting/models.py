from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class VettingRun(Base):
    """One run of every vetting rule for a provider in a county (for an application, or nightly)."""

    __tablename__ = "vetting_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("admission_application.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(20))  # submission | on_demand | nightly
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | running | done | failed
    passed: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    blocks: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class VettingFinding(Base):
    __tablename__ = "vetting_finding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("vetting_run.id"), index=True)
    rule: Mapped[str] = mapped_column(String(60))
    verdict: Mapped[str] = mapped_column(String(10))  # pass | warn | block
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(Text, default="")
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)  # rule + evidence, stable across runs


class VettingOverride(Base):
    """A decision-maker lets an application pass a blocking finding, with a reason."""

    __tablename__ = "vetting_override"
    __table_args__ = (UniqueConstraint("application_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("admission_application.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class BlacklistEntry(Base):
    """A county's blacklist (黑名单): organisations by USCC, people by ID number (keyed hashes only)."""

    __tablename__ = "blacklist_entry"
    __table_args__ = (UniqueConstraint("county_code", "kind", "keyed_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # organisation | person
    keyed_hash: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(String(200))  # name and masked identifier, for display
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)  # listed until this day (an exit's period); None: no end
    exit_case_id: Mapped[int | None] = mapped_column(ForeignKey("exit_case.id"))
