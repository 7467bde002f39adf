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

from kehou.plugins.billing_cap import refund_rules
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


@dataclass
class Absence:
    """What the absence rule decides for the lessons a student missed."""

    refunds: dict[int, int] = field(default_factory=dict)  # lesson_id -> fen refunded (a period's share may be partial)
    pending: set[int] = field(default_factory=set)  # in an absence still running: not yet decided, not yet paid out


def _runs(course: Course, lessons: list[LessonFact], *, closed_at_end: bool) -> list[tuple[list[LessonFact], dt.date | None]]:
    """The runs of consecutive delivered lessons the student missed, each with the day it ended (the next lesson
    attended or delivered but unmarked; the course's end; with ``closed_at_end``, the day after the last lesson),
    or None while it is still running. A cancelled lesson neither breaks nor extends a run."""
    runs: list[tuple[list[LessonFact], dt.date | None]] = []
    current: list[LessonFact] = []
    last: LessonFact | None = None
    for le in lessons:
        if not le.delivered or not in_range(course, le.day):
            continue
        last = le
        if le.lesson_id in course.absences:
            current.append(le)
        elif current:
            runs.append((current, le.day))
            current = []
    if current:
        assert last is not None
        end = course.ended if course.ended is not None else (last.day + dt.timedelta(days=1) if closed_at_end else None)
        runs.append((current, end))
    return runs


def absence_decided(course: Course, lessons: list[LessonFact], rule: dict[str, Any] | None, share_of: dict[int, int],
                    *, closed_at_end: bool = False) -> Absence:
    """The absence rule (:mod:`refund_rules`) applied to each run of missed lessons (``share_of``: each lesson's
    share of the fee). ``after``: a lesson missed once the run has lasted ``min`` units (``min`` missed lessons
    before it, or ``min`` days, half-months or months since the first) is refunded at once. Period refunds wait for
    the period: in a run still going, a lesson whose period is not yet whole (or not yet ``min`` of them) is
    pending; once the run has ended, what did not make a whole period is not refunded."""
    out = Absence()
    if rule is None:
        return out
    r = refund_rules.absence(rule)
    count, least = r["count"], r["min"]
    for run, ended in _runs(course, lessons, closed_at_end=closed_at_end):
        d0 = run[0].day
        if r["refund"] == "after":
            for i, le in enumerate(run):
                if (i >= least) if count == "lessons" else le.day >= refund_rules.period_end(d0, count, least):
                    out.refunds[le.lesson_id] = share_of[le.lesson_id]
            continue
        reach = ended if ended is not None else run[-1].day  # the run surely covers the days before this one
        whole = 0
        while refund_rules.period_end(d0, count, whole + 1) <= reach:
            whole += 1
        for k in range(1, whole + 1 if whole >= least else 0):
            start, stop = refund_rules.period_end(d0, count, k - 1), refund_rules.period_end(d0, count, k)
            budget = course.fee_fen * r["percent"] // 100 if r["refund"] == "period_percent" else None
            for le in run:
                if start <= le.day < stop:
                    back = share_of[le.lesson_id] if budget is None else min(share_of[le.lesson_id], budget)
                    out.refunds[le.lesson_id] = back
                    budget = None if budget is None else budget - back
        if ended is None:
            out.pending.update(le.lesson_id for le in run if le.lesson_id not in out.refunds)
    return out


def quit_percent(policy: FeePolicy, course: Course, term_start: dt.date, quit_on: dt.date) -> tuple[int, str]:
    """The percent a quit on ``quit_on`` returns, and what of (``untaught`` or ``whole``)."""
    rule = policy.rule("quit")
    if rule is None:
        return 0, "untaught"
    r = refund_rules.quit(rule)
    start = course.joined if r["from"] == "enrolment" and course.joined is not None else term_start
    for step in sorted(r["schedule"], key=lambda s: refund_rules.window_end(start, s)):
        if quit_on <= refund_rules.window_end(start, step):
            return int(step["percent"]), r["of"]
    return 0, r["of"]


def outcome(course: Course, lessons: list[LessonFact], policy: FeePolicy, term_start: dt.date, *,
            term_over: bool) -> Outcome:
    """What the student's time on the course comes to. ``term_over``: lessons still scheduled will not
    be delivered (term-end statement); before that they are simply not yet due."""
    out = Outcome()
    absence_rule = policy.rule("absence")
    share_of = {le.lesson_id: x for le, x in zip(lessons, shares(course.fee_fen, len(lessons)), strict=True)}
    decided = absence_decided(course, lessons, absence_rule, share_of, closed_at_end=term_over)
    undelivered_rule = policy.rule("undelivered") is not None
    after_quit = 0
    delivered_any = False
    for le in lessons:
        share = share_of[le.lesson_id]
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
            back = decided.refunds.get(le.lesson_id, 0)
            if back:
                _add(out.refunds, "absence", back)
            if le.marked and share - back and le.lesson_id not in decided.pending:
                out.earned.append((le.lesson_id, share - back))
        elif term_over or course.end_kind in ENDED_BY_SCHOOL:
            _undelivered(out, share, undelivered_rule)
    if after_quit:
        assert course.ended is not None
        pct, of = quit_percent(policy, course, term_start, course.ended)
        base = out.chargeable if of == "whole" else after_quit
        back = min(base * pct // 100, after_quit)
        if back:
            _add(out.refunds, "quit", back)
        out.retained += after_quit - back
        out.explain.append(f"退课于开学后第{(course.ended - term_start).days + 1}天（开学当天为第1天），"
                           f"退{refund_rules.OF_LABELS[of]}的{pct}%"
                           + ("（以未上课次费用为限）" if of == "whole" and back < base * pct // 100 else ""))
    if course.ended is not None and not delivered_any and policy.materials_via == "provider":
        out.materials_refund = course.materials_fen
    refunded = [k for k, v in decided.refunds.items() if v != 0]
    if refunded and absence_rule is not None:
        out.explain.append(f"{refund_rules.sentence(absence_rule)}：{len(refunded)}次课退费")
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
