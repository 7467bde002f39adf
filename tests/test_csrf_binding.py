"""The CSRF token is bound to the login session (issue 17 part 6): a login issues a fresh CSRF cookie, and a
token pair fetched by someone else and planted in the browser is refused, before or after the login."""

from __future__ import annotations

from litestar.testing import TestClient

from kehou.platform.context import Context
from tests.apps import app_for
from tests.factories import PASSWORD, World
from tests.test_html_pages import browser, csrf

REVIEW = "/desk/offerings/999999/review"  # no such offering: a valid request gets 404, a refused one 403


def attacker_pair(ctx: Context) -> tuple[str, str]:
    """A cookie and form token the attacker fetched for himself: valid, signed by the server."""
    with TestClient(app=app_for(ctx), base_url="http://127.0.0.1") as own:
        token = csrf(own, "/login")
        return own.cookies["kehou_csrf"], token


def test_a_planted_token_pair_is_refused_after_login(ctx: Context, world: World) -> None:
    cookie, token = attacker_pair(ctx)
    with browser(ctx, "reviewer1") as victim:
        good = csrf(victim, "/desk/offerings")
        assert victim.post(REVIEW, data={"_csrf_token": good, "approve": "yes"}).status_code == 404  # bound: passes
        victim.cookies.set("kehou_csrf", cookie, domain="127.0.0.1", path="/")  # planted over the real one
        resp = victim.post(REVIEW, data={"_csrf_token": token, "approve": "yes"}, follow_redirects=False)
        assert resp.status_code == 403 and "错误代码：csrf_failed" in resp.text  # never reached the handler


def test_a_pair_planted_before_login_is_replaced_by_it(ctx: Context, world: World) -> None:
    cookie, token = attacker_pair(ctx)
    with TestClient(app=app_for(ctx), base_url="http://127.0.0.1") as victim:
        victim.cookies.set("kehou_csrf", cookie, domain="127.0.0.1", path="/")
        resp = victim.post("/login", data={"_csrf_token": token, "username": "reviewer1", "password": PASSWORD},
                           follow_redirects=False)
        assert resp.status_code == 303
        fresh = resp.cookies.get("kehou_csrf")
        assert fresh and fresh != cookie  # the login issued its own
        victim.cookies.set("kehou_csrf", cookie, domain="127.0.0.1", path="/")  # the attacker's again
        refused = victim.post(REVIEW, data={"_csrf_token": token, "approve": "yes"}, follow_redirects=False)
        assert refused.status_code == 403 and "错误代码：csrf_failed" in refused.text
