"""Worked examples for the fee arithmetic of the billing plugin (kehou/plugins/billing_cap/rules.py).

Every example is small enough to check with pencil and paper; the hand computation is written next
to it, and every amount is asserted in exact integer fen (1 yuan = 100 fen). No database is used.

Calendar used throughout: the term starts on Tuesday 2026-09-01 ("day 0"); weekly lessons are on
Mondays 2026-09-07, 09-14, 09-21, 09-28, 10-05, 10-12, 10-19, 10-26, 11-02, 11-09, 11-16, 11-23,
11-30, 12-07, 12-14, 12-21, 12-28.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from kehou.plugins.billing_cap.policy import DEFAULT_REFUNDS, FeePolicy
from kehou.plugins.billing_cap.rules import (
    Course,
    LessonFact,
    Outcome,
    absence_decided,
    chargeable,
    family_share,
    outcome,
    shares,
)
from kehou.plugins.billing_cap.rules import quit_percent as quit_percent_and_base

TERM_START = dt.date(2026, 9, 1)
FIRST_MONDAY = dt.date(2026, 9, 7)

ABSENCE_7: dict[str, Any] = {"kind": "absence", "min_days": 7}
QUIT_14_60: dict[str, Any] = {"kind": "quit", "schedule": [{"within_days": 14, "percent": 100},
                                                         {"within_days": 60, "percent": 50}]}
UNDELIVERED: dict[str, Any] = {"kind": "undelivered"}
# Ends that are not the family's doing: lessons not delivered are settled at once (written out here
# from the policy rather than imported, so the identity test below checks rules.py against it).
ENDED_BY_SCHOOL = ("cancelled", "merged", "exit")


def absence_refunded(c: Course, lessons: list[LessonFact], min_days: int | None) -> set[int]:
    """The lessons an absence rule of the first shape (``min_days``, as older bills keep it) refunds."""
    if not min_days:
        return set()
    share_of = {le.lesson_id: x for le, x in zip(lessons, shares(c.fee_fen, len(lessons)), strict=True)}
    return set(absence_decided(c, lessons, {"kind": "absence", "min_days": min_days}, share_of).refunds)


def quit_percent(p: FeePolicy, term_start: dt.date, quit_on: dt.date) -> int:
    """The percent of the untaught part a quit returns, for a child enrolled before the term."""
    pct, of = quit_percent_and_base(p, Course(0, 0, 0, None, quit_on, "quit"), term_start, quit_on)
    assert of == "untaught"
    return pct


def policy(*rules: dict[str, Any], materials_via: str = "provider") -> FeePolicy:
    return FeePolicy(term_cap_fen=60000, lesson_cap_fen=0, collector="school", waiver_tiers=(),
                     refund_rules=tuple(rules), materials_via=materials_via, due_days=14, allow_supplement=False)


def monday(week: int) -> dt.date:
    """The Monday lesson of week ``week`` (1 = 2026-09-07)."""
    return FIRST_MONDAY + dt.timedelta(weeks=week - 1)


def weekly(n: int, *, not_delivered: frozenset[int] = frozenset(),
           unmarked: frozenset[int] = frozenset()) -> list[LessonFact]:
    """Lessons 1..n on consecutive Mondays; lesson ids equal their week number. Every lesson is
    delivered and marked unless listed."""
    return [LessonFact(k, monday(k), k not in not_delivered, k not in not_delivered and k not in unmarked)
            for k in range(1, n + 1)]


def course(fee: int, *, joined: dt.date | None = None, ended: dt.date | None = None, end_kind: str | None = None,
           absences: frozenset[int] = frozenset(), materials: int = 0) -> Course:
    return Course(enrolment_id=1, fee_fen=fee, materials_fen=materials, joined=joined, ended=ended,
                  end_kind=end_kind, absences=absences)


def earned_ids(out: Outcome) -> list[int]:
    return [lesson_id for lesson_id, _ in out.earned]


# --- shares(): the fee spread over the lessons --------------------------------------------------


def test_shares_of_an_even_fee_are_equal() -> None:
    """30000 fen (300 yuan) over 16 lessons: 30000 / 16 = 1875 fen each, no remainder."""
    assert shares(30000, 16) == [1875] * 16


def test_shares_10000_over_3() -> None:
    """10000 fen over 3 lessons. Lesson k is worth 10000*k//3 - 10000*(k-1)//3:
    k=1: 3333 - 0 = 3333;  k=2: 6666 - 3333 = 3333;  k=3: 10000 - 6666 = 3334.
    3333 + 3333 + 3334 = 10000: the odd fen falls on the last lesson."""
    assert shares(10000, 3) == [3333, 3333, 3334]


def test_shares_59999_over_17() -> None:
    """59999 fen over 17 lessons: 17 x 3529 = 59993, so 6 fen are left over and six lessons are worth
    3530. 59999*k//17 = 3529*k + (6*k)//17, and (6*k)//17 steps up at k = 3, 6, 9, 12, 15, 17
    (6k = 18, 36, 54, 72, 90, 102 pass 17, 34, 51, 68, 85, 102): those lessons carry the extra fen.
    Total: 11 x 3529 + 6 x 3530 = 38819 + 21180 = 59999."""
    expected = [3530 if k in (3, 6, 9, 12, 15, 17) else 3529 for k in range(1, 18)]
    assert shares(59999, 17) == expected
    assert sum(expected) == 59999


def test_shares_1_fen_over_4() -> None:
    """1 fen over 4 lessons: 1*k//4 is 0, 0, 0, 1, so only the last lesson is worth the single fen."""
    assert shares(1, 4) == [0, 0, 0, 1]


@pytest.mark.parametrize(("fee", "n"), [(10000, 3), (59999, 17), (1, 4), (30001, 16), (60000, 7), (7, 9), (99, 100)])
def test_shares_add_up_to_the_fee_and_differ_by_at_most_one_fen(fee: int, n: int) -> None:
    """However awkward the division, no fen is lost or invented, and no lesson costs more than one
    fen more than another (each share is fee//n or fee//n + 1)."""
    s = shares(fee, n)
    assert len(s) == n
    assert sum(s) == fee
    assert max(s) - min(s) <= 1
    assert set(s) <= {fee // n, fee // n + 1}


def test_no_lessons_no_shares() -> None:
    """A course with no scheduled lessons has nothing to spread the fee over."""
    assert shares(30000, 0) == []


# --- chargeable(): what a student's time on the course costs --------------------------------------


def test_mid_term_joiner_pays_only_lessons_from_the_join_date() -> None:
    """30000 fen over 16 Monday lessons = 1875 each. The student joins on Monday 2026-10-05, the day
    of lesson 5: lessons 1-4 (09-07 .. 09-28) are before the join and cost nothing; lessons 5-16 are
    12 lessons x 1875 = 22500 fen."""
    assert chargeable(30000, weekly(16), dt.date(2026, 10, 5)) == 22500


def test_joining_between_lessons_starts_at_the_next_lesson() -> None:
    """Join on Tuesday 2026-10-06: lesson 5 (Monday 10-05) is already past, so lessons 6-16 are due:
    11 x 1875 = 20625 fen."""
    assert chargeable(30000, weekly(16), dt.date(2026, 10, 6)) == 20625


def test_late_joiner_pays_the_shares_of_their_own_lessons() -> None:
    """10000 fen over 3 lessons = 3333, 3333, 3334. Joining on the day of the last lesson (09-21) the
    student pays that lesson's share, 3334 fen, not a third of 10000 rounded some other way."""
    assert chargeable(10000, weekly(3), monday(3)) == 3334


@pytest.mark.parametrize("joined", [None, dt.date(2026, 8, 20), FIRST_MONDAY])
def test_joined_before_the_term_pays_the_whole_fee(joined: dt.date | None) -> None:
    """Joined before the term (no date, a summer date, or on the first lesson day): all 16 lessons,
    16 x 1875 = 30000 fen, the whole fee."""
    assert chargeable(30000, weekly(16), joined) == 30000


# --- the absence rule: refund after a continuous absence of 7 days ---------------------------------


def test_absence_refunds_lessons_7_days_or_more_into_a_run() -> None:
    """16000 fen over 8 Monday lessons = 2000 each, all delivered and marked.
    The student is absent at lessons 3, 4, 5 (09-21, 09-28, 10-05). The run starts 09-21 (d0):
      lesson 3: 0 days into the run  -> not refunded, the provider earns it;
      lesson 4: 7 days               -> refunded 2000;
      lesson 5: 14 days              -> refunded 2000.
    Absence refund 4000; the provider earns lessons 1, 2, 3, 6, 7, 8 = 6 x 2000 = 12000.
    12000 + 4000 = 16000, the whole fee."""
    c = course(16000, absences=frozenset({3, 4, 5}))
    out = outcome(c, weekly(8), policy(ABSENCE_7), TERM_START, term_over=True)
    assert absence_refunded(c, weekly(8), 7) == {4, 5}
    assert out.refunds == {"absence": 4000}
    assert earned_ids(out) == [1, 2, 3, 6, 7, 8]
    assert out.earned_total == 12000
    assert out.retained == 0
    assert out.chargeable == 16000


def test_absence_refunded_lessons_are_not_earned_by_the_provider() -> None:
    """Same course, absent at lessons 2-8 (seven Mondays in a row, run from 09-14).
    Lesson 2 (0 days) is earned; lessons 3-8 are 7..42 days into the run, all refunded:
    6 x 2000 = 12000. The provider earns lesson 1 and 2 only: 4000. Nothing refunded shows up as earned."""
    out = outcome(course(16000, absences=frozenset(range(2, 9))), weekly(8), policy(ABSENCE_7), TERM_START,
                  term_over=True)
    assert out.refunds == {"absence": 12000}
    assert out.earned == [(1, 2000), (2, 2000)]


def test_a_present_mark_breaks_the_absence_run() -> None:
    """2000 fen per lesson. Absent at lesson 3 (09-21), present at lesson 4 (09-28), absent at
    lessons 5 and 6 (10-05, 10-12).
      run 1: lesson 3 alone -> nothing;
      run 2 starts 10-05: lesson 5 (0 days) nothing, lesson 6 (7 days) refunded 2000.
    Lesson 5 is 14 days after 09-21 but the attendance at 09-28 started the count afresh.
    Refund 2000; earned 7 x 2000 = 14000."""
    c = course(16000, absences=frozenset({3, 5, 6}))
    out = outcome(c, weekly(8), policy(ABSENCE_7), TERM_START, term_over=True)
    assert out.refunds == {"absence": 2000}
    assert 6 not in earned_ids(out)
    assert out.earned_total == 14000


def test_a_delivered_but_unmarked_lesson_breaks_the_run_and_is_not_yet_earned() -> None:
    """Absent at lessons 3 and 5; lesson 4 (09-28) was held but the school has not marked attendance.
    The unmarked lesson ends the run, so lesson 5 starts a new run and nothing is refunded.
    Lesson 4 is neither earned nor refunded (2000 fen waiting for the mark): earned 7 x 2000 = 14000."""
    c = course(16000, absences=frozenset({3, 5}))
    lessons = weekly(8, unmarked=frozenset({4}))
    out = outcome(c, lessons, policy(ABSENCE_7), TERM_START, term_over=True)
    assert out.refunds == {}
    assert earned_ids(out) == [1, 2, 3, 5, 6, 7, 8]
    assert out.earned_total + out.refund_total + out.retained == 16000 - 2000


def test_a_cancelled_lesson_does_not_break_an_absence_run() -> None:
    """Absent at lesson 3 (09-21); lesson 4 (09-28) was cancelled by the provider (not delivered);
    absent again at lesson 5 (10-05). The cancelled lesson does not interrupt the run that started
    09-21, so lesson 5 is 14 days in and refunded: 2000 fen.
    Policy has no undelivered rule, so the cancelled lesson's 2000 stays with the collector (retained).
    Earned: lessons 1, 2, 3, 6, 7, 8 = 12000.  12000 + 2000 + 2000 = 16000."""
    c = course(16000, absences=frozenset({3, 5}))
    out = outcome(c, weekly(8, not_delivered=frozenset({4})), policy(ABSENCE_7), TERM_START, term_over=True)
    assert out.refunds == {"absence": 2000}
    assert out.retained == 2000
    assert earned_ids(out) == [1, 2, 3, 6, 7, 8]


def test_a_cancelled_lesson_does_not_extend_an_absence_run() -> None:
    """Lesson 3 (09-21) cancelled; absent at lessons 4 and 5 (09-28, 10-05). The run starts at the
    first lesson actually missed, 09-28, not at the cancelled one: lesson 4 is 0 days in (earned),
    lesson 5 is 7 days in (refunded 2000). Had the cancelled day counted, lesson 4 would be 7 days in
    and refunded too.
    With the undelivered rule the cancelled lesson is refunded as undelivered: 2000.
    Earned: lessons 1, 2, 4, 6, 7, 8 = 12000.  12000 + 2000 + 2000 = 16000."""
    c = course(16000, absences=frozenset({4, 5}))
    lessons = weekly(8, not_delivered=frozenset({3}))
    assert absence_refunded(c, lessons, 7) == {5}
    out = outcome(c, lessons, policy(ABSENCE_7, UNDELIVERED), TERM_START, term_over=True)
    assert out.refunds == {"absence": 2000, "undelivered": 2000}
    assert earned_ids(out) == [1, 2, 4, 6, 7, 8]


def test_absence_boundary_6_days_no_refund_7_days_refund() -> None:
    """Three lessons of 1000 fen each (3000 over 3): Monday 09-07, Sunday 09-13, Monday 09-14,
    absent at all three. The run starts 09-07:
      09-13 is 6 days in -> below 7, not refunded (earned);
      09-14 is 7 days in -> refunded 1000.
    Earned 1000 + 1000 = 2000; absence refund 1000."""
    lessons = [LessonFact(1, dt.date(2026, 9, 7), True, True), LessonFact(2, dt.date(2026, 9, 13), True, True),
               LessonFact(3, dt.date(2026, 9, 14), True, True)]
    c = course(3000, absences=frozenset({1, 2, 3}))
    out = outcome(c, lessons, policy(ABSENCE_7), TERM_START, term_over=True)
    assert absence_refunded(c, lessons, 7) == {3}
    assert out.refunds == {"absence": 1000}
    assert out.earned == [(1, 1000), (2, 1000)]


def test_absence_before_joining_does_not_start_a_run() -> None:
    """16000 over 8 = 2000 each. The student joins 09-28 (lesson 4); an absence recorded for lesson 3
    (before joining, e.g. a trial visit) is outside the enrolment. Absent at lessons 4 and 5:
    the run starts 09-28, lesson 5 is 7 days in -> refunded 2000.
    Chargeable: lessons 4-8 = 10000. Earned: lessons 4, 6, 7, 8 = 8000."""
    c = course(16000, joined=monday(4), absences=frozenset({3, 4, 5}))
    out = outcome(c, weekly(8), policy(ABSENCE_7), TERM_START, term_over=True)
    assert out.chargeable == 10000
    assert out.refunds == {"absence": 2000}
    assert earned_ids(out) == [4, 6, 7, 8]


def test_without_an_absence_rule_absences_are_earned() -> None:
    """Same long absence as above (lessons 2-8) but the county has no absence rule: the provider
    held every lesson and earns all 8 x 2000 = 16000; nothing is refunded."""
    out = outcome(course(16000, absences=frozenset(range(2, 9))), weekly(8), policy(UNDELIVERED), TERM_START,
                  term_over=True)
    assert out.refunds == {}
    assert out.earned_total == 16000


# --- the quit rule: a refund schedule by days since the term started -------------------------------


@pytest.mark.parametrize(("days", "percent"), [(0, 100), (14, 100), (15, 50), (60, 50), (61, 0), (120, 0)])
def test_quit_percent_by_day(days: int, percent: int) -> None:
    """Schedule: within 14 days 100%, within 60 days 50%, later 0%. "Within" includes the last day:
    day 14 still gets 100%, day 15 gets 50%; day 60 still 50%, day 61 nothing."""
    assert quit_percent(policy(QUIT_14_60), TERM_START, TERM_START + dt.timedelta(days=days)) == percent


def test_quit_schedule_order_does_not_matter() -> None:
    """The same schedule written latest-step first gives the same answers (day 10: 100%, day 30: 50%)."""
    reversed_rule = {"kind": "quit",
                     "schedule": [{"within_days": 60, "percent": 50}, {"within_days": 14, "percent": 100}]}
    p = policy(reversed_rule)
    assert quit_percent(p, TERM_START, TERM_START + dt.timedelta(days=10)) == 100
    assert quit_percent(p, TERM_START, TERM_START + dt.timedelta(days=30)) == 50


def test_quit_percent_under_the_county_defaults() -> None:
    """The default county rules (DEFAULT_REFUNDS) are 14 days 100%, 60 days 50%."""
    p = policy(*DEFAULT_REFUNDS)
    by_day = [quit_percent(p, TERM_START, TERM_START + dt.timedelta(days=d)) for d in (14, 15, 60, 61)]
    assert by_day == [100, 50, 50, 0]


def test_quit_percent_without_a_quit_rule_is_zero() -> None:
    """A county with no quit rule refunds nothing for quitting, even on day 0."""
    assert quit_percent(policy(ABSENCE_7, UNDELIVERED), TERM_START, TERM_START) == 0


@pytest.mark.parametrize(
    ("quit_on", "before", "refund", "retained"),
    [
        # day 14: 100% of the 14 lessons from 09-21 on
        (dt.date(2026, 9, 15), 2, 26251, 0),
        # day 15: 50% of 26251 = 13125.5 -> 13125 refunded, 13126 retained
        (dt.date(2026, 9, 16), 2, 13125, 13126),
        # day 60: 50% of the 8 lessons from 11-02 on (15001) = 7500.5 -> 7500, 7501 retained
        (dt.date(2026, 10, 31), 8, 7500, 7501),
        # day 61: 0%, all 15001 retained
        (dt.date(2026, 11, 1), 8, 0, 15001),
    ],
)
def test_quit_refunds_a_percent_of_the_lessons_after_the_quit(quit_on: dt.date, before: int, refund: int,
                                                              retained: int) -> None:
    """Fee 30001 fen over 16 Monday lessons: 30001*k//16 = 1875*k + k//16, so lessons 1-15 are 1875
    and lesson 16 is 1876.
    Quit on 09-15 or 09-16 (days 14, 15): lessons 1-2 (09-07, 09-14) were attended -> earned
    2 x 1875 = 3750; lessons 3-16 are after the quit: 13 x 1875 + 1876 = 26251.
    Quit on 10-31 or 11-01 (days 60, 61): lessons 1-8 attended -> earned 8 x 1875 = 15000;
    lessons 9-16 after the quit: 7 x 1875 + 1876 = 15001.
    The refund is the schedule percent of the after-quit total, rounded down to the fen; the
    remainder is retained by the collector. earned + refund + retained = 30001."""
    lessons = weekly(16, not_delivered=frozenset(range(before + 1, 17)))
    out = outcome(course(30001, ended=quit_on, end_kind="quit"), lessons, policy(QUIT_14_60), TERM_START,
                  term_over=True)
    assert earned_ids(out) == list(range(1, before + 1))
    assert out.earned_total == 1875 * before
    assert out.refunds == ({"quit": refund} if refund else {})
    assert out.retained == retained
    assert out.earned_total + out.refund_total + out.retained == 30001


def test_quit_on_a_lesson_day_counts_that_lesson_as_after_the_quit() -> None:
    """16000 over 8 = 2000 each. Quit on Monday 09-14 (day 13, 100%): lesson 2 that day is "on or
    after the quit date", so lessons 2-8 are refunded: 7 x 2000 = 14000; lesson 1 earned 2000."""
    out = outcome(course(16000, ended=monday(2), end_kind="quit"), weekly(8, not_delivered=frozenset(range(2, 9))),
                  policy(QUIT_14_60), TERM_START, term_over=False)
    assert out.refunds == {"quit": 14000}
    assert out.earned == [(1, 2000)]


def test_quit_unmarked_lessons_before_the_quit_are_not_earned_yet() -> None:
    """16000 over 8 = 2000 each. Quit 10-31 (day 60, 50%). Lessons 1-8 all fall before the quit
    (last one 10-26) so nothing is refunded for quitting; lesson 7 (10-19) was held but not marked:
    not earned yet. Earned 7 x 2000 = 14000; 2000 waits for the attendance mark."""
    lessons = weekly(8, unmarked=frozenset({7}))
    out = outcome(course(16000, ended=dt.date(2026, 10, 31), end_kind="quit"), lessons, policy(QUIT_14_60),
                  TERM_START, term_over=True)
    assert out.refunds == {}
    assert out.retained == 0
    assert out.earned_total == 14000
    assert 7 not in earned_ids(out)


def test_mid_term_joiner_who_quits() -> None:
    """30000 over 16 = 1875 each. Joined 09-21 (lesson 3), quit 10-07 (day 36, 50%).
    Chargeable: lessons 3-16 = 14 x 1875 = 26250.
    Attended lessons 3, 4, 5 (09-21, 09-28, 10-05): earned 3 x 1875 = 5625.
    After the quit: lessons 6-16 = 11 x 1875 = 20625; 50% = 10312.5 -> refund 10312, retained 10313.
    5625 + 10312 + 10313 = 26250."""
    lessons = weekly(16, not_delivered=frozenset(range(6, 17)))
    c = course(30000, joined=monday(3), ended=dt.date(2026, 10, 7), end_kind="quit")
    out = outcome(c, lessons, policy(QUIT_14_60), TERM_START, term_over=True)
    assert out.chargeable == 26250
    assert out.earned_total == 5625
    assert out.refunds == {"quit": 10312}
    assert out.retained == 10313


def test_quit_without_a_quit_rule_retains_the_rest() -> None:
    """16000 over 8 = 2000 each; quit 09-16 (day 15) after lessons 1-2, no quit rule in the policy:
    lessons 3-8 (6 x 2000 = 12000) are retained, nothing refunded."""
    out = outcome(course(16000, ended=dt.date(2026, 9, 16), end_kind="quit"),
                  weekly(8, not_delivered=frozenset(range(3, 9))), policy(ABSENCE_7, UNDELIVERED), TERM_START,
                  term_over=True)
    assert out.refunds == {}
    assert out.retained == 12000
    assert out.earned_total == 4000


# --- the undelivered rule: the school cancels, the provider exits, the term ends -----------------


def test_course_cancelled_mid_term_refunds_exactly_the_undelivered_lessons() -> None:
    """Fee 10000 over 6 Monday lessons: 10000*k//6 = 1666, 3333, 5000, 6666, 8333, 10000, so the
    shares are 1666, 1667, 1667, 1666, 1667, 1667.
    Lessons 1 and 2 were held and marked: earned 1666 + 1667 = 3333.
    Lesson 3 (09-21) was called off; the school cancelled the course on 09-22, so lessons 4-6 never
    happen. Not delivered: lessons 3-6 = 1667 + 1666 + 1667 + 1667 = 6667 -> refunded in full,
    even before the term is over.  3333 + 6667 = 10000."""
    lessons = weekly(6, not_delivered=frozenset({3, 4, 5, 6}))
    c = course(10000, ended=dt.date(2026, 9, 22), end_kind="cancelled")
    out = outcome(c, lessons, policy(*DEFAULT_REFUNDS), TERM_START, term_over=False)
    assert out.earned == [(1, 1666), (2, 1667)]
    assert out.refunds == {"undelivered": 6667}
    assert out.retained == 0
    assert out.earned_total + out.refund_total == out.chargeable == 10000


def test_course_cancelled_without_the_undelivered_rule_retains_instead() -> None:
    """Same cancellation, but the policy has no undelivered rule: the 6667 fen of lessons 3-6 is
    retained by the collector instead of refunded."""
    lessons = weekly(6, not_delivered=frozenset({3, 4, 5, 6}))
    c = course(10000, ended=dt.date(2026, 9, 22), end_kind="cancelled")
    out = outcome(c, lessons, policy(ABSENCE_7, QUIT_14_60), TERM_START, term_over=False)
    assert out.refunds == {}
    assert out.retained == 6667
    assert out.earned_total == 3333


def test_provider_exit_refunds_exactly_the_undelivered_lessons() -> None:
    """Fee 59999 over 17 Monday lessons (shares 3529, with 3530 at lessons 3, 6, 9, 12, 15, 17).
    The student joined 09-21 (lesson 3): chargeable = 59999 - 3529 - 3529 = 52941.
    The provider held lessons 3-7, 9 and 10, called off lesson 8 (10-26), and left the county on
    11-10 (after lesson 10, 11-09). The term is not over, but the exit is not the family's doing, so
    the called-off lesson 8 is refunded now along with lessons 11-17.
    Lessons 3-10 together: 3530 + 3529 + 3529 + 3530 + 3529 + 3529 + 3530 + 3529 = 28235;
    earned = 28235 - 3529 (lesson 8) = 24706.
    Lessons 11-17: 3529 + 3530 + 3529 + 3529 + 3530 + 3529 + 3530 = 24706;
    undelivered = 3529 (lesson 8) + 24706 = 28235.
    24706 + 28235 = 52941."""
    lessons = weekly(17, not_delivered=frozenset({8, *range(11, 18)}))
    c = course(59999, joined=monday(3), ended=dt.date(2026, 11, 10), end_kind="exit")
    out = outcome(c, lessons, policy(*DEFAULT_REFUNDS), TERM_START, term_over=False)
    assert out.chargeable == 52941
    assert out.earned_total == 24706
    assert earned_ids(out) == [3, 4, 5, 6, 7, 9, 10]
    assert out.refunds == {"undelivered": 28235}
    assert out.earned_total + out.refund_total == out.chargeable


@pytest.mark.parametrize(
    ("rules", "term_over", "refunds", "retained"),
    [
        # term over, undelivered rule: lessons 5 and 6 (1667 + 1667 = 3334) refunded
        ((ABSENCE_7, QUIT_14_60, UNDELIVERED), True, {"undelivered": 3334}, 0),
        # term still running: lessons 5 and 6 are simply not yet due, neither refunded nor retained
        ((ABSENCE_7, QUIT_14_60, UNDELIVERED), False, {}, 0),
        # term over, no undelivered rule: the 3334 is retained
        ((ABSENCE_7, QUIT_14_60), True, {}, 3334),
    ],
)
def test_lessons_still_scheduled_at_term_end(rules: tuple[dict[str, Any], ...], term_over: bool,
                                             refunds: dict[str, int], retained: int) -> None:
    """Fee 10000 over 6 lessons (1666, 1667, 1667, 1666, 1667, 1667). Lessons 1-4 were held and
    marked: earned 1666 + 1667 + 1667 + 1666 = 6666. Lessons 5 and 6 (10-05, 10-12) were never held
    and the enrolment did not end: worth 1667 + 1667 = 3334."""
    lessons = weekly(6, not_delivered=frozenset({5, 6}))
    out = outcome(course(10000), lessons, policy(*rules), TERM_START, term_over=term_over)
    assert out.earned_total == 6666
    assert out.refunds == refunds
    assert out.retained == retained


# --- materials ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ended", "end_kind", "delivered_upto", "materials_via", "refund"),
    [
        # cancelled 09-01, before lesson 1: nothing held, provider bought the materials -> 5000 back
        (dt.date(2026, 9, 1), "cancelled", 0, "provider", 5000),
        # quit 09-03, before lesson 1 -> 5000 back as well
        (dt.date(2026, 9, 3), "quit", 0, "provider", 5000),
        # parents buy the materials themselves: nothing on the bill to refund
        (dt.date(2026, 9, 1), "cancelled", 0, "parents", 0),
        # cancelled 09-15 after lesson 1 (09-07) and 2 (09-14) were held: the materials were used
        (dt.date(2026, 9, 15), "cancelled", 2, "provider", 0),
        # quit 09-08 after lesson 1 was held: no materials refund
        (dt.date(2026, 9, 8), "quit", 1, "provider", 0),
        # still enrolled, nothing held yet: the enrolment has not ended, no refund
        (None, None, 0, "provider", 0),
    ],
)
def test_materials_refunded_only_if_the_enrolment_ended_before_any_lesson(
        ended: dt.date | None, end_kind: str | None, delivered_upto: int, materials_via: str, refund: int) -> None:
    """Materials 5000 fen (50 yuan) on top of a 16000 fen fee over 8 lessons."""
    lessons = weekly(8, not_delivered=frozenset(range(delivered_upto + 1, 9)))
    c = course(16000, ended=ended, end_kind=end_kind, materials=5000)
    out = outcome(c, lessons, policy(*DEFAULT_REFUNDS, materials_via=materials_via), TERM_START, term_over=False)
    assert out.materials_refund == refund


def test_materials_refund_for_a_late_joiner_who_never_attended() -> None:
    """Joined 09-28 (lesson 4) after lessons 1-3 had been held for the others, quit 10-02 before
    lesson 5: none of the student's own lessons was held, so the 5000 fen materials come back.
    Fee 16000 over 8 = 2000 each; chargeable lessons 4-8 = 10000, but lesson 4 (09-28) was called
    off. Quit on day 31 (50%): lessons 5-8 after the quit = 8000 -> refund 4000, retained 4000;
    lesson 4 (called off, the term not over) is still pending: 2000."""
    lessons = weekly(8, not_delivered=frozenset(range(4, 9)))
    c = course(16000, joined=monday(4), ended=dt.date(2026, 10, 2), end_kind="quit", materials=5000)
    out = outcome(c, lessons, policy(*DEFAULT_REFUNDS), TERM_START, term_over=False)
    assert out.materials_refund == 5000
    assert out.chargeable == 10000
    assert out.refunds == {"quit": 4000}
    assert out.retained == 4000
    assert out.earned == []


# --- family_share(): the waiver split ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "percent", "family", "subsidy"),
    [
        (30001, 50, 15001, 15000),  # 50% of 30001 = 15000.5 -> subsidy 15000, the family pays the odd fen
        (30001, 100, 0, 30001),  # full waiver: the subsidy covers everything
        (1875, 50, 938, 937),  # 937.5 -> 937 subsidised, 938 paid
        (60000, 30, 42000, 18000),  # 30% of 600 yuan = 180 yuan subsidised
    ],
)
def test_family_share(amount: int, percent: int, family: int, subsidy: int) -> None:
    assert family_share(amount, percent) == (family, subsidy)


# --- the bookkeeping identity over many random enrolments -------------------------------------------


def _reference_absence(course_: Course, lessons: list[LessonFact], min_days: int | None) -> set[int]:
    """The absence rule read off the policy text, computed differently from rules.py: for each
    absent, delivered, in-range lesson walk back over the delivered in-range lessons while the
    student was absent; the earliest such lesson starts the run."""
    if not min_days:
        return set()

    def counts(le: LessonFact) -> bool:
        in_enrolment = (course_.joined is None or le.day >= course_.joined) and (
            course_.ended is None or le.day < course_.ended)
        return le.delivered and in_enrolment

    held = [le for le in lessons if counts(le)]
    out: set[int] = set()
    for i, le in enumerate(held):
        if le.lesson_id not in course_.absences:
            continue
        j = i
        while j > 0 and held[j - 1].lesson_id in course_.absences:
            j -= 1
        if (le.day - held[j].day).days >= min_days:
            out.add(le.lesson_id)
    return out


def _random_case(rng: random.Random) -> tuple[Course, list[LessonFact], FeePolicy, bool]:
    n = rng.choice([0, 1, 2, 3, rng.randint(4, 20), rng.randint(4, 20)])
    fee = rng.choice([0, 1, rng.randint(1, 100), rng.randint(1000, 60000), rng.randint(1000, 60000)])
    day = TERM_START + dt.timedelta(days=rng.randint(0, 8))
    lessons: list[LessonFact] = []
    for lesson_id in range(1, n + 1):
        delivered = rng.random() < 0.8
        marked = rng.random() < (0.85 if delivered else 0.1)
        lessons.append(LessonFact(lesson_id, day, delivered, marked))
        day += dt.timedelta(days=rng.randint(1, 9))
    last = day
    marked_ids = [le.lesson_id for le in lessons if le.marked]
    absent_rate = rng.choice([0.0, 0.3, 0.7, 0.95])
    absences = frozenset(i for i in marked_ids if rng.random() < absent_rate)
    joined = None if rng.random() < 0.5 else TERM_START + dt.timedelta(days=rng.randint(-5, (last - TERM_START).days))
    end_kind = rng.choice([None, None, "quit", "quit", "cancelled", "merged", "exit"])
    ended = None
    if end_kind is not None:
        start = joined or TERM_START
        ended = start + dt.timedelta(days=rng.randint(0, max(0, (last - start).days) + 3))
    rules: list[dict[str, Any]] = []
    if rng.random() < 0.7:
        rules.append({"kind": "absence", "min_days": rng.randint(1, 14)})
    if rng.random() < 0.7:
        steps = [{"within_days": rng.randint(0, 90), "percent": rng.randint(0, 100)} for _ in range(rng.randint(1, 3))]
        rules.append({"kind": "quit", "schedule": steps})
    if rng.random() < 0.7:
        rules.append({"kind": "undelivered"})
    rng.shuffle(rules)
    c = Course(enrolment_id=1, fee_fen=fee, materials_fen=rng.choice([0, 3000]), joined=joined, ended=ended,
               end_kind=end_kind, absences=absences)
    return c, lessons, policy(*rules, materials_via=rng.choice(["provider", "parents"])), rng.random() < 0.5


def test_every_fen_is_accounted_for_in_random_enrolments() -> None:
    """For 500 random enrolments (fixed seed):
    chargeable = earned + refunds + retained
                 + held-but-unmarked lessons in the enrolment that were not absence-refunded
                 + (term not over, enrolment not ended by the school) lessons in the enrolment not yet held.
    Also: chargeable agrees with chargeable(), the absence refunds follow the policy text, the
    provider earns only held, marked lessons, and no amount is negative."""
    rng = random.Random(20260901)
    for case in range(500):
        c, lessons, p, term_over = _random_case(rng)
        out = outcome(c, lessons, p, TERM_START, term_over=term_over)
        share = dict(zip((le.lesson_id for le in lessons), shares(c.fee_fen, len(lessons)), strict=True))
        absence = p.rule("absence")
        refunded_absent = _reference_absence(c, lessons, absence["min_days"] if absence else None)
        in_enrolment = [le for le in lessons if (c.joined is None or le.day >= c.joined)
                        and (c.ended is None or le.day < c.ended)]
        unmarked = sum(share[le.lesson_id] for le in in_enrolment
                       if le.delivered and not le.marked and le.lesson_id not in refunded_absent)
        not_yet_due = 0
        if not term_over and c.end_kind not in ENDED_BY_SCHOOL:
            not_yet_due = sum(share[le.lesson_id] for le in in_enrolment if not le.delivered)
        where = f"case {case}: {c!r} {lessons!r} {p.refund_rules!r} term_over={term_over} -> {out!r}"

        assert out.chargeable == chargeable(c.fee_fen, lessons, c.joined), where
        assert out.chargeable == out.earned_total + out.refund_total + out.retained + unmarked + not_yet_due, where
        assert absence_refunded(c, lessons, absence["min_days"] if absence else None) == refunded_absent, where
        assert out.refunds.get("absence", 0) == sum(share[i] for i in refunded_absent), where
        by_id = {le.lesson_id: le for le in lessons}
        assert len(earned_ids(out)) == len(set(earned_ids(out))), where
        for lesson_id, fen in out.earned:
            le = by_id[lesson_id]
            assert le.delivered and le.marked and le in in_enrolment and lesson_id not in refunded_absent, where
            assert fen == share[lesson_id], where
        assert min([out.retained, out.materials_refund, *out.refunds.values()], default=0) >= 0, where
