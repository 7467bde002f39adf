"""The catalogue's agreements, made through the core agreements service.

* Service agreement (服务协议), school – provider, one per school, provider and term: made when the
  menu is published (and made again when the provider's courses on it change, which voids earlier
  signatures). Until both have signed, the provider's instructors cannot check in: the course
  cannot start.
* Tripartite agreement (三方协议), school – parent – provider, one per enrolment: made when a parent
  or the school asks for it; it fixes the course's price and the refund rules in force (with the
  date of their version) that the parent accepts by signing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import NotFound
from kehou.platform.actor import Actor
from kehou.platform.agreements import services as agreements
from kehou.platform.agreements.models import Agreement
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.platform.policy import services as policy
from kehou.platform.policy.models import SettingValue
from kehou.platform.providers.models import Provider, Staff
from kehou.platform.students import services as students
from kehou.platform.students.models import Student
from kehou.plugins.course_catalogue.access import admitted
from kehou.plugins.course_catalogue.models import Enrolment, Entry, EntryStatus, Menu, Offering, Slot
from kehou.plugins.course_catalogue.timewindow import WEEKDAYS, fmt_hhmm
from kehou.timeutil import clock

REFUND_KEY = "billing.refund_rules"


def service_subject(school_id: int, provider_id: int, term_name: str) -> str:
    return f"service:{school_id}:{provider_id}:{term_name}"


def tripartite_subject(enrolment_id: int) -> str:
    return f"tripartite:{enrolment_id}"


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}元"


def _refund_rule(ctx: Context, session: Session, county: str) -> str:
    """The county's refund rules in force today, with the date of their version."""
    if REFUND_KEY not in ctx.registry.specs or "billing_cap" not in (policy.get(session, ctx.registry, county,
                                                                                 "plugins.enabled") or []):
        return "按学校公布的课后服务收费及退费办法执行。"
    rules = policy.get(session, ctx.registry, county, REFUND_KEY)
    since = session.scalars(select(SettingValue.effective_from).where(
        SettingValue.key == REFUND_KEY, SettingValue.scope.in_(policy.scopes_for(county)),
        SettingValue.effective_from <= clock.today_local()).order_by(SettingValue.effective_from.desc())).first()
    from kehou.plugins.billing_cap.refund_rules import sentence  # only when the county enabled billing_cap

    out = [sentence(rule) for rule in rules]
    version = f"（本区县退费规则，{since}起执行版本）" if since else "（本区县退费规则，默认版本）"
    return "；".join(out) + "。" + version if out else "不设退费。" + version


def _courses(session: Session, entries: list[Entry]) -> dict[str, str]:
    courses, schedule, fees, materials = [], [], [], []
    for e in entries:
        offering = session.get(Offering, e.offering_id)
        staff = session.get(Staff, e.instructor_id)
        title = offering.title if offering else f"课程{e.id}"
        courses.append(f"{title}（{offering.category if offering else ''}，授课人员：{staff.name if staff else ''}）")
        slots = session.scalars(select(Slot).where(Slot.entry_id == e.id, Slot.active.is_(True)).order_by(Slot.weekday))
        times = "、".join(f"{WEEKDAYS[s.weekday]}{fmt_hhmm(s.start_min)}-{fmt_hhmm(s.end_min)}" for s in slots)
        schedule.append(f"{title}：{times}，地点{e.venue}")
        fees.append(f"{title}每生每学期{_yuan(e.fee_fen)}")
        materials.append(f"{title}{_yuan(e.materials_fee_fen)}" if e.materials_fee_fen else f"{title}无材料费")
    return {"course": "；".join(courses), "schedule": "；".join(schedule), "fee": "；".join(fees) + "（不含材料费）",
            "materials": "；".join(materials)}


def ensure_service(ctx: Context, session: Session, actor: Actor, menu: Menu, provider_id: int) -> Agreement | None:
    """The service agreement of the school and the provider for the menu's term (not committed);
    None when the provider has no open course on the menu."""
    entries = list(session.scalars(select(Entry).where(Entry.menu_id == menu.id, Entry.provider_id == provider_id,
                                                       Entry.status == EntryStatus.open).order_by(Entry.id)))
    if not entries:
        return None
    school, provider = session.get(School, menu.school_id), session.get(Provider, provider_id)
    assert school is not None and provider is not None
    values = _courses(session, entries) | {"refund_rule": _refund_rule(ctx, session, menu.county_code)}
    return agreements.ensure(
        ctx, session, actor, kind="service", county_code=menu.county_code,
        subject=service_subject(school.id, provider_id, menu.term_name), term_name=menu.term_name, values=values,
        parties=[agreements.Party("school", str(school.id), school.name),
                 agreements.Party("provider", str(provider.id), provider.name)])


def ensure_services(ctx: Context, session: Session, actor: Actor, menu: Menu) -> list[Agreement]:
    providers = sorted(set(session.scalars(select(Entry.provider_id).where(Entry.menu_id == menu.id,
                                                                           Entry.status == EntryStatus.open))))
    return [a for a in (ensure_service(ctx, session, actor, menu, p) for p in providers) if a is not None]


def service_signed(session: Session, entry: Entry) -> bool:
    menu = session.get(Menu, entry.menu_id)
    assert menu is not None
    return agreements.fully_signed(session, service_subject(entry.school_id, entry.provider_id, menu.term_name))


def ensure_tripartite(ctx: Context, session: Session, actor: Actor, enrolment_id: int) -> Agreement:
    """The tripartite agreement of an enrolment, for one of the child's guardians or the school (commits)."""
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFound("选课记录不存在。", code="enrolment_not_found")
    entry = session.get(Entry, enrolment.entry_id)
    assert entry is not None
    if actor.role == "parent":
        students.child_of(session, actor, enrolment.student_id)
    else:
        students.school_of(session, actor, entry.school_id)
    menu, school = session.get(Menu, entry.menu_id), session.get(School, entry.school_id)
    student, provider = session.get(Student, enrolment.student_id), session.get(Provider, entry.provider_id)
    assert menu is not None and school is not None and student is not None and provider is not None
    values = _courses(session, [entry]) | {"refund_rule": _refund_rule(ctx, session, entry.county_code),
                                           "parent_name": f"{student.name}的监护人"}
    row = agreements.ensure(
        ctx, session, actor, kind="tripartite", county_code=entry.county_code, subject=tripartite_subject(enrolment.id),
        term_name=menu.term_name, values=values,
        parties=[agreements.Party("school", str(school.id), school.name),
                 agreements.Party("parent", str(student.id), f"{student.name}的监护人"),
                 agreements.Party("provider", str(provider.id), provider.name)])
    session.commit()
    return row


def status_of(session: Session, enrolment_ids: list[int]) -> dict[int, str]:
    """For each enrolment: "signed", "draft" (made, not fully signed) or "none" (not made yet)."""
    subjects = {tripartite_subject(i): i for i in enrolment_ids}
    out = dict.fromkeys(enrolment_ids, "none")
    for subject, status in session.execute(select(Agreement.subject, Agreement.status).where(
            Agreement.subject.in_(list(subjects)))):
        out[subjects[subject]] = str(status)
    return out


def for_child(session: Session, student_id: int) -> list[dict[str, object]]:
    """The child's enrolled courses with the state of their tripartite agreements."""
    rows = session.execute(select(Enrolment.id, Entry.id, Offering.title).join(Entry, Entry.id == Enrolment.entry_id)
                           .join(Offering, Offering.id == Entry.offering_id)
                           .where(Enrolment.student_id == student_id, Enrolment.status == "enrolled",
                                  Entry.status == EntryStatus.open, admitted(Entry.provider_id, Entry.county_code))
                           .order_by(Enrolment.id)).all()
    states = status_of(session, [r[0] for r in rows])
    return [{"enrolment_id": eid, "entry_id": entry_id, "title": title, "agreement": states[eid]}
            for eid, entry_id, title in rows]


def enrolment_of(session: Session, student_id: int, entry_id: int) -> int:
    eid = session.scalar(select(Enrolment.id).where(Enrolment.student_id == student_id, Enrolment.entry_id == entry_id,
                                                    Enrolment.status == "enrolled"))
    if eid is None:
        raise NotFound("孩子未选上这门课程。", code="enrolment_not_found", field="entry_id")
    return int(eid)
