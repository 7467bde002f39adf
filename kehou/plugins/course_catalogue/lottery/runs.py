"""Allocating a ranked-lottery menu once its window has closed: the families' lists, the school's open courses and
the county's rules go to :func:`lottery.allocate.allocate` with the seed committed to at publication; the run is
stored with every decision for the school to review, may be run again before publishing (same seed, same inputs,
same result), and publishing enrols through the normal enrolment records and events, reveals the seed and tells
each family what happened and why."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.notifications.models import Notification
from kehou.platform.policy import services as policy
from kehou.platform.students import services as students
from kehou.platform.students.models import Guardian, Student
from kehou.pluginapi import EnrolledCourse, EnrollmentRequest
from kehou.plugins.course_catalogue.access import require_enabled
from kehou.plugins.course_catalogue.lottery import allocate, draw
from kehou.plugins.course_catalogue.menus import get_menu
from kehou.plugins.course_catalogue.models import (
    AllocationRun,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Entry,
    EntryStatus,
    Menu,
    Offering,
    RankedChoice,
    Slot,
)
from kehou.timeutil import as_utc, utcnow


def _ranked_menu(session: Session, actor: Actor, menu_id: int) -> Menu:
    menu = get_menu(session, actor, menu_id, lock=True) if actor.role != "system" else session.get(Menu, menu_id)
    if menu is None:
        raise NotFound("课程超市不存在。", code="menu_not_found")
    if menu.selection_mode != "ranked_lottery":
        raise Conflict("本课程超市按先到先得选课，无需摇号分配。", code="menu_not_ranked")
    return menu


def rules_of(settings: Mapping[str, Any]) -> allocate.Rules:
    priority = settings["catalogue.lottery_priority"]
    return allocate.Rules(course_limit=int(settings["catalogue.lottery_rounds"]), snake=bool(settings["catalogue.lottery_snake"]),
                          priority="reserved" if priority == "reserved" else "first",
                          reserved_percent=int(settings["catalogue.lottery_reserved_percent"]) if priority == "reserved" else 0,
                          boost_nothing_last_term=bool(settings["catalogue.lottery_boost_empty_handed"]),
                          siblings_together=bool(settings["catalogue.lottery_siblings_together"]))


def _inputs(ctx: Context, session: Session, menu: Menu
            ) -> tuple[list[allocate.Course], list[allocate.Child], dict[str, int], dict[int, str]]:
    """The open courses, the children with lists, their draw references (-> student id) and each course's
    category."""
    entries = session.execute(select(Entry, Offering.title, Offering.category).join(Offering, Offering.id == Entry.offering_id)
                              .where(Entry.menu_id == menu.id, Entry.status == EntryStatus.open)).all()
    slots: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for s in session.scalars(select(Slot).where(Slot.entry_id.in_([e.id for e, _, _ in entries] or [0]), Slot.active.is_(True))):
        slots[s.entry_id].append((s.weekday, s.start_min, s.end_min))
    courses = [allocate.Course(e.id, title, max(e.capacity - e.enrolled, 0), frozenset(e.grades), tuple(sorted(slots[e.id])),
                               e.fee_fen) for e, title, _ in entries]
    categories = {e.id: category for e, _, category in entries}
    lists: dict[int, list[int]] = defaultdict(list)
    for row in session.scalars(select(RankedChoice).where(RankedChoice.menu_id == menu.id).order_by(
            RankedChoice.student_id, RankedChoice.rank)):
        lists[row.student_id].append(row.entry_id)
    kids = {s.id: s for s in session.scalars(select(Student).where(Student.id.in_(list(lists) or [0])))}
    guardians: dict[int, int] = {}
    pairs = session.execute(select(Guardian.student_id, Guardian.user_id).where(Guardian.student_id.in_(list(kids) or [0])))
    for sid, uid in pairs:
        guardians[sid] = min(uid, guardians.get(sid, uid))
    empty_handed = empty_handed_last_term(session, menu, list(kids))
    secret = ctx.settings.security.secret_key
    refs: dict[str, int] = {}
    children = []
    for sid in sorted(lists):
        kid = kids[sid]
        ref = draw.draw_ref(secret, menu.id, sid)
        refs[ref] = sid
        family = draw.draw_ref(secret, menu.id, -guardians[sid])[:8] if sid in guardians else None  # pseudonymous
        children.append(allocate.Child(ref, kid.grade, tuple(lists[sid]), tier=1 if kid.priority_group else 0,
                                       nothing_last_term=sid in empty_handed, family=family))
    return courses, children, refs, categories


def empty_handed_last_term(session: Session, menu: Menu, student_ids: Sequence[int]) -> set[int]:
    """The children who wanted courses on the school's menus of the term before this one (ranked a list, asked
    for a seat or waited for one) and got none."""
    earlier = session.scalars(select(Menu.term_name).where(Menu.school_id == menu.school_id, Menu.term_end < menu.term_start,
                                                           Menu.status == "published").order_by(Menu.term_end.desc())).first()
    if earlier is None or not student_ids:
        return set()
    menus = select(Menu.id).where(Menu.school_id == menu.school_id, Menu.term_name == earlier)
    entries = select(Entry.id).where(Entry.menu_id.in_(menus))
    wanted = set(session.scalars(select(RankedChoice.student_id).where(RankedChoice.menu_id.in_(menus),
                                                                       RankedChoice.student_id.in_(student_ids))))
    got: set[int] = set()
    for sid, enrolled_at in session.execute(select(Enrolment.student_id, Enrolment.enrolled_at).where(
            Enrolment.entry_id.in_(entries), Enrolment.student_id.in_(student_ids))):
        wanted.add(sid)
        if enrolled_at is not None:
            got.add(sid)
    return wanted - got


def _validator(ctx: Context, menu: Menu, settings: Mapping[str, Any], refs: Mapping[str, int],
               categories: Mapping[int, str]) -> allocate.Validate:
    """The county's enrolment rules (``kehou_validate_enrollment``: the fee cap …) for one more course."""
    hook = ctx.hook_for_settings(settings, "kehou_validate_enrollment")

    def check(child: allocate.Child, held: Sequence[allocate.Course], course: allocate.Course) -> str | None:
        def of(c: allocate.Course) -> EnrolledCourse:
            return EnrolledCourse(c.entry_id, c.title, categories.get(c.entry_id, ""), c.fee_fen, 0)

        request = EnrollmentRequest(student_id=refs[child.ref], school_id=menu.school_id, county_code=menu.county_code,
                                    term_name=menu.term_name, course=of(course), current=tuple(of(h) for h in held),
                                    waitlist=False)
        refusals = [r for answer in hook(enrollment=request, policy=settings) for r in answer or []]
        return "；".join(r.message for r in refusals) or None

    return check


def run(ctx: Context, session: Session, actor: Actor, menu_id: int) -> AllocationRun:
    """Allocate (again) the menu's seats from the families' lists. Only after the window closed, before publishing."""
    menu = _ranked_menu(session, actor, menu_id)
    if utcnow() <= as_utc(menu.closes_at):
        raise Conflict("填报志愿尚未截止，截止后才能分配。", code="selection_still_open")
    if menu.draw_revealed_at is not None:
        raise Conflict("分配结果已发布，不能重新分配。", code="allocation_published")
    settings = policy.resolve_all(session, ctx.registry, menu.county_code)
    require_enabled(settings)
    courses, children, refs, categories = _inputs(ctx, session, menu)
    rules = rules_of(settings)
    result = allocate.allocate(menu.draw_seed, courses, children, rules, _validator(ctx, menu, settings, refs, categories))
    session.execute(update(AllocationRun).where(AllocationRun.menu_id == menu.id, AllocationRun.status == "draft")
                    .values(status="superseded"))
    tiers, families = allocate.draw_inputs(children, rules)
    made = AllocationRun(menu_id=menu.id, status="draft", result=_json(result) | {"tiers": tiers, "families": families},
                         refs=refs, created_at=utcnow(), created_by=actor.user_id)
    session.add(made)
    session.flush()
    audit.record(session, actor, county_code=menu.county_code, action="selection.allocate", entity_type="course_menu",
                 entity_id=menu.id, new={"run_id": made.id, "children": len(children),
                                         "assigned": sum(len(v) for v in result.assigned.values())})
    session.commit()
    return made


def allocate_due(ctx: Context, session: Session) -> int:
    """Run the allocation of every published ranked-lottery menu whose window closed and that has none."""
    due = session.scalars(select(Menu.id).where(Menu.selection_mode == "ranked_lottery", Menu.draw_revealed_at.is_(None),
                                                Menu.draw_commitment != "", Menu.closes_at < utcnow(),
                                                ~select(AllocationRun.id).where(AllocationRun.menu_id == Menu.id).exists())).all()
    for menu_id in due:
        run(ctx, session, Actor.system("selection-allocator"), menu_id)
    return len(due)


def _json(result: allocate.Result) -> dict[str, Any]:
    return dict(json.loads(result.canonical()))


def latest(session: Session, actor: Actor, menu_id: int) -> AllocationRun | None:
    _ranked_menu(session, actor, menu_id)
    return session.scalars(select(AllocationRun).where(AllocationRun.menu_id == menu_id, AllocationRun.status != "superseded")
                           .order_by(AllocationRun.id.desc())).first()


def summary(session: Session, made: AllocationRun) -> dict[str, Any]:
    """What the school reviews: each course's fill, each child's outcome with its reasons, who got nothing."""
    result = made.result
    entries = {e.id: (e, title) for e, title in session.execute(
        select(Entry, Offering.title).join(Offering, Offering.id == Entry.offering_id).where(Entry.menu_id == made.menu_id))}
    names = dict(session.execute(select(Student.id, Student.name).where(Student.id.in_(list(made.refs.values()) or [0]))).all())
    reasons: dict[str, list[str]] = defaultdict(list)
    for ref, tier in result.get("tiers", {}).items():  # tier = 2 × priority group + drawn early for last term
        reasons[ref] += [why for bit, why in ((2, "属优先保障群体，排在抽签顺序前面"), (1, "上学期未获任何课程，抽签优先"))
                         if tier & bit]
    for d in result["decisions"]:
        title = entries[d["entry_id"]][1] if d["entry_id"] in entries else str(d["entry_id"])
        word = allocate.OUTCOMES.get(d["outcome"], d["outcome"])
        detail = f"（{d['detail']}）" if d["detail"] else ""
        reasons[d["ref"]].append(f"第{d['round']}轮 第{d['rank']}志愿「{title}」：{word}{detail}")
    children = [{"ref": ref, "student_id": made.refs[ref], "name": names.get(made.refs[ref], ""), "position": i + 1,
                 "assigned": [entries[e][1] for e in result["assigned"].get(ref, []) if e in entries],
                 "reasons": reasons[ref]} for i, ref in enumerate(result["order"])]
    courses = [{"entry_id": eid, "title": title, "capacity": e.capacity, "filled": result["filled"].get(str(eid), 0)}
               for eid, (e, title) in sorted(entries.items())]
    return {"run_id": made.id, "status": made.status, "seed_revealed": made.status == "published",
            "courses": courses, "children": children, "nothing": [c for c in children if not c["assigned"]]}


def _insert_many(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), _CHUNK):
        session.execute(insert(model), rows[i:i + _CHUNK])


_CHUNK = 5000


def _enrol_all(session: Session, actor: Actor, made: AllocationRun, now: dt.datetime) -> int:
    """Take every assigned seat (one guarded update per course), then write the enrolments and their events in
    bulk: a county's publication is tens of thousands of rows."""
    pairs = [(made.refs[ref], entry_id) for ref, entry_ids in made.result["assigned"].items() for entry_id in entry_ids]
    per_entry = Counter(entry_id for _, entry_id in pairs)
    for entry_id, n in sorted(per_entry.items()):  # in id order, as every writer locks entries
        taken = session.execute(update(Entry).where(Entry.id == entry_id, Entry.status == EntryStatus.open,
                                                    Entry.enrolled + n <= Entry.capacity)
                                .values(enrolled=Entry.enrolled + n).execution_options(synchronize_session=False))
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("有课程的名额在分配后发生变化，请重新分配。", code="seats_changed")
    rows = [{"entry_id": e, "student_id": sid, "status": EnrolmentStatus.enrolled, "source": "lottery", "requested_at": now,
             "enrolled_at": now, "ended_reason": ""} for sid, e in pairs]
    ids: list[Any] = []
    for i in range(0, len(rows), _CHUNK):
        ids += session.execute(insert(Enrolment).returning(Enrolment.id, Enrolment.entry_id, Enrolment.student_id),
                               rows[i:i + _CHUNK]).all()
    reason = f"摇号分配第{made.id}次"
    _insert_many(session, EnrolmentEvent, [
        {"enrolment_id": eid, "entry_id": entry_id, "student_id": sid, "action": "enrol", "old_status": None,
         "new_status": EnrolmentStatus.enrolled, "actor_id": actor.user_id, "actor_role": actor.role, "reason": reason,
         "ip": actor.ip, "at": now} for eid, entry_id, sid in ids])
    return len(ids)


def publish(ctx: Context, session: Session, actor: Actor, run_id: int) -> AllocationRun:
    """Enrol every assignment of the run (normal enrolment records and events, seats taken), reveal the seed and
    tell each family the outcome with its reasons. Once only."""
    made = session.get(AllocationRun, run_id)
    if made is None:
        raise NotFound("分配结果不存在。", code="run_not_found")
    menu = _ranked_menu(session, actor, made.menu_id)
    if made.status != "draft" or menu.draw_revealed_at is not None:
        raise Conflict("该分配结果已发布或已被新的分配取代。", code="run_not_draft")
    now = utcnow()
    enrolled = _enrol_all(session, actor, made, now)
    made.status, made.published_at = "published", now
    menu.draw_revealed_at = now
    told = summary(session, made)
    guardians = students.guardian_user_ids(session, [c["student_id"] for c in told["children"]])
    notes = []
    for child in told["children"]:
        outcome = "、".join(f"「{t}」" for t in child["assigned"]) or "未录取任何课程"
        body = f"{child['name']}：{outcome}。" + "；".join(child["reasons"])
        notes += [{"user_id": uid, "title": "选课摇号结果", "body": body, "link": f"/parent/children/{child['student_id']}",
                   "created_at": now} for uid in guardians.get(child["student_id"], [])]
    _insert_many(session, Notification, notes)
    audit.record(session, actor, county_code=menu.county_code, action="selection.publish", entity_type="course_menu",
                 entity_id=menu.id, new={"run_id": made.id, "enrolled": enrolled, "draw_seed": menu.draw_seed})
    session.commit()
    return made
