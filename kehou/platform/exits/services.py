"""One service function per step of the exit mechanism (退出机制).

Bureau decision or automatic proposal → warning with a rectification deadline → the provider's
response → suspension → expulsion decision by a decision-maker → appeal window → appeal decision
by another decision-maker → exit. A provider may also leave of its own accord with notice.
Deadlines are county settings (``exits.*``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.admission.models import WhitelistEntry
from kehou.platform.context import Context
from kehou.platform.exits import effects
from kehou.platform.exits.models import ExitCase, ExitStep
from kehou.platform.exits.workflow import GROUNDS, OPEN, STATUS_LABELS, TRIGGERS, step
from kehou.platform.policy import services as policy
from kehou.timeutil import clock, utcnow


def _text(value: str, field: str, label: str, *, required: bool = True, limit: int = 2000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"请填写{label}。", code="field_required", field=field)
    if len(value) > limit:
        raise ValidationFailed(f"{label}不能超过{limit}字。", code="field_too_long", field=field)
    return value


def _setting(ctx: Context, session: Session, county: str, key: str) -> Any:
    return policy.get(session, ctx.registry, county, f"exits.{key}")


def _case(session: Session, case_id: int, *, lock: bool = True) -> ExitCase:
    stmt = select(ExitCase).where(ExitCase.id == case_id)
    case = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if case is None:
        raise NotFound("退出程序不存在。", code="exit_case_not_found")
    return case


def visible(session: Session, actor: Actor, case_id: int, *, lock: bool = False) -> ExitCase:
    """The case, for county staff of its county and for the provider concerned; others get 404."""
    actor.require("county_staff", "provider", "platform_admin")
    case = _case(session, case_id, lock=lock)
    if actor.role == "provider" and actor.provider_id != case.provider_id:
        raise NotFound("退出程序不存在。", code="exit_case_not_found")
    if actor.role == "county_staff" and actor.county_code != case.county_code:
        raise NotFound("退出程序不存在。", code="exit_case_not_found")
    return case


def _staff(session: Session, actor: Actor, case_id: int, *, decider: bool = False) -> ExitCase:
    actor.require("county_staff")
    case = visible(session, actor, case_id, lock=True)
    if decider and not actor.can_decide:
        raise PermissionDenied("清退决定须由有决定权限的人员作出。", code="decide_right_required")
    return case


def _own(session: Session, actor: Actor, case_id: int) -> ExitCase:
    actor.require("provider")
    return visible(session, actor, case_id, lock=True)


def _whitelist(session: Session, provider_id: int, county: str) -> WhitelistEntry | None:
    return session.scalars(select(WhitelistEntry).where(WhitelistEntry.provider_id == provider_id,
                                                        WhitelistEntry.county_code == county).with_for_update()).first()


def _no_open_case(session: Session, provider_id: int, county: str) -> None:
    if session.scalars(select(ExitCase.id).where(ExitCase.provider_id == provider_id, ExitCase.county_code == county,
                                                 ExitCase.status.in_(OPEN))).first() is not None:
        raise Conflict("该机构在本区县已有进行中的退出程序。", code="exit_case_open")


def _grounds(grounds: list[str]) -> list[str]:
    if not grounds:
        raise ValidationFailed("请至少选择一项退出事由。", code="grounds_required", field="grounds")
    bad = [g for g in grounds if g not in GROUNDS]
    if bad:
        raise ValidationFailed(f"未知的退出事由：{'、'.join(bad)}。", code="ground_unknown", field="grounds")
    return list(dict.fromkeys(grounds))


def propose(ctx: Context, session: Session, actor: Actor, *, county_code: str, provider_id: int, trigger: str,
            grounds: list[str], summary: str, evidence: list[dict[str, Any]] | None = None,
            proposal_key: str | None = None) -> ExitCase:
    """Open a case against an admitted (or suspended) provider. ``actor`` is county staff, or the
    system for a proposal raised by evaluation (``kehou_exit_proposed``); ``proposal_key`` makes
    such a proposal idempotent."""
    if actor.role != "system":
        actor.require("county_staff")
        actor.require_county(county_code)
    if trigger not in TRIGGERS or trigger == "voluntary":
        raise ValidationFailed("触发方式须为违规处理、考核评价提议或资质失效。", code="trigger_invalid", field="trigger")
    entry = _whitelist(session, provider_id, county_code)
    if entry is None or entry.status not in ("active", "suspended"):
        raise NotFound("该机构不在本区县白名单中。", code="provider_not_admitted")
    seen = session.scalars(select(ExitCase).where(ExitCase.proposal_key == proposal_key)).first() if proposal_key else None
    if seen is not None:
        return seen
    _no_open_case(session, provider_id, county_code)
    case = ExitCase(county_code=county_code, provider_id=provider_id, trigger=trigger, grounds=_grounds(grounds),
                    summary=_text(summary, "summary", "事由说明"), evidence=list(evidence or []), status="",
                    proposal_key=proposal_key, created_by=actor.user_id, created_at=utcnow(), updated_at=utcnow())
    try:
        with session.begin_nested():
            step(session, case, actor, "propose", note=case.summary,
                 extra={"trigger": trigger, "grounds": case.grounds, "evidence": case.evidence})
    except IntegrityError as exc:
        raise Conflict("同一提议已登记。", code="exit_proposal_duplicate") from exc
    session.commit()
    return case


def warn(ctx: Context, session: Session, actor: Actor, case_id: int, *, note: str, rectify_days: int | None = None) -> ExitCase:
    """A written warning with a rectification deadline (default ``exits.rectify_days``)."""
    case = _staff(session, actor, case_id)
    days = rectify_days if rectify_days is not None else _setting(ctx, session, case.county_code, "rectify_days")
    if not 1 <= days <= 365:
        raise ValidationFailed("整改期限须为1至365天。", code="rectify_days_invalid", field="rectify_days")
    case.rectify_by = clock.today_local() + dt.timedelta(days=days)
    step(session, case, actor, "warn", note=_text(note, "note", "警告内容"), extra={"rectify_by": case.rectify_by})
    effects.tell_provider(session, case, "收到教育局警告", f"请于{case.rectify_by}前完成整改并在平台答复。{note.strip()}")
    session.commit()
    return case


def respond(session: Session, actor: Actor, case_id: int, *, response: str) -> ExitCase:
    """The provider's written response (陈述、申辩和整改情况)."""
    case = _own(session, actor, case_id)
    case.response = _text(response, "response", "答复内容", limit=5000)
    step(session, case, actor, "respond", note=case.response, to="responded" if case.status == "warned" else None)
    session.commit()
    return case


def suspend(ctx: Context, session: Session, actor: Actor, case_id: int, *, note: str) -> ExitCase:
    """Suspend service: no new enrolments; hidden from catalogues; shown as suspended publicly."""
    case = _staff(session, actor, case_id)
    note = _text(note, "note", "暂停理由")
    step(session, case, actor, "suspend", note=note)
    effects.set_whitelist(session, actor, case, "suspended", f"退出程序暂停：{note}")
    effects.tell_provider(session, case, "服务已被暂停", f"教育局暂停了贵机构在本区县的课后服务：{note}")
    session.commit()
    return case


def close(ctx: Context, session: Session, actor: Actor, case_id: int, *, note: str) -> ExitCase:
    """End the case without exit (rectified, unfounded) — or, for the provider, withdraw its notice."""
    case = visible(session, actor, case_id, lock=True)
    if actor.role == "provider" and case.trigger != "voluntary":
        raise PermissionDenied("机构不能结束教育局的退出程序。", code="exit_close_forbidden")
    if actor.role == "county_staff" and case.trigger == "voluntary":
        raise PermissionDenied("主动退出只能由机构撤回。", code="exit_close_forbidden")
    actor.require("county_staff", "provider")
    note = _text(note, "note", "结案说明")
    was_suspended = case.status == "suspended"
    step(session, case, actor, "close", note=note)
    if was_suspended:
        effects.set_whitelist(session, actor, case, "active", "")
    effects.tell_provider(session, case, "退出程序已结案", note)
    session.commit()
    return case


def decide(ctx: Context, session: Session, actor: Actor, case_id: int, *, decision: str) -> ExitCase:
    """The expulsion decision (清退决定). Only after the provider answered or its deadline passed;
    opens the appeal window (``exits.appeal_days``) and suspends service meanwhile."""
    case = _staff(session, actor, case_id, decider=True)
    today = clock.today_local()
    if case.status == "warned" and case.rectify_by is not None and today <= case.rectify_by:
        raise Conflict(f"整改期至{case.rectify_by}，机构尚未答复，期满前不能作出清退决定。",
                       code="rectification_period_running")
    case.decision, case.decided_by = _text(decision, "decision", "决定书内容", limit=5000), actor.user_id
    case.appeal_by = today + dt.timedelta(days=_setting(ctx, session, case.county_code, "appeal_days"))
    step(session, case, actor, "decide", note=case.decision, extra={"appeal_by": case.appeal_by})
    effects.set_whitelist(session, actor, case, "suspended", f"已作出清退决定：{case.summary}")
    effects.tell_provider(session, case, "清退决定", f"教育局已作出清退决定。如有异议，请于{case.appeal_by}前在平台提出申诉。")
    session.commit()
    return case


def appeal(ctx: Context, session: Session, actor: Actor, case_id: int, *, text: str) -> ExitCase:
    case = _own(session, actor, case_id)
    if case.status == "expulsion_decided" and case.appeal_by is not None and clock.today_local() > case.appeal_by:
        raise Conflict(f"申诉期已于{case.appeal_by}届满。", code="appeal_window_closed")
    case.appeal = _text(text, "appeal", "申诉理由", limit=5000)
    case.appeal_decide_by = clock.today_local() + dt.timedelta(
        days=_setting(ctx, session, case.county_code, "appeal_decision_days"))
    step(session, case, actor, "appeal", note=case.appeal, extra={"appeal_decide_by": case.appeal_decide_by})
    session.commit()
    return case


def decide_appeal(ctx: Context, session: Session, actor: Actor, case_id: int, *, granted: bool, note: str) -> ExitCase:
    """Another decision-maker than the one who expelled decides the appeal: granted → reinstated;
    rejected → exit today."""
    case = _staff(session, actor, case_id, decider=True)
    if actor.user_id == case.decided_by:
        raise PermissionDenied("作出清退决定的人员不能处理本案申诉，请由其他有决定权限的人员处理。",
                               code="appeal_same_decider")
    case.appeal_decision = _text(note, "note", "申诉处理意见", limit=5000)
    if granted:
        step(session, case, actor, "grant_appeal", note=case.appeal_decision)
        effects.set_whitelist(session, actor, case, "active", "")
        effects.tell_provider(session, case, "申诉成立", f"清退决定已撤销，服务恢复。{case.appeal_decision}")
    else:
        step(session, case, actor, "reject_appeal", note=case.appeal_decision)
        effects.execute_exit(ctx, session, actor, case)
    session.commit()
    return case


def finalise(ctx: Context, session: Session, actor: Actor, case_id: int) -> ExitCase:
    """Carry out an exit whose appeal window lapsed unused, or a voluntary exit whose day has come."""
    if actor.role != "system":
        _staff(session, actor, case_id)
    case = _case(session, case_id)
    today = clock.today_local()
    if case.status == "expulsion_decided" and case.appeal_by is not None and today <= case.appeal_by:
        raise Conflict(f"申诉期至{case.appeal_by}，期满后才能执行退出。", code="appeal_window_open")
    if case.status == "notice_given" and case.effective_on is not None and today < case.effective_on:
        raise Conflict(f"主动退出于{case.effective_on}生效。", code="notice_period_running")
    step(session, case, actor, "finalise", note="申诉期满未申诉，执行退出" if case.trigger != "voluntary" else "主动退出生效")
    effects.execute_exit(ctx, session, actor, case)
    session.commit()
    return case


def give_notice(ctx: Context, session: Session, actor: Actor, *, provider_id: int, county_code: str,
                effective_on: dt.date, reason: str) -> ExitCase:
    """The provider leaves of its own accord, at least ``exits.voluntary_notice_days`` ahead.
    Families are refunded as for any exit; no blacklist."""
    actor.require("provider")
    if actor.provider_id != provider_id:
        raise NotFound("机构不存在。", code="provider_not_found")
    entry = _whitelist(session, provider_id, county_code)
    if entry is None or entry.status not in ("active", "suspended"):
        raise NotFound("贵机构不在该区县白名单中。", code="provider_not_admitted")
    days = _setting(ctx, session, county_code, "voluntary_notice_days")
    earliest = clock.today_local() + dt.timedelta(days=days)
    if effective_on < earliest:
        raise ValidationFailed(f"主动退出须提前{days}天告知，最早可于{earliest}生效。", code="notice_too_short",
                               field="effective_on")
    _no_open_case(session, provider_id, county_code)
    case = ExitCase(county_code=county_code, provider_id=provider_id, trigger="voluntary", grounds=[],
                    summary=_text(reason, "reason", "退出原因"), evidence=[], status="", effective_on=effective_on,
                    created_by=actor.user_id, created_at=utcnow(), updated_at=utcnow())
    step(session, case, actor, "give_notice", note=case.summary, extra={"effective_on": effective_on})
    session.commit()
    return case


def finalise_due(ctx: Context, session: Session) -> list[int]:
    """The periodic job: exits whose appeal window lapsed, voluntary exits whose day has come."""
    today = clock.today_local()
    due = list(session.scalars(select(ExitCase.id).where(
        ((ExitCase.status == "expulsion_decided") & (ExitCase.appeal_by < today))
        | ((ExitCase.status == "notice_given") & (ExitCase.effective_on <= today)))))
    done = []
    for case_id in due:
        try:
            finalise(ctx, session, effects.SYSTEM, case_id)
            done.append(case_id)
        except Conflict:
            session.rollback()
    return done


def county_stmt(actor: Actor, county_code: str, *, status: str = "", like: str = "") -> Select[ExitCase]:
    """The county's cases, newest first, for its list: by status, and by the provider's name (an ``ilike`` pattern)."""
    actor.require("county_staff", "platform_admin")
    actor.require_county(county_code)
    stmt = select(ExitCase).where(ExitCase.county_code == county_code)
    if status:
        if status not in STATUS_LABELS:
            raise ValidationFailed("未知的案件状态。", code="status_invalid", field="status")
        stmt = stmt.where(ExitCase.status == status)
    if like:
        from kehou.platform.providers.models import Provider

        stmt = stmt.where(ExitCase.provider_id.in_(select(Provider.id).where(Provider.name.ilike(like, escape="\\"))))
    return stmt.order_by(ExitCase.created_at.desc(), ExitCase.id.desc())


def list_for(session: Session, actor: Actor, *, county_code: str | None = None,
             provider_id: int | None = None) -> list[ExitCase]:
    stmt = select(ExitCase).order_by(ExitCase.created_at.desc(), ExitCase.id.desc())
    if county_code is not None:
        actor.require("county_staff", "platform_admin")
        actor.require_county(county_code)
        stmt = stmt.where(ExitCase.county_code == county_code)
    else:
        actor.require("provider")
        if actor.provider_id != provider_id:
            raise NotFound("机构不存在。", code="provider_not_found")
        stmt = stmt.where(ExitCase.provider_id == provider_id)
    return list(session.scalars(stmt))


def steps(session: Session, case: ExitCase) -> list[ExitStep]:
    return list(session.scalars(select(ExitStep).where(ExitStep.case_id == case.id).order_by(ExitStep.id)))
