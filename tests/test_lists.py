"""Lists that scale: the county desk's applications searched, filtered by status, paged 50 at a time with the
filters kept, and exported to Excel with exactly the rows the filters select."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from kehou.platform.admission import services as admission
from kehou.platform.context import Context
from kehou.web.listing import Listing
from tests.factories import COUNTY, World, add_provider
from tests.test_html_pages import browser


def _applications(ctx: Context, world: World, n: int) -> None:
    for i in range(n):
        key = f"p{i:02d}"
        add_provider(world, key, body=f"52330106MJ1{i:03d}999", name=f"测试机构{i:02d}号", docs=False)
        with ctx.db.write_session() as s:
            app = admission.create(ctx, s, world.actor(key), county_code=COUNTY, categories=["阅读"], statement="x")
            if i % 2:
                admission.submit(s, world.actor(key), app.id)


def _names(html: str) -> list[str]:
    return re.findall(r"<td>(测试机构\d+号)</td>", html)


def test_the_desk_pages_searches_filters_and_exports_applications(ctx: Context, world: World) -> None:
    _applications(ctx, world, 56)
    with browser(ctx, "reviewer1") as rev:
        first = rev.get("/desk").text
        assert len(_names(first)) == 50 and "共 56 条" in first and "第 1/2 页" in first
        nxt = re.search(r'href="/desk\?(page=2)" rel="next"', first)
        assert nxt is not None
        second = rev.get("/desk?page=2").text
        assert len(_names(second)) == 6 and set(_names(second)).isdisjoint(_names(first))
        found = rev.get("/desk?q=机构07").text
        assert _names(found) == ["测试机构07号"] and "共 1 条" in found
        assert _names(rev.get("/desk?q=52330106MJ1007").text) == ["测试机构07号"]  # by credit code too
        assert _names(rev.get("/desk?q=%25").text) == []  # a wildcard is searched as text
        submitted = rev.get("/desk?status=submitted&q=测试").text
        assert len(_names(submitted)) == 28 and 'href="/desk?status=submitted&amp;q=' in submitted  # links keep filters
        export = rev.get("/desk/applications.xlsx?status=submitted&q=测试")
        assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
        sheet = load_workbook(io.BytesIO(export.content)).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:2] == ("机构", "统一社会信用代码")
        assert sorted(r[0] for r in rows[1:]) == sorted(_names(submitted)) and {r[4] for r in rows[1:]} == {"材料审核中"}
        for bad, message in (("page=0", "页码须为正整数"), ("page=abc", "页码须为正整数"), ("page=²", "页码须为正整数"),
                             ("q=" + "字" * 101, "最多100个字")):
            resp = rev.get(f"/desk?{bad}")
            assert resp.status_code == 400 and message in resp.text
    with browser(ctx, "other_reviewer") as other:  # another county's desk: none of these, in the list or the file
        assert _names(other.get("/desk?q=测试").text) == []
        sheet = load_workbook(io.BytesIO(other.get("/desk/applications.xlsx").content)).active
        assert sheet is not None and sheet.max_row == 1


@pytest.mark.parametrize("who", ["parent", "school_admin", "provider"])
def test_the_export_refuses_who_may_not_see_the_desk(ctx: Context, world: World, who: str) -> None:
    with browser(ctx, who) as c:
        assert c.get("/desk/applications.xlsx").status_code in (403, 404)
    with browser(ctx, None) as anon:
        assert anon.get("/desk/applications.xlsx", follow_redirects=False).status_code == 303


def test_a_listing_link_keeps_its_filters_and_drops_the_first_page() -> None:
    listing = Listing.parse({"q": "美术", "page": "3", "status": "submitted"}, keep=("status",))
    assert listing.link(page=1) == "status=submitted&q=%E7%BE%8E%E6%9C%AF"
    assert listing.link(page=4).endswith("&page=4")
    assert listing.like == "%美术%" and Listing.parse({"q": "50%_"}).like == "%50\\%\\_%"
    assert listing.pages(101) == 3 and listing.pages(0) == 1


def test_county_exit_cases_filtered_searched_and_exported(ctx: Context, world: World) -> None:
    from tests.test_permissions import exit_in

    exit_in(world, "exit_proposed")
    with browser(ctx, "reviewer1") as rev:
        page = rev.get("/county/exits").text
        assert "共 1 条" in page and "西湖青少年美术中心" in page
        assert 'href="/exits/' not in rev.get("/county/exits?status=exited").text
        assert "共 1 条" in rev.get("/county/exits?status=proposed&q=美术").text
        assert 'href="/exits/' not in rev.get("/county/exits?q=不存在").text
        assert rev.get("/county/exits?status=nonsense").status_code == 400
        sheet = load_workbook(io.BytesIO(rev.get("/county/exits.xlsx?status=proposed").content)).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "机构" and [r[0] for r in rows[1:]] == ["西湖青少年美术中心"] and rows[1][3] == "已提议"
    with browser(ctx, "other_reviewer") as other:
        assert "西湖青少年美术中心" not in other.get("/county/exits").text
        sheet = load_workbook(io.BytesIO(other.get("/county/exits.xlsx").content)).active
        assert sheet is not None and sheet.max_row == 1
    with browser(ctx, "provider") as prov:
        assert prov.get("/county/exits.xlsx").status_code in (403, 404)
        assert 'href="/exits/' in prov.get("/provider/exits").text  # its own list still lists its case
