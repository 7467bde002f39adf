"""Reading the catalogue (through its public interface only) into the plain facts :mod:`rules` uses."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kehou.plugins.billing_cap.rules import Course, LessonFact
from kehou.plugins.course_catalogue import public as catalogue
from kehou.timeutil import local

END_KINDS = {"quit": "quit", "cancelled": "cancelled", "merged": "merged"}


@dataclass(frozen=True)
class Enrolled:
    record: catalogue.EnrolmentRecord
    course: Course


def local_day(moment: dt.datetime | None) -> dt.date | None:
    return local(moment).date() if moment is not None else None


def course_of(rec: catalogue.EnrolmentRecord, absences: frozenset[int], *, exit_on: dt.date | None = None) -> Course:
    ended, kind = local_day(rec.ended_at), END_KINDS.get(rec.status)
    if exit_on is not None and (ended is None or exit_on < ended):
        ended, kind = exit_on, "exit"
    return Course(rec.enrolment_id, rec.fee_fen, rec.materials_fee_fen, local_day(rec.enrolled_at), ended, kind, absences)


class EntryFacts:
    """Lessons and absences per course entry, loaded once per entry."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._lessons: dict[int, list[LessonFact]] = {}
        self._absent: dict[int, dict[int, frozenset[int]]] = {}

    def lessons(self, entry_id: int) -> list[LessonFact]:
        if entry_id not in self._lessons:
            marks = catalogue.attendance(self.session, entry_id=entry_id)
            marked = {a.lesson_id for a in marks}
            absent: dict[int, set[int]] = defaultdict(set)
            for a in marks:
                if a.status in ("absent", "leave"):
                    absent[a.student_id].add(a.lesson_id)
            self._absent[entry_id] = {sid: frozenset(ids) for sid, ids in absent.items()}
            self._lessons[entry_id] = [LessonFact(le.lesson_id, le.day, le.status == "delivered", le.lesson_id in marked)
                                       for le in catalogue.lessons(self.session, entry_id=entry_id)]
        return self._lessons[entry_id]

    def absences(self, entry_id: int, student_id: int) -> frozenset[int]:
        self.lessons(entry_id)
        return self._absent[entry_id].get(student_id, frozenset())

    def course(self, rec: catalogue.EnrolmentRecord, *, exit_on: dt.date | None = None) -> Course:
        return course_of(rec, self.absences(rec.entry_id, rec.student_id), exit_on=exit_on)


def billable(records: list[catalogue.EnrolmentRecord]) -> list[catalogue.EnrolmentRecord]:
    """Enrolments that ever held a seat (a waitlist entry that never got one costs nothing)."""
    return [r for r in records if r.enrolled_at is not None]
