"""Class patrols (查堂/巡课): a school's patrol teacher or a county inspector records a visit to one
lesson with photos, through the API and through the phone form; a failed check tells the county and the
provider; each side lists only its own, the provider without the inspector's identity.
(Who may call which endpoint: tests/outcome_rows/supervision.py.)"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from kehou.platform.audit.models import AuditEntry
from kehou.platform.notifications.models import Notification
from kehou.plugins.outcome_reporting.models.supervision import Patrol
from kehou.timeutil import SHANGHAI, clock
from tests import billing_setup as bs
from tests import media
from tests import outcome_setup as os_
from tests.factories import World, pdf
from tests.helpers import err, ok, token_headers
from tests.test_html_pages import browser, csrf

JPEG = media.image("JPEG", "patrol")
PNG = media.image("PNG", "patrol")
ALL_OK = {"instructor_present": "yes", "instructor_matches": "yes", "on_topic": "yes", "non_academic": "yes",
          "safety_ok": "yes", "rating": "4", "notes": "课堂秩序良好"}


def photo() -> dict[str, tuple[str, bytes, str]]:
    return {"photos": ("课堂.jpg", JPEG, "image/jpeg")}


def lesson_day(world: World, entry_id: int, *, deliver: bool = True) -> int:
    """The entry's first lesson, delivered (instructor checked in), with the clock at 16:10 that day."""
    lesson_id, day = bs.lesson_days(world, entry_id)[0]
    if deliver:
        bs.deliver(world, lesson_id, {})
    clock.advance(dt.datetime.combine(day, dt.time(16, 10), tzinfo=SHANGHAI) - clock.now())
    return lesson_id


def count(world: World, model, *where) -> int:  # type: ignore[no-untyped-def]
    with world.ctx.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_patrol_with_photo_through_the_api(client, world: World) -> None:
    cat = os_.ready(world)
    entry = cat.entries["calligraphy"]
    lesson_id, _day = bs.lesson_days(world, entry)[0]
    school = token_headers(client, "school_admin")
    err(client.post(f"/api/v1/lessons/{lesson_id}/patrols", headers=school, data=ALL_OK, files=photo()),
        409, "patrol_too_early")
    lesson_day(world, entry)
    lessons = ok(client.get("/api/v1/patrols/lessons", headers=school))
    assert lessons[0]["lesson_id"] == lesson_id and lessons[0]["today"] is True
    assert lessons[0]["checked_in_staff_id"] is not None and lessons[0]["instructor_id"]
    body = ALL_OK
    url = f"/api/v1/lessons/{lesson_id}/patrols"
    err(client.post(url, headers=school, data=body | {"rating": "6"}, files=photo()), 400, "rating_invalid")
    err(client.post(url, headers=school, data=body | {"on_topic": ""}, files=photo()), 400, "check_required")
    err(client.post(url, headers=school, data=body, files={"photos": ("证明.jpg", pdf("x"), "image/jpeg")}),
        400, "upload_type_not_allowed")
    err(client.post(url, headers=token_headers(client, "other_reviewer"), data=body, files=photo()),
        404, "lesson_not_found")
    assert count(world, Patrol) == 0
    p = ok(client.post(url, headers=school, data=body, files=[("photos", ("课堂.jpg", JPEG, "image/jpeg")),
                                                              ("photos", ("黑板.png", PNG, "image/png"))]), 201)
    assert (p["inspector_kind"], p["rating"], p["failed"], p["photos"]) == ("school", 4, [], 2)
    assert p["term_name"] and p["provider_id"] == world.provider_ids["provider"] and p["entry_id"] == entry
    shown = ok(client.get(f"/api/v1/patrols/{p['id']}", headers=school))
    assert [client.get(link).content for link in shown["photo_urls"]] == [JPEG, PNG]  # signed links serve the photos
    with world.ctx.db.read_session() as s:
        row = s.get(Patrol, p["id"])
        assert row.photos[0]["content_type"] == "image/jpeg" and row.photos[0]["name"] == "课堂.jpg"
        assert world.ctx.storage.get(row.photos[0]["key"]) == JPEG
    assert count(world, AuditEntry, AuditEntry.action == "outcome.patrol.record") == 1
    assert count(world, Notification, Notification.title == "巡课发现问题") == 0  # nothing failed, nobody bothered


def test_failed_checks_notify_county_and_provider_and_provider_sees_no_inspector(client, world: World) -> None:
    cat = os_.ready(world)
    lesson_id = lesson_day(world, cat.entries["calligraphy"])
    rev = token_headers(client, "reviewer1")
    p = ok(client.post(f"/api/v1/lessons/{lesson_id}/patrols", headers=rev, data=ALL_OK | {
        "instructor_matches": "no", "non_academic": "no", "rating": "2"},
        files={"photos": ("现场.png", PNG, "image/png")}), 201)
    assert p["inspector_kind"] == "county" and p["failed"] == ["instructor_matches", "non_academic"]
    provider_users = 1
    assert count(world, Notification, Notification.title == "巡课发现问题") == 4 + provider_users
    prov = token_headers(client, "provider")
    mine = ok(client.get("/api/v1/patrols", headers=prov))
    assert [x["id"] for x in mine] == [p["id"]] and "inspector_id" not in mine[0]
    assert "inspector_id" not in ok(client.get(f"/api/v1/patrols/{p['id']}", headers=prov))
    assert ok(client.get("/api/v1/patrols", headers=token_headers(client, "other_provider"))) == []
    err(client.get(f"/api/v1/patrols/{p['id']}", headers=token_headers(client, "other_reviewer")), 404, "patrol_not_found")
    assert [x["id"] for x in ok(client.get("/api/v1/patrols", headers=token_headers(client, "school_admin")))] == [p["id"]]
    assert ok(client.get("/api/v1/patrols", headers=rev))[0]["inspector_id"] == world.users["reviewer1"].id
    with browser(world.ctx, "provider") as page:
        text = page.get("/provider/supervision").text
        assert "替课" in text and "学科类教学" in text and "reviewer1" not in text


def test_patrol_through_the_phone_form(ctx, world: World) -> None:
    cat = os_.ready(world)
    lesson_id = lesson_day(world, cat.entries["painting"])
    with browser(ctx, "school_admin") as school:
        form = school.get("/patrols/new")
        assert form.status_code == 200 and "国画入门" in form.text and 'capture="environment"' in form.text
        assert 'name="viewport"' in form.text  # usable on a phone
        assert "登记授课教师：王老师；签到教师：王老师" in form.text  # who should teach, who checked in
        token = csrf(school, "/patrols/new")
        resp = school.post("/patrols", data=ALL_OK | {"_csrf_token": token, "lesson_id": str(lesson_id), "rating": "0"},
                           files={"photos": ("a.jpg", JPEG, "image/jpeg")}, headers={"referer": "/patrols/new"})
        assert "评分须为1到5" in resp.text and count(world, Patrol) == 0
        resp = school.post("/patrols", data=ALL_OK | {"_csrf_token": token, "lesson_id": str(lesson_id), "safety_ok": "no"},
                           files={"photos": ("a.jpg", JPEG, "image/jpeg")}, headers={"referer": "/patrols/new"})
        assert resp.status_code == 200 and "巡课记录已提交" in resp.text and "安全隐患" in resp.text
        # no photo chosen: the browser still sends an empty file part
        resp = school.post("/patrols", data=ALL_OK | {"_csrf_token": token, "lesson_id": str(lesson_id)},
                           files={"photos": ("", b"", "application/octet-stream")}, headers={"referer": "/patrols/new"})
        assert "巡课记录已提交" in resp.text, re.findall(r'class="flash[^>]*>([^<]*)', resp.text)
        with ctx.db.read_session() as s:
            row, bare = s.scalars(select(Patrol).order_by(Patrol.id)).all()
            assert bare.photos == [] and bare.safety_ok is True
            assert (row.lesson_id, row.inspector_kind, row.safety_ok, len(row.photos)) == (lesson_id, "school", False, 1)
        photo = school.get(f"/patrols/{row.id}/photos/0")
        assert photo.status_code == 200 and photo.content == JPEG
        assert school.get(f"/patrols/{row.id}/photos/3", follow_redirects=False).status_code == 404
    with browser(ctx, "other_reviewer") as other:
        assert other.get(f"/patrols/{row.id}/photos/0", follow_redirects=False).status_code == 404
        assert "国画入门" not in other.get("/patrols/new").text
