"""The school's roster import: the file reader's checks (kehou/platform/students/importer.py), all or nothing with a
per-line report, guardians' accounts (one per mobile number per school, siblings share it), re-imports that
update instead of duplicating, the compact roster page and its Excel export, who may not, and a real browser
importing a file with errors and then the corrected one."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from kehou.app import create_app
from kehou.errors import ValidationFailed
from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import User
from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context
from kehou.platform.students import importer, roster, sample
from kehou.platform.students.models import Guardian, GuardianContact, Student
from tests import billing_setup as bs
from tests.browser import chromium, live_server, login, require_chromium
from tests.factories import ADMIN, COUNTY, OTHER_COUNTY, PASSWORD, SYSTEM, World
from tests.helpers import err, ok, token_headers
from tests.test_browser_catalogue import flash
from tests.test_html_pages import browser, csrf

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
HEAD = ["学号", "姓名", "年级", "班级", "监护人姓名", "关系", "监护人手机号", "优先保障群体"]
GOOD = [
    ["S001", "王一诺", "3", "3年级1班", "王建国", "父亲", "13957100101", ""],
    ["S002", "王一鸣", "三年级", "3年级2班", "王建国", "父亲", "139 5710 0101", ""],  # a sibling: the same number
    ["S003", "刘子涵", "3年级", "3年级1班", "刘芳", "母亲", "13957100104", "留守儿童"],
    ["S003", "刘子涵", "3年级", "3年级1班", "刘强", "父亲", "+86 13957100204", "留守儿童"],  # a second guardian
    ["S004", "张可馨", "3", "3年级2班", "", "", "", ""],  # no guardian yet
]


def csv_file(rows: list[list[str]], head: list[str] | None = None, encoding: str = "utf-8-sig") -> bytes:
    lines = [head or HEAD, *rows]
    return "\r\n".join(",".join(r) for r in lines).encode(encoding)


def xlsx_file(rows: list[list[Any]], head: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for r in [head or HEAD, *rows]:
        sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def counts(ctx: Context) -> tuple[int, int, int, int, int]:
    with ctx.db.read_session() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) or 0  # type: ignore[return-value]
                     for m in (Student, User, Guardian, GuardianContact, AuditEntry))


def send_file(client: Any, data: bytes, name: str = "名册.csv") -> Any:
    kind = "text/csv" if name.endswith(".csv") else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return client.post("/school/students/import", data={"_csrf_token": csrf(client, "/school/students/import")},
                       files={"file": (name, data, kind)}, headers={"referer": "http://127.0.0.1/school/students/import"})


# --- the reader, without a database ----------------------------------------------------------------------


def test_a_clean_file_reads_in_csv_gbk_and_xlsx() -> None:
    for name, data in (("a.csv", csv_file(GOOD)), ("b.csv", csv_file(GOOD, encoding="gb18030")), ("c.xlsx", xlsx_file(GOOD))):
        parsed = importer.parse(name, data)
        assert parsed.ok, (name, parsed.errors)
        assert parsed.lines == 5 and parsed.has_priority
        assert [r.grade for r in parsed.rows] == [3, 3, 3, 3, 3]
        assert parsed.rows[1].phone == parsed.rows[0].phone == "13957100101"
        assert parsed.rows[3].phone == "13957100204" and parsed.rows[3].line == 5
        assert parsed.rows[2].priority_group == "left_behind" and parsed.rows[0].priority_group is None
        assert parsed.rows[4].phone == "" and parsed.rows[4].guardian_name == ""


def test_headers_may_differ_a_little_and_a_title_row_is_skipped() -> None:
    head = ["学籍号*", "学生姓名", "年级", "班级（如3年级2班）", "家长姓名", "与学生关系", "手机号（11位）"]
    data = csv_file([["G-9", "李四", "初一", "7年级1班", "李母", "母亲", "13800138000"]], head)
    parsed = importer.parse("x.csv", "西湖中学学生名册\r\n".encode() + data)
    assert parsed.ok and parsed.rows[0].grade == 7 and parsed.rows[0].line == 3 and not parsed.has_priority


@pytest.mark.parametrize(("row", "line", "column", "words"), [
    (["", "王", "3", "1班", "王父", "父亲", "13800138000", ""], 2, "学号", "不能为空"),
    (["A 1", "王", "3", "1班", "王父", "父亲", "13800138000", ""], 2, "学号", "只能包含字母、数字"),
    (["S1", "", "3", "1班", "王父", "父亲", "13800138000", ""], 2, "姓名", "不能为空"),
    (["S1", "王", "高一", "1班", "王父", "父亲", "13800138000", ""], 2, "年级", "无法识别"),
    (["S1", "王", "3", "", "王父", "父亲", "13800138000", ""], 2, "班级", "不能为空"),
    (["S1", "王", "3", "1班", "王父", "父亲", "1380013800", ""], 2, "监护人手机号", "不是11位大陆手机号"),
    (["S1", "王", "3", "1班", "王父", "父亲", "23800138000", ""], 2, "监护人手机号", "不是11位大陆手机号"),
    (["S1", "王", "3", "1班", "王父", "", "13800138000", ""], 2, "关系", "不能为空"),
    (["S1", "王", "3", "1班", "", "", "13800138000", ""], 2, "监护人姓名", "不能为空"),
    (["S1", "王", "3", "1班", "王父", "父亲", "13800138000", "特困"], 2, "优先保障群体", "无法识别"),
])
def test_each_problem_names_its_line_and_column(row: list[str], line: int, column: str, words: str) -> None:
    parsed = importer.parse("x.csv", csv_file([row]))
    assert not parsed.ok and parsed.rows == []
    assert [(e.line, e.column) for e in parsed.errors][:1] == [(line, column)], parsed.errors
    assert words in parsed.errors[0].message


def test_lines_that_disagree_are_reported_on_the_later_line() -> None:
    rows = [["S1", "王一", "3", "1班", "王父", "父亲", "13800138000", ""],
            ["S1", "王二", "3", "1班", "王母", "母亲", "13800138001", ""],  # the same 学号, another name
            ["S2", "李一", "3", "1班", "王母亲", "母亲", "13800138001", ""],  # the same number, another guardian
            ["S1", "王一", "3", "1班", "王父", "父亲", "13800138000", ""]]  # a line twice
    parsed = importer.parse("x.csv", csv_file(rows))
    found = {(e.line, e.column): e.message for e in parsed.errors}
    assert "第2行的姓名是“王一”，与本行“王二”不一致" in found[(3, "姓名")]
    assert "138****8001" in found[(4, "监护人姓名")] and "一个手机号对应一位监护人" in found[(4, "监护人姓名")]
    assert "与第2行重复" in found[(5, "监护人手机号")]


def test_a_long_number_typed_as_an_excel_number_is_explained() -> None:
    parsed = importer.parse("x.xlsx", xlsx_file([[1101052010010112, "王", 3, "1班", "王父", "父亲", 13800138000, None]]))
    assert parsed.errors[0].column == "学号" and "文本" in parsed.errors[0].message
    parsed = importer.parse("x.xlsx", xlsx_file([[20260001, "王", 3.0, "1班", "王父", "父亲", 13800138000, None]]))
    assert parsed.ok and parsed.rows[0].student_no == "20260001" and parsed.rows[0].phone == "13800138000"


def test_file_limits_and_kinds_have_precise_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(name: str, data: bytes) -> ValidationFailed:
        with pytest.raises(ValidationFailed) as exc:
            importer.parse(name, data)
        return exc.value

    big = refused("x.csv", b"a" * (importer.MAX_BYTES + 1024 * 1024))
    assert big.code == "roster_file_too_large" and "3.0 MB" in big.message and "2 MB" in big.message
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    many = refused("x.csv", csv_file([GOOD[0]] * 7))
    assert many.code == "roster_too_many_rows" and "7行" in many.message and "3行" in many.message
    monkeypatch.undo()
    assert refused("x.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100).code == "roster_file_type"
    assert "“.pdf”" in refused("x.pdf", b"%PDF-1.4").message
    assert refused("x.csv", b"").code == "roster_file_empty"
    assert refused("x.csv", csv_file([])).message == "文件中只有表头，没有学生数据。"
    missing = refused("x.csv", csv_file([GOOD[0][:6]], HEAD[:6]))
    assert missing.code == "roster_header_invalid" and "缺少列：监护人手机号" in missing.message
    assert refused("x.csv", b"a,b\r\n1,2\r\n" * 5).code == "roster_header_missing"
    assert refused("x.xlsx", b"PK\x03\x04garbage").code == "roster_file_unreadable"


def test_the_template_and_the_sample() -> None:
    with pytest.raises(ValidationFailed, match="只有表头"):
        importer.parse("t.xlsx", sample.template())
    book = load_workbook(io.BytesIO(sample.template()))
    assert [c.value for c in book.worksheets[0][1]] == HEAD and book.sheetnames == ["名册", "填写说明"]
    stored = importer.parse("roster-sample.xlsx", sample.SAMPLE_PATH.read_bytes())
    assert stored.ok and stored.lines == len(sample.SAMPLE_ROWS)  # the file in the repository is the generator's
    assert [(r.student_no, r.name, r.phone) for r in stored.rows] == [(r[0], r[1], r[6]) for r in sample.SAMPLE_ROWS]


# --- through the school's pages ----------------------------------------------------------------------------


def test_a_file_with_problems_saves_nothing_and_lists_every_line(ctx: Context, world: World) -> None:
    bad = [*GOOD, ["S005", "赵六", "十年级", "3年级2班", "赵父", "父亲", "1395710", ""],
           ["S006", "钱七", "3", "3年级2班", "钱母", "母亲", "13957100106", "困难户"]]
    with browser(ctx, "school_admin") as school:
        before = counts(ctx)
        resp = send_file(school, csv_file(bad))
        assert resp.status_code == 400
        page = resp.text
        assert counts(ctx) == before  # nothing saved, nothing audited
        assert "中有 3 处问题，没有导入任何数据" in page
        assert "第 7 行" in page and "年级“十年级”无法识别" in page and "不是11位大陆手机号" in page
        assert "第 8 行" in page and "优先保障群体“困难户”无法识别" in page
        page = send_file(school, csv_file([["S9", "孙八", "8", "8年级1班", "孙父", "父亲", "13957100109", ""]])).text
        assert "西湖小学是小学，没有八年级（可填一年级至六年级）" in page and counts(ctx) == before  # a primary school


def test_a_problem_with_the_file_itself_is_told_on_the_import_page(ctx: Context, world: World) -> None:
    with browser(ctx, "school_admin") as school:
        resp = send_file(school, b"x" * (importer.MAX_BYTES + 512 * 1024))
        assert str(resp.url).endswith("/school/students/import")
        assert "文件大小为2.5 MB，超过2 MB的上限" in flash(resp.text)
        assert "不支持旧版Excel（.xls）文件" in flash(send_file(school, b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "名册.xls").text)
        resp = school.post("/school/students/import", data={"_csrf_token": csrf(school, "/school/students/import")},
                           headers={"referer": "http://127.0.0.1/school/students/import"})
        assert "请选择要导入的名册文件" in flash(resp.text)


def test_a_clean_file_creates_students_and_guardian_accounts_siblings_sharing_one(ctx: Context, world: World) -> None:
    students0, users0, *_ = counts(ctx)
    with browser(ctx, "school_admin") as school:
        resp = send_file(school, xlsx_file(GOOD), "名册.xlsx")
    assert "名册导入完成：5 行；新登记学生 4 名" in flash(resp.text) and "新建家长账号 3 个" in flash(resp.text)
    assert "新关联监护人 4 条" in flash(resp.text)
    with ctx.db.read_session() as s:
        kids = {k.student_no: k for k in s.scalars(select(Student).where(Student.student_no.like("S00%")))}
        assert len(kids) == 4 and kids["S003"].priority_group == "left_behind" and kids["S002"].class_name == "3年级2班"
        links = s.execute(select(Student.student_no, User.username, User.display_name, Guardian.relation)
                          .join(Guardian, Guardian.student_id == Student.id).join(User, User.id == Guardian.user_id)
                          .where(Student.student_no.like("S00%")).order_by(Student.student_no, User.display_name)).all()
        assert [(no, name, rel) for no, _, name, rel in links] == [
            ("S001", "王建国", "父亲"), ("S002", "王建国", "父亲"), ("S003", "刘强", "父亲"), ("S003", "刘芳", "母亲")]
        assert links[0][1] == links[1][1]  # siblings share the guardian account
        school_id = world.school_ids["school"]
        assert sorted(u for _, u, _, _ in links) == [f"jz{school_id}-0001", f"jz{school_id}-0001", f"jz{school_id}-0002",
                                                     f"jz{school_id}-0003"]
        made = s.scalars(select(User).where(User.username.like("jz%"))).all()
        assert {u.role for u in made} == {"parent"} and all(u.password_hash.startswith("!") for u in made)
        assert {u.school_id for u in made} == {school_id} and {u.county_code for u in made} == {COUNTY}
        contacts = s.scalars(select(GuardianContact)).all()
        assert len(contacts) == 3 and {c.phone_last4 for c in contacts} == {"0101", "0104", "0204"}
        assert all(b"13957100" not in c.phone_enc for c in contacts)  # sealed
        actions = [a for a, in s.execute(select(AuditEntry.action))]
        pending = [e for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "user.create"))
                   if (e.new_values or {}).get("activation") == "pending"]
        assert sorted(int(e.entity_id) for e in pending) == sorted(u.id for u in made)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "roster.import")).one()
        assert entry.new_values == {"file": "名册.xlsx", "lines": 5, "students_created": 4, "students_updated": 0,
                                    "students_unchanged": 0, "guardians_created": 3, "links_created": 4}
        assert entry.actor_name and entry.entity_type == "school" and entry.entity_id == str(school_id)
    assert actions.count("student.add") == 4 and actions.count("guardian.link") == 4
    assert counts(ctx)[:2] == (students0 + 4, users0 + 3)
    with browser(ctx, None) as anon:  # no password opens an imported account
        resp = anon.post("/login", data={"_csrf_token": csrf(anon, "/login"), "username": f"jz{school_id}-0001",
                                         "password": "!"}, follow_redirects=False)
        assert resp.status_code != 303


def test_importing_again_updates_and_never_duplicates(ctx: Context, world: World) -> None:
    with ctx.db.write_session() as s:
        roster.import_roster(ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="a.csv",
                             data=csv_file(GOOD))
    first = counts(ctx)
    changed = [r.copy() for r in GOOD]
    changed[0][3] = "3年级3班"  # moved class
    changed[2][7] = changed[3][7] = "进城务工人员随迁子女"
    changed[2][5] = "妈妈"  # the relation typed differently
    with ctx.db.write_session() as s:
        result = roster.import_roster(ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="b.csv",
                                      data=csv_file(changed))
    assert result.counts() == {"lines": 5, "students_created": 0, "students_updated": 2, "students_unchanged": 2,
                               "guardians_created": 0, "links_created": 1}
    now = counts(ctx)
    assert now[:4] == first[:4]  # same students, users, links and contacts
    with ctx.db.read_session() as s:
        assert s.scalars(select(Student.class_name).where(Student.student_no == "S001")).one() == "3年级3班"
        assert s.scalars(select(Student.priority_group).where(Student.student_no == "S003")).one() == "migrant"
        update = s.scalars(select(AuditEntry).where(AuditEntry.action == "student.update")).one()
        assert update.old_values == {"class_name": "3年级1班"} and update.reason == "名册导入：b.csv"
        assert s.scalar(select(func.count()).where(AuditEntry.action == "student.priority")) == 1
    with ctx.db.write_session() as s:  # the same file a third time: nothing changes but the import's own entry
        again = roster.import_roster(ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="b.csv",
                                     data=csv_file(changed))
    assert again.students_unchanged == 4 and again.links_created == 0 and counts(ctx)[4] == now[4] + 1


def test_the_same_number_at_another_school_is_another_account(ctx: Context, world: World) -> None:
    with ctx.db.write_session() as s:
        other = accounts.create_user(s, SYSTEM, username="other_school_admin", display_name="滨江初中", password=PASSWORD,
                                     role="school_admin", county_code=OTHER_COUNTY, school_id=world.school_ids["other_school"])
        roster.import_roster(ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="a.csv",
                             data=csv_file(GOOD[:1]))
        roster.import_roster(ctx, s, accounts.actor_for(other), world.school_ids["other_school"], filename="a.csv",
                             data=csv_file([["B1", "王大哥", "7", "7年级1班", "王建国", "父亲", "13957100101", ""]]))
        users = s.scalars(select(User).join(GuardianContact, GuardianContact.user_id == User.id)).all()
    assert sorted((u.username, u.county_code) for u in users) == sorted([
        (f"jz{world.school_ids['other_school']}-0001", OTHER_COUNTY), (f"jz{world.school_ids['school']}-0001", COUNTY)])


def test_the_roster_page_searches_filters_and_pages_with_one_row_per_student(ctx: Context, world: World) -> None:
    grade = {1: "4", 0: "5"}
    rows = [[f"T{n:03d}", f"学生{n:03d}", grade[n % 2], f"{grade[n % 2]}年级{n % 3 + 1}班", f"家长{n:03d}", "母亲",
             f"1380000{n:04d}", ""] for n in range(1, 121)]
    with ctx.db.write_session() as s:
        roster.import_roster(ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="a.csv",
                             data=csv_file(rows))
    with browser(ctx, "school_admin") as school:
        page = school.get("/school/students").text
        table = page.split('id="roster"')[1].split("</table>")[0]
        assert table.count('<tr id="student-') == 50 and "<form" not in table and "<input" not in table
        assert "共 120 条" in page and "第 1/3 页" in page and 'href="/school/students?page=2"' in page
        assert len(school.get("/school/students?page=3").text.split('id="roster"')[1].split("</table>")[0]
                   .split('<tr id="student-')) == 21
        found = school.get("/school/students?q=学生007").text
        assert "学生007" in found and "学生008" not in found and "家长007（母亲）" in found and "待激活" in found
        assert "学生017" in school.get("/school/students?q=T017").text
        five_two = school.get("/school/students?grade=5&class=5年级2班").text
        names = set(re.findall(r"学生(\d{3})</a>", five_two))
        assert names and all(int(n) % 2 == 0 and int(n) % 3 == 1 for n in names)
        choices = five_two.split('name="class"')[1].split("</select>")[0]
        assert 'value="5年级2班" selected' in choices and "4年级1班" not in choices
        assert "没有符合条件的学生" in school.get("/school/students?q=没有这个人").text
        assert school.get("/school/students?grade=12").status_code == 400
        assert 'href="/school/students/import-sample.xlsx">示例名册</a>' in page


def test_one_student_page_lists_guardians_with_relation_and_state(ctx: Context, world: World) -> None:
    with ctx.db.write_session() as s:
        roster.import_roster(ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="a.csv",
                             data=csv_file(GOOD))
        kid = s.scalars(select(Student.id).where(Student.student_no == "S003")).one()
    with browser(ctx, "school_admin") as school:
        page = school.get(f"/school/students/{kid}").text
        assert "刘芳（母亲）" in page and "刘强（父亲）" in page and "*******0104" in page and "未打印激活单" in page
        assert f'action="/school/students/{kid}/guardians"' in page and f'action="/school/students/{kid}/priority"' in page
        resp = school.post(f"/school/students/{kid}/guardians", data={"_csrf_token": csrf(school, f"/school/students/{kid}"),
                                                                       "username": "parent", "relation": "祖母"})
        assert "家长账号已关联" in flash(resp.text) and "parent（祖母）" in resp.text and "已激活" in resp.text


def test_the_export_is_the_import_format_with_phones_for_the_school(ctx: Context, world: World) -> None:
    # the format is what this checks: the county waived the second person's approval (tests/test_privacy_exports.py)
    bs.put(world, "privacy.export_approval", False)
    with ctx.db.write_session() as s:
        roster.import_roster(ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="a.csv",
                             data=csv_file(GOOD))
    with browser(ctx, "school_admin") as school:
        resp = school.get("/school/students.xlsx?class=3年级1班")
    assert resp.status_code == 200 and "student-roster" in resp.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(resp.content)).worksheets[0]
    rows = [[c or "" for c in r] for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:8] == HEAD and rows[0][8:] == ["家长账号", "激活状态"]
    assert [r[:7] for r in rows[1:]] == [["S001", "王一诺", "三年级", "3年级1班", "王建国", "父亲", "13957100101"],
                                         ["S003", "刘子涵", "三年级", "3年级1班", "刘芳", "母亲", "13957100104"],
                                         ["S003", "刘子涵", "三年级", "3年级1班", "刘强", "父亲", "13957100204"]]
    assert rows[2][7] == "留守儿童" and rows[2][9] == "未打印激活单"
    with ctx.db.write_session() as s:  # exported, it imports again as it is
        again = roster.import_roster(ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="export.xlsx",
                                     data=resp.content)
    assert again.students_unchanged == 2 and again.guardians_created == 0 and again.links_created == 0


def test_the_template_and_sample_download(ctx: Context, world: World) -> None:
    with browser(ctx, "school_admin") as school:
        template = school.get("/school/students/import-template.xlsx")
        example = school.get("/school/students/import-sample.xlsx")
        assert template.status_code == 200 and example.status_code == 200
        assert "filename*=UTF-8''" in template.headers["content-disposition"]
        assert example.content == sample.SAMPLE_PATH.read_bytes()
        resp = send_file(school, example.content, "示例名册.xlsx")  # the sample imports cleanly
        assert "新登记学生 23 名" in flash(resp.text) and "新建家长账号 22 个" in flash(resp.text)


# --- who may not -------------------------------------------------------------------------------------------


GETS = ["/school/students", "/school/students.xlsx", "/school/students/import", "/school/students/import-template.xlsx",
        "/school/students/import-sample.xlsx", "/school/students/slips", "/school/students/slips?class=1班"]


@pytest.mark.parametrize("who", ["parent", "provider", "reviewer1", "decider", "admin"])
def test_only_the_school_admin_opens_the_roster_pages_and_imports(ctx: Context, world: World, who: str) -> None:
    before = counts(ctx)
    with ctx.db.write_session() as s:
        kid = roster.import_roster(ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="a.csv",
                                   data=csv_file(GOOD[:1])).students_created
    assert kid == 1
    with ctx.db.read_session() as s:
        sid = s.scalars(select(Student.id).where(Student.student_no == "S001")).one()
    middle = counts(ctx)
    with browser(ctx, who) as client:
        for path in [*GETS, f"/school/students/{sid}"]:
            resp = client.get(path, follow_redirects=False)
            assert resp.status_code == 403 and "出错了" in resp.text, (who, path)
        token = csrf(client, "/notifications")
        resp = client.post("/school/students/import", data={"_csrf_token": token},
                           files={"file": ("a.csv", csv_file(GOOD), "text/csv")}, follow_redirects=False)
        assert resp.status_code == 403
        for path, form in ((f"/school/students/{sid}/guardians", {"username": "parent"}),
                           (f"/school/students/{sid}/priority", {"priority_group": "migrant", "reason": "x"}),
                           ("/school/students", {"student_no": "X", "name": "X", "grade": "3"}),
                           ("/school/students/slips", {"class": "3年级1班"})):
            assert client.post(path, data={"_csrf_token": token, **form}, follow_redirects=False).status_code == 403, path
    assert counts(ctx)[:4] == middle[:4] and before[0] + 1 == middle[0]
    with browser(ctx, None) as anon:
        for path in GETS:
            resp = anon.get(path, follow_redirects=False)
            assert resp.status_code == 303 and resp.headers["location"].startswith("/login"), path


def test_another_schools_admin_sees_only_its_own_school(ctx: Context, world: World) -> None:
    with ctx.db.write_session() as s:
        accounts.create_user(s, SYSTEM, username="other_school_admin", display_name="滨江初中", password=PASSWORD,
                             role="school_admin", county_code=OTHER_COUNTY, school_id=world.school_ids["other_school"])
        roster.import_roster(ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="a.csv",
                             data=csv_file(GOOD))
        sid = s.scalars(select(Student.id).where(Student.student_no == "S001")).one()
    with browser(ctx, "other_school_admin") as other:
        assert "王一诺" not in other.get("/school/students").text and "王建国" not in other.get("/school/students?q=S00").text
        assert other.get(f"/school/students/{sid}").status_code == 404
        bs.put(world, "privacy.export_approval", False, county=OTHER_COUNTY)  # the export as such: nothing of another school
        sheet = load_workbook(io.BytesIO(other.get("/school/students.xlsx").content)).worksheets[0]
        assert sheet.max_row == 1
        assert "王建国" not in other.get("/school/students/slips?class=3年级1班").text
        token = csrf(other, "/school/students")
        assert other.post(f"/school/students/{sid}/guardians", data={"_csrf_token": token, "username": "parent"},
                          follow_redirects=False).status_code == 404
    client_headers = None
    with browser(ctx, None) as api:
        client_headers = token_headers(api, "other_school_admin")
        err(api.post(f"/api/v1/schools/{world.school_ids['school']}/roster-imports", headers=client_headers,
                     files={"file": ("a.csv", csv_file(GOOD), "text/csv")}), 404, "school_not_found")


def test_the_api_import_reports_every_problem_and_saves_nothing(ctx: Context, world: World, client: Any) -> None:
    headers = token_headers(client, "school_admin")
    url = f"/api/v1/schools/{world.school_ids['school']}/roster-imports"
    before = counts(ctx)
    nameless = csv_file([*GOOD, ["S9", "", "3", "1班", "", "", "", ""]])
    body = err(client.post(url, headers=headers, files={"file": ("a.csv", nameless, "text/csv")}), 400, "roster_invalid")
    assert body["extra"]["errors"] == [{"line": 7, "column": "姓名", "message": "姓名不能为空"}] and counts(ctx) == before
    done = ok(client.post(url, headers=headers, files={"file": ("a.csv", csv_file(GOOD), "text/csv")}), 201)
    assert done["students_created"] == 4 and done["guardians_created"] == 3 and len(done["new_usernames"]) == 3
    err(client.post(url, headers=headers, files={"file": ("a.csv", b"x" * (3 * 1024 * 1024), "text/csv")}), 400,
        "roster_file_too_large")
    with ctx.db.write_session() as s:
        with pytest.raises(Exception) as exc:  # the platform administrator does not create parents' accounts here
            roster.import_roster(ctx, s, ADMIN, world.school_ids["school"], filename="a.csv", data=csv_file(GOOD))
        assert getattr(exc.value, "code", "") == "permission_denied"


# --- in a real browser ----------------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_school_imports_a_roster_with_errors_then_the_corrected_one(ctx: Context, world: World, tmp_path: Path) -> None:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    rows = [list(r) for r in sample.SAMPLE_ROWS]
    rows[2][6] = "1395710010"  # ten digits
    rows[5][2] = "十三年级"
    rows[8][4] = ""  # a guardian without a name
    bad, good = tmp_path / "名册-有错.xlsx", tmp_path / "名册.xlsx"
    bad.write_bytes(sample.workbook(rows))
    good.write_bytes(sample.sample())
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        page = chrome.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        login(page, base, "school_admin", "/school/students")
        assert "本校还没有登记学生" in page.inner_text("main")
        page.click("a:has-text('导入名册')")
        page.wait_for_load_state()
        page.set_input_files("input[name=file]", str(bad))
        page.click("#import button[type=submit]")
        page.wait_for_load_state()
        problems = page.locator("table.problems tr")
        assert problems.count() == 4, page.inner_text("main")
        text = page.inner_text("#problems")
        assert "中有 3 处问题，没有导入任何数据" in text
        assert "第 4 行\t监护人手机号" in text and "第 7 行\t年级" in text and "第 10 行\t监护人姓名" in text
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, width
        page.screenshot(path=str(ARTIFACTS / "roster-import-errors.png"), full_page=True)
        with ctx.db.read_session() as s:
            assert s.scalar(select(func.count()).select_from(Student)) == 0

        page.set_input_files("input[name=file]", str(good))
        page.click("#import button[type=submit]")
        page.wait_for_load_state()
        assert page.url.endswith("/school/students"), page.url
        assert "新登记学生 23 名" in page.inner_text(".flash.ok")
        assert page.locator("#roster tr[id^=student-]").count() == 23
        assert page.locator("#roster form").count() == 0
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 2600, f"the roster of 23 students is {height}px tall"
        page.screenshot(path=str(ARTIFACTS / "roster-import-done.png"), full_page=True)
        page.select_option("select[name=class]", "3年级2班")
        page.click("#filters button")
        page.wait_for_load_state()
        assert page.locator("#roster tr[id^=student-]").count() == 11
