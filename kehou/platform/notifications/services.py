"""Sending in-platform messages (站内消息)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.platform.accounts.models import User
from kehou.platform.notifications.models import Notification
from kehou.timeutil import utcnow


def notify_provider_users(session: Session, provider_id: int, title: str, body: str, link: str, *,
                          once: bool = True) -> int:
    """Message every active user of the provider; with ``once``, skip a user who already has a
    message with this title and link. Returns how many messages were added (not committed)."""
    added = 0
    for user in session.scalars(select(User).where(User.provider_id == provider_id, User.is_active.is_(True))):
        seen = once and session.scalars(select(Notification.id).where(
            Notification.user_id == user.id, Notification.title == title, Notification.link == link)).first() is not None
        if not seen:
            session.add(Notification(user_id=user.id, title=title, body=body, link=link, created_at=utcnow()))
            added += 1
    return added
