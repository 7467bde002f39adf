"""A flood of public objections is throttled, duplicates are refused, the county sees a flood flagged, and a
reviewer dismisses the flood with a reason (audited), so it cannot stall the decision."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kehou.errors import Conflict, TooManyRequests
from kehou.platform.actor import Actor
from kehou.platform.admission import decision, notice
from kehou.platform.admission.models import Application, Objection
from kehou.platform.audit.models import AuditEntry
from kehou.timeutil import clock
from tests.factories import World
from tests.helpers import err, ok
from tests.test_html_pages import browser, csrf
from tests.test_permissions import application_in


def objection(n: int) -> dict[str, str]:
    return {"name": f"赵{n}", "contact": f"1390013{n:04d}", "content": f"第{n}条：该机构曾违规收费", "evidence": "收据照片"}


def file(world: World, app_id: int, ip: str, n: int) -> Objection:
    with world.ctx.db.write_session() as s:
        return notice.file_objection(s, Actor.anonymous(ip), app_id, **objection(n))


def test_a_flood_from_one_address_is_throttled_over_the_api(client: TestClient, world: World) -> None:
    app_id = application_in(world, "public_notice")["app_id"]
    answers = [client.post(f"/api/v1/public/applications/{app_id}/objections", json=objection(n)) for n in range(12)]
    allowed = notice.PER_ADDRESS_APPLICATION
    assert [r.status_code for r in answers] == [201] * allowed + [429] * (12 - allowed)
    body = answers[-1].json()["error"]
    assert body["code"] == "objections_throttled" and "过于频繁" in body["message"]
    with world.ctx.db.read_session() as s:
        assert len(s.scalars(select(Objection).where(Objection.application_id == app_id)).all()) == 3
        filed = s.scalars(select(AuditEntry).where(AuditEntry.action == "admission.objection_filed")).all()
    assert len(filed) == 3  # refused attempts write nothing


def test_the_same_objection_twice_is_a_duplicate(world: World) -> None:
    app_id = application_in(world, "public_notice")["app_id"]
    file(world, app_id, "198.51.100.1", 1)
    with world.ctx.db.write_session() as s, pytest.raises(Conflict) as dup:
        notice.file_objection(s, Actor.anonymous("198.51.100.2"), app_id, **objection(1))
    assert dup.value.code == "objection_duplicate"
    for ip in ("198.51.100.3", "198.51.100.4"):  # one contact, new content each time, other addresses
        with world.ctx.db.write_session() as s:
            notice.file_objection(s, Actor.anonymous(ip), app_id, **(objection(1) | {"content": f"补充：{ip}"}))
    with world.ctx.db.write_session() as s, pytest.raises(TooManyRequests):
        notice.file_objection(s, Actor.anonymous("198.51.100.5"), app_id, **(objection(1) | {"content": "再补充"}))


def test_a_flood_is_flagged_dismissed_with_a_reason_and_no_longer_blocks_the_decision(world: World) -> None:
    app_id = application_in(world, "public_notice")["app_id"]
    flood = [file(world, app_id, "203.0.113.66", n).id for n in range(3)]
    real = file(world, app_id, "198.51.100.9", 9).id
    page = f"/desk/applications/{app_id}"
    with browser(world.ctx, "reviewer1") as rev:
        shown = rev.get(page).text
        assert "同一来源（203.0.113.66）提交了3条待答复的异议" in shown
        for oid in flood:
            assert f'name="objection_id" value="{oid}" form="dismiss-objections" aria-label="选择此条异议" checked' in shown
        assert f'value="{real}" form="dismiss-objections" aria-label="选择此条异议">' in shown  # not pre-ticked
        back = {"referer": f"http://127.0.0.1{page}"}
        resp = rev.post(f"/desk/applications/{app_id}/objections/dismiss", follow_redirects=True, headers=back,
                        data={"_csrf_token": csrf(rev, page), "objection_id": [str(i) for i in flood], "reason": ""})
        assert "请填写标记为无效异议的理由" in resp.text
        resp = rev.post(f"/desk/applications/{app_id}/objections/dismiss", follow_redirects=True,
                        data={"_csrf_token": csrf(rev, page), "objection_id": [str(i) for i in flood],
                              "reason": "同一IP一分钟内批量提交，内容雷同"})
        assert "已将3条异议标记为无效" in resp.text and "已标记为无效异议" in resp.text
        assert "同一来源（203.0.113.66）" not in resp.text
    with world.ctx.db.read_session() as s:
        rows = {o.id: o for o in s.scalars(select(Objection).where(Objection.application_id == app_id))}
        audited = s.scalars(select(AuditEntry).where(AuditEntry.action == "admission.objection_dismissed")).all()
    assert all(rows[i].spam and rows[i].upheld is False and rows[i].answered_at for i in flood)
    assert rows[real].answered_at is None and not rows[real].spam
    assert sorted(a.entity_id for a in audited) == sorted(str(i) for i in flood)
    assert all(a.reason == "同一IP一分钟内批量提交，内容雷同" and a.new_values["spam"] is True for a in audited)

    with world.ctx.db.read_session() as s:
        end = s.get(Application, app_id).notice_end
    clock.advance(dt.timedelta(days=(end - clock.today_local()).days + 1))
    with world.ctx.db.write_session() as s:
        notice.close_notice(s, world.actor("reviewer1"), app_id)
    with world.ctx.db.write_session() as s, pytest.raises(Conflict) as waiting:  # the real one still needs its answer
        decision.approve(world.ctx, s, world.actor("decider"), app_id, reason="符合条件")
    assert waiting.value.code == "objections_unanswered"
    with world.ctx.db.write_session() as s:
        notice.answer_objection(s, world.actor("reviewer1"), real, answer="经核查不属实", upheld=False)
    with world.ctx.db.write_session() as s:
        decision.approve(world.ctx, s, world.actor("decider"), app_id, reason="符合条件")
    with world.ctx.db.read_session() as s:
        assert s.get(Application, app_id).status == "approved"


def test_dismissal_is_all_or_none_and_only_for_the_countys_reviewers(client: TestClient, world: World) -> None:
    from tests.helpers import token_headers

    app_id = application_in(world, "public_notice")["app_id"]
    a, b = (file(world, app_id, "203.0.113.1", n).id for n in range(2))
    rev = token_headers(client, "reviewer1")
    ok(client.post(f"/api/v1/objections/{a}/answer", headers=rev, json={"answer": "不成立", "upheld": False}))
    body = err(client.post(f"/api/v1/applications/{app_id}/objections/dismiss", headers=rev,
                           json={"objection_ids": [a, b], "reason": "刷量"}), 409, "objection_answered")
    assert "未做任何改动" in body["message"]
    err(client.post(f"/api/v1/applications/{app_id}/objections/dismiss", headers=rev,
                    json={"objection_ids": [b, 999999], "reason": "刷量"}), 404, "objection_not_found")
    err(client.post(f"/api/v1/applications/{app_id}/objections/dismiss", headers=rev,
                    json={"objection_ids": [], "reason": "刷量"}), 400, "objections_required")
    for who, status in (("other_reviewer", 404), ("provider", 403), ("police", 403)):
        err(client.post(f"/api/v1/applications/{app_id}/objections/dismiss", headers=token_headers(client, who),
                        json={"objection_ids": [b], "reason": "刷量"}), status,
            "application_not_found" if status == 404 else "permission_denied")
    with world.ctx.db.read_session() as s:
        assert s.get(Objection, b).answered_at is None
