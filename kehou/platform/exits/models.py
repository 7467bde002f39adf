"""Exit cases and their step history. Dates are Asia/Shanghai calendar days; instants are UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class ExitCase(Base):
    """One proceeding to remove a provider from a county (or its own voluntary exit)."""

    __tablename__ = "exit_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(20))  # violation | evaluation | lapsed | voluntary
    grounds: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text)  # the reason, shown on the public page after exit
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    proposal_key: Mapped[str | None] = mapped_column(String(120), unique=True)  # idempotent automatic proposals
    status: Mapped[str] = mapped_column(String(30), index=True)
    rectify_by: Mapped[dt.date | None] = mapped_column(Date)
    response: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    appeal_by: Mapped[dt.date | None] = mapped_column(Date)
    appeal: Mapped[str] = mapped_column(Text, default="")
    appeal_decide_by: Mapped[dt.date | None] = mapped_column(Date)
    appeal_decision: Mapped[str] = mapped_column(Text, default="")
    effective_on: Mapped[dt.date | None] = mapped_column(Date)  # the day service ends
    blacklist_until: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ExitStep(Base):
    """Append-only history of a case: who did what, when, why, from which status to which."""

    __tablename__ = "exit_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("exit_case.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
