"""The working-day calendar's value types: a snapshot that answers without I/O, and its one error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from kehou.errors import Conflict


class CalendarMissing(Conflict):
    """A computation needs a year whose arrangement has not been entered (409)."""

    code = "calendar_year_missing"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"{year}年的节假日安排尚未录入，无法计算工作日。请平台管理员在“节假日日历”页面录入国务院公布的安排。",
            extra={"year": year},
        )


@dataclass(frozen=True)
class DayEntry:
    day: dt.date
    kind: str
    name: str


@dataclass(frozen=True)
class WorkCalendar:
    """A snapshot for one region: the known years (year -> status) and the days that differ from their weekday."""

    years: Mapping[int, str]
    days: Mapping[dt.date, str]
    lenient: bool = False  # a missing year counts Monday to Friday instead of refusing

    def leniently(self) -> WorkCalendar:
        """The same calendar counting a missing year Monday to Friday: only for what must never be refused
        for want of a calendar (a citizen's complaint); its deadlines are then provisional."""
        return WorkCalendar(years=self.years, days=self.days, lenient=True)

    def is_workday(self, day: dt.date) -> bool:
        if day.year not in self.years and not self.lenient:
            raise CalendarMissing(day.year)
        kind = self.days.get(day)
        if kind is not None:
            return kind == "workday"
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The last day of a period of ``days`` working days beginning on ``start`` (or on the next working
        day if ``start`` is not one)."""
        if days < 1:
            raise ValueError("days must be >= 1")
        day = start
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        counted = 1
        while counted < days:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day
