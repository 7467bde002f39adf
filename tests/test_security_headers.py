"""Browser security headers: pages cannot be framed (clickjacking on approve and expel buttons), content
types are not sniffed, Referer carries no full URLs; HTML pages have a Content-Security-Policy. Every
browser test runs its pages under this policy in real chromium."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from playwright.sync_api import sync_playwright

import kehou
from kehou.app import create_app
from kehou.platform.context import Context
from kehou.web.headers import policy
from tests.browser import CHROMIUM, FLAGS, answer_confirmations, live_server, require_chromium
from tests.factories import COUNTY, World
from tests.helpers import token_headers
from tests.test_html_pages import browser


def test_pages_cannot_be_framed_and_have_a_policy(client: TestClient, world: World) -> None:
    for path in ("/", "/login", "/public"):
        resp = client.get(path)
        assert resp.status_code == 200
        assert resp.headers["x-frame-options"] == "DENY" and resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        csp = resp.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "default-src 'self'" in csp
        assert "script-src 'self';" in csp and "unsafe" not in csp.split("script-src")[1].split(";")[0]  # no inline script
        assert "unsafe" not in csp and re.search(r"style-src 'self' 'nonce-[\w-]{16,}';", csp)  # only the page's own <style>
        assert "camera=()" in resp.headers["permissions-policy"] and "geolocation=()" in resp.headers["permissions-policy"]
        assert "strict-transport-security" not in resp.headers  # plain HTTP in development: no HSTS


def test_each_page_has_its_own_style_nonce_and_its_styles_carry_it(client: TestClient, world: World) -> None:
    first, second = client.get("/activate"), client.get("/activate")
    nonces = [re.search(r"'nonce-([\w-]+)'", r.headers["content-security-policy"]).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1]
    assert f'<style nonce="{nonces[0]}">' in first.text and f'<style nonce="{nonces[1]}">' in second.text


def test_the_api_gets_the_headers_but_no_page_policy(client: TestClient, world: World) -> None:
    resp = client.get("/api/v1/me", headers=token_headers(client, "reviewer1"))
    assert resp.status_code == 200 and resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "DENY" and "content-security-policy" not in resp.headers


def test_images_may_come_from_the_document_stores_public_address() -> None:
    assert b"img-src 'self' data: blob: https://files.example.cn;" in policy("https://files.example.cn")
    assert b"img-src 'self' data: blob:;" in policy("")


def test_https_sites_get_hsts(ctx: Context) -> None:
    settings = dataclasses.replace(ctx.settings, security=dataclasses.replace(ctx.settings.security, secure_cookies=True))
    with TestClient(app=create_app(settings, context=ctx), base_url="https://127.0.0.1") as tc:
        assert tc.get("/login").headers["strict-transport-security"].startswith("max-age=31536000")


TEMPLATES = Path(kehou.__file__).resolve().parent
INLINE = re.compile(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>|\son[a-z]+\s*=|javascript:', re.I)


def test_no_template_has_inline_script() -> None:
    """The policy would block it; a browser test would show a dead button only where it happens to click."""
    found = [f"{p.relative_to(TEMPLATES)}: {m.group(0)}" for p in TEMPLATES.rglob("*.html")
             for m in INLINE.finditer(p.read_text())]
    assert not found, found
    assert INLINE.search('<form onsubmit="return confirm(1)">') and INLINE.search("<script>alert(1)</script>")
    assert not INLINE.search('<script src="/static/kehou.js" defer></script><form data-confirm="确定吗？">')


STYLE = re.compile(r'<style(?![^>]*\bnonce="\{\{ csp_nonce\(\) \}\}")[^>]*>|\sstyle\s*=', re.I)


def test_no_template_has_a_style_the_policy_would_drop() -> None:
    """A ``<style>`` must carry the response's nonce; a ``style=""`` attribute would be ignored: use a class."""
    found = [f"{p.relative_to(TEMPLATES)}: {m.group(0)}" for p in TEMPLATES.rglob("*.html")
             for m in STYLE.finditer(p.read_text())]
    assert not found, found
    assert STYLE.search('<td style="color:red">') and STYLE.search("<style>p{}</style>")
    assert not STYLE.search('<style nonce="{{ csp_nonce() }}">p{}</style><td class="overdue">')


def test_the_browser_tests_see_what_the_policy_blocks(ctx: Context, world: World) -> None:
    """Every browser test fails on a blocked script; here an inline handler planted in a live page is caught."""
    require_chromium()
    with live_server(create_app(ctx.settings, context=ctx)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        answer_confirmations(browser)
        page = browser.new_page()
        page.goto(f"{base}/login")
        page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.ran = 1";
                                 document.body.append(s); }""")
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.ran") is None  # the policy stopped it ...
        assert any("Content Security Policy" in v for v in browser.policy_violations)  # ... and the test would fail
        browser.policy_violations.clear()
        color = page.evaluate("""() => { const h = document.querySelector("h1") || document.body;
                                         h.insertAdjacentHTML("afterend", '<p id="x" style="color: rgb(1, 2, 3)">x</p>');
                                         return getComputedStyle(document.getElementById("x")).color; }""")
        page.wait_for_timeout(200)
        assert color != "rgb(1, 2, 3)"  # an injected style attribute is not applied either ...
        assert any("Content Security Policy" in v for v in browser.policy_violations)  # ... and is reported
        browser.close()


@pytest.mark.parametrize("who", [None, "reviewer1", "school_admin", "provider", "parent"])
def test_every_page_route_has_the_headers(ctx: Context, world: World, who: str | None) -> None:
    """Walks the route table: every page (not the JSON API), as a stranger and as each kind of user, whatever it
    answers (the page, a redirect to the login, a refusal, not found) carries the headers; HTML the policy."""
    pages = 0
    with browser(ctx, who) as client:
        paths = sorted({r.path for r in client.app.routes if isinstance(r, HTTPRoute) and "GET" in r.methods
                        and not r.path.startswith(("/api/", "/schema", "/static"))})
        assert len(paths) > 80
        for template in paths:
            path = re.sub(r"\{[a-z_]+:int\}", "1", re.sub(r"\{[a-z_]+:str\}", COUNTY, template))
            resp = client.get(path, follow_redirects=False)
            assert resp.status_code < 500, (path, resp.status_code)
            assert resp.headers["x-frame-options"] == "DENY" and resp.headers["x-content-type-options"] == "nosniff", path
            assert "camera=()" in resp.headers["permissions-policy"], path
            if resp.headers.get("content-type", "").startswith("text/html"):
                pages += 1
                csp = resp.headers["content-security-policy"]
                assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp, path
    assert pages > (5 if who is None else 20)  # a stranger is mostly sent to the login
