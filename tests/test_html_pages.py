"""Who may NOT open each HTML page, and the county desk's settings and audit pages.

Every HTML route is listed here (``test_every_html_route_is_listed``); staff pages refuse
parents, school admins, providers and anonymous visitors (who are sent to the login page).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kehou.platform.admission import services as admission
from kehou.platform.audit.models import AuditEntry
from kehou.platform.policy import services as policy
from kehou.plugins.course_catalogue.models import Lesson
from tests import catalogue_setup as cs
from tests import outcome_rows
from tests.apps import app_for
from tests.factories import COUNTY, PASSWORD, World

USERS = ["parent", "school_admin", "other_provider", "other_reviewer", "provider", "reviewer1", "decider", "police", "admin"]
PUBLIC_GET = ["/", "/public", f"/public/{COUNTY}", "/login", "/register", "/activate", "/privacy-notice"]
OUTCOME_GET = outcome_rows.HTML_GET  # outcome reporting's pages: tests/outcome_rows/
# path -> roles that may open it (everyone else is refused)
STAFF_GET = {
    "/desk": {"reviewer1", "decider", "police", "admin", "other_reviewer"},  # each sees its own county
    "/desk/settings": {"reviewer1", "decider", "other_reviewer"},
    "/desk/audit": {"decider"},
    "/desk/audit/export.xlsx": {"decider"},  # the filtered log as Excel: tests/test_audit_page.py
    "/desk/applications.xlsx": {"reviewer1", "decider", "police", "admin", "other_reviewer"},  # tests/test_lists.py
    "/county/exits.xlsx": {"reviewer1", "decider", "other_reviewer"},  # each its own county: tests/test_lists.py
    "/desk/blacklist": {"reviewer1", "decider", "other_reviewer"},  # each its own county's list
    "/desk/vetting/try": {"reviewer1", "decider", "other_reviewer"},  # try a title: tests/test_offering_vetting_outcomes.py
    "/desk/applications/{app}": {"reviewer1", "decider", "police", "admin"},
    "/provider": {"provider", "other_provider"},  # each sees its own organisation
    "/provider/applications/{app}": {"provider"},
    "/notifications": set(USERS),  # any logged-in user, their own messages
    # course catalogue (each sees only its own: tests/test_browser_catalogue.py)
    "/provider/offerings": {"provider", "other_provider"},
    "/provider/lessons": {"provider", "other_provider"},
    "/provider/classes": {"provider", "other_provider"},  # each its own classes (tests/test_provider_classes.py)
    "/provider/classes/{entry}": {"provider"},
    "/desk/offerings": {"reviewer1", "decider", "other_reviewer"},
    "/desk/offerings.xlsx": {"reviewer1", "decider", "other_reviewer"},
    "/school/menus": {"school_admin"},
    "/school/menus/{menu}": {"school_admin"},
    "/school/menus/{menu}/print": {"school_admin"},
    "/school/students": {"school_admin"},
    # the roster: one child, Excel export, import (errors per row) and activation slips: tests/test_roster_import.py
    "/school/students/{child}": {"school_admin"},
    "/school/students/import": {"school_admin"},
    "/school/students/import-template.xlsx": {"school_admin"},
    "/school/students/import-sample.xlsx": {"school_admin"},
    "/school/students/slips": {"school_admin"},
    # attendance: a class marked in one form, parents confirm or dispute: tests/test_attendance_pages.py
    "/school/attendance": {"school_admin"},
    "/school/entries/{entry}": {"school_admin"},
    "/school/lessons/{lesson}": {"school_admin"},
    "/parent/attendance": {"parent"},
    "/school/no-show": {"school_admin"},  # no-show release (forms: tests/test_no_show.py)
    "/desk/privacy": {"reviewer1", "decider", "other_reviewer", "admin"},  # tests/test_child_access.py
    "/school/students/exports": {"school_admin"},  # bulk exports (forms, downloads: tests/test_privacy_exports.py)
    "/parent/privacy": {"parent"},  # parents' rights and consent (forms: tests/test_privacy_rights.py)
    "/school/privacy-requests": {"school_admin"},
    # school finance: bank statement import, matching by hand, receipts: tests/test_offline_payment_pages.py
    "/school/payments": {"school_admin"},
    "/school/payments/sample": {"school_admin"},
    "/parent": {"parent"},
    "/parent/children/{child}": {"parent"},
    "/parent/queue/{menu}": {"parent"},  # the waiting room (forms: tests/test_waiting_room.py)
    # billing (forms and what each may see: tests/test_billing_pages.py; the public fee page /fees/{school_id} too)
    "/parent/bills": {"parent"},
    "/parent/bills/{bill}": {"parent"},  # the family's own bills only
    "/school/billing": {"school_admin"},
    "/school/billing/bills.xlsx": {"school_admin"},
    "/county/billing/bills.xlsx": {"reviewer1", "decider", "other_reviewer"},
    "/county/billing": {"reviewer1", "decider", "other_reviewer"},  # each its own county
    "/provider/settlements": {"provider", "other_provider"},
    "/provider/settlements/{settlement}": {"provider"},
    # agreements: anyone logged in lists their own; one agreement, its PDF and its forms: tests/test_agreements_pages.py
    "/agreements": set(USERS),
    "/county/agreement-templates": {"reviewer1", "decider", "other_reviewer"},  # each its own county's templates
    # the exit mechanism (steps through the forms: tests/test_exit_pages.py)
    "/county/exits": {"reviewer1", "decider", "other_reviewer"},  # each its own county's cases
    "/provider/exits": {"provider", "other_provider"},
    "/exits/{case}": {"provider", "reviewer1", "decider", "admin"},
    "/billing/settlements/{xlsx}": {"school_admin", "reviewer1", "decider", "provider", "admin"},
    # the working-day calendar (forms: tests/test_calendar.py)
    "/calendar": {"reviewer1", "decider", "other_reviewer", "admin"},
    "/calendar/{year}": {"reviewer1", "decider", "other_reviewer", "admin"},
} | OUTCOME_GET
#: placeholder in STAFF_GET -> the route's path parameter
PLACEHOLDERS = {"{app}": "{app_id:int}", "{menu}": "{menu_id:int}", "{child}": "{student_id:int}", "{bill}": "{bill_id:int}",
                "{entry}": "{entry_id:int}", "{lesson}": "{lesson_id:int}",
                "{settlement}": "{settlement_id:int}", "{xlsx}": "{file_name:str}",
                "{case}": "{case_id:int}", "{year}": "{year:int}"} | outcome_rows.PLACEHOLDERS
# POST routes, each checked below, in test_browser_admission.py, test_browser_catalogue.py or test_billing_pages.py
POSTS = {"/parent/children/{student_id:int}/menus/{menu_id:int}/choices",  # tests/test_ranked_choices.py
         "/school/no-show/{case_id:int}", "/parent/no-show/{case_id:int}",  # tests/test_no_show.py
         "/school/students/exports", "/school/students/exports/{export_id:int}/decision",  # tests/test_privacy_exports.py
         "/desk/privacy/exports/{export_id:int}", "/school/students/{student_id:int}/departure",  # test_privacy_retention
         "/parent/privacy/{student_id:int}", "/parent/privacy/consents", "/school/privacy-requests/{request_id:int}",
         "/desk/privacy/notice",
         "/school/menus/{menu_id:int}/allocation", "/school/menus/{menu_id:int}/allocation/{run_id:int}/publish",
         "/login", "/logout", "/register", "/provider/staff", "/provider/applications", "/desk/settings",
         "/provider/applications/{app_id:int}/{action:str}", "/desk/applications/{app_id:int}/{action:str}",
         "/desk/objections/{objection_id:int}/answer", "/public/notices/{app_id:int}/objections",
         "/provider/documents", "/desk/documents/{document_id:int}/review", "/desk/documents/bulk-accept",
         "/desk/applications/{app_id:int}/vetting",
         "/desk/applications/{app_id:int}/vetting/override", "/desk/blacklist/import",
         "/desk/blacklist/{entry_id:int}/remove",
         "/provider/offerings", "/provider/offerings/{offering_id:int}/withdraw", "/provider/lessons/{lesson_id:int}/check-in",
         "/desk/offerings/{offering_id:int}/review", "/school/menus", "/school/menus/{menu_id:int}/entries",
         "/school/menus/{menu_id:int}/publish", "/school/entries/{entry_id:int}/{action:str}", "/school/students",
         "/school/students/{student_id:int}/guardians", "/school/students/{student_id:int}/priority",
         "/parent/children/{student_id:int}/enrol", "/parent/children/{student_id:int}/quit",
         "/parent/bills/{bill_id:int}/pay", "/school/billing/issue", "/school/billing/waivers", "/school/billing/close",
         "/school/billing/refunds", "/school/billing/settlements", "/school/settlements/{settlement_id:int}/approve",
         "/school/settlements/{settlement_id:int}/paid", "/county/settlements/{settlement_id:int}/approve",
         "/agreements/{agreement_id:int}/sign", "/agreements/{agreement_id:int}/terminate",
         "/agreements/{agreement_id:int}/renew", "/county/agreement-templates",
         "/county/exits", "/provider/exits/notice", "/exits/{case_id:int}/{action:str}", "/agreements/sign-pending",
         "/parent/children/{student_id:int}/agreement", "/calendar/{year:int}", "/calendar/{year:int}/local",
         "/parent/queue/{menu_id:int}", "/activate", "/school/students/import", "/school/students/slips",
         "/school/lessons/{lesson_id:int}", "/parent/attendance/{lesson_id:int}/{student_id:int}",
         "/school/payments/statements", "/school/payments/receipts", "/school/payments/lines/{line_id:int}/match",
         "/county/settlements/{settlement_id:int}/paid",
         "/desk/applications/{app_id:int}/objections/dismiss"} | outcome_rows.HTML_POSTS


def csrf(client: TestClient, path: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', client.get(path).text)
    assert match, path
    return match.group(1)


@contextmanager
def browser(ctx, username: str | None) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app=app_for(ctx), base_url="http://127.0.0.1") as client:
        if username:
            resp = client.post("/login", data={"_csrf_token": csrf(client, "/login"), "username": username,
                                               "password": PASSWORD}, follow_redirects=False)
            assert resp.status_code == 303, resp.text
        yield client


@pytest.fixture
def app_id(ctx, world: World) -> int:  # type: ignore[no-untyped-def]
    with ctx.db.write_session() as s:
        app = admission.create(ctx, s, world.actor("provider"), county_code=COUNTY, categories=["阅读"], statement="x")
        admission.submit(s, world.actor("provider"), app.id)
        return app.id


def _route(path: str) -> str:
    for placeholder, param in PLACEHOLDERS.items():
        path = path.replace(placeholder, param)
    return path


def test_every_html_route_is_listed(client) -> None:  # type: ignore[no-untyped-def]
    listed_get = set(PUBLIC_GET) | {_route(p) for p in STAFF_GET} | {
        "/public/{code:str}", "/public/notices/{app_id:int}", "/healthz",
        "/readyz", "/metrics",  # probes and the scrape, private networks only for metrics: tests/test_operations.py
        "/fees/{school_id:int}",  # the public fee page of a school using billing: tests/test_billing_pages.py
        "/files/{key:path}",  # signed links: tests/test_documents.py
        "/documents/{document_id:int}/download",
        "/agreements/{agreement_id:int}", "/agreements/{agreement_id:int}/pdf",
        # ranked menus only: tests/test_ranked_choices.py
        "/parent/children/{student_id:int}/menus/{menu_id:int}/choices", "/school/menus/{menu_id:int}/allocation",
        "/public/draws/{menu_id:int}", "/public/draws/{menu_id:int}/order.csv",
        "/school/students/exports/{export_id:int}/download",  # tests/test_privacy_exports.py
        "/school/students.xlsx",  # needs a second person's approval by default: tests/test_privacy_exports.py
        "/desk/privacy/audit-pack/{year:int}/{fmt:str}",  # tests/test_privacy_audit_pack.py
    } | outcome_rows.HTML_OTHER_GET
    for route in client.app.routes:
        if route.path.startswith(("/api/", "/schema", "/static")):
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            pool = listed_get if method == "GET" else POSTS
            assert route.path in pool, f"{method} {route.path} has no refusal test"


def test_public_pages_need_no_login(ctx, world: World) -> None:
    with browser(ctx, None) as anon:
        for path in PUBLIC_GET:
            assert anon.get(path).status_code == 200, path


@pytest.mark.parametrize("path", sorted(STAFF_GET))
def test_pages_refuse_everyone_else(ctx, world: World, app_id: int, path: str) -> None:
    url = path.replace("{app}", str(app_id)).replace("{year}", "2027")
    for name, value in outcome_rows.page_values(world, path).items():
        url = url.replace("{" + name + "}", value)
    if any(k in url for k in ("{menu}", "{child}", "{entry}", "{lesson}")):
        cat = cs.ready(world)
        entry = cat.entries["calligraphy"]
        with ctx.db.read_session() as s:
            lesson = s.scalar(select(Lesson.id).where(Lesson.entry_id == entry).order_by(Lesson.day, Lesson.id))
        url = url.replace("{menu}", str(cat.menu_id)).replace("{child}", str(cat.students["xiaoming"]))
        url = url.replace("{entry}", str(entry)).replace("{lesson}", str(lesson))
    if "{bill}" in url or "{settlement}" in url or "{xlsx}" in url:
        from tests.test_permissions import billing_in

        bill = billing_in(world, "billing_settlement")
        url = url.replace("{bill}", str(bill["bill_id"])).replace("{settlement}", str(bill["settlement_id"]))
        url = url.replace("{xlsx}", f"{bill['settlement_id']}.xlsx")
    if "{case}" in url:
        from tests.test_permissions import exit_in

        url = url.replace("{case}", str(exit_in(world, "exit_proposed")["case_id"]))
    with browser(ctx, None) as anon:
        resp = anon.get(url, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    for who in USERS:
        with browser(ctx, who) as client:
            resp = client.get(url, follow_redirects=False)
            if who in STAFF_GET[path]:
                assert resp.status_code == 200, (who, url, resp.text[:300])
            else:
                assert resp.status_code in (403, 404), (who, url, resp.status_code)
                assert "出错了" in resp.text


def test_other_county_and_other_provider_see_nothing_of_an_application(ctx, world: World, app_id: int) -> None:
    with browser(ctx, "other_reviewer") as c:
        assert c.get(f"/desk/applications/{app_id}").status_code == 404
        assert "西湖青少年美术中心" not in c.get("/desk").text
    with browser(ctx, "other_provider") as c:
        assert c.get(f"/provider/applications/{app_id}").status_code == 404
    with browser(ctx, "parent") as c:
        token = csrf(c, "/notifications")
        resp = c.post(f"/desk/applications/{app_id}/accept", data={"_csrf_token": token}, follow_redirects=False)
        assert resp.status_code == 403


def test_decider_changes_a_setting_through_the_page_and_it_is_audited(ctx, world: World) -> None:
    with browser(ctx, "reviewer1") as rev:
        page = rev.get("/desk/settings").text
        assert "只有有决定权限的人员可以修改" in page and 'name="value"' not in page
        resp = rev.post("/desk/settings", data={"_csrf_token": csrf(rev, "/desk/settings"), "key": "admission.pass_score",
                                                "value": "70", "effective_from": "2026-01-01", "reason": "x"})
        assert "只有有决定权限" in resp.text
    with browser(ctx, "decider") as dec:
        token = csrf(dec, "/desk/settings")
        resp = dec.post("/desk/settings", data={"_csrf_token": token, "key": "admission.pass_score", "value": "七十",
                                                "effective_from": "2026-01-01", "reason": "提高门槛"})
        assert "合法的 JSON" in resp.text
        resp = dec.post("/desk/settings", data={"_csrf_token": token, "key": "admission.pass_score", "value": "70",
                                                "effective_from": "2026-01-01", "reason": "提高门槛"})
        assert "追溯理由" in resp.text and "设置已保存" not in resp.text  # a past date rejudges what happened
        resp = dec.post("/desk/settings", data={"_csrf_token": token, "key": "admission.pass_score", "value": "70",
                                                "effective_from": "2026-01-01", "reason": "提高门槛",
                                                "retroactive_reason": "年初会议已决定，漏录"})
        assert "设置已保存" in resp.text
        audit_page = dec.get("/desk/audit").text
        assert "setting.change" in audit_page and "提高门槛" in audit_page
    with ctx.db.read_session() as s:
        assert policy.get(s, ctx.registry, COUNTY, "admission.pass_score") == 70
        entry = s.query(AuditEntry).filter_by(action="setting.change").one()
        assert entry.old_values == {"value": 60} and entry.new_values["value"] == 70
        assert entry.actor_name == "decider" and entry.reason == "提高门槛"


def test_decider_imports_the_blacklist_through_the_page(ctx, world: World) -> None:
    from tests.factories import resident_id, uscc

    csv = ("类型,名称,证件号,原因,来源\r\n"
           f"机构,某违规培训公司,{uscc('91330106MA0000077')},违规收费,2025年专项检查\r\n"
           f"个人,李某,{resident_id('33010619800101555')},有不良记录,公安通报\r\n").encode()
    with browser(ctx, "reviewer1") as rev:
        page = rev.get("/desk/blacklist").text
        assert 'action="/desk/blacklist/import"' not in page
        resp = rev.post("/desk/blacklist/import", data={"_csrf_token": csrf(rev, "/desk/blacklist")},
                        files={"file": ("黑名单.csv", csv, "text/csv")})
        assert "决定权限" in resp.text
    with browser(ctx, "decider") as dec:
        resp = dec.post("/desk/blacklist/import", data={"_csrf_token": csrf(dec, "/desk/blacklist")},
                        files={"file": ("黑名单.csv", csv, "text/csv")})
        assert "新增2条" in resp.text
        page = dec.get("/desk/blacklist").text
        assert "某违规培训公司" in page and "李某" in page
        assert resident_id("33010619800101555") not in page  # only the masked label
