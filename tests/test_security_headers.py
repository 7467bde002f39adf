"""Browser security headers: pages cannot be framed (clickjacking on approve and expel buttons), content
types are not sniffed, Referer carries no full URLs; HTML pages have a Content-Security-Policy. Every
browser test runs its pages under this policy in real chromium."""

from __future__ import annotations

from litestar.testing import TestClient

from kehou.web.headers import policy
from tests.factories import World
from tests.helpers import token_headers


def test_pages_cannot_be_framed_and_have_a_policy(client: TestClient, world: World) -> None:
    for path in ("/", "/login", "/public"):
        resp = client.get(path)
        assert resp.status_code == 200
        assert resp.headers["x-frame-options"] == "DENY" and resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        csp = resp.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "default-src 'self'" in csp


def test_the_api_gets_the_headers_but_no_page_policy(client: TestClient, world: World) -> None:
    resp = client.get("/api/v1/me", headers=token_headers(client, "reviewer1"))
    assert resp.status_code == 200 and resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "DENY" and "content-security-policy" not in resp.headers


def test_images_may_come_from_the_document_stores_public_address() -> None:
    assert b"img-src 'self' data: blob: https://files.example.cn;" in policy("https://files.example.cn")
    assert b"img-src 'self' data: blob:;" in policy("")
