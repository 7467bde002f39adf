"""A form that fails comes back with what was typed and the error's field (put back in place by
static/refill.js, seen in a real browser in tests/test_browser_admission.py): passwords, the CSRF token
and files are never sent back; the payload is shown once, on the page the form was on."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from kehou.errors import ValidationFailed
from kehou.platform.context import Context
from kehou.platform.policy import services as policy
from kehou.timeutil import clock
from tests import catalogue_setup as cs
from tests.factories import ADMIN, COUNTY, World
from tests.test_browser_catalogue import send
from tests.test_html_pages import browser, csrf


def refill(html: str) -> dict[str, Any] | None:
    match = re.search(r'<script type="application/json" id="kehou-refill">(.*?)</script>', html, re.S)
    return json.loads(match.group(1)) if match else None


def test_a_failed_offering_form_comes_back_with_its_values_and_field(ctx: Context, world: World) -> None:
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    staff = cs.staff_id(world, "provider")
    form = {"county_code": "330106", "title": "少儿篆刻", "category": "优秀传统文化", "description": "认识印章与篆书",
            "grades": ["3", "4"], "sessions_per_week": "1", "minutes": "60", "capacity": "20", "fee_yuan": "12.345",
            "material_item": ["刻刀", "印石", ""], "material_yuan": ["15", "5.5", ""], "instructor_id": str(staff),
            "school_requirements": "美术教室"}
    with browser(ctx, "provider") as prov:
        page = send(prov, "/provider/offerings", "/provider/offerings", form).text
        data = refill(page)
        assert data is not None and data["field"] == "fee_yuan" and "两位小数" in data["message"]
        assert data["action"] == "/provider/offerings" and data["page"] == "/provider/offerings"
        assert {k: data["values"][k] for k in form} == form  # every field, lists in order
        assert "_csrf_token" not in data["values"] and data["files"] is False
        assert refill(prov.get("/provider/offerings").text) is None  # shown once


def test_passwords_and_files_are_never_sent_back(ctx: Context, world: World) -> None:
    with browser(ctx, None) as anon:
        token = csrf(anon, "/register")
        page = anon.post("/register", data={"_csrf_token": token, "name": "某机构", "uscc": "123", "username": "abc",
                                            "password": "Secret-Pass-123"},
                         headers={"referer": "http://127.0.0.1/register"}).text  # followed back to the form
        data = refill(page)
        assert data is not None and data["values"]["name"] == "某机构" and data["field"] == "org_type"
        assert "password" not in data["values"] and "Secret-Pass-123" not in page
    with browser(ctx, "provider") as prov:
        token = csrf(prov, "/provider")
        page = prov.post("/provider/documents", data={"_csrf_token": token, "doc_type": "insurance", "number": "BX-1"},
                         files={"file": ("保单.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf")},
                         headers={"referer": "http://127.0.0.1/provider"}).text
        data = refill(page)
        assert data is not None and data["files"] is True and data["values"].get("number") == "BX-1"
        assert "file" not in data["values"]


def test_the_values_go_only_to_the_page_the_form_was_on(ctx: Context, world: World) -> None:
    with browser(ctx, None) as anon:
        anon.post("/register", data={"_csrf_token": csrf(anon, "/register"), "name": "某机构", "uscc": "123"},
                  headers={"referer": "http://127.0.0.1/register"}, follow_redirects=False)
        assert refill(anon.get("/login").text) is None  # another page: nothing, and the payload is spent
        assert refill(anon.get("/register").text) is None



@pytest.mark.parametrize("form", [{}, {"agreed": ""}, {"agreed": "maybe"}])
def test_a_sign_off_is_never_chosen_for_the_signer(form: dict[str, str]) -> None:
    from kehou.platform.admission import views

    assert views._agreed({"agreed": "yes"}) is True and views._agreed({"agreed": "no"}) is False
    with pytest.raises(ValidationFailed) as exc:
        views._agreed(form)
    assert (exc.value.code, exc.value.field) == ("signoff_choice_required", "agreed")


def _staff_form() -> dict[str, str]:
    return {"name": "李老师", "id_number": "330106199001011234", "qualification_type": "professional_certificate",
            "qualification_number": "ZY-1", "criminal_record_issued_on": "2026-10-01"}


def test_each_form_family_comes_back_with_its_values_and_the_error_beside_its_field(ctx: Context, world: World) -> None:
    """Staff, a school's new menu, an exit proposal, a public complaint: one bad field each, the rest kept."""
    cs.admit(world, "provider")  # an admitted provider to propose an exit for
    with ctx.db.write_session() as s:  # complaints are taken where the county uses outcome reporting
        policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key="plugins.enabled", value=["course_catalogue", "outcome_reporting"],
                   effective_from=clock.today_local(), reason="测试")
    cases = [
        ("provider", "/provider", "/provider/staff", _staff_form() | {"id_number": "12345"}, "id_number"),
        ("school_admin", "/school/menus", "/school/menus",
         {"term_day": "2026-12-10", "opens_at": "2026-12-20T18:00", "closes_at": "2026-12-10T18:00",
          "service_start": "15:30", "service_end": "17:40"}, "closes_at"),
        ("reviewer1", "/county/exits", "/county/exits",
         {"provider_id": str(world.provider_ids["provider"]), "trigger": "violation", "grounds": "other", "summary": "",
          "evidence": "巡查记录"}, "summary"),
        (None, f"/public/{COUNTY}/complaints/new", f"/public/{COUNTY}/complaints",
         {"category": "fees", "text": "短", "contact_name": "王某", "contact_phone": "13800000000"}, "text"),
    ]
    for who, page, action, form, bad in cases:
        with browser(ctx, who) as c:
            resp = send(c, action, page, form)
            data = refill(resp.text)
            assert data is not None, (action, resp.status_code, resp.text[:300])
            assert data["field"] == bad, (action, data)
            kept = {k: v for k, v in form.items() if k != bad and v}
            assert {k: data["values"].get(k) for k in kept} == kept, action
