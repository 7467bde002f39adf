"""The waiting room (候场排队) at the opening of first-come selection.

Parents who arrive before a menu's window opens take a ticket (:func:`join`). At opening — the first look
at the room after ``opens_at`` (:func:`look`) — the early tickets are put in an order that only the room's
seed decides (:func:`draw_order`: SHA-256 of ``"<seed>:<ticket id>"``, ascending) and numbered 1..N, so
arriving at 19:59:59 is no better than at 19:55; later arrivals take the next number. The seed is made
with the room; waiting parents see its SHA-256 before the draw and the seed itself after it, and the draw
is in the county's audit log.

Admission runs by the clock: ``admit_per_minute`` (a county setting, fixed at the draw) parents per
minute, in steps of :data:`STEP_S` seconds from the draw, so every web worker on every server gives the
same answer from two rows and nothing lives in process memory. Enrolment refuses a parent whose number
has not come (:func:`gate`, fed by the enrolment's own first query), so calling the API directly skips
no one. Priority-group children (who may choose before opening) and mid-term joins do not queue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.policy import services as policy
from kehou.platform.students.models import Guardian, Student
from kehou.plugins.course_catalogue.access import require_enabled
from kehou.plugins.course_catalogue.models import Menu, MenuStatus, QueueRoom, QueueTicket
from kehou.timeutil import as_utc, utcnow

STEP_S = 10  # admission advances one step of parents every STEP_S seconds


@dataclass(frozen=True)
class Status:
    """What a parent sees of a menu's waiting room."""

    menu_id: int
    state: str  # off | no_ticket | before_open | waiting | admitted | closed
    opens_at: dt.datetime
    position: int | None = None
    ahead: int | None = None  # numbered tickets before this one not yet admitted
    wait_s: int | None = None  # estimate
    refresh_s: int = 30  # when the phone page should look again
    seed_sha256: str | None = None
    seed: str | None = None  # revealed at the draw
    drawn_at: dt.datetime | None = None
    early: int = 0
    must_queue: bool = False  # no ticket, the window is open and parents are waiting: take one to choose


def draw_order(seed: str, ticket_ids: Iterable[int]) -> list[int]:
    """The early tickets in drawn order: a function of the seed and the tickets only."""
    return sorted(ticket_ids, key=lambda t: hashlib.sha256(f"{seed}:{t}".encode()).hexdigest())


def admitted_through(drawn_at: dt.datetime | None, per_minute: int, now: dt.datetime) -> int:
    """The highest number let in by ``now``: one step at the draw, one more every STEP_S seconds."""
    if drawn_at is None:
        return 0
    return _per_step(per_minute) * (1 + max(0, int((now - as_utc(drawn_at)).total_seconds() // STEP_S)))


def _per_step(per_minute: int) -> int:
    return max(1, math.ceil(per_minute * STEP_S / 60))


def gate(settings: Mapping[str, Any], source: str, room: Any, now: dt.datetime) -> None:
    """Refuse a first-come enrolment while the parent's number has not come. ``room`` carries
    ``room_created_at``, ``room_drawn_at``, ``room_last_position``, ``room_admit_per_minute``,
    ``my_position`` and ``menu_id`` (outer-joined into the enrolment's first query)."""
    if source != "selection" or room.room_created_at is None or not settings["catalogue.waiting_room"]:
        return
    through = admitted_through(room.room_drawn_at, room.room_admit_per_minute, now)
    if room.room_drawn_at is not None:
        if room.my_position is not None and room.my_position <= through:
            return
        if room.my_position is None and room.room_last_position <= through:
            return  # nobody is waiting: no queue to skip
    raise Conflict("选课人数较多，正在排队入场：请在候场页面等候，轮到您后即可选课。", code="queue_waiting",
                   extra={"queue": f"/api/v1/menus/{room.menu_id}/queue", "page": f"/parent/queue/{room.menu_id}"})


def _menu_for_parent(session: Session, actor: Actor, menu_id: int) -> Menu:
    """A published menu of a school where the parent has a child."""
    actor.require("parent")
    menu = session.scalar(select(Menu).where(Menu.id == menu_id, Menu.status == MenuStatus.published, Menu.school_id.in_(
        select(Student.school_id).join(Guardian, Guardian.student_id == Student.id).where(Guardian.user_id == actor.user_id))))
    if menu is None:
        raise NotFound("没有该课程超市。", code="menu_not_found")
    return menu


def _settings(ctx: Context, session: Session, menu: Menu) -> Mapping[str, Any]:
    settings = policy.resolve_recent(session, ctx.registry, menu.county_code)
    require_enabled(settings)
    return settings


def join(ctx: Context, session: Session, actor: Actor, menu_id: int) -> Status:
    """Take a ticket (idempotent: one per parent and menu), then :func:`look`."""
    menu = _menu_for_parent(session, actor, menu_id)
    settings = _settings(ctx, session, menu)
    now = utcnow()
    if not settings["catalogue.waiting_room"]:
        return Status(menu.id, "off", menu.opens_at)
    if now > as_utc(menu.closes_at):
        raise Conflict("选课已截止。", code="selection_closed")
    if session.get(QueueRoom, menu.id) is None:
        try:
            with session.begin_nested():
                session.add(QueueRoom(menu_id=menu.id, county_code=menu.county_code, seed=secrets.token_hex(32), created_at=now,
                                      early=0, last_position=0, admit_per_minute=0))
        except IntegrityError:
            pass  # made at the same moment by another parent
    # FOR SHARE: a ticket taken while the draw runs waits for it, and the draw waits for tickets being taken,
    # so no early ticket is missed; a ticket taken after the draw is numbered by look(), at the back.
    session.scalar(select(QueueRoom.menu_id).where(QueueRoom.menu_id == menu.id).with_for_update(read=True))
    if session.scalar(select(QueueTicket.id).where(QueueTicket.menu_id == menu.id, QueueTicket.user_id == actor.user_id)) is None:
        try:
            with session.begin_nested():
                session.add(QueueTicket(menu_id=menu.id, user_id=actor.user_id, joined_at=now))
        except IntegrityError:
            pass  # the same parent on two phones
    session.commit()
    with ctx.db.read_session() as r:  # not this session: on SQLite its next statement would take the write lock again
        return look(ctx, r, actor, menu.id)


def look(ctx: Context, session: Session, actor: Actor, menu_id: int) -> Status:
    """The parent's place. At or after opening the first look draws the early tickets; a ticket without
    a number gets the next one; the first look that finds the number let in records ``admitted_at``.
    Those writes happen in write sessions of their own, after ``session``'s transaction is ended (so it may
    be a read session, and no request holds two connections at once)."""
    menu = _menu_for_parent(session, actor, menu_id)
    settings = _settings(ctx, session, menu)
    if not settings["catalogue.waiting_room"]:
        return Status(menu.id, "off", menu.opens_at)
    now = utcnow()
    room = session.get(QueueRoom, menu.id)
    ticket = session.scalar(select(QueueTicket).where(QueueTicket.menu_id == menu.id, QueueTicket.user_id == actor.user_id))
    if now > as_utc(menu.closes_at):
        return Status(menu.id, "closed", menu.opens_at)
    if room is None or ticket is None:
        crowd = room is not None and now >= as_utc(menu.opens_at) and (
            room.drawn_at is None or room.last_position > admitted_through(room.drawn_at, room.admit_per_minute, now))
        return Status(menu.id, "no_ticket", menu.opens_at, refresh_s=0, must_queue=crowd)
    commitment = hashlib.sha256(room.seed.encode()).hexdigest()
    if now < as_utc(menu.opens_at):
        until = (as_utc(menu.opens_at) - now).total_seconds()
        return Status(menu.id, "before_open", menu.opens_at, refresh_s=_refresh(until), seed_sha256=commitment)
    drawn_at, per_minute, early, seed = room.drawn_at, room.admit_per_minute, room.early, room.seed
    ticket_id, position, admitted_at = ticket.id, ticket.position, ticket.admitted_at
    menu_id, county_code, opens_at = menu.id, menu.county_code, menu.opens_at
    session.rollback()  # end the read before writing: a request never holds two connections
    if drawn_at is None:
        drawn_at, per_minute, early = draw(ctx, menu_id, county_code, opens_at, settings)
    if position is None:
        position = _number(ctx, ticket_id, menu_id)
    through = admitted_through(drawn_at, per_minute, now)
    base: dict[str, Any] = {"position": position, "seed_sha256": commitment, "seed": seed, "drawn_at": drawn_at,
                            "early": early}
    if position <= through:
        if admitted_at is None:
            with ctx.db.write_session() as w:
                w.execute(update(QueueTicket).where(QueueTicket.id == ticket_id, QueueTicket.admitted_at.is_(None))
                          .values(admitted_at=now))
                w.commit()
        return Status(menu_id, "admitted", opens_at, ahead=0, wait_s=0, refresh_s=0, **base)
    into_step = int((now - as_utc(drawn_at)).total_seconds()) % STEP_S
    wait = math.ceil((position - through) / _per_step(per_minute)) * STEP_S - into_step
    return Status(menu_id, "waiting", opens_at, ahead=position - through - 1, wait_s=wait, refresh_s=_refresh(wait), **base)


def _refresh(wait_s: float) -> int:
    """Look again in about a third of the wait (5 s to 60 s), spread so a crowd doesn't poll in step."""
    base = max(5.0, min(60.0, wait_s / 3)) if wait_s > 5 else max(1.0, wait_s)
    return max(1, round(base * random.uniform(0.8, 1.0)))


def draw(ctx: Context, menu_id: int, county_code: str, opens_at: dt.datetime,
         settings: Mapping[str, Any]) -> tuple[dt.datetime, int, int]:
    """Number the tickets taken before ``opens_at`` in the seed's order, once (the room's row lock makes it
    once), audited. Tickets taken after opening are numbered by :func:`_number` as their parents look."""
    with ctx.db.write_session() as w:
        room = w.scalar(select(QueueRoom).where(QueueRoom.menu_id == menu_id).with_for_update().execution_options(
            populate_existing=True))
        assert room is not None
        if room.drawn_at is not None:
            return room.drawn_at, room.admit_per_minute, room.early
        ids = draw_order(room.seed, w.scalars(select(QueueTicket.id).where(
            QueueTicket.menu_id == menu_id, QueueTicket.position.is_(None), QueueTicket.joined_at <= opens_at)))
        if ids:
            tickets: Table = QueueTicket.__table__  # type: ignore[assignment]
            w.connection().execute(update(tickets).where(tickets.c.id == bindparam("tid")).values(position=bindparam("pos")),
                                   [{"tid": t, "pos": i} for i, t in enumerate(ids, 1)])
        now = utcnow()
        room.drawn_at, room.early, room.last_position = now, len(ids), len(ids)
        room.admit_per_minute = int(settings["catalogue.queue_per_minute"])
        audit.record(w, Actor.system(), county_code=county_code, action="selection.queue_drawn", entity_type="menu",
                     entity_id=menu_id, reason="选课开始：开始前取号的家长按随机种子排序，依次入场",
                     new={"seed": room.seed, "early_tickets": len(ids), "admit_per_minute": room.admit_per_minute})
        w.commit()
        return now, room.admit_per_minute, len(ids)


def _number(ctx: Context, ticket_id: int, menu_id: int) -> int:
    """The next number, for a ticket taken after the draw (the room's counter, under its row lock)."""
    with ctx.db.write_session() as w:
        taken = w.scalar(select(QueueTicket.position).where(QueueTicket.id == ticket_id).with_for_update())
        if taken is not None:
            return taken  # numbered meanwhile by this parent's other phone
        position = w.execute(update(QueueRoom).where(QueueRoom.menu_id == menu_id)
                             .values(last_position=QueueRoom.last_position + 1).returning(QueueRoom.last_position)).scalar_one()
        w.execute(update(QueueTicket).where(QueueTicket.id == ticket_id).values(position=position))
        w.commit()
        return int(position)


def status_out(s: Status) -> dict[str, Any]:
    return {"menu_id": s.menu_id, "state": s.state, "opens_at": as_utc(s.opens_at).isoformat(), "position": s.position,
            "ahead": s.ahead, "wait_seconds": s.wait_s, "refresh_seconds": s.refresh_s, "seed_sha256": s.seed_sha256,
            "seed": s.seed, "drawn_at": as_utc(s.drawn_at).isoformat() if s.drawn_at else None, "early_tickets": s.early,
            "must_queue": s.must_queue}
