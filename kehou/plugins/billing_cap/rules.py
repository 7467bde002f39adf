"""The arithmetic of fees, pure and exact: what a course costs a student, what the provider earned,
what the refund rules give back. No I/O; integer fen only.

A course's term fee ``F`` is spread over its ``n`` lessons (all the lessons the school scheduled,
in order) so that lesson ``k`` is worth ``F*k//n - F*(k-1)//n``: the shares are whole fen and add
up to exactly ``F``. Everything below sums shares, so for every enrolment

    chargeable = earned + refunds + retained + (delivered lessons not yet settled)

and the refunds for a cancelled course or an exited provider are exactly the shares of the lessons
that were not delivered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from kehou.plugins.billing_cap.policy import FeePolicy

ENDED_BY_SCHOOL = ("cancelled", "merged", "exit")  # the family is not at fault: undelivered lessons are refunded


@dataclass(frozen=True)
class LessonFact:
    lesson_id: int
    day: dt.date
    delivered: bool  # the instructor checked in
    marked: bool  # the school marked attendance for it


@dataclass(frozen=True)
class Course:
    """One student's enrolment as billing sees it."""

    enrolment_id: int
    fee_fen: int
    materials_fen: int
    joined: dt.date | None  # local date enrolled; None: before the term
    ended: dt.date | None  # local date the enrolment ended
    end_kind: str | None  # quit | cancelled | merged | exit | None
    absences: frozenset[int] = frozenset()  # lessons marked absent or on leave


@dataclass
class Outcome:
    chargeable: int = 0  # the fee of the lessons in the student's time on the course
    earned: list[tuple[int, int]] = field(default_factory=list)  # (lesson_id, fen) the provider is paid
    refunds: dict[str, int] = field(default_factory=dict)  # rule kind -> fen
    retained: int = 0  # kept by the collector (a quit after the full-refund period)
    materials_refund: int = 0
    explain: list[str] = field(default_factory=list)

    @property
    def refund_total(self) -> int:
        return sum(self.refunds.values())

    @property
    def earned_total(self) -> int:
        return sum(f for _, f in self.earned)


def shares(fee_fen: int, n: int) -> list[int]:
    return [fee_fen * k // n - fee_fen * (k - 1) // n for k in range(1, n + 1)] if n else []


def in_range(course: Course, day: dt.date) -> bool:
    return (course.joined is None or day >= course.joined) and (course.ended is None or day < course.ended)


def chargeable(fee_fen: int, lessons: list[LessonFact], joined: dt.date | None) -> int:
    """The fee for the lessons from ``joined`` on (the whole fee when joined before the first)."""
    return sum(s for s, le in zip(shares(fee_fen, len(lessons)), lessons, strict=True) if joined is None or le.day >= joined)


def absence_refunded(course: Course, lessons: list[LessonFact], min_days: int | None) -> set[int]:
    """Lessons missed after a continuous absence has lasted longer than ``min_days`` days: in a run of
    consecutive delivered lessons the student missed (absent or leave) starting on day d0, every lesson
    on a day d with (d - d0) >= min_days. A lesson attended, or delivered but unmarked, ends the run."""
    if not min_days:
        return set()
    out: set[int] = set()
    run_start: dt.date | None = None
    for le in lessons:
        if not le.delivered or not in_range(course, le.day):
            continue  # a cancelled lesson neither breaks nor extends an absence
        if le.lesson_id in course.absences:
            run_start = run_start or le.day
            if (le.day - run_start).days >= min_days:
                out.add(le.lesson_id)
        else:
            run_start = None
    return out


def quit_percent(policy: FeePolicy, term_start: dt.date, quit_on: dt.date) -> int:
    rule = policy.rule("quit")
    if rule is None:
        return 0
    days = (quit_on - term_start).days
    for step in sorted(rule["schedule"], key=lambda s: s["within_days"]):
        if days <= step["within_days"]:
            return int(step["percent"])
    return 0


def outcome(course: Course, lessons: list[LessonFact], policy: FeePolicy, term_start: dt.date, *,
            term_over: bool) -> Outcome:
    """What the student's time on the course comes to. ``term_over``: lessons still scheduled will not
    be delivered (term-end statement); before that they are simply not yet due."""
    out = Outcome()
    absence = policy.rule("absence")
    refunded_absent = absence_refunded(course, lessons, absence["min_days"] if absence else None)
    undelivered_rule = policy.rule("undelivered") is not None
    after_quit = 0
    delivered_any = False
    for share, le in zip(shares(course.fee_fen, len(lessons)), lessons, strict=True):
        if course.joined is not None and le.day < course.joined:
            continue
        out.chargeable += share
        if course.ended is not None and le.day >= course.ended:
            if course.end_kind == "quit":
                after_quit += share
            else:
                _undelivered(out, share, undelivered_rule)
            continue
        if le.delivered:
            delivered_any = True
            if le.lesson_id in refunded_absent:
                _add(out.refunds, "absence", share)
            elif le.marked:
                out.earned.append((le.lesson_id, share))
        elif term_over or course.end_kind in ENDED_BY_SCHOOL:
            _undelivered(out, share, undelivered_rule)
    if after_quit:
        assert course.ended is not None
        pct = quit_percent(policy, term_start, course.ended)
        back = after_quit * pct // 100
        if back:
            _add(out.refunds, "quit", back)
        out.retained += after_quit - back
        out.explain.append(f"退课于开学后第{(course.ended - term_start).days + 1}天（开学当天为第1天），未上课次退{pct}%")
    if course.ended is not None and not delivered_any and policy.materials_via == "provider":
        out.materials_refund = course.materials_fen
    if refunded_absent:
        out.explain.append(f"连续缺课满{absence['min_days'] if absence else 0}天（含）后的{len(refunded_absent)}次课退费")
    return out


def _undelivered(out: Outcome, share: int, refunded: bool) -> None:
    if refunded:
        _add(out.refunds, "undelivered", share)
    else:
        out.retained += share


def _add(d: dict[str, Any], key: str, fen: int) -> None:
    d[key] = d.get(key, 0) + fen


def family_share(amount_fen: int, waiver_percent: int) -> tuple[int, int]:
    """Split an amount into (what the family pays, what the waiver subsidy covers)."""
    subsidy = amount_fen * waiver_percent // 100
    return amount_fen - subsidy, subsidy
