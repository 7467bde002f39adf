"""The audit log as a decision-maker reads it: Chinese action names, objects by name, field-by-field changes,
filters by date, action, person and object, paging, and the Excel export of what is filtered."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from kehou.platform.admission import services as admission
from kehou.platform.audit import services as audit
from kehou.platform.audit.vocabulary import diff, shown
from kehou.platform.context import Context
from tests.factories import COUNTY, World
from tests.test_html_pages import browser


def _application(ctx: Context, world: World, who: str = "provider") -> int:
    with ctx.db.write_session() as s:
        app = admission.create(ctx, s, world.actor(who), county_code=COUNTY, categories=["阅读"], statement="x")
        admission.submit(s, world.actor(who), app.id)
        return app.id


def _seqs(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr id="seq-(\d+)">', html)]


def test_entries_read_in_words_with_the_object_named_and_changes_by_field(ctx: Context, world: World) -> None:
    app_id = _application(ctx, world)
    with browser(ctx, "decider") as dec:
        page = dec.get("/desk/audit").text
    assert "创建准入申请" in page and "提交准入申请" in page
    assert "准入申请「西湖青少年美术中心的申请」" in page  # the object by name, not "application #7"
    assert f"entity_type=application&amp;entity_id={app_id}" in page  # each object links to its own history
    assert "<dt>状态</dt><dd><del>草稿</del> → <ins>材料审核中</ins></dd>" in page  # old → new field by field, in words
    assert '{"status"' not in page


def test_filters_narrow_to_one_application_one_action_a_person_and_dates(ctx: Context, world: World) -> None:
    first, second = _application(ctx, world), _application(ctx, world, "other_provider")
    with ctx.db.read_session() as s:
        from sqlalchemy import select

        from kehou.platform.audit.models import AuditEntry

        of_first = set(s.scalars(select(AuditEntry.seq).where(AuditEntry.county_code == COUNTY,
                                                               AuditEntry.entity_type == "application",
                                                               AuditEntry.entity_id == str(first))))
        everything = set(s.scalars(select(AuditEntry.seq).where(AuditEntry.county_code == COUNTY)))
    assert of_first and everything - of_first
    with browser(ctx, "decider") as dec:
        assert set(_seqs(dec.get(f"/desk/audit?entity_type=application&entity_id={first}").text)) == of_first
        assert str(second) not in "".join(re.findall(r"entity_id=(\d+)", dec.get(
            f"/desk/audit?entity_type=application&entity_id={first}").text))
        submits = dec.get("/desk/audit?action=admission.submit").text
        assert len(_seqs(submits)) == 2 and "创建准入申请</td>" not in submits
        assert _seqs(dec.get("/desk/audit?actor=不存在的人").text) == []
        assert "没有符合条件的记录" in dec.get("/desk/audit?date_from=2099-01-01").text
        unfiltered = _seqs(dec.get("/desk/audit").text)
        assert _seqs(dec.get("/desk/audit?date_to=2099-01-01&date_from=2000-01-01").text) == unfiltered
        bad = dec.get("/desk/audit?date_from=2026-13-01")
        assert bad.status_code == 400 and "须为 YYYY-MM-DD 格式的日期" in bad.text


def test_paging_goes_back_fifty_at_a_time_keeping_the_filters(ctx: Context, world: World) -> None:
    with ctx.db.write_session() as s:
        for i in range(60):
            audit.record(s, world.actor("decider"), county_code=COUNTY, action="setting.change", entity_type="setting",
                         entity_id=f"{COUNTY}:k{i}", reason="批量", old={"value": i}, new={"value": i + 1})
        s.commit()
    with browser(ctx, "decider") as dec:
        page = dec.get("/desk/audit?action=setting.change").text
        assert len(_seqs(page)) == 50
        more = re.search(r'href="/desk/audit\?([^"]*before=\d+[^"]*)"', page)
        assert more is not None and "action=setting.change" in more.group(1)
        rest = dec.get("/desk/audit?" + more.group(1).replace("&amp;", "&")).text
        assert len(_seqs(rest)) == 10 and set(_seqs(rest)).isdisjoint(_seqs(page))


def test_a_long_reason_wraps(ctx: Context, world: World) -> None:
    with ctx.db.write_session() as s:
        audit.record(s, world.actor("decider"), county_code=COUNTY, action="setting.change", entity_type="setting",
                     entity_id=f"{COUNTY}:x", reason="理" * 3000, old=None, new={"value": "x" * 2000})
        s.commit()
    with browser(ctx, "decider") as dec:
        page = dec.get("/desk/audit").text
    css = (__import__("pathlib").Path(__file__).parents[1] / "kehou/web/static/kehou.css").read_text()
    assert 'class="audit"' in page and "table.audit td { overflow-wrap: anywhere" in css


def test_the_export_holds_what_the_filter_shows_in_words(ctx: Context, world: World) -> None:
    first = _application(ctx, world)
    _application(ctx, world, "other_provider")
    with browser(ctx, "decider") as dec:
        shown_seqs = _seqs(dec.get(f"/desk/audit?entity_type=application&entity_id={first}").text)
        resp = dec.get(f"/desk/audit/export.xlsx?entity_type=application&entity_id={first}")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(resp.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "时间", "操作人", "操作", "对象")
    assert [r[0] for r in rows[1:]] == shown_seqs
    assert {r[3] for r in rows[1:]} == {"创建准入申请", "提交准入申请"}
    assert all("西湖青少年美术中心的申请" in str(r[4]) for r in rows[1:])


@pytest.mark.parametrize("who", ["reviewer1", "other_reviewer", "provider", "parent", "school_admin"])
def test_the_export_refuses_everyone_but_deciders(ctx: Context, world: World, who: str) -> None:
    with browser(ctx, who) as c:
        assert c.get("/desk/audit/export.xlsx").status_code in (403, 404)
    with browser(ctx, None) as anon:
        resp = anon.get("/desk/audit/export.xlsx", follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login")


def test_another_countys_decider_sees_none_of_this_countys_log(ctx: Context, world: World) -> None:
    app_id = _application(ctx, world)
    with browser(ctx, "other_decider") as other:
        page = other.get(f"/desk/audit?entity_type=application&entity_id={app_id}").text
        assert _seqs(page) == [] and "西湖青少年美术中心" not in page
        sheet = load_workbook(io.BytesIO(other.get("/desk/audit/export.xlsx").content)).active
        assert sheet is not None and "西湖青少年美术中心" not in str(list(sheet.iter_rows(values_only=True)))


def test_values_are_shown_for_people() -> None:
    assert shown(True) == "是" and shown(None) == "—" and shown(["阅读", "美术"]) == "阅读、美术"
    assert diff({"status": "submitted", "same": 1}, {"status": "accepted", "same": 1}) == [("status", "submitted", "accepted")]
    assert diff(None, {"value": 60000}) == [("value", "", "60000")]


@pytest.mark.browser
def test_a_decider_follows_one_application_into_the_log_in_chromium(ctx: Context, world: World) -> None:
    from pathlib import Path

    from kehou.app import create_app
    from tests.browser import chromium, live_server, login, require_chromium

    require_chromium()
    app_id = _application(ctx, world)
    _application(ctx, world, "other_provider")
    with ctx.db.write_session() as s:  # a long reason must wrap, not widen the page
        audit.record(s, world.actor("decider"), county_code=COUNTY, action="admission.score", entity_type="application",
                     entity_id=app_id, reason="材料齐全，场地符合要求。" * 80, old={"score": None}, new={"score": 88})
        s.commit()
    artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        page = chrome.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
        login(page, base, "decider", f"/desk/applications/{app_id}")
        page.click("main a:has-text('审计记录')")
        page.wait_for_load_state()
        main = page.inner_text("main")
        assert "创建准入申请" in main and "提交准入申请" in main and "评审打分" in main
        assert main.count("西湖青少年美术中心的申请") == 3  # three entries, all of this application
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, "a long reason widens the page"
        page.screenshot(path=str(artifacts / "audit-one-application.png"), full_page=True)
        page.select_option("select[name=action]", "admission.score")
        page.click("form.filters button:has-text('筛选')")
        page.wait_for_load_state()
        assert page.inner_text("main").count("西湖青少年美术中心的申请") == 1


def test_plugins_name_their_own_actions_and_objects(ctx: Context, world: World) -> None:
    from tests import catalogue_setup as cs

    cs.ready(world)  # an offering approved, placed and published by the course catalogue
    with browser(ctx, "decider") as dec:
        page = dec.get("/desk/audit").text
    assert "发布课程超市" in page and "审核课程" in page and "课程上架" in page
    assert re.search(r"课程超市「[^」]+学年第[一二]学期」", page)  # the menu by school and term, named by the plugin
    assert re.search(r"课程「[^」]+」", page)


def test_every_namer_answers_a_dict_of_names(ctx: Context, world: World) -> None:
    from kehou.platform.audit import vocabulary
    from tests import catalogue_setup as cs

    cs.ready(world)
    vocab = vocabulary.of(ctx)
    assert {"application", "course_menu", "course_entry", "bill"} <= set(vocab.namers)
    with ctx.db.read_session() as s:
        for kind, namer in vocab.namers.items():
            names = namer(s, [1, 2, 999_999])
            assert isinstance(names, dict) and set(names) <= {1, 2}, kind
            assert all(isinstance(v, str) and v for v in names.values()), kind
