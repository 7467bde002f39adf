"""Term bills: one collection per student per term, every course and its materials on separate
lines, the waiver applied; and waivers (减免) recorded by the school with their evidence."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.notifications.models import Notification
from kehou.platform.students import services as students
from kehou.platform.students.models import Student
from kehou.plugins.billing_cap import access, ledger
from kehou.plugins.billing_cap.facts import EntryFacts, billable
from kehou.plugins.billing_cap.ledger import Leg
from kehou.plugins.billing_cap.models import Bill, BillLine, Waiver
from kehou.plugins.billing_cap.policy import FeePolicy, collector_key, yuan
from kehou.plugins.billing_cap.rules import chargeable, family_share
from kehou.plugins.course_catalogue import public as catalogue
from kehou.timeutil import clock, utcnow

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class IssueResult:
    created: list[int]
    existing: list[int]


def new_reference() -> str:
    return "KH" + "".join(secrets.choice(ALPHABET) for _ in range(10))


def receivable(bill: Bill) -> str:
    return f"receivable:bill:{bill.id}"


def outstanding(session: Session, bill: Bill) -> int:
    return ledger.balance(session, bill.county_code, receivable(bill))


def term_menu(session: Session, school_id: int, term_name: str) -> catalogue.MenuRecord:
    menus = catalogue.menus(session, school_id=school_id, term_name=term_name)
    if not menus or menus[0].status != "published":
        raise NotFound("该学校在该学期没有已发布的课程超市。", code="menu_not_found", field="term_name")
    return menus[0]


def waiver_percent(session: Session, student_id: int, term_name: str) -> int:
    w = session.scalars(select(Waiver).where(Waiver.student_id == student_id, Waiver.term_name == term_name)).first()
    return w.percent if w else 0


def waiver_words(policy: FeePolicy, tier: str | None, percent: int, *, adjusted: bool = False) -> str:
    """A waiver line's text with its tier's name: 减免（建档立卡户）100%."""
    spec = policy.tier(tier) if tier else None
    name = f"（{spec.get('label') or tier}）" if spec else (f"（{tier}）" if tier else "")
    return f"减免{name}{'调整为 ' if adjusted else ' '}{percent}%"


def issue_for_school(ctx: Context, session: Session, actor: Actor, school_id: int, term_name: str) -> IssueResult:
    """Bill every student of the school with a seat this term who has no term bill yet. Safe to run
    twice and concurrently: the unique (student, term, kind, collector) keeps one bill each."""
    if actor.role != "system":
        access.school_for_staff(session, actor, school_id, county_may=False)
    menu = term_menu(session, school_id, term_name)
    policy = access.fee_policy(ctx, session, menu.county_code)
    per_student: dict[int, list[catalogue.EnrolmentRecord]] = defaultdict(list)
    for rec in billable(catalogue.enrolments(session, school_id=school_id, term_name=term_name)):
        if rec.status == "enrolled":
            per_student[rec.student_id].append(rec)
    facts = EntryFacts(session)
    created: list[int] = []
    existing: list[int] = []
    for student_id, recs in sorted(per_student.items()):
        bill = _issue_one(session, actor, policy, menu, student_id, recs, facts, kind="term")
        (created if bill is not None else existing).append(bill.id if bill else student_id)
    audit.record(session, actor, county_code=menu.county_code, action="billing.issue", entity_type="school_term",
                 entity_id=f"{school_id}:{term_name}", new={"created": len(created), "existing": len(existing)})
    _notify(session, created)
    session.commit()
    return IssueResult(created, existing)


def _issue_one(session: Session, actor: Actor, policy: FeePolicy, menu: catalogue.MenuRecord, student_id: int,
               recs: list[catalogue.EnrolmentRecord], facts: EntryFacts, *, kind: str) -> Bill | None:
    collector = collector_key(policy, menu.county_code, menu.school_id)
    # the student's row orders this against a waiver being recorded at the same moment (record_waiver)
    session.execute(select(Student.id).where(Student.id == student_id).with_for_update())
    waiver = session.scalars(select(Waiver).where(Waiver.student_id == student_id, Waiver.term_name == menu.term_name)).first()
    percent = waiver.percent if waiver else 0
    lines: list[BillLine] = []
    for rec in recs:
        lessons = facts.lessons(rec.entry_id)
        fee = chargeable(rec.fee_fen, lessons, facts.course(rec).joined) if lessons else rec.fee_fen
        lines.append(BillLine(kind="course", enrolment_id=rec.enrolment_id, entry_id=rec.entry_id,
                              provider_id=rec.provider_id, description=rec.title, amount_fen=fee))
        if policy.materials_via == "provider" and rec.materials_fee_fen:
            lines.append(BillLine(kind="materials", enrolment_id=rec.enrolment_id, entry_id=rec.entry_id,
                                  provider_id=rec.provider_id, description=f"{rec.title}（材料费）",
                                  amount_fen=rec.materials_fee_fen))
    waived = sum(family_share(line.amount_fen, percent)[1] for line in lines)
    if waived:
        lines.append(BillLine(kind="waiver", description=waiver_words(policy, waiver.tier if waiver else None, percent),
                              amount_fen=-waived))
    course_fen = sum(x.amount_fen for x in lines if x.kind == "course")
    materials_fen = sum(x.amount_fen for x in lines if x.kind == "materials")
    today = clock.today_local()
    bill = Bill(reference=new_reference(), county_code=menu.county_code, school_id=menu.school_id, student_id=student_id,
                term_name=menu.term_name, kind=kind, collector=collector, status="open", policy_on=today,
                policy=policy.as_json(), course_fen=course_fen, materials_fen=materials_fen, waiver_fen=waived,
                total_fen=course_fen + materials_fen - waived, paid_fen=0, due_on=today + dt.timedelta(days=policy.due_days),
                issued_at=utcnow(), issued_by=actor.user_id)
    try:
        with session.begin_nested():
            session.add(bill)
            session.flush()
    except IntegrityError:
        return None  # this student already has the bill (an earlier or concurrent run)
    for line in lines:
        line.bill_id = bill.id
    session.add_all(lines)
    _post_charge(session, bill, lines, percent, actor)
    return bill


def _post_charge(session: Session, bill: Bill, lines: list[BillLine], percent: int, actor: Actor) -> None:
    legs = [Leg(receivable(bill), sum(x.amount_fen for x in lines if x.kind != "waiver"))]
    for x in lines:
        if x.kind == "course":
            legs.append(Leg(f"deferred:{bill.collector}", -x.amount_fen, x.enrolment_id))
        elif x.kind == "materials":
            legs.append(Leg(f"payable:provider:{x.provider_id}", -x.amount_fen, x.enrolment_id))
    ledger.post(session, bill.county_code, kind="charge", key=f"charge:bill:{bill.id}", bill_id=bill.id,
                memo=f"{bill.term_name} 课后服务费", legs=legs, actor_id=actor.user_id)
    if bill.waiver_fen:
        ledger.post(session, bill.county_code, kind="waiver", key=f"waiver:bill:{bill.id}:0", bill_id=bill.id,
                    memo=next(x.description for x in lines if x.kind == "waiver"), actor_id=actor.user_id,
                    legs=[Leg(f"subsidy:{bill.collector}", bill.waiver_fen), Leg(receivable(bill), -bill.waiver_fen)])


def _notify(session: Session, bill_ids: list[int]) -> None:
    if not bill_ids:
        return
    bills = list(session.scalars(select(Bill).where(Bill.id.in_(bill_ids))))
    guardians = students.guardian_user_ids(session, [b.student_id for b in bills])
    now = utcnow()
    for b in bills:
        for uid in guardians.get(b.student_id, []):
            session.add(Notification(user_id=uid, title="课后服务账单", link=f"/parent/bills/{b.id}", created_at=now,
                                     body=f"{b.term_name}账单 {b.reference}：应缴 {yuan(b.total_fen)} 元，"
                                          f"请于 {b.due_on} 前缴费。"))


def bills_of_school(session: Session, actor: Actor, school_id: int, term_name: str | None) -> list[Bill]:
    access.school_for_staff(session, actor, school_id)
    stmt = select(Bill).where(Bill.school_id == school_id)
    if term_name:
        stmt = stmt.where(Bill.term_name == term_name)
    return list(session.scalars(stmt.order_by(Bill.id)))


def bills_of_child(session: Session, actor: Actor, student_id: int) -> list[Bill]:
    students.child_of(session, actor, student_id)
    return list(session.scalars(select(Bill).where(Bill.student_id == student_id).order_by(Bill.id)))


def bill_of_enrolment(session: Session, enrolment_id: int) -> Bill | None:
    """The bill that charged this enrolment's course, if any."""
    return session.scalars(select(Bill).join(BillLine, BillLine.bill_id == Bill.id)
                           .where(BillLine.enrolment_id == enrolment_id, BillLine.kind == "course")).first()


def lines_of(session: Session, bill: Bill) -> list[BillLine]:
    return list(session.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.id)))


# --- waivers ---------------------------------------------------------------------------------


def record_waiver(ctx: Context, session: Session, actor: Actor, school_id: int, *, student_id: int, term_name: str,
                  tier: str, evidence: str, reason: str) -> Waiver:
    """The school grants a waiver tier with the evidence the county requires. A bill already issued
    is reduced at once (a credit, never a second bill)."""
    school = access.school_for_staff(session, actor, school_id, county_may=False)
    policy = access.fee_policy(ctx, session, school.county_code)
    student = session.scalars(select(Student).where(Student.id == student_id).with_for_update()).first()
    if student is None or student.school_id != school_id:
        raise NotFound("学生不存在。", code="student_not_found", field="student_id")
    spec = policy.tier(tier)
    if spec is None:
        raise ValidationFailed(f"减免档次只能取：{'、'.join(str(t.get('label') or t['code']) for t in policy.waiver_tiers)}。",
                               code="waiver_tier_invalid", field="tier")
    if len(evidence.strip()) < 4:
        raise ValidationFailed(f"请登记减免依据（{spec['evidence']}）。", code="waiver_evidence_required", field="evidence")
    if not reason.strip():
        raise ValidationFailed("请填写减免理由。", code="reason_required", field="reason")
    if not term_name.strip():
        raise ValidationFailed("请填写学期。", code="term_required", field="term_name")
    row = session.scalars(select(Waiver).where(Waiver.student_id == student_id, Waiver.term_name == term_name)).first()
    old = {"tier": row.tier, "percent": row.percent, "evidence": row.evidence} if row else None
    if row is None:
        row = Waiver(county_code=school.county_code, school_id=school_id, student_id=student_id, term_name=term_name,
                     tier=tier, percent=spec["percent"], evidence="", recorded_at=utcnow())
        session.add(row)
    row.tier, row.percent, row.evidence = tier, int(spec["percent"]), evidence.strip()[:2000]
    row.recorded_by, row.recorded_at = actor.user_id, utcnow()
    session.flush()
    for bill in session.scalars(select(Bill).where(Bill.student_id == student_id, Bill.term_name == term_name)
                                .with_for_update()):
        _rewaive(session, actor, bill, row.percent, waiver_words(policy, tier, row.percent, adjusted=True))
    audit.record(session, actor, county_code=school.county_code, action="billing.waiver", entity_type="student",
                 entity_id=student_id, reason=reason, old=old,
                 new={"term_name": term_name, "tier": tier, "percent": row.percent, "evidence": row.evidence})
    session.commit()
    return row


def _rewaive(session: Session, actor: Actor, bill: Bill, percent: int, words: str) -> None:
    lines = lines_of(session, bill)
    target = sum(family_share(x.amount_fen, percent)[1] for x in lines if x.kind in ("course", "materials"))
    delta = target - bill.waiver_fen
    if not delta:
        return
    n = len([x for x in lines if x.kind == "waiver"])
    session.add(BillLine(bill_id=bill.id, kind="waiver", description=words, amount_fen=-delta))
    ledger.post(session, bill.county_code, kind="waiver", key=f"waiver:bill:{bill.id}:{n}", bill_id=bill.id,
                memo=words, actor_id=actor.user_id,
                legs=[Leg(f"subsidy:{bill.collector}", delta), Leg(receivable(bill), -delta)])
    bill.waiver_fen, bill.total_fen = target, bill.total_fen - delta


def waivers_of_school(session: Session, actor: Actor, school_id: int, term_name: str | None) -> list[Waiver]:
    access.school_for_staff(session, actor, school_id)
    stmt = select(Waiver).where(Waiver.school_id == school_id)
    if term_name:
        stmt = stmt.where(Waiver.term_name == term_name)
    return list(session.scalars(stmt.order_by(Waiver.id)))


def require_open(bill: Bill) -> None:
    if bill.status == "settled":
        raise Conflict("该账单已在期末结清。", code="bill_settled")


def issue_due(ctx: Context, session: Session) -> int:
    """The periodic job: bill each published menu whose selection window has closed, in counties
    that use billing, unless the school has billed already. Returns the number of bills made."""
    from kehou.platform.policy import services as policy_settings
    from kehou.plugins.billing_cap.policy import PLUGIN

    made = 0
    now = utcnow()
    billed = {(b.school_id, b.term_name) for b in session.execute(select(Bill.school_id, Bill.term_name).distinct())}
    for menu in catalogue.menus(session):
        if menu.status != "published" or menu.closes_at > now or (menu.school_id, menu.term_name) in billed:
            continue
        if PLUGIN not in (policy_settings.resolve_recent(session, ctx.registry, menu.county_code).get("plugins.enabled") or []):
            continue
        made += len(issue_for_school(ctx, session, Actor.system("billing"), menu.school_id, menu.term_name).created)
    return made
