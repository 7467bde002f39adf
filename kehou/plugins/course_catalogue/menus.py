"""The school's course supermarket (课程超市): a term menu, approved offerings placed on weekday
slots and a venue, time-window rules, publishing with the selection window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.calendar.services import load as load_calendar
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.platform.notifications.models import Notification
from kehou.platform.notifications.services import notify_provider_users
from kehou.platform.policy import services as policy
from kehou.platform.providers.models import Staff
from kehou.platform.students.models import Guardian, Student
from kehou.platform.students.services import school_of
from kehou.plugins.course_catalogue import agreements as contracts
from kehou.plugins.course_catalogue import lessons, offerings, terms
from kehou.plugins.course_catalogue.access import admitted_categories, require_enabled
from kehou.plugins.course_catalogue.lottery import draw
from kehou.plugins.course_catalogue.models import (
    SELECTION_MODE_LABELS,
    Entry,
    EntryStatus,
    Menu,
    MenuStatus,
    Offering,
    OfferingStatus,
    Slot,
)
from kehou.plugins.course_catalogue.timewindow import WEEKDAYS, fmt_hhmm, latest_end, menu_problems, overlaps, parse_hhmm
from kehou.timeutil import as_utc, clock, fmt_local, local, utcnow

KIND_GRADES = {"primary": set(range(1, 7)), "junior": set(range(7, 10)), "nine_year": set(range(1, 10))}


@dataclass(frozen=True)
class MenuInput:
    opens_at: dt.datetime
    closes_at: dt.datetime
    service_start: str  # "15:40"
    service_end: str
    homework_minutes: int = 0
    term_day: dt.date | None = None  # a day in the term the menu is for (default: today)
    selection_mode: str = ""  # first_come | ranked_lottery (default: the county's catalogue.selection_mode_default)


@dataclass(frozen=True)
class SlotInput:
    weekday: int
    start: str


@dataclass(frozen=True)
class PlaceInput:
    offering_id: int
    venue: str
    capacity: int
    slots: list[SlotInput]
    grades: list[int] = field(default_factory=list)  # default: the offering's grades this school has


def _hhmm(value: str, field_name: str) -> int:
    try:
        return parse_hhmm(value)
    except ValueError:
        raise ValidationFailed("时刻须为 HH:MM 格式，如 16:30。", code="time_invalid", field=field_name) from None


def _raise_first(problems: list[tuple[str, str, str]]) -> None:
    if problems:
        code, field_name, _ = problems[0]
        raise ValidationFailed("；".join(p[2] for p in problems), code=code, field=field_name)


def create_menu(ctx: Context, session: Session, actor: Actor, school_id: int, d: MenuInput) -> Menu:
    school = school_of(session, actor, school_id)
    settings = policy.resolve_all(session, ctx.registry, school.county_code)
    require_enabled(settings)
    start, end = _hhmm(d.service_start, "service_start"), _hhmm(d.service_end, "service_end")
    _raise_first(menu_problems(school.kind, start, end, d.homework_minutes, settings))
    day = d.term_day or clock.today_local()
    default = ctx.hook_for_settings(settings, "kehou_term_for_date")(county_code=school.county_code, day=day)
    term = terms.term_for(settings, default, day)
    opens, closes = as_utc(d.opens_at), as_utc(d.closes_at)
    if closes <= opens:
        raise ValidationFailed("选课截止时间须晚于开始时间。", code="window_invalid", field="closes_at")
    if local(closes).date() > term.end:
        raise ValidationFailed(f"选课须在学期结束（{term.end}）前截止。", code="window_after_term", field="closes_at")
    mode = d.selection_mode or settings["catalogue.selection_mode_default"]
    allowed = settings["catalogue.selection_modes"]
    if mode not in allowed:
        raise ValidationFailed(f"本区县学校可采用的选课方式为：{'、'.join(SELECTION_MODE_LABELS.get(m, m) for m in allowed)}。",
                               code="selection_mode_not_allowed", field="selection_mode")
    menu = Menu(school_id=school.id, county_code=school.county_code, term_name=term.name, term_start=term.start,
                term_end=term.end, service_start=start, service_end=end, homework_minutes=d.homework_minutes,
                opens_at=opens, closes_at=closes, status=MenuStatus.draft, created_at=utcnow(), selection_mode=mode)
    session.add(menu)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"本校已有「{term.name}」的课程超市。", code="menu_exists") from None
    audit.record(session, actor, county_code=school.county_code, action="menu.create", entity_type="course_menu",
                 entity_id=menu.id, new={"term": term.name, "opens_at": opens, "closes_at": closes,
                                         "service": f"{d.service_start}-{d.service_end}"})
    session.commit()
    return menu


def get_menu(session: Session, actor: Actor, menu_id: int, *, lock: bool = False) -> Menu:
    stmt = select(Menu).where(Menu.id == menu_id)
    menu = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if menu is None:
        raise NotFound("课程超市不存在。", code="menu_not_found")
    try:
        school_of(session, actor, menu.school_id)
    except NotFound:  # another school's menu: do not reveal it exists
        raise NotFound("课程超市不存在。", code="menu_not_found") from None
    return menu


def menus_of_school(session: Session, actor: Actor, school_id: int) -> list[Menu]:
    school_of(session, actor, school_id)
    return list(session.scalars(select(Menu).where(Menu.school_id == school_id).order_by(Menu.term_start.desc())))


def _instructor_clash(session: Session, instructor_id: int, menu: Menu, slots: list[tuple[int, int, int]]) -> str | None:
    """Called with the instructor's row locked: another active slot of the same person, anywhere in the
    county, on the same weekday, overlapping in time and in term dates."""
    rows = session.execute(
        select(Slot, Entry, School.name).join(Entry, Entry.id == Slot.entry_id).join(School, School.id == Entry.school_id)
        .where(Slot.instructor_id == instructor_id, Slot.active.is_(True), Slot.weekday.in_([w for w, _, _ in slots]),
               Slot.term_start <= menu.term_end, Slot.term_end >= menu.term_start)).all()
    for slot, entry, school_name in rows:
        for weekday, start, end in slots:
            if slot.weekday == weekday and overlaps(start, end, slot.start_min, slot.end_min):
                return (f"该教师{WEEKDAYS[weekday]}{fmt_hhmm(slot.start_min)}-{fmt_hhmm(slot.end_min)}已在"
                        f"{school_name}授课（课程编号{entry.id}），同一时间不能在两处上课。")
    return None


def _slots(d: PlaceInput, offering: Offering, menu: Menu, school: School, grades: list[int],
           settings: dict[str, Any]) -> list[tuple[int, int, int]]:
    if len(d.slots) != offering.sessions_per_week:
        raise ValidationFailed(f"该课程每周{offering.sessions_per_week}次，请安排{offering.sessions_per_week}个时段。",
                               code="slot_count_mismatch", field="slots")
    limit = latest_end(school.kind, grades, settings)
    out: list[tuple[int, int, int]] = []
    for i, s in enumerate(d.slots):
        if s.weekday not in range(5):
            raise ValidationFailed("上课日须为周一至周五（0-4）。", code="weekday_invalid", field=f"slots[{i}].weekday")
        start = _hhmm(s.start, f"slots[{i}].start")
        end = start + offering.minutes
        if start < menu.service_start or end > menu.service_end:
            raise ValidationFailed(f"{WEEKDAYS[s.weekday]}{fmt_hhmm(start)}-{fmt_hhmm(end)}不在本校课后服务时段"
                                   f"（{fmt_hhmm(menu.service_start)}-{fmt_hhmm(menu.service_end)}）内。",
                                   code="slot_outside_service", field=f"slots[{i}].start")
        if end > limit:
            raise ValidationFailed(f"该年级课后服务须在{fmt_hhmm(limit)}前结束。", code="slot_too_late",
                                   field=f"slots[{i}].start")
        if any(w == s.weekday and overlaps(start, end, a, b) for w, a, b in out):
            raise ValidationFailed("同一课程的两个时段重叠。", code="slots_overlap", field=f"slots[{i}].start")
        out.append((s.weekday, start, end))
    return out


def place(ctx: Context, session: Session, actor: Actor, menu_id: int, d: PlaceInput) -> Entry:
    menu = get_menu(session, actor, menu_id, lock=True)
    if utcnow() >= as_utc(menu.closes_at):
        raise Conflict("选课已截止，不能再添加课程。", code="menu_closed")
    school = session.get(School, menu.school_id)
    assert school is not None
    offering = session.get(Offering, d.offering_id)
    categories = admitted_categories(session, offering.provider_id, menu.county_code) if offering else None
    if (offering is None or offering.county_code != menu.county_code or offering.status != OfferingStatus.approved
            or categories is None or offering.category not in categories):
        raise NotFound("没有该课程，或其机构未准入、已暂停。", code="offering_not_found", field="offering_id")
    eligible = sorted(set(offering.grades) & KIND_GRADES[school.kind])
    grades = sorted(set(d.grades)) if d.grades else eligible
    if not grades or not set(grades) <= set(eligible):
        raise ValidationFailed("开放年级须是该课程适用、且本校开设的年级。", code="grades_invalid", field="grades")
    if not 1 <= d.capacity <= offering.capacity:
        raise ValidationFailed(f"班额须为1到{offering.capacity}人（机构设定的上限）。", code="capacity_invalid", field="capacity")
    if not d.venue.strip() or len(d.venue) > 100:
        raise ValidationFailed("请填写上课地点（不超过100字）。", code="venue_invalid", field="venue")
    settings = policy.resolve_all(session, ctx.registry, menu.county_code)
    slots = _slots(d, offering, menu, school, grades, settings)
    calendar = load_calendar(session, menu.county_code)  # the whole term's lessons, whatever today's date
    count = sum(len(terms.lesson_days(settings, calendar, menu.term_start, menu.term_end, w)) for w, _, _ in slots)
    offerings.policy_check(ctx, session, offerings.snapshot_of(offering, term_lessons=count, term_name=menu.term_name,
                                                               stage="place"), settings)
    # The instructor's row is the lock that keeps one person out of two schools at the same time.
    session.scalars(select(Staff).where(Staff.id == offering.instructor_id).with_for_update()).one()
    clash = _instructor_clash(session, offering.instructor_id, menu, slots)
    if clash:
        raise Conflict(clash, code="instructor_double_booked", field="slots")
    entry = Entry(menu_id=menu.id, school_id=school.id, county_code=menu.county_code, offering_id=offering.id,
                  provider_id=offering.provider_id, instructor_id=offering.instructor_id, venue=d.venue.strip(),
                  grades=grades, capacity=d.capacity, enrolled=0, fee_fen=offering.fee_fen,
                  materials_fee_fen=offering.materials_fee_fen, status=EntryStatus.open, created_at=utcnow())
    session.add(entry)
    session.flush()
    for weekday, start, end in slots:
        session.add(Slot(entry_id=entry.id, instructor_id=entry.instructor_id, term_start=menu.term_start,
                         term_end=menu.term_end, weekday=weekday, start_min=start, end_min=end, active=True))
    session.flush()
    if menu.status == MenuStatus.published:
        lessons.schedule(session, settings, menu, entry)
        contracts.ensure_service(ctx, session, actor, menu, entry.provider_id)  # the changed course list voids signatures
    audit.record(session, actor, county_code=menu.county_code, action="menu.place", entity_type="course_entry",
                 entity_id=entry.id, new={"menu_id": menu.id, "offering_id": offering.id, "venue": entry.venue,
                                          "capacity": entry.capacity, "grades": grades, "fee_fen": entry.fee_fen,
                                          "slots": [f"{WEEKDAYS[w]} {fmt_hhmm(a)}-{fmt_hhmm(b)}" for w, a, b in slots]})
    session.commit()
    return entry


def remove(session: Session, actor: Actor, entry_id: int, reason: str = "") -> None:
    """Take a course off a menu that is still a draft (after publishing, cancel it instead)."""
    entry = session.get(Entry, entry_id)
    if entry is None:
        raise NotFound("课程不存在。", code="entry_not_found")
    menu = get_menu(session, actor, entry.menu_id, lock=True)
    if menu.status != MenuStatus.draft:
        raise Conflict("课程超市已发布，请改为取消开班。", code="menu_published")
    for slot in session.scalars(select(Slot).where(Slot.entry_id == entry.id)):
        session.delete(slot)
    session.flush()
    session.delete(entry)
    audit.record(session, actor, county_code=menu.county_code, action="menu.remove", entity_type="course_entry",
                 entity_id=entry_id, reason=reason, old={"offering_id": entry.offering_id})
    session.commit()


def publish(ctx: Context, session: Session, actor: Actor, menu_id: int) -> Menu:
    menu = get_menu(session, actor, menu_id, lock=True)
    if menu.status == MenuStatus.published:
        return menu
    entries = list(session.scalars(select(Entry).where(Entry.menu_id == menu.id, Entry.status == EntryStatus.open)))
    if not entries:
        raise Conflict("课程超市里还没有课程。", code="menu_empty")
    if utcnow() >= as_utc(menu.closes_at):
        raise Conflict("选课截止时间已过，请先修改选课时间。", code="window_passed")
    settings = policy.resolve_all(session, ctx.registry, menu.county_code)
    school = session.get(School, menu.school_id)
    assert school is not None
    _raise_first(menu_problems(school.kind, menu.service_start, menu.service_end, menu.homework_minutes, settings))
    menu.status, menu.published_at = MenuStatus.published, utcnow()
    if menu.selection_mode == "ranked_lottery":  # committed to before anyone chooses; revealed at the draw
        menu.draw_seed = draw.new_seed()
        menu.draw_commitment = draw.commitment(menu.draw_seed)
    count = sum(lessons.schedule(session, settings, menu, e) for e in entries)
    told = _tell_parents(session, menu, school.name)
    for made in contracts.ensure_services(ctx, session, actor, menu):
        notify_provider_users(session, int(made.provider_id or 0), "服务协议待签署",
                              f"{school.name}{menu.term_name}的服务协议已生成，"
                              "请在开课前签署；双方签署后授课人员方可签到。", f"/agreements/{made.id}")
    audit.record(session, actor, county_code=menu.county_code, action="menu.publish", entity_type="course_menu",
                 entity_id=menu.id, old={"status": MenuStatus.draft},
                 new={"status": MenuStatus.published, "entries": len(entries), "lessons": count, "parents_told": told,
                      "selection_mode": menu.selection_mode}
                 | ({"draw_commitment": menu.draw_commitment} if menu.draw_commitment else {}))
    session.commit()
    return menu


def _tell_parents(session: Session, menu: Menu, school_name: str) -> int:
    """One message to every guardian of the school's students: the menu and its selection window."""
    users = set(session.scalars(select(Guardian.user_id).join(Student, Student.id == Guardian.student_id)
                                .where(Student.school_id == menu.school_id)))
    body = f"{school_name}{menu.term_name}课程超市已发布，选课时间：{fmt_local(menu.opens_at)} 至 {fmt_local(menu.closes_at)}。"
    now = utcnow()
    session.add_all(Notification(user_id=uid, title="课程超市已发布", body=body, link="/parent", created_at=now) for uid in users)
    return len(users)
