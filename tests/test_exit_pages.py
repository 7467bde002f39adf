"""The exit mechanism through its pages: each side sees its own forms and the steps taken; a
voluntary exit. The catalogue's agreements through the pages: the parent's way to a tripartite
agreement, and the school's and provider's bulk signing. (Who may open which page:
tests/test_html_pages.py.)"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from kehou.platform.agreements.models import Agreement
from kehou.platform.exits.models import ExitCase
from kehou.timeutil import clock
from tests import catalogue_setup as cs
from tests.factories import COUNTY, World
from tests.test_html_pages import browser, csrf


def post(client, page: str, action: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(action, data={"_csrf_token": csrf(client, page)} | data, headers={"referer": page})


def test_an_expulsion_through_the_forms(ctx, world: World) -> None:  # type: ignore[no-untyped-def]
    cs.admit(world, "provider")
    pid = world.provider_ids["provider"]
    with browser(ctx, "reviewer1") as rev:
        page = rev.get("/county/exits").text
        assert "西湖青少年美术中心" in page and "违规开展学科类教学或集体补课" in page
        resp = post(rev, "/county/exits", "/county/exits", {"provider_id": str(pid), "trigger": "violation",
                                                              "grounds": "safety_incident", "summary": ""})
        assert "请填写事由说明" in resp.text  # nothing opened
        resp = post(rev, "/county/exits", "/county/exits", {"provider_id": str(pid), "trigger": "violation",
                                                              "grounds": "safety_incident",
                                                              "summary": "课堂上学生受伤未及时报告",
                                                              "evidence": "事故报告\n监控截图"})
        assert resp.status_code == 200 and "已提议" in resp.text
        with ctx.db.read_session() as s:
            case = s.scalars(select(ExitCase)).one()
            assert case.evidence == [{"item": "事故报告"}, {"item": "监控截图"}]
        url = f"/exits/{case.id}"
        assert 'id="do-decide"' not in resp.text  # no decision before a warning, nor by a reviewer
        resp = post(rev, url, f"{url}/warn", {"note": "限期整改安全管理制度", "rectify_days": "10"})
        assert "已警告，整改中" in resp.text and str(clock.today_local() + dt.timedelta(days=10)) in resp.text
    with browser(ctx, "provider") as prov:
        mine = prov.get("/provider/exits").text
        assert "已警告，整改中" in mine
        page = prov.get(url).text
        assert 'id="do-respond"' in page and 'id="do-warn"' not in page
        resp = post(prov, url, f"{url}/respond", {"note": "已完善安全制度并培训全体教师"})
        assert "机构已答复" in resp.text
    with browser(ctx, "decider") as dec:
        resp = post(dec, url, f"{url}/decide", {"note": "经调查，决定清退"})
        assert "已作出清退决定（申诉期）" in resp.text
    with browser(ctx, "provider") as prov:
        resp = post(prov, url, f"{url}/appeal", {"note": "事故已妥善处理，请求撤销"})
        assert "申诉处理中" in resp.text
    with browser(ctx, "reviewer_decider") as other:
        resp = post(other, url, f"{url}/reject", {"note": "维持清退决定"})
        assert "已退出" in resp.text
        steps = resp.text[resp.text.index('id="exit-steps"'):]
        for note in ("课堂上学生受伤未及时报告", "限期整改安全管理制度", "已完善安全制度", "经调查，决定清退", "维持清退决定"):
            assert note in steps
    with browser(ctx, None) as anon:
        public = anon.get(f"/public/{COUNTY}").text
        assert "已退出的机构" in public and "课堂上学生受伤未及时报告" in public and "发生安全责任事故" in public
    with browser(ctx, "other_reviewer") as foreign:
        assert foreign.get(url).status_code == 404
        assert "西湖青少年美术中心" not in foreign.get("/county/exits").text


def test_a_voluntary_exit_through_the_form_and_its_withdrawal(ctx, world: World) -> None:  # type: ignore[no-untyped-def]
    cs.admit(world, "provider")
    with browser(ctx, "provider") as prov:
        page = prov.get("/provider/exits").text
        assert 'action="/provider/exits/notice"' in page
        too_soon = (clock.today_local() + dt.timedelta(days=5)).isoformat()
        resp = post(prov, "/provider/exits", "/provider/exits/notice", {"county_code": COUNTY, "effective_on": too_soon,
                                                                          "reason": "业务调整"})
        assert "须提前30天告知" in resp.text
        later = (clock.today_local() + dt.timedelta(days=31)).isoformat()
        resp = post(prov, "/provider/exits", "/provider/exits/notice", {"county_code": COUNTY, "effective_on": later,
                                                                          "reason": "业务调整"})
        assert "已申请主动退出" in resp.text and later in resp.text
        with ctx.db.read_session() as s:
            case_id = s.scalars(select(ExitCase.id)).one()
        resp = post(prov, f"/exits/{case_id}", f"/exits/{case_id}/close", {"note": "经协商继续服务"})
        assert "已结案（未退出）" in resp.text


def test_the_parent_opens_the_tripartite_agreement_of_a_course(ctx, world: World) -> None:  # type: ignore[no-untyped-def]
    from tests import billing_setup as bs

    cat = cs.ready(world)
    sid, entry = cat.students["xiaoming"], cat.entries["calligraphy"]
    bs.enrol(world, sid, entry)
    with browser(ctx, "parent") as parent:
        page = parent.get(f"/parent/children/{sid}").text
        assert "三方协议" in page and "未生成" in page
        resp = parent.post(f"/parent/children/{sid}/agreement", data={"_csrf_token": csrf(parent, f"/parent/children/{sid}"),
                                                                      "entry_id": str(entry)}, follow_redirects=False)
        assert resp.status_code == 303
        with ctx.db.read_session() as s:
            made = s.scalars(select(Agreement).where(Agreement.kind == "tripartite")).one()
            assert resp.headers["location"] == f"/agreements/{made.id}"
            assert "少儿软笔书法" in made.text and "300.00元" in made.text and "小明" in made.text
        assert "待签署" in parent.get(f"/parent/children/{sid}").text
        with ctx.db.read_session() as s:  # the school's roster shows whose agreement is still unsigned
            from kehou.plugins.course_catalogue import queries

            assert [(r["student_id"], r["agreement"]) for r in queries.roster(s, entry)] == [(sid, "draft")]
        resp = parent.post(f"/parent/children/{sid}/agreement", data={"_csrf_token": csrf(parent, f"/parent/children/{sid}"),
                                                                      "entry_id": str(cat.entries["painting"])})
        assert "孩子未选上这门课程" in resp.text
    with browser(ctx, "school_admin") as school:  # not a guardian
        resp = school.post(f"/parent/children/{sid}/agreement", data={"_csrf_token": csrf(school, "/notifications"),
                                                                      "entry_id": str(entry)})
        assert resp.status_code == 403


def test_the_school_and_the_provider_sign_all_pending_tripartite_agreements_at_once(ctx, world: World) -> None:  # type: ignore[no-untyped-def]
    from kehou.platform.agreements import services as agreements
    from kehou.platform.audit.models import AuditEntry
    from kehou.plugins.course_catalogue import agreements as contracts
    from kehou.plugins.course_catalogue.models import Enrolment
    from tests import billing_setup as bs

    cat = cs.ready(world)
    kids = [cat.students["xiaoming"], cs.child(world, "小红"), cs.child(world, "小刚")]
    for sid in kids:
        bs.enrol(world, sid, cat.entries["calligraphy"])
    with ctx.db.write_session() as s:
        ids = [contracts.ensure_tripartite(ctx, s, world.actor("parent"), e.id).id
               for e in s.scalars(select(Enrolment).order_by(Enrolment.id))]
    with browser(ctx, "parent") as parent:  # a parent signs their own, one by one: no bulk form
        assert 'action="/agreements/sign-pending"' not in parent.get("/agreements").text
    with ctx.db.write_session() as s:
        agreements.sign(ctx, s, world.actor("parent"), ids[0], pdf_sha256=s.get(Agreement, ids[0]).pdf_sha256)
    for who in ("school_admin", "provider"):
        with browser(ctx, who) as c:
            page = c.get("/agreements").text
            assert "签署全部待签的三方协议" in page
            resp = post(c, "/agreements", "/agreements/sign-pending", {"kind": "tripartite"})
            assert "已签署3份三方协议" in resp.text
            assert "签署全部待签的三方协议" not in resp.text  # nothing left for this party
            resp = post(c, "/agreements", "/agreements/sign-pending", {"kind": "tripartite"})
            assert "已签署0份三方协议" in resp.text
    with ctx.db.read_session() as s:
        statuses = [s.get(Agreement, i).status for i in ids]
        assert statuses == ["signed", "draft", "draft"]  # two still wait for their parents
        signs = s.scalars(select(AuditEntry).where(AuditEntry.action == "agreement.sign")).all()
        assert len(signs) == 1 + 3 + 3  # each signature audited on its own
    with browser(ctx, "school_admin") as c:
        resp = post(c, "/agreements", "/agreements/sign-pending", {"kind": "lease"})
        assert "协议类型应为" in resp.text
