"""The supervision lists a county and a school work through (outcome reporting): complaints (/county/complaints,
/school/complaints) searched by provider name, text or tracking code, filtered by status and provider; patrols
(/county/patrols, /school/patrols) searched by provider name, course title or patroller, filtered by provider; each paged
50 at a time with the filters kept and exported to Excel with exactly the rows the filters select (times in Beijing
time; an anonymous complainant stays anonymous). County staff see their own county's only, a school its own.
The complaints and patrols are made through the real services (catalogue, public complaint form, patrol record)."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kehou.platform.actor import Actor
from kehou.plugins.outcome_reporting import complaints, patrols
from kehou.plugins.outcome_reporting.models.supervision import Complaint
from kehou.timeutil import SHANGHAI, clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests import outcome_setup as os_
from tests.factories import COUNTY, OTHER_COUNTY, World
from tests.test_html_pages import browser

PUBLIC = 52  # public complaints in 西湖区: even ones about 西湖青少年美术中心, odd ones about 滨江体育俱乐部
PATROLS_SCHOOL, PATROLS_COUNTY = 30, 25  # the school's patrols of 少儿软笔书法, the county's of 少儿篮球
HIDDEN_NAME, HIDDEN_PHONE = "匿名者王某", "13911112222"  # typed into anonymous complaints: never stored, never exported


@dataclass
class Data:
    codes: dict[int, str] = field(default_factory=dict)  # public complaint number -> tracking code
    school_code: str = ""
    other_code: str = ""
    assigned: list[str] = field(default_factory=list)
    resolved: str = ""


def _ids(html: str, kind: str) -> list[int]:
    return [int(x) for x in re.findall(rf'<tr id="{kind}-(\d+)"', html)]


def _total(html: str) -> int:
    found = re.search(r"共 (\d+) 条", html)
    assert found, html[:500]
    return int(found.group(1))


def _sheet(resp: Any) -> list[tuple[Any, ...]]:
    assert resp.status_code == 200, resp.text[:300]
    assert "attachment" in resp.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(resp.content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def setup_lists(world: World) -> Data:
    """Two providers' courses at 西湖小学 (少儿软笔书法 of 西湖青少年美术中心 on Mondays, 少儿篮球 of 滨江体育俱乐部 on
    Tuesdays), outcome reporting on in both counties; the clock after the first lesson of each; 52 public complaints,
    one from the school, one in 滨江区; 55 patrols."""
    ctx = world.ctx
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    cs.admit(world, "other_provider")
    art = cs.offering(world, "provider", "少儿软笔书法")
    ball = cs.offering(world, "other_provider", "少儿篮球", category="体育艺术")
    menu = cs.menu(world)
    art_entry = cs.place(world, menu, art, [(0, "16:00")])
    ball_entry = cs.place(world, menu, ball, [(1, "16:00")], venue="操场")
    cs.publish(world, menu)
    os_.enable(world)
    os_.enable(world, OTHER_COUNTY)
    art_lesson, art_day = bs.lesson_days(world, art_entry)[0]
    ball_lesson, ball_day = bs.lesson_days(world, ball_entry)[0]
    clock.advance(dt.datetime.combine(max(art_day, ball_day), dt.time(17, 0), tzinfo=SHANGHAI) - clock.now())
    data = Data()
    providers = (world.provider_ids["provider"], world.provider_ids["other_provider"])
    for i in range(PUBLIC):
        public = Actor.anonymous(f"198.51.100.{i}")  # the public, each from its own address (10 an hour each)
        anonymous = i % 4 == 0
        text = "教练在篮球课上体罚学生" if i == 7 else f"第{i:02d}号投诉：课后服务另收费用"
        with ctx.db.write_session() as s:
            c = complaints.submit(ctx, s, public, complaints.ComplaintInput(
                category="fees" if i % 3 else "safety", text=text, anonymous=anonymous, provider_id=providers[i % 2],
                contact_name=HIDDEN_NAME if anonymous else f"联系人{i:02d}",
                contact_phone=HIDDEN_PHONE if anonymous else f"1380000{i:04d}"), county_code=COUNTY)
            data.codes[i] = c.tracking_code
    with ctx.db.write_session() as s:
        data.school_code = complaints.submit(ctx, s, world.actor("school_admin"), complaints.ComplaintInput(
            category="conduct", text="书法老师多次迟到早退", entry_id=art_entry)).tracking_code
    with ctx.db.write_session() as s:
        data.other_code = complaints.submit(ctx, s, public, complaints.ComplaintInput(
            category="other", text="滨江区的一件投诉", anonymous=True), county_code=OTHER_COUNTY).tracking_code
    reviewer, handler = world.actor("reviewer1"), world.users["reviewer2"].id
    with ctx.db.read_session() as s:
        by_code = {c.tracking_code: c.id for c in s.scalars(select(Complaint))}
    for n in (1, 2, 3):  # 1 and 2 assigned, 3 assigned, investigated and resolved
        with ctx.db.write_session() as s:
            complaints.assign(ctx, s, reviewer, by_code[data.codes[n]], handler, "请核实")
    with ctx.db.write_session() as s:
        complaints.investigate(ctx, s, reviewer, by_code[data.codes[3]], "核查属实")
    with ctx.db.write_session() as s:
        complaints.resolve(ctx, s, reviewer, by_code[data.codes[3]], "partly", "责令退还")
    data.assigned, data.resolved = [data.codes[1], data.codes[2]], data.codes[3]
    for i in range(PATROLS_SCHOOL + PATROLS_COUNTY):
        school = i < PATROLS_SCHOOL
        with ctx.db.write_session() as s:
            patrols.record(ctx, s, world.actor("school_admin" if school else "reviewer1"), patrols.PatrolInput(
                lesson_id=art_lesson if school else ball_lesson, instructor_present=True, instructor_matches=True,
                on_topic=True, non_academic=True, safety_ok=school or i % 2 == 0, rating=4 if school else 3,
                notes=f"巡课{i:02d}"))
    return data


@pytest.fixture
def data(world: World) -> Data:
    return setup_lists(world)


def test_county_complaints_are_searched_filtered_paged_and_exported(ctx, world: World, data: Data) -> None:  # type: ignore[no-untyped-def]
    ball = world.provider_ids["other_provider"]
    with browser(ctx, "reviewer1") as rev:
        first = rev.get("/county/complaints").text
        assert len(_ids(first, "complaint")) == 50 and _total(first) == PUBLIC + 1 and "第 1/2 页" in first
        assert 'href="/county/complaints?page=2" rel="next"' in first and 'href="/county/complaints.xlsx"' in first
        second = rev.get("/county/complaints?page=2").text
        assert len(_ids(second, "complaint")) == 3 and set(_ids(second, "complaint")).isdisjoint(_ids(first, "complaint"))
        assert data.other_code not in first + second  # 滨江区's complaint is not ours
        assert data.resolved in second  # the queue: open ones first, the resolved one last
        # search: the text, the tracking code (any case), the provider's name; wildcards are text
        found = rev.get("/county/complaints?q=体罚").text
        assert _total(found) == 1 and data.codes[7] in found and "教练在篮球课上体罚学生" in found
        assert _total(rev.get(f"/county/complaints?q={data.codes[10].lower()}").text) == 1
        assert data.codes[10] in rev.get(f"/county/complaints?q={data.codes[10]}").text
        assert _total(rev.get("/county/complaints?q=滨江体育").text) == PUBLIC // 2
        assert _total(rev.get("/county/complaints?q=%25").text) == 0
        # status and provider filters, kept by the pager and the search box
        assigned = rev.get("/county/complaints?status=assigned").text
        assert _total(assigned) == 2 and {data.codes[1], data.codes[2]} <= set(re.findall(r"TS[A-Z2-9]{10}", assigned))
        assert "已指派" in assigned and '<option value="assigned" selected>已指派</option>' in assigned
        resolved = rev.get("/county/complaints?status=resolved").text
        assert _total(resolved) == 1 and data.resolved in resolved and "部分查实" in resolved
        by_provider = rev.get(f"/county/complaints?provider={ball}").text
        assert _total(by_provider) == PUBLIC // 2 and f'<option value="{ball}" selected>滨江体育俱乐部</option>' in by_provider
        both = rev.get(f"/county/complaints?status=received&provider={ball}&q=另收").text
        assert _total(both) == PUBLIC // 2 - 2 - 1  # less 1 (assigned), 3 (resolved) and 7 (体罚, not 另收)
        assert f'name="provider" value="{ball}"' in both and 'name="status" value="received"' in both
        export = f"/county/complaints.xlsx?status=received&amp;provider={ball}&amp;q=%E5%8F%A6%E6%94%B6"
        assert export in both
        rows = _sheet(rev.get(f"/county/complaints.xlsx?status=received&provider={ball}&q=另收"))
        header = rows[0]
        assert header[:8] == ("查询码", "收到时间（北京时间）", "来源", "类别", "机构", "课程", "学校", "状态")
        col = {name: n for n, name in enumerate(header)}
        assert sorted(r[0] for r in rows[1:]) == sorted(re.findall(r"TS[A-Z2-9]{10}", both))
        assert len(rows) - 1 == PUBLIC // 2 - 3
        assert {r[col["状态"]] for r in rows[1:]} == {"已受理"} and {r[col["机构"]] for r in rows[1:]} == {"滨江体育俱乐部"}
        assert {r[col["来源"]] for r in rows[1:]} == {"社会公众"}
        with ctx.db.read_session() as s:
            received = {c.tracking_code: c.received_at for c in s.scalars(select(Complaint))}
        for r in rows[1:]:  # Beijing time, to the minute
            assert r[col["收到时间（北京时间）"]] == received[r[0]].astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        named = next(r for r in rows[1:] if r[0] == data.codes[5])
        assert (named[col["投诉人"]], named[col["联系电话"]], named[col["投诉内容"]]) == ("联系人05", "13800000005",
                                                                                   "第05号投诉：课后服务另收费用")
        # the whole county's file: every complaint once; anonymous ones without a name or phone
        everything = _sheet(rev.get("/county/complaints.xlsx"))
        assert len(everything) == 1 + PUBLIC + 1 and {r[0] for r in everything[1:]} == {*data.codes.values(), data.school_code}
        anonymous = [r for r in everything[1:] if r[0] in {data.codes[i] for i in range(0, PUBLIC, 4)}]
        # an empty cell reads back as None
        assert len(anonymous) == PUBLIC // 4 and {(r[col["投诉人"]], r[col["联系电话"]]) for r in anonymous} == {("匿名", None)}
        cells = {str(v) for r in everything for v in r}
        assert not any(HIDDEN_NAME in v or HIDDEN_PHONE in v for v in cells)
        resolved_row = next(r for r in everything if r[0] == data.resolved)
        assert (resolved_row[col["结论"]], resolved_row[col["处理结果"]], resolved_row[col["处理人"]]) == (
            "部分查实", "责令退还", "reviewer2")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", resolved_row[col["办结时间（北京时间）"]])
        school_row = next(r for r in everything if r[0] == data.school_code)
        assert (school_row[col["来源"]], school_row[col["课程"]], school_row[col["学校"]], school_row[col["投诉人"]]) == (
            "学校", "少儿软笔书法", "西湖小学", "school_admin")
        # bad input: a Chinese message, never a server error
        for bad, message in (("page=abc", "页码须为正整数"), ("page=0", "页码须为正整数"), ("page=%C2%B2", "页码须为正整数"),
                             ("provider=%C2%B2", "机构筛选条件无效"), ("status=nonsense", "未知的投诉状态"),
                             ("provider=abc", "机构筛选条件无效"), ("q=" + "字" * 101, "最多100个字")):
            for path in ("/county/complaints", "/county/complaints.xlsx"):
                resp = rev.get(f"{path}?{bad}")
                assert resp.status_code == 400 and message in resp.text, (path, bad, resp.status_code)
        # the overview shows the first rows and leads to the list
        home = rev.get("/county/supervision").text
        assert f"全部投诉（共 {PUBLIC + 1} 条）" in home and "此处列出前 20 条" in home
        assert len(_ids(home, "complaint")) == 20 and 'href="/county/complaints"' in home


def test_county_patrols_are_searched_filtered_paged_and_exported(ctx, world: World, data: Data) -> None:  # type: ignore[no-untyped-def]
    art = world.provider_ids["provider"]
    total = PATROLS_SCHOOL + PATROLS_COUNTY
    with browser(ctx, "reviewer1") as rev:
        first = rev.get("/county/patrols").text
        assert len(_ids(first, "patrol")) == 50 and _total(first) == total and "第 1/2 页" in first
        second = rev.get("/county/patrols?page=2").text
        assert len(_ids(second, "patrol")) == total - 50 and set(_ids(second, "patrol")).isdisjoint(_ids(first, "patrol"))
        # by course title, patroller, provider name
        ball = rev.get("/county/patrols?q=篮球").text
        assert _total(ball) == PATROLS_COUNTY and "少儿篮球" in ball and "少儿软笔书法" not in ball
        assert _total(rev.get("/county/patrols?q=school_admin").text) == PATROLS_SCHOOL
        assert _total(rev.get("/county/patrols?q=reviewer1").text) == PATROLS_COUNTY
        assert _total(rev.get("/county/patrols?q=美术中心").text) == PATROLS_SCHOOL
        assert _total(rev.get("/county/patrols?q=没有这个").text) == 0
        by_provider = rev.get(f"/county/patrols?provider={art}").text
        assert _total(by_provider) == PATROLS_SCHOOL and "少儿篮球" not in by_provider.split('id="patrol-list"')[1]
        assert _total(rev.get(f"/county/patrols?provider={art}&q=篮球").text) == 0
        rows = _sheet(rev.get("/county/patrols.xlsx?q=篮球"))
        assert rows[0] == ("巡课日期", "学校", "机构", "课程", "学期", "巡课类型", "巡课人", "评分", "发现问题", "备注", "照片数",
                           "记录时间（北京时间）")
        assert len(rows) == 1 + PATROLS_COUNTY
        assert {(r[1], r[2], r[3], r[5], r[6], r[7]) for r in rows[1:]} == {
            ("西湖小学", "滨江体育俱乐部", "少儿篮球", "教育局督查", "reviewer1", 3)}
        assert sorted(r[9] for r in rows[1:]) == [f"巡课{i:02d}" for i in range(PATROLS_SCHOOL, total)]
        unsafe = {r[9] for r in rows[1:] if r[8] == "存在安全隐患"}
        assert unsafe == {f"巡课{i:02d}" for i in range(PATROLS_SCHOOL, total) if i % 2}
        assert {r[8] for r in rows[1:] if r[9] not in unsafe} == {"正常"}
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d 17:00", r[11]) for r in rows[1:])  # recorded at 17:00 Beijing time
        assert len(_sheet(rev.get("/county/patrols.xlsx"))) == 1 + total
        for bad in ("page=abc", "provider=x1"):
            resp = rev.get(f"/county/patrols?{bad}")
            assert resp.status_code == 400 and ("页码须为正整数" in resp.text or "机构筛选条件无效" in resp.text)
        home = rev.get("/county/supervision").text
        assert f"全部巡课记录（共 {total} 条）" in home and len(_ids(home, "patrol")) == 20


def test_another_county_sees_none_of_ours(ctx, world: World, data: Data) -> None:  # type: ignore[no-untyped-def]
    with browser(ctx, "other_reviewer") as other:
        page = other.get("/county/complaints").text
        assert _total(page) == 1 and data.other_code in page and data.codes[0] not in page
        assert _total(other.get(f"/county/complaints?q={data.codes[0]}").text) == 0
        rows = _sheet(other.get("/county/complaints.xlsx"))
        assert [r[0] for r in rows[1:]] == [data.other_code] and rows[1][rows[0].index("投诉人")] == "匿名"
        assert _total(other.get("/county/patrols").text) == 0
        assert len(_sheet(other.get("/county/patrols.xlsx"))) == 1
        # our provider in the filter changes nothing: still only its own county
        assert _total(other.get(f"/county/patrols?provider={world.provider_ids['provider']}").text) == 0


def test_the_school_lists_its_own_complaints_and_patrols(ctx, world: World, data: Data) -> None:  # type: ignore[no-untyped-def]
    with browser(ctx, "school_admin") as school:
        mine = school.get("/school/complaints").text
        assert _total(mine) == 1 and data.school_code in mine and data.codes[0] not in mine  # not the public's
        assert _total(school.get("/school/complaints?q=迟到").text) == 1
        assert _total(school.get("/school/complaints?status=resolved").text) == 0
        rows = _sheet(school.get("/school/complaints.xlsx"))
        assert [r[0] for r in rows[1:]] == [data.school_code] and rows[1][rows[0].index("投诉内容")] == "书法老师多次迟到早退"
        page = school.get("/school/patrols").text
        assert _total(page) == PATROLS_SCHOOL + PATROLS_COUNTY and len(_ids(page, "patrol")) == 50
        assert _total(school.get("/school/patrols?q=reviewer1").text) == PATROLS_COUNTY
        rows = _sheet(school.get(f"/school/patrols.xlsx?provider={world.provider_ids['provider']}"))
        assert len(rows) == 1 + PATROLS_SCHOOL and {r[5] for r in rows[1:]} == {"学校巡课"}
        assert school.get("/school/patrols?page=abc").status_code == 400
        home = school.get("/school/supervision").text
        assert "全部投诉（共 1 条）" in home and 'href="/school/patrols"' in home


@pytest.mark.parametrize("who", ["parent", "provider", "school_admin", "police"])
def test_the_exports_refuse_others(ctx, world: World, who: str) -> None:  # type: ignore[no-untyped-def]
    with browser(ctx, who) as c:
        for path in ("/county/complaints.xlsx", "/county/patrols.xlsx"):
            assert c.get(path).status_code in (403, 404)
        if who != "school_admin":
            for path in ("/school/complaints.xlsx", "/school/patrols.xlsx"):
                assert c.get(path).status_code in (403, 404)
    with browser(ctx, None) as anon:
        assert anon.get("/county/complaints.xlsx", follow_redirects=False).status_code == 303
