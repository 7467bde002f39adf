"""Lessons from the term calendar; the instructor's check-in; attendance by the school; a parent's
confirmation or dispute."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.calendar.services import load as load_calendar
from kehou.platform.context import Context
from kehou.platform.notifications.services import notify_school_admins
from kehou.platform.policy import services as policy
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue import terms
from kehou.plugins.course_catalogue.access import is_vetted_staff
from kehou.plugins.course_catalogue.agreements import service_signed
from kehou.plugins.course_catalogue.models import (
    Attendance,
    Enrolment,
    EnrolmentStatus,
    Entry,
    EntryStatus,
    Lesson,
    Menu,
    Slot,
)
from kehou.plugins.course_catalogue.timewindow import fmt_hhmm
from kehou.timeutil import SHANGHAI, clock, utcnow

ATTENDANCE_LABELS = {"present": "出勤", "absent": "缺勤", "leave": "请假"}


def schedule(session: Session, settings: Mapping[str, Any], menu: Menu, entry: Entry) -> int:
    """Create the entry's lessons for the term (from today, when the term has begun). Returns how many."""
    first = max(menu.term_start, clock.today_local())
    calendar = load_calendar(session, menu.county_code)
    count = 0
    for slot in session.scalars(select(Slot).where(Slot.entry_id == entry.id, Slot.active.is_(True))):
        for day in terms.lesson_days(settings, calendar, first, menu.term_end, slot.weekday):
            session.add(Lesson(entry_id=entry.id, day=day, start_min=slot.start_min, end_min=slot.end_min, status="scheduled"))
            count += 1
    session.flush()
    return count


def _lesson(session: Session, lesson_id: int, *, lock: bool = False) -> tuple[Lesson, Entry]:
    stmt = select(Lesson).where(Lesson.id == lesson_id)
    lesson = session.scalars(stmt.with_for_update() if lock else stmt).first()
    entry = session.get(Entry, lesson.entry_id) if lesson else None
    if lesson is None or entry is None:
        raise NotFound("课次不存在。", code="lesson_not_found")
    return lesson, entry


def check_in(ctx: Context, session: Session, actor: Actor, lesson_id: int, staff_id: int, *, late_reason: str = "") -> Lesson:
    """The provider checks its instructor in for a lesson, on the lesson's day, from the county's
    ``catalogue.check_in_open_minutes`` before the start; after ``catalogue.check_in_grace_minutes`` past the start
    the check-in is late: it needs a reason, which the school is told. Only a vetted instructor of that provider
    may teach the lesson."""
    actor.require("provider")
    lesson, entry = _lesson(session, lesson_id, lock=True)
    if entry.provider_id != actor.provider_id:
        raise NotFound("课次不存在。", code="lesson_not_found")
    if entry.status != EntryStatus.open or lesson.status == "cancelled":
        raise Conflict("该课次已取消。", code="lesson_cancelled")
    if lesson.status == "delivered":
        if lesson.staff_id == staff_id:
            return lesson
        raise Conflict("该课次已签到。", code="already_checked_in")
    if lesson.day != clock.today_local():
        raise Conflict(f"只能在上课当天（{lesson.day}）签到。", code="check_in_wrong_day")
    late = _check_in_window(ctx, session, entry.county_code, lesson, late_reason)
    if not is_vetted_staff(session, entry.provider_id, staff_id):
        raise ValidationFailed("签到教师须为本机构经审核（资格证书、无犯罪记录证明有效）的在职人员。",
                               code="instructor_not_vetted", field="staff_id")
    if not service_signed(session, entry):
        raise Conflict("学校与本机构本学期的服务协议尚未由双方全部签署，授课人员不能签到，课程不能开始。",
                       code="service_agreement_unsigned")
    lesson.status, lesson.staff_id, lesson.checked_in_at, lesson.checked_in_by = "delivered", staff_id, utcnow(), actor.user_id
    lesson.late_reason = late
    audit.record(session, actor, county_code=entry.county_code, action="lesson.check_in", entity_type="lesson",
                 entity_id=lesson.id, old={"status": "scheduled"},
                 new={"status": "delivered", "staff_id": staff_id, "substitute": staff_id != entry.instructor_id}
                 | ({"late": True} if late else {}), reason=late)
    if late:
        _tell_school_late(session, entry, lesson)
    session.commit()
    return lesson


def _check_in_window(ctx: Context, session: Session, county_code: str, lesson: Lesson, reason: str) -> str:
    """Refuses a check-in before the window opens; returns the late reason ("" when on time), required when late."""
    opens = int(policy.get(session, ctx.registry, county_code, "catalogue.check_in_open_minutes"))
    grace = int(policy.get(session, ctx.registry, county_code, "catalogue.check_in_grace_minutes"))
    now = clock.now().astimezone(SHANGHAI)
    minute = now.hour * 60 + now.minute
    if minute < lesson.start_min - opens:
        raise Conflict(f"签到时段为上课前{opens}分钟起（本课次{fmt_hhmm(max(lesson.start_min - opens, 0))}起），请到时再签到。",
                       code="check_in_too_early")
    if minute <= lesson.start_min + grace:
        return ""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(f"已超过上课开始后{grace}分钟，迟到签到须填写原因（学校会收到提示）。",
                               code="late_reason_required", field="late_reason")
    if len(reason) > 500:
        raise ValidationFailed("迟到原因最多500个字。", code="late_reason_too_long", field="late_reason")
    return reason


def _tell_school_late(session: Session, entry: Entry, lesson: Lesson) -> None:
    title = f"迟到签到：{lesson.day} {fmt_hhmm(lesson.start_min)} 的课次"
    notify_school_admins(session, entry.school_id, title, f"授课教师迟到签到，原因：{lesson.late_reason}",
                         f"/school/lessons/{lesson.id}")


@dataclass(frozen=True)
class Mark:
    student_id: int
    status: str
    reason: str = ""


def mark(session: Session, actor: Actor, lesson_id: int, marks: list[Mark]) -> list[Attendance]:
    """The school records attendance for a lesson (repeatable: a later mark replaces an earlier one)."""
    lesson, entry = _lesson(session, lesson_id, lock=True)
    students.school_of(session, actor, entry.school_id)
    if lesson.day > clock.today_local():
        raise Conflict("课次尚未开始，不能记录考勤。", code="lesson_in_future")
    if lesson.status == "cancelled":
        raise Conflict("该课次已取消。", code="lesson_cancelled")
    enrolled = set(session.scalars(select(Enrolment.student_id).where(
        Enrolment.entry_id == entry.id, Enrolment.status == EnrolmentStatus.enrolled)))
    existing = {a.student_id: a for a in session.scalars(select(Attendance).where(Attendance.lesson_id == lesson.id))}
    out, changes = [], {}
    if len({m.student_id for m in marks}) != len(marks):
        raise ValidationFailed("同一学生在一次考勤中只能出现一次。", code="attendance_duplicate", field="marks")
    for i, m in enumerate(marks):
        if m.status not in ATTENDANCE_LABELS:
            raise ValidationFailed("考勤状态须为 present、absent 或 leave。", code="attendance_status_invalid",
                                   field=f"marks[{i}].status")
        if m.student_id not in enrolled:
            raise ValidationFailed("该学生未选此课。", code="student_not_enrolled", field=f"marks[{i}].student_id")
        if m.status == "leave" and not m.reason.strip():
            raise ValidationFailed("请假须填写原因。", code="leave_reason_required", field=f"marks[{i}].reason")
        row = existing.get(m.student_id)
        if row is None:
            row = Attendance(lesson_id=lesson.id, student_id=m.student_id, status=m.status, reason=m.reason.strip(),
                             marked_by=actor.user_id, marked_at=utcnow())
            session.add(row)
        elif (row.status, row.reason) != (m.status, m.reason.strip()):
            changes[m.student_id] = row.status
            row.status, row.reason, row.marked_by, row.marked_at = m.status, m.reason.strip(), actor.user_id, utcnow()
            row.parent_status, row.parent_note, row.parent_at = None, "", None  # the parent confirms the new mark
        out.append(row)
    audit.record(session, actor, county_code=entry.county_code, action="attendance.mark", entity_type="lesson",
                 entity_id=lesson.id, old={"changed": changes} if changes else None,
                 new={str(m.student_id): m.status for m in marks})
    session.commit()
    return out


def respond(session: Session, actor: Actor, lesson_id: int, student_id: int, *, confirm: bool, note: str = "") -> Attendance:
    """A parent confirms or disputes their child's attendance record; a dispute tells the school."""
    students.child_of(session, actor, student_id)
    lesson, entry = _lesson(session, lesson_id)
    row = session.scalars(select(Attendance).where(Attendance.lesson_id == lesson.id, Attendance.student_id == student_id)
                          .with_for_update()).first()
    if row is None:
        raise NotFound("该课次还没有考勤记录。", code="attendance_not_found")
    if not confirm and not note.strip():
        raise ValidationFailed("提出异议请说明情况。", code="note_required", field="note")
    row.parent_status, row.parent_note, row.parent_at = ("confirmed" if confirm else "disputed"), note.strip()[:500], utcnow()
    if not confirm:
        notify_school_admins(session, entry.school_id, "家长对考勤有异议",
                             f"{lesson.day} 的课次考勤被家长提出异议：{row.parent_note}", f"/school/lessons/{lesson.id}")
    audit.record(session, actor, county_code=entry.county_code, action="attendance.confirm" if confirm else "attendance.dispute",
                 entity_type="attendance", entity_id=row.id, reason=row.parent_note,
                 new={"student_id": student_id, "status": row.status, "parent_status": row.parent_status})
    session.commit()
    return row


def for_entry(session: Session, entry_id: int) -> list[Lesson]:
    return list(session.scalars(select(Lesson).where(Lesson.entry_id == entry_id).order_by(Lesson.day, Lesson.start_min)))


def cancel_future(session: Session, entry_id: int, from_day: dt.date) -> int:
    n = 0
    for lesson in session.scalars(select(Lesson).where(Lesson.entry_id == entry_id, Lesson.day >= from_day,
                                                       Lesson.status == "scheduled")):
        lesson.status = "cancelled"
        n += 1
    return n

