"""Bulk exports of children's personal data (a school's roster with guardians' phones and priority groups): with
the county's ``privacy.export_approval`` (on by default) a second person approves each request first — the
county's staff, or another administrator of the same school, never the requester; the file is watermarked with the
requester, the approver, the time and the request's number inside the workbook; each download is logged (audit and
the child-access log); an account may ask for ``privacy.exports_per_day`` exports a day; an approval is good for
``APPROVAL_HOURS`` hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.platform.notifications.models import Notification
from kehou.platform.policy import services as policy
from kehou.platform.privacy.models import DataExport
from kehou.timeutil import SHANGHAI, clock, fmt_local, utcnow

APPROVAL_HOURS = 24
KINDS = {"roster": "学生名册（含监护人电话、优先保障群体）"}
STATUS = {"pending": "待审批", "approved": "已批准，可下载", "refused": "未批准", "downloaded": "已下载", "expired": "已过期"}
TEXT = {
    "asked_title": "数据导出待审批", "asked_body": "{who}申请导出{school}的{kind}，理由：{reason}",
    "decided_title": "数据导出审批结果", "approved_body": "您申请导出的{kind}已获批准，请在{until}前下载。",
    "refused_body": "您申请导出的{kind}未获批准：{note}",
    "watermark": "导出人：{who}（{role}）· 导出时间：{at} · 审批人：{approver} · 导出编号：第{id}号 · 仅限本校学籍管理使用，"
                 "不得转发、出售或用于招生营销",
}


def rules(ctx: Context, session: Session, county_code: str) -> tuple[bool, int]:
    """(a second person must approve, exports an account may ask for a day)."""
    return (bool(policy.get(session, ctx.registry, county_code, "privacy.export_approval")),
            int(policy.get(session, ctx.registry, county_code, "privacy.exports_per_day")))


def _school_admin(session: Session, actor: Actor) -> School:
    actor.require("school_admin")
    school = session.get(School, actor.school_id or 0)
    if school is None:
        raise NotFound("学校不存在。", code="school_not_found")
    return school


def request(ctx: Context, session: Session, actor: Actor, *, kind: str, reason: str, params: dict[str, Any]) -> DataExport:
    school = _school_admin(session, actor)
    if kind not in KINDS:
        raise ValidationFailed("导出类型不正确。", code="export_kind_invalid", field="kind")
    reason = (reason or "").strip()
    if not 4 <= len(reason) <= 300:
        raise ValidationFailed("请写明导出用途（4至300字）。", code="reason_required", field="reason")
    needs_approval, per_day = rules(ctx, session, school.county_code)
    start = dt.datetime.combine(clock.today_local(), dt.time(0), tzinfo=SHANGHAI).astimezone(dt.UTC)
    asked = session.scalar(select(func.count(DataExport.id)).where(DataExport.requested_by == actor.user_id,
                                                                 DataExport.requested_at >= start)) or 0
    if asked >= per_day:
        raise Conflict(f"每个账号每天最多导出{per_day}次，今天的次数已用完。", code="export_limit_reached")
    now = utcnow()
    row = DataExport(county_code=school.county_code, school_id=school.id, kind=kind, params=params, reason=reason,
                     requested_by=actor.user_id, requested_at=now, status="pending" if needs_approval else "approved",
                     approved_at=None if needs_approval else now, decision_note="" if needs_approval else "本区县无需审批")
    session.add(row)
    session.flush()
    audit.record(session, actor, county_code=school.county_code, action="privacy.export_request", entity_type="data_export",
                 entity_id=row.id, reason=reason, new={"kind": kind, "params": params, "status": row.status})
    if needs_approval:
        body = TEXT["asked_body"].format(who=actor.display_name or actor.username, school=school.name, kind=KINDS[kind],
                                         reason=reason)
        for uid in _approvers(session, school, actor):
            session.add(Notification(user_id=uid, title=TEXT["asked_title"], body=body, link="/desk/privacy#exports",
                                     created_at=now))
    session.commit()
    return row


def _approvers(session: Session, school: School, requester: Actor) -> list[int]:
    return list(session.scalars(select(User.id).where(
        User.is_active.is_(True), User.id != requester.user_id,
        ((User.role == "county_staff") & (User.county_code == school.county_code))
        | ((User.role == "school_admin") & (User.school_id == school.id)))))


def _may_decide(actor: Actor, row: DataExport) -> None:
    if actor.role == "county_staff" and actor.county_code == row.county_code:
        return
    if actor.role == "school_admin" and actor.school_id == row.school_id:
        return
    raise NotFound("导出申请不存在。", code="export_not_found")


def decide(session: Session, actor: Actor, export_id: int, *, approve: bool, note: str) -> DataExport:
    row = session.scalars(select(DataExport).where(DataExport.id == export_id).with_for_update()).first()
    if row is None:
        raise NotFound("导出申请不存在。", code="export_not_found")
    _may_decide(actor, row)
    if row.requested_by == actor.user_id:
        raise PermissionDenied("导出申请须由另一人审批，不能审批自己的申请。", code="export_same_person")
    if row.status != "pending":
        raise Conflict("该申请已处理。", code="export_decided")
    note = (note or "").strip()
    if not approve and len(note) < 2:
        raise ValidationFailed("不批准须说明理由。", code="reason_required", field="note")
    now = utcnow()
    row.status, row.approved_by, row.approved_at, row.decision_note = ("approved" if approve else "refused"), actor.user_id, \
        now, note
    body = (TEXT["approved_body"].format(kind=KINDS[row.kind], until=fmt_local(now + dt.timedelta(hours=APPROVAL_HOURS)))
            if approve else TEXT["refused_body"].format(kind=KINDS[row.kind], note=note))
    session.add(Notification(user_id=row.requested_by, title=TEXT["decided_title"], body=body, link="/school/students/exports",
                             created_at=now))
    audit.record(session, actor, county_code=row.county_code, action="privacy.export_approve" if approve else
                 "privacy.export_refuse", entity_type="data_export", entity_id=row.id, reason=note,
                 old={"status": "pending"}, new={"status": row.status})
    session.commit()
    return row


def ready(session: Session, actor: Actor, export_id: int) -> DataExport:
    """The approved export the requester may download now (once)."""
    row = session.scalars(select(DataExport).where(DataExport.id == export_id).with_for_update()).first()
    if row is None or row.requested_by != actor.user_id:
        raise NotFound("导出申请不存在。", code="export_not_found")
    if row.status == "pending":
        raise PermissionDenied("该导出尚未获得审批，不能下载。", code="export_not_approved")
    if row.status == "refused":
        raise PermissionDenied("该导出未获批准。", code="export_refused")
    if row.status == "downloaded":
        raise Conflict("该导出已下载过；如需再次导出请重新申请。", code="export_used")
    assert row.approved_at is not None
    if utcnow() > row.approved_at + dt.timedelta(hours=APPROVAL_HOURS):
        row.status = "expired"
        session.commit()
        raise Conflict(f"批准后{APPROVAL_HOURS}小时内未下载，已过期，请重新申请。", code="export_expired")
    return row


def watermark(session: Session, actor: Actor, row: DataExport) -> str:
    approver = session.scalar(select(User.display_name).where(User.id == row.approved_by)) if row.approved_by else None
    return TEXT["watermark"].format(who=actor.display_name or actor.username, role=actor.role, at=fmt_local(utcnow()),
                                    approver=approver or "（本区县无需审批）", id=row.id)


def downloaded(session: Session, actor: Actor, row: DataExport, *, rows: int, sha256: str, mark: str) -> None:
    row.status, row.downloaded_at, row.rows, row.sha256, row.watermark = "downloaded", utcnow(), rows, sha256, mark
    audit.record(session, actor, county_code=row.county_code, action="privacy.export_download", entity_type="data_export",
                 entity_id=row.id, new={"rows": rows, "sha256": sha256})
    session.commit()


def for_school(session: Session, actor: Actor) -> list[DataExport]:
    school = _school_admin(session, actor)
    return list(session.scalars(select(DataExport).where(DataExport.school_id == school.id)
                                .order_by(DataExport.id.desc()).limit(50)))


def for_county(session: Session, actor: Actor) -> list[DataExport]:
    actor.require("county_staff")
    return list(session.scalars(select(DataExport).where(DataExport.county_code == actor.county_code)
                                .order_by((DataExport.status == "pending").desc(), DataExport.id.desc()).limit(100)))
