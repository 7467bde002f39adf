"""The log of views of children's records: append-only (nothing in the code updates or deletes a row)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class ChildAccess(Base):
    """One person's view of one child's record: who (account and role), what (the page or API), why, when."""

    __tablename__ = "child_access"
    __table_args__ = (Index("ix_child_access_actor_at", "actor_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))  # when a provider's staff looked
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    what: Mapped[str] = mapped_column(String(60))  # ACCESS_WHAT
    purpose: Mapped[str] = mapped_column(String(60))
