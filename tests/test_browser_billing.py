"""Billing's pages in a real browser: a parent on a phone opens the bill and chooses the bank transfer;
anyone reads the school's fee publicity. Forms one by one: tests/test_billing_pages.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from kehou.app import create_app
from kehou.plugins.billing_cap.models import Bill
from tests import billing_setup as bs
from tests.browser import chromium, live_server, require_chromium
from tests.factories import PASSWORD, World

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 375, "height": 740}


def no_sideways_scroll(page, what: str) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("window.innerWidth") == 375  # the viewport meta is honoured
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{what} scrolls sideways on a phone: {width}px"


@pytest.mark.browser
def test_parent_opens_the_bill_on_a_phone_and_gets_the_reference_to_quote(ctx, world: World) -> None:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    cat = bs.ready(world)
    sid = cat.students["xiaoming"]
    bs.enrol(world, sid, cat.entries["calligraphy"])
    bs.enrol(world, sid, cat.entries["painting"])
    bs.issue(world, cat.menu_id)
    with ctx.db.read_session() as s:
        bill = s.scalars(select(Bill).where(Bill.student_id == sid)).one()
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        phone = chrome.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        page = phone.new_page()
        page.goto(f"{base}/login?next=/parent/bills")
        page.fill("input[name=username]", "parent")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('登录')")
        page.wait_for_load_state()
        assert page.url.endswith("/parent/bills"), page.url
        card = page.locator(f"#bill-{bill.id}")
        text = card.inner_text()
        for part in ("小明", bill.term_name, bill.reference, "少儿软笔书法", "国画入门（材料费）", "¥640.00", "待缴费",
                     str(bill.due_on)):
            assert part in text, part
        no_sideways_scroll(page, "the bill list")

        card.locator("a:has-text('查看并缴费')").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/parent/bills/{bill.id}"), page.url
        assert page.locator("#outstanding").inner_text() == "¥640.00"
        page.click("button:has-text('银行转账 / 非税缴款')")
        page.wait_for_load_state()
        started = page.locator("#started")
        assert page.locator("#quote").inner_text() == bill.reference
        assert "¥640.00" in started.inner_text() and "转账附言" in started.inner_text()
        assert started.is_visible()
        no_sideways_scroll(page, "the bill with the payment instructions")
        page.screenshot(path=str(ARTIFACTS / "parent-bill-375.png"), full_page=True)


@pytest.mark.browser
def test_public_fee_page_shows_the_courses_and_the_hotline(ctx, world: World) -> None:
    require_chromium()
    bs.ready(world)
    bs.put(world, "billing.complaint_hotline", "0571-12345678")
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        phone = chrome.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
        page = phone.new_page()
        page.goto(f"{base}/fees/{world.school_ids['school']}")
        assert "收费公示" in page.locator("h1").inner_text()
        courses = page.locator("#courses ~ .cards").inner_text()
        assert "少儿软笔书法" in courses and "国画入门" in courses and "¥300.00" in courses and "毛笔 ¥15.00" in courses
        assert page.locator("#hotline ~ p a").inner_text() == "0571-12345678"
        assert "连续缺课满7天（含）" in page.locator("#refunds ~ ul").inner_text()
        no_sideways_scroll(page, "the fee page")
        page.goto(f"{base}/fees/999999")
        assert "学校不存在" in page.inner_text("main")
