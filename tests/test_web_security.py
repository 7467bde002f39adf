"""Sessions, CSRF, login throttling, API tokens, offline API docs."""

from __future__ import annotations

import re

from tests.factories import PASSWORD, World
from tests.helpers import err, ok, token_headers


def _csrf(client, path: str = "/login") -> str:  # type: ignore[no-untyped-def]
    page = client.get(path)
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def test_html_form_without_csrf_token_is_refused(client, world: World) -> None:
    resp = client.post("/login", data={"username": "provider", "password": PASSWORD}, follow_redirects=False)
    assert resp.status_code == 403
    assert "安全校验失败" in resp.text


def test_session_login_sets_secure_cookie_flags_and_logout_ends_it(client, world: World) -> None:
    token = _csrf(client)
    resp = client.post("/login", data={"_csrf_token": token, "username": "provider", "password": PASSWORD},
                       follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/provider"
    cookie = next(v for k, v in resp.headers.multi_items() if k == "set-cookie" and v.startswith("kehou_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("samesite", "SameSite")
    assert client.get("/provider").status_code == 200
    client.post("/logout", data={"_csrf_token": _csrf(client, "/provider")}, follow_redirects=False)
    resp = client.get("/provider", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")


def test_wrong_password_is_generic_and_login_is_throttled(client, world: World) -> None:
    for _ in range(5):
        err(client.post("/api/v1/auth/token", json={"username": "provider", "password": "wrong-password-1"}), 401,
            "login_failed")
    err(client.post("/api/v1/auth/token", json={"username": "nobody", "password": "wrong-password-1"}), 401, "login_failed")
    # even the right password is refused while throttled
    body = err(client.post("/api/v1/auth/token", json={"username": "provider", "password": PASSWORD}), 429, "login_throttled")
    assert "分钟后再试" in body["message"]
    # another user is not affected
    token_headers(client, "reviewer1")


def test_api_ignores_session_cookies_and_revoked_tokens_stop_working(client, world: World) -> None:
    headers = token_headers(client, "reviewer1")
    assert ok(client.get("/api/v1/me", headers=headers))["username"] == "reviewer1"
    err(client.get("/api/v1/me"), 401, "not_authenticated")
    err(client.get("/api/v1/me", headers={"Authorization": "Bearer kh_forged"}), 401, "not_authenticated")
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    err(client.get("/api/v1/me", headers=headers), 401, "not_authenticated")


def test_bad_json_gets_a_precise_chinese_error(client, world: World) -> None:
    headers = token_headers(client, "provider")
    body = err(client.post("/api/v1/applications", headers=headers, json={"categories": "阅读"}), 400, "invalid_input")
    assert body["message"].startswith("提交的数据格式不正确")
    body = err(client.post("/api/v1/applications", headers=headers, json={"county_code": "330106", "categories": ["奥数"]}),
               400, "category_unknown")
    assert "奥数" in body["message"] and body["field"] == "categories"


def test_api_docs_work_offline(client) -> None:  # type: ignore[no-untyped-def]
    schema = ok(client.get("/schema/openapi.json"))
    assert "/api/v1/applications/{app_id}/approve" in schema["paths"]
    page = client.get("/schema/swagger")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "http://" not in page.text.replace("http://127.0.0.1", "") and "https://" not in page.text


def test_framework_errors_are_in_chinese_with_codes(client) -> None:  # type: ignore[no-untyped-def]
    body = err(client.put("/api/v1/regions", json={}), 405, "method_not_allowed")
    assert body["message"] == "不支持该请求方法。"
