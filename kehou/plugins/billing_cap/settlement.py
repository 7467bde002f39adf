"""Provider settlement: per school, provider and period (a month by default), the shares of the
lessons the provider delivered and the school marked attendance for, for every student enrolled
that day (minus lessons refunded under the absence rule, and nothing else). Approved by the school,
then by the county bureau where the county requires it; then paid from the collector's account."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.notifications.services import notify_provider_users
from kehou.platform.providers.models import Provider
from kehou.plugins.billing_cap import access, ledger
from kehou.plugins.billing_cap.bills import bill_of_enrolment
from kehou.plugins.billing_cap.facts import EntryFacts, billable
from kehou.plugins.billing_cap.ledger import Leg
from kehou.plugins.billing_cap.models import Bill, Settlement, SettlementLine
from kehou.plugins.billing_cap.policy import FeePolicy, collector_key, yuan
from kehou.plugins.billing_cap.rules import outcome
from kehou.plugins.course_catalogue import public as catalogue
from kehou.timeutil import clock, fmt_local, utcnow

STATUS_LABELS = {"draft": "待学校审核", "school_approved": "待教育局审批", "approved": "待支付", "paid": "已支付"}


def draft(ctx: Context, session: Session, actor: Actor, school_id: int, period_start: dt.date,
          period_end: dt.date) -> list[Settlement]:
    """Draft one settlement per provider with unsettled delivered lessons in the period. Idempotent:
    a lesson's share for a student is settled once (unique lesson and enrolment)."""
    if actor.role != "system":
        access.school_for_staff(session, actor, school_id, county_may=False)
    if period_end < period_start or (period_end - period_start).days > 200:
        raise ValidationFailed("结算期间不正确（结束日不得早于开始日，且不超过200天）。", code="period_invalid",
                               field="period_end")
    if period_end >= clock.today_local():
        raise ValidationFailed("只能结算已经过去的日期。", code="period_not_over", field="period_end")
    per_provider: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)  # lesson, enrolment, student, fen
    collector_of: dict[int, str] = {}
    county = ""
    facts = EntryFacts(session)
    starts: dict[str, dt.date] = {}
    current: dict[str, FeePolicy] = {}
    settled = {(le, en) for le, en in session.execute(
        select(SettlementLine.lesson_id, SettlementLine.enrolment_id)
        .join(Settlement, Settlement.id == SettlementLine.settlement_id)
        .where(Settlement.school_id == school_id))}
    for rec in billable(catalogue.enrolments(session, school_id=school_id)):
        bill = bill_of_enrolment(session, rec.enrolment_id)
        if bill is None:  # joined after billing: charged by the term-end statement, but the lessons were taught
            if rec.county_code not in current:
                current[rec.county_code] = access.fee_policy(ctx, session, rec.county_code)
            policy = current[rec.county_code]
            county, collector_of[rec.provider_id] = rec.county_code, collector_key(policy, rec.county_code, school_id)
        else:
            policy = FeePolicy.from_json(bill.policy)
            county, collector_of[rec.provider_id] = bill.county_code, bill.collector
        if rec.term_name not in starts:
            starts[rec.term_name] = catalogue.menus(session, school_id=school_id, term_name=rec.term_name)[0].term_start
        result = outcome(facts.course(rec), facts.lessons(rec.entry_id), policy, starts[rec.term_name],
                         term_over=False)
        days = {le.lesson_id: le.day for le in facts.lessons(rec.entry_id)}
        for lesson_id, fen in result.earned:
            if period_start <= days[lesson_id] <= period_end and (lesson_id, rec.enrolment_id) not in settled:
                per_provider[rec.provider_id].append((lesson_id, rec.enrolment_id, rec.student_id, fen))
    if not county:
        return []
    needs_county = bool(access.settings(ctx, session, county)["billing.settlement_county_approval"])
    made = []
    for provider_id, lines in sorted(per_provider.items()):
        row = Settlement(county_code=county, school_id=school_id, provider_id=provider_id, collector=collector_of[provider_id],
                         period_start=period_start, period_end=period_end, status="draft",
                         amount_fen=sum(x[3] for x in lines), lessons=len({x[0] for x in lines}),
                         county_approval=needs_county, created_at=utcnow())
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
                session.add_all(SettlementLine(settlement_id=row.id, lesson_id=le, enrolment_id=en, student_id=st, amount_fen=f)
                                for le, en, st, f in lines)
                session.flush()
        except IntegrityError:
            continue  # drafted concurrently, or this period was drafted before
        made.append(row)
        audit.record(session, actor, county_code=county, action="settlement.draft", entity_type="settlement",
                     entity_id=row.id, new={"provider_id": provider_id, "amount_fen": row.amount_fen, "lessons": row.lessons,
                                            "period": f"{period_start}~{period_end}"})
    session.commit()
    return made


def draft_due(ctx: Context, session: Session) -> int:
    """The periodic job: draft last month's settlements (monthly counties) for every school with bills."""
    today = clock.today_local()
    end = today.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    made = 0
    schools = {(b.school_id, b.county_code) for b in session.execute(select(Bill.school_id, Bill.county_code).distinct())}
    for school_id, county in sorted(schools):
        try:
            values = access.settings(ctx, session, county)
        except PermissionDenied:
            continue
        if values["billing.settlement_period"] == "month":
            made += len(draft(ctx, session, Actor.system("billing"), school_id, start, end))
    return made


def get(session: Session, actor: Actor, settlement_id: int, *, lock: bool = False) -> Settlement:
    stmt = select(Settlement).where(Settlement.id == settlement_id)
    row = session.scalars(stmt.with_for_update() if lock else stmt).first()
    visible = row is not None and (
        actor.role == "platform_admin"
        or (actor.role == "school_admin" and actor.school_id == row.school_id)
        or (actor.role == "county_staff" and actor.county_code == row.county_code)
        or (actor.role == "provider" and actor.provider_id == row.provider_id))
    if not visible:
        actor.require("school_admin", "county_staff", "provider", "platform_admin")
        raise NotFound("结算单不存在。", code="settlement_not_found")
    assert row is not None
    return row


def listing(session: Session, actor: Actor, status: str | None = None) -> list[Settlement]:
    actor.require("school_admin", "county_staff", "provider", "platform_admin")
    stmt = select(Settlement)
    if actor.role == "school_admin":
        stmt = stmt.where(Settlement.school_id == actor.school_id)
    elif actor.role == "county_staff":
        stmt = stmt.where(Settlement.county_code == actor.county_code)
    elif actor.role == "provider":
        stmt = stmt.where(Settlement.provider_id == actor.provider_id)
    if status:
        stmt = stmt.where(Settlement.status == status)
    return list(session.scalars(stmt.order_by(Settlement.id.desc()).limit(500)))


def approve(session: Session, actor: Actor, settlement_id: int, reason: str = "") -> Settlement:
    """The school approves a draft; the county bureau (a decision-maker) then approves where required.
    Final approval moves the amount from the collector's deferred fees to what it owes the provider."""
    row = get(session, actor, settlement_id, lock=True)
    actor.require("school_admin", "county_staff")
    old = row.status
    if row.status == "draft" and actor.role == "school_admin":
        row.status, row.school_approved_by, row.school_approved_at = "school_approved", actor.user_id, utcnow()
        if not row.county_approval:
            row.status = "approved"
    elif row.status == "school_approved" and actor.role == "county_staff":
        if not actor.can_decide:
            raise PermissionDenied("只有有决定权限的教育局工作人员可以审批结算单。", code="not_decider")
        row.status, row.county_approved_by, row.county_approved_at = "approved", actor.user_id, utcnow()
    else:
        raise Conflict(f"结算单当前为「{STATUS_LABELS[row.status]}」，您不能进行这一步审批。", code="settlement_state")
    if row.status == "approved":
        ledger.post(session, row.county_code, kind="settlement", key=f"settlement:{row.id}", actor_id=actor.user_id,
                    memo=f"机构结算 {row.period_start}~{row.period_end}",
                    legs=[Leg(f"deferred:{row.collector}", row.amount_fen),
                          Leg(f"payable:provider:{row.provider_id}", -row.amount_fen)])
        notify_provider_users(session, row.provider_id, "结算单已审批",
                              f"{row.period_start}至{row.period_end}结算 {yuan(row.amount_fen)} 元已审批，待支付。",
                              f"/provider/settlements/{row.id}")
    audit.record(session, actor, county_code=row.county_code, action="settlement.approve", entity_type="settlement",
                 entity_id=row.id, reason=reason, old={"status": old}, new={"status": row.status})
    session.commit()
    return row


def mark_paid(session: Session, actor: Actor, settlement_id: int, reference: str) -> Settlement:
    """The collector's finance office paid the provider (bank reference recorded)."""
    row = get(session, actor, settlement_id, lock=True)
    kind, _, owner = row.collector.partition(":")
    if not ((kind == "school" and actor.role == "school_admin" and str(actor.school_id) == owner)
            or (kind == "county" and actor.role == "county_staff" and actor.county_code == owner and actor.can_decide)
            or actor.role == "platform_admin"):
        raise PermissionDenied("只有收费主体可以登记向机构付款。", code="not_collector")
    if row.status != "approved":
        raise Conflict(f"结算单当前为「{STATUS_LABELS[row.status]}」，审批后才能付款。", code="settlement_state")
    if not reference.strip():
        raise ValidationFailed("请填写付款凭证号。", code="reference_required", field="reference")
    ledger.post(session, row.county_code, kind="payout", key=f"settlement-paid:{row.id}", actor_id=actor.user_id,
                memo=f"向机构付款 {reference.strip()}"[:300],
                legs=[Leg(f"payable:provider:{row.provider_id}", row.amount_fen), Leg(f"cash:{row.collector}", -row.amount_fen)])
    row.status, row.paid_at = "paid", utcnow()
    audit.record(session, actor, county_code=row.county_code, action="settlement.paid", entity_type="settlement",
                 entity_id=row.id, old={"status": "approved"}, new={"status": "paid", "reference": reference.strip()})
    session.commit()
    return row


def lines(session: Session, row: Settlement) -> list[SettlementLine]:
    return list(session.scalars(select(SettlementLine).where(SettlementLine.settlement_id == row.id)
                                .order_by(SettlementLine.lesson_id, SettlementLine.student_id)))


def student_ids(session: Session, row: Settlement) -> list[int]:
    """The children on a settlement's lines (a view of its lines is logged for each of them)."""
    return sorted(session.scalars(select(SettlementLine.student_id).where(SettlementLine.settlement_id == row.id).distinct()))


def xlsx(session: Session, row: Settlement) -> bytes:
    """The statement for the finance office: a summary sheet and one line per lesson and student."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    provider = session.get(Provider, row.provider_id)
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook starts with one worksheet, the active one
    ws.title = "结算汇总"
    for label, value in (("机构", provider.name if provider else row.provider_id), ("学校编号", row.school_id),
                         ("结算期间", f"{row.period_start} 至 {row.period_end}"), ("课次", row.lessons),
                         ("金额（元）", yuan(row.amount_fen)), ("金额（分）", row.amount_fen),
                         ("状态", STATUS_LABELS[row.status]), ("生成时间", fmt_local(row.created_at))):
        ws.append([label, value])
    detail = wb.create_sheet("明细")
    detail.append(["课次编号", "上课日期", "报名编号", "学生编号", "金额（分）"])
    days = {le.lesson_id: le.day for le in catalogue.lessons(session, provider_id=row.provider_id, since=row.period_start,
                                                             until=row.period_end)}
    for line in lines(session, row):
        detail.append([line.lesson_id, days.get(line.lesson_id, ""), line.enrolment_id, line.student_id, line.amount_fen])
    detail.append(["合计", "", "", "", row.amount_fen])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
