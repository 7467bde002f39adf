"""The exit mechanism (退出机制): each step, its deadlines and who may take it; the blacklist it
leaves behind; a voluntary exit; proposals raised through ``kehou_exit_proposed``."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.admission import services as admission
from kehou.platform.admission.models import WhitelistEntry
from kehou.platform.audit import services as audit
from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context
from kehou.platform.exits import proposals
from kehou.platform.exits import services as exits
from kehou.platform.exits.models import ExitCase, ExitStep
from kehou.platform.notifications.models import Notification
from kehou.pluginapi import ExitProposal
from kehou.timeutil import clock
from kehou.vetting.models import BlacklistEntry
from kehou.vetting.rules import blacklist as blacklist_rule
from kehou.vetting.services import build_input
from tests import catalogue_setup as cs
from tests.factories import COUNTY, OTHER_COUNTY, World


@pytest.fixture(autouse=True)
def _clock():
    yield
    clock.reset()


def whitelist_status(world: World, key: str = "provider") -> str:
    with world.ctx.db.read_session() as s:
        return s.scalars(select(WhitelistEntry.status).where(WhitelistEntry.provider_id == world.provider_ids[key],
                                                             WhitelistEntry.county_code == COUNTY)).one()


def propose(world: World, who: str = "reviewer1", **kw) -> int:  # type: ignore[no-untyped-def]
    args = {"county_code": COUNTY, "provider_id": world.provider_ids["provider"], "trigger": "violation",
            "grounds": ["academic_teaching"], "summary": "在课后服务中讲授数学新课",
            "evidence": [{"item": "巡课记录 2026-11-20"}]} | kw
    with world.ctx.db.write_session() as s:
        return exits.propose(world.ctx, s, world.actor(who), **args).id


def act(world: World, fn, who: str, case_id: int, **kw):  # type: ignore[no-untyped-def]
    with world.ctx.db.write_session() as s:
        if fn in (exits.respond,):
            return fn(s, world.actor(who), case_id, **kw)
        return fn(world.ctx, s, world.actor(who), case_id, **kw)


def days(n: int) -> None:
    clock.advance(dt.timedelta(days=n))


def test_expulsion_steps_deadlines_and_the_blacklist(ctx: Context, world: World) -> None:
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    case_id = propose(world)
    act(world, exits.warn, "reviewer1", case_id, note="立即停止学科类教学，限期整改")
    with ctx.db.read_session() as s:
        case = s.get(ExitCase, case_id)
        assert case.status == "warned" and case.rectify_by == clock.today_local() + dt.timedelta(days=30)
    # a fair process: no decision while the provider still has time to rectify and has not answered
    with pytest.raises(Conflict) as e:
        act(world, exits.decide, "decider", case_id, decision="清退")
    assert e.value.code == "rectification_period_running"
    with pytest.raises(PermissionDenied):  # the provider cannot warn itself, nor answer someone else's case
        act(world, exits.warn, "provider", case_id, note="x")
    with pytest.raises(NotFound):
        act(world, exits.respond, "other_provider", case_id, response="与我无关")
    act(world, exits.respond, "provider", case_id, response="已停止相关课程，并对授课人员进行培训")
    act(world, exits.suspend, "reviewer1", case_id, note="核查期间暂停服务")
    assert whitelist_status(world) == "suspended"
    with pytest.raises(PermissionDenied) as e:  # the decision needs the right to decide
        act(world, exits.decide, "reviewer1", case_id, decision="清退")
    assert e.value.code == "decide_right_required"
    act(world, exits.decide, "decider", case_id, decision="经查实，决定予以清退")
    days(3)
    act(world, exits.appeal, "provider", case_id, text="整改已完成，请求撤销")
    with pytest.raises(PermissionDenied) as e:
        act(world, exits.decide_appeal, "decider", case_id, granted=False, note="维持")
    assert e.value.code == "appeal_same_decider"
    act(world, exits.decide_appeal, "reviewer_decider", case_id, granted=False, note="申诉理由不成立，维持清退决定")
    today = clock.today_local()
    with ctx.db.read_session() as s:
        case = s.get(ExitCase, case_id)
        assert (case.status, case.effective_on) == ("exited", today)
        assert case.blacklist_until == today.replace(year=today.year + 3)
        steps = [(st.action, st.to_status) for st in s.scalars(select(ExitStep).where(ExitStep.case_id == case_id)
                                                                 .order_by(ExitStep.id))]
        assert steps == [("propose", "proposed"), ("warn", "warned"), ("respond", "responded"), ("suspend", "suspended"),
                         ("decide", "expulsion_decided"), ("appeal", "appealed"), ("reject_appeal", "exited")]
        actions = {a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(case_id),
                                                                        AuditEntry.entity_type == "exit_case"))}
        assert actions == {f"exit.{a}" for a, _ in steps}
        listed = s.scalars(select(BlacklistEntry).where(BlacklistEntry.exit_case_id == case_id)).one()
        assert (listed.kind, listed.expires_on, listed.county_code) == ("organisation", case.blacklist_until, COUNTY)
        assert "讲授数学新课" in listed.reason
        assert audit.verify(s)[1] == []
    assert whitelist_status(world) == "exited"
    # while listed: no new application in this county, and the vetting rule blocks it anyway
    with ctx.db.write_session() as s:
        with pytest.raises(Conflict) as e:
            admission.create(ctx, s, world.actor("provider"), county_code=COUNTY, categories=["阅读"], statement="再申请")
        assert e.value.code == "provider_blacklisted" and "黑名单" in e.value.message
        findings = blacklist_rule.check(build_input(ctx, s, world.provider_ids["provider"], COUNTY, None))
        assert [f.verdict.value for f in findings if "在本区县黑名单中" in f.message] == ["block"]
        # another county is not affected
        assert admission.create(ctx, s, world.actor("provider"), county_code=OTHER_COUNTY, categories=["阅读"],
                                statement="x").id
    days(3 * 366)  # the period is over: it may apply again, as a new applicant
    with ctx.db.write_session() as s:
        app = admission.create(ctx, s, world.actor("provider"), county_code=COUNTY, categories=["阅读"], statement="再申请")
        assert app.kind == "initial"


def test_a_granted_appeal_reinstates_and_nothing_is_listed(ctx: Context, world: World) -> None:
    cs.admit(world, "provider")
    case_id = propose(world, grounds=["commercial_promotion"], summary="课堂上发放招生传单")
    act(world, exits.warn, "reviewer1", case_id, note="限期整改", rectify_days=5)
    days(6)  # no answer within the deadline: a decision is now possible without a response
    act(world, exits.decide, "decider", case_id, decision="逾期未整改，清退")
    assert whitelist_status(world) == "suspended"
    act(world, exits.appeal, "provider", case_id, text="传单系家长转发，非本机构所为")
    act(world, exits.decide_appeal, "reviewer_decider", case_id, granted=True, note="经核实申诉成立")
    assert whitelist_status(world) == "active"
    with ctx.db.read_session() as s:
        assert s.get(ExitCase, case_id).status == "closed"
        assert s.scalars(select(BlacklistEntry)).all() == []


def test_the_appeal_window_lapses_and_the_job_carries_out_the_exit(ctx: Context, world: World) -> None:
    cs.admit(world, "provider")
    case_id = propose(world, grounds=["false_attendance"], summary="虚报考勤12次")
    act(world, exits.warn, "reviewer1", case_id, note="限期整改")
    act(world, exits.respond, "provider", case_id, response="无异议")
    act(world, exits.decide, "decider", case_id, decision="清退")
    with ctx.db.write_session() as s:
        with pytest.raises(Conflict) as e:
            exits.finalise(ctx, s, world.actor("reviewer1"), case_id)
        assert e.value.code == "appeal_window_open"
        assert exits.finalise_due(ctx, s) == []
    days(16)
    with pytest.raises(Conflict) as e:
        act(world, exits.appeal, "provider", case_id, text="晚了")
    assert e.value.code == "appeal_window_closed"
    with ctx.db.write_session() as s:
        assert exits.finalise_due(ctx, s) == [case_id]
        assert exits.finalise_due(ctx, s) == []
    assert whitelist_status(world) == "exited"


def test_voluntary_exit_with_notice_and_no_blacklist(ctx: Context, world: World) -> None:
    cs.admit(world, "provider")
    pid = world.provider_ids["provider"]
    with ctx.db.write_session() as s:
        with pytest.raises(ValidationFailed) as e:
            exits.give_notice(ctx, s, world.actor("provider"), provider_id=pid, county_code=COUNTY,
                              effective_on=clock.today_local() + dt.timedelta(days=10), reason="业务调整")
        assert e.value.code == "notice_too_short" and "30天" in e.value.message
        with pytest.raises(NotFound):
            exits.give_notice(ctx, s, world.actor("other_provider"), provider_id=pid, county_code=COUNTY,
                              effective_on=clock.today_local() + dt.timedelta(days=40), reason="x")
        case = exits.give_notice(ctx, s, world.actor("provider"), provider_id=pid, county_code=COUNTY,
                                 effective_on=clock.today_local() + dt.timedelta(days=30), reason="机构业务调整")
        case_id = case.id
        with pytest.raises(Conflict) as e:
            exits.finalise(ctx, s, world.actor("reviewer1"), case_id)
        assert e.value.code == "notice_period_running"
    with pytest.raises(PermissionDenied):  # the county cannot close someone's own notice
        act(world, exits.close, "reviewer1", case_id, note="x")
    days(30)
    with ctx.db.write_session() as s:
        assert exits.finalise_due(ctx, s) == [case_id]
        case = s.get(ExitCase, case_id)
        assert (case.status, case.blacklist_until) == ("exited", None)
        assert s.scalars(select(BlacklistEntry)).all() == []
    assert whitelist_status(world) == "exited"


def test_a_proposal_from_evaluation_opens_one_case_and_tells_the_county(ctx: Context, world: World) -> None:
    cs.admit(world, "provider")
    proposal = ExitProposal(key="evaluation:2026秋:provider", provider_id=world.provider_ids["provider"], county_code=COUNTY,
                            summary="学期考评满意度72%，低于80%", evidence=({"indicator": "家长满意度", "value": 72,
                                                                           "threshold": 80},))
    with ctx.db.write_session() as s:
        first = proposals.open_case(ctx, s, proposal.as_kwargs())
    with ctx.db.write_session() as s:
        assert proposals.open_case(ctx, s, proposal.as_kwargs()) == first  # the same proposal again: same case
        case = s.get(ExitCase, first)
        assert (case.trigger, case.status, case.grounds) == ("evaluation", "proposed", ["failed_evaluation"])
        assert case.evidence == [{"indicator": "家长满意度", "value": 72, "threshold": 80}]
        told = s.scalars(select(Notification).where(Notification.link == f"/exits/{first}")).all()
        assert {n.user_id for n in told} >= {world.users["reviewer1"].id, world.users["decider"].id}
        assert len(told) == len({n.user_id for n in told})  # once each, though the proposal came twice
        assert world.users["other_reviewer"].id not in {n.user_id for n in told}
    # a second, different proposal while the case is open opens nothing but is kept in the audit log
    other = ExitProposal(key="evaluation:2027春:provider", provider_id=world.provider_ids["provider"], county_code=COUNTY,
                         summary="再次不合格")
    with ctx.db.write_session() as s:
        assert proposals.open_case(ctx, s, other.as_kwargs()) == 0
        kept = s.scalars(select(AuditEntry).where(AuditEntry.action == "exit.proposal_not_opened")).one()
        assert kept.new_values["key"] == other.key


def test_bad_input_and_tenancy(ctx: Context, world: World) -> None:
    cs.admit(world, "provider")
    with pytest.raises(ValidationFailed) as e:
        propose(world, grounds=[])
    assert e.value.code == "grounds_required"
    with pytest.raises(ValidationFailed) as e:
        propose(world, grounds=["bad_mood"])
    assert e.value.code == "ground_unknown"
    with pytest.raises(ValidationFailed) as e:
        propose(world, trigger="voluntary")
    assert e.value.code == "trigger_invalid"
    with pytest.raises(ValidationFailed) as e:
        propose(world, summary="  ")
    assert e.value.code == "field_required"
    with pytest.raises(PermissionDenied):
        propose(world, who="other_reviewer")
    with pytest.raises(NotFound) as e:
        propose(world, provider_id=world.provider_ids["other_provider"])
    assert e.value.code == "provider_not_admitted"
    case_id = propose(world)
    with pytest.raises(Conflict) as e:
        propose(world)
    assert e.value.code == "exit_case_open"
    with pytest.raises(NotFound):
        act(world, exits.warn, "other_reviewer", case_id, note="x")
    with pytest.raises(Conflict) as e:  # out of order: no appeal before a decision
        act(world, exits.appeal, "provider", case_id, text="x")
    assert e.value.code == "exit_status_conflict"
    with ctx.db.read_session() as s:
        assert s.get(ExitCase, case_id).status == "proposed"


def test_the_hook_opens_the_case_through_the_worker(ctx: Context, world: World, celery_app) -> None:  # type: ignore[no-untyped-def]
    from tests.celery_support import worker

    cs.admit(world, "provider")
    proposal = ExitProposal(key="evaluation:worker", provider_id=world.provider_ids["provider"], county_code=COUNTY,
                            summary="家长满意度低于阈值", evidence=({"indicator": "满意度", "value": 61, "threshold": 80},))
    with ctx.db.read_session() as s:
        hook = ctx.county_hook(s, COUNTY, "kehou_exit_proposed")
    with worker(celery_app):
        hook(proposal=proposal)
        hook(proposal=proposal)  # delivered twice: still one case
        # a third delivery, waited for: the solo worker has handled the first two by then
        third = celery_app.send_task("kehou.exits.open_proposal", kwargs=proposal.as_kwargs()).get(timeout=60)
    with ctx.db.read_session() as s:
        case = s.scalars(select(ExitCase)).one()
        assert (case.proposal_key, case.trigger, case.evidence) == ("evaluation:worker", "evaluation",
                                                                      [{"indicator": "满意度", "value": 61, "threshold": 80}])
        assert third == case.id
