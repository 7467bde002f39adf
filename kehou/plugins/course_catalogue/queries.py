"""Read models for pages and the API. Everything a school or a parent sees passes the
:func:`~kehou.plugins.course_catalogue.access.admitted` filter and the category check."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.platform.actor import Actor
from kehou.platform.admission.models import WhitelistEntry
from kehou.platform.providers.models import Provider, Staff
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue.access import admitted
from kehou.plugins.course_catalogue.models import (
    ACTIVE,
    Enrolment,
    Entry,
    EntryStatus,
    Menu,
    MenuStatus,
    Offering,
    OfferingStatus,
    Slot,
)
from kehou.plugins.course_catalogue.timewindow import WEEKDAYS, fmt_hhmm
from kehou.timeutil import clock, fmt_local


def _category_ok(session: Session, rows: list[Any], county_code: str) -> set[int]:
    """Provider ids whose admitted categories cover the offering (checked in Python: JSON lists)."""
    today = clock.today_local()
    cats = {w.provider_id: set(w.categories) for w in session.scalars(select(WhitelistEntry).where(
        WhitelistEntry.county_code == county_code, WhitelistEntry.status == "active", WhitelistEntry.valid_until >= today))}
    return {o.id for o in rows if o.category in cats.get(o.provider_id, set())}


def offering_out(o: Offering, provider_name: str = "", instructor: str = "") -> dict[str, Any]:
    return {"id": o.id, "provider_id": o.provider_id, "provider_name": provider_name, "county_code": o.county_code,
            "title": o.title, "category": o.category, "description": o.description, "grades": o.grades,
            "sessions_per_week": o.sessions_per_week, "minutes": o.minutes, "capacity": o.capacity, "fee_fen": o.fee_fen,
            "materials_fee_fen": o.materials_fee_fen, "materials": o.materials, "instructor_id": o.instructor_id,
            "instructor_name": instructor, "school_requirements": o.school_requirements, "status": o.status,
            "content_check": o.content_check, "review_request": o.review_request, "review_reason": o.review_reason}


def approved_offerings(session: Session, county_code: str, q: str = "") -> list[dict[str, Any]]:
    """Offerings a school of the county may place: approved, provider admitted for the category today."""
    stmt = (select(Offering, Provider.name, Staff.name).join(Provider, Provider.id == Offering.provider_id)
            .join(Staff, Staff.id == Offering.instructor_id)
            .where(Offering.county_code == county_code, Offering.status == OfferingStatus.approved,
                   admitted(Offering.provider_id, Offering.county_code)).order_by(Offering.category, Offering.title))
    if q.strip():
        stmt = stmt.where(Offering.title.contains(q.strip()))
    rows = session.execute(stmt).all()
    ok = _category_ok(session, [r[0] for r in rows], county_code)
    return [offering_out(o, pn, sn) for o, pn, sn in rows if o.id in ok]


def slots_of(session: Session, entry_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in entry_ids}
    if entry_ids:
        for s in session.scalars(select(Slot).where(Slot.entry_id.in_(entry_ids), Slot.active.is_(True))
                                 .order_by(Slot.weekday, Slot.start_min)):
            out[s.entry_id].append({"weekday": s.weekday, "weekday_label": WEEKDAYS[s.weekday],
                                    "start": fmt_hhmm(s.start_min), "end": fmt_hhmm(s.end_min)})
    return out


def entry_out(
    entry: Entry, offering: Offering, provider_name: str, instructor: str, slots: list[dict[str, Any]]
) -> dict[str, Any]:
    return {"id": entry.id, "menu_id": entry.menu_id, "school_id": entry.school_id, "offering_id": offering.id,
            "title": offering.title, "category": offering.category, "description": offering.description,
            "provider_name": provider_name, "instructor_name": instructor, "venue": entry.venue, "grades": entry.grades,
            "capacity": entry.capacity, "enrolled": entry.enrolled, "seats_left": max(entry.capacity - entry.enrolled, 0),
            "fee_fen": entry.fee_fen, "materials_fee_fen": entry.materials_fee_fen, "materials": offering.materials,
            "school_requirements": offering.school_requirements, "status": entry.status, "flag": entry.flag,
            "slots": slots}


def entries(session: Session, *, menu_id: int | None = None, school_id: int | None = None, published_only: bool = False,
            grade: int | None = None, q: str = "", include_closed: bool = False) -> list[dict[str, Any]]:
    """Entries whose provider is admitted today (always), optionally for one grade or matching a title."""
    stmt = (select(Entry, Offering, Provider.name, Staff.name).join(Offering, Offering.id == Entry.offering_id)
            .join(Provider, Provider.id == Entry.provider_id).join(Staff, Staff.id == Entry.instructor_id)
            .join(Menu, Menu.id == Entry.menu_id).where(admitted(Entry.provider_id, Entry.county_code)))
    if menu_id is not None:
        stmt = stmt.where(Entry.menu_id == menu_id)
    if school_id is not None:
        stmt = stmt.where(Entry.school_id == school_id)
    if published_only:
        stmt = stmt.where(Menu.status == MenuStatus.published)
    if not include_closed:
        stmt = stmt.where(Entry.status == EntryStatus.open)
    if q.strip():
        stmt = stmt.where(Offering.title.contains(q.strip()))
    rows = session.execute(stmt.order_by(Offering.category, Offering.title, Entry.id)).all()
    if rows:
        ok = _category_ok(session, [r[1] for r in rows], rows[0][0].county_code)
        rows = [r for r in rows if r[1].id in ok and (grade is None or grade in r[0].grades)]
    slots = slots_of(session, [r[0].id for r in rows])
    return [entry_out(e, o, pn, sn, slots[e.id]) for e, o, pn, sn in rows]


def menu_out(m: Menu) -> dict[str, Any]:
    return {"id": m.id, "school_id": m.school_id, "term_name": m.term_name, "term_start": m.term_start.isoformat(),
            "term_end": m.term_end.isoformat(), "service_start": fmt_hhmm(m.service_start),
            "service_end": fmt_hhmm(m.service_end),
            "homework_minutes": m.homework_minutes, "opens_at": m.opens_at.isoformat(), "closes_at": m.closes_at.isoformat(),
            "opens_at_local": fmt_local(m.opens_at), "closes_at_local": fmt_local(m.closes_at), "status": m.status,
            "selection_mode": m.selection_mode, "draw_commitment": m.draw_commitment or None,
            "draw_seed": m.draw_seed if m.draw_revealed_at is not None else None}  # the seed only once revealed


def menus_for_child(session: Session, actor: Actor, student_id: int) -> list[Menu]:
    child = students.child_of(session, actor, student_id)
    return list(session.scalars(select(Menu).where(Menu.school_id == child.school_id, Menu.status == MenuStatus.published,
                                                   Menu.term_end >= clock.today_local()).order_by(Menu.term_start)))


def choices_for_child(session: Session, actor: Actor, student_id: int, q: str = "") -> list[dict[str, Any]]:
    """Open courses of the child's school for the child's grade, with the child's own status on each."""
    child = students.child_of(session, actor, student_id)
    rows = entries(session, school_id=child.school_id, published_only=True, grade=child.grade, q=q)
    mine = dict(session.execute(select(Enrolment.entry_id, Enrolment.status).where(
        Enrolment.student_id == child.id, Enrolment.status.in_(ACTIVE))).all())
    for r in rows:
        r["my_status"] = mine.get(r["id"])
    return rows


def roster(session: Session, entry_id: int) -> list[dict[str, Any]]:
    from kehou.platform.students.models import Student

    rows = session.execute(select(Enrolment, Student).join(Student, Student.id == Enrolment.student_id)
                           .where(Enrolment.entry_id == entry_id, Enrolment.status.in_(ACTIVE))
                           .order_by(Enrolment.status, Enrolment.requested_at, Enrolment.id)).all()
    from kehou.plugins.course_catalogue.agreements import status_of

    signed = status_of(session, [e.id for e, _ in rows])  # the tripartite agreement: none | draft | signed | terminated
    return [{"enrolment_id": e.id, "student_id": s.id, "name": s.name, "grade": s.grade, "class_name": s.class_name,
             "status": e.status, "source": e.source, "agreement": signed[e.id]} for e, s in rows]
