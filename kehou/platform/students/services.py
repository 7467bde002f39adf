"""The school's roster: students, their guardians (parent users) and priority groups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.accounts.models import Role, User
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.counties.models import School
from kehou.platform.pii import sealed_for_audit
from kehou.platform.students.models import DEPARTURE_REASONS, GRADE_LABELS, Guardian, PriorityGroup, Student
from kehou.timeutil import clock, utcnow


@dataclass(frozen=True)
class StudentInput:
    student_no: str
    name: str
    grade: int
    class_name: str = ""
    priority_group: str | None = None


def school_of(session: Session, actor: Actor, school_id: int) -> School:
    """The school, if the actor is its administrator (or platform admin)."""
    school = session.get(School, school_id)
    if school is None:
        raise NotFound("学校不存在。", code="school_not_found")
    if actor.role == "platform_admin" or actor.role == "system":
        return school
    actor.require("school_admin")
    if actor.school_id != school_id:
        raise NotFound("学校不存在。", code="school_not_found")
    return school


def _check(data: StudentInput) -> None:
    if not data.student_no.strip() or len(data.student_no) > 40:
        raise ValidationFailed("学籍号不能为空，且不超过40个字符。", code="student_no_invalid", field="student_no")
    if not data.name.strip() or len(data.name) > 100:
        raise ValidationFailed("学生姓名不能为空，且不超过100个字符。", code="student_name_invalid", field="name")
    if data.grade not in GRADE_LABELS:
        raise ValidationFailed("年级须为1到9之间的整数。", code="grade_invalid", field="grade")
    if data.priority_group is not None and data.priority_group not in PriorityGroup.__members__:
        raise ValidationFailed("优先保障群体类型不正确。", code="priority_group_invalid", field="priority_group")


def add_student(session: Session, actor: Actor, school_id: int, data: StudentInput, *, commit: bool = True) -> Student:
    school = school_of(session, actor, school_id)
    _check(data)
    student = Student(school_id=school.id, county_code=school.county_code, student_no=data.student_no.strip(),
                      name=data.name.strip(), grade=data.grade, class_name=data.class_name.strip(),
                      priority_group=data.priority_group, created_at=utcnow())
    session.add(student)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("本校已有该学籍号的学生。", code="student_exists", field="student_no") from None
    audit.record(session, actor, county_code=school.county_code, action="student.add", entity_type="student",
                 entity_id=student.id, new={"school_id": school.id, "grade": data.grade,
                                                  "priority_group": sealed_for_audit(data.priority_group)})
    if commit:
        session.commit()
    return student


def set_priority(session: Session, actor: Actor, student_id: int, group: str | None, *, reason: str) -> Student:
    student = get_for_school(session, actor, student_id, lock=True)
    if group is not None and group not in PriorityGroup.__members__:
        raise ValidationFailed("优先保障群体类型不正确。", code="priority_group_invalid", field="priority_group")
    if not reason.strip():
        raise ValidationFailed("请填写认定依据。", code="reason_required", field="reason")
    old = student.priority_group
    student.priority_group = group
    audit.record(session, actor, county_code=student.county_code, action="student.priority", entity_type="student",
                 entity_id=student.id, reason=reason.strip(), old={"priority_group": sealed_for_audit(old)},
                 new={"priority_group": sealed_for_audit(group)})
    session.commit()
    return student


def get_for_school(session: Session, actor: Actor, student_id: int, *, lock: bool = False) -> Student:
    stmt = select(Student).where(Student.id == student_id)
    student = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if student is None:
        raise NotFound("学生不存在。", code="student_not_found")
    school_of(session, actor, student.school_id)
    return student


def mark_left(session: Session, actor: Actor, school_id: int, student_ids: list[int], *, left_on: dt.date, reason: str) -> int:
    """Record that children left the school (graduated, transferred…): retention of their data counts from then."""
    school = school_of(session, actor, school_id)
    if reason not in DEPARTURE_REASONS:
        raise ValidationFailed("离校原因须为 graduated、transferred 或 other。", code="departure_reason_invalid", field="reason")
    if left_on > clock.today_local():
        raise ValidationFailed("离校日期不能晚于今天。", code="left_on_future", field="left_on")
    ids = sorted(set(student_ids))
    if not ids or len(ids) > 5000:
        raise ValidationFailed("请选择1至5000名学生。", code="students_required", field="student_ids")
    kids = list(session.scalars(select(Student).where(Student.id.in_(ids), Student.school_id == school.id).with_for_update()))
    if len(kids) != len(ids):
        raise NotFound("有学生不属于本校。", code="student_not_found", field="student_ids")
    for kid in kids:
        old = {"left_on": kid.left_on.isoformat() if kid.left_on else None, "left_reason": kid.left_reason}
        kid.left_on, kid.left_reason = left_on, reason
        audit.record(session, actor, county_code=school.county_code, action="student.left", entity_type="student",
                     entity_id=kid.id, reason=DEPARTURE_REASONS[reason], old=old,
                     new={"left_on": left_on.isoformat(), "left_reason": reason})
    session.commit()
    return len(kids)


def list_for_school(session: Session, actor: Actor, school_id: int) -> list[Student]:
    school_of(session, actor, school_id)
    return list(session.scalars(select(Student).where(Student.school_id == school_id)
                                .order_by(Student.grade, Student.student_no)))


def link_guardian(session: Session, actor: Actor, student_id: int, username: str, relation: str = "") -> Guardian:
    student = get_for_school(session, actor, student_id)
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or user.role != Role.parent or user.county_code not in (None, student.county_code):
        raise NotFound("本区县没有该家长账号。", code="parent_not_found", field="username")
    guardian, _ = link(session, actor, student, user, relation)
    session.commit()
    return guardian


def link(session: Session, actor: Actor, student: Student, user: User, relation: str) -> tuple[Guardian, bool]:
    """Link a parent account to a student (the caller checked both); a new relation replaces the old one.
    (link, changed); audited when it changed; the caller commits."""
    relation = relation.strip()[:20]
    existing = session.scalars(select(Guardian).where(Guardian.student_id == student.id, Guardian.user_id == user.id)).first()
    if existing is not None:
        if not relation or relation == existing.relation:
            return existing, False
        old, existing.relation = existing.relation, relation
        audit.record(session, actor, county_code=student.county_code, action="guardian.link", entity_type="student",
                     entity_id=student.id, old={"user_id": user.id, "relation": old},
                     new={"user_id": user.id, "relation": relation})
        return existing, True
    new = Guardian(student_id=student.id, user_id=user.id, relation=relation, created_at=utcnow())
    session.add(new)
    session.flush()
    audit.record(session, actor, county_code=student.county_code, action="guardian.link", entity_type="student",
                 entity_id=student.id, new={"user_id": user.id, "relation": new.relation})
    return new, True


def children_of(session: Session, actor: Actor) -> list[Student]:
    actor.require("parent")
    return list(session.scalars(select(Student).join(Guardian, Guardian.student_id == Student.id)
                                .where(Guardian.user_id == actor.user_id).order_by(Student.id)))


def child_of(session: Session, actor: Actor, student_id: int, *, lock: bool = False) -> Student:
    """The student, if the actor is one of their guardians; locked FOR UPDATE when asked."""
    actor.require("parent")
    stmt = (select(Student).join(Guardian, Guardian.student_id == Student.id)
            .where(Student.id == student_id, Guardian.user_id == actor.user_id))
    student = session.scalars(stmt.with_for_update(of=Student) if lock else stmt).first()
    if student is None:
        raise NotFound("学生不存在。", code="student_not_found")
    return student


def guardian_user_ids(session: Session, student_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for sid, uid in session.execute(select(Guardian.student_id, Guardian.user_id).where(Guardian.student_id.in_(student_ids))):
        out.setdefault(sid, []).append(uid)
    return out
