"""Messages to users about admission (站内消息)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.platform.accounts.models import User
from kehou.platform.admission.models import Application
from kehou.platform.admission.models import AppStatus as S
from kehou.platform.counties.models import Region
from kehou.platform.notifications.models import Notification
from kehou.timeutil import utcnow


def notify_decision(session: Session, application_id: int) -> int:
    """Tell every user of the provider about the decision. Idempotent per application.

    The application row is locked first: a redelivered task (``acks_late``) can
    run beside the original, and without the lock both would find no message
    yet and send one each (SQLite write transactions are serialised anyway).
    """
    app = session.get(Application, application_id, with_for_update=True, populate_existing=True)
    if app is None or app.status not in (S.approved, S.rejected):
        return 0
    county = session.get(Region, app.county_code)
    link = f"/provider/applications/{app.id}"
    title = f"{county.name if county else app.county_code}准入申请结果：" + ("已准入" if app.status == S.approved else "未准入")
    body = app.decision_reason or ("恭喜，贵机构已列入白名单。" if app.status == S.approved else "")
    sent = 0
    for user in session.scalars(select(User).where(User.provider_id == app.provider_id, User.is_active.is_(True))):
        exists = session.scalars(select(Notification.id).where(Notification.user_id == user.id, Notification.link == link,
                                                               Notification.title == title)).first()
        if exists is None:
            session.add(Notification(user_id=user.id, title=title, body=body, link=link, created_at=utcnow()))
            sent += 1
    session.commit()
    return sent
