"""The agreement pages: a parent reads and signs on the page (the signature bound to the text shown),
who may open what, termination and renewal forms, the county's template page; and, in a real browser,
the agreement on a 375 px phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kehou.app import create_app
from kehou.platform.agreements import render
from kehou.platform.agreements.models import Agreement, AgreementSignature, AgreementTemplate
from kehou.platform.context import Context
from tests.browser import chromium, live_server, require_chromium
from tests.factories import PASSWORD, World
from tests.test_agreements import VALUES, family, tripartite  # noqa: F401  (family: a fixture)
from tests.test_html_pages import browser, csrf

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 375, "height": 740}


def hidden_sha(html: str) -> str:
    match = re.search(r'name="pdf_sha256" value="([0-9a-f]{64})"', html)
    assert match, "no sign form"
    return match.group(1)


def signatures(ctx: Context) -> int:
    with ctx.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(AgreementSignature)) or 0


def flash_of(client: Any, path: str) -> str:
    return " ".join(re.findall(r'<div class="flash \w+" role="(?:status|alert)">([^<]*)</div>', client.get(path).text))


def test_a_parent_reads_and_signs_the_text_shown(ctx: Context, world: World, family) -> None:  # noqa: F811
    a = tripartite(world, family["kid"])
    with browser(ctx, "parent") as c:
        listing = c.get("/agreements").text
        assert f'id="agreement-{a.id}"' in listing and "待我签署" in listing and "课后服务三方协议" in listing
        page = c.get(f"/agreements/{a.id}").text
        for part in ("王芳（学生李小明的监护人）", "西湖青少年美术中心", "退费规则第3版", a.pdf_sha256, "签署协议"):
            assert part in page, part
        assert hidden_sha(page) == a.pdf_sha256
        pdf = c.get(f"/agreements/{a.id}/pdf")
        assert pdf.headers["content-type"] == "application/pdf" and render.sha256(pdf.content) == a.pdf_sha256
        token = csrf(c, f"/agreements/{a.id}")
        resp = c.post(f"/agreements/{a.id}/sign", data={"_csrf_token": token, "pdf_sha256": a.pdf_sha256},
                      headers={"referer": f"/agreements/{a.id}"}, follow_redirects=False)
        assert resp.status_code == 303 and signatures(ctx) == 0  # the consent box was not ticked
        assert "我已阅读并同意" in flash_of(c, f"/agreements/{a.id}")
        resp = c.post(f"/agreements/{a.id}/sign", data={"_csrf_token": token, "pdf_sha256": a.pdf_sha256, "agree": "yes"},
                      headers={"user-agent": "Mozilla/5.0 (iPhone)"}, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == f"/agreements/{a.id}"
        page = c.get(f"/agreements/{a.id}").text
        assert "您已签署当前文本" in page and 'id="sign-form"' not in page
    with ctx.db.read_session() as s:
        (sig,) = s.scalars(select(AgreementSignature)).all()
        assert (sig.party_role, sig.pdf_sha256, sig.user_agent) == ("parent", a.pdf_sha256, "Mozilla/5.0 (iPhone)")


def test_a_text_changed_after_the_page_was_shown_is_not_signed(ctx: Context, world: World, family) -> None:  # noqa: F811
    a = tripartite(world, family["kid"])
    with browser(ctx, "parent") as c:
        shown = hidden_sha(c.get(f"/agreements/{a.id}").text)
        token = csrf(c, f"/agreements/{a.id}")
        b = tripartite(world, family["kid"], values=VALUES | {"fee": "每学期360元"})  # the school changes the price meanwhile
        resp = c.post(f"/agreements/{a.id}/sign", data={"_csrf_token": token, "pdf_sha256": shown, "agree": "yes"},
                      headers={"referer": f"/agreements/{a.id}"}, follow_redirects=False)
        assert resp.status_code == 303 and signatures(ctx) == 0
        page = c.get(f"/agreements/{a.id}").text
        assert "协议文本已更新" in page and "每学期360元" in page and hidden_sha(page) == b.pdf_sha256


def test_outsiders_see_nothing_and_county_staff_only_read(ctx: Context, world: World, family) -> None:  # noqa: F811
    a = tripartite(world, family["kid"])
    with browser(ctx, None) as anon:
        for path in (f"/agreements/{a.id}", f"/agreements/{a.id}/pdf", "/agreements", "/county/agreement-templates"):
            resp = anon.get(path, follow_redirects=False)
            assert resp.status_code == 303 and resp.headers["location"].startswith("/login"), path
    for who in ("parent2", "other_school_admin", "other_provider", "other_reviewer", "police", "admin"):
        with browser(ctx, who) as c:
            assert c.get(f"/agreements/{a.id}").status_code == 404, who
            assert c.get(f"/agreements/{a.id}/pdf").status_code == 404, who
            assert "李小明" not in c.get("/agreements").text, who
            token = csrf(c, "/agreements")
            for action, data in (("sign", {"pdf_sha256": a.pdf_sha256, "agree": "yes"}), ("terminate", {"reason": "x"}),
                                 ("renew", {"subject": "x", "term_name": "y"})):
                resp = c.post(f"/agreements/{a.id}/{action}", data={"_csrf_token": token, **data}, follow_redirects=False)
                assert resp.status_code == 404, (who, action)
    for who in ("reviewer1", "decider", "school_admin", "provider"):
        with browser(ctx, who) as c:
            page = c.get(f"/agreements/{a.id}").text
            assert "李小明" in page and ('id="sign-form"' in page) == (who in ("school_admin", "provider")), who
    with browser(ctx, "reviewer1") as c:  # sees the county's agreement, is no party to it
        resp = c.post(f"/agreements/{a.id}/sign", data={"_csrf_token": csrf(c, "/agreements"), "pdf_sha256": a.pdf_sha256,
                                                        "agree": "yes"}, follow_redirects=False)
        assert resp.status_code == 403 and signatures(ctx) == 0


def test_terminate_and_renew_through_the_page(ctx: Context, world: World, family) -> None:  # noqa: F811
    a = tripartite(world, family["kid"])
    spring = "2026-2027学年第二学期"
    with browser(ctx, "provider") as c:
        token = csrf(c, f"/agreements/{a.id}")
        resp = c.post(f"/agreements/{a.id}/renew", data={"_csrf_token": token, "term_name": spring,
                                                         "subject": f"tripartite:{family['kid']}:{spring}"},
                      follow_redirects=False)
        assert resp.status_code == 303
        with ctx.db.read_session() as s:
            new = s.scalars(select(Agreement).where(Agreement.renewed_from == a.id)).one()
        assert resp.headers["location"] == f"/agreements/{new.id}" and spring in c.get(resp.headers["location"]).text
    with browser(ctx, "school_admin") as c:
        token = csrf(c, f"/agreements/{a.id}")
        resp = c.post(f"/agreements/{a.id}/terminate", data={"_csrf_token": token, "reason": ""},
                      headers={"referer": f"/agreements/{a.id}"}, follow_redirects=False)
        assert resp.status_code == 303 and "终止协议必须说明理由" in flash_of(c, f"/agreements/{a.id}")
        c.post(f"/agreements/{a.id}/terminate", data={"_csrf_token": token, "reason": "学生转学"})
        page = c.get(f"/agreements/{a.id}").text
        assert "已终止" in page and "学生转学" in page and 'id="sign-form"' not in page


def test_the_county_saves_a_template_version_on_its_page(ctx: Context, world: World) -> None:
    for who in ("parent", "school_admin", "provider", "police"):
        with browser(ctx, who) as c:
            assert c.get("/county/agreement-templates").status_code == 403, who
    with browser(ctx, "reviewer1") as c:
        page = c.get("/county/agreement-templates").text
        assert "只有有决定权限的人员可以修改模板" in page and 'action="/county/agreement-templates"' not in page
        resp = c.post("/county/agreement-templates", data={"_csrf_token": csrf(c, "/agreements"), "kind": "service",
                                                           "title": "x", "body": "{fee}{refund_rule}"}, follow_redirects=False)
        assert resp.status_code == 403
    with browser(ctx, "decider") as c:
        page = c.get("/county/agreement-templates").text
        assert page.count('action="/county/agreement-templates"') == 3 and "{refund_rule}" in page
        token = csrf(c, "/county/agreement-templates")
        body = "服务内容：{course}\n收费：{fee}\n退费：{refund_rule}\n费用另计：{price}"
        resp = c.post("/county/agreement-templates",
                      data={"_csrf_token": token, "kind": "service", "title": "服务协议", "body": body},
                      headers={"referer": "/county/agreement-templates"}, follow_redirects=False)
        assert resp.status_code == 303 and "{price}" in flash_of(c, "/county/agreement-templates")
        c.post("/county/agreement-templates", data={"_csrf_token": token, "kind": "service", "title": "服务协议（{term}）",
                                                    "body": body.replace("\n费用另计：{price}", "")})
        assert "v1" in c.get("/county/agreement-templates").text
    with ctx.db.read_session() as s:
        (row,) = s.scalars(select(AgreementTemplate)).all()
        assert (row.kind, row.version, row.created_by) == ("service", 1, world.users["decider"].id)


@pytest.mark.browser
def test_a_parent_signs_on_a_phone(ctx: Context, world: World, family) -> None:  # noqa: F811
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    a = tripartite(world, family["kid"])
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        phone = chrome.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        page = phone.new_page()
        page.goto(f"{base}/login?next=/agreements")
        page.fill("input[name=username]", "parent")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('登录')")
        page.wait_for_load_state()
        assert page.url.endswith("/agreements"), page.url
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.locator(f"#agreement-{a.id} a.button").click()
        page.wait_for_load_state()
        assert page.locator("#sha256").inner_text() == a.pdf_sha256
        assert "退费规则第3版" in page.locator("#agreement-text").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the agreement scrolls sideways on a phone"
        page.check("input[name=agree]")
        page.click("button:has-text('确认签署')")
        page.wait_for_load_state()
        assert "已签署" in page.locator("#parties").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(ARTIFACTS / "agreement-parent-375.png"), full_page=True)
    assert signatures(ctx) == 1
