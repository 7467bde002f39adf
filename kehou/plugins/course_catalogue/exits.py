"""A provider's exit from a county, as the catalogue carries it out (``kehou_provider_exited``).

Every open entry of the provider in the county whose term has not ended closes on the exit day:
its enrolments end (status ``cancelled``, reason "机构退出"), lessons from that day on are
cancelled, weekly slots freed. Each family is told, with the courses its school still offers the
child's grade with free seats; each school is told which classes ended. The billing plugin refunds
undelivered lessons through its own handler of the same event.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.notifications.services import notify_school_admins
from kehou.platform.providers.models import Provider
from kehou.platform.students.models import Student
from kehou.plugins.course_catalogue import lessons
from kehou.plugins.course_catalogue.access import admitted
from kehou.plugins.course_catalogue.enrolment import event, notify_guardians
from kehou.plugins.course_catalogue.models import ACTIVE, Enrolment, EnrolmentStatus, Entry, EntryStatus, Menu, Offering, Slot
from kehou.timeutil import utcnow

SYSTEM = Actor.system("provider-exit")
REASON = "机构退出"


def _alternatives(session: Session, menu: Menu, provider_id: int) -> list[tuple[Entry, str]]:
    """Open entries of the same menu, by other admitted providers, with free seats."""
    rows = session.execute(select(Entry, Offering.title).join(Offering, Offering.id == Entry.offering_id).where(
        Entry.menu_id == menu.id, Entry.status == EntryStatus.open, Entry.provider_id != provider_id,
        Entry.enrolled < Entry.capacity, admitted(Entry.provider_id, Entry.county_code)).order_by(Offering.title, Entry.id))
    return [(e, t) for e, t in rows]


def end_provider(session: Session, provider_id: int, county_code: str, effective: dt.date) -> dict[str, int]:
    """Close the provider's entries in the county from ``effective``. Idempotent: entries already
    closed are left alone. Returns counts."""
    provider = session.get(Provider, provider_id)
    name = provider.name if provider else f"#{provider_id}"
    entries = list(session.scalars(select(Entry).join(Menu, Menu.id == Entry.menu_id).where(
        Entry.provider_id == provider_id, Entry.county_code == county_code, Entry.status == EntryStatus.open,
        Menu.term_end >= effective).order_by(Entry.id).with_for_update()))
    stats = {"entries": 0, "enrolments": 0, "lessons": 0}
    per_school: dict[int, list[str]] = defaultdict(list)
    for entry in entries:
        menu = session.get(Menu, entry.menu_id)
        title = session.get(Offering, entry.offering_id).title  # type: ignore[union-attr]
        others = _alternatives(session, menu, provider_id)  # type: ignore[arg-type]
        enrolments = list(session.scalars(select(Enrolment).where(Enrolment.entry_id == entry.id,
                                                                  Enrolment.status.in_(ACTIVE)).with_for_update()))
        grades = {s.id: s.grade for s in session.scalars(select(Student).where(
            Student.id.in_([e.student_id for e in enrolments])))} if enrolments else {}
        for e in enrolments:
            old = e.status
            e.status, e.ended_at, e.ended_reason = EnrolmentStatus.cancelled, utcnow(), REASON
            event(session, SYSTEM, e, "provider_exit", old, REASON)
            fit = [t for o, t in others if grades.get(e.student_id) in o.grades][:5]
            offer = f"学校可改选的课程：{'、'.join(fit)}。" if fit else "学校将另行安排，请留意学校通知。"
            notify_guardians(session, e.student_id, "课程因机构退出停止",
                             f"「{title}」的服务机构{name}已退出本区县课后服务，该课程自{effective}起停止；"
                             f"未上课次的费用将全额退还。{offer}", link="/parent")
        entry.status, entry.enrolled = EntryStatus.cancelled, 0
        session.execute(update(Slot).where(Slot.entry_id == entry.id).values(active=False))
        cancelled = lessons.cancel_future(session, entry.id, effective)
        audit.record(session, SYSTEM, county_code=county_code, action="entry.end_by_exit", entity_type="course_entry",
                     entity_id=entry.id, reason=REASON, old={"status": EntryStatus.open},
                     new={"status": EntryStatus.cancelled, "provider_id": provider_id, "effective": effective,
                          "enrolments_ended": len(enrolments), "lessons_cancelled": cancelled})
        per_school[entry.school_id].append(f"{title}（{len(enrolments)}人）")
        stats["entries"] += 1
        stats["enrolments"] += len(enrolments)
        stats["lessons"] += cancelled
    for school_id, titles in per_school.items():
        notify_school_admins(session, school_id, "服务机构退出",
                             f"{name}自{effective}起退出本区县课后服务，以下课程停止：{'；'.join(titles)}。"
                             "请为受影响的学生安排替代课程。", "/school/menus")
    session.commit()
    return stats
