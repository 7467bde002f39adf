"""Complaints (投诉) from parents (about a child's course), schools (about a provider) or the public
(anonymous allowed), handled by the county: received → assigned → investigated → resolved.

Each step is a ComplaintStep and an audit entry; a step out of order is refused
(``complaint_step_out_of_order``). Deadlines are county working days counted from the working day
after receipt: ``assign_by`` (outcome.complaint_assign_days) and ``resolve_by``
(outcome.complaint_resolve_days). The complainant follows the case with the tracking code, which
shows status, finding and resolution, never contact data. The provider sees a complaint about it
only once the county marks it visible, and never who complained.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.db import contains_pattern
from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.calendar import services as calendar
from kehou.platform.context import Context
from kehou.platform.counties.models import Region
from kehou.platform.notifications.services import notify_county_staff
from kehou.platform.providers.models import Provider
from kehou.platform.ratelimit import services as ratelimit
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting.access import settings
from kehou.plugins.outcome_reporting.models.supervision import Complaint, ComplaintStep
from kehou.timeutil import SHANGHAI, clock, utcnow

CATEGORIES = ("fees", "safety", "teaching", "conduct", "academic", "other")
FINDINGS = ("substantiated", "partly", "unsubstantiated")
TEXT_MAX = 5000
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out over the phone
SYSTEM = Actor.system("complaint-deadlines")


@dataclass(frozen=True)
class ComplaintInput:
    category: str
    text: str
    entry_id: int | None = None
    provider_id: int | None = None
    anonymous: bool = False
    contact_name: str = ""
    contact_phone: str = ""


def _tracking_code() -> str:
    return "TS" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def _not_found() -> NotFound:
    return NotFound("投诉不存在。", code="complaint_not_found")


def _check_text(data: ComplaintInput, *, public: bool) -> None:
    if data.category not in CATEGORIES:
        raise ValidationFailed("请选择投诉类别。", code="category_invalid", field="category")
    text = (data.text or "").strip()
    if len(text) < 5:
        raise ValidationFailed("请写明投诉内容（至少5个字）。", code="text_required", field="text")
    if len(text) > TEXT_MAX:
        raise ValidationFailed(f"投诉内容不能超过{TEXT_MAX}个字。", code="text_too_long", field="text")
    if len(data.contact_name) > 100 or len(data.contact_phone) > 40:
        raise ValidationFailed("联系人或联系电话过长。", code="contact_invalid", field="contact_phone")
    if public and not data.anonymous and not (data.contact_name.strip() and data.contact_phone.strip()):
        raise ValidationFailed("实名投诉请填写姓名和联系电话；不愿留名请选择匿名投诉。", code="contact_required",
                               field="contact_phone")


def _course_target(session: Session, entry_id: int) -> catalogue.CourseRecord:
    course = catalogue.course(session, entry_id)
    if course is None:
        raise NotFound("课程不存在。", code="entry_not_found", field="entry_id")
    return course


def _provider_term(session: Session, provider_id: int, **where: Any) -> str | None:
    """The latest term in which the provider has a course there (None: it has none)."""
    found = catalogue.courses(session, provider_id=provider_id, **where)
    return max(found, key=lambda c: (c.term_start, c.entry_id)).term_name if found else None


def _target(session: Session, actor: Actor, county_code: str | None, data: ComplaintInput) -> dict[str, Any]:
    """What the complaint is about: county, school, provider, course, term; checked against who complains."""
    if actor.role == "parent":
        if data.entry_id is None:
            raise ValidationFailed("请选择孩子所上的课程。", code="entry_required", field="entry_id")
        kids = {k.id for k in students.children_of(session, actor)}
        enrolled = {e.entry_id for e in catalogue.enrolments(session, entry_id=data.entry_id) if e.student_id in kids}
        if data.entry_id not in enrolled:
            raise NotFound("课程不存在。", code="entry_not_found", field="entry_id")
        course = _course_target(session, data.entry_id)
        return {"county_code": course.county_code, "school_id": course.school_id, "provider_id": course.provider_id,
                "entry_id": course.entry_id, "term_name": course.term_name, "source": "parent"}
    if actor.role == "school_admin":
        if data.entry_id is not None:
            course = _course_target(session, data.entry_id)
            if course.school_id != actor.school_id:
                raise NotFound("课程不存在。", code="entry_not_found", field="entry_id")
            return {"county_code": course.county_code, "school_id": course.school_id, "provider_id": course.provider_id,
                    "entry_id": course.entry_id, "term_name": course.term_name, "source": "school"}
        if data.provider_id is None:
            raise ValidationFailed("请选择被投诉的机构或课程。", code="provider_required", field="provider_id")
        term = _provider_term(session, data.provider_id, school_id=actor.school_id)
        if term is None:
            raise NotFound("该机构未在本校开课。", code="provider_not_found", field="provider_id")
        return {"county_code": actor.county_code, "school_id": actor.school_id, "provider_id": data.provider_id,
                "entry_id": None, "term_name": term, "source": "school"}
    # the public (anonymous, or anyone through the public form): the county named in the address
    assert county_code is not None
    target: dict[str, Any] = {"county_code": county_code, "school_id": None, "provider_id": None, "entry_id": None,
                              "term_name": "", "source": "public"}
    if data.entry_id is not None:
        course = _course_target(session, data.entry_id)
        if course.county_code != county_code:
            raise NotFound("课程不存在。", code="entry_not_found", field="entry_id")
        target |= {"school_id": course.school_id, "provider_id": course.provider_id, "entry_id": course.entry_id,
                   "term_name": course.term_name}
    elif data.provider_id is not None:
        term = _provider_term(session, data.provider_id, county_code=county_code)
        if term is None:
            raise NotFound("该机构未在本区县开课。", code="provider_not_found", field="provider_id")
        target |= {"provider_id": data.provider_id, "term_name": term}
    return target


def submit(ctx: Context, session: Session, actor: Actor, data: ComplaintInput, *, county_code: str | None = None) -> Complaint:
    """File a complaint. Parents and school admins through their own pages (``county_code`` None);
    the public form passes the county of its address, and the complaint is then from the public."""
    public = county_code is not None
    if public:
        if session.get(Region, county_code) is None:
            raise NotFound("区县不存在。", code="county_not_found")
    else:
        actor.require("parent", "school_admin")
    _check_text(data, public=public)
    if public:  # the public form, open to anyone: limited per address
        ratelimit.hit(session, ratelimit.COMPLAINTS, actor.ip)
    target = _target(session, actor if not public else Actor.anonymous(actor.ip), county_code, data)
    values = settings(ctx, session, target["county_code"])
    received = utcnow()
    start = clock.today_local() + dt.timedelta(days=1)  # counted from the working day after receipt
    # a complaint is never refused for want of next year's calendar: its deadlines then count Monday to Friday
    workdays = calendar.load(session, target["county_code"]).leniently()
    anonymous = public and data.anonymous
    c = Complaint(**target, anonymous=anonymous, submitter_id=None if public else actor.user_id,
                  contact_name="" if anonymous else data.contact_name.strip(),
                  contact_phone="" if anonymous else data.contact_phone.strip(), category=data.category,
                  text=data.text.strip(), status="received",
                  assign_by=workdays.add_working_days(start, int(values["outcome.complaint_assign_days"])),
                  resolve_by=workdays.add_working_days(start, int(values["outcome.complaint_resolve_days"])),
                  received_at=received)
    for _attempt in range(5):  # a tracking code that happens to exist already: draw another
        c.tracking_code = _tracking_code()
        try:
            with session.begin_nested():
                session.add(c)
                session.flush()
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - 31^10 codes
        raise Conflict("请稍后再试。", code="tracking_code_exhausted")
    session.add(ComplaintStep(complaint_id=c.id, action="receive", old_status=None, new_status="received",
                              actor_id=c.submitter_id, actor_role=target["source"], note="", at=received))
    audit.record(session, actor, county_code=c.county_code, action="outcome.complaint.submit", entity_type="outcome_complaint",
                 entity_id=c.id, new={"source": c.source, "anonymous": c.anonymous, "category": c.category,
                                      "school_id": c.school_id, "provider_id": c.provider_id, "entry_id": c.entry_id,
                                      "term_name": c.term_name, "assign_by": c.assign_by, "resolve_by": c.resolve_by})
    notify_county_staff(session, c.county_code, "收到新的投诉",
                        f"投诉（{CATEGORY_LABELS[c.category]}），请于{c.assign_by.isoformat()}前指派处理人。",
                        f"/complaints/{c.id}")
    session.commit()
    return c


CATEGORY_LABELS = {"fees": "收费", "safety": "安全", "teaching": "教学质量", "conduct": "人员言行", "academic": "学科类培训",
                   "other": "其他"}


def _visible(actor: Actor) -> Any:
    if actor.role == "county_staff":
        return Complaint.county_code == actor.county_code
    if actor.role == "school_admin":
        return (Complaint.school_id == actor.school_id) & (Complaint.source == "school")
    if actor.role == "parent":
        return (Complaint.submitter_id == actor.user_id) & (Complaint.source == "parent")
    if actor.role == "provider":
        return (Complaint.provider_id == actor.provider_id) & Complaint.visible_to_provider.is_(True)
    raise PermissionDenied("您的角色无权查看投诉。")


def list_for(session: Session, actor: Actor, status: str | None = None) -> list[Complaint]:
    actor.require("county_staff", "school_admin", "parent", "provider")
    stmt = select(Complaint).where(_visible(actor))
    if status:
        stmt = stmt.where(Complaint.status == status)
    return list(session.scalars(stmt.order_by(Complaint.received_at.desc(), Complaint.id.desc())))


def list_stmt(actor: Actor, *, search: str = "", status: str = "", provider_id: int | None = None) -> Select[Complaint]:
    """The complaints list a county (all of its county's) or a school (those it filed) works through, for paging and
    export: searched by the provider's name, the complaint's text or resolution, or its tracking code; by status and
    provider. The county's in the order of its queue (open first, overdue first, nearest deadline), a school's newest first."""
    actor.require("county_staff", "school_admin")
    stmt = select(Complaint).where(_visible(actor))
    if status:
        if status not in STATUS_LABELS:
            raise ValidationFailed("未知的投诉状态。", code="status_invalid", field="status")
        stmt = stmt.where(Complaint.status == status)
    if provider_id is not None:
        stmt = stmt.where(Complaint.provider_id == provider_id)
    if search.strip():
        like = contains_pattern(search.strip())
        stmt = stmt.where(or_(Complaint.tracking_code.ilike(like, escape="\\"), Complaint.text.ilike(like, escape="\\"),
                              Complaint.resolution.ilike(like, escape="\\"),
                              Complaint.provider_id.in_(select(Provider.id).where(Provider.name.ilike(like, escape="\\")))))
    if actor.role == "county_staff":
        today = clock.today_local()
        still_open = Complaint.status != "resolved"
        late = still_open & (((Complaint.status == "received") & (Complaint.assign_by < today)) | (Complaint.resolve_by < today))
        return stmt.order_by(case((still_open, 0), else_=1), case((late, 0), else_=1), Complaint.resolve_by, Complaint.id)
    return stmt.order_by(Complaint.received_at.desc(), Complaint.id.desc())


def provider_ids(session: Session, actor: Actor) -> set[int]:
    """The providers the complaints the actor may list are about (the choices of the list's provider filter)."""
    actor.require("county_staff", "school_admin")
    return set(session.scalars(select(Complaint.provider_id).where(_visible(actor), Complaint.provider_id.is_not(None))
                               .distinct()))


def get(session: Session, actor: Actor, complaint_id: int) -> Complaint:
    actor.require("county_staff", "school_admin", "parent", "provider")
    c = session.scalars(select(Complaint).where(Complaint.id == complaint_id, _visible(actor))).first()
    if c is None:
        raise _not_found()
    return c


def steps(session: Session, complaint_id: int) -> list[ComplaintStep]:
    return list(session.scalars(select(ComplaintStep).where(ComplaintStep.complaint_id == complaint_id)
                                .order_by(ComplaintStep.at, ComplaintStep.id)))


def _for_step(ctx: Context, session: Session, actor: Actor, complaint_id: int, expected: tuple[str, ...]) -> Complaint:
    """The complaint, locked, if the actor is county staff of its county and it is in an expected status."""
    actor.require("county_staff")
    c = session.scalars(select(Complaint).where(Complaint.id == complaint_id).with_for_update()).first()
    if c is None or c.county_code != actor.county_code:
        raise _not_found()
    settings(ctx, session, c.county_code)
    if c.status not in expected:
        raise Conflict(f"投诉当前状态为「{STATUS_LABELS[c.status]}」，不能执行此步骤。", code="complaint_step_out_of_order",
                       extra={"status": c.status})
    return c


STATUS_LABELS = {"received": "已受理", "assigned": "已指派", "investigated": "已调查", "resolved": "已办结"}
FINDING_LABELS = {"substantiated": "查实", "partly": "部分查实", "unsubstantiated": "未查实"}


def _step(session: Session, actor: Actor, c: Complaint, action: str, old: str, note: str, *,
          old_values: dict[str, Any], new_values: dict[str, Any]) -> None:
    now = utcnow()
    session.add(ComplaintStep(complaint_id=c.id, action=action, old_status=old, new_status=c.status, actor_id=actor.user_id,
                              actor_role=actor.role, note=note, at=now))
    audit.record(session, actor, county_code=c.county_code, action=f"outcome.complaint.{action}",
                 entity_type="outcome_complaint", entity_id=c.id, reason=note,
                 old={"status": old, **old_values}, new={"status": c.status, **new_values})


def _note(text: str, label: str, name: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(f"请填写{label}。", code=f"{name}_required", field=name)
    if len(text) > TEXT_MAX:
        raise ValidationFailed(f"{label}不能超过{TEXT_MAX}个字。", code=f"{name}_too_long", field=name)
    return text


def assign(ctx: Context, session: Session, actor: Actor, complaint_id: int, handler_id: int, note: str = "") -> Complaint:
    """Assign (or reassign, before the investigation is recorded) to a county_staff handler of the county."""
    c = _for_step(ctx, session, actor, complaint_id, ("received", "assigned"))
    handler = session.get(User, handler_id)
    if handler is None or handler.role != "county_staff" or handler.county_code != c.county_code or not handler.is_active:
        raise ValidationFailed("处理人须为本区县在职的教育局工作人员。", code="handler_invalid", field="handler_id")
    old, old_handler = c.status, c.assigned_to
    c.status, c.assigned_to = "assigned", handler.id
    _step(session, actor, c, "assign", old, (note or "").strip(), old_values={"assigned_to": old_handler},
          new_values={"assigned_to": handler.id})
    if handler.id != actor.user_id:
        from kehou.platform.notifications.models import Notification

        session.add(Notification(user_id=handler.id, title="投诉已指派给您", link=f"/complaints/{c.id}", created_at=utcnow(),
                                 body=f"请于{c.resolve_by.isoformat()}前办结。"))
    session.commit()
    return c


def investigate(ctx: Context, session: Session, actor: Actor, complaint_id: int, investigation: str) -> Complaint:
    c = _for_step(ctx, session, actor, complaint_id, ("assigned",))
    text = _note(investigation, "调查情况", "investigation")
    old = c.status
    c.status, c.investigation = "investigated", text
    _step(session, actor, c, "investigate", old, text, old_values={"investigation": ""}, new_values={"investigation": text})
    session.commit()
    return c


def resolve(ctx: Context, session: Session, actor: Actor, complaint_id: int, finding: str, resolution: str) -> Complaint:
    c = _for_step(ctx, session, actor, complaint_id, ("investigated",))
    if finding not in FINDINGS:
        raise ValidationFailed("请选择调查结论：查实、部分查实或未查实。", code="finding_invalid", field="finding")
    text = _note(resolution, "处理结果", "resolution")
    old = c.status
    c.status, c.finding, c.resolution, c.resolved_at = "resolved", finding, text, utcnow()
    _step(session, actor, c, "resolve", old, text, old_values={"finding": None},
          new_values={"finding": finding, "resolution": text})
    session.commit()
    return c


def set_visibility(ctx: Context, session: Session, actor: Actor, complaint_id: int, visible: bool, note: str = "") -> Complaint:
    """Show the complaint (never the complainant) to the provider it is about, or hide it again."""
    c = _for_step(ctx, session, actor, complaint_id, tuple(STATUS_LABELS))
    if c.provider_id is None:
        raise Conflict("该投诉未涉及具体机构。", code="complaint_without_provider")
    if c.visible_to_provider == visible:
        return c
    c.visible_to_provider = visible
    now = utcnow()
    session.add(ComplaintStep(complaint_id=c.id, action="share" if visible else "unshare", old_status=c.status,
                              new_status=c.status, actor_id=actor.user_id, actor_role=actor.role, note=(note or "").strip(),
                              at=now))
    audit.record(session, actor, county_code=c.county_code, action="outcome.complaint.visibility",
                 entity_type="outcome_complaint", entity_id=c.id, reason=(note or "").strip(),
                 old={"visible_to_provider": not visible}, new={"visible_to_provider": visible})
    if visible:
        from kehou.platform.notifications.services import notify_provider_users

        notify_provider_users(session, c.provider_id, "有涉及贵机构的投诉", "教育局已将一件投诉告知贵机构，请查看并配合调查。",
                              "/provider/supervision#complaints")
    session.commit()
    return c


def track(session: Session, tracking_code: str) -> Complaint:
    """The complaint with this tracking code (for its complainant, no login)."""
    code = (tracking_code or "").strip().upper()
    c = session.scalars(select(Complaint).where(Complaint.tracking_code == code)).first() if code else None
    if c is None:
        raise NotFound("查询码不正确，未找到投诉。", code="complaint_not_found")
    return c


def is_overdue(c: Complaint, today: dt.date) -> bool:
    if c.status == "resolved":
        return False
    return (c.status == "received" and today > c.assign_by) or today > c.resolve_by


def notify_overdue(session: Session, today: dt.date | None = None) -> int:
    """Tell each county's staff once about every complaint past its deadline (assign_by while
    unassigned, resolve_by while unresolved). Safe to run concurrently: the flag is claimed with a
    conditional UPDATE, so only one run sends the notice."""
    today = today or clock.today_local()
    due = list(session.scalars(select(Complaint).where(
        Complaint.status != "resolved", Complaint.overdue_notified.is_(False),
        or_((Complaint.status == "received") & (Complaint.assign_by < today), Complaint.resolve_by < today))
        .order_by(Complaint.id)))
    sent = 0
    for c in due:
        claimed = session.execute(update(Complaint).where(Complaint.id == c.id, Complaint.overdue_notified.is_(False))
                                  .values(overdue_notified=True).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        which = f"指派期限{c.assign_by.isoformat()}" if c.status == "received" and today > c.assign_by else \
            f"办结期限{c.resolve_by.isoformat()}"
        notify_county_staff(session, c.county_code, "投诉处理已超期",
                            f"投诉（查询码{c.tracking_code}）已超过{which}，请尽快处理。",
                            f"/complaints/{c.id}")
        audit.record(session, SYSTEM, county_code=c.county_code, action="outcome.complaint.overdue",
                     entity_type="outcome_complaint", entity_id=c.id, reason=which,
                     old={"overdue_notified": False}, new={"overdue_notified": True})
        sent += 1
    session.commit()
    return sent


def run_overdue() -> int:
    """The hourly job (PERIODIC): opens its own session."""
    from kehou.tasks.app import get_context

    with get_context().db.write_session() as session:
        return notify_overdue(session)


def complaint_out(c: Complaint, actor: Actor) -> dict[str, Any]:
    """County staff see everything; the complainant (parent, school) their own case; the provider
    neither who complained nor how to reach them."""
    out = {"id": c.id, "county_code": c.county_code, "school_id": c.school_id, "provider_id": c.provider_id,
           "entry_id": c.entry_id, "term_name": c.term_name, "category": c.category, "text": c.text, "status": c.status,
           "assign_by": c.assign_by.isoformat(), "resolve_by": c.resolve_by.isoformat(), "investigation": c.investigation,
           "finding": c.finding, "resolution": c.resolution, "visible_to_provider": c.visible_to_provider,
           "received_at": c.received_at.isoformat(), "resolved_at": c.resolved_at.isoformat() if c.resolved_at else None,
           "overdue": is_overdue(c, clock.today_local())}
    if actor.role != "provider":
        out |= {"tracking_code": c.tracking_code, "source": c.source, "anonymous": c.anonymous}
    if actor.role in ("county_staff", "parent", "school_admin"):
        out |= {"contact_name": c.contact_name, "contact_phone": c.contact_phone or "", "submitter_id": c.submitter_id,
                "assigned_to": c.assigned_to}
    return out


def public_out(c: Complaint) -> dict[str, Any]:
    """What the tracking code shows: status, deadlines, finding, resolution; nothing about who complained."""
    return {"tracking_code": c.tracking_code, "status": c.status, "category": c.category,
            "received_on": c.received_at.astimezone(SHANGHAI).date().isoformat(), "resolve_by": c.resolve_by.isoformat(),
            "finding": c.finding,
            "resolution": c.resolution if c.status == "resolved" else ""}
