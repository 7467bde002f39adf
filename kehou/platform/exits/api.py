"""JSON API of the exit mechanism (退出机制)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from kehou.platform.exits import services as exits
from kehou.platform.exits.models import ExitCase
from kehou.platform.exits.workflow import GROUNDS, STATUS_LABELS, TRIGGERS
from kehou.platform.providers.models import Provider
from kehou.timeutil import fmt_local
from kehou.web.deps import DB, Ctx, Who


class ProposalBody(msgspec.Struct):
    provider_id: int
    trigger: str
    grounds: list[str]
    summary: str
    evidence: list[dict[str, Any]] = []


class NoteBody(msgspec.Struct):
    note: str = ""
    rectify_days: int | None = None


class TextBody(msgspec.Struct):
    text: str = ""


class AppealDecisionBody(msgspec.Struct):
    granted: bool
    note: str = ""


class NoticeBody(msgspec.Struct):
    county_code: str
    effective_on: dt.date
    reason: str = ""


def case_out(session: Any, case: ExitCase, *, with_steps: bool = False) -> dict[str, Any]:
    provider = session.get(Provider, case.provider_id)
    out: dict[str, Any] = {
        "id": case.id, "county_code": case.county_code, "provider_id": case.provider_id,
        "provider_name": provider.name if provider else "", "trigger": case.trigger,
        "trigger_label": TRIGGERS.get(case.trigger, case.trigger), "grounds": case.grounds,
        "ground_labels": [GROUNDS.get(g, g) for g in case.grounds], "summary": case.summary,
        "evidence": case.evidence, "status": case.status, "status_label": STATUS_LABELS.get(case.status, case.status),
        "rectify_by": case.rectify_by, "response": case.response, "decision": case.decision,
        "appeal_by": case.appeal_by, "appeal": case.appeal, "appeal_decide_by": case.appeal_decide_by,
        "appeal_decision": case.appeal_decision, "effective_on": case.effective_on,
        "blacklist_until": case.blacklist_until, "created_at": fmt_local(case.created_at),
    }
    if with_steps:
        out["steps"] = [{"action": s.action, "from": s.from_status, "to": s.to_status, "by": s.actor_name,
                         "role": s.actor_role, "note": s.note, "at": fmt_local(s.at)} for s in exits.steps(session, case)]
    return out


class ExitsApi(Controller):
    tags = ["exits"]

    @get("/api/v1/counties/{code:str}/exit-cases", sync_to_thread=True, summary="The county's exit cases")
    def county_cases(self, code: FromPath[str], db: DB, actor: Who) -> list[dict[str, Any]]:
        return [case_out(db, c) for c in exits.list_for(db, actor, county_code=code)]

    @post("/api/v1/counties/{code:str}/exit-cases", sync_to_thread=True, status_code=201,
          summary="Propose an exit (county staff): violation or lapsed qualification, with evidence")
    def propose(self, code: FromPath[str], data: JSONBody[ProposalBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        case = exits.propose(ctx, db, actor, county_code=code, provider_id=data.provider_id, trigger=data.trigger,
                             grounds=data.grounds, summary=data.summary, evidence=data.evidence)
        return case_out(db, case)

    @get("/api/v1/providers/{provider_id:int}/exit-cases", sync_to_thread=True, summary="A provider's own exit cases")
    def provider_cases(self, provider_id: FromPath[int], db: DB, actor: Who) -> list[dict[str, Any]]:
        return [case_out(db, c) for c in exits.list_for(db, actor, provider_id=provider_id)]

    @post("/api/v1/providers/{provider_id:int}/voluntary-exit", sync_to_thread=True, status_code=201,
          summary="The provider gives notice of its voluntary exit from a county")
    def give_notice(self, provider_id: FromPath[int], data: JSONBody[NoticeBody], db: DB, ctx: Ctx,
                    actor: Who) -> dict[str, Any]:
        case = exits.give_notice(ctx, db, actor, provider_id=provider_id, county_code=data.county_code,
                                 effective_on=data.effective_on, reason=data.reason)
        return case_out(db, case)

    @get("/api/v1/exit-cases/{case_id:int}", sync_to_thread=True, summary="One case with its steps")
    def show(self, case_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        return case_out(db, exits.visible(db, actor, case_id), with_steps=True)

    @post("/api/v1/exit-cases/{case_id:int}/warn", sync_to_thread=True, status_code=200,
          summary="Warn with a rectification deadline")
    def warn(self, case_id: FromPath[int], data: JSONBody[NoteBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return case_out(db, exits.warn(ctx, db, actor, case_id, note=data.note, rectify_days=data.rectify_days))

    @post("/api/v1/exit-cases/{case_id:int}/respond", sync_to_thread=True, status_code=200,
          summary="The provider's response")
    def respond(self, case_id: FromPath[int], data: JSONBody[TextBody], db: DB, actor: Who) -> dict[str, Any]:
        return case_out(db, exits.respond(db, actor, case_id, response=data.text))

    @post("/api/v1/exit-cases/{case_id:int}/suspend", sync_to_thread=True, status_code=200, summary="Suspend service")
    def suspend(self, case_id: FromPath[int], data: JSONBody[NoteBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return case_out(db, exits.suspend(ctx, db, actor, case_id, note=data.note))

    @post("/api/v1/exit-cases/{case_id:int}/close", sync_to_thread=True, status_code=200,
          summary="Close without exit (county) or withdraw a voluntary notice (provider)")
    def close(self, case_id: FromPath[int], data: JSONBody[NoteBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return case_out(db, exits.close(ctx, db, actor, case_id, note=data.note))

    @post("/api/v1/exit-cases/{case_id:int}/decide", sync_to_thread=True, status_code=200,
          summary="The expulsion decision (decision-maker); opens the appeal window")
    def decide(self, case_id: FromPath[int], data: JSONBody[TextBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return case_out(db, exits.decide(ctx, db, actor, case_id, decision=data.text))

    @post("/api/v1/exit-cases/{case_id:int}/appeal", sync_to_thread=True, status_code=200, summary="The provider appeals")
    def appeal(self, case_id: FromPath[int], data: JSONBody[TextBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return case_out(db, exits.appeal(ctx, db, actor, case_id, text=data.text))

    @post("/api/v1/exit-cases/{case_id:int}/appeal-decision", sync_to_thread=True, status_code=200,
          summary="Decide the appeal (another decision-maker): granted reinstates, rejected exits")
    def appeal_decision(self, case_id: FromPath[int], data: JSONBody[AppealDecisionBody], db: DB, ctx: Ctx,
                        actor: Who) -> dict[str, Any]:
        return case_out(db, exits.decide_appeal(ctx, db, actor, case_id, granted=data.granted, note=data.note))

    @post("/api/v1/exit-cases/{case_id:int}/finalise", sync_to_thread=True, status_code=200,
          summary="Carry out the exit once the appeal window lapsed (or a voluntary exit is due)")
    def finalise(self, case_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return case_out(db, exits.finalise(ctx, db, actor, case_id))
