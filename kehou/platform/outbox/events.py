"""Events through the outbox: an event hook (``kehou_application_decided``, ``kehou_provider_exited``,
``kehou_exit_proposed``) is recorded in the transaction that causes it and called after that commits —
in the same process at once, or, if that process died in between (or the call failed), by the outbox
sweep. The call and whatever its implementations ``enqueue`` commit together with the event's done
mark, so the hook runs to completion once (a failed call is retried with backoff)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from kehou import pluginapi
from kehou.db import after_commit
from kehou.platform.outbox.models import OutboxMessage
from kehou.platform.outbox.services import BACKOFF, within
from kehou.requestctx import request_id
from kehou.timeutil import utcnow

log = logging.getLogger(__name__)

EVENT = "kehou.outbox.event"
GRACE_S = 60  # the sweep leaves a fresh event to the process that recorded it for this long


def encode(value: Any) -> Any:
    """JSON for hook arguments: pluginapi dataclasses, dates, datetimes and tuples survive the round trip."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dataclass__": type(value).__name__,
                "fields": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__dataclass__" in value:
        return getattr(pluginapi, value["__dataclass__"])(**{k: decode(v) for k, v in value["fields"].items()})
    if "__datetime__" in value:
        return dt.datetime.fromisoformat(value["__datetime__"])
    if "__date__" in value:
        return dt.date.fromisoformat(value["__date__"])
    if "__tuple__" in value:
        return tuple(decode(v) for v in value["__tuple__"])
    return {k: decode(v) for k, v in value.items()}


def record(ctx: Any, session: Session, county: str, hook: str, /, **args: Any) -> int:
    """Record the event in ``session``'s transaction; call the county's ``hook`` once that commits."""
    now = utcnow()
    row = OutboxMessage(task=EVENT, kwargs={"hook": hook, "county": county, "args": encode(args)}, created_at=now,
                        due_at=now + dt.timedelta(seconds=GRACE_S), attempts=0, error="", request_id=request_id.get())
    session.add(row)
    session.flush()
    event_id = row.id
    make = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
    after_commit(session, lambda: None if dispatch(ctx, make, event_id) else None)
    return event_id


def dispatch(ctx: Any, make_session: Any, event_id: int) -> bool:
    """Call the event's hook, under the event row's lock, and mark it done in the same transaction."""
    with make_session() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.id == event_id).with_for_update()
                       .execution_options(populate_existing=True))
        if row is None or row.sent_at is not None:
            return False
        attempts = row.attempts
        try:
            hook = ctx.county_hook(s, row.kwargs["county"], row.kwargs["hook"])
            with within(s):
                hook(**decode(row.kwargs["args"]))
            row.sent_at, row.attempts, row.error = utcnow(), attempts + 1, ""
            s.commit()
            return True
        except Exception as exc:
            s.rollback()
            delay = BACKOFF[min(attempts, len(BACKOFF) - 1)]
            log.exception("outbox: event %s #%s failed (attempt %s, next in %s s)", row.kwargs.get("hook"), event_id,
                          attempts + 1, delay)
            s.execute(update(OutboxMessage).where(OutboxMessage.id == event_id).values(
                attempts=attempts + 1, due_at=utcnow() + dt.timedelta(seconds=delay), error=str(exc)[:1000]))
            s.commit()
            return False


def sweep(ctx: Any, make_session: Any, limit: int = 200) -> int:
    """Call the events whose recording process did not (the periodic sweep's part)."""
    with make_session() as s:
        ids = list(s.scalars(select(OutboxMessage.id).where(OutboxMessage.task == EVENT, OutboxMessage.sent_at.is_(None),
                                                            OutboxMessage.due_at <= utcnow())
                             .order_by(OutboxMessage.id).limit(limit)))
    return sum(dispatch(ctx, make_session, i) for i in ids)
