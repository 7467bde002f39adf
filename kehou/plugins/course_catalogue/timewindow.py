"""Time-of-day rules (pure): service hours per school kind, slot overlap, the daily minimum."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: Any) -> int:
    """'17:30' -> 1050 minutes after midnight."""
    m = _HHMM.match(str(value).strip()) if isinstance(value, str) else None
    if not m:
        raise ValueError(value)
    return int(m.group(1)) * 60 + int(m.group(2))


def fmt_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def latest_end(kind: str, grades: Iterable[int], settings: Mapping[str, Any]) -> int:
    """The latest end of service: junior secondary grades (7-9) may stay later than primary."""
    junior = kind == "junior" or any(g >= 7 for g in grades)
    primary = kind == "primary" or any(g <= 6 for g in grades)
    limits = []
    if primary:
        limits.append(parse_hhmm(settings["catalogue.primary_end"]))
    if junior:
        limits.append(parse_hhmm(settings["catalogue.junior_end"]))
    return min(limits) if limits else parse_hhmm(settings["catalogue.primary_end"])


def menu_problems(
    kind: str, start: int, end: int, homework_minutes: int, settings: Mapping[str, Any]
) -> list[tuple[str, str, str]]:
    """(code, field, Chinese message) for a school's daily service hours."""
    out = []
    if end <= start:
        out.append(("service_hours_invalid", "service_end", "课后服务结束时刻须晚于开始时刻。"))
        return out
    grades = range(1, 7) if kind == "primary" else range(7, 10) if kind == "junior" else range(1, 10)
    if kind == "nine_year":
        limit = parse_hhmm(settings["catalogue.junior_end"])  # the primary limit applies per entry
    else:
        limit = latest_end(kind, grades, settings)
    if end > limit:
        out.append(("service_too_late", "service_end", f"课后服务须在{fmt_hhmm(limit)}前结束（区县设置），现为{fmt_hhmm(end)}。"))
    minimum = int(settings["catalogue.min_daily_minutes"])
    if end - start < minimum:
        out.append(("service_too_short", "service_start",
                    f"每天课后服务不少于{minimum}分钟（区县设置），现为{end - start}分钟。"))
    period = int(settings["catalogue.class_period_minutes"])
    if homework_minutes > period:
        out.append(("homework_too_long", "homework_minutes",
                    f"作业辅导不超过一课时（{period}分钟），现为{homework_minutes}分钟。"))
    if homework_minutes < 0 or homework_minutes > end - start:
        out.append(("homework_invalid", "homework_minutes", "作业辅导时长须在课后服务时段之内。"))
    return out
