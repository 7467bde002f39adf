"""Provider evaluation per county and term: the county's indicator system (``outcome.indicators``)
applied to every provider with a course on a published menu of the term, scored, ranked and
explained; published to the providers; a provider below ``outcome.pass_score`` or below an
indicator's ``min`` is proposed for exit (``kehou_exit_proposed``) with the evidence.

An indicator with nothing to score (no patrol, too few answers) is left out and the others' weights
are scaled up to 100, which the explanation says. A provider with nothing observed at all (no patrol,
no lesson due, no answers, no complaint or incident) is not rated (未评价): never ranked, never failed,
shown apart (rank 0). A run keeps the configuration it used, so a later
change of the county's settings does not change a published result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.notifications.services import notify_provider_users
from kehou.platform.outbox import events
from kehou.platform.providers.models import Provider
from kehou.pluginapi import ExitProposal
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting import access
from kehou.plugins.outcome_reporting.indicators import FULL, MEASURES, NOTHING, Measure, Scope, points
from kehou.plugins.outcome_reporting.models import EvaluationRun, EvaluationScore
from kehou.plugins.outcome_reporting.policy import INDICATORS
from kehou.timeutil import clock, utcnow


def _staff(actor: Actor, county_code: str, *, decide: bool = False) -> None:
    actor.require("county_staff", "platform_admin", "system")
    if actor.role == "county_staff" and actor.county_code != county_code:
        raise NotFound("区县不存在。", code="county_not_found")
    if decide and actor.role == "county_staff" and not actor.can_decide:
        raise PermissionDenied("发布评价结果须由有决定权的工作人员操作。", code="decide_right_required")


def score_providers(session: Session, scope: Scope, indicators: Sequence[Mapping[str, Any]],
                    pass_score: int) -> list[dict[str, Any]]:
    """One result per provider: total (hundredths), passed, failures and the breakdown, ranked; a provider with
    nothing observed gets rank 0 (not rated) and comes last."""
    measured = {ind["code"]: MEASURES[ind["code"]](session, scope) for ind in indicators}
    results: list[dict[str, Any]] = []
    for pid in scope.provider_ids:
        got = {ind["code"]: measured[ind["code"]].get(pid) or Measure(None, NOTHING.get(ind["code"], "不计分"), {})
               for ind in indicators}
        scored = [ind for ind in indicators if got[ind["code"]].score is not None]
        if not any(got[ind["code"]].observed for ind in scored):
            scored = []  # conduct's default 100 alone is not an evaluation
        weights = sum(ind["weight"] for ind in scored)
        total = (2 * sum(got[i["code"]].score * i["weight"] for i in scored) + weights) // (2 * weights) if weights else 0
        # nothing to score (e.g. only satisfaction counts and too few answered): not rated, never failed
        failures = [] if total >= pass_score * 100 or not weights else ["total_below_pass"]
        breakdown = []
        for ind in indicators:
            m = got[ind["code"]]
            share = (ind["weight"] * FULL // weights) if m.score is not None and weights else 0  # hundredths of a percent
            lost = (FULL - m.score) * ind["weight"] // weights if m.score is not None and weights else 0
            low = ind.get("min")
            below = m.score is not None and low is not None and m.score < low * 100
            if below:
                failures.append(f"min:{ind['code']}")
            breakdown.append({"code": ind["code"], "label": INDICATORS[ind["code"]], "weight": ind["weight"],
                              "effective_weight": share, "score": m.score, "lost": lost, "min": low, "below_min": below,
                              "why": m.why, "evidence": m.evidence})
        results.append({"provider_id": pid, "total": total, "passed": not failures, "failures": failures,
                        "breakdown": breakdown, "rated": bool(weights)})
    results.sort(key=lambda r: (not r["rated"], -r["total"], r["provider_id"]))
    for rank, r in enumerate(results, start=1):
        r["rank"] = rank if r["rated"] else 0
    return results


def compute(ctx: Context, session: Session, actor: Actor, county_code: str, term_name: str,
            as_of: dt.date | None = None) -> EvaluationRun:
    """A new draft run for the county's term (earlier drafts of the term are superseded)."""
    _staff(actor, county_code)
    settings = access.settings(ctx, session, county_code)
    term_name = (term_name or "").strip()
    courses = tuple(c for c in catalogue.courses(session, county_code=county_code, term_name=term_name)
                    if c.menu_status == "published")
    if not courses:
        raise ValidationFailed(f"「{term_name}」没有已发布的课程，无法评价。", code="term_without_courses", field="term_name")
    # lessons up to yesterday are due by default (today's may not have started), never past the term's end
    day = as_of or min(clock.today_local() - dt.timedelta(days=1), max(c.term_end for c in courses))
    indicators = [dict(i) for i in settings["outcome.indicators"]]
    config = {"indicators": indicators, "pass_score": settings["outcome.pass_score"], "as_of": day.isoformat(),
              "min_responses": settings["outcome.min_responses"],
              "complaint_penalty": dict(settings["outcome.complaint_penalty"]),
              "incident_penalty": dict(settings["outcome.incident_penalty"])}
    scope = Scope(county_code, term_name, day, settings, courses)
    results = score_providers(session, scope, indicators, config["pass_score"])
    for old in session.scalars(select(EvaluationRun).where(
            EvaluationRun.county_code == county_code, EvaluationRun.term_name == term_name,
            EvaluationRun.status == "draft").with_for_update()):
        old.status = "superseded"
    run = EvaluationRun(county_code=county_code, term_name=term_name, config=config, status="draft",
                        computed_by=actor.user_id, computed_at=utcnow())
    session.add(run)
    session.flush()
    for r in results:
        session.add(EvaluationScore(run_id=run.id, provider_id=r["provider_id"], total=r["total"], rank=r["rank"],
                                    passed=r["passed"], breakdown=r["breakdown"], failures=r["failures"]))
    audit.record(session, actor, county_code=county_code, action="outcome.evaluation_computed", entity_type="evaluation_run",
                 entity_id=run.id, reason=f"{term_name} 机构评价（截至{day}）",
                 new={"providers": len(results), "failed": [r["provider_id"] for r in results if not r["passed"]],
                      "config": config})
    session.commit()
    return run


def _summary(name: str, term_name: str, score: EvaluationScore, pass_score: int) -> str:
    reasons = []
    if "total_below_pass" in score.failures:
        reasons.append(f"总分 {points(score.total)} 低于合格分 {pass_score}")
    for item in score.breakdown:
        if item["below_min"]:
            reasons.append(f"{item['label']} {points(item['score'])} 低于单项最低分 {item['min']}")
    return f"{name}在{term_name}机构评价中不合格：" + "；".join(reasons) + "。"


def evidence(score: EvaluationScore, run: EvaluationRun) -> tuple[dict[str, Any], ...]:
    """What the exit proposal carries: every indicator's value, threshold and source."""
    items: list[dict[str, Any]] = [{"indicator": "total", "label": "评价总分", "value": points(score.total),
                                    "threshold": str(run.config["pass_score"]), "source": f"evaluation_run:{run.id}"}]
    items += [{"indicator": b["code"], "label": b["label"], "value": None if b["score"] is None else points(b["score"]),
               "threshold": None if b["min"] is None else str(b["min"]), "weight": b["weight"], "why": b["why"],
               "source": f"evaluation_run:{run.id}"} for b in score.breakdown]
    return tuple(items)


def publish(ctx: Context, session: Session, actor: Actor, run_id: int) -> EvaluationRun:
    """Publish a draft: each provider is told its score and rank; the earlier published run of the
    term is superseded; every provider that failed is proposed for exit (after commit), once per
    county, term and provider."""
    run = get(session, actor, run_id, lock=True)
    _staff(actor, run.county_code, decide=True)
    if run.status != "draft":
        raise Conflict("只能发布草稿状态的评价结果。", code="evaluation_not_draft")
    for old in session.scalars(select(EvaluationRun).where(
            EvaluationRun.county_code == run.county_code, EvaluationRun.term_name == run.term_name,
            EvaluationRun.status == "published")):
        old.status = "superseded"
    run.status, run.published_by, run.published_at = "published", actor.user_id, utcnow()
    scores = scores_of(session, run.id)
    ranked = sum(1 for sc in scores if sc.rank)
    names = dict(session.execute(
        select(Provider.id, Provider.name).where(Provider.id.in_([s.provider_id for s in scores]))).all())
    proposals = []
    for sc in scores:
        if not sc.rank:
            notify_provider_users(session, sc.provider_id, f"{run.term_name}机构评价结果：未评价",
                                  "本学期没有巡课、应上课次、问卷或投诉处理等记录，暂不评价、不参加排名。",
                                  "/provider/evaluations")
            continue
        verdict = "合格" if sc.passed else "不合格"
        notify_provider_users(session, sc.provider_id, f"{run.term_name}机构评价结果：{points(sc.total)}分（{verdict}）",
                              f"贵机构在本区县{ranked}家参评机构中排名第{sc.rank}。各项得分与失分原因请查看评价详情。",
                              "/provider/evaluations")
        if not sc.passed:
            sc.proposal_key = f"evaluation:{run.county_code}:{run.term_name}:{sc.provider_id}"
            proposals.append(ExitProposal(key=sc.proposal_key, provider_id=sc.provider_id, county_code=run.county_code,
                                          summary=_summary(names.get(sc.provider_id, ""), run.term_name, sc,
                                                           run.config["pass_score"]),
                                          evidence=evidence(sc, run)))
    audit.record(session, actor, county_code=run.county_code, action="outcome.evaluation_published",
                 entity_type="evaluation_run", entity_id=run.id, reason=f"发布{run.term_name}机构评价结果",
                 old={"status": "draft"}, new={"status": "published", "proposed_for_exit": [p.provider_id for p in proposals]})
    if proposals:
        for p in proposals:
            events.record(ctx, session, run.county_code, "kehou_exit_proposed", proposal=p)
    session.commit()
    return run


def get(session: Session, actor: Actor, run_id: int, *, lock: bool = False) -> EvaluationRun:
    """A run its county's staff may see (the provider sees only its own published score: ``own_scores``)."""
    actor.require("county_staff", "platform_admin", "system")
    stmt = select(EvaluationRun).where(EvaluationRun.id == run_id)
    run = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if run is None or (actor.role == "county_staff" and actor.county_code != run.county_code):
        raise NotFound("评价不存在。", code="evaluation_not_found")
    return run


def runs(session: Session, actor: Actor, county_code: str) -> list[EvaluationRun]:
    _staff(actor, county_code)
    return list(session.scalars(select(EvaluationRun).where(EvaluationRun.county_code == county_code)
                                .order_by(EvaluationRun.id.desc())))


def scores_of(session: Session, run_id: int) -> list[EvaluationScore]:
    """Ranked providers in rank order, then the providers not rated (rank 0)."""
    return list(session.scalars(select(EvaluationScore).where(EvaluationScore.run_id == run_id)
                                .order_by(EvaluationScore.rank == 0, EvaluationScore.rank, EvaluationScore.provider_id)))


def own_scores(session: Session, actor: Actor) -> list[tuple[EvaluationRun, EvaluationScore, int]]:
    """The provider's published results: run, its score, and how many providers were ranked (rated)."""
    actor.require("provider")
    rows = session.execute(select(EvaluationRun, EvaluationScore)
                           .join(EvaluationScore, EvaluationScore.run_id == EvaluationRun.id)
                           .where(EvaluationScore.provider_id == actor.provider_id, EvaluationRun.status == "published")
                           .order_by(EvaluationRun.id.desc())).all()
    counts = {run.id: sum(1 for sc in scores_of(session, run.id) if sc.rank) for run, _ in rows}
    return [(run, sc, counts[run.id]) for run, sc in rows]
