"""Lists that scale: the county desk's course offerings (``/desk/offerings``) searched by course title or provider
name, filtered by status (pending by default, as the review queue always was), paged 50 at a time with the filters
kept, and exported to Excel (``/desk/offerings.xlsx``) with exactly the rows the filters select — each county only
its own."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kehou.platform.context import Context
from kehou.plugins.course_catalogue import offerings
from kehou.plugins.course_catalogue.models import Offering
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import OTHER_COUNTY, World
from tests.test_browser_catalogue import send
from tests.test_html_pages import browser

BEIJING = dt.timezone(dt.timedelta(hours=8))
HEADERS = ("课程", "机构", "类别", "每学期课程费（元）", "状态", "提交时间（北京时间）", "自动核查提示")


def _names(html: str) -> list[str]:
    return re.findall(r"<h3>(\S+) <span", html)


def _sheet(resp) -> list[tuple]:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200, resp.text
    assert "attachment" in resp.headers["content-disposition"] and "offerings-" in resp.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(resp.content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def _courses(world: World) -> None:
    """西湖区: 60 calligraphy courses of 西湖青少年美术中心 (every 7th approved, so 51 pending), two of 滨江体育俱乐部
    (one pending with a fee over the term cap — an automatic warning —, one rejected); 滨江区: one course."""
    bs.enable(world)  # catalogue and billing on: the default term cap of 600 yuan warns on a dearer course
    cs.admit(world, "provider")
    cs.admit(world, "other_provider")
    cs.enable_catalogue(world, OTHER_COUNTY)
    cs.admit(world, "provider", county=OTHER_COUNTY)
    for i in range(60):
        cs.offering(world, "provider", f"书法课{i:02d}", fee_fen=10000 + i * 101, approve=i % 7 == 0)
    cs.offering(world, "other_provider", "足球基础", category="体育艺术", fee_fen=70050, approve=False)
    rejected = cs.offering(world, "other_provider", "篮球提高", category="体育艺术", approve=False)
    with world.ctx.db.write_session() as s:
        offerings.review(world.ctx, s, world.actor("reviewer1"), rejected, approve=False, reason="教练资质不符")
    cs.offering(world, "provider", "滨江专属课", county=OTHER_COUNTY)


def test_the_desk_searches_filters_pages_and_exports_offerings(ctx: Context, world: World) -> None:
    _courses(world)
    with browser(ctx, "reviewer1") as rev:
        first = rev.get("/desk/offerings").text  # by default the review queue: pending only, newest first
        assert len(_names(first)) == 50 and "共 52 条" in first and "第 1/2 页" in first
        assert _names(first)[:3] == ["足球基础", "书法课59", "书法课58"] and "书法课56" not in _names(first)  # 56 is approved
        assert 'href="/desk/offerings?page=2" rel="next"' in first and 'href="/desk/offerings.xlsx"' in first
        assert first.count('name="approve" value="yes"') == 50  # every pending course keeps its review forms
        assert "自动核查提示：" in first and "超过本区县每生每学期收费上限600.00元" in first and "¥700.50" in first
        second = rev.get("/desk/offerings?page=2").text
        assert _names(second) == ["书法课02", "书法课01"] and "共 52 条" in second and 'rel="prev"' in second

        every = rev.get("/desk/offerings?status=all").text
        assert "共 62 条" in every and "第 1/2 页" in every and 'href="/desk/offerings?status=all&amp;page=2"' in every
        assert len(_names(rev.get("/desk/offerings?status=all&page=2").text)) == 12
        approved = rev.get("/desk/offerings?status=approved").text
        assert _names(approved) == [f"书法课{i:02d}" for i in (56, 49, 42, 35, 28, 21, 14, 7, 0)] and "共 9 条" in approved
        assert 'name="approve"' not in approved and approved.count('<span class="status">已通过</span>') == 9
        rejected = rev.get("/desk/offerings?status=rejected").text
        assert _names(rejected) == ["篮球提高"] and "审核意见：教练资质不符" in rejected
        assert "没有符合条件的课程" in rev.get("/desk/offerings?status=withdrawn").text
        assert "滨江专属课" not in rev.get("/desk/offerings?status=all&q=滨江").text

        by_title = rev.get("/desk/offerings?status=all&q=课07").text
        assert _names(by_title) == ["书法课07"] and "共 1 条" in by_title
        by_provider = rev.get("/desk/offerings?status=all&q=体育俱乐部").text
        assert _names(by_provider) == ["篮球提高", "足球基础"] and "共 2 条" in by_provider
        pending_by_provider = rev.get("/desk/offerings?q=体育俱乐部").text  # the search keeps the default filter
        assert _names(pending_by_provider) == ["足球基础"]
        assert _names(rev.get("/desk/offerings?status=all&q=%25").text) == []  # a wildcard is searched as text
        search = rev.get("/desk/offerings?status=approved&q=书法").text
        assert 'name="status" value="approved"' in search  # the search box keeps the status filter
        assert 'href="/desk/offerings.xlsx?status=approved&amp;q=' in search  # and so does the export link

        rows = _sheet(rev.get("/desk/offerings.xlsx?status=approved&q=书法"))
        assert rows[0] == HEADERS
        assert [r[0] for r in rows[1:]] == _names(search) and {r[4] for r in rows[1:]} == {"已通过"}
        with ctx.db.read_session() as s:
            seven = s.scalars(select(Offering).where(Offering.title == "书法课07")).one()
        beijing = seven.created_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        assert rows[-2] == ("书法课07", "西湖青少年美术中心", "优秀传统文化", "107.07", "已通过", beijing, None)
        queue = _sheet(rev.get("/desk/offerings.xlsx"))  # the default filter: the 52 pending, not only one page
        assert len(queue) == 53 and queue[1][:5] == ("足球基础", "滨江体育俱乐部", "体育艺术", "700.50", "待教育局审核")
        assert "超过本区县每生每学期收费上限600.00元" in queue[1][6]
        assert queue[2][:4] == ("书法课59", "西湖青少年美术中心", "优秀传统文化", "159.59")
        everything = _sheet(rev.get("/desk/offerings.xlsx?status=all&q=体育俱乐部"))
        assert [(r[0], r[4], r[6]) for r in everything[1:]] == [("篮球提高", "未通过", None),
                                                                ("足球基础", "待教育局审核", queue[1][6])]

        for bad, message in (("page=0", "页码须为正整数"), ("page=abc", "页码须为正整数"), ("q=" + "字" * 101, "最多100个字"),
                             ("status=nonsense", "未知的课程状态")):
            for path in ("/desk/offerings", "/desk/offerings.xlsx"):
                resp = rev.get(f"{path}?{bad}")
                assert resp.status_code == 400 and message in resp.text, (path, bad)
    with browser(ctx, "other_reviewer") as other:  # another county's desk: its own course, none of ours
        page = other.get("/desk/offerings?status=all").text
        assert _names(page) == ["滨江专属课"] and "共 1 条" in page
        assert _names(other.get("/desk/offerings?status=all&q=书法").text) == []
        rows = _sheet(other.get("/desk/offerings.xlsx?status=all"))
        assert [r[0] for r in rows[1:]] == ["滨江专属课"]


def test_a_review_returns_to_the_list_it_was_made_from(ctx: Context, world: World) -> None:
    _courses(world)
    with ctx.db.read_session() as s:
        ids = dict(s.execute(select(Offering.title, Offering.id)).all())
    ball = ids["足球基础"]
    with browser(ctx, "reviewer1") as rev:
        page = rev.get("/desk/offerings?q=足球").text
        assert 'name="back" value="q=%E8%B6%B3%E7%90%83"' in page
        resp = send(rev, f"/desk/offerings/{ball}/review", "/desk/offerings?q=%E8%B6%B3%E7%90%83",
                    {"approve": "yes", "back": "q=%E8%B6%B3%E7%90%83"})
        assert resp.url.path == "/desk/offerings" and resp.url.params["q"] == "足球"
        assert "审核通过" in resp.text and "没有符合条件的课程" in resp.text  # it left the pending queue
        kept = send(rev, f"/desk/offerings/{ids['书法课01']}/review", "/desk/offerings?status=all&page=2",
                    {"approve": "no", "reason": "重复", "back": "status=all&page=2"})
        assert str(kept.url) == "http://127.0.0.1/desk/offerings?status=all&page=2" and "已通过" in kept.text
        for title, back in (("书法课02", "page=abc"), ("书法课03", "status=nonsense"), ("书法课04", "//evil.example/?q=x")):
            odd = send(rev, f"/desk/offerings/{ids[title]}/review", "/desk/offerings", {"approve": "yes", "back": back})
            assert odd.status_code == 200 and "审核通过" in odd.text  # a bad list to return to: the queue instead
            assert str(odd.url) == "http://127.0.0.1/desk/offerings"
        again = send(rev, f"/desk/offerings/{ball}/review", "/desk/offerings", {"approve": "yes"})
        assert "不在待审核状态" in again.text
    with ctx.db.read_session() as s:
        done = dict(s.execute(select(Offering.title, Offering.status).where(Offering.id.in_(
            [ball, *(ids[f"书法课0{i}"] for i in range(1, 5))]))).all())
    assert done == {"足球基础": "approved", "书法课01": "rejected", "书法课02": "approved", "书法课03": "approved",
                    "书法课04": "approved"}


@pytest.mark.parametrize("who", ["parent", "school_admin", "provider", "other_provider"])
def test_the_export_refuses_who_may_not_see_the_desk(ctx: Context, world: World, who: str) -> None:
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    cs.offering(world, "provider", "少儿篆刻", approve=False)
    with browser(ctx, who) as c:
        for path in ("/desk/offerings.xlsx", "/desk/offerings.xlsx?status=all", "/desk/offerings?status=all"):
            resp = c.get(path)
            assert resp.status_code in (403, 404) and "少儿篆刻" not in resp.text
    with browser(ctx, None) as anon:
        assert anon.get("/desk/offerings.xlsx", follow_redirects=False).status_code == 303
