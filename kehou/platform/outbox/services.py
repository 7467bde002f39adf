"""The transactional outbox.

:func:`put` writes a task to ``outbox_message`` in the caller's transaction, so the task exists exactly
when the change that causes it does. After that transaction commits, :func:`relay` hands it to Celery and
marks it sent; when the broker refuses, the message stays pending with the error and a growing delay
(:data:`BACKOFF`), and the periodic sweep (``kehou.outbox.sweep``, and once when a worker starts) sends
what is due. A message may reach Celery more than once (a relay dying between the broker's acceptance and
the mark), so every task is idempotent.

Events (:mod:`.events`) are outbox rows too: recorded in the transaction that causes them, their hook is
called after commit under :func:`within`, so whatever its implementations ``enqueue`` lands in the outbox
of the transaction that marks the event done.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from kehou.db import after_commit
from kehou.platform.outbox.models import OutboxMessage
from kehou.requestctx import request_id
from kehou.timeutil import utcnow

log = logging.getLogger(__name__)

BACKOFF = (2, 10, 30, 60, 120, 300)  # seconds before the 1st, 2nd, ... retry; then every 5 minutes
CLAIM_S = 60  # a relay's claim on the messages it is sending; a sweep skips them meanwhile
_session: ContextVar[Session | None] = ContextVar("kehou_outbox_session", default=None)

MakeSession = Callable[[], Session]


@contextlib.contextmanager
def within(session: Session) -> Iterator[None]:
    """Tasks enqueued meanwhile without a session go to ``session``'s transaction."""
    token = _session.set(session)
    try:
        yield
    finally:
        _session.reset(token)


def current_session() -> Session | None:
    return _session.get()


def put(session: Session, task: str, kwargs: dict[str, Any]) -> int:
    """Write ``task`` in ``session``'s transaction; it is relayed once that commits."""
    now = utcnow()
    row = OutboxMessage(task=task, kwargs=kwargs, created_at=now, due_at=now, attempts=0, error="",
                        request_id=request_id.get())
    session.add(row)
    session.flush()
    message_id = row.id
    make = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
    after_commit(session, lambda: None if relay(make, [message_id]) else None)
    return message_id


def relay(make_session: MakeSession, ids: list[int] | None = None, limit: int = 200) -> int:
    """Send the due messages (or only ``ids``) to Celery; returns how many the broker took. Stops at the
    first refusal: the broker is down, the rest wait for the sweep."""
    from kehou.tasks.app import get_app

    now = utcnow()
    with make_session() as s:
        stmt = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.due_at <= now,
                                           OutboxMessage.task != "kehou.outbox.event")  # events: see events.py
        if ids is not None:
            stmt = stmt.where(OutboxMessage.id.in_(ids))
        rows = list(s.scalars(stmt.order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)))
        batch = [(r.id, r.task, dict(r.kwargs), r.request_id, r.attempts) for r in rows]
        for r in rows:
            r.due_at = now + dt.timedelta(seconds=CLAIM_S)
        s.commit()
    sent = 0
    for message_id, task, kwargs, rid, attempts in batch:
        try:
            get_app().send_task(task, kwargs=kwargs, task_id=f"outbox-{message_id}-{attempts + 1}",
                                headers={"kehou_request_id": rid})
        except Exception as exc:  # the broker is down: retry later, with backoff
            delay = BACKOFF[min(attempts, len(BACKOFF) - 1)]
            log.warning("outbox: could not send %s #%s (attempt %s, next in %s s): %s", task, message_id, attempts + 1, delay,
                        exc)
            with make_session() as s:
                s.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
                    attempts=attempts + 1, due_at=utcnow() + dt.timedelta(seconds=delay), error=str(exc)[:1000]))
                s.execute(update(OutboxMessage).where(OutboxMessage.id.in_([b[0] for b in batch]),
                                                      OutboxMessage.sent_at.is_(None), OutboxMessage.id != message_id)
                          .values(due_at=utcnow() + dt.timedelta(seconds=delay)))
                s.commit()
            break
        with make_session() as s:
            s.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
                sent_at=utcnow(), attempts=attempts + 1, error=""))
            s.commit()
        sent += 1
    return sent


def sweep(make_session: MakeSession) -> int:
    """Send everything due (the periodic ``kehou.outbox.sweep``)."""
    total = 0
    for _ in range(50):
        sent = relay(make_session)
        total += sent
        if sent < 200:
            break
    return total


def backlog(session: Session) -> tuple[int, float]:
    """How many messages wait to be sent, and the age in seconds of the oldest (0 when none)."""
    count, oldest = session.execute(select(func.count(), func.min(OutboxMessage.created_at))
                                    .where(OutboxMessage.sent_at.is_(None))).one()
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return int(count), max(age, 0.0)

