"""Offerings: an admitted provider proposes a course; content vetting and policy hooks run;
the bureau approves it where the county requires (catalogue.offering_approval)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.calendar.services import CalendarMissing
from kehou.platform.calendar.services import load as load_calendar
from kehou.platform.context import Context
from kehou.platform.policy import services as policy
from kehou.platform.providers.models import Provider
from kehou.pluginapi import CourseOffering
from kehou.plugins.course_catalogue import terms
from kehou.plugins.course_catalogue.access import admitted_categories, is_vetted_staff, require_enabled
from kehou.plugins.course_catalogue.models import OFFERING_STATUS_LABELS, Offering, OfferingStatus
from kehou.timeutil import clock, utcnow
from kehou.vetting import content_check
from kehou.vetting import services as vetting
from kehou.vetting.content_check import ContentCheck
from kehou.vetting.types import CourseSnapshot, Verdict

MAX_FEE_FEN = 10_000_00  # 10,000 yuan: a typo guard, the county's price range is the billing plugin's


@dataclass(frozen=True)
class OfferingInput:
    county_code: str
    title: str
    category: str
    description: str
    grades: list[int]
    sessions_per_week: int
    minutes: int
    capacity: int
    fee_fen: int
    instructor_id: int
    materials_fee_fen: int = 0
    materials: list[dict[str, Any]] = field(default_factory=list)
    school_requirements: str = ""
    #: when the automatic content check blocks the offering: the provider's case for a person at the bureau to
    #: decide (without it a block refuses the offering)
    review_request: str = ""


def _bad(code: str, field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field_name)


def _check_fields(d: OfferingInput) -> None:
    if not d.title.strip() or len(d.title) > 100:
        raise _bad("title_invalid", "title", "课程名称不能为空，且不超过100个字。")
    if len(d.description) > 2000:
        raise _bad("description_too_long", "description", "课程简介不超过2000字。")
    if not d.grades or any(not isinstance(g, int) or not 1 <= g <= 9 for g in d.grades):
        raise _bad("grades_invalid", "grades", "请选择适用年级（1到9年级）。")
    if not 1 <= d.sessions_per_week <= 5:
        raise _bad("sessions_invalid", "sessions_per_week", "每周课次须为1到5次。")
    if not 20 <= d.minutes <= 120:
        raise _bad("minutes_invalid", "minutes", "每次课时长须为20到120分钟。")
    if not 1 <= d.capacity <= 200:
        raise _bad("capacity_invalid", "capacity", "班额须为1到200人。")
    if not 0 <= d.fee_fen <= MAX_FEE_FEN:
        raise _bad("fee_invalid", "fee_fen", "每学期课程费须为0到10000元（以分计的整数）。")
    total = 0
    for i, item in enumerate(d.materials, start=1):
        name, fen = item.get("item") if isinstance(item, dict) else None, item.get("fen") if isinstance(item, dict) else None
        if (not isinstance(name, str) or not name.strip() or not isinstance(fen, int) or isinstance(fen, bool)
                or not 0 <= fen <= MAX_FEE_FEN):
            raise _bad("materials_invalid", "materials", f"材料清单第{i}项须有名称和金额（分，0到1000000的整数）。")
        total += fen
    if not 0 <= d.materials_fee_fen <= MAX_FEE_FEN:
        raise _bad("materials_fee_invalid", "materials_fee_fen", "材料费须为0到10000元（以分计的整数）。")
    if d.materials_fee_fen != total:
        raise _bad("materials_fee_mismatch", "materials_fee_fen",
                   f"材料费（{d.materials_fee_fen / 100:.2f}元）须等于材料清单合计（{total / 100:.2f}元）。")


def snapshot(provider_id: int, d: OfferingInput) -> CourseOffering:
    return CourseOffering(provider_id=provider_id, county_code=d.county_code, title=d.title.strip(), category=d.category,
                          description=d.description.strip(), grades=tuple(sorted(set(d.grades))),
                          sessions_per_week=d.sessions_per_week, minutes=d.minutes, capacity=d.capacity, fee_fen=d.fee_fen,
                          materials_fee_fen=d.materials_fee_fen,
                          materials=tuple((str(m["item"]).strip(), int(m["fen"])) for m in d.materials))


def vet_content(ctx: Context, session: Session, provider_id: int, d: OfferingInput) -> ContentCheck:
    """Run the content rules (subject teaching, commercial promotion) on the title and description. A block
    refuses the offering unless the provider states its case for a person to decide (``review_request``);
    warnings (a mixed title such as 英语戏剧) are kept for the bureau's reviewer, who decides."""
    inp = vetting.build_input(ctx, session, provider_id, d.county_code)
    inp = dataclasses.replace(inp, courses=(CourseSnapshot(d.title.strip(), d.description.strip(), d.category),), statement="")
    check = content_check.check_input(inp)
    if check.verdict == "block" and not d.review_request.strip():
        blocks = [f.message for f in check.findings if f.verdict == Verdict.block]
        raise ValidationFailed("；".join(blocks) + "。如认为属误判，可填写“申请人工复核”的理由后重新提交，由教育局决定。",
                               code="offering_content_blocked", field=check.field)
    return check


def _validate(ctx: Context, session: Session, provider_id: int, d: OfferingInput
              ) -> tuple[ContentCheck, list[dict[str, Any]]]:
    _check_fields(d)
    settings = policy.resolve_all(session, ctx.registry, d.county_code) if d.county_code else {}
    require_enabled(settings)
    if d.category not in settings["catalogue.categories"]:
        raise _bad("category_unknown", "category", f"「{d.category}」不是本区县的课程类别。")
    categories = admitted_categories(session, provider_id, d.county_code)
    if categories is None:
        raise PermissionDenied("贵机构未在该区县准入（或准入已暂停、到期），不能发布课程。", code="provider_not_admitted",
                               field="county_code")
    if d.category not in categories:
        raise _bad("category_not_admitted", "category",
                   f"贵机构在该区县准入的课程类别为：{'、'.join(categories)}，不含「{d.category}」。")
    if not is_vetted_staff(session, provider_id, d.instructor_id):
        raise _bad("instructor_not_vetted", "instructor_id",
                   "授课教师须为本机构在职人员，且资格证书和无犯罪记录证明已审核通过、在有效期内。")
    check = vet_content(ctx, session, provider_id, d)
    warnings = [{"code": f.rule, "message": f.message} for f in check.findings]
    count, term_name, missing = count_term_lessons(ctx, session, settings, d.county_code, d.sessions_per_week)
    if missing:
        warnings.append({"code": "calendar_year_missing", "message": f"无法按校历计算本学期课次（{missing}）"})
    offering = dataclasses.replace(snapshot(provider_id, d), term_lessons=count, term_name=term_name)
    return check, warnings + policy_check(ctx, session, offering, settings)


def count_term_lessons(ctx: Context, session: Session, settings: Mapping[str, Any], county: str,
                       sessions_per_week: int) -> tuple[int, str, str]:
    """(lessons over the county's current or next term for a course of ``sessions_per_week``, the term's name, and
    why they could not be counted: a year's holidays not yet entered)."""
    day = clock.today_local()
    default = ctx.hook_for_settings(settings, "kehou_term_for_date")(county_code=county, day=day)
    term = terms.term_for(settings, default, day)
    try:
        return terms.term_lessons(settings, load_calendar(session, county), term, sessions_per_week), term.name, ""
    except CalendarMissing as missing:
        return 0, term.name, missing.message


def policy_check(ctx: Context, session: Session, offering: CourseOffering, settings: Mapping[str, Any]
                 ) -> list[dict[str, Any]]:
    """The county's plugins judge the offering (``kehou_validate_course_offering``): a refusal raises, with every
    refusal's message; warnings come back for the reviewer."""
    hook = ctx.county_hook(session, offering.county_code, "kehou_validate_course_offering")
    answers = [r for answer in hook(offering=offering, policy=settings) for r in answer or []]
    refusals = [r for r in answers if not r.warning]
    if refusals:
        raise ValidationFailed("；".join(r.message for r in refusals), code=refusals[0].code, field=refusals[0].field)
    return [{"code": r.code, "message": r.message} for r in answers if r.warning]


def snapshot_of(o: Offering, **more: Any) -> CourseOffering:
    """What the policy hooks see of a stored offering (``more``: term_lessons, term_name, stage)."""
    return CourseOffering(provider_id=o.provider_id, county_code=o.county_code, title=o.title, category=o.category,
                          description=o.description, grades=tuple(o.grades), sessions_per_week=o.sessions_per_week,
                          minutes=o.minutes, capacity=o.capacity, fee_fen=o.fee_fen, materials_fee_fen=o.materials_fee_fen,
                          materials=tuple((str(m["item"]), int(m["fen"])) for m in o.materials or []), **more)


def _values(o: Offering) -> dict[str, Any]:
    return {"title": o.title, "category": o.category, "grades": o.grades, "capacity": o.capacity, "fee_fen": o.fee_fen,
            "materials_fee_fen": o.materials_fee_fen, "instructor_id": o.instructor_id, "status": o.status,
            "content_check": o.content_check} | ({"review_request": o.review_request} if o.review_request else {})


def create(ctx: Context, session: Session, actor: Actor, d: OfferingInput) -> Offering:
    actor.require("provider")
    assert actor.provider_id is not None
    check, warnings = _validate(ctx, session, actor.provider_id, d)
    # a warning of the content check is for a person to decide, whether or not the county reviews every offering
    need_review = bool(policy.get(session, ctx.registry, d.county_code, "catalogue.offering_approval")) or bool(
        check.findings)
    status = OfferingStatus.blocked if check.verdict == "block" else (
        OfferingStatus.pending if need_review else OfferingStatus.approved)
    now = utcnow()
    s = snapshot(actor.provider_id, d)
    o = Offering(provider_id=actor.provider_id, county_code=d.county_code, title=s.title, category=s.category,
                 description=s.description, grades=list(s.grades), sessions_per_week=s.sessions_per_week, minutes=s.minutes,
                 capacity=s.capacity, fee_fen=s.fee_fen, materials_fee_fen=s.materials_fee_fen,
                 materials=[{"item": i, "fen": f} for i, f in s.materials], instructor_id=d.instructor_id,
                 school_requirements=d.school_requirements.strip()[:2000],
                 status=status, content_check=check.verdict, review_request=d.review_request.strip()[:2000],
                 review_reason="；".join(w["message"] for w in warnings), created_at=now, updated_at=now)
    session.add(o)
    session.flush()
    audit.record(session, actor, county_code=d.county_code, action="offering.create", entity_type="course_offering",
                 entity_id=o.id, new=_values(o))
    session.commit()
    return o


def get_own(session: Session, actor: Actor, offering_id: int, *, lock: bool = False) -> Offering:
    actor.require("provider")
    stmt = select(Offering).where(Offering.id == offering_id, Offering.provider_id == actor.provider_id)
    o = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if o is None:
        raise NotFound("课程不存在。", code="offering_not_found")
    return o


def list_own(session: Session, actor: Actor) -> list[Offering]:
    actor.require("provider")
    return list(session.scalars(select(Offering).where(Offering.provider_id == actor.provider_id).order_by(Offering.id.desc())))


def withdraw(session: Session, actor: Actor, offering_id: int, reason: str = "") -> Offering:
    """Take an offering off the list for future menus (classes already placed keep running)."""
    o = get_own(session, actor, offering_id, lock=True)
    if o.status == OfferingStatus.withdrawn:
        return o
    old = o.status
    o.status, o.updated_at = OfferingStatus.withdrawn, utcnow()
    audit.record(session, actor, county_code=o.county_code, action="offering.withdraw", entity_type="course_offering",
                 entity_id=o.id, reason=reason, old={"status": old}, new={"status": o.status})
    session.commit()
    return o


def for_county(session: Session, actor: Actor, county_code: str, status: str | None = None) -> list[Offering]:
    actor.require("county_staff", "platform_admin")
    actor.require_county(county_code)
    stmt = select(Offering).where(Offering.county_code == county_code)
    if status:
        stmt = stmt.where(Offering.status == status)
    return list(session.scalars(stmt.order_by(Offering.id.desc())))


def county_stmt(actor: Actor, county_code: str, *, status: str = "", like: str = "") -> Select[Offering, str]:
    """The county's offerings with their provider's name, newest first, for the desk's list and its Excel export:
    by status (empty: every status), and by course title or provider name (an ``ilike`` pattern, escaped with ``\\``)."""
    actor.require("county_staff", "platform_admin")
    actor.require_county(county_code)
    stmt = select(Offering, Provider.name).join(Provider, Provider.id == Offering.provider_id).where(
        Offering.county_code == county_code)
    if status:
        if status not in OFFERING_STATUS_LABELS:
            raise ValidationFailed("未知的课程状态。", code="status_invalid", field="status")
        stmt = stmt.where(Offering.status == status)
    if like:
        stmt = stmt.where(or_(Offering.title.ilike(like, escape="\\"), Provider.name.ilike(like, escape="\\")))
    return stmt.order_by(Offering.id.desc())


def review(ctx: Context, session: Session, actor: Actor, offering_id: int, *, approve: bool, reason: str) -> Offering:
    """The bureau approves or rejects a pending offering, or one the content check blocked and the provider asked
    a person to decide. Approving a warned offering needs a reason; overriding a block needs the decide right and
    a reason (audited as ``offering.override``). Approval checks the fee against the county's policy in force
    today (it may have changed since the provider submitted)."""
    actor.require("county_staff")
    if not (actor.can_review or actor.can_decide):
        raise PermissionDenied("需要评审或决定权限。", code="review_right_required")
    o = session.scalars(select(Offering).where(Offering.id == offering_id).with_for_update()).first()
    if o is None or o.county_code != actor.county_code:
        raise NotFound("课程不存在。", code="offering_not_found")
    if o.status not in (OfferingStatus.pending, OfferingStatus.blocked):
        raise Conflict("该课程不在待审核状态。", code="offering_not_pending")
    if not approve and not reason.strip():
        raise ValidationFailed("不通过须说明理由。", code="reason_required", field="reason")
    override = approve and o.status == OfferingStatus.blocked
    if override and not actor.can_decide:
        raise PermissionDenied("自动审查阻止的课程，只有有决定权限的人员可以推翻并通过。", code="decide_right_required")
    if approve and o.content_check != "pass" and not reason.strip():
        raise ValidationFailed("该课程有自动审查的提醒或阻止，通过须说明理由（记入审计日志）。", code="reason_required",
                               field="reason")
    if approve:
        settings = policy.resolve_all(session, ctx.registry, o.county_code)
        count, term_name, _ = count_term_lessons(ctx, session, settings, o.county_code, o.sessions_per_week)
        try:
            policy_check(ctx, session, snapshot_of(o, term_lessons=count, term_name=term_name, stage="review"), settings)
        except ValidationFailed as refused:
            raise ValidationFailed(f"不能通过：{refused.message}", code=refused.code, field=refused.field) from None
    old = {"status": o.status, "content_check": o.content_check, "findings": o.review_reason}
    o.status = OfferingStatus.approved if approve else OfferingStatus.rejected
    o.review_reason, o.reviewed_by, o.reviewed_at, o.updated_at = reason.strip(), actor.user_id, utcnow(), utcnow()
    action = "offering.override" if override else "offering.approve" if approve else "offering.reject"
    audit.record(session, actor, county_code=o.county_code, action=action, entity_type="course_offering", entity_id=o.id,
                 reason=reason.strip(), old=old, new={"status": o.status})
    session.commit()
    return o
