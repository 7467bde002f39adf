"""Provider evaluation: one run per county and term (the indicator system it used kept with it),
one score per provider, explained indicator by indicator."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class EvaluationRun(Base):
    __tablename__ = "outcome_evaluation_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    term_name: Mapped[str] = mapped_column(String(60))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)  # the indicators, weights and thresholds used
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | published | superseded
    computed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class EvaluationScore(Base):
    __tablename__ = "outcome_evaluation_score"
    __table_args__ = (UniqueConstraint("run_id", "provider_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("outcome_evaluation_run.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    total: Mapped[int] = mapped_column(Integer)  # hundredths of a point, 0..10000
    rank: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column()
    breakdown: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # per indicator: measure, score, weight, lost, why
    failures: Mapped[list[str]] = mapped_column(JSON, default=list)  # which thresholds it missed
    proposal_key: Mapped[str | None] = mapped_column(String(120))  # the exit proposal raised, if any
