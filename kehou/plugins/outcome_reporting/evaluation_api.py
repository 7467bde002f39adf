"""JSON API of provider evaluation: compute a term's scores, read them, publish them; the provider's own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.platform.providers.models import Provider
from kehou.plugins.outcome_reporting import evaluation
from kehou.plugins.outcome_reporting.indicators import points
from kehou.plugins.outcome_reporting.models import EvaluationRun, EvaluationScore
from kehou.timeutil import fmt_local
from kehou.web.deps import DB, Ctx, Who


class ComputeBody(msgspec.Struct):
    term_name: str
    as_of: dt.date | None = None  # lessons due up to this day (default: yesterday, or the term's end if earlier)


def score_out(sc: EvaluationScore, name: str = "") -> dict[str, Any]:
    return {"provider_id": sc.provider_id, "provider_name": name, "total": points(sc.total), "total_hundredths": sc.total,
            "rank": sc.rank or None, "rated": bool(sc.rank), "passed": sc.passed, "failures": sc.failures,
            "proposal_key": sc.proposal_key,
            "breakdown": [b | {"score": None if b["score"] is None else points(b["score"]), "lost": points(b["lost"]),
                               "effective_weight": points(b["effective_weight"])} for b in sc.breakdown]}


def run_out(session: Session, run: EvaluationRun, *, with_scores: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"id": run.id, "county_code": run.county_code, "term_name": run.term_name, "status": run.status,
                           "config": run.config, "computed_at": fmt_local(run.computed_at),
                           "published_at": fmt_local(run.published_at) if run.published_at else None}
    if with_scores:
        scores = evaluation.scores_of(session, run.id)
        names = dict(session.execute(select(Provider.id, Provider.name).where(
            Provider.id.in_([s.provider_id for s in scores]))).all())
        out["scores"] = [score_out(sc, names.get(sc.provider_id, "")) for sc in scores]
    return out


class EvaluationApi(Controller):
    tags = ["outcome evaluation"]

    @post("/api/v1/counties/{code:str}/evaluations", sync_to_thread=True, status_code=201,
          summary="Compute a draft evaluation of every provider with courses in the term (county staff)")
    def compute(self, code: FromPath[str], data: JSONBody[ComputeBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        run = evaluation.compute(ctx, db, actor, code, data.term_name, as_of=data.as_of)
        return run_out(db, run, with_scores=True)

    @get("/api/v1/counties/{code:str}/evaluations", sync_to_thread=True, summary="The county's evaluation runs")
    def runs(self, code: FromPath[str], db: DB, actor: Who) -> list[dict[str, Any]]:
        return [run_out(db, r) for r in evaluation.runs(db, actor, code)]

    @get("/api/v1/evaluations/{run_id:int}", sync_to_thread=True,
         summary="One run: every provider's score, rank and explanation")
    def show(self, run_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        return run_out(db, evaluation.get(db, actor, run_id), with_scores=True)

    @post("/api/v1/evaluations/{run_id:int}/publish", sync_to_thread=True, status_code=200,
          summary="Publish a draft (decision-maker): providers are told; failing providers are proposed for exit")
    def publish(self, run_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return run_out(db, evaluation.publish(ctx, db, actor, run_id), with_scores=True)

    @get("/api/v1/providers/me/evaluations", sync_to_thread=True, summary="The provider's published results")
    def own(self, db: DB, actor: Who) -> list[dict[str, Any]]:
        return [{"run_id": run.id, "county_code": run.county_code, "term_name": run.term_name, "providers": n,
                 "published_at": fmt_local(run.published_at) if run.published_at else None, **score_out(sc)}
                for run, sc, n in evaluation.own_scores(db, actor)]
