"""More views of a child's record logged to child_access (issue 20 part 1, the gaps left by tests/test_child_access.py):
the school billing page's waivers and term-end statements, billing's JSON API (a bill, the school's bills, waivers
and statements), a settlement's lines and its Excel, and the school's finance page (收款对账). Each time the family's
own view of the same child leaves no row."""

from __future__ import annotations

from litestar.testing import TestClient
from sqlalchemy import select

from kehou.platform.privacy.models import ChildAccess
from kehou.plugins.billing_cap import bills, statement
from kehou.plugins.billing_cap.models import Bill
from kehou.plugins.payments_offline import services as offline
from tests import billing_setup as bs
from tests.factories import World
from tests.helpers import err, ok, token_headers
from tests.test_billing_pages import after_term
from tests.test_html_pages import browser
from tests.test_payments_offline import billed, csv_bytes, statement_rows
from tests.test_permissions import billing_in

EVIDENCE = "低保证 330106-2026-0042"


def log(world: World) -> list[tuple[str, str, int]]:
    with world.ctx.db.read_session() as s:
        return [(r.actor_role, r.what, r.student_id) for r in s.scalars(select(ChildAccess).order_by(ChildAccess.id))]


def bill_id_of(world: World, student_id: int) -> int:
    with world.ctx.db.read_session() as s:
        return s.scalars(select(Bill.id).where(Bill.student_id == student_id)).one()


def waived_and_closed(world: World) -> tuple[int, str]:
    """小明 enrolled and billed, a waiver recorded for him, and the term closed (his term-end statement made)."""
    cat = bs.ready(world)
    ming = cat.students["xiaoming"]
    bs.enrol(world, ming, cat.entries["calligraphy"])
    bs.issue(world, cat.menu_id)
    term = bs.term_name(world, cat.menu_id)
    with world.ctx.db.write_session() as s:
        bills.record_waiver(world.ctx, s, world.actor("school_admin"), world.school_ids["school"], student_id=ming,
                            term_name=term, tier="half", evidence=EVIDENCE, reason="家庭困难")
    after_term()
    with world.ctx.db.write_session() as s:
        assert len(statement.close_term(world.ctx, s, world.actor("school_admin"), world.school_ids["school"], term)) == 1
    return ming, term


def test_the_school_billing_page_logs_its_waivers_and_statements(world: World) -> None:
    ming, term = waived_and_closed(world)
    with browser(world.ctx, "parent") as parent:  # the family's own bills: not logged
        assert parent.get("/parent/bills").status_code == 200
        assert parent.get(f"/parent/bills/{bill_id_of(world, ming)}").status_code == 200
    assert log(world) == []
    with browser(world.ctx, "school_admin") as school:
        page = school.get(f"/school/billing?term_name={term}").text
    assert EVIDENCE in page.split('id="waivers"')[1] and "小明" in page.split('id="statements"')[1]
    assert log(world) == [("school_admin", "bills", ming), ("school_admin", "waivers", ming),
                          ("school_admin", "statements", ming)]
    with world.ctx.db.read_session() as s:
        purposes = dict(s.execute(select(ChildAccess.what, ChildAccess.purpose)).all())
    assert purposes == {"bills": "收费管理", "waivers": "收费减免", "statements": "期末结算（多退少补）"}


def test_billings_api_logs_staff_reading_a_bill_the_bills_waivers_and_statements(world: World, client: TestClient) -> None:
    ming, _ = waived_and_closed(world)
    bill_id, school_id = bill_id_of(world, ming), world.school_ids["school"]
    family = token_headers(client, "parent")  # the family's own bill and bills: not logged
    assert ok(client.get(f"/api/v1/bills/{bill_id}", headers=family))["student_id"] == ming
    assert [b["id"] for b in ok(client.get(f"/api/v1/children/{ming}/bills", headers=family))] == [bill_id]
    assert log(world) == []

    school = token_headers(client, "school_admin")
    assert [b["id"] for b in ok(client.get(f"/api/v1/schools/{school_id}/bills", headers=school))] == [bill_id]
    assert ok(client.get(f"/api/v1/bills/{bill_id}", headers=school))["lines"]
    assert [w["evidence"] for w in ok(client.get(f"/api/v1/schools/{school_id}/waivers", headers=school))] == [EVIDENCE]
    assert [x["student_id"] for x in ok(client.get(f"/api/v1/schools/{school_id}/statements", headers=school))] == [ming]
    county = token_headers(client, "decider")
    assert ok(client.get(f"/api/v1/bills/{bill_id}", headers=county))["id"] == bill_id
    assert log(world) == [("school_admin", "bills_api", ming), ("school_admin", "bill_api", ming),
                          ("school_admin", "waivers_api", ming), ("school_admin", "statements_api", ming),
                          ("county_staff", "bill_api", ming)]

    # nothing shown, nothing logged: another term's empty lists, another county's bill (not found)
    for what in ("bills", "waivers", "statements"):
        assert ok(client.get(f"/api/v1/schools/{school_id}/{what}?term_name=2030年春季学期", headers=school)) == []
    err(client.get(f"/api/v1/bills/{bill_id}", headers=token_headers(client, "other_reviewer")), 404, "bill_not_found")
    assert len(log(world)) == 5


def test_a_settlements_lines_and_its_excel_are_logged_but_not_its_summary(world: World, client: TestClient) -> None:
    values = billing_in(world, "billing_settlement")
    sid, kid = values["settlement_id"], values["student_id"]
    with browser(world.ctx, "provider") as provider:
        assert provider.get("/provider/settlements").status_code == 200  # per lesson: counts, no child
        assert provider.get(f"/provider/settlements/{sid}").status_code == 200
        assert log(world) == []
        xlsx = provider.get(f"/billing/settlements/{sid}.xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    lines = ok(client.get(f"/api/v1/settlements/{sid}", headers=token_headers(client, "school_admin")))["lines"]
    assert [x["student_id"] for x in lines] == [kid]
    got = client.get(f"/api/v1/settlements/{sid}/xlsx", headers=token_headers(client, "decider"))
    assert got.status_code == 200 and got.content[:2] == b"PK"
    assert log(world) == [("provider", "settlement_export", kid), ("school_admin", "settlement_api", kid),
                          ("county_staff", "settlement_export", kid)]
    with world.ctx.db.read_session() as s:
        row = s.scalars(select(ChildAccess).where(ChildAccess.actor_role == "provider")).one()
        assert row.provider_id == world.users["provider"].provider_id and row.purpose == "机构结算"
    # a family has no settlement to read, and a refusal is not a view
    err(client.get(f"/api/v1/settlements/{sid}", headers=token_headers(client, "parent")), 403, "permission_denied")
    with browser(world.ctx, "parent") as parent:
        assert parent.get(f"/billing/settlements/{sid}.xlsx").status_code == 403
    assert len(log(world)) == 3


def test_the_school_finance_page_logs_the_children_it_names(world: World) -> None:
    setup = billed(world)
    with world.ctx.db.read_session() as s:
        kids = dict(s.execute(select(Bill.id, Bill.student_id)).all())
    ming, hong = kids[setup.bills["xiaoming"][0]], kids[setup.bills["xiaohong"][0]]
    with world.ctx.db.write_session() as s:  # 小明's bill paid in full from the statement: only on the matched lines
        offline.import_statement(s, world.actor("school_admin"), setup.school_id, filename="流水.csv",
                                 data=csv_bytes(statement_rows(setup)[:4], "utf-8-sig"))
    with browser(world.ctx, "parent") as parent:
        assert parent.get("/parent/bills").status_code == 200
    assert log(world) == []
    with browser(world.ctx, "school_admin") as school:
        page = school.get("/school/payments").text
    matched = page.split('id="matched"')[1]
    assert "小明" in matched and setup.bills["xiaohong"][1] in page.split('id="open-bills"')[1].split("</datalist>")[0]
    assert sorted(log(world)) == sorted([("school_admin", "offline_payments", ming), ("school_admin", "offline_payments", hong)])
