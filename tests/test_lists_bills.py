"""The bill lists of billing's staff pages that must scale: the school's (/school/billing, one term) and the county's
(/county/billing, every school) searched by the child's name or the bill's reference, filtered by status (and school),
paged 50 at a time with the filters kept, and exported to Excel with exactly the rows the filters select. Each sees
its own bills only. The bills are made through the real services (catalogue, enrolment, issue, payment)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kehou.platform.accounts import services as accounts
from kehou.platform.counties import services as counties
from kehou.plugins.billing_cap.models import Bill
from kehou.plugins.billing_cap.payments import find_bill, record_payment
from kehou.plugins.course_catalogue.models import Entry
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import ADMIN, COUNTY, OTHER_COUNTY, PASSWORD, SYSTEM, World
from tests.test_html_pages import browser

pytestmark = pytest.mark.usefixtures("ledger_balanced")

SCHOOL, COUNTY_PAGE = "/school/billing", "/county/billing"
SCHOOL_XLSX, COUNTY_XLSX = "/school/billing/bills.xlsx", "/county/billing/bills.xlsx"
MONEY = ("应缴（元）", "已缴（元）", "待缴（元，负数为待退）", "状态", "缴费期限")  # the export's last columns
EXTRA = 53  # with 小明 and 小红: 55 bills at 西湖小学, one page of 50 and one of 5


@dataclass
class Bills:
    term: str = ""
    school2_id: int = 0
    refs: dict[str, str] = field(default_factory=dict)  # child's name -> bill reference
    ids: dict[str, int] = field(default_factory=dict)  # child's name -> bill id


def bill_by_student(world: World, student_id: int) -> Bill:
    with world.ctx.db.read_session() as s:
        return s.scalars(select(Bill).where(Bill.student_id == student_id)).one()


def pay(world: World, bill_id: int, fen: int, external_id: str) -> None:
    with world.ctx.db.write_session() as s:
        bill = find_bill(s, bill_id=bill_id)
        record_payment(s, world.actor("school_admin"), bill, gateway="offline", external_id=external_id, amount_fen=fen)
        s.commit()


def many_bills(world: World, extra: int = EXTRA) -> Bills:
    """西湖小学: 小明 (paid in full), 小红 (100 yuan paid) and ``extra`` more children, 320 yuan each; 西湖第二小学 of
    the same county with its admin ``school2_admin`` and one bill (小刚); 滨江初中's admin ``other_school_admin``."""
    cat = bs.ready(world)
    kids = {"小明": cat.students["xiaoming"], "小红": cs.child(world, "小红")}
    kids |= {f"学生{i:02d}": cs.child(world, f"学生{i:02d}") for i in range(extra)}
    for n, sid in enumerate(kids.values()):  # thirty seats in each course
        bs.enrol(world, sid, cat.entries["calligraphy" if n < 30 else "painting"])
    bs.issue(world, cat.menu_id)
    out = Bills(term=bs.term_name(world, cat.menu_id))
    for name, sid in kids.items():
        bill = bill_by_student(world, sid)
        out.refs[name], out.ids[name] = bill.reference, bill.id
    pay(world, out.ids["小明"], 32000, "BANK-MING")  # in full
    pay(world, out.ids["小红"], 10000, "BANK-HONG")  # 100 of 320 yuan
    with world.ctx.db.write_session() as s:
        school2 = counties.add_school(s, ADMIN, county_code=COUNTY, name="西湖第二小学", kind="primary").id
        world.school_ids["school2"] = school2
        world.users["school2_admin"] = accounts.create_user(
            s, SYSTEM, username="school2_admin", display_name="二小管理员", password=PASSWORD, role="school_admin",
            county_code=COUNTY, school_id=school2)
        world.users["other_school_admin"] = accounts.create_user(
            s, SYSTEM, username="other_school_admin", display_name="滨江初中管理员", password=PASSWORD, role="school_admin",
            county_code=OTHER_COUNTY, school_id=world.school_ids["other_school"])
        offering_id = s.scalars(select(Entry.offering_id).where(Entry.id == cat.entries["calligraphy"])).one()
        s.commit()
    out.school2_id = school2
    menu = cs.menu(world, school="school2", admin="school2_admin")
    entry = cs.place(world, menu, offering_id, [(2, "16:00")], admin="school2_admin")
    cs.publish(world, menu, admin="school2_admin")
    gang = cs.child(world, "小刚", parent="parent2", school="school2", admin="school2_admin", new_parent=True)
    bs.enrol(world, gang, entry, parent="parent2")
    bs.issue(world, menu, admin="school2_admin", school="school2")
    bill = bill_by_student(world, gang)
    out.refs["小刚"], out.ids["小刚"] = bill.reference, bill.id
    return out


def listed(html: str) -> list[int]:
    """The bill ids in the page's bill list, in order."""
    return [int(i) for i in re.findall(r'<tr id="bill-(\d+)">', html)]


def row(html: str, bill_id: int) -> list[str]:
    part = html.split(f'<tr id="bill-{bill_id}">')[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", part, re.S)]


def sheet_rows(resp: Any) -> list[tuple[Any, ...]]:
    assert resp.status_code == 200, resp.text
    assert "spreadsheetml" in resp.headers["content-type"] and "attachment" in resp.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(resp.content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def test_the_school_lists_its_bills_searched_filtered_paged_and_exported(ctx, world: World) -> None:
    b = many_bills(world)
    ours = {i for name, i in b.ids.items() if name != "小刚"}
    with ctx.db.read_session() as s:
        due = str(s.get(Bill, b.ids["小红"]).due_on)  # type: ignore[union-attr]
    with browser(ctx, "school_admin") as school:
        first = school.get(SCHOOL).text
        assert "共 55 条" in first and "第 1/2 页" in first and len(listed(first)) == 50
        assert 'href="/school/billing?page=2" rel="next"' in first
        assert 'href="/school/billing/bills.xlsx"' in first  # the export link, no filters yet
        sums = first.split('id="bill-sums"')[1].split("</tr>")[0]
        assert "合计（55）" in sums and "17600.00" in sums and "420.00" in sums and "17180.00" in sums  # all 55, not the page
        second = school.get(f"{SCHOOL}?page=2").text
        assert len(listed(second)) == 5 and "第 2/2 页" in second and "上一页" in second
        assert set(listed(first)).isdisjoint(listed(second)) and set(listed(first)) | set(listed(second)) == ours
        assert listed(first)[0] == max(ours)  # newest first

        hong = school.get(f"{SCHOOL}?q=小红").text
        assert listed(hong) == [b.ids["小红"]] and "共 1 条" in hong
        assert row(hong, b.ids["小红"]) == [b.refs["小红"], "小红", "1班", "320.00", "100.00", "220.00", "待缴费", due,
                                          "登记到账"]
        assert listed(school.get(f"{SCHOOL}?q={b.refs['小明'].lower()}").text) == [b.ids["小明"]]  # by reference too
        assert listed(school.get(f"{SCHOOL}?q=学生0").text) == sorted((b.ids[f"学生{i:02d}"] for i in range(10)), reverse=True)
        empty = school.get(f"{SCHOOL}?q=%25").text  # a % is a character, not a wildcard
        assert listed(empty) == [] and "没有符合条件的账单" in empty
        assert listed(school.get(f"{SCHOOL}?q=小刚").text) == []  # 西湖第二小学's child

        paid = school.get(f"{SCHOOL}?status=paid").text
        assert listed(paid) == [b.ids["小明"]] and row(paid, b.ids["小明"])[3:7] == ["320.00", "320.00", "0.00", "已缴清"]
        assert '<option value="paid" selected>已缴清</option>' in paid
        assert listed(school.get(f"{SCHOOL}?status=settled").text) == []
        open_ = school.get(f"{SCHOOL}?status=open").text
        assert "共 54 条" in open_ and b.ids["小明"] not in listed(open_)
        assert 'href="/school/billing?status=open&amp;page=2" rel="next"' in open_  # the pager keeps the filter
        assert listed(school.get(f"{SCHOOL}?status=open&q=小").text) == [b.ids["小红"]]
        assert listed(school.get(f"{SCHOOL}?term_name={b.term}&status=paid").text) == [b.ids["小明"]]

        rows = sheet_rows(school.get(f"{SCHOOL_XLSX}?status=open&q=小"))
        assert rows == [("账单编号", "学生", "班级", "学期", *MONEY),
                        (b.refs["小红"], "小红", "1班", b.term, "320.00", "100.00", "220.00", "待缴费", due)]
        every = sheet_rows(school.get(SCHOOL_XLSX))
        assert len(every) == 56 and {r[0] for r in every[1:]} == {b.refs[n] for n in b.refs if n != "小刚"}
        ming = next(r for r in every if r[0] == b.refs["小明"])
        assert ming[4:8] == ("320.00", "320.00", "0.00", "已缴清")
        assert {r[0] for r in sheet_rows(school.get(f"{SCHOOL_XLSX}?q=学生0"))[1:]} == {b.refs[f"学生{i:02d}"] for i in range(10)}

        for bad, message in (("page=abc", "页码须为正整数"), ("page=0", "页码须为正整数"), ("status=unpaid", "未知的账单状态"),
                             ("q=" + "字" * 101, "最多100个字")):
            for url in (SCHOOL, SCHOOL_XLSX):
                resp = school.get(f"{url}?{bad}")
                assert resp.status_code == 400 and message in resp.text, (url, bad)
        page = school.get(SCHOOL).text  # the rest of the page is kept
        for part in ('action="/school/billing/issue"', 'id="waiver"', 'id="statements"', 'action="/school/billing/settlements"'):
            assert part in page, part

    with browser(ctx, "school2_admin") as other:  # another school of the county: its own bill only
        page = other.get(SCHOOL).text
        assert listed(page) == [b.ids["小刚"]] and "共 1 条" in page and b.refs["小红"] not in page
        assert listed(other.get(f"{SCHOOL}?q={b.refs['小红']}").text) == []
        assert [r[0] for r in sheet_rows(other.get(SCHOOL_XLSX))[1:]] == [b.refs["小刚"]]
    with browser(ctx, "other_school_admin") as other:  # another county's school: none
        assert listed(other.get(SCHOOL).text) == []
        assert len(sheet_rows(other.get(f"{SCHOOL_XLSX}?q=小"))) == 1


def test_the_county_lists_every_school_bill_filtered_by_school_and_exported(ctx, world: World) -> None:
    b = many_bills(world)
    with browser(ctx, "reviewer1") as rev:
        first = rev.get(COUNTY_PAGE).text
        assert "共 56 条" in first and "第 1/2 页" in first and len(listed(first)) == 50
        assert listed(first)[0] == b.ids["小刚"]  # newest first
        assert row(first, b.ids["小刚"])[:9] == [b.refs["小刚"], "西湖第二小学", "小刚", "1班", b.term, "320.00", "0.00",
                                                "320.00", "待缴费"]
        assert f'<option value="{b.school2_id}">西湖第二小学</option>' in first and "滨江初中" not in first
        assert 'id="pending"' in first and 'id="ledger"' in first and 'id="balanced"' in first  # the rest is kept
        assert len(listed(rev.get(f"{COUNTY_PAGE}?page=2").text)) == 6

        two = rev.get(f"{COUNTY_PAGE}?school_id={b.school2_id}").text
        assert listed(two) == [b.ids["小刚"]] and "共 1 条" in two
        assert f'<option value="{b.school2_id}" selected>' in two
        ours = world.school_ids["school"]
        paid = rev.get(f"{COUNTY_PAGE}?school_id={ours}&status=paid").text
        assert listed(paid) == [b.ids["小明"]] and row(paid, b.ids["小明"])[1] == "西湖小学"
        assert listed(rev.get(f"{COUNTY_PAGE}?school_id={b.school2_id}&status=paid").text) == []
        assert listed(rev.get(f"{COUNTY_PAGE}?q={b.refs['小红']}").text) == [b.ids["小红"]]
        found = rev.get(f"{COUNTY_PAGE}?q=小&status=open").text
        assert listed(found) == [b.ids["小刚"], b.ids["小红"]]
        assert 'href="/county/billing/bills.xlsx?status=open&amp;q=' in found  # the export keeps the filters
        with_school = rev.get(f"{COUNTY_PAGE}?school_id={ours}&status=open").text
        assert "共 54 条" in with_school
        assert f'href="/county/billing?school_id={ours}&amp;status=open&amp;page=2" rel="next"' in with_school

        rows = sheet_rows(rev.get(f"{COUNTY_XLSX}?q=小&status=open"))
        assert rows[0] == ("账单编号", "学校", "学生", "班级", "学期", *MONEY)
        assert [r[:9] for r in rows[1:]] == [
            (b.refs["小刚"], "西湖第二小学", "小刚", "1班", b.term, "320.00", "0.00", "320.00", "待缴费"),
            (b.refs["小红"], "西湖小学", "小红", "1班", b.term, "320.00", "100.00", "220.00", "待缴费")]
        every = sheet_rows(rev.get(COUNTY_XLSX))
        assert len(every) == 57 and {r[0] for r in every[1:]} == set(b.refs.values())
        assert [r[0] for r in sheet_rows(rev.get(f"{COUNTY_XLSX}?school_id={b.school2_id}"))[1:]] == [b.refs["小刚"]]

        other_school = world.school_ids["other_school"]  # 滨江初中: not a school of this county
        for bad, message in (("page=abc", "页码须为正整数"), ("status=x", "未知的账单状态"),
                             ("school_id=abc", "请选择本区县的学校"), (f"school_id={other_school}", "请选择本区县的学校")):
            for url in (COUNTY_PAGE, COUNTY_XLSX):
                resp = rev.get(f"{url}?{bad}")
                assert resp.status_code == 400 and message in resp.text, (url, bad)
    with browser(ctx, "decider") as dec:
        assert "共 56 条" in dec.get(COUNTY_PAGE).text
    with browser(ctx, "other_reviewer") as other:  # another county's staff: none of these bills
        page = other.get(COUNTY_PAGE).text
        assert listed(page) == [] and "本区县尚无账单" in page and "西湖小学" not in page
        assert len(sheet_rows(other.get(COUNTY_XLSX))) == 1
        assert len(sheet_rows(other.get(f"{COUNTY_XLSX}?q=小"))) == 1
        assert other.get(f"{COUNTY_XLSX}?school_id={world.school_ids['school']}").status_code == 400


@pytest.mark.parametrize("who", ["parent", "provider", "other_provider"])
def test_the_bill_exports_refuse_families_and_providers(ctx, world: World, who: str) -> None:
    many_bills(world, extra=0)
    with browser(ctx, who) as c:
        for url in (SCHOOL_XLSX, COUNTY_XLSX, SCHOOL, COUNTY_PAGE):
            resp = c.get(url)
            assert resp.status_code in (403, 404) and "账单编号" not in resp.text, url
    with browser(ctx, None) as anon:
        for url in (SCHOOL_XLSX, COUNTY_XLSX):
            assert anon.get(url, follow_redirects=False).status_code == 303


def test_staff_of_the_other_kind_are_refused_the_other_export(ctx, world: World) -> None:
    many_bills(world, extra=0)
    with browser(ctx, "school_admin") as school:
        assert school.get(COUNTY_XLSX).status_code == 403
    with browser(ctx, "reviewer1") as rev:
        assert rev.get(SCHOOL_XLSX).status_code == 403


def test_the_school_page_without_bills_says_so(ctx, world: World) -> None:
    bs.ready(world)
    with browser(ctx, "school_admin") as school:
        page = school.get(SCHOOL).text
        assert "本学期尚未生成账单" in page and listed(page) == []
        assert sheet_rows(school.get(SCHOOL_XLSX))[1:] == []
        assert "没有符合条件的账单" in school.get(f"{SCHOOL}?status=paid").text
