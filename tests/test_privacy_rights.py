"""Parents' rights and consent (issue 20 parts 2 and 6): a parent sees what is held about their child and which
organisations looked at it; asks for a correction, which the school answers within the county's period; accepts
the county's privacy notice at activation (and its new versions); gives and withdraws the optional consents, which
the showcase and the children's own surveys check."""

from __future__ import annotations

import datetime as dt

from litestar.testing import TestClient
from sqlalchemy import select

from kehou.platform.audit.models import AuditEntry
from kehou.platform.notifications.models import Notification
from kehou.platform.privacy import consent
from kehou.platform.privacy.models import Consent, PrivacyRequest
from kehou.timeutil import clock
from tests import catalogue_setup as cs
from tests.factories import World
from tests.helpers import err, ok, token_headers
from tests.test_html_pages import browser, csrf


def test_a_parent_sees_what_is_held_and_who_looked_and_asks_for_a_correction(world: World, client: TestClient) -> None:
    cat = cs.ready(world)
    ming = cat.students["xiaoming"]
    with browser(world.ctx, "school_admin") as school:
        assert school.get(f"/school/students/{ming}").status_code == 200
    parent = token_headers(client, "parent")
    held = ok(client.get(f"/api/v1/children/{ming}/privacy", headers=parent))
    assert held["student"]["name"] == "小明" and held["accesses"][0]["org"] == "西湖小学"
    assert held["accesses"][0]["what"] == "学生详情" and "school_admin" not in str(held["accesses"])  # no staff names
    err(client.get(f"/api/v1/children/{ming}/privacy", headers=token_headers(client, "school_admin")), 403,
        "permission_denied")
    err(client.post(f"/api/v1/children/{ming}/privacy-requests", headers=parent, json={"kind": "erase", "detail": "删除全部"}),
        400, "request_kind_invalid")
    asked = ok(client.post(f"/api/v1/children/{ming}/privacy-requests", headers=parent,
                           json={"kind": "correct", "detail": "孩子的班级应为3年级2班"}), 201)
    assert asked["status"] == "open" and asked["due_on"] == (clock.today_local() + dt.timedelta(days=15)).isoformat()
    with world.ctx.db.read_session() as s:
        assert s.scalars(select(Notification.title).where(Notification.user_id == world.users["school_admin"].id)).all() \
            == ["家长提出个人信息申请"]
    with browser(world.ctx, "school_admin") as school:
        page = school.get("/school/privacy-requests").text
        assert "孩子的班级应为3年级2班" in page and f'id="request-{asked["id"]}"' in page
        resp = school.post(f"/school/privacy-requests/{asked['id']}", data={
            "_csrf_token": csrf(school, "/school/privacy-requests"), "decision": "done", "answer": "已更正为3年级2班"},
            follow_redirects=True)
        assert "已答复" in resp.text
    err(client.post(f"/api/v1/privacy-requests/{asked['id']}/answer", headers=token_headers(client, "school_admin"),
                    json={"done": False, "answer": "再答一次"}), 409, "request_answered")
    [mine] = ok(client.get("/api/v1/me/privacy-requests", headers=parent))
    assert mine["status"] == "done" and mine["answer"] == "已更正为3年级2班"
    with browser(world.ctx, "parent") as page:
        text = page.get("/parent/privacy").text
        assert "西湖小学" in text and "学生详情" in text and "已更正为3年级2班" in text
    with world.ctx.db.read_session() as s:
        assert list(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "privacy_request")
                              .order_by(AuditEntry.id))) == \
            ["privacy.request", "privacy.request_answer"]
        assert s.scalars(select(PrivacyRequest.status)).one() == "done"


def test_consent_is_recorded_withdrawn_and_checked(world: World, client: TestClient) -> None:
    cs.ready(world)
    parent = token_headers(client, "parent")
    state = ok(client.get("/api/v1/me/consents", headers=parent))
    assert state["notice_version"] == 0 and state["scopes"]["showcase"]["given"] is False
    assert state["notice_missing"] is True and state["notice_outdated"] is False  # this parent never activated
    ok(client.post("/api/v1/me/consents/notice", headers=parent), 201)
    ok(client.post("/api/v1/me/consents/showcase", headers=parent), 201)
    with world.ctx.db.read_session() as s:
        assert consent.has(s, world.users["parent"].id, "showcase")
    assert client.delete("/api/v1/me/consents/showcase", headers=parent).status_code == 204
    err(client.delete("/api/v1/me/consents/notice", headers=parent), 409, "consent_not_withdrawable")
    err(client.delete("/api/v1/me/consents/showcase", headers=parent), 409, "consent_not_given")
    with browser(world.ctx, "reviewer1") as page:  # publishing needs the decide right
        resp = page.post("/desk/privacy/notice", data={"_csrf_token": csrf(page, "/desk/privacy"), "title": "新告知书",
                                                       "body": "正文" * 30}, headers={"referer": "http://127.0.0.1/desk/privacy"})
        assert str(resp.url).endswith("/desk/privacy") and "有决定权" in resp.text
    with browser(world.ctx, "decider") as page:
        resp = page.post("/desk/privacy/notice", data={"_csrf_token": csrf(page, "/desk/privacy"),
                                                       "title": "西湖区课后服务个人信息保护告知书",
                                                       "body": "本告知书说明西湖区课后服务平台如何处理您和孩子的个人信息。" * 3},
                         follow_redirects=True)
        assert "已发布告知书第1版" in resp.text and "当前同意的家长数" in resp.text
    state = ok(client.get("/api/v1/me/consents", headers=parent))
    assert state["notice_version"] == 1 and state["notice_outdated"] is True
    ok(client.post("/api/v1/me/consents/notice", headers=parent), 201)
    assert ok(client.get("/api/v1/me/consents", headers=parent))["notice_outdated"] is False
    with browser(world.ctx, None) as anon:
        assert "西湖区课后服务个人信息保护告知书" in anon.get("/privacy-notice?county=330106").text
    with world.ctx.db.read_session() as s:
        rows = s.scalars(select(Consent).order_by(Consent.id)).all()
        assert [(r.scope, r.notice_version, r.withdrawn_at is None) for r in rows] == [
            ("notice", 0, False), ("showcase", 0, False), ("notice", 1, True)]
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "consent").order_by(AuditEntry.id)).all() == [
            "privacy.consent", "privacy.consent", "privacy.consent_withdraw", "privacy.consent"]
