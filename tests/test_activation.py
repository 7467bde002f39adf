"""Activation slips and /activate (kehou/platform/accounts/activation.py): printing a class's slips issues one-time
codes (stored hashed), a code opens its account once, printing again voids the earlier slip, an expired code is
refused, wrong codes are limited like logins, the form comes back with the name but never the passwords, who may
not print, and a parent activating on a phone in a real browser."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from kehou.app import create_app
from kehou.platform.accounts import activation
from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import ActivationCode, User
from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context
from kehou.platform.students import roster
from kehou.platform.students.models import Student
from kehou.timeutil import as_utc, clock, utcnow
from tests.browser import chromium, live_server, require_chromium
from tests.factories import OTHER_COUNTY, PASSWORD, SYSTEM, World
from tests.helpers import err, ok, token_headers
from tests.test_browser_catalogue import PHONE, flash
from tests.test_form_refill import refill
from tests.test_html_pages import browser, csrf
from tests.test_roster_import import GOOD, csv_file

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
NEW_PASSWORD = "Xinmima-2026"


@pytest.fixture
def imported(ctx: Context, world: World) -> dict[str, Any]:
    """The roster of tests.test_roster_import.GOOD in ``school``: 王建国 (jz1-0001) for S001 (3年级1班) and S002
    (3年级2班), 刘芳 (jz1-0002) and 刘强 (jz1-0003) for S003 (3年级1班)."""
    school_id = world.school_ids["school"]
    with ctx.db.write_session() as s:
        roster.import_roster(ctx, s, world.actor("school_admin"), school_id, filename="a.csv", data=csv_file(GOOD))
        users = {u.display_name: u.username for u in s.scalars(select(User).where(User.username.like("jz%")))}
    return {"school_id": school_id, "users": users}


def print_class(client: Any, class_name: str, **extra: str) -> Any:
    back = f"/school/students/slips?class={quote(class_name)}"
    return client.post("/school/students/slips", data={"_csrf_token": csrf(client, back), "class": class_name, **extra},
                       headers={"referer": f"http://127.0.0.1{back}"})


def codes(page: str) -> dict[str, str]:
    """username -> code of each slip on a printed page."""
    found = re.findall(r'<dd class="user">([^<]+)</dd>\s*<dt>激活码</dt><dd class="code">([^<]+)</dd>', page)
    return dict(found)


def activate(client: Any, username: str, code: str, password: str = NEW_PASSWORD, password2: str | None = None,
             agree: bool = True) -> Any:
    return client.post("/activate", data={"_csrf_token": csrf(client, "/activate"), "username": username, "code": code,
                                          "password": password, "password2": password if password2 is None else password2}
                       | ({"agree": "yes"} if agree else {}), headers={"referer": "http://127.0.0.1/activate"})


def test_printing_a_class_issues_one_slip_per_guardian_with_hashed_codes(ctx: Context, world: World, imported: Any) -> None:
    wang, liu = imported["users"]["王建国"], imported["users"]["刘芳"]
    with browser(ctx, "school_admin") as school:
        listing = school.get("/school/students/slips?class=3年级1班").text
        assert "王建国（父亲）" in listing and "刘芳（母亲）" in listing and "未打印激活单" in listing
        assert "为还没有有效激活码的家长生成激活码并打印（3 人）" in listing
        resp = print_class(school, "3年级1班")
        assert resp.status_code == 200 and resp.headers["cache-control"] == "no-store"
        printed = codes(resp.text)
        assert set(printed) == {wang, liu, imported["users"]["刘强"]}
        assert all(re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", c) for c in printed.values())
        slip = resp.text.split(f'<dd class="user">{wang}</dd>')[0].rsplit('<article class="slip"', 1)[1]
        assert "王一诺（3年级1班）、王一鸣（3年级2班）" in slip  # one slip for both children
        assert "西湖小学" in resp.text and "http://127.0.0.1:8000/activate" in resp.text
        assert "首次登录？激活账户" in resp.text and "只能使用一次" in resp.text
        again = school.get("/school/students/slips?class=3年级1班").text
        assert "待激活（激活码有效至" in again and "为还没有有效激活码的家长" not in again
        assert "本班全部未激活的家长重新生成并打印（3 人" in again
        assert "没有需要打印激活单的家长" in flash(print_class(school, "3年级1班").text)  # nobody needs a new one
        second = codes(print_class(school, "3年级2班").text)
        assert set(second) == set()  # 王建国 has a valid code already: 3年级2班 has nobody else
    with ctx.db.read_session() as s:
        rows = s.scalars(select(ActivationCode)).all()
        assert len(rows) == 3 and not any(c.replace("-", "") in r.code_hash for r in rows for c in printed.values())
        days = {round((as_utc(r.expires_at) - as_utc(r.issued_at)) / dt.timedelta(days=1)) for r in rows}
        assert days == {30}  # the default: no county setting declared
        assert s.scalar(select(func.count()).where(AuditEntry.action == "activation.issue")) == 3
        batch = s.scalars(select(AuditEntry).where(AuditEntry.action == "activation.slips")).one()
        assert batch.new_values == {"class_name": "3年级1班", "count": 3, "reissue": False}


def test_a_code_activates_its_account_once_and_logs_the_parent_in(ctx: Context, world: World, imported: Any) -> None:
    wang = imported["users"]["王建国"]
    with browser(ctx, "school_admin") as school:
        code = codes(print_class(school, "3年级1班").text)[wang]
    with browser(ctx, None) as parent:
        resp = activate(parent, wang, code.lower().replace("-", " "))  # case, spaces and dashes do not matter
        assert "账户已激活" in flash(resp.text) and str(resp.url).endswith("/parent")
        assert "王一诺" in resp.text and "王一鸣" in resp.text  # logged in, both children
    with browser(ctx, None) as again:
        assert "已经用过" in flash(activate(again, wang, code, "Another-pass-1").text)
        resp = again.post("/login", data={"_csrf_token": csrf(again, "/login"), "username": wang, "password": NEW_PASSWORD},
                          follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == "/parent"
    with ctx.db.read_session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.activate")).one()
        assert entry.actor_name == "王建国"
        assert s.scalars(select(ActivationCode.used_at).where(ActivationCode.used_at.is_not(None))).one()
    with browser(ctx, "school_admin") as school:
        kid = school.get("/school/students?q=S001").text
        assert "王建国（父亲）" in kid and "待激活" not in kid.split('id="roster"')[1]


def test_a_parent_may_type_the_mobile_number_instead_of_the_username(ctx: Context, world: World, imported: Any) -> None:
    with browser(ctx, "school_admin") as school:
        code = codes(print_class(school, "3年级1班").text)[imported["users"]["刘芳"]]
    with browser(ctx, None) as parent:
        assert "账户已激活" in flash(activate(parent, "139-5710-0104", code).text)


def test_printing_again_voids_the_earlier_slip(ctx: Context, world: World, imported: Any) -> None:
    liu = imported["users"]["刘强"]
    with browser(ctx, "school_admin") as school:
        old = codes(print_class(school, "3年级1班").text)[liu]
        new = codes(print_class(school, "3年级1班", reissue="yes").text)[liu]
        assert old != new
    with browser(ctx, None) as parent:
        assert "已作废" in flash(activate(parent, liu, old).text)
        assert "账户已激活" in flash(activate(parent, liu, new).text)
    with ctx.db.read_session() as s:
        latest = select(AuditEntry).order_by(AuditEntry.id.desc())
        batch = s.scalars(latest.where(AuditEntry.action == "activation.slips")).first()
        assert batch is not None and batch.new_values["reissue"] is True
        revoked = s.scalars(latest.where(AuditEntry.action == "activation.issue")).first()
        assert revoked is not None and revoked.new_values["revoked"] == 1


def test_one_guardians_slip_from_the_student_page(ctx: Context, world: World, imported: Any) -> None:
    with ctx.db.read_session() as s:
        kid = s.scalars(select(Student.id).where(Student.student_no == "S003")).one()
        uid = s.scalars(select(User.id).where(User.display_name == "刘芳")).one()
    with browser(ctx, "school_admin") as school:
        page = school.get(f"/school/students/{kid}").text
        resp = school.post("/school/students/slips", data={"_csrf_token": csrf(school, f"/school/students/{kid}"),
                                                           "user_id": str(uid), "back": f"/school/students/{kid}"})
        assert list(codes(resp.text)) == [imported["users"]["刘芳"]] and f'href="/school/students/{kid}"' in resp.text
        assert "打印激活单" in page
        parent_id = world.users["parent"].id  # an account that has a password needs no slip
        resp = school.post("/school/students/slips", data={"_csrf_token": csrf(school, "/school/students"),
                                                           "user_id": str(parent_id)}, follow_redirects=False)
        assert resp.status_code in (303, 404)


def test_an_expired_code_is_refused(ctx: Context, world: World, imported: Any) -> None:
    wang = imported["users"]["王建国"]
    with browser(ctx, "school_admin") as school:
        code = codes(print_class(school, "3年级1班").text)[wang]
    clock.advance(dt.timedelta(days=30, minutes=1))
    with browser(ctx, None) as parent:
        message = flash(activate(parent, wang, code).text)
        assert "已于" in message and "过期" in message and "重新打印" in message
    with browser(ctx, "school_admin") as school:
        assert "激活码已过期" in school.get("/school/students/slips?class=3年级1班").text
        assert wang in codes(print_class(school, "3年级1班").text)  # an expired code is replaced without "reissue"


def test_wrong_codes_are_limited_like_logins(ctx: Context, world: World, imported: Any) -> None:
    wang = imported["users"]["王建国"]
    with browser(ctx, "school_admin") as school:
        code = codes(print_class(school, "3年级1班").text)[wang]
    limit = ctx.settings.security.login_max_failures
    with browser(ctx, None) as parent:
        for _ in range(limit):
            resp = activate(parent, wang, "ABCD-EFGH")
            assert "激活码不正确" in flash(resp.text)
        resp = activate(parent, wang, code)  # the right one, too late
        assert "尝试次数过多" in flash(resp.text)
        assert "尝试次数过多" not in flash(activate(parent, "nobody", "ABCDEFGH").text)  # another name is counted apart
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(ActivationCode).where(ActivationCode.used_at.is_not(None))) == 0
    clock.advance(dt.timedelta(seconds=ctx.settings.security.login_window_s + 1))
    with browser(ctx, None) as parent:
        assert "账户已激活" in flash(activate(parent, wang, code).text)


def test_an_unknown_name_and_a_wrong_code_look_alike(ctx: Context, world: World, imported: Any) -> None:
    with browser(ctx, None) as anon:
        unknown = flash(activate(anon, "nobody", "ABCD-EFGH").text)
        wrong = flash(activate(anon, imported["users"]["刘强"], "ABCD-EFGH").text)
        active = flash(activate(anon, "parent", "ABCD-EFGH").text)  # an account with a password has no code
    assert unknown == wrong == active and "激活码不正确" in unknown


def test_the_form_comes_back_with_the_name_and_never_the_passwords(ctx: Context, world: World, imported: Any) -> None:
    wang = imported["users"]["王建国"]
    with browser(ctx, "school_admin") as school:
        code = codes(print_class(school, "3年级1班").text)[wang]
    with browser(ctx, None) as parent:
        page = activate(parent, wang, code, NEW_PASSWORD, "Different-2026").text
        data = refill(page)
        assert data is not None and data["field"] == "password2" and "不一致" in data["message"]
        assert data["values"]["username"] == wang and data["values"]["code"] == code
        assert "password" not in data["values"] and "password2" not in data["values"]
        assert NEW_PASSWORD not in page and "Different-2026" not in page
        data = refill(activate(parent, wang, code, "short1", "short1").text)
        assert data is not None and data["field"] == "password" and "至少需要10个字符" in data["message"]
        data = refill(activate(parent, wang, "WRONG-CODE").text)
        assert data is not None and data["field"] == "code" and data["values"]["username"] == wang
        assert "账户已激活" in flash(activate(parent, wang, code).text)  # none of the above spent the code


def test_an_imported_account_cannot_log_in_before_activation(ctx: Context, world: World, imported: Any) -> None:
    with ctx.db.write_session() as s:
        for password in ("", "!", "kehou-dummy-password"):
            with pytest.raises(Exception) as exc:
                accounts.login(s, ctx.settings.security, username=imported["users"]["刘强"], password=password, ip="10.0.0.9")
            assert getattr(exc.value, "code", "") == "login_failed"


def test_the_login_page_links_to_activation(ctx: Context, world: World) -> None:
    with browser(ctx, None) as anon:
        assert '<a href="/activate">首次登录？激活账户</a>' in anon.get("/login").text
        page = anon.get("/activate?username=jz1-0001").text
        assert 'value="jz1-0001"' in page and 'name="password2"' in page and 'autocomplete="one-time-code"' in page


# --- who may not ---------------------------------------------------------------------------------------------


def test_only_the_schools_admin_prints_slips(ctx: Context, world: World, imported: Any) -> None:
    with ctx.db.write_session() as s:
        accounts.create_user(s, SYSTEM, username="other_school_admin", display_name="滨江初中", password=PASSWORD,
                             role="school_admin", county_code=OTHER_COUNTY, school_id=world.school_ids["other_school"])
        uid = s.scalars(select(User.id).where(User.display_name == "刘芳")).one()
    for who in ("parent", "provider", "reviewer1", "decider", "admin", "other_school_admin"):
        with browser(ctx, who) as client:
            token = csrf(client, "/notifications")
            slips = client.get("/school/students/slips?class=3年级1班", follow_redirects=False)
            one = client.post("/school/students/slips", data={"_csrf_token": token, "user_id": str(uid)},
                              follow_redirects=False)
            whole = client.post("/school/students/slips", data={"_csrf_token": token, "class": "3年级1班"},
                                follow_redirects=False)
            if who == "other_school_admin":  # its own school: nobody of that class, nor that guardian
                assert slips.status_code == 200 and "刘芳" not in slips.text
                assert one.status_code == 404 and whole.status_code == 303
            else:
                assert (slips.status_code, one.status_code, whole.status_code) == (403, 403, 403), who
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(ActivationCode)) == 0
    with browser(ctx, None) as anon:
        resp = anon.get("/school/students/slips", follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login")


def test_the_api_issues_codes_once_for_the_schools_admin(ctx: Context, world: World, imported: Any, client: Any) -> None:
    url = f"/api/v1/schools/{imported['school_id']}/activation-slips"
    body = ok(client.post(url, headers=token_headers(client, "school_admin"), json={"class_name": "3年级1班"}), 201)
    slips = {s["username"]: s for s in body["slips"]}
    wang = slips[imported["users"]["王建国"]]
    assert len(slips) == 3 and wang["children"] == [{"name": "王一诺", "class_name": "3年级1班"},
                                                    {"name": "王一鸣", "class_name": "3年级2班"}]
    assert wang["activate_url"].endswith("/activate") and re.fullmatch(r"\w{4}-\w{4}", wang["code"])
    again = ok(client.post(url, headers=token_headers(client, "school_admin"), json={"class_name": "3年级1班"}), 201)
    assert again["slips"] == []  # all have a valid code: nothing issued without "reissue"
    with ctx.db.write_session() as s:
        user = activation.activate(ctx, s, identifier=wang["username"], code=wang["code"], password=NEW_PASSWORD,
                                   password2=NEW_PASSWORD, ip="10.0.0.1")
        assert user.display_name == "王建国"
    err(client.post(url, headers=token_headers(client, "parent"), json={"class_name": "3年级1班"}), 403, "permission_denied")
    err(client.post(url, headers=token_headers(client, "admin"), json={"class_name": "3年级1班"}), 403, "permission_denied")
    err(client.post(url, json={"class_name": "3年级1班"}), 401, "not_authenticated")


# --- in a real browser ----------------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_parent_activates_on_a_phone(ctx: Context, world: World, imported: Any) -> None:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    wang = imported["users"]["王建国"]
    with ctx.db.write_session() as s:
        slip = roster.issue_slips(ctx, s, world.actor("school_admin"), imported["school_id"], class_name="3年级1班")
        code = next(x.code for x in slip if x.guardian.user.username == wang)
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        phone = chrome.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        page = phone.new_page()
        page.goto(f"{base}/login")
        page.click("a:has-text('首次登录？激活账户')")
        page.wait_for_load_state()
        assert page.url.endswith("/activate")
        page.fill("input[name=username]", wang)
        page.fill("input[name=code]", code.lower())
        page.fill("input[name=password]", NEW_PASSWORD)
        page.fill("input[name=password2]", NEW_PASSWORD + "x")
        page.check("input[name=agree]")
        page.click("button:has-text('激活并登录')")
        page.wait_for_load_state()
        assert "不一致" in page.inner_text(".flash.error")
        assert page.input_value("input[name=username]") == wang and page.input_value("input[name=password]") == ""
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.fill("input[name=password]", NEW_PASSWORD)
        page.fill("input[name=password2]", NEW_PASSWORD)
        page.check("input[name=agree]")  # the privacy notice, linked beside the box
        assert page.get_attribute("label.agree a", "href") == "/privacy-notice"
        page.screenshot(path=str(ARTIFACTS / "parent-activate-phone.png"), full_page=True)
        page.click("button:has-text('激活并登录')")
        page.wait_for_load_state()
        assert page.url.endswith("/parent"), page.url
        assert "账户已激活" in page.inner_text(".flash.ok") and "王一诺" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    with ctx.db.read_session() as s:
        assert s.scalars(select(ActivationCode.used_at).where(ActivationCode.used_at.is_not(None))).one() <= utcnow()


def test_activation_needs_the_privacy_notice_accepted_and_records_it(ctx: Context, world: World, imported: Any) -> None:
    from kehou.platform.privacy.models import Consent

    wang = imported["users"]["王建国"]
    with browser(ctx, "school_admin") as school:
        code = codes(print_class(school, "3年级1班").text)[wang]
    with browser(ctx, None) as parent:
        assert 'href="/privacy-notice"' in parent.get("/activate").text
        assert "个人信息保护告知书" in parent.get("/privacy-notice").text
        refused = activate(parent, wang, code, agree=False)
        assert "请先阅读并同意《个人信息保护告知书》" in flash(refused.text)
        with ctx.db.read_session() as s:
            assert s.scalars(select(ActivationCode.used_at).where(ActivationCode.used_at.is_not(None))).all() == []
        assert "账户已激活" in flash(activate(parent, wang, code).text)
    with ctx.db.read_session() as s:
        [given] = s.scalars(select(Consent)).all()
        assert (given.scope, given.notice_version, given.withdrawn_at) == ("notice", 0, None)
        assert given.user_id == s.scalars(select(User.id).where(User.username == wang)).one()
