"""No-show release (未到课释放名额), a county setting off by default: a child enrolled in a course who is marked
absent without leave (``absent``, not ``leave``, and not disputed by the family) ``catalogue.no_show_absences``
times within the first ``catalogue.no_show_weeks`` weeks of the course (from its first lesson, or from joining
it later) gets a case: the family is warned and has
``catalogue.no_show_answer_days`` days to explain. An explanation goes to the school, which keeps the seat or
releases it; no answer by the deadline releases the seat. Released means quit: the seat goes to the waitlist
and billing settles the course under the county's quit rules. A warning once given runs its course even if
the county turns the setting off meanwhile. Every step is audited (``no_show.*``) and told to the family."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.notifications.services import notify_school_admins
from kehou.platform.policy import services as policy
from kehou.platform.students import services as students
from kehou.platform.students.models import Student
from kehou.plugins.course_catalogue import enrolment as enrolments
from kehou.plugins.course_catalogue.access import PLUGIN
from kehou.plugins.course_catalogue.models import (
    NO_SHOW_STATUS_LABELS,
    Attendance,
    Enrolment,
    EnrolmentStatus,
    Entry,
    Lesson,
    Menu,
    MenuStatus,
    NoShowCase,
    Offering,
)
from kehou.timeutil import as_utc, clock, fmt_local, local, utcnow

log = logging.getLogger(__name__)
OPEN = ("warned", "explained")
SYSTEM = Actor.system("no-show")
TEXT = {
    "warn_title": "未到课提醒",
    "warn_body": "{name}在「{title}」开课后已有{n}次无故缺勤（{days}）。请在{deadline}前说明情况；逾期未说明的，"
                 "名额将释放给候补学生，费用按本区县退课规则结算。",
    "released_title": "名额已释放", "released_body": "{name}在「{title}」的名额已释放：{why}。费用按退课规则结算。",
    "kept_title": "名额保留", "kept_body": "学校已保留{name}在「{title}」的名额：{why}。",
    "answered_title": "家长已说明未到课情况", "answered_body": "{name}（{title}）：{answer}",
    "late": "逾期未说明", "ended_reason": "未到课释放名额：{why}",
}


def settings_of(settings: Mapping[str, Any]) -> tuple[int, int, int] | None:
    """(absences, weeks, days to answer) when the county releases seats of children who do not come."""
    if not settings.get("catalogue.no_show_release") or PLUGIN not in (settings.get("plugins.enabled") or []):
        return None
    return (int(settings["catalogue.no_show_absences"]), int(settings["catalogue.no_show_weeks"]),
            int(settings["catalogue.no_show_answer_days"]))


def _counted(session: Session, county_code: str, weeks: int) -> dict[int, tuple[Any, list[tuple[int, dt.date]]]]:
    """Each enrolled child's unexplained absences within the first ``weeks`` weeks of the course (from its first
    lesson, or from the day the child joined it), by enrolment, less the lessons an earlier case counted."""
    today = clock.today_local()
    rows = session.execute(
        select(Enrolment.id, Enrolment.student_id, Enrolment.entry_id, Enrolment.enrolled_at, Entry.school_id, Offering.title,
               Lesson.id.label("lesson_id"), Lesson.day)
        .join(Entry, Entry.id == Enrolment.entry_id).join(Menu, Menu.id == Entry.menu_id)
        .join(Offering, Offering.id == Entry.offering_id)
        .join(Attendance, Attendance.student_id == Enrolment.student_id)
        .join(Lesson, (Lesson.id == Attendance.lesson_id) & (Lesson.entry_id == Entry.id))
        .where(Entry.county_code == county_code, Menu.status == MenuStatus.published, Menu.term_end >= today,
               Enrolment.status == EnrolmentStatus.enrolled, Attendance.status == "absent",
               or_(Attendance.parent_status.is_(None), Attendance.parent_status != "disputed"))
        .order_by(Enrolment.id, Lesson.day)).all()
    counted: dict[int, set[int]] = defaultdict(set)
    for enrolment_id, lesson_ids in session.execute(select(NoShowCase.enrolment_id, NoShowCase.lesson_ids).where(
            NoShowCase.enrolment_id.in_({r.id for r in rows} or {0}))):
        counted[enrolment_id] |= set(lesson_ids)
    first = dict(session.execute(select(Lesson.entry_id, func.min(Lesson.day)).where(
        Lesson.entry_id.in_({r.entry_id for r in rows} or {0})).group_by(Lesson.entry_id)).all())
    out: dict[int, tuple[Any, list[tuple[int, dt.date]]]] = {}
    for r in rows:  # the weeks run from the course's first lesson, or from joining it later
        start = max(first[r.entry_id], local(r.enrolled_at).date() if r.enrolled_at else first[r.entry_id])
        if r.day < start + dt.timedelta(weeks=weeks) and r.lesson_id not in counted[r.id]:
            out.setdefault(r.id, (r, []))[1].append((r.lesson_id, r.day))
    return out


def _tell_family(session: Session, student_id: int, title: str, body: str) -> None:
    enrolments.notify_guardians(session, student_id, title, body, "/parent/attendance#no-show")


def _tell_school(session: Session, school_id: int, title: str, body: str) -> None:
    notify_school_admins(session, school_id, title, body, "/school/no-show")


def warn_due(ctx: Context, session: Session) -> int:
    """Open a case (and warn the family) for every child who reached the county's count of absences."""
    today = clock.today_local()
    counties = session.scalars(select(Menu.county_code).where(Menu.status == MenuStatus.published, Menu.term_end >= today)
                               .distinct()).all()
    warned = 0
    for county in counties:
        rules = settings_of(policy.resolve_all(session, ctx.registry, county))
        if rules is None:
            continue
        most, weeks, days = rules
        open_ones = set(session.scalars(select(NoShowCase.enrolment_id).where(NoShowCase.county_code == county,
                                                                             NoShowCase.status.in_(OPEN))))
        for enrolment_id, (row, absences) in _counted(session, county, weeks).items():
            if len(absences) < most or enrolment_id in open_ones:
                continue
            now = utcnow()
            case = NoShowCase(county_code=county, school_id=row.school_id, enrolment_id=enrolment_id, entry_id=row.entry_id,
                              student_id=row.student_id, lesson_ids=[lesson for lesson, _ in absences], status="warned",
                              warned_at=now, deadline=now + dt.timedelta(days=days), answer="", close_reason="")
            session.add(case)
            session.flush()
            name = session.scalar(select(Student.name).where(Student.id == row.student_id))
            _tell_family(session, row.student_id, TEXT["warn_title"], TEXT["warn_body"].format(
                name=name, title=row.title, n=len(absences), days="、".join(f"{d:%m-%d}" for _, d in absences),
                deadline=fmt_local(case.deadline)))
            audit.record(session, SYSTEM, county_code=county, action="no_show.warn", entity_type="no_show_case",
                         entity_id=case.id, new={"enrolment_id": enrolment_id, "student_id": row.student_id,
                                                 "entry_id": row.entry_id, "absences": len(absences),
                                                 "deadline": case.deadline.isoformat()})
            warned += 1
    return warned


def _release(session: Session, actor: Actor, case: NoShowCase, why: str) -> bool:
    """End the enrolment as quit and free its seat; False when it had already ended (the case just closes)."""
    e = session.scalars(select(Enrolment).where(Enrolment.id == case.enrolment_id).with_for_update()).one()
    case.closed_at, case.closed_by, case.close_reason = utcnow(), actor.user_id, why
    if e.status != EnrolmentStatus.enrolled:
        case.status = "kept"
        case.close_reason = f"{why}（已退课，无须释放）"
        return False
    e.status, e.ended_at, e.ended_reason = EnrolmentStatus.quit, utcnow(), TEXT["ended_reason"].format(why=why)
    enrolments.release_seat(session, e.entry_id)
    enrolments.event(session, actor, e, "no_show_release", EnrolmentStatus.enrolled, why)
    case.status = "released"
    return True


def names_of(session: Session, case: NoShowCase) -> dict[str, str]:
    name = session.scalar(select(Student.name).where(Student.id == case.student_id))
    title = session.scalar(select(Offering.title).join(Entry, Entry.offering_id == Offering.id).where(Entry.id == case.entry_id))
    return {"name": name or "", "title": title or ""}


def release_due(session: Session) -> list[int]:
    """Release the seats of warned families who did not answer by the deadline; the entries freed."""
    freed = []
    for case in session.scalars(select(NoShowCase).where(NoShowCase.status == "warned", NoShowCase.deadline < utcnow())
                                .order_by(NoShowCase.id).with_for_update()):
        if _release(session, SYSTEM, case, TEXT["late"]):
            freed.append(case.entry_id)
            _tell_family(session, case.student_id, TEXT["released_title"],
                         TEXT["released_body"].format(**names_of(session, case), why=TEXT["late"]))
        audit.record(session, SYSTEM, county_code=case.county_code, action="no_show.release", entity_type="no_show_case",
                     entity_id=case.id, reason=TEXT["late"], old={"status": "warned"}, new={"status": case.status})
    return freed


def sweep(ctx: Context) -> dict[str, int]:
    """The job: release what is due, warn who is due, then give the freed seats to the waitlists."""
    with ctx.db.write_session() as s:
        freed = release_due(s)
        warned = warn_due(ctx, s)
        s.commit()
    promoted = 0
    for entry_id in sorted(set(freed)):
        try:
            promoted += enrolments.promote(ctx, entry_id)
        except Exception:  # released and saved; the periodic waitlist sweep gives the seat out later
            log.exception("promoting the waitlist of entry %s failed", entry_id)
    return {"warned": warned, "released": len(freed), "promoted": promoted}


def _case(session: Session, case_id: int) -> NoShowCase:
    case = session.scalars(select(NoShowCase).where(NoShowCase.id == case_id).with_for_update()).first()
    if case is None:
        raise NotFound("未到课记录不存在。", code="no_show_not_found")
    return case


def _text(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not 2 <= len(value) <= 500:
        raise ValidationFailed(f"请填写{label}（2至500字）。", code="reason_required", field=field)
    return value


def answer(session: Session, actor: Actor, case_id: int, text: str) -> NoShowCase:
    """The family explains before the deadline; the school then keeps or releases the seat."""
    actor.require("parent")
    case = _case(session, case_id)
    try:
        students.child_of(session, actor, case.student_id)
    except NotFound:
        raise NotFound("未到课记录不存在。", code="no_show_not_found") from None
    if case.status != "warned":
        raise Conflict("该提醒已说明或已处理。", code="no_show_answered")
    if utcnow() > as_utc(case.deadline):
        raise Conflict(f"说明期限已过（{fmt_local(case.deadline)}）。", code="no_show_deadline_passed")
    case.answer, case.answered_at, case.answered_by = _text(text, "answer", "未到课的原因"), utcnow(), actor.user_id
    case.status = "explained"
    _tell_school(session, case.school_id, TEXT["answered_title"],
                 TEXT["answered_body"].format(**names_of(session, case), answer=case.answer))
    audit.record(session, actor, county_code=case.county_code, action="no_show.answer", entity_type="no_show_case",
                 entity_id=case.id, reason=case.answer, old={"status": "warned"}, new={"status": "explained"})
    session.commit()
    return case


def decide(ctx: Context, session: Session, actor: Actor, case_id: int, *, keep: bool, reason: str) -> NoShowCase:
    """The school keeps the seat (an explanation accepted, a wrong mark) or releases it now."""
    actor.require("school_admin")
    case = _case(session, case_id)
    if actor.school_id != case.school_id:
        raise NotFound("未到课记录不存在。", code="no_show_not_found")
    if case.status not in OPEN:
        raise Conflict("该记录已处理。", code="no_show_closed")
    why, old = _text(reason, "reason", "处理理由"), case.status
    if keep:
        case.status, case.closed_at, case.closed_by, case.close_reason = "kept", utcnow(), actor.user_id, why
        freed = False
    else:
        freed = _release(session, actor, case, why)
    names = names_of(session, case)
    if keep:
        _tell_family(session, case.student_id, TEXT["kept_title"], TEXT["kept_body"].format(**names, why=why))
    elif freed:
        _tell_family(session, case.student_id, TEXT["released_title"], TEXT["released_body"].format(**names, why=why))
    audit.record(session, actor, county_code=case.county_code, action="no_show.keep" if keep else "no_show.release",
                 entity_type="no_show_case", entity_id=case.id, reason=why, old={"status": old}, new={"status": case.status})
    session.commit()
    if freed:
        try:
            enrolments.promote(ctx, case.entry_id)
        except Exception:
            log.exception("promoting the waitlist of entry %s failed", case.entry_id)
    return case


# --- reading ---------------------------------------------------------------------------------------------------


def _listing(session: Session, where: Any) -> list[dict[str, Any]]:
    rows = session.execute(select(NoShowCase, Student.name, Student.class_name, Offering.title)
                           .join(Student, Student.id == NoShowCase.student_id).join(Entry, Entry.id == NoShowCase.entry_id)
                           .join(Offering, Offering.id == Entry.offering_id).where(where)
                           .order_by(NoShowCase.status.in_(OPEN).desc(), NoShowCase.deadline, NoShowCase.id)).all()
    days = dict(session.execute(select(Lesson.id, Lesson.day).where(
        Lesson.id.in_({i for case, *_ in rows for i in case.lesson_ids} or {0}))).all())
    return [{"id": c.id, "status": c.status, "status_label": NO_SHOW_STATUS_LABELS[c.status], "open": c.status in OPEN,
             "student_id": c.student_id, "student": name, "class_name": class_name, "entry_id": c.entry_id, "title": title,
             "absences": [days[i].isoformat() for i in c.lesson_ids if i in days], "warned_at": fmt_local(c.warned_at),
             "deadline": fmt_local(c.deadline), "deadline_passed": utcnow() > as_utc(c.deadline), "answer": c.answer,
             "answered_at": fmt_local(c.answered_at), "close_reason": c.close_reason, "closed_at": fmt_local(c.closed_at)}
            for c, name, class_name, title in rows]


def for_school(session: Session, actor: Actor, school_id: int, status: str = "") -> list[dict[str, Any]]:
    students.school_of(session, actor, school_id)
    if status and status not in NO_SHOW_STATUS_LABELS:
        raise ValidationFailed("状态不正确。", code="status_invalid", field="status")
    where = NoShowCase.school_id == school_id
    return _listing(session, where & (NoShowCase.status == status) if status else where)


def for_family(session: Session, actor: Actor) -> list[dict[str, Any]]:
    kids = [k.id for k in students.children_of(session, actor)]
    return _listing(session, NoShowCase.student_id.in_(kids or [0]))
