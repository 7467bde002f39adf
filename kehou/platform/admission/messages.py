"""Messages to users about admission (站内消息)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kehou.platform.admission.models import Application
from kehou.platform.admission.models import AppStatus as S
from kehou.platform.counties.models import Region
from kehou.platform.notifications.services import notify_provider_users


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
    sent = notify_provider_users(session, app.provider_id, title, body, link)
    session.commit()
    return sent
