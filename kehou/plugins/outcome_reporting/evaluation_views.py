"""HTML: the county's evaluation runs (compute, read, publish) and the provider's own results."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from kehou.errors import ValidationFailed
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting import evaluation
from kehou.plugins.outcome_reporting.evaluation_api import run_out, score_out
from kehou.plugins.outcome_reporting.evaluation_text import FAILURES, STATUS, TEXT
from kehou.timeutil import clock
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, render

LABELS = {"status": STATUS, "failures": FAILURES}


class EvaluationPages(Controller):
    include_in_schema = False

    @get("/county/evaluations", sync_to_thread=True)
    def county(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        actor.require("county_staff")
        code = str(actor.county_code)
        runs = [run_out(db, r) for r in evaluation.runs(db, actor, code)]
        published = [m for m in catalogue.menus(db, county_code=code) if m.status == "published"]
        terms = sorted({m.term_name for m in published}, reverse=True)
        now = catalogue.current(published, clock.today_local())
        return render(request, "outcome/evaluation_list.html", actor, TEXT, runs=runs, terms=terms, labels=LABELS,
                      current=now.term_name if now else "")

    @post("/county/evaluations", sync_to_thread=True)
    def compute(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
                actor: Who) -> Redirect:
        actor.require("county_staff")
        raw = field(data, "as_of")
        try:
            as_of = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            raise ValidationFailed("计课截至日期格式应为 年-月-日。", code="date_invalid", field="as_of") from None
        run = evaluation.compute(ctx, db, actor, str(actor.county_code), field(data, "term_name"), as_of=as_of)
        return done(request, f"/county/evaluations/{run.id}", TEXT["done"])

    @get("/county/evaluations/{run_id:int}", sync_to_thread=True)
    def show(self, request: Request[Any, Any, Any], run_id: FromPath[int], db: DB, actor: Who) -> Template:
        actor.require("county_staff")
        run = run_out(db, evaluation.get(db, actor, run_id), with_scores=True)
        return render(request, "outcome/evaluation_run.html", actor, TEXT, run=run, labels=LABELS)

    @post("/county/evaluations/{run_id:int}/publish", sync_to_thread=True)
    def publish(self, request: Request[Any, Any, Any], run_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("county_staff")
        evaluation.publish(ctx, db, actor, run_id)
        return done(request, f"/county/evaluations/{run_id}", TEXT["done"])

    @get("/provider/evaluations", sync_to_thread=True)
    def provider(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        actor.require("provider")
        results = [{"term_name": run.term_name, "county_code": run.county_code, "providers": n, **score_out(sc)}
                   for run, sc, n in evaluation.own_scores(db, actor)]
        return render(request, "outcome/evaluation_provider.html", actor, TEXT, results=results, labels=LABELS)
