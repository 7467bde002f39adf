"""Exit proposals raised by plugins through ``kehou_exit_proposed`` (e.g. a failed evaluation)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import KehouError
from kehou.platform.context import Context
from kehou.platform.exits import effects, services
from kehou.platform.exits.effects import SYSTEM
from kehou.platform.exits.models import ExitCase


def open_case(ctx: Context, session: Session, proposal: dict[str, Any]) -> int:
    """Open the case (once per proposal key) and tell the county's staff; returns its id, or 0 when
    no case could be opened (the provider is no longer admitted, or a case is already open — then
    the evidence is added to that case's record in the audit log)."""
    seen = session.scalars(select(ExitCase.id).where(ExitCase.proposal_key == str(proposal["key"]))).first()
    if seen is not None:  # delivered again: the case exists, the county was told
        return int(seen)
    try:
        case = services.propose(ctx, session, SYSTEM, county_code=proposal["county_code"],
                                provider_id=int(proposal["provider_id"]), trigger=proposal.get("trigger", "evaluation"),
                                grounds=list(proposal.get("grounds") or ["failed_evaluation"]),
                                summary=str(proposal["summary"]), evidence=list(proposal.get("evidence") or []),
                                proposal_key=str(proposal["key"]))
    except KehouError as exc:
        session.rollback()
        from kehou.platform.audit import services as audit

        audit.record(session, SYSTEM, county_code=proposal["county_code"], action="exit.proposal_not_opened",
                     entity_type="provider", entity_id=proposal["provider_id"], reason=exc.message,
                     new={"key": proposal["key"], "evidence": proposal.get("evidence") or []})
        session.commit()
        return 0
    effects.tell_county(session, case, "收到退出提议", f"{case.summary}（证据{len(case.evidence)}项），请核查并决定是否警告。")
    session.commit()
    return case.id
