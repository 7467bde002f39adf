"""Provider evaluation through its pages: the county computes a term's evaluation, reads the
ranking and each provider's explanation, publishes it; the provider reads its own result.
(Who may open which page: tests/test_html_pages.py.)"""

from __future__ import annotations

from sqlalchemy import select

from kehou.plugins.outcome_reporting.models import EvaluationRun
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests import outcome_setup as oset
from tests.factories import World
from tests.test_html_pages import browser, csrf


def post(client, page: str, action: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(action, data={"_csrf_token": csrf(client, page)} | data, headers={"referer": page})


def test_compute_read_and_publish_through_the_forms(ctx, world: World) -> None:  # type: ignore[no-untyped-def]
    cat = cs.ready(world)
    oset.enable(world)
    term = bs.term_name(world, cat.menu_id)
    with browser(ctx, "reviewer1") as rev:
        page = rev.get("/county/evaluations").text
        assert "机构考核评价" in page and f'<option value="{term}" selected>' in page  # the running term, chosen
        resp = post(rev, "/county/evaluations", "/county/evaluations", {"term_name": term, "as_of": "2026-13-01"})
        assert "计课截至日期格式应为" in resp.text
        resp = post(rev, "/county/evaluations", "/county/evaluations", {"term_name": "2030-2031学年第一学期"})
        assert "没有已发布的课程" in resp.text
        with ctx.db.read_session() as s:
            assert s.scalars(select(EvaluationRun)).first() is None  # nothing made by the refused forms
        resp = post(rev, "/county/evaluations", "/county/evaluations", {"term_name": term})
        assert resp.status_code == 200 and "西湖青少年美术中心" in resp.text
        assert "本学期无巡课记录，不计分" in resp.text
        assert "截至评价日无应上课次" in resp.text  # the first lessons are today at the earliest: none due yet
        assert 'id="publish"' not in resp.text  # a reviewer without the right to decide sees no publish button
        with ctx.db.read_session() as s:
            run = s.scalars(select(EvaluationRun)).one()
    with browser(ctx, "decider") as dec:  # a county weighing only satisfaction, nobody answered yet: not rated
        from kehou.platform.policy import services as policy
        from tests.factories import ADMIN, COUNTY

        with ctx.db.write_session() as s:
            policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key="outcome.indicators",
                       value=[{"code": "parent_satisfaction", "weight": 100}], effective_from=run.computed_at.date(),
                       reason="只评家长满意度",
                   retroactive_reason="测试：补录已执行的政策")
        page = post(dec, "/county/evaluations", "/county/evaluations", {"term_name": term}).text
        assert "未评价的机构（1）" in page and 'id="unrated"' in page
        with ctx.db.read_session() as s:
            run = s.scalars(select(EvaluationRun).order_by(EvaluationRun.id.desc())).first()
        url = f"/county/evaluations/{run.id}"
        assert 'id="publish"' in dec.get(url).text
        resp = post(dec, url, f"{url}/publish", {})
        assert resp.status_code == 200 and "已发布" in resp.text
        assert "已发布" in dec.get("/county/evaluations").text
    with browser(ctx, "provider") as prov:
        page = prov.get("/provider/evaluations").text
        assert term in page and "家长满意度" in page and "无家长问卷，不计分" in page
    with browser(ctx, "other_provider") as other:
        assert term not in other.get("/provider/evaluations").text
