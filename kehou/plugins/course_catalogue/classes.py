"""After the selection window: classes below the county's minimum size are flagged; the school
merges them across adjacent grades or cancels them; affected parents are told and may choose again."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.notifications.services import notify_school_admins
from kehou.platform.policy import services as policy
from kehou.platform.students.models import Student
from kehou.plugins.course_catalogue import lessons
from kehou.plugins.course_catalogue.enrolment import _clash, event, notify_guardians
from kehou.plugins.course_catalogue.menus import get_menu
from kehou.plugins.course_catalogue.models import (
    ACTIVE,
    Enrolment,
    EnrolmentStatus,
    Entry,
    EntryStatus,
    Menu,
    MenuStatus,
    Offering,
    Slot,
)
from kehou.timeutil import clock, utcnow


def close_windows(ctx: Context, session: Session) -> int:
    """Flag undersized classes of every menu whose selection window has closed (once per menu)."""
    menus = list(session.scalars(select(Menu).where(Menu.status == MenuStatus.published, Menu.classes_checked_at.is_(None),
                                                    Menu.closes_at < utcnow())))
    for menu in menus:
        minimum = int(policy.get(session, ctx.registry, menu.county_code, "catalogue.min_class_size"))
        small = list(session.scalars(select(Entry).where(Entry.menu_id == menu.id, Entry.status == EntryStatus.open,
                                                         Entry.enrolled < minimum)))
        for entry in small:
            entry.flag = "undersized"
        menu.classes_checked_at = utcnow()
        if small:
            notify_school_admins(session, menu.school_id, "选课结束：有班级人数不足",
                                 f"{len(small)}个班级不足{minimum}人，请跨年级合并或取消开班。", f"/school/menus/{menu.id}")
        audit.record(session, Actor.system("catalogue"), county_code=menu.county_code, action="menu.classes_checked",
                     entity_type="course_menu", entity_id=menu.id, new={"undersized": [e.id for e in small], "minimum": minimum})
        session.commit()
    return len(menus)


def _entry_for_school(session: Session, actor: Actor, entry_id: int) -> tuple[Entry, Menu]:
    entry = session.get(Entry, entry_id)
    if entry is None:
        raise NotFound("课程不存在。", code="entry_not_found")
    menu = get_menu(session, actor, entry.menu_id)
    return entry, menu


def _active(session: Session, entry_id: int) -> list[Enrolment]:
    """The entry's enrolled and waitlisted rows, read afresh (an enrolment may have committed meanwhile)."""
    return list(session.scalars(select(Enrolment).where(Enrolment.entry_id == entry_id, Enrolment.status.in_(ACTIVE))
                                .order_by(Enrolment.id).execution_options(populate_existing=True)))


def _lock_students(session: Session, entry_id: int) -> list[Enrolment]:
    """Lock the students of an entry in id order (the enrolment lock order: students before entries)."""
    ids = sorted(set(session.scalars(select(Enrolment.student_id).where(Enrolment.entry_id == entry_id,
                                                                       Enrolment.status.in_(ACTIVE)))))
    if ids:
        list(session.scalars(select(Student.id).where(Student.id.in_(ids)).order_by(Student.id).with_for_update()))
    return list(session.scalars(select(Enrolment).where(Enrolment.entry_id == entry_id, Enrolment.status.in_(ACTIVE))
                                .order_by(Enrolment.id)))


def cancel(session: Session, actor: Actor, entry_id: int, reason: str) -> Entry:
    """Cancel a class: its enrolments end, future lessons are cancelled, parents may choose again."""
    if not reason.strip():
        raise ValidationFailed("请说明取消开班的原因。", code="reason_required", field="reason")
    entry, menu = _entry_for_school(session, actor, entry_id)
    enrolments = _lock_students(session, entry.id)
    entry = session.scalars(select(Entry).where(Entry.id == entry_id).with_for_update()
                            .execution_options(populate_existing=True)).one()
    if entry.status != EntryStatus.open:
        raise Conflict("该班级已取消或已合并。", code="entry_not_open")
    # An enrolment that took its seat before we had the entry's row lock has committed by now: read
    # again, so it is cancelled too. Cancelling frees a timetable, so it needs no student lock.
    enrolments = _active(session, entry.id)
    title = session.get(Offering, entry.offering_id).title  # type: ignore[union-attr]
    for e in enrolments:
        old = e.status
        e.status, e.ended_at, e.ended_reason = EnrolmentStatus.cancelled, utcnow(), reason.strip()
        event(session, actor, e, "cancel", old, reason.strip())
        notify_guardians(session, e.student_id, "课程取消开班",
                         f"「{title}」因{reason.strip()}取消开班，请重新为孩子选课。")
    entry.status, entry.enrolled = EntryStatus.cancelled, 0
    session.execute(update(Slot).where(Slot.entry_id == entry.id).values(active=False))
    cancelled = lessons.cancel_future(session, entry.id, clock.today_local())
    audit.record(session, actor, county_code=entry.county_code, action="entry.cancel", entity_type="course_entry",
                 entity_id=entry.id, reason=reason.strip(), old={"status": EntryStatus.open},
                 new={"status": EntryStatus.cancelled, "enrolments_ended": len(enrolments), "lessons_cancelled": cancelled})
    session.commit()
    return entry


def merge(session: Session, actor: Actor, entry_id: int, into_id: int, reason: str) -> Entry:
    """Move a class's students into another class of the same offering (adjacent grades), all or nothing."""
    if not reason.strip():
        raise ValidationFailed("请说明合并班级的原因。", code="reason_required", field="reason")
    entry, menu = _entry_for_school(session, actor, entry_id)
    target = session.get(Entry, into_id)
    if target is None or target.menu_id != entry.menu_id or target.id == entry.id:
        raise NotFound("目标班级不存在。", code="entry_not_found", field="into_id")
    if target.offering_id != entry.offering_id:
        raise ValidationFailed("只能合并同一课程的班级。", code="merge_different_course", field="into_id")
    grades = sorted(set(entry.grades) | set(target.grades))
    if grades[-1] - grades[0] + 1 != len(grades):
        raise ValidationFailed("只能合并相邻年级的班级。", code="merge_grades_not_adjacent", field="into_id")
    enrolments = _lock_students(session, entry.id)
    locked = {e.id: e for e in session.scalars(select(Entry).where(Entry.id.in_(sorted([entry.id, target.id])))
                                                .order_by(Entry.id).with_for_update().execution_options(populate_existing=True))}
    entry, target = locked[entry.id], locked[target.id]
    if entry.status != EntryStatus.open or target.status != EntryStatus.open:
        raise Conflict("该班级已取消或已合并。", code="entry_not_open")
    if [e.id for e in _active(session, entry.id)] != [e.id for e in enrolments]:
        raise Conflict("班级名单刚刚有变化，请刷新后重试。", code="roster_changed")
    offering = session.get(Offering, entry.offering_id)
    assert offering is not None
    moving = [e for e in enrolments if e.status == EnrolmentStatus.enrolled]
    if target.enrolled + len(moving) > offering.capacity:
        raise Conflict(f"合并后人数（{target.enrolled + len(moving)}）超过课程班额上限（{offering.capacity}）。",
                       code="merge_over_capacity")
    for e in moving:
        others = [en for (en,) in session.execute(select(Enrolment.entry_id).join(Entry, Entry.id == Enrolment.entry_id).where(
            Enrolment.student_id == e.student_id, Enrolment.status.in_(ACTIVE), Enrolment.entry_id != entry.id,
            Entry.menu_id == entry.menu_id))]
        clash = _clash(session, target.id, [x for x in others if x != target.id])
        if clash or target.id in others:
            raise Conflict(f"学生（编号{e.student_id}）无法并入：{clash or '已在目标班级'}", code="merge_conflict")
    for e in enrolments:
        old = e.status
        e.status, e.ended_at, e.ended_reason = EnrolmentStatus.merged, utcnow(), f"并入班级{target.id}"
        event(session, actor, e, "merge_out", old, reason)
        if old == EnrolmentStatus.waitlisted:
            notify_guardians(session, e.student_id, "候补取消", f"「{offering.title}」班级已合并，候补已取消，请重新选课。")
    session.flush()
    now = utcnow()
    for e in moving:
        row = session.scalars(select(Enrolment).where(Enrolment.student_id == e.student_id,
                                                      Enrolment.entry_id == target.id)).first()
        old_status = row.status if row else None
        if row is None:
            row = Enrolment(entry_id=target.id, student_id=e.student_id, requested_at=now, source="merge", ended_reason="",
                            status=EnrolmentStatus.enrolled, enrolled_at=now)
            session.add(row)
        else:
            row.status, row.source, row.enrolled_at = EnrolmentStatus.enrolled, "merge", now
            row.ended_at, row.ended_reason = None, ""
        session.flush()
        event(session, actor, row, "merge_in", old_status, reason)
        notify_guardians(session, e.student_id, "班级合并", f"「{offering.title}」班级已合并，上课安排以新班级为准。")
    target.enrolled += len(moving)
    target.capacity = max(target.capacity, target.enrolled)
    target.grades, target.flag = grades, None  # the school has decided about this class
    entry.status, entry.enrolled, entry.merged_into = EntryStatus.merged, 0, target.id
    session.execute(update(Slot).where(Slot.entry_id == entry.id).values(active=False))
    lessons.cancel_future(session, entry.id, clock.today_local())
    audit.record(session, actor, county_code=entry.county_code, action="entry.merge", entity_type="course_entry",
                 entity_id=entry.id, reason=reason.strip(), old={"status": EntryStatus.open},
                 new={"status": EntryStatus.merged, "into": target.id, "moved": len(moving), "grades": grades})
    session.commit()
    return target


def undersized(session: Session, menu_id: int) -> list[Entry]:
    return list(session.scalars(select(Entry).where(Entry.menu_id == menu_id, Entry.flag == "undersized",
                                                    Entry.status == EntryStatus.open)))
