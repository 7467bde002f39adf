"""The working-day calendar as data: which years are known, and their holidays and adjusted working days,
national (scope "") or local to a region (scope = a prefix of its division code)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class CalendarYear(Base):
    """A year whose national arrangement is entered. ``status`` is ``official`` (from the State Council's
    notice, or the chinesecalendar package) or ``provisional`` (Monday to Friday until the notice is out)."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(Integer)


class CalendarDay(Base):
    """A day that is not what its weekday says: a holiday (``holiday``) or an adjusted working day (``workday``)."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("scope", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(6), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(40))
