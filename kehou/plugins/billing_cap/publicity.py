"""Fee publicity (收费公示): per school and term, the fee standards, their basis, the waiver and
refund policy, the complaint hotline; after the term, the income and spending statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, PermissionDenied
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.plugins.billing_cap import access, refund_rules
from kehou.plugins.billing_cap.models import Bill, LedgerAccount, LedgerEntry, LedgerTxn, Payment, Settlement
from kehou.plugins.billing_cap.policy import FeePolicy, lesson_cap_limit, yuan
from kehou.plugins.course_catalogue import public as catalogue
from kehou.timeutil import clock

COLLECTORS = {"school": "学校课后服务专户", "county": "教育局课后服务专户"}


def refund_sentences(policy: FeePolicy) -> list[str]:
    materials = {"undelivered": "；未开课的，材料费一并退还"}
    return [refund_rules.sentence(rule) + materials.get(rule["kind"], "") + "。" for rule in policy.refund_rules]


def over_caps(policy: FeePolicy, fee_fen: int, lessons: int) -> list[str]:
    """The caps a course's fee exceeds, in words (compared in fen over all its lessons, never on a rounded price)."""
    out = []
    most = lesson_cap_limit(fee_fen, policy.lesson_cap_fen, lessons)
    if most is not None:
        out.append(f"超过每课时{yuan(policy.lesson_cap_fen)}元的收费上限（{lessons}次课最多{yuan(most)}元）")
    if policy.term_cap_fen and fee_fen > policy.term_cap_fen:
        out.append(f"超过每生每学期{yuan(policy.term_cap_fen)}元的收费上限")
    return out


def page(ctx: Context, session: Session, school_id: int, term_name: str | None) -> dict[str, Any]:
    school = session.get(School, school_id)
    if school is None:
        raise NotFound("学校不存在。", code="school_not_found")
    try:
        values = access.settings(ctx, session, school.county_code)
    except PermissionDenied:
        raise NotFound("该校未通过本平台公示课后服务收费。", code="fees_not_published") from None
    published = [m for m in catalogue.menus(session, school_id=school_id) if m.status == "published"]
    menus = [m for m in published if term_name is None or m.term_name == term_name]
    if not menus:
        raise NotFound("该校该学期尚未公布课后服务收费标准。", code="fees_not_published")
    menu = catalogue.current(menus, clock.today_local()) or menus[-1]  # the term running today, not next term's
    policy = FeePolicy.from_settings(values)
    courses = [{"title": e.title, "provider": e.provider_name, "category": e.category, "fee_fen": e.fee_fen,
                "fee_yuan": yuan(e.fee_fen), "lessons": e.lessons,
                "per_lesson_yuan": yuan((2 * e.fee_fen + e.lessons) // (2 * e.lessons)) if e.lessons else None,  # rounded
                "over_caps": over_caps(policy, e.fee_fen, e.lessons),
                "materials_fee_fen": e.materials_fee_fen, "materials": [{"item": i, "fen": f} for i, f in e.materials]}
               for e in catalogue.entries(session, menu_id=menu.menu_id) if e.status == "open"]
    out: dict[str, Any] = {
        "school": school.name, "school_id": school.id, "term_name": menu.term_name,
        "term": {"start": menu.term_start.isoformat(), "end": menu.term_end.isoformat()},
        "terms": [m.term_name for m in published],
        "courses": courses,
        "standard": {"term_cap_fen": policy.term_cap_fen, "lesson_cap_fen": policy.lesson_cap_fen,
                     "collector": COLLECTORS[policy.collector],
                     "materials": ("经机构统一购买，单独列示" if policy.materials_via == "provider"
                                   else "家长自行购买，不列入账单"),
                     "once_per_term": "每生每学期只收取一次费用，学期中的变动在期末多退少补"},
        "basis": values["billing.fee_basis"] or "《关于做好中小学生课后服务工作的指导意见》及本区县课后服务收费政策",
        "hotline": values["billing.complaint_hotline"],
        "waivers": [{"label": t["label"], "percent": t["percent"], "evidence": t["evidence"]} for t in policy.waiver_tiers],
        "refunds": refund_sentences(policy),
        "accounts": None,
    }
    if clock.today_local() > menu.term_end:
        out["accounts"] = accounts(session, school_id, menu)
    return out


def accounts(session: Session, school_id: int, menu: catalogue.MenuRecord) -> dict[str, int]:
    """The term's income and spending statement (after the term), in fen."""
    bill_ids = select(Bill.id).where(Bill.school_id == school_id, Bill.term_name == menu.term_name)

    def moved(kind_prefix: str, kinds: tuple[str, ...]) -> int:
        return int(session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
            .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id).join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(LedgerTxn.bill_id.in_(bill_ids), LedgerTxn.kind.in_(kinds), LedgerAccount.code.startswith(kind_prefix))) or 0)

    collected = int(session.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0))
                                   .where(Payment.bill_id.in_(bill_ids))) or 0)
    refunded = int(session.scalar(select(func.coalesce(func.sum(Payment.refunded_fen), 0))
                                  .where(Payment.bill_id.in_(bill_ids))) or 0)
    providers = int(session.scalar(select(func.coalesce(func.sum(Settlement.amount_fen), 0)).where(
        Settlement.school_id == school_id, Settlement.status == "paid", Settlement.period_start >= menu.term_start,
        Settlement.period_end <= menu.term_end)) or 0)
    return {"billed_fen": moved("receivable:", ("charge",)), "waived_fen": moved("subsidy:", ("waiver", "charge", "refund")),
            "collected_fen": collected, "refunded_fen": refunded, "paid_to_providers_fen": providers,
            "materials_fen": -moved("payable:", ("charge",)) - moved("payable:", ("refund",)),
            "retained_fen": -moved("income:", ("adjustment",))}
