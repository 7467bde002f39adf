"""A short per-process cache of API token → actor, so a burst of requests does not look each token up.

A cached answer is trusted for ``ttl`` seconds (``KEHOU_AUTH_CACHE_SECONDS``, default 5; 0 turns the
cache off). That bounds how long a token revoked, or a user deactivated or changed, keeps working in
*other* processes. In this process it is immediate: a commit that changes a user or a token clears every
cache of the process (:func:`_clear_on_commit`). Only valid tokens are cached; a token that is unknown,
revoked or expired is looked up again each time, and never past its own expiry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from kehou.platform.accounts.models import ApiToken, User
from kehou.platform.actor import Actor
from kehou.timeutil import as_utc, utcnow

_CACHES: weakref.WeakSet[TokenCache] = weakref.WeakSet()


class TokenCache:
    def __init__(self, ttl: float, max_entries: int = 50_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._rows: dict[str, tuple[float, dt.datetime, Actor]] = {}
        self._lock = threading.Lock()
        _CACHES.add(self)

    def actor(self, digest: str, ip: str, lookup: Callable[[], tuple[Actor, dt.datetime] | None]) -> Actor | None:
        """The actor for a token digest: cached, or from ``lookup`` (the actor and the token's expiry)."""
        now = time.monotonic()
        hit = self._rows.get(digest)
        if hit is not None and hit[0] > now and hit[1] > utcnow():
            return dataclasses.replace(hit[2], ip=ip)
        found = lookup()
        if found is None:
            self._rows.pop(digest, None)
            return None
        actor, token_expires = found
        if self.ttl > 0:
            with self._lock:
                if len(self._rows) >= self.max_entries:
                    self._rows.pop(next(iter(self._rows)), None)  # the oldest
                self._rows[digest] = (now + self.ttl, as_utc(token_expires), dataclasses.replace(actor, ip=""))
        return actor

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


def clear_all() -> None:
    for cache in list(_CACHES):
        cache.clear()


@event.listens_for(Session, "before_flush")
def _note_auth_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    if any(isinstance(o, (User, ApiToken)) for o in (*session.dirty, *session.deleted)):
        session.info["auth_changed"] = True


@event.listens_for(Session, "after_commit")
def _clear_on_commit(session: Session) -> None:
    if session.info.pop("auth_changed", False):
        clear_all()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop("auth_changed", None)
