"""Time: stored in UTC, shown in Asia/Shanghai.

``clock`` is the one source of "now" for services, so tests (and the demo) can
move time forward, e.g. to the end of a public-notice period.
"""

from __future__ import annotations

import datetime as dt
from typing import overload
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


class Clock:
    def __init__(self) -> None:
        self._offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC) + self._offset

    def today_local(self) -> dt.date:
        return self.now().astimezone(SHANGHAI).date()

    def advance(self, delta: dt.timedelta) -> None:
        self._offset += delta

    def reset(self) -> None:
        self._offset = dt.timedelta(0)


clock = Clock()


def utcnow() -> dt.datetime:
    return clock.now()


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; they are UTC by construction."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@overload
def local(value: dt.datetime) -> dt.datetime: ...
@overload
def local(value: None) -> None: ...
@overload
def local(value: dt.datetime | None) -> dt.datetime | None: ...
def local(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value).astimezone(SHANGHAI)


def fmt_local(value: dt.datetime | None, with_time: bool = True) -> str:
    if value is None:
        return ""
    shown = local(value)
    assert shown is not None
    return shown.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def end_of_local_day_utc(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in Shanghai, as UTC."""
    nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), SHANGHAI)
    return (nxt - dt.timedelta(microseconds=1)).astimezone(UTC)
