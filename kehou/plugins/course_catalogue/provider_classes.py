"""A provider's classes and their rosters (我的班级): the minimum a teacher needs to run a class — each enrolled
child's name, grade and class (班级) — for the provider's own classes of published menus whose term has not ended,
while it is admitted in the county. Never the priority group, the student number or a parent's account; a guardian's
phone only where the county allows it (``privacy.provider_guardian_phone``, off by default), for emergencies. Every
roster shown or fetched is logged per child (``child_access``, "provider_class")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import NotFound
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.platform.policy import services as policy
from kehou.platform.privacy import access as viewed
from kehou.platform.students import roster as school_roster
from kehou.platform.students.models import Student
from kehou.plugins.course_catalogue import queries
from kehou.plugins.course_catalogue.access import admitted
from kehou.plugins.course_catalogue.models import Enrolment, EnrolmentStatus, Entry, EntryStatus, Menu, MenuStatus, Offering
from kehou.timeutil import clock

PHONES = "privacy.provider_guardian_phone"


@dataclass(frozen=True)
class Child:
    student_id: int
    name: str
    grade: int
    class_name: str
    phones: tuple[str, ...] = ()  # "relation 138…" when the county allows

    def as_dict(self, with_phones: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"student_id": self.student_id, "name": self.name, "grade": self.grade,
                               "class_name": self.class_name}
        return out | {"guardian_phones": list(self.phones)} if with_phones else out


def _current(actor: Actor, today: dt.date) -> tuple[Any, ...]:
    return (Entry.provider_id == actor.provider_id, Entry.status == EntryStatus.open, Menu.status == MenuStatus.published,
            Menu.term_end >= today, admitted(Entry.provider_id, Entry.county_code, today))


def classes_of(session: Session, actor: Actor, *where: Any) -> list[dict[str, Any]]:
    """The provider's classes running now or to come (those of them matching ``where``): course, school, term,
    weekly slots, children enrolled."""
    actor.require("provider")
    today = clock.today_local()
    rows = session.execute(select(Entry, Offering.title, School.name, Menu.term_start, Menu.term_end)
                           .join(Menu, Menu.id == Entry.menu_id).join(Offering, Offering.id == Entry.offering_id)
                           .join(School, School.id == Entry.school_id).where(*_current(actor, today), *where)
                           .order_by(Menu.term_start, School.name, Offering.title, Entry.id)).all()
    slots = queries.slots_of(session, [r[0].id for r in rows])
    return [{"entry_id": e.id, "title": title, "school": school, "term_start": start, "term_end": end, "venue": e.venue,
             "grades": e.grades, "enrolled": e.enrolled, "capacity": e.capacity, "slots": slots[e.id]}
            for e, title, school, start, end in rows]


def roster(ctx: Context, session: Session, actor: Actor, entry_id: int) -> tuple[dict[str, Any], list[Child], bool]:
    """One of the provider's current classes (another's, a past or cancelled one: not found), its enrolled children
    by grade and class, and whether the county lets the provider see the guardians' phones. Logged per child."""
    actor.require("provider")
    today = clock.today_local()
    info = next(iter(classes_of(session, actor, Entry.id == entry_id)), None)
    entry = session.get(Entry, entry_id)
    if info is None or entry is None:
        raise NotFound("没有这个班级，或该班级不在本机构当前的授课范围内。", code="entry_not_found")
    kids = list(session.scalars(select(Student).join(Enrolment, Enrolment.student_id == Student.id)
                                .where(Enrolment.entry_id == entry_id, Enrolment.status == EnrolmentStatus.enrolled)
                                .order_by(Student.grade, Student.class_name, Student.name, Student.id)))
    allowed = bool(policy.get(session, ctx.registry, entry.county_code, PHONES, today))
    phones: dict[int, tuple[str, ...]] = {}
    if allowed and kids:
        guardians = school_roster.guardians_of(session, [k.id for k in kids])
        numbers = school_roster.opened_phones(ctx, session, entry.school_id,
                                              sorted({g.user_id for gs in guardians.values() for g in gs}))
        phones = {sid: tuple(f"{g.relation or '监护人'} {numbers[g.user_id]}" for g in gs if g.user_id in numbers)
                  for sid, gs in guardians.items()}
    out = [Child(k.id, k.name, k.grade, k.class_name, phones.get(k.id, ())) for k in kids]
    viewed.record(ctx, actor, entry.county_code, [k.id for k in kids], "provider_class")
    return info, out, allowed
