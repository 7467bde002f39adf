"""Three outcomes of the automatic content check for a course (issue 18 part 5): pass, warn (a person decides,
the reason shown and required to approve) and block (a decider may override it, audited); a mixed title (a
subject name beside a non-academic theme) is a warning; county word lists with a "try a title" page."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from kehou.errors import PermissionDenied, ValidationFailed
from kehou.platform.audit.models import AuditEntry
from kehou.plugins.course_catalogue import offerings
from kehou.plugins.course_catalogue.models import Offering
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import COUNTY, World
from tests.test_html_pages import browser


def submit(world: World, title: str, review_request: str = "") -> Offering:
    with world.ctx.db.write_session() as s:
        o = offerings.create(world.ctx, s, world.actor("provider"), offerings.OfferingInput(
            county_code=COUNTY, title=title, category="优秀传统文化", description="在表演中体验语言之美。", grades=[3, 4],
            sessions_per_week=1, minutes=60, capacity=20, fee_fen=20000, instructor_id=cs.staff_id(world, "provider"),
            review_request=review_request))
        s.expunge(o)
        return o


def review(world: World, who: str, offering_id: int, *, approve: bool, reason: str = "") -> Offering:
    with world.ctx.db.write_session() as s:
        o = offerings.review(world.ctx, s, world.actor(who), offering_id, approve=approve, reason=reason)
        s.expunge(o)
        return o


@pytest.fixture
def ready(world: World) -> World:
    cs.enable_catalogue(world)
    cs.admit(world, "provider")
    bs.put(world, "catalogue.offering_approval", False)  # even where offerings need no approval, a warning does
    return world


def test_a_mixed_title_is_a_warning_a_reviewer_approves_with_a_reason(ready: World) -> None:
    o = submit(ready, "英语戏剧社")
    assert (o.status, o.content_check) == ("pending", "warn")
    assert "含学科名称「英语」，同时有非学科主题「戏剧」，请人工核实是否为学科类培训" in o.review_reason
    with pytest.raises(ValidationFailed) as no_reason:
        review(ready, "reviewer1", o.id, approve=True)
    assert no_reason.value.code == "reason_required"
    done = review(ready, "reviewer1", o.id, approve=True, reason="剧本为童话改编，以表演为主，非英语教学")
    assert done.status == "approved"
    with ready.ctx.db.read_session() as s:
        entry = s.query(AuditEntry).filter_by(action="offering.approve", entity_id=str(o.id)).one()
        assert entry.reason.startswith("剧本为童话改编") and entry.old_values["content_check"] == "warn"
        assert "戏剧" in entry.old_values["findings"]
    assert submit(ready, "少儿京剧脸谱").status == "approved"  # nothing found: passes at once here


def test_subject_training_blocks_whatever_the_theme_and_a_decider_may_override(ready: World) -> None:
    with pytest.raises(ValidationFailed) as blocked:
        submit(ready, "数学提分游戏")
    assert blocked.value.code == "offering_content_blocked" and "提分" in blocked.value.message
    assert "申请人工复核" in blocked.value.message
    o = submit(ready, "数学提分游戏", review_request="“提分”指游戏中的积分规则，课程为桌游，不讲授数学知识")
    assert (o.status, o.content_check) == ("blocked", "block")
    with pytest.raises(PermissionDenied):
        review(ready, "reviewer1", o.id, approve=True, reason="看过教案")  # reviewing is not deciding
    with pytest.raises(ValidationFailed):
        review(ready, "decider", o.id, approve=True)  # no reason
    done = review(ready, "decider", o.id, approve=True, reason="经核查教案为桌游规则教学，不含学科内容")
    assert done.status == "approved"
    with ready.ctx.db.read_session() as s:
        entry = s.query(AuditEntry).filter_by(action="offering.override", entity_id=str(o.id)).one()
        assert entry.old_values["status"] == "blocked" and "提分" in entry.old_values["findings"]
        assert entry.reason == "经核查教案为桌游规则教学，不含学科内容"
    other = submit(ready, "数学提分游戏二", review_request="同上")
    assert review(ready, "reviewer1", other.id, approve=False, reason="名称含提分，请改名").status == "rejected"


def test_the_county_tries_a_title_against_its_own_lists(ready: World) -> None:
    with browser(ready.ctx, "reviewer1") as c:
        page = c.get("/desk/vetting/try", params={"title": "英语戏剧社"}).text
        assert "提醒：提交后须由审核人员判断" in page and "非学科主题「戏剧」" in page
        assert "阻止" in c.get("/desk/vetting/try", params={"title": "语文同步辅导班"}).text
        assert "通过：未发现须处理的用语" in c.get("/desk/vetting/try", params={"title": "少儿书法"}).text
        assert 'href="/desk/settings?edit=vetting.academic_theme_words"' in page
    themes = [w for w in ready.ctx.registry.spec("vetting.academic_theme_words").default if w != "戏剧"]
    bs.put(ready, "vetting.academic_theme_words", themes)  # this county treats 英语戏剧 as subject teaching
    with browser(ready.ctx, "reviewer1") as c:
        assert "阻止：不能提交" in c.get("/desk/vetting/try", params={"title": "英语戏剧社"}).text


@pytest.mark.parametrize("who", ["provider", "school_admin", "parent"])
def test_only_county_staff_try_titles(client: TestClient, world: World, who: str) -> None:
    with browser(world.ctx, who) as c:
        assert c.get("/desk/vetting/try", params={"title": "英语戏剧社"}).status_code == 403
    anonymous = client.get("/desk/vetting/try", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and anonymous.headers["location"].startswith("/login")


def test_the_offering_api_reports_the_outcome(client: TestClient, ready: World) -> None:
    from tests.helpers import ok, token_headers

    body = {"county_code": COUNTY, "title": "英语绘本戏剧", "category": "优秀传统文化", "grades": [3], "sessions_per_week": 1,
            "minutes": 60, "capacity": 20, "fee_fen": 20000, "instructor_id": cs.staff_id(ready, "provider")}
    got = ok(client.post("/api/v1/offerings", headers=token_headers(client, "provider"), json=body), 201)
    assert (got["status"], got["content_check"]) == ("pending", "warn") and "戏剧" in got["review_reason"]
