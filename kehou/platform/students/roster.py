"""The roster at a school's scale: the list (search, grade and class), the all-or-nothing import from a file,
the guardians' accounts it creates, and the activation slips that hand those accounts to parents.

Only the school's own administrator acts here (and the system, for demo data): an import creates parent
accounts and a slip prints the code that opens one, which the platform administrator has no business doing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, ValidationFailed
from kehou.platform.accounts import activation
from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import Role, User
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.counties.models import SCHOOL_KIND_LABELS, School
from kehou.platform.pii import sealed_for_audit
from kehou.platform.students import importer
from kehou.platform.students.importer import ParsedRoster, RosterRow
from kehou.platform.students.models import GRADE_LABELS, KIND_GRADES, Guardian, GuardianContact, Student
from kehou.platform.students.services import StudentInput, add_student, link, school_of
from kehou.timeutil import utcnow

CHUNK = 500  # ids or numbers per IN (...) list


def own_school(session: Session, actor: Actor, school_id: int) -> School:
    """The school, if the actor is its administrator (the system too); anyone else is refused."""
    actor.require("school_admin", "system")
    return school_of(session, actor, school_id)


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


# --- the list ----------------------------------------------------------------------------------------


def roster_stmt(school_id: int, *, like: str = "", grade: int | None = None, class_name: str = "") -> Select[Any]:
    """The school's students by grade, class and number; ``like`` (escaped, see kehou.web.listing) searches the
    name and the student number."""
    stmt = select(Student).where(Student.school_id == school_id)
    if like:
        stmt = stmt.where(Student.name.ilike(like, escape="\\") | Student.student_no.ilike(like, escape="\\"))
    if grade is not None:
        stmt = stmt.where(Student.grade == grade)
    if class_name:
        stmt = stmt.where(Student.class_name == class_name)
    return stmt.order_by(Student.grade, Student.class_name, Student.student_no)


def classes(session: Session, school_id: int) -> list[tuple[int, str]]:
    """(grade, class) of the school's students, in order."""
    rows = session.execute(select(Student.grade, Student.class_name).where(Student.school_id == school_id)
                           .distinct().order_by(Student.grade, Student.class_name))
    return [(g, c) for g, c in rows if c]


@dataclass(frozen=True)
class GuardianView:
    user_id: int
    username: str
    display_name: str
    relation: str
    state: activation.State
    phone_last4: str = ""

    @property
    def label(self) -> str:
        return f"{self.display_name}（{self.relation}）" if self.relation else self.display_name


def guardians_of(session: Session, student_ids: list[int]) -> dict[int, list[GuardianView]]:
    """Each student's guardians, with the account's activation state and the last four digits of the number."""
    rows: list[Any] = []
    for ids in _chunks(student_ids):
        rows += session.execute(select(Guardian.student_id, User.id, User.username, User.display_name, Guardian.relation)
                                .join(User, User.id == Guardian.user_id).where(Guardian.student_id.in_(ids))
                                .order_by(Guardian.id)).all()
    user_ids = sorted({r[1] for r in rows})
    states, last4 = activation.states(session, user_ids), dict[int, str]()
    for ids in _chunks(user_ids):
        last4 |= dict(session.execute(select(GuardianContact.user_id, GuardianContact.phone_last4)
                                      .where(GuardianContact.user_id.in_(ids))).all())
    out: dict[int, list[GuardianView]] = {}
    for sid, uid, username, name, relation in rows:
        out.setdefault(sid, []).append(GuardianView(uid, username, name, relation, states[uid], last4.get(uid, "")))
    return out


def phones(ctx: Any, session: Session, actor: Actor, school: School, user_ids: list[int]) -> dict[int, str]:
    """The guardians' full mobile numbers, for the school's own administrator only (the Excel export)."""
    if actor.role != "school_admin" or actor.school_id != school.id:
        return {}
    return opened_phones(ctx, session, school.id, user_ids)


def opened_phones(ctx: Any, session: Session, school_id: int, user_ids: list[int]) -> dict[int, str]:
    """The guardians' numbers the school holds, opened: the caller has decided who may see them (the school's
    administrator above; a provider's class roster where the county allows it)."""
    out = {}
    for ids in _chunks(user_ids):
        for uid, sealed in session.execute(select(GuardianContact.user_id, GuardianContact.phone_enc).where(
                GuardianContact.school_id == school_id, GuardianContact.user_id.in_(ids))):
            out[uid] = ctx.vault.open(sealed)
    return out


# --- the import ----------------------------------------------------------------------------------------


class RosterRejected(ValidationFailed):
    """The file has problems: nothing was saved; ``report`` lists every one (line, column, problem)."""

    code = "roster_invalid"

    def __init__(self, report: ParsedRoster) -> None:
        n = len(report.errors) + report.more_errors
        super().__init__(f"名册中有{n}处问题，没有导入任何数据。请按问题清单逐行修改后重新导入整个文件。", field="file",
                         extra={"errors": [e.as_dict() for e in report.errors], "more_errors": report.more_errors})
        self.report = report


@dataclass
class ImportResult:
    filename: str
    lines: int = 0
    students_created: int = 0
    students_updated: int = 0
    students_unchanged: int = 0
    guardians_created: int = 0
    links_created: int = 0
    created_usernames: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"lines": self.lines, "students_created": self.students_created, "students_updated": self.students_updated,
                "students_unchanged": self.students_unchanged, "guardians_created": self.guardians_created,
                "links_created": self.links_created}


def check(session: Session, school: School, filename: str, data: bytes) -> ParsedRoster:
    """The file read and checked against the school (its grades): every problem, nothing saved."""
    parsed = importer.parse(filename, data)
    grades = KIND_GRADES.get(school.kind, range(1, 10))
    for row in parsed.rows:
        if row.grade not in grades:
            parsed.add(row.line, "grade", f"{school.name}是{SCHOOL_KIND_LABELS.get(school.kind, '学校')}，"
                                          f"没有{GRADE_LABELS[row.grade]}（可填{GRADE_LABELS[grades[0]]}至{GRADE_LABELS[grades[-1]]}）")
    parsed.errors.sort(key=lambda e: e.line)
    return parsed


def import_roster(ctx: Any, session: Session, actor: Actor, school_id: int, *, filename: str, data: bytes) -> ImportResult:
    """All or nothing: with any problem in the file :class:`RosterRejected` (or a ValidationFailed for the file as a
    whole) and nothing saved; otherwise students created or updated by 学号, one parent account per mobile number
    at the school (made without a password, to be activated with a slip's code) and linked. Audited per object
    and once for the import. Students missing from the file are left as they are."""
    school = own_school(session, actor, school_id)
    parsed = check(session, school, filename, data)
    if not parsed.ok:
        raise RosterRejected(parsed)
    result = ImportResult(filename=filename[-100:], lines=parsed.lines)
    try:
        students = _save_students(session, actor, school, parsed, result)
        users = _guardian_accounts(ctx, session, actor, school, parsed.rows, result)
        for row in parsed.rows:
            if row.phone:
                _, changed = link(session, actor, students[row.student_no], users[row.phone], row.relation)
                result.links_created += changed
        audit.record(session, actor, county_code=school.county_code, action="roster.import", entity_type="school",
                     entity_id=school.id, new={"file": result.filename, **result.counts()})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def _save_students(session: Session, actor: Actor, school: School, parsed: ParsedRoster,
                   result: ImportResult) -> dict[str, Student]:
    first: dict[str, RosterRow] = {}
    for row in parsed.rows:
        first.setdefault(row.student_no, row)
    found: dict[str, Student] = {}
    for nos in _chunks(list(first)):
        found |= {s.student_no: s for s in session.scalars(select(Student).where(Student.school_id == school.id,
                                                                                 Student.student_no.in_(nos)))}
    out = {}
    for no, row in first.items():
        student = found.get(no)
        if student is None:
            out[no] = add_student(session, actor, school.id, StudentInput(no, row.name, row.grade, row.class_name,
                                                                          row.priority_group), commit=False)
            result.students_created += 1
            continue
        old = {k: getattr(student, k) for k in ("name", "grade", "class_name") if getattr(student, k) != getattr(row, k)}
        for key in old:
            setattr(student, key, getattr(row, key))
        if old:
            audit.record(session, actor, county_code=school.county_code, action="student.update", entity_type="student",
                         entity_id=student.id, old=old, new={k: getattr(student, k) for k in old},
                         reason=f"名册导入：{result.filename}")
        if row.priority_group is not None and row.priority_group != student.priority_group:
            audit.record(session, actor, county_code=school.county_code, action="student.priority", entity_type="student",
                         entity_id=student.id, reason=f"名册导入：{result.filename}",
                         old={"priority_group": sealed_for_audit(student.priority_group)},
                         new={"priority_group": sealed_for_audit(row.priority_group)})
            student.priority_group = row.priority_group
            old["priority_group"] = True
        result.students_updated += bool(old)
        result.students_unchanged += not old
        out[no] = student
    session.flush()
    return out


def _usernames(session: Session, school_id: int) -> Iterable[str]:
    """Usernames for the school's new parent accounts: jz<school>-0001, jz<school>-0002, … (short, typed on a phone)."""
    prefix = f"jz{school_id}-"
    taken = set(session.scalars(select(User.username).where(User.username.like(prefix + "%"))))
    n = 0
    while True:
        n += 1
        name = f"{prefix}{n:04d}"
        if name not in taken:
            yield name


def _guardian_accounts(ctx: Any, session: Session, actor: Actor, school: School, rows: list[RosterRow],
                       result: ImportResult) -> dict[str, User]:
    """phone -> the school's parent account for it, made (without a password) for a number it has not seen."""
    names: dict[str, str] = {}
    for row in rows:
        if row.phone:
            names.setdefault(row.phone, row.guardian_name)
    hashes = {phone: ctx.vault.keyed_hash(phone) for phone in names}
    known: dict[str, int] = {}
    for chunk in _chunks(list(hashes.values())):
        known |= dict(session.execute(select(GuardianContact.phone_hash, GuardianContact.user_id).where(
            GuardianContact.school_id == school.id, GuardianContact.phone_hash.in_(chunk))).all())
    out: dict[str, User] = {}
    usernames = iter(_usernames(session, school.id))
    for phone, name in names.items():
        uid = known.get(hashes[phone])
        user = session.get(User, uid) if uid is not None else None
        if user is None:
            user = accounts.create_user(session, actor, username=next(usernames), display_name=name, password=None,
                                        role=Role.parent, county_code=school.county_code, school_id=school.id, commit=False)
            sealed = ctx.vault.seal(phone)
            session.add(GuardianContact(school_id=school.id, user_id=user.id, phone_enc=sealed.ciphertext,
                                        phone_hash=sealed.keyed_hash, phone_last4=sealed.last4, created_at=utcnow()))
            result.guardians_created += 1
            result.created_usernames.append(user.username)
        out[phone] = user
    session.flush()
    return out


# --- activation slips -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlipGuardian:
    user: User
    children: list[tuple[str, str]]  # (name, class) of the guardian's children at the school
    relation: str
    state: activation.State
    phone_last4: str


def slip_guardians(session: Session, actor: Actor, school_id: int, class_name: str) -> list[SlipGuardian]:
    """The guardians of a class's students, each once, with all their children at the school, in the order of the
    roster (the teacher hands the slips out down the class list)."""
    school = own_school(session, actor, school_id)
    in_class = select(Guardian.user_id).join(Student, Student.id == Guardian.student_id).where(
        Student.school_id == school.id, Student.class_name == class_name)
    return _slip_guardians(session, school, in_class)


def _slip_guardians(session: Session, school: School, user_ids: Any) -> list[SlipGuardian]:
    rows = session.execute(select(User, Student.name, Student.class_name, Guardian.relation)
                           .join(Guardian, Guardian.user_id == User.id).join(Student, Student.id == Guardian.student_id)
                           .where(Student.school_id == school.id, User.id.in_(user_ids), User.role == Role.parent)
                           .order_by(Student.grade, Student.class_name, Student.student_no, User.id)).all()
    children: dict[int, list[tuple[str, str]]] = {}
    relations: dict[int, str] = {}
    users: dict[int, User] = {}
    for user, name, class_name, relation in rows:
        users[user.id] = user
        children.setdefault(user.id, []).append((name, class_name))
        relations.setdefault(user.id, relation)
    states = activation.states(session, list(users))
    last4 = dict(session.execute(select(GuardianContact.user_id, GuardianContact.phone_last4)
                                 .where(GuardianContact.user_id.in_(list(users)))).all()) if users else {}
    return [SlipGuardian(u, children[uid], relations[uid], states[uid], last4.get(uid, "")) for uid, u in users.items()]


@dataclass(frozen=True)
class Slip:
    guardian: SlipGuardian
    code: str  # as printed (ABCD-EFGH)
    expires_at: Any


def issue_slips(ctx: Any, session: Session, actor: Actor, school_id: int, *, class_name: str = "",
                user_id: int | None = None, reissue: bool = False) -> list[Slip]:
    """Activation codes for a class's guardians whose accounts are not activated (by default only those with no
    valid code; ``reissue``: all of them, the earlier slips then void), or for one guardian (always anew).
    Audited per account and once for the print; commits. An empty list when nobody needs a slip."""
    school = own_school(session, actor, school_id)
    if user_id is not None:
        found = _slip_guardians(session, school, [user_id])
        if not found:
            raise NotFound("本校没有该家长账号。", code="guardian_not_found", field="user_id")
        chosen = [g for g in found if g.state.pending]
        if not chosen:
            raise ValidationFailed("该家长账号已激活，不需要激活单。", code="account_already_active", field="user_id")
    else:
        if not class_name.strip():
            raise ValidationFailed("请选择班级。", code="class_required", field="class")
        wanted = ("none", "expired", "issued") if reissue else ("none", "expired")
        chosen = [g for g in slip_guardians(session, actor, school.id, class_name.strip()) if g.state.status in wanted]
    if not chosen:
        return []
    issued = activation.issue(ctx, session, actor, [g.user for g in chosen], county_code=school.county_code,
                              note={"school_id": school.id, "class_name": class_name})
    audit.record(session, actor, county_code=school.county_code, action="activation.slips", entity_type="school",
                 entity_id=school.id,
                 new={"class_name": class_name, "count": len(issued), "reissue": reissue or user_id is not None})
    session.commit()
    return [Slip(g, activation.shown(i.code), i.expires_at) for g, i in zip(chosen, issued, strict=True)]
