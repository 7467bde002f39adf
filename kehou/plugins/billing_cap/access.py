"""Who may see and do what in billing, and the county's resolved fee policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, PermissionDenied
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.platform.policy import services as policy_settings
from kehou.platform.students.models import Guardian
from kehou.plugins.billing_cap.models import Bill
from kehou.plugins.billing_cap.policy import PLUGIN, FeePolicy


def settings(ctx: Context, session: Session, county_code: str) -> Mapping[str, Any]:
    values = policy_settings.resolve_all(session, ctx.registry, county_code)
    if PLUGIN not in (values.get("plugins.enabled") or []):
        raise PermissionDenied("本区县未启用课后服务收费功能。", code="billing_disabled")
    return values


def fee_policy(ctx: Context, session: Session, county_code: str) -> FeePolicy:
    return FeePolicy.from_settings(settings(ctx, session, county_code))


def school_for_staff(session: Session, actor: Actor, school_id: int, *, county_may: bool = True) -> School:
    """A school its administrator manages, or (when ``county_may``) one in the county staff's county."""
    school = session.get(School, school_id)
    if school is None:
        raise NotFound("学校不存在。", code="school_not_found")
    if actor.role == "school_admin" and actor.school_id == school_id:
        return school
    if county_may and actor.role == "county_staff" and actor.county_code == school.county_code:
        return school
    if actor.role == "platform_admin":
        return school
    actor.require("school_admin", "county_staff", "platform_admin")
    raise NotFound("学校不存在。", code="school_not_found")


def is_guardian(session: Session, actor: Actor, student_id: int) -> bool:
    return actor.role == "parent" and session.scalar(select(Guardian.id).where(
        Guardian.student_id == student_id, Guardian.user_id == actor.user_id)) is not None


def bill_for(session: Session, actor: Actor, bill_id: int, *, lock: bool = False) -> Bill:
    """A bill its family, its school, its county or a platform admin may see (others: not found)."""
    actor.require("parent", "school_admin", "county_staff", "platform_admin", "system")
    stmt = select(Bill).where(Bill.id == bill_id)
    bill = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if bill is None or not can_see_bill(session, actor, bill):
        raise NotFound("账单不存在。", code="bill_not_found")
    return bill


def can_see_bill(session: Session, actor: Actor, bill: Bill) -> bool:
    return (actor.role in ("platform_admin", "system")
            or (actor.role == "school_admin" and actor.school_id == bill.school_id)
            or (actor.role == "county_staff" and actor.county_code == bill.county_code)
            or is_guardian(session, actor, bill.student_id))


def require_collector_staff(actor: Actor, bill: Bill) -> None:
    """Recording money on a bill: the collector's staff (the school for its special account, the
    county bureau for a county account)."""
    kind, _, owner = bill.collector.partition(":")
    if actor.role in ("platform_admin", "system"):
        return
    if kind == "school" and actor.role == "school_admin" and str(actor.school_id) == owner:
        return
    if kind == "county" and actor.role == "county_staff" and actor.county_code == owner:
        return
    raise PermissionDenied("只有收费主体（学校专户或教育局专户）的工作人员可以登记收退款。", code="not_collector")
