"""Bulk exports of children's personal data (issue 20 part 4): refused without a second person's approval,
approved by the county (never by the requester), downloaded once within the day, watermarked inside the file with
the requester, the approver, the time and the number, logged (audit and child-access log), limited per day."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from kehou.platform.audit.models import AuditEntry
from kehou.platform.privacy.models import ChildAccess, DataExport
from kehou.platform.students import roster
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import World
from tests.test_html_pages import browser, csrf

CSV = ("学号,姓名,年级,班级,监护人姓名,关系,监护人手机号,优先保障群体\r\n"
       "S001,刘子涵,3,3年级1班,刘芳,母亲,13957100104,留守儿童\r\n"
       "S002,张可馨,3,3年级2班,张伟,父亲,13957100105,\r\n").encode()


def a_school(world: World) -> None:
    cs.enable_catalogue(world)
    with world.ctx.db.write_session() as s:
        roster.import_roster(world.ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="名册.csv", data=CSV)


def ask(page, reason: str = "核对新学期班级名单"):  # type: ignore[no-untyped-def]
    return page.post("/school/students/exports", data={"_csrf_token": csrf(page, "/school/students/exports"),
                                                       "reason": reason, "q": "", "grade": "", "class": ""},
                     follow_redirects=True)


def error_code(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.headers.get("x-error-code", "") or resp.text


def test_an_unapproved_export_is_refused_and_an_approved_one_is_watermarked(world: World) -> None:
    a_school(world)
    with browser(world.ctx, "school_admin") as school:
        direct = school.get("/school/students.xlsx")
        assert direct.status_code == 403 and "须先申请" in direct.text
        assert "已提交导出申请，等待审批" in ask(school).text
        with world.ctx.db.read_session() as s:
            export = s.scalars(select(DataExport)).one()
        assert export.status == "pending"
        early = school.get(f"/school/students/exports/{export.id}/download")
        assert early.status_code == 403 and "尚未获得审批" in early.text
        own = school.post(f"/school/students/exports/{export.id}/decision",
                          data={"_csrf_token": csrf(school, "/school/students/exports"), "decision": "approve"})
        assert own.status_code == 403 and "不能审批自己的申请" in own.text
    with browser(world.ctx, "other_reviewer") as other:  # another county's staff: not theirs
        resp = other.post(f"/desk/privacy/exports/{export.id}", data={"_csrf_token": csrf(other, "/desk/privacy"),
                                                                       "decision": "approve"})
        assert resp.status_code == 404
    with browser(world.ctx, "decider") as county:
        page = county.get("/desk/privacy").text
        assert f'id="export-{export.id}"' in page and "核对新学期班级名单" in page
        resp = county.post(f"/desk/privacy/exports/{export.id}", data={"_csrf_token": csrf(county, "/desk/privacy"),
                                                                        "decision": "approve", "note": "同意"},
                           follow_redirects=True)
        assert f"已批准第{export.id}号导出申请" in resp.text
    with browser(world.ctx, "school_admin") as school:
        got = school.get(f"/school/students/exports/{export.id}/download")
        assert got.status_code == 200
        book = load_workbook(io.BytesIO(got.content))
        sheet = book.worksheets[0]
        rows = [[c.value for c in r] for r in sheet.iter_rows()]
        assert rows[1][:2] == ["S001", "刘子涵"] and "13957100104" in rows[1]  # the school's own data, in full
        mark = book.properties.description
        assert "导出人：school_admin" in mark and "审批人：decider" in mark and f"导出编号：第{export.id}号" in mark
        assert book["导出说明"]["A1"].value == mark and mark[:40] in (sheet.oddHeader.center.text or "")
        again = school.get(f"/school/students/exports/{export.id}/download")
        assert again.status_code == 409 and "已下载过" in again.text
    with world.ctx.db.read_session() as s:
        done = s.get(DataExport, export.id)
        assert done.status == "downloaded" and done.rows == 2 and len(done.sha256) == 64 and done.watermark == mark
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "data_export")
                            .order_by(AuditEntry.id)).all()
        assert actions == ["privacy.export_request", "privacy.export_approve", "privacy.export_download"]
        assert s.scalars(select(ChildAccess.what).where(ChildAccess.what == "roster_export")).all() == ["roster_export"] * 2


def test_exports_are_limited_per_day_and_without_the_rule_go_straight_out_watermarked(world: World) -> None:
    a_school(world)
    bs.put(world, "privacy.exports_per_day", 1)
    bs.put(world, "privacy.export_approval", False)
    with browser(world.ctx, "school_admin") as school:
        got = school.get("/school/students.xlsx")
        assert got.status_code == 200
        assert "（本区县无需审批）" in load_workbook(io.BytesIO(got.content)).properties.description
        resp = ask(school, "再次核对名单")
        assert "每个账号每天最多导出1次" in resp.text
        assert "导出用途" in ask(school, "短").text  # too short a purpose is refused on the form
    with world.ctx.db.read_session() as s:
        assert [e.status for e in s.scalars(select(DataExport))] == ["downloaded"]
