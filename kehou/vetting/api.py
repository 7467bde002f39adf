"""JSON API: an application's vetting results, on-demand runs, overrides of blocking findings."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy.orm import Session

from kehou.platform.admission.services import visible
from kehou.vetting import services
from kehou.vetting.models import VettingRun
from kehou.web.deps import DB, Ctx, Who


class OverrideBody(msgspec.Struct):
    fingerprint: str
    reason: str


def run_out(db: Session, run: VettingRun | None, application_id: int) -> dict[str, Any]:
    if run is None:
        return {"run": None, "findings": []}
    done = services.overrides(db, application_id)
    return {
        "run": {"id": run.id, "trigger": run.trigger, "status": run.status, "pass": run.passed, "warn": run.warnings,
                "block": run.blocks, "created_at": run.created_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None, "error": run.error},
        "findings": [
            {"rule": f.rule, "verdict": f.verdict, "message": f.message, "evidence": f.evidence, "source": f.source,
             "fingerprint": f.fingerprint,
             "override": ({"reason": done[f.fingerprint].reason, "decided_at": done[f.fingerprint].decided_at.isoformat()}
                          if f.fingerprint in done else None)}
            for f in services.findings_of(db, run)
        ],
    }


class VettingApi(Controller):
    path = "/api/v1/applications/{app_id:int}/vetting"
    tags = ["vetting"]

    @get("/", sync_to_thread=True, summary="The latest vetting run and its findings")
    def latest(self, app_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        visible(db, actor, app_id)
        return run_out(db, services.latest_run(db, app_id), app_id)

    @post("/", sync_to_thread=True, status_code=202, summary="Run vetting again now (queued for a worker)")
    def request(self, app_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        run = services.request_run(ctx, db, actor, app_id)
        return {"run_id": run.id, "status": run.status}

    @post("/overrides", sync_to_thread=True, status_code=201, summary="Let a blocking finding pass, with a reason (decider)")
    def override(self, app_id: FromPath[int], data: JSONBody[OverrideBody], db: DB, actor: Who) -> dict[str, Any]:
        row = services.override(db, actor, app_id, fingerprint=data.fingerprint, reason=data.reason)
        return {"fingerprint": row.fingerprint, "rule": row.rule, "reason": row.reason, "decided_at": row.decided_at.isoformat()}
