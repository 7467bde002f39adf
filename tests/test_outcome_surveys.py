"""Satisfaction surveys: rounds (on demand and the term-end job), parents' and students' answers
(one per enrolment and respondent, also under a concurrent double submit), the grade setting,
anonymity to the provider, school ratings and the pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from kehou.db import Database
from kehou.errors import KehouError
from kehou.platform.audit.models import AuditEntry
from kehou.platform.notifications.models import Notification
from kehou.plugins.outcome_reporting import surveys
from kehou.plugins.outcome_reporting.models.surveys import SchoolRating, Survey, SurveyResponse
from kehou.timeutil import SHANGHAI, clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests import outcome_setup as os_
from tests.factories import COUNTY, World
from tests.helpers import err, ok, token_headers
from tests.outcome_rows.surveys import ANSWERS, SCHOOL_ANSWERS
from tests.test_html_pages import browser, csrf

STUDENT_ANSWERS = {"overall": 4, "fun": 5, "learned": 4, "teacher": 5}


@dataclasses.dataclass
class Setup:
    cat: cs.Catalogue
    term: str
    kid: int
    calligraphy: int
    painting: int


@pytest.fixture
def setup(world: World) -> Setup:
    cat = os_.ready(world)
    kid = cat.students["xiaoming"]
    bs.enrol(world, kid, cat.entries["calligraphy"])
    return Setup(cat, bs.term_name(world, cat.menu_id), kid, cat.entries["calligraphy"], cat.entries["painting"])


def open_round(world: World, term: str) -> int:
    with world.ctx.db.write_session() as s:
        return surveys.open_round(world.ctx, s, world.actor("reviewer1"), COUNTY, term).id


def answer_url(kid: int, survey_id: int) -> str:
    return f"/api/v1/children/{kid}/surveys/{survey_id}/answers"


def count(world: World, model: Any, *where: Any) -> int:
    with world.ctx.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_score_is_the_scaled_mean_rounded() -> None:
    assert surveys.score_of({"a": 5, "b": 5}) == 100
    assert surveys.score_of({"a": 1, "b": 1}) == 0
    assert surveys.score_of({"a": 3, "b": 4}) == 63  # mean 3.5 -> 62.5 -> 63 (half up)
    assert surveys.score_of({"a": 4, "b": 4, "c": 3}) == 67  # mean 11/3 -> 66.67
    assert surveys.score_of(ANSWERS) == 80  # (5+4+5+4+3)/5 = 4.2 -> 80


def test_county_opens_a_round_and_guardians_are_told(client, world: World, setup: Setup) -> None:
    staff = token_headers(client, "reviewer1")
    err(client.post(f"/api/v1/counties/{COUNTY}/surveys", json={"term_name": "2030年春季学期"}, headers=staff), 400,
        "term_not_found")
    body = ok(client.post(f"/api/v1/counties/{COUNTY}/surveys", json={"term_name": setup.term}, headers=staff), 201)
    assert body["open"] and body["reason"] == "on_demand"
    closes = dt.datetime.fromisoformat(body["closes_at"]) - dt.datetime.fromisoformat(body["opens_at"])
    assert closes == dt.timedelta(days=14)  # outcome.survey_days
    assert {q["code"] for q in body["questions"] if "parent" in q["for"]} >= {"overall"}
    assert count(world, Notification, Notification.user_id == world.users["parent"].id,
                 Notification.link == "/parent/surveys") == 1
    assert count(world, AuditEntry, AuditEntry.action == "survey.open") == 1
    err(client.post(f"/api/v1/counties/{COUNTY}/surveys", json={"term_name": setup.term}, headers=staff), 409,
        "survey_round_open")
    listed = ok(client.get(f"/api/v1/counties/{COUNTY}/surveys", headers=staff))
    assert [r["id"] for r in listed] == [body["id"]]


def test_disabled_county_refuses(client, world: World) -> None:
    cat = bs.ready(world)  # catalogue and billing, no outcome reporting
    err(client.get(f"/api/v1/counties/{COUNTY}/surveys", headers=token_headers(client, "reviewer1")), 403,
        "outcome_reporting_disabled")
    err(client.post(f"/api/v1/counties/{COUNTY}/surveys", json={"term_name": bs.term_name(world, cat.menu_id)},
                    headers=token_headers(client, "reviewer1")), 403, "outcome_reporting_disabled")


def test_parent_answers_once_per_enrolment(client, world: World, setup: Setup) -> None:
    sid = open_round(world, setup.term)
    parent = token_headers(client, "parent")
    tasks = ok(client.get(f"/api/v1/children/{setup.kid}/surveys", headers=parent))
    assert [(t["entry_id"], t["respondents"], t["answered"]) for t in tasks] == [(setup.calligraphy, ["parent"], [])]
    url = answer_url(setup.kid, sid)
    err(client.post(url, json={"entry_id": setup.painting, "answers": ANSWERS}, headers=parent), 404, "enrolment_not_found")
    err(client.post(url, json={"entry_id": setup.calligraphy, "answers": ANSWERS | {"overall": 6}}, headers=parent), 400,
        "answers_invalid")
    err(client.post(url, json={"entry_id": setup.calligraphy, "answers": {"overall": 5}}, headers=parent), 400,
        "answers_invalid")
    err(client.post(url, json={"entry_id": setup.calligraphy, "answers": ANSWERS, "comment": "长" * 501}, headers=parent), 400,
        "comment_too_long")
    err(client.post(url, json={"entry_id": setup.calligraphy, "answers": ANSWERS, "respondent": "teacher"}, headers=parent),
        400, "respondent_invalid")
    body = ok(client.post(url, json={"entry_id": setup.calligraphy, "answers": ANSWERS, "comment": "很好"}, headers=parent), 201)
    assert (body["score"], body["satisfied"]) == (80, True)
    err(client.post(url, json={"entry_id": setup.calligraphy, "answers": ANSWERS}, headers=parent), 409,
        "survey_already_answered")
    assert count(world, SurveyResponse) == 1
    tasks = ok(client.get(f"/api/v1/children/{setup.kid}/surveys", headers=parent))
    assert tasks[0]["answered"] == ["parent"]
    with world.ctx.db.read_session() as s:
        row = s.scalars(select(SurveyResponse)).one()
        assert (row.provider_id, row.school_id, row.respondent) == (world.provider_ids["provider"], world.school_ids["school"],
                                                                    "parent")
    assert count(world, AuditEntry, AuditEntry.action == "survey.answer") == 1


def test_concurrent_double_submit_gives_one_answer(world: World, setup: Setup) -> None:
    """Four threads submit the same answer at once: one row, the others told it was answered."""
    sid = open_round(world, setup.term)
    db = Database(world.ctx.db.url, pool_size=5)
    fast = dataclasses.replace(world.ctx, db=db)
    barrier = threading.Barrier(4)

    def attempt(_: int) -> Any:
        barrier.wait()
        try:
            with fast.db.write_session() as s:
                return surveys.answer(fast, s, world.actor("parent"), setup.kid, sid, entry_id=setup.calligraphy,
                                      respondent="parent", answers=ANSWERS).id
        except KehouError as exc:
            return exc.code

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(attempt, range(4)))
    finally:
        db.dispose()
    assert sorted(r for r in results if isinstance(r, str)) == ["survey_already_answered"] * 3
    assert len([r for r in results if isinstance(r, int)]) == 1
    assert count(world, SurveyResponse) == 1


def test_student_version_only_from_the_grade_setting(client, world: World, setup: Setup) -> None:
    sid = open_round(world, setup.term)
    parent = token_headers(client, "parent")
    url = answer_url(setup.kid, sid)
    student = {"entry_id": setup.calligraphy, "answers": STUDENT_ANSWERS, "respondent": "student"}
    err(client.post(url, json=student, headers=parent), 400, "student_survey_not_for_grade")  # grade 3 < 4 (default)
    bs.put(world, "outcome.student_survey_min_grade", 3)
    tasks = ok(client.get(f"/api/v1/children/{setup.kid}/surveys", headers=parent))
    assert tasks[0]["respondents"] == ["parent", "student"]
    err(client.post(url, json=student, headers=parent), 409, "consent_required")  # the child answers only with consent
    ok(client.post("/api/v1/me/consents/survey", headers=parent), 201)
    err(client.post(url, json=student | {"answers": ANSWERS}, headers=parent), 400, "answers_invalid")  # parent's questions
    assert ok(client.post(url, json=student, headers=parent), 201)["score"] == 88  # mean 4.5
    ok(client.post(url, json={"entry_id": setup.calligraphy, "answers": ANSWERS}, headers=parent), 201)  # the parent's own
    err(client.post(url, json=student, headers=parent), 409, "survey_already_answered")
    assert count(world, SurveyResponse) == 2


def test_closed_round_refuses_answers(client, world: World, setup: Setup) -> None:
    sid = open_round(world, setup.term)
    clock.advance(dt.timedelta(days=14, minutes=1))
    err(client.post(answer_url(setup.kid, sid), json={"entry_id": setup.calligraphy, "answers": ANSWERS},
                    headers=token_headers(client, "parent")), 409, "survey_closed")
    assert ok(client.get(f"/api/v1/children/{setup.kid}/surveys", headers=token_headers(client, "parent"))) == []


def test_provider_sees_anonymous_aggregates_from_three_answers_after_closing(client, world: World, setup: Setup) -> None:
    kids = {"小明": setup.kid}
    for name in ("小红", "小刚"):
        kids[name] = cs.child(world, name)
        bs.enrol(world, kids[name], setup.calligraphy)
    bs.enrol(world, setup.kid, setup.painting)
    sid = open_round(world, setup.term)
    with world.ctx.db.write_session() as s:
        for kid, overall, comment in zip(kids.values(), (5, 4, 2), ("希望多些练习", "", "老师很负责"), strict=True):
            surveys.answer(world.ctx, s, world.actor("parent"), kid, sid, entry_id=setup.calligraphy, respondent="parent",
                           answers=ANSWERS | {"overall": overall}, comment=comment)
        surveys.answer(world.ctx, s, world.actor("parent"), setup.kid, sid, entry_id=setup.painting, respondent="parent",
                       answers=ANSWERS, comment="国画课只有我一个人评价")
    provider = token_headers(client, "provider")
    err(client.get(f"/api/v1/surveys/{sid}/summary", headers=provider), 409, "survey_still_open")
    err(client.get(f"/api/v1/surveys/{sid}/summary", headers=token_headers(client, "other_provider")), 404, "survey_not_found")
    clock.advance(dt.timedelta(days=15))
    resp = client.get(f"/api/v1/surveys/{sid}/summary", headers=provider)
    body = ok(resp)
    by_course = {c["entry_id"]: c for c in body["courses"]}
    shown = by_course[setup.calligraphy]["parents"]
    assert shown["shown"] and shown["count"] == 3
    assert shown["satisfied_pct"] == 67  # 2 of 3 answered 4 or 5
    assert shown["comments"] == sorted(["希望多些练习", "老师很负责"])
    hidden = by_course[setup.painting]["parents"]
    assert hidden == {"shown": False, "count": None, "mean_score": None, "satisfied_pct": None, "comments": []}
    assert "国画课只有我一个人评价" not in resp.text
    assert set(shown) == {"shown", "count", "mean_score", "satisfied_pct", "comments"}
    assert not any(name in resp.text for name in kids)
    assert not re.search(r"submitted|enrolment|student_id|user|guardian", resp.text)
    # the county sees per provider and per school, every answer counted
    county = ok(client.get(f"/api/v1/surveys/{sid}/summary", headers=token_headers(client, "reviewer1")))
    (prov,) = county["providers"]
    assert prov["provider_id"] == world.provider_ids["provider"] and prov["parents"]["count"] == 4
    assert county["schools"][0]["parents"]["count"] == 4
    # the school sees its own courses, small groups hidden as for the provider
    school = ok(client.get(f"/api/v1/surveys/{sid}/summary", headers=token_headers(client, "school_admin")))
    assert {c["entry_id"]: c["parents"]["shown"] for c in school["courses"]} == {setup.calligraphy: True, setup.painting: False}


def test_term_end_job_opens_each_round_once(world: World, setup: Setup) -> None:
    ctx = world.ctx
    with ctx.db.read_session() as s:
        from kehou.plugins.course_catalogue import public

        end = next(m.term_end for m in public.menus(s) if m.menu_id == setup.cat.menu_id)

    def run() -> int:
        with ctx.db.write_session() as s:
            return surveys.open_term_end_rounds(ctx, s)

    assert run() == 0  # the term's end is far off
    clock.advance(dt.datetime.combine(end - dt.timedelta(days=10), dt.time(9), tzinfo=SHANGHAI) - clock.now())
    assert run() == 1
    assert run() == 0
    db = Database(ctx.db.url, pool_size=5)
    fast = dataclasses.replace(ctx, db=db)
    barrier = threading.Barrier(3)

    def concurrent(_: int) -> int:
        barrier.wait()
        with fast.db.write_session() as s:
            return surveys.open_term_end_rounds(fast, s)

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            assert sum(pool.map(concurrent, range(3))) == 0
    finally:
        db.dispose()
    with ctx.db.read_session() as s:
        rows = list(s.scalars(select(Survey)))
    assert [(r.county_code, r.term_name, r.reason) for r in rows] == [(COUNTY, setup.term, "term_end")]
    assert count(world, Notification, Notification.user_id == world.users["parent"].id,
                 Notification.link == "/parent/surveys") == 1


def test_term_end_job_opens_concurrently_once(world: World, setup: Setup) -> None:
    """Three workers run the job at the same moment for the first time: one round."""
    ctx = world.ctx
    clock.advance(dt.timedelta(days=60))  # past 2027-01-21 (ten days before the term's end) and within its window
    db = Database(ctx.db.url, pool_size=5)
    fast = dataclasses.replace(ctx, db=db)
    barrier = threading.Barrier(3)

    def concurrent(_: int) -> int:
        barrier.wait()
        with fast.db.write_session() as s:
            return surveys.open_term_end_rounds(fast, s)

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            assert sum(pool.map(concurrent, range(3))) == 1
    finally:
        db.dispose()
    assert count(world, Survey) == 1


def test_term_end_job_skips_counties_without_the_plugin(world: World) -> None:
    bs.ready(world)  # catalogue and billing only
    clock.advance(dt.timedelta(days=60))
    with world.ctx.db.write_session() as s:
        assert surveys.open_term_end_rounds(world.ctx, s) == 0


def test_school_rates_each_provider_it_used_once(client, world: World, setup: Setup) -> None:
    sid = open_round(world, setup.term)
    school = token_headers(client, "school_admin")
    url = f"/api/v1/schools/{world.school_ids['school']}/surveys/{sid}/ratings"
    page = ok(client.get(url, headers=school))
    assert [p["provider_id"] for p in page["providers"]] == [world.provider_ids["provider"]]
    assert page["providers"][0]["rating"] is None
    pid = world.provider_ids["provider"]
    err(client.post(url, json={"provider_id": world.provider_ids["other_provider"], "answers": SCHOOL_ANSWERS}, headers=school),
        404, "provider_not_used")
    err(client.post(url, json={"provider_id": pid, "answers": SCHOOL_ANSWERS | {"punctual": 0}}, headers=school), 400,
        "answers_invalid")
    body = ok(client.post(url, json={"provider_id": pid, "answers": SCHOOL_ANSWERS, "comment": "配合良好"}, headers=school), 201)
    assert body["score"] == 81  # mean 4.25 -> 81.25
    err(client.post(url, json={"provider_id": pid, "answers": SCHOOL_ANSWERS}, headers=school), 409, "school_rating_exists")
    assert count(world, SchoolRating) == 1
    assert ok(client.get(url, headers=school))["providers"][0]["rating"]["score"] == 81
    assert count(world, AuditEntry, AuditEntry.action == "survey.school_rating") == 1
    county = ok(client.get(f"/api/v1/surveys/{sid}/summary", headers=token_headers(client, "reviewer1")))
    assert county["providers"][0]["school_ratings"] == {"count": 1, "mean_score": 81}
    clock.advance(dt.timedelta(days=15))
    err(client.post(url, json={"provider_id": pid, "answers": SCHOOL_ANSWERS}, headers=school), 409, "survey_closed")


# --- pages ----------------------------------------------------------------------------------------


def test_pages_open_answer_and_rate(world: World, setup: Setup) -> None:
    ctx = world.ctx
    with browser(ctx, "reviewer1") as staff:
        assert setup.term in staff.get("/county/surveys").text
        resp = staff.post("/county/surveys", data={"_csrf_token": csrf(staff, "/county/surveys"), "term_name": setup.term})
        assert resp.status_code == 200 and "已发起" in resp.text
    with ctx.db.read_session() as s:
        sid = s.scalars(select(Survey.id)).one()
    with browser(ctx, "parent") as parent:
        page = parent.get("/parent/surveys").text
        assert "少儿软笔书法" in page and "总体而言" in page and f"/parent/showcase/{setup.kid}" in page
        form = {"_csrf_token": csrf(parent, "/parent/surveys"), "student_id": str(setup.kid), "entry_id": str(setup.calligraphy),
                "respondent": "parent", **{f"q_{k}": str(v) for k, v in ANSWERS.items()}, "comment": "页面填写"}
        resp = parent.post(f"/parent/surveys/{sid}/answer", data=form)
        assert resp.status_code == 200 and "感谢" in resp.text
        resp = parent.post(f"/parent/surveys/{sid}/answer", data=form | {"_csrf_token": csrf(parent, "/parent/surveys")},
                           headers={"referer": "/parent/surveys"})
        assert "已经填写过" in resp.text
    assert count(world, SurveyResponse) == 1
    with browser(ctx, "school_admin") as school:
        page = school.get(f"/school/surveys?survey={sid}").text
        assert "西湖青少年美术中心" in page
        form = {"_csrf_token": csrf(school, "/school/surveys"), "provider_id": str(world.provider_ids["provider"]),
                **{f"q_{k}": str(v) for k, v in SCHOOL_ANSWERS.items()}}
        resp = school.post(f"/school/surveys/{sid}/ratings", data=form)
        assert resp.status_code == 200 and "已提交" in resp.text
    assert count(world, SchoolRating) == 1
    clock.advance(dt.timedelta(days=15))
    with browser(ctx, "provider") as provider:
        page = provider.get("/provider/surveys").text
        assert "少儿软笔书法" in page and "少于3份" in page and "页面填写" not in page


def test_page_forms_refuse_others(world: World, setup: Setup) -> None:
    """The survey forms refuse whoever may not use them, with the error page and nothing written."""
    sid = open_round(world, setup.term)
    answer = {"student_id": str(setup.kid), "entry_id": str(setup.calligraphy), "respondent": "parent",
              **{f"q_{k}": str(v) for k, v in ANSWERS.items()}}
    rating = {"provider_id": str(world.provider_ids["provider"]), **{f"q_{k}": str(v) for k, v in SCHOOL_ANSWERS.items()}}
    attempts = [("provider", f"/parent/surveys/{sid}/answer", answer, "/provider/surveys"),
                ("school_admin", f"/parent/surveys/{sid}/answer", answer, "/school/surveys"),
                ("parent", f"/school/surveys/{sid}/ratings", rating, "/parent/surveys"),
                ("provider", f"/school/surveys/{sid}/ratings", rating, "/provider/surveys"),
                ("school_admin", "/county/surveys", {"term_name": setup.term}, "/school/surveys"),
                ("other_reviewer", "/county/surveys", {"term_name": setup.term}, "/county/surveys")]
    for who, path, form, home in attempts:
        with browser(world.ctx, who) as client:
            resp = client.post(path, data=form | {"_csrf_token": csrf(client, home)}, follow_redirects=False)
            assert resp.status_code in (403, 404) and "出错了" in resp.text, (who, path, resp.status_code)
    assert count(world, SurveyResponse) == 0 and count(world, SchoolRating) == 0 and count(world, Survey) == 1


def test_term_end_job_is_on_the_beat_schedule_and_runs_in_the_worker(ctx, world: World, setup: Setup) -> None:
    from kehou.tasks import app as task_app
    from tests.celery_support import worker

    celery_app = task_app.configure(ctx.settings, ctx)
    assert celery_app.conf.beat_schedule["outcome-survey-term-end"]["task"] == "kehou.outcome.open_term_end_surveys"
    clock.advance(dt.timedelta(days=60))  # within the window of the term's end
    with worker(celery_app):
        assert celery_app.send_task("kehou.outcome.open_term_end_surveys").get(timeout=30) == 1
        assert celery_app.send_task("kehou.outcome.open_term_end_surveys").get(timeout=30) == 0
    assert count(world, Survey, Survey.reason == "term_end") == 1
