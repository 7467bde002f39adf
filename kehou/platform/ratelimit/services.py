"""Sliding-window limits for public writes. :func:`hit` counts the submissions of one kind from one key (an
address) in the window and refuses the next one beyond the limit with 429; the event is written in the caller's
transaction, so a submission that fails validation and rolls back does not count. Events older than a day are
removed as new ones arrive. Under a race two workers may both admit the last allowed submission: a limit here
stops floods, it is not an exact quota."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kehou.errors import TooManyRequests
from kehou.platform.ratelimit.models import RateEvent
from kehou.timeutil import utcnow

KEEP = dt.timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    kind: str
    count: int
    window: dt.timedelta
    message: str  # Chinese, for the person refused
    code: str


#: public complaints: 10 an hour from one address (a school's or a village's shared address stays usable)
COMPLAINTS = Limit("complaint", 10, dt.timedelta(hours=1),
                   "提交投诉过于频繁：同一网络一小时内最多提交10件投诉，请稍后再试；紧急情况请拨打教育局电话。",
                   "complaints_throttled")
#: provider self-registration: 10 an hour from one address
REGISTRATIONS = Limit("registration", 10, dt.timedelta(hours=1),
                      "注册过于频繁：同一网络一小时内最多注册10个机构账号，请稍后再试。", "registrations_throttled")


def hit(session: Session, limit: Limit, key: str) -> None:
    """Counts one submission of ``limit.kind`` from ``key``; refuses it (429) when the window is already full.
    An empty key (no address known) is not limited."""
    if not key:
        return
    now = utcnow()
    recent = session.scalar(select(func.count()).where(RateEvent.kind == limit.kind, RateEvent.key == key[:128],
                                                       RateEvent.at >= now - limit.window)) or 0
    if recent >= limit.count:
        raise TooManyRequests(limit.message, code=limit.code)
    session.execute(delete(RateEvent).where(RateEvent.kind == limit.kind, RateEvent.at < now - KEEP))
    session.add(RateEvent(kind=limit.kind, key=key[:128], at=now))
