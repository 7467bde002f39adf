"""The county settings page as forms for people (/desk/settings): each setting edited by its kind (money typed in
yuan, yes/no, choices, tables of rows), a preview of old → new in words with its effective date before anything is
saved, confirmation asked for an implausible value, future-dated changes listed at the top. In a real browser at
the end (screenshots in test-artifacts/)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context
from kehou.platform.policy import services as policy
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests.factories import COUNTY, OTHER_COUNTY, World
from tests.helpers import token_headers
from tests.test_browser_catalogue import flash
from tests.test_form_refill import refill
from tests.test_html_pages import browser, csrf

PAGE = "/desk/settings"
CAP = "billing.term_cap_fen"
REFUNDS = "billing.refund_rules"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


class _Form(HTMLParser):
    """The fields a browser would send from the form with the given id (checked boxes, selected options)."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []  # type: ignore[var-annotated]
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            else:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select, self.options = a["name"], []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self.textarea, self.text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            chosen = [v for v, sel in self.options if sel] or [self.options[0][0]]
            self.fields.append((self.select, chosen[0]))
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None


def form_fields(html: str, form_id: str = "setting-form") -> dict[str, Any]:
    parser = _Form(form_id)
    parser.feed(html)
    out: dict[str, Any] = {}
    for name, value in parser.fields:
        if name in out:
            out[name] = [*out[name], value] if isinstance(out[name], list) else [out[name], value]
        else:
            out[name] = value
    return out


def edit_url(key: str) -> str:
    return f"{PAGE}?edit={key}"


def post(client: TestClient, key: str, data: dict[str, Any]) -> Any:
    """Send a form of the edit page of ``key`` as the browser would (its token; the page as Referer)."""
    back = edit_url(key)
    return client.post(back, data={"_csrf_token": csrf(client, back), **data}, headers={"referer": f"http://127.0.0.1{back}"})


def preview(client: TestClient, key: str, fields: dict[str, Any], effective: dt.date | None = None,
            reason: str = "按县政府常务会议纪要调整") -> str:
    resp = post(client, key, {"step": "preview", "mode": "form", "key": key, **fields,
                              "effective_from": str(effective or clock.today_local()), "reason": reason})
    assert resp.status_code == 200, resp.text[:500]
    return resp.text


def confirm(client: TestClient, page: str, **extra: str) -> Any:
    """Press 确认修改 on a preview page."""
    fields = form_fields(page, "confirm-form")
    assert fields["step"] == "confirm", fields
    key = fields["key"]
    return post(client, key, {k: v for k, v in fields.items() if k != "_csrf_token"} | extra)


def stored(ctx: Context, key: str, on: dt.date | None = None) -> Any:
    with ctx.db.read_session() as s:
        return policy.get(s, ctx.registry, COUNTY, key, on)


def cap_on_fee_page(client: TestClient, school_id: int) -> str:
    page = client.get(f"/fees/{school_id}").text
    match = re.search(r"<dt>[^<]*上限[^<]*</dt><dd>([^<]*)</dd>", page)
    assert match, page[:2000]
    return match.group(1)


def text_of(html: str, element_id: str) -> str:
    """The text of the element with this id (up to its closing tag), spaces collapsed."""
    start = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"', html)
    assert start, element_id
    tag, depth, pos = start.group(1), 0, start.start()
    for m in re.finditer(rf"<(/?){tag}\b", html[pos:]):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[pos:pos + m.start()]))
    raise AssertionError(element_id)


# --- money in yuan, previewed, confirmed, used ------------------------------------------------------------------


def test_the_term_cap_typed_in_yuan_is_previewed_saved_in_fen_audited_and_used(ctx: Context, world: World) -> None:
    bs.ready(world)
    bs.put(world, CAP, 40000)
    school = world.school_ids["school"]
    with browser(ctx, None) as anon:
        assert cap_on_fee_page(anon, school) == "¥400.00"
    with browser(ctx, "decider") as dec:
        page = dec.get(edit_url(CAP)).text
        assert form_fields(page)["value"] == "400.00" and ">元<" in page  # shown in yuan, with its unit
        page = preview(dec, CAP, {"value": "600"})
        shown = text_of(page, "preview")
        assert "400.00 元" in shown and "600.00 元" in shown and "确认修改" in page
        assert str(clock.today_local()) in shown and "按县政府常务会议纪要调整" in shown
        assert 'id="implausible"' not in page
        assert stored(ctx, CAP) == 40000  # nothing saved by the preview
        resp = confirm(dec, page)
        assert "设置已保存" in flash(resp.text)
    assert stored(ctx, CAP) == 60000
    with ctx.db.read_session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "setting.change")
                          .order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.actor_name == "decider" and entry.entity_id == f"{COUNTY}:{CAP}"
        assert entry.old_values == {"value": 40000} and entry.new_values["value"] == 60000
        assert entry.reason == "按县政府常务会议纪要调整"
    with browser(ctx, None) as anon:
        assert cap_on_fee_page(anon, school) == "¥600.00"  # what families read, and what enrolment enforces
    with browser(ctx, "decider") as dec:
        overview = dec.get(PAGE).text
        row = text_of(overview, f"setting-{CAP}")
        assert "600.00 元" in row and f"自 {clock.today_local()} 起（本区县）" in row


def test_a_cap_of_6_yuan_is_saved_only_after_the_officer_confirms_it(ctx: Context, world: World) -> None:
    with browser(ctx, "decider") as dec:
        page = preview(dec, CAP, {"value": "6"})
        warning = text_of(page, "implausible")
        assert "6.00 元" in warning and "10.00 元" in warning and "10000.00 元" in warning
        assert 'name="plausible_ok"' in page
        again = confirm(dec, page)  # the box not ticked (a browser would not even send it: required)
        assert again.status_code == 200 and "请勾选确认" in again.text and stored(ctx, CAP) == 60000
        resp = confirm(dec, page, plausible_ok="yes")
        assert "设置已保存" in flash(resp.text)
    assert stored(ctx, CAP) == 600
    with browser(ctx, "decider") as dec:  # the raw JSON path asks too: 600 there is fen, i.e. 6 yuan
        resp = dec.post(PAGE, data={"_csrf_token": csrf(dec, PAGE), "key": CAP, "value": "100000000",
                                    "effective_from": str(clock.today_local()), "reason": "x"})
        assert resp.status_code == 200 and "1000000.00 元" in text_of(resp.text, "implausible")
    assert stored(ctx, CAP) == 600


@pytest.mark.parametrize("typed", ["6.001", "六百", "600元5", "-5"])
def test_money_that_is_not_yuan_with_two_decimals_comes_back_beside_the_field(ctx: Context, world: World, typed: str) -> None:
    with browser(ctx, "decider") as dec:
        resp = post(dec, CAP, {"step": "preview", "mode": "form", "key": CAP, "value": typed,
                               "effective_from": str(clock.today_local()), "reason": "调整上限"})
        data = refill(resp.text)
        assert data is not None and data["field"] == "value", data
        assert data["message"].startswith("「每生每学期个性化课程收费上限（不含材料费）」请填写金额，单位元，最多两位小数")
        assert data["values"]["value"] == typed and data["values"]["reason"] == "调整上限"
        assert data["page"] == PAGE and 'id="setting-form"' in resp.text  # back on the edit page, its form refilled
    assert stored(ctx, CAP) == 60000


def test_the_raw_json_mode_takes_fen_and_comes_back_open_on_a_mistake(ctx: Context, world: World) -> None:
    with browser(ctx, "decider") as dec:
        json_form = {"step": "preview", "mode": "json", "key": CAP, "effective_from": str(clock.today_local()), "reason": "x"}
        page = post(dec, CAP, json_form | {"json": "55000"}).text
        assert "550.00 元" in text_of(page, "preview")  # JSON is in fen, shown in yuan
        resp = post(dec, CAP, json_form | {"json": "{550"})
        data = refill(resp.text)
        assert data is not None and data["field"] == "json" and "合法的 JSON" in data["message"]
        assert '<details class="advanced" open>' in resp.text  # the folded raw form opens to show its error
    assert stored(ctx, CAP) == 60000


# --- tables of rows ---------------------------------------------------------------------------------------------


def test_refund_rules_are_edited_as_rows_without_json(ctx: Context, world: World) -> None:
    with browser(ctx, "decider") as dec:
        page = dec.get(edit_url(REFUNDS)).text
        fields = form_fields(page)
        assert fields["value.0.kind"] == "absence" and fields["value.0.min"] == "7" and fields["value.0.count"] == "days"
        assert fields["value.1.schedule.0.within"] == "14" and fields["value.1.schedule.1.percent"] == "50"
        assert fields["value.3.kind"] == "" and "value.0.remove" in page  # blank rows to add, a box to remove
        assert 'name="json"' in page and "高级：JSON" in page  # the raw mode, folded away
        fields |= {"value.0.remove": "yes",  # remove the absence rule...
                   "value.3.kind": "absence", "value.3.count": "months", "value.3.min": "1",  # ...add one by months
                   "value.3.refund": "whole_periods",
                   "value.1.schedule.2.within": "1", "value.1.schedule.2.unit": "months",  # one more quit step
                   "value.1.schedule.2.percent": "80",
                   "value.1.schedule.1.within": "", "value.1.schedule.1.unit": "", "value.1.schedule.1.percent": ""}
        fields = {k: v for k, v in fields.items() if k not in ("_csrf_token", "effective_from", "reason")}
        page = preview(dec, REFUNDS, fields)
        shown = text_of(page, "preview")
        assert "连续缺课满（含）：7" in re.sub(r"\s+", " ", "".join(re.findall(r"<del>(.*?)</del>", page)))
        assert "缺课计算：按月" in "".join(re.findall(r"<ins>(.*?)</ins>", page))
        assert "期限：1，单位：个月，以内退还：80%" in shown
        assert "设置已保存" in flash(confirm(dec, page).text)
    assert stored(ctx, REFUNDS) == [
        {"kind": "quit", "from": "term_start", "of": "untaught",
         "schedule": [{"within": 14, "unit": "days", "percent": 100}, {"within": 1, "unit": "months", "percent": 80}]},
        {"kind": "undelivered"},
        {"kind": "absence", "count": "months", "min": 1, "refund": "whole_periods"},
    ]


def test_a_half_filled_row_is_refused_beside_its_cell(ctx: Context, world: World) -> None:
    with browser(ctx, "decider") as dec:
        fields = {k: v for k, v in form_fields(dec.get(edit_url(REFUNDS)).text).items()
                  if k not in ("_csrf_token", "effective_from", "reason")}
        resp = post(dec, REFUNDS, fields | {"value.3.min": "3", "effective_from": str(clock.today_local()),
                                            "reason": "x"})
        data = refill(resp.text)
        assert data is not None and data["field"] == "value.3.kind" and "第4行：规则" in data["message"]
        resp = post(dec, REFUNDS, fields | {"value.0.min": "0", "effective_from": str(clock.today_local()),
                                            "reason": "x"})  # the plugin's own rule, shown above the table
        data = refill(resp.text)
        assert data is not None and data["field"] == "value" and "至少为1" in data["message"]


def test_every_setting_round_trips_through_its_form_unchanged(ctx: Context, world: World) -> None:
    """Each editor shows the value in force so that sending it back as it is changes nothing."""
    with browser(ctx, "decider") as dec:
        kinds = set()
        for key in ctx.registry.specs:
            page = dec.get(edit_url(key)).text
            for form_id in ("setting-form", "json-form"):
                fields = form_fields(page, form_id)
                if not fields:  # a setting edited as JSON only
                    assert form_id == "setting-form" and "<details class=\"advanced\" open>" in page, key
                    kinds.add("json")
                    continue
                kinds.add(fields["mode"])
                fields = {k: v for k, v in fields.items() if k not in ("_csrf_token", "effective_from", "reason")}
                shown = preview(dec, key, fields)
                assert "与原值相同" in shown, (key, form_id, text_of(shown, "preview"))
        assert kinds == {"form", "json"}


# --- what the page lists ----------------------------------------------------------------------------------------


def test_a_future_dated_change_is_listed_at_the_top_until_its_day(ctx: Context, world: World) -> None:
    later = clock.today_local() + dt.timedelta(days=30)
    with browser(ctx, "decider") as dec:
        page = preview(dec, CAP, {"value": "500"}, effective=later, reason="下学期起执行新标准")
        assert f"在 {later} 之前仍按原值执行" in text_of(page, "preview")
        confirm(dec, page)
        overview = dec.get(PAGE).text
        top = text_of(overview, "upcoming")
        for part in ("每生每学期个性化课程收费上限", "600.00 元", "→", "500.00 元", str(later), "decider", "下学期起执行新标准"):
            assert part in top, part
        assert "600.00 元" in text_of(overview, f"setting-{CAP}")  # still in force today
        assert "有待生效的修改" in text_of(overview, f"setting-{CAP}")
    assert stored(ctx, CAP) == 60000 and stored(ctx, CAP, later) == 50000


def test_settings_are_grouped_by_area_and_found_by_name(ctx: Context, world: World) -> None:
    with browser(ctx, "decider") as dec:
        page = dec.get(PAGE).text
        headings = re.findall(r"<h2>([^<]+)</h2>", page)
        assert headings[0] == "待生效的修改" and {"准入审核", "课程与选课", "收费与结算", "监管与评价"} <= set(headings)
        assert "是" in text_of(page, "setting-billing.settlement_county_approval")  # yes/no in words
        assert "学校课后服务专户" in text_of(page, "setting-billing.collector")  # a choice by its label
        found = dec.get(f"{PAGE}?q=退费").text
        assert re.findall(r'<tr id="setting-([^"]+)"', found) == [REFUNDS]
        assert "共 1 项" in found and "<h2>收费与结算</h2>" in found and "<h2>准入审核</h2>" not in found
        assert "没有名称含「不存在的设置」的设置项" in dec.get(f"{PAGE}?q=不存在的设置").text


def test_choices_and_yes_no_are_offered_not_typed(ctx: Context, world: World) -> None:
    with browser(ctx, "decider") as dec:
        page = dec.get(edit_url("billing.collector")).text
        assert '<option value="county">教育局课后服务专户</option>' in page
        page = dec.get(edit_url("billing.allow_supplement")).text
        assert 'type="radio" name="value" value="true"' in page and 'value="false" checked' in page
        page = dec.get(edit_url("admission.barred_org_types")).text
        assert 'type="checkbox" name="value" value="enterprise"' in page and "民办非企业单位" in page
        page = preview(dec, "admission.barred_org_types", {"value": ["enterprise", "individual"]})
        assert "企业、个人（专业人士）" in text_of(page, "preview")
        confirm(dec, page)
    assert stored(ctx, "admission.barred_org_types") == ["enterprise", "individual"]


# --- who may ------------------------------------------------------------------------------------------------------


def test_a_reviewer_without_the_decide_right_only_reads(ctx: Context, world: World) -> None:
    with browser(ctx, "reviewer1") as rev:
        page = rev.get(PAGE).text
        assert "只有有决定权限的人员可以修改" in page and "?edit=" not in page.split("待生效的修改")[1]
        assert "600.00 元" in text_of(page, f"setting-{CAP}")
        page = rev.get(edit_url(CAP)).text
        assert "只有有决定权限的人员可以修改" in page and 'name="value"' not in page and 'name="json"' not in page
        resp = post(rev, CAP, {"step": "preview", "mode": "form", "key": CAP, "value": "500",
                               "effective_from": str(clock.today_local()), "reason": "x"})
        assert resp.status_code == 403 and "只有有决定权限" in resp.text
    assert stored(ctx, CAP) == 60000


def test_another_countys_staff_cannot_change_this_county(ctx: Context, world: World, client: TestClient) -> None:
    with browser(ctx, "other_decider") as other:
        assert OTHER_COUNTY in other.get(PAGE).text
        confirm(other, preview(other, CAP, {"value": "500"}))  # changes their own county only
    assert stored(ctx, CAP) == 60000
    with ctx.db.read_session() as s:
        assert policy.get(s, ctx.registry, OTHER_COUNTY, CAP) == 50000
    resp = client.put(f"/api/v1/counties/{COUNTY}/settings/{CAP}", headers=token_headers(client, "other_decider"),
                      json={"value": 100, "reason": "x"})
    assert resp.status_code in (403, 404)
    assert stored(ctx, CAP) == 60000


# --- in a real browser --------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_county_officer_changes_the_term_cap_in_yuan_in_a_browser(ctx: Context, world: World) -> None:
    from kehou.app import create_app
    from tests.browser import chromium, live_server, login, require_chromium

    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    bs.ready(world)
    bs.put(world, CAP, 40000)
    school = world.school_ids["school"]
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as chrome:
        page = chrome.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        login(page, base, "decider", PAGE)
        page.locator(f"[id='setting-{CAP}'] a:has-text('修改')").click()
        page.wait_for_load_state()
        field = page.locator("#setting-form input[name=value]")
        assert field.input_value() == "400.00"
        field.fill("600")
        page.fill("#setting-form input[name=reason]", "按县政府常务会议纪要调整")
        page.click("#setting-form button:has-text('预览修改')")
        page.wait_for_load_state()
        box = page.locator("#preview")
        assert "400.00 元" in box.inner_text() and "600.00 元" in box.inner_text()
        assert page.locator("#implausible").count() == 0
        page.screenshot(path=str(ARTIFACTS / "settings-cap-preview.png"), full_page=True)

        box.locator("button:has-text('确认修改')").click()
        page.wait_for_load_state()
        assert page.url.endswith(edit_url(CAP)), page.url  # back on the setting, now in force
        assert "设置已保存" in page.locator(".flash.ok").inner_text()
        current = page.locator("#current").inner_text()
        assert "600.00 元" in current and f"自 {clock.today_local()} 起（本区县）" in current
        page.screenshot(path=str(ARTIFACTS / "settings-cap-saved.png"), full_page=True)

        page.click("text=返回设置列表")
        page.wait_for_load_state()
        row = page.locator(f"[id='setting-{CAP}']").inner_text()
        assert "600.00 元" in row and f"自 {clock.today_local()} 起" in row
        page.goto(f"{base}/fees/{school}")  # what families read, and what enrolment enforces
        assert "¥600.00" in page.locator("main").inner_text() and "¥400.00" not in page.locator("main").inner_text()
    assert stored(ctx, CAP) == 60000


def test_refund_rules_page_shows_what_a_parent_gets_back_before_and_after(ctx: Context, world: World) -> None:
    """The sample course (300.00 yuan, 16 weekly lessons of 18.75): under the default rules a quit on day 7 (one
    lesson taught) returns the 15 untaught lessons in full; a change to 50% of the whole fee is previewed beside it."""
    with browser(ctx, "decider") as dec:
        page = dec.get(edit_url(REFUNDS)).text
        examples = text_of(page, "examples")
        assert "开学后第7天（09-13）退课，已上1次 退281.25元" in examples
        assert "自第3次课起连续缺课2次（8天），之后返校 退18.75元" in examples  # 7 days on: the second lesson
        fields = {k: v for k, v in form_fields(page).items() if k not in ("_csrf_token", "effective_from", "reason")}
        fields |= {"value.1.of": "whole", "value.1.schedule.0.percent": "50", "value.1.schedule.1.percent": "25"}
        shown = text_of(preview(dec, REFUNDS, fields), "examples")
        assert "开学后第7天（09-13）退课，已上1次 退281.25元 退150.00元" in shown
