"""The shapes of the county's refund rules (``billing.refund_rules``): what each may say, how it reads in
Chinese, and the periods it counts in. The arithmetic is in :mod:`kehou.plugins.billing_cap.rules`.

- ``{"kind": "absence", "count": C, "min": N, "refund": R[, "percent": P]}``: a continuous absence (lessons the
  child missed in a row, absent or on leave), counted in ``C`` = ``lessons``, ``days``, ``half_months`` (15 days)
  or ``months`` (calendar months from the first missed day). ``R`` = ``after``: the lessons missed once the absence
  has lasted ``N`` units are refunded; ``whole_periods``: once the absence has lasted ``N`` whole periods (half
  months or months), the lessons of every whole period are refunded (a month's fee for a month away);
  ``period_percent``: the same, but each whole period returns ``P`` % of the course fee (at most what that
  period's lessons are worth).
- ``{"kind": "quit", "from": F, "of": O, "schedule": [{"within": N, "unit": U, "percent": P}, ...]}``: a quit
  within ``N`` days or months (``U``) of ``F`` = ``term_start`` or ``enrolment`` returns ``P`` % of ``O`` =
  ``untaught`` (the lessons from the quit on) or ``whole`` (the child's whole fee for the course, at most the
  untaught part: lessons already taught stay paid). The first step whose window contains the quit applies.
- ``{"kind": "undelivered"}``: lessons not delivered (cancelled, merged, provider exited, term over) in full.

Bills keep the rules they were made under; older bills may hold the first shapes (``min_days``,
``within_days``), which :func:`absence` and :func:`quit` read as ``count=days, refund=after`` and
``unit=days, from=term_start, of=untaught``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from typing import Any

from kehou.pluginapi import SettingColumn

KIND_LABELS = {"absence": "连续缺课", "quit": "退课", "undelivered": "未上课次（取消或退出）"}
COUNT_LABELS = {"lessons": "按课次", "days": "按天", "half_months": "按半月（15天）", "months": "按月"}
COUNT_UNITS = {"lessons": "次课", "days": "天", "half_months": "个半月", "months": "个月"}
REFUND_LABELS = {"after": "满后所缺课次退费", "whole_periods": "每满一个周期退该周期课费",
                 "period_percent": "每满一个周期退课程费用的固定比例"}
FROM_LABELS = {"term_start": "开学", "enrolment": "报名"}
OF_LABELS = {"untaught": "未上课次费用", "whole": "课程全部费用"}
UNIT_LABELS = {"days": "天", "months": "个月"}
PERIODS = ("half_months", "months")

COLUMNS = (
    SettingColumn("kind", "规则", choices=KIND_LABELS, unique=True),
    SettingColumn("count", "缺课计算", choices=COUNT_LABELS, only_for=("absence",)),
    SettingColumn("min", "连续缺课满（含）", int, only_for=("absence",)),
    SettingColumn("refund", "缺课退费方式", choices=REFUND_LABELS, only_for=("absence",)),
    SettingColumn("percent", "每周期退还比例", int, unit="percent", optional=True, only_for=("absence",)),
    SettingColumn("from", "退课期限起算", choices=FROM_LABELS, only_for=("quit",)),
    SettingColumn("of", "退课退还", choices=OF_LABELS, only_for=("quit",)),
    SettingColumn("schedule", "退课退费档次", list, only_for=("quit",), columns=(
        SettingColumn("within", "期限", int), SettingColumn("unit", "单位", choices=UNIT_LABELS),
        SettingColumn("percent", "以内退还", int, unit="percent"))),
)

HELP = ("连续缺课：按课次、天、半月或月计算，满所填数量（含）后退费——所缺课次，或每个完整周期的课费，或每周期课程费用的固定比例；"
        "退课：自开学或报名起若干天/月内退课，退还未上课次费用或课程全部费用（以未上课次为限）的相应比例；"
        "未上课次：课程取消或机构退出时未上课次全额退")


def check(value: list[dict[str, Any]]) -> str | None:
    """What the shape cannot say (the schema has already refused unknown keys, repeated kinds, wrong types)."""
    for i, r in enumerate(value, start=1):
        if r["kind"] == "absence":
            if r["min"] < 1:
                return f"第{i}条（连续缺课）的「连续缺课满」至少为1。"
            if r["refund"] != "after" and r["count"] not in PERIODS:
                return f"第{i}条（连续缺课）按周期退费时，缺课须按半月或按月计算。"
            if (r["refund"] == "period_percent") != ("percent" in r):
                need = "须填" if r["refund"] == "period_percent" else "只有按固定比例退费才填"
                return f"第{i}条（连续缺课）：{need}「每周期退还比例」。"
            if "percent" in r and not 1 <= r["percent"] <= 100:
                return f"第{i}条（连续缺课）的每周期退还比例须在1到100之间。"
        if r["kind"] == "quit":
            if not r["schedule"]:
                return f"第{i}条（退课）至少需要一档。"
            for s in r["schedule"]:
                if s["within"] < 0 or not 0 <= s["percent"] <= 100:
                    return f"第{i}条（退课）每档的期限不能为负数，退还比例须在0到100之间。"
    return None


def absence(rule: Mapping[str, Any]) -> dict[str, Any]:
    """An absence rule in the present shape (an old bill's ``{"min_days": N}`` reads as days, refund after)."""
    if "min_days" in rule:
        return {"kind": "absence", "count": "days", "min": int(rule["min_days"]), "refund": "after"}
    return dict(rule)


def quit(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A quit rule in the present shape (steps of ``within_days`` read as days from the term start, of the
    untaught part)."""
    steps = [{"within": s["within_days"], "unit": "days", "percent": s["percent"]} if "within_days" in s else dict(s)
             for s in rule.get("schedule", [])]
    return {"kind": "quit", "from": rule.get("from", "term_start"), "of": rule.get("of", "untaught"), "schedule": steps}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (the month's last day when it has no such day)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_end(start: dt.date, count: str, k: int) -> dt.date:
    """The first day after ``k`` periods counted from ``start`` (``count``: days, half_months or months)."""
    if count == "months":
        return add_months(start, k)
    return start + dt.timedelta(days=k * (15 if count == "half_months" else 1))


def window_end(start: dt.date, step: Mapping[str, Any]) -> dt.date:
    """The last day a quit still falls within a step: ``within`` days counted as before (day 0 is the start), or
    the day before the same date ``within`` months later."""
    if step["unit"] == "months":
        return add_months(start, step["within"]) - dt.timedelta(days=1)
    return start + dt.timedelta(days=step["within"])


def _window(step: Mapping[str, Any], start: str) -> str:
    """A quit window in words that cannot be read two ways: 14 days runs to the 15th day, the start being the 1st."""
    if step["unit"] == "months":
        return f"{step['within']}个月内（至{step['within']}个月后同一日的前一天）"
    return f"{step['within']}天内（{start}当天为第1天，即第{step['within'] + 1}天及以前）"


def sentence(rule: Mapping[str, Any]) -> str:
    """The rule as a parent reads it on the fee page and in the agreement (no final full stop)."""
    kind = rule.get("kind")
    if kind == "absence":
        r = absence(rule)
        unit = COUNT_UNITS[r["count"]]
        if r["refund"] == "after":
            return f"连续缺课满{r['min']}{unit}（含）的，此后所缺课次按课次比例退费"
        each = "每满半个月" if r["count"] == "half_months" else "每满一个月"
        what = ("退还该期间的课次费用" if r["refund"] == "whole_periods"
                else f"退还课程费用的{r['percent']}%（以该期间课次费用为限）")
        return f"连续缺课满{r['min']}{unit}（含）的，自缺课首日起{each}，{what}"
    if kind == "quit":
        r = quit(rule)
        start, of = FROM_LABELS[r["from"]], OF_LABELS[r["of"]]
        steps = "；".join(f"{start}后{_window(s, start)}退课，退还{of}的{s['percent']}%" for s in r["schedule"])
        cap = "（已上课次不退）" if r["of"] == "whole" else ""
        return f"{steps}{cap}；此后退课不退费"
    if kind == "undelivered":
        return "课程取消或机构退出的，未上课次费用全额退还"
    return ""
