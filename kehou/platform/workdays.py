"""Chinese working days, from the maintained ``chinese_calendar`` package
(statutory holidays and adjusted working days). For a year the package does not
cover yet, Monday to Friday are taken as working days."""

from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar

log = logging.getLogger(__name__)


def is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        log.warning("chinese_calendar has no data for %s; using Monday-Friday", day.year)
        return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The last day of a period of ``days`` working days beginning on ``start``
    (or on the next working day if ``start`` is not one)."""
    if days < 1:
        raise ValueError("days must be >= 1")
    day = start
    while not is_workday(day):
        day += dt.timedelta(days=1)
    counted = 1
    while counted < days:
        day += dt.timedelta(days=1)
        if is_workday(day):
            counted += 1
    return day
