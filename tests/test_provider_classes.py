"""我的班级 (issue 20 part 3): a provider sees its own current classes and, for each, the minimum about the children
enrolled — name, grade and class — never the student number, the priority group or a guardian's phone unless the
county allows the phone (``privacy.provider_guardian_phone``); every roster view is logged with the provider; another
provider's class, a provider no longer admitted and a finished term answer not found."""

from __future__ import annotations

import datetime as dt

from litestar.testing import TestClient
from sqlalchemy import select

from kehou.platform.privacy.models import ChildAccess
from kehou.platform.students import services as students
from kehou.platform.students.models import GuardianContact
from kehou.plugins.course_catalogue.models import Menu
from kehou.timeutil import utcnow
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import World
from tests.helpers import err, ok, token_headers
from tests.test_html_pages import browser

PHONE = "13957100777"


def a_class(world: World) -> tuple[cs.Catalogue, int, int, int]:
    """The provider's calligraphy class with 小明 (a priority group, a guardian's phone on file) and 小红 enrolled."""
    cat = cs.ready(world)
    ming, hong = cat.students["xiaoming"], cs.child(world, "小红")
    entry = cat.entries["calligraphy"]
    for kid in (ming, hong):
        bs.enrol(world, kid, entry)
    with world.ctx.db.write_session() as s:
        students.set_priority(s, world.actor("school_admin"), ming, "left_behind", reason="父母外出务工")
        sealed = world.ctx.vault.seal(PHONE)
        s.add(GuardianContact(school_id=world.school_ids["school"], user_id=world.users["parent"].id,
                              phone_enc=sealed.ciphertext, phone_hash=sealed.keyed_hash, phone_last4=sealed.last4,
                              created_at=utcnow()))
        s.commit()
    return cat, entry, ming, hong


def logged(world: World) -> list[tuple[str, str, int, int | None]]:
    with world.ctx.db.read_session() as s:
        return [(r.actor_role, r.what, r.student_id, r.provider_id)
                for r in s.scalars(select(ChildAccess).order_by(ChildAccess.student_id))]


def test_the_roster_shows_names_grades_and_classes_only_and_each_view_is_logged(world: World, client: TestClient) -> None:
    cat, entry, ming, hong = a_class(world)
    provider = token_headers(client, "provider")
    classes = ok(client.get("/api/v1/provider/classes", headers=provider))
    assert sorted((c["entry_id"], c["title"], c["enrolled"], c["school"]) for c in classes) == [
        (entry, "少儿软笔书法", 2, "西湖小学"), (cat.entries["painting"], "国画入门", 0, "西湖小学")]
    assert logged(world) == []  # the list of classes names no child
    rows = ok(client.get(f"/api/v1/provider/classes/{entry}/roster", headers=provider))
    assert sorted(rows, key=lambda r: r["student_id"]) == [
        {"student_id": ming, "name": "小明", "grade": 3, "class_name": "1班"},
        {"student_id": hong, "name": "小红", "grade": 3, "class_name": "1班"}]
    pid = world.provider_ids["provider"]
    assert logged(world) == [("provider", "provider_class", k, pid) for k in (ming, hong)]
    with browser(world.ctx, "provider") as page:
        html = page.get(f"/provider/classes/{entry}").text
        assert "小明" in html and "小红" in html and "1班" in html and "三年级" in html
        assert PHONE not in html and "0777" not in html and "留守" not in html and "G1-小明" not in html
        assert "本区县未允许授课机构查看监护人电话" in html
        menu = page.get("/provider/classes").text
        assert f'href="/provider/classes/{entry}"' in menu and "我的班级" in menu
    assert len(logged(world)) == 4
    with browser(world.ctx, "parent") as page:  # the family sees that the provider looked, not who
        text = page.get("/parent/privacy").text
        assert "西湖青少年美术中心" in text and "机构班级名单" in text


def test_the_county_may_let_providers_see_guardian_phones(world: World, client: TestClient) -> None:
    _, entry, _, _ = a_class(world)
    bs.put(world, "privacy.provider_guardian_phone", True)
    rows = ok(client.get(f"/api/v1/provider/classes/{entry}/roster", headers=token_headers(client, "provider")))
    phones = {r["name"]: r["guardian_phones"] for r in rows}
    assert phones == {"小明": [f"母亲 {PHONE}"], "小红": [f"母亲 {PHONE}"]}  # both children are the same parent's
    with browser(world.ctx, "provider") as page:
        html = page.get(f"/provider/classes/{entry}").text
        assert PHONE in html and "仅限紧急联系使用" in html and "留守" not in html
    assert {w for _, w, _, _ in logged(world)} == {"provider_class"} and len(logged(world)) == 4


def test_others_past_terms_and_providers_no_longer_admitted_see_nothing(world: World, client: TestClient) -> None:
    cat, entry, _, _ = a_class(world)
    cs.admit(world, "other_provider")
    other = token_headers(client, "other_provider")
    assert ok(client.get("/api/v1/provider/classes", headers=other)) == []
    err(client.get(f"/api/v1/provider/classes/{entry}/roster", headers=other), 404, "entry_not_found")
    err(client.get(f"/api/v1/provider/classes/{entry}/roster", headers=token_headers(client, "school_admin")),
        403, "permission_denied")
    provider = token_headers(client, "provider")
    cs.set_whitelist_status(world, "provider", "suspended")  # no longer serving the county: the rosters close
    assert ok(client.get("/api/v1/provider/classes", headers=provider)) == []
    err(client.get(f"/api/v1/provider/classes/{entry}/roster", headers=provider), 404, "entry_not_found")
    cs.set_whitelist_status(world, "provider", "active")
    ok(client.get(f"/api/v1/provider/classes/{entry}/roster", headers=provider))
    with world.ctx.db.write_session() as s:  # the term is over: the class leaves the list
        menu = s.get(Menu, cat.menu_id)
        menu.term_end = menu.term_start = dt.date(2020, 1, 10)
        s.commit()
    assert ok(client.get("/api/v1/provider/classes", headers=provider)) == []
    err(client.get(f"/api/v1/provider/classes/{entry}/roster", headers=provider), 404, "entry_not_found")
    assert [r[0] for r in logged(world)] == ["provider", "provider"]  # only the one roster read while serving
