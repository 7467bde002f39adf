"""The whole admission flow through the HTTP API, as each role in turn."""

from __future__ import annotations

import datetime as dt

from kehou.platform.calendar import services as calendar
from kehou.timeutil import clock
from tests.factories import COUNTY, World, add_provider
from tests.helpers import err, ok, review_all, token_headers

SCORES_GOOD = {"qualification": 22, "curriculum": 26, "staff": 20, "safety": 18}
SCORES_BAD = {"qualification": 10, "curriculum": 10, "staff": 10, "safety": 10}


def _move_past_notice(notice_end: str) -> None:
    end = dt.date.fromisoformat(notice_end)
    clock.advance(dt.timedelta(days=(end - clock.today_local()).days + 1))


def test_full_flow_return_objection_approve_and_reject(client, world: World, ctx) -> None:
    prov = token_headers(client, "provider")
    rev1 = token_headers(client, "reviewer1")
    rev2 = token_headers(client, "reviewer2")
    decider = token_headers(client, "decider")
    pid = world.provider_ids["provider"]

    # provider applies
    app = ok(client.post("/api/v1/applications", headers=prov, json={
        "county_code": COUNTY, "categories": ["体育艺术", "优秀传统文化"], "statement": "少儿书法与国画"}), 201)
    aid = app["id"]
    assert app["status"] == "draft" and app["provider_id"] == pid
    assert ok(client.post(f"/api/v1/applications/{aid}/submit", headers=prov))["status"] == "submitted"

    # material check: returned for more information, edited, resubmitted
    ret = ok(client.post(f"/api/v1/applications/{aid}/return", headers=rev1, json={"message": "请补充场地安全说明"}))
    assert ret["status"] == "returned" and ret["return_message"] == "请补充场地安全说明"
    ok(client.put(f"/api/v1/applications/{aid}", headers=prov, json={
        "categories": ["体育艺术", "优秀传统文化"], "statement": "少儿书法与国画；场地安全说明见附件"}))
    assert ok(client.post(f"/api/v1/applications/{aid}/resubmit", headers=prov, json={"note": "已补充"}))["status"] == "submitted"
    # the materials are accepted only once every document has been reviewed
    pending = err(client.post(f"/api/v1/applications/{aid}/accept", headers=rev1, json={}), 409, "documents_pending")
    assert "份证件未审核" in pending["message"]
    review_all(client, rev1, pid)
    assert ok(client.post(f"/api/v1/applications/{aid}/accept", headers=rev1, json={}))["status"] == "expert_review"

    # two experts score; one internal note is for reviewers only
    ok(client.post(f"/api/v1/applications/{aid}/scores", headers=rev1,
                   json={"scores": SCORES_GOOD, "comment": "资质齐全", "internal_note": "场地需复核"}))
    err(client.post(f"/api/v1/applications/{aid}/finish-review", headers=rev1, json={}), 409, "not_enough_reviews")
    ok(client.post(f"/api/v1/applications/{aid}/scores", headers=rev2, json={"scores": SCORES_GOOD}))
    as_decider = ok(client.get(f"/api/v1/applications/{aid}", headers=decider))
    assert all("internal_note" not in r for r in as_decider["reviews"])
    as_reviewer = ok(client.get(f"/api/v1/applications/{aid}", headers=rev1))
    assert as_reviewer["reviews"][0]["internal_note"] == "场地需复核"
    as_provider = ok(client.get(f"/api/v1/applications/{aid}", headers=prov))
    assert "reviews" not in as_provider and "objections" not in as_provider

    # to public notice for N working days (default 3)
    noticed = ok(client.post(f"/api/v1/applications/{aid}/finish-review", headers=rev1, json={}))
    assert noticed["status"] == "public_notice"
    with ctx.db.read_session() as s:
        expected_end = calendar.load(s, COUNTY).add_working_days(clock.today_local(), 3)
    assert noticed["notice_end"] == expected_end.isoformat()
    public = ok(client.get(f"/api/v1/public/counties/{COUNTY}/notices"))
    assert [n["application_id"] for n in public] == [aid]

    # anyone objects, anonymously over the wire but under real name
    bad = client.post(f"/api/v1/public/applications/{aid}/objections", json={
        "name": "赵六", "contact": "12345", "content": "该机构曾违规收费", "evidence": "收据照片"})
    err(bad, 400, "contact_invalid")
    obj = ok(client.post(f"/api/v1/public/applications/{aid}/objections", json={
        "name": "赵六", "contact": "13900139000", "content": "该机构曾违规收费", "evidence": "2025年收据"}), 201)
    err(client.post(f"/api/v1/applications/{aid}/close-notice", headers=rev1), 409, "notice_still_running")

    _move_past_notice(noticed["notice_end"])
    err(client.post(f"/api/v1/public/applications/{aid}/objections", json={
        "name": "钱七", "contact": "13900139001", "content": "晚了", "evidence": "无"}), 409, "notice_not_running")
    assert ok(client.post(f"/api/v1/applications/{aid}/close-notice", headers=rev1))["status"] == "awaiting_decision"

    # every objection answered before the decision
    err(client.post(f"/api/v1/applications/{aid}/approve", headers=decider, json={}), 409, "objections_unanswered")
    ok(client.post(f"/api/v1/objections/{obj['id']}/answer", headers=rev1,
                   json={"answer": "经核查为其他机构，异议不成立", "upheld": False}))
    approved = ok(client.post(f"/api/v1/applications/{aid}/approve", headers=decider, json={"reason": "符合准入条件"}))
    assert approved["status"] == "approved"

    wl = ok(client.get(f"/api/v1/public/counties/{COUNTY}/whitelist"))
    assert [p["provider_name"] for p in wl["providers"]] == ["西湖青少年美术中心"]
    assert wl["providers"][0]["categories"] == ["体育艺术", "优秀传统文化"]
    decisions = ok(client.get(f"/api/v1/public/counties/{COUNTY}/decisions"))
    assert decisions[0]["approved"] is True

    # a second provider is rejected after failing expert review
    add_provider(world, "provider2", body="91330106MA0000003", name="某某教育科技有限公司", org_type="enterprise")
    p2 = token_headers(client, "provider2")
    aid2 = ok(client.post("/api/v1/applications", headers=p2, json={"county_code": COUNTY, "categories": ["科普"]}), 201)["id"]
    ok(client.post(f"/api/v1/applications/{aid2}/submit", headers=p2))
    review_all(client, rev1, world.provider_ids["provider2"])
    ok(client.post(f"/api/v1/applications/{aid2}/accept", headers=rev1, json={}))
    ok(client.post(f"/api/v1/applications/{aid2}/scores", headers=rev1, json={"scores": SCORES_BAD}))
    ok(client.post(f"/api/v1/applications/{aid2}/scores", headers=rev2, json={"scores": SCORES_BAD}))
    failed = ok(client.post(f"/api/v1/applications/{aid2}/finish-review", headers=rev2, json={}))
    assert failed["status"] == "awaiting_decision"
    err(client.post(f"/api/v1/applications/{aid2}/approve", headers=decider, json={}), 409, "notice_required")
    err(client.post(f"/api/v1/applications/{aid2}/reject", headers=decider, json={"reason": " "}), 400, "reason_required")
    rejected = ok(client.post(f"/api/v1/applications/{aid2}/reject", headers=decider,
                              json={"reason": "专家评审平均分40分，低于合格线60分"}))
    assert rejected["status"] == "rejected" and rejected["decision_reason"].startswith("专家评审")
    wl = ok(client.get(f"/api/v1/public/counties/{COUNTY}/whitelist"))
    assert len(wl["providers"]) == 1

    # every step is in the county's audit chain, with actors and old/new values
    audit_rows = ok(client.get("/api/v1/audit", headers=decider, params={"county": COUNTY, "entity_id": str(aid),
                                                                        "entity_type": "application"}))
    actions = [r["action"] for r in reversed(audit_rows)]
    assert actions == [
        "admission.create", "admission.submit", "admission.return_for_info", "admission.edit", "admission.resubmit",
        "admission.accept_materials", "admission.score", "admission.score", "admission.finish_review",
        "admission.close_notice", "admission.approve",
    ]
    ret_row = next(r for r in audit_rows if r["action"] == "admission.return_for_info")
    assert ret_row["old"] == {"status": "submitted"} and ret_row["new"]["status"] == "returned"
    assert ret_row["reason"] == "请补充场地安全说明" and ret_row["actor_role"] == "county_staff"


def test_joint_signoff_required_by_county(client, world: World, ctx) -> None:
    from kehou.platform.policy import services as policy
    from tests.factories import ADMIN

    with ctx.db.write_session() as s:
        policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key="admission.joint_departments", value=["public_security"],
                   effective_from=clock.today_local(), reason="公安联审")
    prov, rev1, rev2 = (token_headers(client, u) for u in ("provider", "reviewer1", "reviewer2"))
    police = token_headers(client, "police")
    aid = ok(client.post("/api/v1/applications", headers=prov, json={"county_code": COUNTY, "categories": ["阅读"]}), 201)["id"]
    ok(client.post(f"/api/v1/applications/{aid}/submit", headers=prov))
    review_all(client, rev1, world.provider_ids["provider"])
    ok(client.post(f"/api/v1/applications/{aid}/accept", headers=rev1, json={}))
    for h in (rev1, rev2):
        ok(client.post(f"/api/v1/applications/{aid}/scores", headers=h, json={"scores": SCORES_GOOD}))
    assert ok(client.post(f"/api/v1/applications/{aid}/finish-review", headers=rev1, json={}))["status"] == "joint_signoff"
    err(client.post(f"/api/v1/applications/{aid}/signoff", headers=police, json={"agreed": False}), 400, "comment_required")
    signed = ok(client.post(f"/api/v1/applications/{aid}/signoff", headers=police,
                            json={"agreed": True, "comment": "无违法记录"}))
    assert signed["status"] == "public_notice"
    err(client.post(f"/api/v1/applications/{aid}/signoff", headers=police, json={"agreed": True}), 409, "not_in_signoff")


def test_withdraw_and_one_open_application_per_county(client, world: World) -> None:
    prov = token_headers(client, "provider")
    aid = ok(client.post("/api/v1/applications", headers=prov, json={"county_code": COUNTY, "categories": ["阅读"]}), 201)["id"]
    err(client.post("/api/v1/applications", headers=prov, json={"county_code": COUNTY, "categories": ["阅读"]}), 400,
        "application_open_exists")
    ok(client.post(f"/api/v1/applications/{aid}/submit", headers=prov))
    withdrawn = ok(client.post(f"/api/v1/applications/{aid}/withdraw", headers=prov, json={"reason": "暂不申请"}))
    assert withdrawn["status"] == "withdrawn"
    err(client.post(f"/api/v1/applications/{aid}/submit", headers=prov), 409, "invalid_transition")
    ok(client.post("/api/v1/applications", headers=prov, json={"county_code": COUNTY, "categories": ["阅读"]}), 201)
