"""A family's ranked choices on a ranked-lottery menu: saved as a whole list while the window is open, changed as
often as wanted until it closes (when within the window a list was saved decides nothing), acknowledged with
what the platform already sees wrong (a course not for the child's grade, two choices at the same time: the
binding checks happen at allocation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.policy import services as policy
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue.access import require_enabled
from kehou.plugins.course_catalogue.models import Entry, EntryStatus, Menu, MenuStatus, Offering, RankedChoice, Slot
from kehou.plugins.course_catalogue.timewindow import WEEKDAYS, fmt_hhmm, overlaps
from kehou.timeutil import as_utc, fmt_local, utcnow


@dataclass(frozen=True)
class Saved:
    entry_ids: list[int]
    saved_at: Any  # datetime (UTC) of the list in force, None when nothing is saved
    warnings: list[str]


def menu_for(session: Session, child_school: int, menu_id: int) -> Menu:
    """The published ranked-lottery menu of the child's school."""
    menu = session.get(Menu, menu_id)
    if menu is None or menu.school_id != child_school or menu.status != MenuStatus.published:
        raise NotFound("没有该课程超市。", code="menu_not_found")
    if menu.selection_mode != "ranked_lottery":
        raise Conflict("本课程超市按先到先得选课，请直接选课。", code="menu_not_ranked")
    return menu


def current(session: Session, actor: Actor, student_id: int, menu_id: int) -> Saved:
    child = students.child_of(session, actor, student_id)
    menu_for(session, child.school_id, menu_id)
    rows = list(session.scalars(select(RankedChoice).where(RankedChoice.menu_id == menu_id,
                                                           RankedChoice.student_id == child.id).order_by(RankedChoice.rank)))
    ids = [r.entry_id for r in rows]
    return Saved(ids, rows[0].saved_at if rows else None, warnings(session, child.grade, ids))


def save(ctx: Context, session: Session, actor: Actor, student_id: int, menu_id: int, entry_ids: list[int]) -> Saved:
    """Replace the child's list with ``entry_ids`` (most wanted first); an empty list withdraws it."""
    child = students.child_of(session, actor, student_id, lock=True)
    menu = menu_for(session, child.school_id, menu_id)
    settings = policy.resolve_all(session, ctx.registry, menu.county_code)
    require_enabled(settings)
    state = window_state(menu)
    if state == "not_open":
        raise Conflict(f"填报志愿尚未开始（{fmt_local(menu.opens_at)} 开始）。", code="selection_not_open")
    if state == "closed":
        raise Conflict("填报志愿已截止。", code="selection_closed")
    now = utcnow()
    most = int(settings["catalogue.ranked_max_choices"])
    if len(entry_ids) > most:
        raise ValidationFailed(f"最多填报{most}个志愿。", code="too_many_choices", field="entry_ids")
    if len(set(entry_ids)) != len(entry_ids):
        raise ValidationFailed("同一课程只能填报一次。", code="choice_repeated", field="entry_ids")
    open_ids = set(session.scalars(select(Entry.id).where(Entry.menu_id == menu.id, Entry.status == EntryStatus.open,
                                                          Entry.id.in_(entry_ids or [0]))))
    missing = [i for i in entry_ids if i not in open_ids]
    if missing:
        raise ValidationFailed("所选课程不在本课程超市中，或已停止开放。", code="entry_not_found", field="entry_ids")
    old = [r.entry_id for r in session.scalars(select(RankedChoice).where(
        RankedChoice.menu_id == menu.id, RankedChoice.student_id == child.id).order_by(RankedChoice.rank))]
    session.execute(delete(RankedChoice).where(RankedChoice.menu_id == menu.id, RankedChoice.student_id == child.id))
    for rank, entry_id in enumerate(entry_ids, start=1):
        session.add(RankedChoice(menu_id=menu.id, student_id=child.id, entry_id=entry_id, rank=rank, saved_at=now,
                                 saved_by=actor.user_id))
    audit.record(session, actor, county_code=menu.county_code, action="selection.rank", entity_type="student",
                 entity_id=child.id, old={"menu_id": menu.id, "choices": old},
                 new={"menu_id": menu.id, "choices": list(entry_ids)})
    session.commit()
    return Saved(list(entry_ids), now if entry_ids else None, warnings(session, child.grade, entry_ids))


def window_state(menu: Menu) -> str:
    """``not_open``, ``open`` or ``closed`` (the window is over, or the draw already published)."""
    now = utcnow()
    if now < as_utc(menu.opens_at):
        return "not_open"
    return "open" if now <= as_utc(menu.closes_at) and menu.draw_revealed_at is None else "closed"


def warnings(session: Session, grade: int, entry_ids: list[int]) -> list[str]:
    """What is already visible as wrong with a list: checked again, and binding, at allocation."""
    if not entry_ids:
        return []
    titles = dict(session.execute(select(Entry.id, Offering.title).join(Offering, Offering.id == Entry.offering_id)
                                  .where(Entry.id.in_(entry_ids))).all())
    grades = dict(session.execute(select(Entry.id, Entry.grades).where(Entry.id.in_(entry_ids))).all())
    out = [f"「{titles[i]}」不面向{grade}年级，分配时不会录取。" for i in entry_ids if grade not in (grades.get(i) or [])]
    slots = session.execute(select(Slot.entry_id, Slot.weekday, Slot.start_min, Slot.end_min).where(
        Slot.entry_id.in_(entry_ids), Slot.active.is_(True))).all()
    for i, a in enumerate(slots):
        for b in slots[i + 1:]:
            if a.entry_id != b.entry_id and a.weekday == b.weekday and overlaps(a.start_min, a.end_min, b.start_min, b.end_min):
                out.append(f"「{titles[a.entry_id]}」与「{titles[b.entry_id]}」都在{WEEKDAYS[a.weekday]}"
                           f"{fmt_hhmm(max(a.start_min, b.start_min))}上课，最多录取其中一门。")
    return out
