"""The county's public page as a parent or journalist reads it: the fee publicity of each school one click
away where the county uses billing, and the whitelist readable on a phone."""

from __future__ import annotations

import pytest

from kehou.platform.context import Context
from tests import billing_setup as bs
from tests.factories import COUNTY, OTHER_COUNTY, World
from tests.test_html_pages import browser


def test_the_county_page_links_each_schools_fee_publicity_where_billing_is_used(ctx: Context, world: World) -> None:
    school = world.school_ids["school"]
    with browser(ctx, None) as anon:
        assert f'href="/fees/{school}"' not in anon.get(f"/public/{COUNTY}").text  # billing not used yet
        bs.enable(world)
        page = anon.get(f"/public/{COUNTY}").text
        assert "各校课后服务收费公示" in page and f'<a href="/fees/{school}">西湖小学</a>' in page
        assert "尚未公布课后服务收费标准" in anon.get(f"/fees/{school}").text  # no menu yet: said so, publicly
        bs.ready(world)
        assert anon.get(f"/fees/{school}").status_code == 200
        other = anon.get(f"/public/{OTHER_COUNTY}").text
        assert "西湖小学" not in other and "收费公示" not in other  # another county: its own schools, its own choice


@pytest.mark.browser
def test_the_whitelist_reads_as_cards_on_a_phone(ctx: Context, world: World) -> None:
    from tests import catalogue_setup as cs
    from tests.browser import chromium, live_server, require_chromium

    require_chromium()
    cs.admit(world, "provider")
    from kehou.app import create_app

    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        phone = chrome.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True).new_page()
        phone.goto(f"{base}/public/{COUNTY}#whitelist")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "the public page scrolls sideways on a phone"
        card = phone.locator("#whitelist + table.stack tr").nth(1)
        assert "西湖青少年美术中心" in card.inner_text()
        labels = card.locator("td").evaluate_all("tds => tds.map(td => getComputedStyle(td, '::before').content)")
        assert labels[:2] == ['"机构名称："', '"统一社会信用代码："'] and '"有效期："' in labels  # each value says what it is
        phone.screenshot(path="test-artifacts/public-whitelist-375.png", full_page=True)


def test_tel_links_dial_the_number_only() -> None:
    from kehou.web.filters import tel

    assert tel("0571-87654321（工作日 9:00-17:00）") == "0571-87654321"
    assert tel("监督电话：12345") == "12345"
    assert tel("+86 138 0013 8000") == "+8613800138000"
    assert tel("无") == ""
