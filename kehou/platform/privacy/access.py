"""Every view of a child's record by staff or a provider is logged (``child_access``: who, their role and
organisation, which child, what they looked at, why, when), in its own transaction so a read-only page still
leaves its trace. Families looking at their own children are not logged. One account viewing more children in an
hour than the county's ``privacy.view_alert_per_hour`` raises an alert to the county's staff (notified and audited),
at most once an hour per account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, insert, select

from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context
from kehou.platform.notifications.services import notify_county_staff
from kehou.platform.policy import services as policy
from kehou.platform.privacy.models import ChildAccess
from kehou.timeutil import utcnow

#: what was looked at -> how the log and the family's page name it
WHAT = {"student": "学生详情", "roster": "学生名册", "roster_export": "名册导出", "class": "班级名单", "lesson": "点名",
        "roster_api": "学生名册（接口）", "class_api": "班级名单（接口）", "bills": "收费账单", "bills_export": "账单导出",
        "allocation": "摇号分配结果", "no_show": "未到课记录", "provider_class": "机构班级名单",
        "bill_api": "账单详情（接口）", "bills_api": "收费账单（接口）", "waivers": "减免记录", "waivers_api": "减免记录（接口）",
        "statements": "期末结算单", "statements_api": "期末结算单（接口）", "settlement_api": "机构结算明细（接口）",
        "settlement_export": "机构结算明细导出", "offline_payments": "收款对账"}
#: the purpose recorded for each view
PURPOSE = {"student": "学籍与监护人管理", "roster": "学籍管理", "roster_export": "学籍管理", "class": "考勤管理",
           "lesson": "考勤", "roster_api": "学籍管理", "class_api": "开班管理", "bills": "收费管理", "bills_export": "收费管理",
           "allocation": "选课分配", "no_show": "未到课处理", "provider_class": "授课点名",
           "bill_api": "收费管理", "bills_api": "收费管理", "waivers": "收费减免", "waivers_api": "收费减免",
           "statements": "期末结算（多退少补）", "statements_api": "期末结算（多退少补）", "settlement_api": "机构结算",
           "settlement_export": "机构结算", "offline_payments": "收款对账"}
ALERT = {"title": "异常访问告警",
         "body": "账号「{who}」（{role}）在一小时内查看了 {n} 名学生的信息，超过本区县的告警阈值 {limit} 名，请核实。"}


def record(ctx: Context, actor: Actor, county_code: str, student_ids: Iterable[int], what: str) -> None:
    """Log that ``actor`` saw these children's records (``what``: a key of :data:`WHAT`)."""
    ids = sorted(set(student_ids))
    if not ids or actor.role in ("parent", "system") or actor.user_id is None:
        return
    now = utcnow()
    with ctx.db.write_session() as s:
        s.execute(insert(ChildAccess), [
            {"at": now, "actor_id": actor.user_id, "actor_role": actor.role, "provider_id": actor.provider_id,
             "county_code": county_code, "student_id": sid, "what": what, "purpose": PURPOSE[what]} for sid in ids])
        limit = int(policy.get(s, ctx.registry, county_code, "privacy.view_alert_per_hour"))
        since = now - dt.timedelta(hours=1)
        seen = s.scalar(select(func.count(func.distinct(ChildAccess.student_id))).where(
            ChildAccess.actor_id == actor.user_id, ChildAccess.at >= since)) or 0
        if seen > limit and not s.scalar(select(AuditEntry.id).where(
                AuditEntry.action == "privacy.view_alert", AuditEntry.entity_type == "app_user",
                AuditEntry.entity_id == str(actor.user_id), AuditEntry.at >= since).limit(1)):
            body = ALERT["body"].format(who=actor.display_name or actor.username, role=actor.role, n=seen, limit=limit)
            notify_county_staff(s, county_code, ALERT["title"], body, "/desk/privacy")
            audit.record(s, Actor.system("privacy-watch"), county_code=county_code, action="privacy.view_alert",
                         entity_type="app_user", entity_id=actor.user_id, reason=body,
                         new={"children_in_hour": seen, "limit": limit, "role": actor.role})
        s.commit()
