"""Every view of a child's record by staff is logged, append-only, with who, what, why and when; a family looking
at its own children is not; an account viewing too many children in an hour alerts the county once; the county's
privacy page shows the inventory, the views by account and the alerts (issue 20 parts 1, 3 and 4)."""

from __future__ import annotations

from litestar.testing import TestClient
from sqlalchemy import select

from kehou.platform.audit.models import AuditEntry
from kehou.platform.notifications.models import Notification
from kehou.platform.privacy.models import ChildAccess
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import World
from tests.helpers import ok, token_headers
from tests.test_html_pages import browser


def log(world: World) -> list[tuple[str, str, int, str, str]]:
    with world.ctx.db.read_session() as s:
        return [(r.actor_role, r.what, r.student_id, r.purpose, r.county_code)
                for r in s.scalars(select(ChildAccess).order_by(ChildAccess.id))]


def test_each_view_of_a_childs_record_is_logged_and_a_familys_own_is_not(world: World, client: TestClient) -> None:
    cat = cs.ready(world)
    ming = cat.students["xiaoming"]
    hong = cs.child(world, "小红")
    bs.enrol(world, ming, cat.entries["calligraphy"])
    with browser(world.ctx, "parent") as page:  # the family's own pages: not logged
        assert page.get(f"/parent/children/{ming}").status_code == 200
    assert log(world) == []
    with browser(world.ctx, "school_admin") as page:
        assert page.get(f"/school/students/{ming}").status_code == 200
        assert page.get("/school/students").status_code == 200
        assert page.get(f"/school/entries/{cat.entries['calligraphy']}").status_code == 200
    ok(client.get(f"/api/v1/entries/{cat.entries['calligraphy']}/roster", headers=token_headers(client, "school_admin")))
    got = log(world)
    assert got[0] == ("school_admin", "student", ming, "学籍与监护人管理", "330106")
    assert sorted((w, sid) for _, w, sid, _, _ in got[1:]) == sorted([("class", ming), ("class_api", ming),
                                                                      ("roster", hong), ("roster", ming)])
    with world.ctx.db.read_session() as s:
        row = s.scalars(select(ChildAccess)).first()
        assert row.actor_id == world.users["school_admin"].id and row.at is not None


def test_too_many_children_in_an_hour_alerts_the_county_once(world: World) -> None:
    cs.enable_catalogue(world)
    kids = [cs.child(world, f"学生{i:02d}") for i in range(12)]
    bs.put(world, "privacy.view_alert_per_hour", 10)
    with browser(world.ctx, "school_admin") as page:
        assert page.get("/school/students").status_code == 200  # 12 children in one look
        assert page.get(f"/school/students/{kids[0]}").status_code == 200
    with world.ctx.db.read_session() as s:
        alerts = s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.view_alert")).all()
        assert len(alerts) == 1 and alerts[0].entity_id == str(world.users["school_admin"].id)
        assert alerts[0].new_values["children_in_hour"] == 12 and alerts[0].new_values["limit"] == 10
        told = s.scalars(select(Notification.user_id).where(Notification.title == "异常访问告警")).all()
        staff = {world.users[k].id for k in ("reviewer1", "reviewer2", "decider", "reviewer_decider")}
        assert set(told) == staff
    with browser(world.ctx, "decider") as page:
        text = page.get("/desk/privacy").text
        assert "一小时内查看了 12 名学生的信息" in text and "school_admin" in text and "学生名册" in text
        assert "student.priority_sealed" in text and "监护人手机号" in text and "加密存储" in text
    with browser(world.ctx, "other_reviewer") as page:  # another county sees none of it
        text = page.get("/desk/privacy").text
        assert "一小时内查看了" not in text and "近30天没有访问记录" in text
    for who in ("school_admin", "provider", "parent"):
        with browser(world.ctx, who) as page:
            assert page.get("/desk/privacy").status_code == 403


def test_the_log_has_no_way_to_change_it(world: World) -> None:
    """Append-only: nothing in the code updates a row of the log, and only the retention sweep deletes, rows older
    than the county's period (tests/test_privacy_retention.py)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "kehou"
    writers = [p for p in root.rglob("*.py") if "ChildAccess" in p.read_text(encoding="utf-8")]
    for p in writers:
        body = p.read_text(encoding="utf-8")
        assert "update(ChildAccess" not in body, p
        if p.relative_to(root).as_posix() == "platform/privacy/sweep.py":
            assert body.count("delete(ChildAccess") == 1 and "ChildAccess.at < until" in body
        else:
            assert "delete(ChildAccess" not in body, p
    assert {p.name for p in writers} >= {"access.py", "models.py", "views.py", "sweep.py"}


def test_bill_lists_and_their_exports_are_logged_too(world: World) -> None:
    cat = bs.ready(world)
    ming = cat.students["xiaoming"]
    bs.enrol(world, ming, cat.entries["calligraphy"])
    bs.issue(world, cat.menu_id)
    term = bs.term_name(world, cat.menu_id)
    with browser(world.ctx, "school_admin") as school:
        assert school.get(f"/school/billing?term_name={term}").status_code == 200
        assert school.get(f"/school/billing/bills.xlsx?term_name={term}").status_code == 200
    with browser(world.ctx, "decider") as county:
        assert county.get("/county/billing").status_code == 200
    assert [(role, what, sid) for role, what, sid, _, _ in log(world)] == [
        ("school_admin", "bills", ming), ("school_admin", "bills_export", ming), ("county_staff", "bills", ming)]
