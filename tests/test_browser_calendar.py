"""The working-day calendar in a real browser (Debian chromium through Playwright): the platform admin
sees the warning for a year that is only provisional, uploads next year's arrangement as a text file and
saves it; the county desk then shows no warning for that year."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehou.app import create_app
from kehou.platform.calendar import services as calendar
from tests.browser import chromium, live_server, login, require_chromium
from tests.factories import World

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Test data, not an official arrangement: New Year's Day (fixed by the holiday regulations) and a local example.
FILE = "# 测试数据\n2027-01-01,放假,元旦\n"


@pytest.mark.browser
def test_admin_uploads_next_years_arrangement(ctx, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    require_chromium()
    upload = tmp_path / "2027.txt"
    upload.write_text(FILE, encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        desk = chrome.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
        login(desk, base, "admin")
        desk.click("header a:has-text('节假日日历')")
        desk.wait_for_load_state()
        assert "2027年目前为临时安排" in desk.inner_text("main")
        desk.click("tr:has-text('2027') a:has-text('查看')")
        desk.wait_for_load_state()
        desk.select_option("select[name=status]", "official")
        desk.fill("input[name=source]", "测试录入")
        desk.set_input_files("input[name=file]", str(upload))
        desk.fill("input[name=reason]", "国务院办公厅通知已发布")
        desk.screenshot(path=str(ARTIFACTS / "calendar-admin.png"), full_page=True)
        desk.click("button:has-text('保存')")
        desk.wait_for_load_state()
        main = desk.inner_text("main")
        assert "已保存" in main and "2027-01-01" in main and "元旦" in main and "正式安排" in main
        assert "2027年目前为临时安排" not in main
        phone = chrome.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True).new_page()
        login(phone, base, "decider")
        phone.goto(f"{base}/calendar/2027")
        assert "元旦" in phone.inner_text("main")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "the calendar scrolls sideways on a phone"
        phone.screenshot(path=str(ARTIFACTS / "calendar-375.png"), full_page=True)
    with ctx.db.read_session() as s:
        assert calendar.known_years(s)[2027] == "official"
