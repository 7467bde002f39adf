"""Report exports run as Celery tasks: their progress and where the file is stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class ReportJob(Base):
    __tablename__ = "outcome_report_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    report: Mapped[str] = mapped_column(String(40))  # e.g. county_term
    fmt: Mapped[str] = mapped_column(String(10))  # xlsx | pdf | a county's own renderer's format
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # term_name, ...
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | running | done | failed
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    stage: Mapped[str] = mapped_column(String(100), default="")
    storage_key: Mapped[str | None] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # a running job's claim; the reaper takes it back after
    attempts: Mapped[int] = mapped_column(Integer, default=0)
