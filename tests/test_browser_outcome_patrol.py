"""A class patrol on a phone, in a real browser (Debian chromium through Playwright, 375 px): the
school's patrol teacher opens the form during the lesson, answers the checks, attaches a photo taken
on the spot and submits; the patrol is stored with its photo and the page does not scroll sideways."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from kehou.app import create_app
from kehou.plugins.outcome_reporting.models.supervision import Patrol
from tests import outcome_setup as oset
from tests.browser import chromium, live_server, require_chromium
from tests.factories import PASSWORD, World
from tests.test_outcome_patrols import JPEG, lesson_day

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.mark.browser
def test_patrol_teacher_records_a_patrol_with_a_photo_on_a_phone(ctx, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    require_chromium()
    cat = oset.ready(world)
    lesson_id = lesson_day(world, cat.entries["painting"])
    shot = tmp_path / "课堂.jpg"
    shot.write_bytes(JPEG)
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        phone = chrome.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
        page = phone.new_page()
        page.goto(f"{base}/login?next=/patrols/new")
        page.fill("input[name=username]", "school_admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('登录')")
        page.wait_for_load_state()
        assert page.url.endswith("/patrols/new"), page.url
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the form scrolls sideways on a phone"
        lesson = page.locator(f"input[name=lesson_id][value='{lesson_id}']")
        assert lesson.is_visible()
        lesson.check()
        # nothing is answered for the inspector: every check starts empty, the rating unchosen
        assert page.locator("input[type=radio][value=yes]:checked").count() == 0
        assert page.locator("select[name=rating]").input_value() == ""
        for check in ("instructor_present", "instructor_matches", "on_topic", "safety_ok"):
            page.locator(f"input[name={check}][value=yes]").check()
        page.locator("input[name=non_academic][value=no]").check()  # a maths exercise sheet handed out
        page.select_option("select[name=rating]", "2")
        page.fill("textarea[name=notes]", "课上发放数学练习卷")
        page.set_input_files("input[name=photos]", str(shot))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "patrol-375.png"), full_page=True)
        page.click("button:has-text('提交')")
        page.wait_for_load_state()
        assert "巡课记录已提交" in page.inner_text("main")
    with ctx.db.read_session() as s:
        patrol = s.scalars(select(Patrol)).one()
        assert (patrol.lesson_id, patrol.non_academic, patrol.rating, patrol.notes) == (lesson_id, False, 2, "课上发放数学练习卷")
        assert len(patrol.photos) == 1 and ctx.storage.get(patrol.photos[0]["key"]) == JPEG
