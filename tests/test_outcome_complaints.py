"""Complaints (outcome reporting, supervision): parents, schools and the public (anonymous) complain;
the county assigns, investigates and resolves within deadlines counted in working days; an hourly job
tells the county's staff once about an overdue complaint; the complainant follows the case by its
tracking code; the provider sees a complaint only when the county shares it, and never who complained.
(Who may call which endpoint: tests/outcome_rows/supervision.py.)"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from kehou.platform.audit.models import AuditEntry
from kehou.platform.notifications.models import Notification
from kehou.plugins.outcome_reporting import complaints
from kehou.plugins.outcome_reporting.models.supervision import Complaint, ComplaintStep
from kehou.plugins.outcome_reporting.supervision_routes import PERIODIC
from kehou.timeutil import SHANGHAI, clock
from tests import billing_setup as bs
from tests import outcome_setup as os_
from tests.factories import COUNTY, OTHER_COUNTY, World
from tests.helpers import err, ok, token_headers
from tests.test_html_pages import browser, csrf

FRIDAY = dt.datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)
COUNTY_STAFF = 4  # reviewer1, reviewer2, decider, reviewer_decider


def at(moment: dt.datetime) -> None:
    clock.advance(moment - clock.now())


def notices(world: World, title: str) -> int:
    with world.ctx.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(Notification).where(Notification.title == title)) or 0


@pytest.fixture
def cat(world: World):  # type: ignore[no-untyped-def]
    at(FRIDAY - dt.timedelta(days=3))  # the courses exist before the week the tests' complaints come in
    cat = os_.ready(world)
    bs.enrol(world, cat.students["xiaoming"], cat.entries["calligraphy"])
    return cat


def test_parent_complaint_through_the_whole_workflow_with_deadlines(client, world: World, cat) -> None:  # type: ignore[no-untyped-def]
    at(FRIDAY)
    parent, rev, dec = (token_headers(client, u) for u in ("parent", "reviewer1", "decider"))
    entry = cat.entries["calligraphy"]
    err(client.post("/api/v1/complaints", headers=parent, json={"category": "fees", "text": "收费", "entry_id": entry}),
        400, "text_required")
    err(client.post("/api/v1/complaints", headers=parent, json={"category": "xx", "text": "乱收材料费五十元", "entry_id": entry}),
        400, "category_invalid")
    err(client.post("/api/v1/complaints", headers=parent, json={"category": "fees", "text": "乱收材料费五十元",
                                                                "entry_id": cat.entries["painting"]}), 404, "entry_not_found")
    c = ok(client.post("/api/v1/complaints", headers=parent, json={"category": "fees", "text": "乱收材料费五十元",
                                                                  "entry_id": entry}), 201)
    # received on a Friday: the deadlines count working days from Monday
    assert (c["status"], c["source"], c["assign_by"], c["resolve_by"]) == ("received", "parent", "2026-11-30", "2026-12-18")
    assert c["provider_id"] == world.provider_ids["provider"] and c["term_name"] and c["school_id"] == world.school_ids["school"]
    assert notices(world, "收到新的投诉") == COUNTY_STAFF
    cid = c["id"]
    # steps out of order are refused, and leave nothing behind
    err(client.post(f"/api/v1/complaints/{cid}/investigate", headers=rev, json={"investigation": "已调查"}),
        409, "complaint_step_out_of_order")
    err(client.post(f"/api/v1/complaints/{cid}/resolve", headers=rev, json={"finding": "partly", "resolution": "退费"}),
        409, "complaint_step_out_of_order")
    err(client.post(f"/api/v1/complaints/{cid}/assign", headers=rev, json={"handler_id": world.users["other_reviewer"].id}),
        400, "handler_invalid")
    # the deadline passes over the weekend and Monday: the hourly job tells the staff once
    overdue = next(p for p in PERIODIC if p.task == "kehou.outcome.complaints_overdue")
    assert overdue.seconds == 3600.0
    at(dt.datetime(2026, 11, 30, 18, 0, tzinfo=SHANGHAI))
    with world.ctx.db.write_session() as s:
        assert complaints.notify_overdue(s) == 0  # Monday is still within the deadline
    at(dt.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    assert ok(client.get(f"/api/v1/complaints/{cid}", headers=rev))["overdue"] is True
    assert overdue.run is not None and overdue.run() == 1  # the job itself, as the worker runs it
    assert overdue.run() == 0  # once per complaint
    assert notices(world, "投诉处理已超期") == COUNTY_STAFF
    handler = world.users["reviewer2"].id
    c = ok(client.post(f"/api/v1/complaints/{cid}/assign", headers=rev, json={"handler_id": handler, "note": "请核实"}))
    assert (c["status"], c["assigned_to"], c["overdue"]) == ("assigned", handler, False)
    err(client.post(f"/api/v1/complaints/{cid}/resolve", headers=rev, json={"finding": "partly", "resolution": "退费"}),
        409, "complaint_step_out_of_order")
    err(client.post(f"/api/v1/complaints/{cid}/investigate", headers=rev, json={"investigation": "  "}),
        400, "investigation_required")
    ok(client.post(f"/api/v1/complaints/{cid}/investigate", headers=dec, json={"investigation": "机构收取了清单外材料费"}))
    err(client.post(f"/api/v1/complaints/{cid}/resolve", headers=rev, json={"finding": "maybe", "resolution": "退费"}),
        400, "finding_invalid")
    c = ok(client.post(f"/api/v1/complaints/{cid}/resolve", headers=rev,
                       json={"finding": "substantiated", "resolution": "责令机构退还材料费"}))
    assert (c["status"], c["finding"], c["resolved_at"] is not None) == ("resolved", "substantiated", True)
    err(client.post(f"/api/v1/complaints/{cid}/assign", headers=rev, json={"handler_id": handler}),
        409, "complaint_step_out_of_order")
    # the parent follows their own case; its steps are on record and in the audit log
    mine = ok(client.get(f"/api/v1/complaints/{cid}", headers=parent))
    assert [s["action"] for s in mine["steps"]] == ["receive", "assign", "investigate", "resolve"]
    assert mine["resolution"] == "责令机构退还材料费"
    with world.ctx.db.read_session() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "outcome_complaint",
                                                                 AuditEntry.entity_id == str(cid)).order_by(AuditEntry.id)))
        assert actions == ["outcome.complaint.submit", "outcome.complaint.overdue", "outcome.complaint.assign",
                           "outcome.complaint.investigate", "outcome.complaint.resolve"]
        assert s.scalar(select(func.count()).select_from(ComplaintStep).where(ComplaintStep.complaint_id == cid)) == 4


def test_anonymous_public_complaint_through_the_api_and_tracking(client, world: World, cat) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/v1/public/counties/{COUNTY}/complaints"
    err(client.post(url, json={"category": "safety", "text": "校门口接送混乱有安全隐患", "anonymous": False}),
        400, "contact_required")
    err(client.post(f"/api/v1/public/counties/{OTHER_COUNTY}/complaints",
                    json={"category": "safety", "text": "校门口接送混乱有安全隐患"}), 403, "outcome_reporting_disabled")
    err(client.post(url, json={"category": "safety", "text": "校门口接送混乱有安全隐患",
                               "provider_id": world.provider_ids["other_provider"]}), 404, "provider_not_found")
    out = ok(client.post(url, json={"category": "academic", "text": "书法课上在讲数学题", "anonymous": True,
                                    "contact_name": "不该保存", "provider_id": world.provider_ids["provider"]}), 201)
    code = out["tracking_code"]
    assert re.fullmatch(r"TS[A-Z2-9]{10}", code) and out["status"] == "received"
    with world.ctx.db.read_session() as s:
        row = s.scalars(select(Complaint).where(Complaint.tracking_code == code)).one()
        assert (row.source, row.anonymous, row.contact_name, row.submitter_id) == ("public", True, "", None)
        assert row.provider_id == world.provider_ids["provider"] and row.term_name  # counted in the evaluation
    seen = ok(client.get(f"/api/v1/public/complaints/{code.lower()}"))
    assert seen["status"] == "received" and "contact_name" not in seen and "text" not in seen
    err(client.get("/api/v1/public/complaints/TSNOSUCHCODE"), 404, "complaint_not_found")
    rev = token_headers(client, "reviewer1")
    ok(client.post(f"/api/v1/complaints/{row.id}/assign", headers=rev, json={"handler_id": world.users["reviewer1"].id}))
    ok(client.post(f"/api/v1/complaints/{row.id}/investigate", headers=rev, json={"investigation": "走访学生核实"}))
    ok(client.post(f"/api/v1/complaints/{row.id}/resolve", headers=rev, json={"finding": "unsubstantiated",
                                                                                "resolution": "经核实为书法结构讲解"}))
    seen = ok(client.get(f"/api/v1/public/complaints/{code}"))
    assert (seen["status"], seen["finding"], seen["resolution"]) == ("resolved", "unsubstantiated", "经核实为书法结构讲解")


def test_anonymous_public_complaint_through_the_public_page_form(ctx, world: World, cat) -> None:  # type: ignore[no-untyped-def]
    form = f"/public/{COUNTY}/complaints/new"
    with browser(ctx, None) as anon:
        page = anon.get(form)
        assert page.status_code == 200 and "西湖青少年美术中心" in page.text and 'name="anonymous"' in page.text
        token = csrf(anon, form)
        resp = anon.post(f"/public/{COUNTY}/complaints", data={"_csrf_token": token, "category": "fees", "text": "收费",
                                                               "anonymous": "yes"}, headers={"referer": form})
        assert "至少5个字" in resp.text
        with ctx.db.read_session() as s:
            assert s.scalar(select(func.count()).select_from(Complaint)) == 0
        resp = anon.post(f"/public/{COUNTY}/complaints", data={
            "_csrf_token": token, "category": "fees", "text": "课后服务另收资料费", "anonymous": "yes",
            "contact_phone": "13900000000", "provider_id": str(world.provider_ids["provider"])}, headers={"referer": form})
        assert resp.status_code == 200
        code = re.search(r"TS[A-Z2-9]{10}", resp.text).group(0)  # type: ignore[union-attr]
        assert "已受理" in resp.text and "13900000000" not in resp.text
        with ctx.db.read_session() as s:
            c = s.scalars(select(Complaint)).one()
            assert (c.tracking_code, c.anonymous, c.contact_phone, c.source) == (code, True, "", "public")
        # county staff see it in their queue; the complainant looks it up by code
        with browser(ctx, "reviewer1") as rev:
            queue = rev.get("/county/supervision").text
            assert code in queue and "收费问题" in queue
        later = anon.get("/public/complaints/track", params={"code": code}).text
        assert code in later and "已受理" in later
        assert "未找到" in anon.get("/public/complaints/track", params={"code": "TS2222222222"}).text


def test_county_steps_through_the_complaint_page(ctx, world: World, cat) -> None:  # type: ignore[no-untyped-def]
    with ctx.db.write_session() as s:
        c = complaints.submit(ctx, s, world.actor("school_admin"), complaints.ComplaintInput(
            category="conduct", text="教师多次迟到早退", entry_id=cat.entries["painting"]))
    url = f"/complaints/{c.id}"
    with browser(ctx, "reviewer1") as rev:
        page = rev.get(url).text
        assert "指派处理人" in page and "登记调查情况" not in page
        resp = rev.post(f"{url}/investigate", data={"_csrf_token": csrf(rev, url), "investigation": "x"},
                        headers={"referer": url})
        assert "不能执行此步骤" in resp.text
        resp = rev.post(f"{url}/assign", data={"_csrf_token": csrf(rev, url), "handler_id": str(world.users["decider"].id)},
                        headers={"referer": url})
        assert "已指派处理人" in resp.text and "登记调查情况" in resp.text
        rev.post(f"{url}/investigate", data={"_csrf_token": csrf(rev, url), "investigation": "查考勤记录属实"},
                 headers={"referer": url})
        resp = rev.post(f"{url}/resolve", data={"_csrf_token": csrf(rev, url), "finding": "partly", "resolution": "约谈机构"},
                        headers={"referer": url})
        assert "投诉已办结" in resp.text and "部分查实" in resp.text
    with browser(ctx, "school_admin") as school:
        mine = school.get("/school/supervision").text
        assert c.tracking_code in mine and "已办结" in mine
        assert "约谈机构" in school.get(url).text


def test_provider_sees_a_complaint_only_when_shared_and_never_who_complained(client, world: World, cat) -> None:  # type: ignore[no-untyped-def]
    parent, rev, prov, other = (token_headers(client, u) for u in ("parent", "reviewer1", "provider", "other_provider"))
    c = ok(client.post("/api/v1/complaints", headers=parent, json={"category": "teaching", "text": "老师上课经常看手机",
                                                                  "entry_id": cat.entries["calligraphy"]}), 201)
    assert ok(client.get("/api/v1/complaints", headers=prov)) == []
    err(client.get(f"/api/v1/complaints/{c['id']}", headers=prov), 404, "complaint_not_found")
    ok(client.post(f"/api/v1/complaints/{c['id']}/visibility", headers=rev, json={"visible": True, "note": "请机构说明"}))
    seen = ok(client.get("/api/v1/complaints", headers=prov))
    assert [x["id"] for x in seen] == [c["id"]] and seen[0]["text"] == "老师上课经常看手机"
    for secret in ("tracking_code", "submitter_id", "contact_name", "contact_phone", "source", "anonymous"):
        assert secret not in seen[0]
    assert "steps" not in ok(client.get(f"/api/v1/complaints/{c['id']}", headers=prov))
    assert ok(client.get("/api/v1/complaints", headers=other)) == []
    err(client.get(f"/api/v1/complaints/{c['id']}", headers=other), 404, "complaint_not_found")
    # the school did not file it: it does not see the parent's complaint; the parent sees only their own
    assert ok(client.get("/api/v1/complaints", headers=token_headers(client, "school_admin"))) == []
    with browser(world.ctx, "provider") as p:
        page = p.get("/provider/supervision").text
        assert "老师上课经常看手机" not in page  # the list shows category and status; the text is on the complaint's page
        detail = p.get(f"/complaints/{c['id']}").text
        assert "老师上课经常看手机" in detail and c["tracking_code"] not in detail and "家长" not in detail
    ok(client.post(f"/api/v1/complaints/{c['id']}/visibility", headers=rev, json={"visible": False}))
    assert ok(client.get("/api/v1/complaints", headers=prov)) == []


def test_school_complains_about_a_provider_it_works_with(client, world: World, cat) -> None:  # type: ignore[no-untyped-def]
    school = token_headers(client, "school_admin")
    err(client.post("/api/v1/complaints", headers=school, json={"category": "other", "text": "机构不配合学校管理"}),
        400, "provider_required")
    err(client.post("/api/v1/complaints", headers=school, json={"category": "other", "text": "机构不配合学校管理",
                                                                "provider_id": world.provider_ids["other_provider"]}),
        404, "provider_not_found")
    c = ok(client.post("/api/v1/complaints", headers=school, json={"category": "other", "text": "机构不配合学校管理",
                                                                  "provider_id": world.provider_ids["provider"]}), 201)
    assert (c["source"], c["entry_id"], c["school_id"]) == ("school", None, world.school_ids["school"]) and c["term_name"]
    assert [x["id"] for x in ok(client.get("/api/v1/complaints", headers=school))] == [c["id"]]


def test_parent_and_school_complain_through_their_pages(ctx, world: World, cat) -> None:  # type: ignore[no-untyped-def]
    entry = cat.entries["calligraphy"]
    with browser(ctx, "parent") as parent:
        page = "/parent/complaints"
        text = parent.get(page).text
        assert "小明 · 少儿软笔书法" in text and "国画入门" not in text  # only the child's own courses
        resp = parent.post(page, data={"_csrf_token": csrf(parent, page), "entry_id": str(entry), "category": "safety",
                                       "text": "下课后无人看护孩子"}, headers={"referer": page})
        assert "投诉已提交，查询码" in resp.text and "安全问题" in resp.text
        resp = parent.post(page, data={"_csrf_token": csrf(parent, page), "entry_id": str(cat.entries["painting"]),
                                       "category": "safety", "text": "下课后无人看护孩子"}, headers={"referer": page})
        assert "课程不存在" in resp.text
    with browser(ctx, "school_admin") as school:
        page = "/school/supervision"
        resp = school.post("/school/complaints", data={"_csrf_token": csrf(school, page), "entry_id": "",
                                                       "provider_id": str(world.provider_ids["provider"]),
                                                       "category": "conduct", "text": "机构人员不服从学校管理"},
                           headers={"referer": page})
        assert "投诉已提交，查询码" in resp.text and "人员言行" in resp.text
        with ctx.db.read_session() as s:
            rows = {c.source: c for c in s.scalars(select(Complaint))}
        mine = school.get("/school/supervision").text
        assert rows["school"].tracking_code in mine and rows["parent"].tracking_code not in mine  # not the parent's
    assert set(rows) == {"parent", "school"} and rows["school"].entry_id is None
    assert rows["parent"].submitter_id == world.users["parent"].id and rows["parent"].entry_id == entry


def test_concurrent_steps_and_overdue_runs_neither_duplicate_nor_lose(ctx, world: World, cat) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    from kehou.errors import Conflict

    at(FRIDAY)
    with ctx.db.write_session() as s:
        cid = complaints.submit(ctx, s, world.actor("parent"), complaints.ComplaintInput(
            category="fees", text="重复收取耗材费", entry_id=cat.entries["calligraphy"])).id
    at(dt.datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI))

    def overdue_run(_: int) -> int:
        with ctx.db.write_session() as s:
            return complaints.notify_overdue(s)

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(overdue_run, range(4))) == 1
    assert notices(world, "投诉处理已超期") == COUNTY_STAFF
    with ctx.db.write_session() as s:
        complaints.assign(ctx, s, world.actor("reviewer1"), cid, world.users["reviewer1"].id)
    with ctx.db.write_session() as s:
        complaints.investigate(ctx, s, world.actor("reviewer1"), cid, "核实")

    def resolve(who: str) -> str:
        try:
            with ctx.db.write_session() as s:
                complaints.resolve(ctx, s, world.actor(who), cid, "partly", f"{who}办结")
            return "ok"
        except Conflict as exc:
            return exc.code

    with ThreadPoolExecutor(3) as pool:
        outcomes = sorted(pool.map(resolve, ("reviewer1", "reviewer2", "decider")))
    assert outcomes == ["complaint_step_out_of_order", "complaint_step_out_of_order", "ok"]
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(ComplaintStep).where(
            ComplaintStep.complaint_id == cid, ComplaintStep.action == "resolve")) == 1


def test_the_public_county_page_links_to_complaints_only_where_switched_on(ctx, world: World) -> None:  # type: ignore[no-untyped-def]
    with browser(ctx, None) as anon:
        assert "/complaints/new" not in anon.get(f"/public/{COUNTY}").text  # the plugin is off in the county
    os_.enable(world)
    with browser(ctx, None) as anon:
        page = anon.get(f"/public/{COUNTY}").text
        assert f'href="/public/{COUNTY}/complaints/new"' in page and 'href="/public/complaints/track"' in page
        assert "/complaints/new" not in anon.get(f"/public/{OTHER_COUNTY}").text
