"""Settings that would do nothing, or not what they seem to say, are refused (issue 18 part 2), and organisation
types are a county-extensible list (part 6). Through the JSON API, as a county decider would configure them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar.testing import TestClient

from kehou.errors import ValidationFailed
from kehou.platform.admission import services as admission
from kehou.platform.audit.models import AuditEntry
from kehou.platform.policy import services as policy
from kehou.timeutil import clock
from tests.factories import COUNTY, OTHER_COUNTY, World, add_provider
from tests.helpers import err, ok, token_headers

URL = "/api/v1/counties/330106/settings/"
ABSENCE = {"kind": "absence", "count": "days", "min": 7, "refund": "after"}


def put(client: TestClient, headers: dict[str, str], key: str, value: Any, **extra: Any) -> Any:
    return client.put(URL + key, headers=headers, json={"value": value, "reason": "按县教育局文件配置", **extra})


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        # an organisation type the platform does not know: saved, it would bar nothing
        ("admission.barred_org_types", ["培训机构"],
         ["「不得参与课后服务的机构类型」", "「培训机构」", "校外培训机构（training_institution）"]),
        # a key the rule does not read
        ("billing.refund_rules", [ABSENCE | {"min_days": 7}], ["第1项", "min_days"]),
        # a field of the rule that does nothing with this way of refunding
        ("billing.refund_rules", [ABSENCE | {"percent": 50}], ["第1条", "只有按固定比例退费才填"]),
        # two rules of one kind: only the first would ever apply
        ("billing.refund_rules", [ABSENCE, ABSENCE | {"min": 3}], ["「规则」", "重复"]),
        # a field of another kind of rule
        ("billing.refund_rules", [{"kind": "undelivered", "min": 3}], ["不适用于「未上课次（取消或退出）」"]),
        # the wrong type: true is not a number of days
        ("billing.refund_rules", [ABSENCE | {"min": True}], ["「连续缺课满（含）」应为整数"]),
        # a quit window in weeks: not a unit the rule counts in
        ("billing.refund_rules", [{"kind": "quit", "from": "enrolment", "of": "whole",
                                   "schedule": [{"within": 2, "unit": "weeks", "percent": 100}]}], ["「单位」不能取「weeks」"]),
        # two waiver tiers with one code: a parent's claim could not say which
        ("billing.waiver_tiers", [{"code": "free", "label": "全免", "percent": 100, "evidence": "低保证明"},
                                  {"code": "free", "label": "减半", "percent": 50, "evidence": "困难证明"}],
         ["「代码（英文）」中「free」重复"]),
        # a date that is not a date would silently schedule lessons on it
        ("catalogue.no_lesson_dates", ["2026-13-01"], ["第1项", "日期"]),
        # the same word twice
        ("vetting.academic_words", ["语文", "语文"], ["「语文」重复"]),
        # a document type nobody can upload
        ("documents.required_types", {"enterprise": ["business_licence", "hukou"]}, ["「hukou」"]),
        # an indicator the evaluation does not compute
        ("outcome.indicators", [{"code": "delivery", "weight": 100, "extra": 1}], ["「extra」"]),
        # a key an object setting does not have
        ("outcome.incident_penalty", {"minor": 10, "serious": 40, "major": 100, "fatal": 200}, ["「fatal」"]),
    ],
)
def test_a_setting_that_would_do_nothing_is_refused_naming_the_field(
        client: TestClient, world: World, key: str, value: Any, words: list[str]) -> None:
    headers = token_headers(client, "decider")
    before = ok(client.get(URL.removesuffix("/")))
    body = err(put(client, headers, key, value), 400, "setting_invalid")
    for w in words:
        assert w in body["message"], body["message"]
    assert ok(client.get(URL.removesuffix("/"))) == before  # nothing stored


def test_a_retroactive_date_needs_its_own_reason_and_the_decide_right(client: TestClient, world: World) -> None:
    yesterday = (clock.today_local() - dt.timedelta(days=1)).isoformat()
    decider = token_headers(client, "decider")
    body = err(put(client, decider, "billing.due_days", 10, effective_from=yesterday), 400, "retroactive_reason_required")
    assert "追溯" in body["message"] and body["field"] == "retroactive_reason"
    err(put(client, token_headers(client, "reviewer1"), "billing.due_days", 10, effective_from=yesterday,
            retroactive_reason="x"), 403, "permission_denied")
    ok(put(client, decider, "billing.due_days", 10, effective_from=yesterday, retroactive_reason="上月已发文，漏录"))
    with world.ctx.db.read_session() as s:
        entry = s.query(AuditEntry).filter_by(action="setting.change", entity_id="330106:billing.due_days").one()
        assert entry.new_values["retroactive_reason"] == "上月已发文，漏录" and entry.reason == "按县教育局文件配置"
    # today and later need no second reason
    ok(put(client, decider, "billing.due_days", 12, effective_from=clock.today_local().isoformat()))


def test_a_county_bars_training_institutions_but_admits_other_enterprises(ctx: Any, world: World) -> None:
    add_provider(world, "trainer", body="91330106MA0000009", name="某教育培训学校", org_type="training_institution")
    add_provider(world, "company", body="91330106MA000001X", name="某体育文化有限公司", org_type="enterprise")
    with ctx.db.write_session() as s:
        policy.put(s, ctx.registry, world.actor("decider"), scope=COUNTY, key="admission.barred_org_types",
                   value=["training_institution"], effective_from=clock.today_local(), reason="本区不准入校外培训机构")
        with pytest.raises(ValidationFailed) as exc:
            admission.create(ctx, s, world.actor("trainer"), county_code=COUNTY, categories=["阅读"], statement="")
        assert exc.value.code == "org_type_barred" and "校外培训机构" in exc.value.message
        assert admission.create(ctx, s, world.actor("company"), county_code=COUNTY, categories=["体育艺术"],
                                statement="").status == "draft"
        assert admission.create(ctx, s, world.actor("trainer"), county_code=OTHER_COUNTY, categories=["阅读"],
                                statement="").status == "draft"


def test_a_county_adds_its_own_organisation_type(client: TestClient, ctx: Any, world: World) -> None:
    decider = token_headers(client, "decider")
    err(put(client, decider, "admission.barred_org_types", ["youth_centre"]), 400, "setting_invalid")
    body = err(put(client, decider, "admission.extra_org_types", [{"code": "enterprise", "label": "公司"}]), 400,
               "setting_invalid")
    assert "平台已有" in body["message"]
    ok(put(client, decider, "admission.extra_org_types", [{"code": "youth_centre", "label": "青少年宫"}]))
    ok(put(client, decider, "vetting.review_org_types", ["enterprise", "youth_centre"]))
    # another county has not added it: its settings may not name it
    other = token_headers(client, "other_decider")
    err(client.put("/api/v1/counties/330108/settings/vetting.review_org_types", headers=other,
                   json={"value": ["youth_centre"], "reason": "x"}), 400, "setting_invalid")
    # providers may now register as one, and the registration page offers it
    assert "青少年宫" in client.get("/register").text
    add_provider(world, "palace", body="12330106MB0000001", name="某区青少年宫", org_type="youth_centre", docs=False)
    with ctx.db.read_session() as s:
        assert policy.get(s, ctx.registry, COUNTY, "vetting.review_org_types") == ["enterprise", "youth_centre"]


def test_the_settings_page_offers_and_accepts_the_countys_own_types(world: World) -> None:
    from tests.test_settings_forms import edit_url, form_fields, preview

    with world.ctx.db.write_session() as s:
        policy.put(s, world.ctx.registry, world.actor("decider"), scope=COUNTY, key="admission.extra_org_types",
                   value=[{"code": "youth_centre", "label": "青少年宫"}], effective_from=clock.today_local(), reason="本县增设")
    from tests.test_html_pages import browser

    with browser(world.ctx, "decider") as dec:
        page = dec.get(edit_url("admission.barred_org_types")).text
        assert 'value="youth_centre"' in page and "青少年宫" in page  # a box to tick
        fields = {k: v for k, v in form_fields(page).items() if k not in ("_csrf_token", "effective_from", "reason")}
        shown = preview(dec, "admission.barred_org_types", fields | {"value": ["youth_centre"]})
        assert "青少年宫" in shown and "不能取" not in shown
