"""The county outcome dashboard in a real browser (Debian chromium through Playwright): the inline SVG
charts are drawn and visible, the page fits a 375 px phone, and an Excel export started from the page
runs on a real Celery worker while the page's polling script shows its progress and then the
download link. The screenshots land in test-artifacts/ (docs/img/outcome-dashboard.png is one of them, kept for the docs)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from celery import Celery
from openpyxl import load_workbook

from kehou.app import create_app
from tests.browser import chromium, live_server, login, require_chromium
from tests.celery_support import worker
from tests.factories import World
from tests.test_outcome_reports import small_county

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHARTS = ("chart-coverage", "chart-categories", "chart-history", "chart-satisfaction")


@pytest.mark.browser
def test_county_dashboard_charts_export_and_phone(ctx, world: World, celery_app: Celery, tmp_path: Path) -> None:
    require_chromium()
    small_county(world)
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome, worker(celery_app):
        desk = chrome.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = desk.new_page()
        login(page, base, "reviewer1", "/county/outcomes")
        assert page.url.endswith("/county/outcomes"), page.url
        assert "西湖区2026-2027学年第一学期课后服务成效报告" in page.inner_text("main")
        for chart in CHARTS:
            svg = page.locator(f"svg#{chart}")
            assert svg.is_visible(), chart
            box = svg.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 50, (chart, box)
        bars = page.locator("svg#chart-coverage rect.bar")
        assert bars.count() == 1  # 西湖小学 50%; 西湖二小 has no bar (no students)
        assert bars.first.bounding_box()["width"] > 0
        assert page.locator("svg#chart-history polyline.series").count() >= 1
        assert page.inner_text("#kpi-coverage").startswith("50.0")
        assert "640.00" in page.inner_text("#kpi-collected_fen")

        page.select_option("select[name=fmt]", "xlsx")
        page.click("button:has-text('开始生成')")
        page.wait_for_load_state()
        assert "已开始生成报告" in page.inner_text(".flash.ok")
        link = page.locator("tr.job a:has-text('下载')").first
        link.wait_for(state="visible", timeout=60_000)  # the polling script put it there
        assert page.locator("tr.job .pct").first.inner_text() == "100%"
        with page.expect_download() as download:
            link.click()
        saved = tmp_path / "report.xlsx"
        download.value.save_as(saved)
        assert load_workbook(io.BytesIO(saved.read_bytes())).sheetnames == ["汇总", "分校", "分类别", "学期对比"]
        page.locator("#exports").scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "outcome-dashboard.png"
        page.screenshot(path=str(shot), full_page=True)

        phone = chrome.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
        mobile = phone.new_page()
        login(mobile, base, "reviewer1", "/county/outcomes")
        assert mobile.evaluate("window.innerWidth") == 375
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the dashboard scrolls sideways on a phone: {width}px"
        for chart in CHARTS:
            box = mobile.locator(f"svg#{chart}").bounding_box()
            assert box and 0 < box["width"] <= 375 and box["height"] > 0, (chart, box)
        mobile.screenshot(path=str(ARTIFACTS / "outcome-dashboard-375.png"), full_page=True)
    assert shot.stat().st_size > 10_000
