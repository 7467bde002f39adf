"""Statuses, grounds and the one allowed-transitions table of an exit case.

Each transition has one service function in services.py; each calls :func:`step`, which checks
the table, moves the status, appends an :class:`ExitStep` and writes the audit entry in the same
transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kehou.errors import Conflict
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.exits.models import ExitCase, ExitStep
from kehou.timeutil import utcnow

#: the grounds of a bureau decision (POLICY.md 准入、课程、退出机制; 001, 002 篇2, 004)
GROUNDS = {
    "academic_teaching": "违规开展学科类教学或集体补课",
    "commercial_promotion": "开展商业宣传或推销",
    "inducing_training": "诱导学生参加校外培训",
    "improper_charging": "违规收费",
    "safety_incident": "发生安全责任事故",
    "false_attendance": "虚报考勤",
    "unqualified_staff": "使用不具备资质的人员",
    "failed_evaluation": "考核评价不合格",
    "lapsed_qualification": "资质失效",
    "other": "其他违反协议或规定的行为",
}

TRIGGERS = {"violation": "违规处理", "evaluation": "考核评价提议", "lapsed": "资质失效", "voluntary": "机构主动退出"}

STATUS_LABELS = {
    "proposed": "已提议", "warned": "已警告，整改中", "responded": "机构已答复", "suspended": "已暂停服务",
    "expulsion_decided": "已作出清退决定（申诉期）", "appealed": "申诉处理中", "notice_given": "已申请主动退出",
    "exited": "已退出", "closed": "已结案（未退出）",
}

OPEN = frozenset({"proposed", "warned", "responded", "suspended", "expulsion_decided", "appealed", "notice_given"})

#: action -> (statuses it may start from, the status it leads to; None keeps the status)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "propose": (frozenset({""}), "proposed"),
    "give_notice": (frozenset({""}), "notice_given"),
    "warn": (frozenset({"proposed"}), "warned"),
    "respond": (frozenset({"warned", "suspended"}), None),
    "suspend": (frozenset({"proposed", "warned", "responded"}), "suspended"),
    "close": (frozenset({"proposed", "warned", "responded", "suspended", "notice_given"}), "closed"),
    "decide": (frozenset({"warned", "responded", "suspended"}), "expulsion_decided"),
    "appeal": (frozenset({"expulsion_decided"}), "appealed"),
    "grant_appeal": (frozenset({"appealed"}), "closed"),
    "reject_appeal": (frozenset({"appealed"}), "exited"),
    "finalise": (frozenset({"expulsion_decided", "notice_given"}), "exited"),
}


def step(session: Session, case: ExitCase, actor: Actor, action: str, *, note: str = "", to: str | None = None,
         extra: dict[str, Any] | None = None) -> ExitStep:
    """Apply ``action`` to ``case`` (status "" = a new case), append a step and audit it."""
    allowed, target = TRANSITIONS[action]
    old = case.status or ""
    if old not in allowed:
        raise Conflict(f"退出程序当前状态为「{STATUS_LABELS.get(old, old)}」，不能执行此操作。", code="exit_status_conflict",
                       extra={"status": old, "action": action})
    new = to or target or old
    case.status, case.updated_at = new, utcnow()
    if case.id is None:
        session.add(case)
        session.flush()
    row = ExitStep(case_id=case.id, action=action, from_status=old or None, to_status=new, actor_id=actor.user_id,
                   actor_name=actor.display_name or actor.username, actor_role=actor.role, note=note, at=utcnow())
    session.add(row)
    audit.record(session, actor, county_code=case.county_code, action=f"exit.{action}", entity_type="exit_case",
                 entity_id=case.id, reason=note, old={"status": old} if old else None,
                 new={"status": new, "provider_id": case.provider_id, **(extra or {})})
    return row
