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


def notify_users(session: Session, user_ids: list[int], title: str, body: str, link: str) -> int:
    """One message to each of these users (not committed). Returns how many were added."""
    now = utcnow()
    session.add_all(Notification(user_id=uid, title=title, body=body, link=link, created_at=now) for uid in user_ids)
    return len(user_ids)


def notify_school_admins(session: Session, school_id: int, title: str, body: str, link: str) -> int:
    """One message to every active administrator of the school (not committed)."""
    users = list(session.scalars(select(User.id).where(User.school_id == school_id, User.role == "school_admin",
                                                       User.is_active.is_(True)).order_by(User.id)))
    return notify_users(session, users, title, body, link)


def notify_county_staff(session: Session, county_code: str, title: str, body: str, link: str) -> int:
    """One message to every active county_staff user of the county (not committed)."""
    users = list(session.scalars(select(User.id).where(User.county_code == county_code, User.role == "county_staff",
                                                       User.is_active.is_(True)).order_by(User.id)))
    return notify_users(session, users, title, body, link)
