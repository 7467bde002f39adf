"""The county's term calendar: terms (county setting, else the core default hook), holidays and
make-up working days (the platform's working-day calendar), extra no-lesson dates (county setting)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from kehou.pluginapi import Term, WorkCalendar


def term_for(settings: Mapping[str, Any], default: Term, day: dt.date) -> Term:
    """The county's term containing ``day`` or, failing that, the next one to start; else the default."""
    terms = []
    for t in settings.get("catalogue.term_calendar") or []:
        try:
            terms.append(Term(str(t["name"]), dt.date.fromisoformat(str(t["start"])), dt.date.fromisoformat(str(t["end"]))))
        except (KeyError, ValueError):
            continue
    for t in sorted(terms, key=lambda t: t.start):
        if t.end >= day:
            return t
    return default


def _makeup(settings: Mapping[str, Any]) -> dict[dt.date, int]:
    out = {}
    for item in settings.get("catalogue.makeup_days") or []:
        try:
            out[dt.date.fromisoformat(str(item["date"]))] = int(item["weekday"])
        except (KeyError, ValueError, TypeError):
            continue
    return out


def term_lessons(settings: Mapping[str, Any], calendar: WorkCalendar, term: Term, sessions_per_week: int) -> int:
    """The lessons a course of ``sessions_per_week`` has over the whole ``term``: the fewest teaching days any
    weekday has (a course may be placed on any), times the sessions a week. A year missing from ``calendar``
    refuses (CalendarMissing)."""
    fewest = min(len(lesson_days(settings, calendar, term.start, term.end, weekday)) for weekday in range(5))
    return fewest * sessions_per_week


def lesson_days(settings: Mapping[str, Any], calendar: WorkCalendar, start: dt.date, end: dt.date,
                weekday: int) -> list[dt.date]:
    """Days from ``start`` to ``end`` on which a slot on ``weekday`` (0 = Monday) holds a lesson:
    working days (public holidays excluded), a make-up working day only where the county says which
    weekday's timetable it follows, never on the county's no-lesson dates. A year missing from ``calendar``
    refuses (CalendarMissing)."""
    skip = set()
    for value in settings.get("catalogue.no_lesson_dates") or []:
        try:
            skip.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            continue
    makeup = _makeup(settings)
    days = []
    day = start
    while day <= end:
        if day not in skip:
            follows = makeup.get(day, day.weekday()) if day.weekday() >= 5 else day.weekday()
            if follows == weekday and calendar.is_workday(day):
                days.append(day)
        day += dt.timedelta(days=1)
    return days

