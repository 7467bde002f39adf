"""Worked examples of the refund rule shapes counties publish (issue 18 part 3), each through the real flow
(bill, payment, lessons checked in and marked, quit, term-end statement) and then ``kehou billing reconcile``.

Lessons are weekly from today to the term's end (2027-01-31); each expected figure is computed from the lesson
shares (fee*k//n), so nothing depends on the day the suite runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kehou.cli.main import main
from kehou.plugins.billing_cap import statement
from kehou.plugins.billing_cap.policy import FeePolicy
from kehou.plugins.billing_cap.rules import Course, LessonFact, outcome, shares
from kehou.plugins.course_catalogue import enrolment
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests.factories import World
from tests.test_billing_reconcile import cli_env  # noqa: F401 - the fixture
from tests.test_billing_terms import after_term, pay_in_full

pytestmark = pytest.mark.usefixtures("ledger_balanced", "cli_env")
FEE = 30000


def run_term(world: World, rules: list[dict[str, Any]], marks: list[str], *, quit_before: int | None = None
             ) -> tuple[dict[str, Any], list[int]]:
    """One child on one course under ``rules``: lesson k marked ``marks[k]`` (present/absent/leave) until
    ``quit_before`` (the child quits the morning of that lesson); the term-end statement's line and the shares."""
    bs.put(world, "billing.refund_rules", rules)
    cat = bs.courses(world, {"书法": FEE})
    sid, entry = cat.students["xiaoming"], cat.entries["书法"]
    bs.enrol(world, sid, entry)
    bs.issue(world, cat.menu_id)
    pay_in_full(world, sid)
    days = bs.lesson_days(world, entry)
    assert len(days) >= 7, days
    last = quit_before if quit_before is not None else len(days)
    for (lesson_id, _), mark in zip(days[:last], marks, strict=False):
        bs.deliver(world, lesson_id, {sid: mark})
    for lesson_id, _ in days[len(marks):last]:
        bs.deliver(world, lesson_id, {sid: "present"})
    if quit_before is not None:
        clock.advance(dt.datetime.combine(days[quit_before][1], dt.time(9)) - dt.datetime.combine(clock.today_local(),
                                                                                                  dt.time(9)))
        with world.ctx.db.write_session() as s:
            enrolment.quit(world.ctx, s, world.actor("parent"), sid, entry, "孩子兴趣转移")
        clock.reset()
    after_term()
    with world.ctx.db.write_session() as s:
        [made] = statement.close_term(world.ctx, s, world.actor("school_admin"), world.school_ids["school"],
                                      bs.term_name(world, cat.menu_id))
    return made.lines[0], shares(FEE, len(days))


def reconciled(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["billing", "reconcile"]) == 0
    assert "对账一致" in capsys.readouterr().out


def test_a_month_away_returns_that_months_lessons(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """Rule: absent a whole month (calendar month from the first missed day) → that month's lessons back.
    Absent at lessons 2-6 (days d0 … d0+28), present at lesson 7 (d0+35, after the month ended at about d0+31):
    one whole month, so lessons 2-6 are refunded in full; lesson 1 and 7 on are the provider's."""
    rule = {"kind": "absence", "count": "months", "min": 1, "refund": "whole_periods"}
    line, share = run_term(world, [rule, {"kind": "undelivered"}], ["present"] + ["leave"] * 5 + ["present"])
    assert line["refunds"] == {"absence": sum(share[1:6])}
    reconciled(capsys)


def test_a_month_not_completed_returns_nothing(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """The same rule, absent at lessons 2-4 only (three weeks): no whole month, nothing back."""
    rule = {"kind": "absence", "count": "months", "min": 1, "refund": "whole_periods"}
    line, _ = run_term(world, [rule], ["present", "absent", "absent", "absent", "present"])
    assert "absence" not in line["refunds"]
    reconciled(capsys)


def test_each_whole_half_month_returns_a_fixed_share_of_the_fee(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """Rule: each whole half-month (15 days) away returns 10% of the course fee, at most what that half-month's
    lessons are worth. Absent at lessons 2-4 (d0, d0+7, d0+14), back at lesson 5 (d0+21): one whole half-month
    [d0, d0+15) holding lessons 2-4, so 10% × 300.00 = 30.00 yuan comes back."""
    rule = {"kind": "absence", "count": "half_months", "min": 1, "refund": "period_percent", "percent": 10}
    line, share = run_term(world, [rule], ["present", "leave", "leave", "leave", "present"])
    assert line["refunds"] == {"absence": min(FEE * 10 // 100, sum(share[1:4]))} == {"absence": 3000}
    reconciled(capsys)


def test_a_quit_returns_a_percentage_of_the_whole_fee(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """Rule: quit within 200 days of the term start → 50% of the whole fee (not of the untaught part). The child
    attends lesson 1 and quits before lesson 2: 50% × 300.00 = 150.00 back, taken from the untaught lessons; the
    rest of the untaught part is kept by the collector."""
    rule = {"kind": "quit", "from": "term_start", "of": "whole",
            "schedule": [{"within": 200, "unit": "days", "percent": 50}]}
    line, share = run_term(world, [rule], ["present"], quit_before=1)
    untaught = FEE - share[0]
    assert line["refunds"] == {"quit": FEE * 50 // 100}
    assert line["retained_fen"] == untaught - FEE * 50 // 100
    reconciled(capsys)


def test_a_quit_window_counted_from_enrolment(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """Rule: quit within one month of enrolling → all the untaught lessons back; counted from the term start
    (2026-09-01) the month would long be over. Enrolled today, quits a week later before lesson 2."""
    rule = {"kind": "quit", "from": "enrolment", "of": "untaught",
            "schedule": [{"within": 1, "unit": "months", "percent": 100}]}
    line, share = run_term(world, [rule], ["present"], quit_before=1)
    assert line["refunds"] == {"quit": FEE - share[0]} and line["retained_fen"] == 0
    reconciled(capsys)


def test_a_running_absence_holds_its_lessons_until_the_period_is_decided() -> None:
    """Pure arithmetic: while an absence is still running and its month is not yet whole, its lessons are neither
    paid to the provider nor refunded (settlement must not pay a lesson a refund may later return); when the
    child comes back before the month is over they are the provider's; at the term's end a running absence ends."""
    first = dt.date(2026, 9, 7)
    lessons = [LessonFact(k, first + dt.timedelta(weeks=k - 1), True, True) for k in range(1, 9)]
    rule = {"kind": "absence", "count": "months", "min": 1, "refund": "whole_periods"}
    p = FeePolicy(term_cap_fen=60000, lesson_cap_fen=0, collector="school", waiver_tiers=(), refund_rules=(rule,),
                  materials_via="provider", due_days=14, allow_supplement=False)
    share = shares(16000, 8)
    running = Course(1, 16000, 0, None, None, None, frozenset({7, 8}))  # lessons 7-8 missed, nothing after
    out = outcome(running, lessons, p, dt.date(2026, 9, 1), term_over=False)
    assert [i for i, _ in out.earned] == [1, 2, 3, 4, 5, 6] and out.refunds == {}
    ended = outcome(running, lessons, p, dt.date(2026, 9, 1), term_over=True)  # the term ended: 8 days, no month
    assert [i for i, _ in ended.earned] == [1, 2, 3, 4, 5, 6, 7, 8] and ended.refunds == {}
    back = Course(1, 16000, 0, None, None, None, frozenset({2, 3}))  # came back at lesson 4
    assert outcome(back, lessons, p, dt.date(2026, 9, 1), term_over=False).earned_total == 16000
    away = Course(1, 16000, 0, None, None, None, frozenset({2, 3, 4, 5, 6}))  # 09-14 … 10-12, back 10-19
    got = outcome(away, lessons, p, dt.date(2026, 9, 1), term_over=False)
    assert got.refunds == {"absence": sum(share[1:6])}  # the month 09-14 … 10-13 holds all five
    assert [i for i, _ in got.earned] == [1, 7, 8]
    assert got.chargeable == got.earned_total + got.refund_total


@pytest.mark.parametrize(("rule", "words"), [
    ({"kind": "absence", "min_days": 7}, "连续缺课满7天（含）的，此后所缺课次按课次比例退费"),
    ({"kind": "absence", "count": "lessons", "min": 3, "refund": "after"}, "连续缺课满3次课（含）的，此后所缺课次按课次比例退费"),
    ({"kind": "absence", "count": "months", "min": 1, "refund": "whole_periods"},
     "连续缺课满1个月（含）的，自缺课首日起每满一个月，退还该期间的课次费用"),
    ({"kind": "absence", "count": "half_months", "min": 1, "refund": "period_percent", "percent": 10},
     "自缺课首日起每满半个月，退还课程费用的10%（以该期间课次费用为限）"),
    ({"kind": "quit", "schedule": [{"within_days": 14, "percent": 100}]},
     "开学后14天内（开学当天为第1天，即第15天及以前）退课，退还未上课次费用的100%；此后退课不退费"),
    ({"kind": "quit", "from": "enrolment", "of": "whole", "schedule": [{"within": 1, "unit": "months", "percent": 50}]},
     "报名后1个月内（至1个月后同一日的前一天）退课，退还课程全部费用的50%（已上课次不退）"),
])
def test_each_rule_reads_as_one_unambiguous_sentence(rule: dict[str, Any], words: str) -> None:
    from kehou.plugins.billing_cap.refund_rules import sentence

    assert words in sentence(rule)
