"""What a parent gets back under a set of refund rules, for a sample course: the worked examples the settings
page shows beside the rules in force and beside a change before it is saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehou.plugins.billing_cap.policy import FeePolicy, yuan
from kehou.plugins.billing_cap.rules import Course, LessonFact, outcome

FEE = 30000
LESSONS = 16
START = dt.date(2026, 9, 7)  # a Monday: the sample term starts that day, one lesson a week
CAPTION = (f"示例：课程费用{yuan(FEE)}元，开学当天报名，每周一次课共{LESSONS}次（每次{yuan(FEE // LESSONS)}元），"
           "各课次均已上课并考勤")


def _policy(rules: list[dict[str, Any]]) -> FeePolicy:
    return FeePolicy(term_cap_fen=0, lesson_cap_fen=0, collector="school", waiver_tiers=(), refund_rules=tuple(rules),
                     materials_via="parents", due_days=14, allow_supplement=False)


def examples(rules: Any) -> tuple[str, list[tuple[str, str]]]:
    """(caption, [(what happened, what comes back)]) under ``rules`` (a valid ``billing.refund_rules`` value)."""
    p = _policy(rules if isinstance(rules, list) else [])
    lessons = [LessonFact(k, START + dt.timedelta(weeks=k - 1), True, True) for k in range(1, LESSONS + 1)]
    rows = []
    for before in (2, 3, 5, 7, 9, 13):
        quit_on = lessons[before - 1].day - dt.timedelta(days=1)
        out = outcome(Course(0, FEE, 0, START, quit_on, "quit"), lessons, p, START, term_over=True)
        rows.append((f"开学后第{(quit_on - START).days + 1}天（{quit_on:%m-%d}）退课，已上{before - 1}次",
                     f"退{yuan(out.refund_total)}元"))
    for away in (2, 3, 5, 9):
        missed = frozenset(range(3, 3 + away))
        out = outcome(Course(0, FEE, 0, START, None, None, missed), lessons, p, START, term_over=True)
        span = (lessons[2 + away - 1].day - lessons[2].day).days + 1
        rows.append((f"自第3次课起连续缺课{away}次（{span}天），之后返校", f"退{yuan(out.refund_total)}元"))
    return CAPTION, rows
