"""Provider evaluation: a worked example per indicator, weights re-scaled when an indicator has
nothing to score, the ranking, a provider crossing the satisfaction threshold both ways, and a
failing provider proposed for exit (with the evidence) through the real hook and a real worker.

Supervision and survey rows are written straight into their tables here: the evaluation reads the
tables, and each figure below is worked out by hand from them."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.audit.models import AuditEntry
from kehou.platform.exits.models import ExitCase
from kehou.platform.notifications.models import Notification
from kehou.platform.policy import services as policy
from kehou.plugins.course_catalogue.models import Enrolment
from kehou.plugins.outcome_reporting import evaluation
from kehou.plugins.outcome_reporting.indicators import ratio
from kehou.plugins.outcome_reporting.models import (
    Complaint,
    EvaluationRun,
    Incident,
    Patrol,
    SchoolRating,
    Survey,
    SurveyResponse,
)
from kehou.timeutil import utcnow
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests import outcome_setup as oset
from tests.celery_support import celery_app, worker  # noqa: F401  (fixture)
from tests.factories import ADMIN, COUNTY, World


@dataclass
class Term:
    name: str
    a: int  # the entry of "provider" (书法, Mondays)
    b: int  # the entry of "other_provider" (足球, Tuesdays)
    as_of: dt.date
    survey_id: int
    a_responses: list[int]


def patrol(world: World, s, entry: int, provider: str, term: str, *, rating: int, on_topic: bool = True,  # type: ignore[no-untyped-def]
           non_academic: bool = True, present: bool = True) -> None:
    s.add(Patrol(county_code=COUNTY, school_id=world.school_ids["school"], provider_id=world.provider_ids[provider],
                 entry_id=entry, term_name=term, day=dt.date(2026, 11, 2), inspector_id=world.users["school_admin"].id,
                 inspector_kind="school", instructor_present=present, instructor_matches=True, on_topic=on_topic,
                 non_academic=non_academic, safety_ok=True, rating=rating, notes="", photos=[], created_at=utcnow()))


def complaint(world: World, s, n: int, term: str, *, status: str = "resolved", finding: str | None = None) -> None:  # type: ignore[no-untyped-def]
    s.add(Complaint(tracking_code=f"TS{n:06d}", county_code=COUNTY, school_id=world.school_ids["school"],
                    provider_id=world.provider_ids["provider"], term_name=term, source="parent", category="teaching",
                    text="老师经常迟到", status=status, assign_by=dt.date(2026, 11, 3), resolve_by=dt.date(2026, 11, 20),
                    finding=finding, received_at=utcnow()))


@pytest.fixture
def term(world: World) -> Term:
    """Two providers on one published menu; ten children in 书法 and four of them in 足球; the first
    four 书法 lessons are due and three delivered, every 足球 lesson due is delivered."""
    cs.enable_catalogue(world)
    oset.enable(world)
    cs.admit(world, "provider")
    cs.admit(world, "other_provider")
    o1 = cs.offering(world, "provider", "少儿软笔书法")
    o2 = cs.offering(world, "other_provider", "少儿足球", category="体育艺术")
    menu = cs.menu(world)
    a = cs.place(world, menu, o1, [(0, "16:00")])
    b = cs.place(world, menu, o2, [(1, "16:00")], venue="操场")
    cs.publish(world, menu)
    name = bs.term_name(world, menu)
    kids = [cs.child(world, f"学生{i}") for i in range(10)]
    for k in kids:
        bs.enrol(world, k, a)
    for k in kids[:4]:
        bs.enrol(world, k, b)
    a_days, b_days = bs.lesson_days(world, a), bs.lesson_days(world, b)
    as_of = a_days[3][1]
    for i in (0, 1, 3):
        bs.deliver(world, a_days[i][0], {})
    for lesson_id, day in b_days:
        if day <= as_of:
            bs.deliver(world, lesson_id, {}, provider="other_provider")
    with world.ctx.db.write_session() as s:
        # content 2 of 3 patrols good; ratings 5, 4 and 3 with the instructor absent (counts 0)
        patrol(world, s, a, "provider", name, rating=5)
        patrol(world, s, a, "provider", name, rating=4, non_academic=False)
        patrol(world, s, a, "provider", name, rating=3, present=False)
        patrol(world, s, a, "provider", "2025-2026学年第二学期", rating=1, on_topic=False)  # another term: ignored
        complaint(world, s, 1, name, finding="substantiated")
        complaint(world, s, 2, name, finding="partly")
        complaint(world, s, 3, name, finding="unsubstantiated")
        complaint(world, s, 4, name, status="assigned")  # not resolved yet: no penalty
        s.add(Incident(county_code=COUNTY, school_id=world.school_ids["school"], provider_id=world.provider_ids["provider"],
                       entry_id=a, term_name=name, occurred_at=utcnow(), severity="minor", description="学生擦伤膝盖",
                       injured=1, reported_by=world.users["school_admin"].id, reported_at=utcnow()))
        survey = Survey(county_code=COUNTY, term_name=name, reason="on_demand", questions=[], opens_at=utcnow(),
                        closes_at=utcnow() + dt.timedelta(days=14), created_at=utcnow())
        s.add(survey)
        s.flush()
        enrolments = dict(s.execute(select(Enrolment.student_id, Enrolment.id).where(Enrolment.entry_id == a)).all())
        responses = []
        for i, k in enumerate(kids):  # 7 of 10 satisfied
            r = SurveyResponse(survey_id=survey.id, enrolment_id=enrolments[k], respondent="parent",
                               school_id=world.school_ids["school"], provider_id=world.provider_ids["provider"], entry_id=a,
                               answers={"overall": 5 if i < 7 else 3}, score=100 if i < 7 else 50, satisfied=i < 7,
                               submitted_at=utcnow())
            s.add(r)
            s.flush()
            responses.append(r.id)
        for _, en in s.execute(select(Enrolment.student_id, Enrolment.id).where(Enrolment.entry_id == b)):
            s.add(SurveyResponse(survey_id=survey.id, enrolment_id=en, respondent="parent", school_id=world.school_ids["school"],
                                 provider_id=world.provider_ids["other_provider"], entry_id=b, answers={"overall": 2},
                                 score=25, satisfied=False, submitted_at=utcnow()))
        s.add(SchoolRating(survey_id=survey.id, school_id=world.school_ids["school"], provider_id=world.provider_ids["provider"],
                           answers={"overall": 4}, score=85, rated_by=world.users["school_admin"].id, rated_at=utcnow()))
        survey_id = survey.id
        s.commit()
    return Term(name, a, b, as_of, survey_id, responses)


def compute(world: World, term: Term, who: str = "reviewer1") -> dict[int, dict]:  # type: ignore[type-arg]
    with world.ctx.db.write_session() as s:
        run = evaluation.compute(world.ctx, s, world.actor(who), COUNTY, term.name, as_of=term.as_of)
        return {sc.provider_id: {"total": sc.total, "rank": sc.rank, "passed": sc.passed, "failures": sc.failures,
                                 "run_id": run.id, **{b["code"]: b for b in sc.breakdown}}
                for sc in evaluation.scores_of(s, run.id)}


def test_ratio_rounds_half_up_in_hundredths() -> None:
    assert (ratio(2, 3), ratio(1, 3), ratio(7, 12), ratio(1, 8), ratio(0, 5), ratio(5, 5)) == (6667, 3333, 5833, 1250, 0, 10000)


def test_each_indicator_worked_by_hand(world: World, term: Term) -> None:
    got = compute(world, term)
    a, b = got[world.provider_ids["provider"]], got[world.provider_ids["other_provider"]]
    # content quality: 2 of 3 patrols on topic and non-academic → 66.67
    assert (a["content_quality"]["score"], a["content_quality"]["evidence"]) == (6667, {"patrols": 3, "good": 2})
    # teaching quality: (5-1) + (4-1) + 0 (instructor absent) = 7 of 3×4 → 58.33
    assert a["teaching_quality"]["score"] == 5833
    assert "1次授课教师缺席或非本人" in a["teaching_quality"]["why"]
    # conduct: 100 − 20 (substantiated) − 10 (partly) − 10 (minor incident); unresolved and unsubstantiated cost nothing
    assert (a["conduct"]["score"], a["conduct"]["evidence"]["deducted"]) == (6000, 40)
    # delivery: 3 of the 4 lessons due were delivered → 75.00
    assert (a["delivery"]["score"], a["delivery"]["evidence"]) == (7500, {"due": 4, "delivered": 3})
    # parent satisfaction: 7 of 10 satisfied → 70.00, below the county's minimum of 80
    assert (a["parent_satisfaction"]["score"], a["parent_satisfaction"]["below_min"]) == (7000, True)
    # school satisfaction: one school's 85
    assert a["school_satisfaction"]["score"] == 8500
    # total: (66.67×15 + 58.33×20 + 60×15 + 75×15 + 70×25 + 85×10) / 100 = 67.9165 → 67.92
    assert a["total"] == 6792 and a["passed"] is False and a["failures"] == ["min:parent_satisfaction"]
    assert a["parent_satisfaction"]["lost"] == 750  # 30 points of 25% of the total
    # the other provider: no patrol, 4 answers (< 10), no school rating → only conduct and delivery count, 50% each
    assert b["content_quality"]["score"] is None and b["teaching_quality"]["score"] is None
    assert b["parent_satisfaction"]["score"] is None and "少于10份" in b["parent_satisfaction"]["why"]
    assert b["school_satisfaction"]["score"] is None
    assert (b["conduct"]["score"], b["delivery"]["score"], b["conduct"]["effective_weight"]) == (10000, 10000, 5000)
    assert (b["total"], b["passed"], b["rank"], a["rank"]) == (10000, True, 1, 2)


def test_crossing_the_satisfaction_threshold_and_the_pass_score(world: World, term: Term) -> None:
    with world.ctx.db.write_session() as s:  # the term-end round: an unhappy parent is now satisfied, 8 of 10 = 80.00
        first = s.get(SurveyResponse, term.a_responses[7])
        again = Survey(county_code=COUNTY, term_name=term.name, reason="term_end", questions=[], opens_at=utcnow(),
                       closes_at=utcnow() + dt.timedelta(days=14), created_at=utcnow())
        s.add(again)
        s.flush()
        s.add(SurveyResponse(survey_id=again.id, enrolment_id=first.enrolment_id, respondent="parent",
                             school_id=first.school_id, provider_id=first.provider_id, entry_id=first.entry_id,
                             answers={"overall": 4}, score=75, satisfied=True, submitted_at=utcnow()))
        s.commit()
    a = compute(world, term)[world.provider_ids["provider"]]
    assert a["parent_satisfaction"]["evidence"] == {"answers": 10, "satisfied": 8}  # each enrolment's last answer only
    assert (a["parent_satisfaction"]["score"], a["passed"], a["total"]) == (8000, True, 7042)
    with world.ctx.db.write_session() as s:  # the county raises its pass score above the total
        policy.put(s, world.ctx.registry, ADMIN, scope=COUNTY, key="outcome.pass_score", value=71,
                   effective_from=dt.date(2026, 1, 1), reason="提高合格分",
                   retroactive_reason="测试：补录已执行的政策")
    a = compute(world, term)[world.provider_ids["provider"]]
    assert (a["passed"], a["failures"]) == (False, ["total_below_pass"])
    with world.ctx.db.read_session() as s:  # each computation superseded the draft before it
        statuses = [r.status for r in s.scalars(select(EvaluationRun).order_by(EvaluationRun.id))]
    assert statuses == ["superseded", "draft"]


def test_indicator_settings_are_validated(world: World, term: Term) -> None:
    bad = [([{"code": "delivery", "weight": 50}, {"code": "conduct", "weight": 40}], "各指标权重之和须为100"),
           ([{"code": "popularity", "weight": 100}], "「指标」不能取「popularity」"),
           ([{"code": "delivery", "weight": 100, "min": 120}], "最低分 min 须为0到100")]
    for value, message in bad:
        with world.ctx.db.write_session() as s, pytest.raises(ValidationFailed) as e:
            policy.put(s, world.ctx.registry, ADMIN, scope=COUNTY, key="outcome.indicators", value=value,
                       effective_from=dt.date(2026, 1, 1), reason="x", retroactive_reason="测试：补录已执行的政策")
        assert message in e.value.message
    with world.ctx.db.write_session() as s:  # a county that weighs only delivery and satisfaction
        policy.put(s, world.ctx.registry, ADMIN, scope=COUNTY, key="outcome.indicators",
                   value=[{"code": "delivery", "weight": 40}, {"code": "parent_satisfaction", "weight": 60, "min": 60}],
                   effective_from=dt.date(2026, 1, 1), reason="本县只评履约与满意度",
                   retroactive_reason="测试：补录已执行的政策")
    a = compute(world, term)[world.provider_ids["provider"]]
    assert set(a) >= {"delivery", "parent_satisfaction"} and "conduct" not in a
    assert (a["total"], a["passed"]) == ((7500 * 40 + 7000 * 60) // 100, True)  # 72.00, and 70 ≥ the minimum of 60


def test_a_provider_with_nothing_to_score_is_not_failed(world: World, term: Term) -> None:
    with world.ctx.db.write_session() as s:  # only satisfaction counts; the other provider has 4 answers of the 10 needed
        policy.put(s, world.ctx.registry, ADMIN, scope=COUNTY, key="outcome.indicators",
                   value=[{"code": "parent_satisfaction", "weight": 100, "min": 80}], effective_from=dt.date(2026, 1, 1),
                   reason="只评家长满意度",
                   retroactive_reason="测试：补录已执行的政策")
    got = compute(world, term)
    a, b = got[world.provider_ids["provider"]], got[world.provider_ids["other_provider"]]
    assert (a["total"], a["passed"], a["failures"]) == (7000, False, ["min:parent_satisfaction"])  # 70 ≥ the pass score 60
    assert (b["total"], b["passed"], b["failures"], b["parent_satisfaction"]["score"]) == (0, True, [], None)
    assert (a["rank"], b["rank"]) == (1, 0)  # not rated: never ranked


def test_conducts_default_score_alone_never_ranks_a_provider_above_an_observed_one(world: World, term: Term) -> None:
    with world.ctx.db.write_session() as s:  # patrols and conduct; the other provider was never patrolled
        policy.put(s, world.ctx.registry, ADMIN, scope=COUNTY, key="outcome.indicators",
                   value=[{"code": "content_quality", "weight": 50}, {"code": "conduct", "weight": 50}],
                   effective_from=dt.date(2026, 1, 1), reason="巡课与规范",
                   retroactive_reason="测试：补录已执行的政策")
    got = compute(world, term)
    a, b = got[world.provider_ids["provider"]], got[world.provider_ids["other_provider"]]
    assert b["conduct"]["score"] == 10000 and b["content_quality"]["score"] is None  # 100 by default, nothing seen
    assert (b["rank"], b["total"], b["passed"], b["failures"]) == (0, 0, True, [])  # 未评价, apart
    assert a["rank"] == 1 and a["total"] < 10000  # the observed provider ranks first, though it lost points
    with world.ctx.db.write_session() as s:
        run = evaluation.publish(world.ctx, s, world.actor("decider"), a["run_id"])
        from kehou.plugins.outcome_reporting.evaluation_api import run_out

        shown = {sc["provider_id"]: sc for sc in run_out(s, run, with_scores=True)["scores"]}
    assert shown[world.provider_ids["other_provider"]]["rated"] is False
    assert shown[world.provider_ids["other_provider"]]["rank"] is None
    with world.ctx.db.read_session() as s:
        titles = set(s.scalars(select(Notification.title)))
    assert f"{term.name}机构评价结果：未评价" in titles


def test_who_may_compute_and_publish(world: World, term: Term) -> None:
    run_id = next(iter(compute(world, term).values()))["run_id"]
    for who, error in (("provider", PermissionDenied), ("school_admin", PermissionDenied), ("other_reviewer", NotFound)):
        with world.ctx.db.write_session() as s, pytest.raises(error):
            evaluation.compute(world.ctx, s, world.actor(who), COUNTY, term.name)
    with world.ctx.db.write_session() as s, pytest.raises(PermissionDenied) as e:
        evaluation.publish(world.ctx, s, world.actor("reviewer1"), run_id)
    assert e.value.code == "decide_right_required"
    with world.ctx.db.write_session() as s, pytest.raises(ValidationFailed) as v:
        evaluation.compute(world.ctx, s, world.actor("reviewer1"), COUNTY, "2030-2031学年第一学期")
    assert v.value.code == "term_without_courses"


def test_a_failing_provider_is_proposed_for_exit_with_the_evidence(world: World, term: Term, celery_app) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    run_id = next(iter(compute(world, term).values()))["run_id"]
    failing, passing = world.provider_ids["provider"], world.provider_ids["other_provider"]
    with worker(celery_app):
        with world.ctx.db.write_session() as s:
            evaluation.publish(world.ctx, s, world.actor("decider"), run_id)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with world.ctx.db.read_session() as s:
                if s.scalar(select(func.count()).select_from(ExitCase)):
                    break
            time.sleep(0.2)
    with world.ctx.db.read_session() as s:
        case = s.scalars(select(ExitCase)).one()  # only the failing provider
        assert (case.provider_id, case.trigger, case.grounds, case.status) == (failing, "evaluation", ["failed_evaluation"],
                                                                               "proposed")
        assert case.proposal_key == f"evaluation:{COUNTY}:{term.name}:{failing}"
        assert "家长满意度 70.00 低于单项最低分 80" in case.summary
        satisfaction = next(e for e in case.evidence if e["indicator"] == "parent_satisfaction")
        assert (satisfaction["value"], satisfaction["threshold"]) == ("70.00", "80")
        assert next(e for e in case.evidence if e["indicator"] == "total")["value"] == "67.92"
        # both providers were told their own result
        told = {(n.user_id, n.title) for n in s.scalars(select(Notification).where(Notification.link == "/provider/evaluations"))}
        assert (world.users["provider"].id, f"{term.name}机构评价结果：67.92分（不合格）") in told
        assert (world.users["other_provider"].id, f"{term.name}机构评价结果：100.00分（合格）") in told
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("outcome.evaluation%"))))
        assert actions == {"outcome.evaluation_computed", "outcome.evaluation_published"}
        assert passing not in {c.provider_id for c in s.scalars(select(ExitCase))}
    with world.ctx.db.write_session() as s, pytest.raises(Conflict) as e:
        evaluation.publish(world.ctx, s, world.actor("decider"), run_id)
    assert e.value.code == "evaluation_not_draft"
    with world.ctx.db.read_session() as s:  # each provider sees only its own published result
        own = evaluation.own_scores(s, world.actor("provider"))
        assert [(sc.provider_id, sc.total, n) for _, sc, n in own] == [(failing, 6792, 2)]

