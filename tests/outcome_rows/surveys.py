"""Permission rows and page listings of outcome reporting's surveys area (merged into
tests/test_permissions.py and tests/test_html_pages.py). States handled here start with
``outcome_surveys``:

- ``outcome_surveys``: the catalogue of :func:`tests.outcome_setup.ready` with ``parent``'s child
  enrolled in calligraphy, and a round opened by ``reviewer1`` for the term (survey_id);
- ``outcome_surveys_closed``: that round answered once and closed (the clock past its end);
- ``outcome_surveys_showcase``: a photo uploaded by ``provider`` for calligraphy (item_id);
- ``outcome_surveys_published``: that photo published by ``school_admin``;
- ``outcome_surveys_page``: the page placeholders (``{student}``: the enrolled child).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehou.timeutil import clock
from tests import media
from tests.factories import World
from tests.permission_table import ANON, DENIED, At, Case, PublicCase, refuse

JPEG = media.image("JPEG", "showcase-photo")
ANSWERS = {"overall": 5, "content": 4, "teaching": 5, "safety": 4, "communication": 3}
SCHOOL_ANSWERS = {"overall": 4, "punctual": 5, "quality": 4, "cooperation": 4}

SURVEY_404 = (404, "survey_not_found")
# Actors refused by a parent's survey and showcase operations on their child: not one of its guardians.
NOT_THE_PARENT = refuse(*DENIED, "school_admin", "provider", "reviewer1") + refuse(404, "student_not_found", "other_parent")
# Actors refused by the school's ratings: not its administrator.
NOT_THIS_SCHOOL = refuse(*DENIED, "parent", "provider", "reviewer1") + refuse(404, "school_not_found", "other_school_admin")
# Actors refused by the county's rounds: not county staff of the county.
NOT_COUNTY_STAFF = refuse(*DENIED, "provider", "parent", "school_admin", "police", "other_reviewer")
ITEM_404 = (404, "showcase_item_not_found")
COURSE_404 = (404, "course_not_found")

CASES: list[Case] = [
    Case("GET", "/api/v1/counties/{code:str}/surveys", ANON + NOT_COUNTY_STAFF, allowed=("reviewer1", "decider", "admin"),
         state="outcome_surveys"),
    Case("POST", "/api/v1/counties/{code:str}/surveys", ANON + NOT_COUNTY_STAFF + refuse(*DENIED, "admin"),
         allowed=("reviewer1",), ok_status=201, state="outcome_surveys_page", body={"term_name": At("term_name")}),
    Case("GET", "/api/v1/surveys/{survey_id:int}/summary", ANON + refuse(*DENIED, "parent", "police")
         + refuse(*SURVEY_404, "other_reviewer", "other_provider", "other_school_admin"),
         allowed=("reviewer1", "decider", "school_admin", "provider", "admin"), state="outcome_surveys_closed"),
    Case("GET", "/api/v1/children/{student_id:int}/surveys", ANON + NOT_THE_PARENT, allowed=("parent",),
         state="outcome_surveys"),
    Case("POST", "/api/v1/children/{student_id:int}/surveys/{survey_id:int}/answers", ANON + NOT_THE_PARENT,
         allowed=("parent",), ok_status=201, state="outcome_surveys",
         body={"entry_id": At("entry_id"), "answers": ANSWERS, "comment": "老师很用心"}),
    Case("GET", "/api/v1/schools/{school_id:int}/surveys/{survey_id:int}/ratings", ANON + NOT_THIS_SCHOOL,
         allowed=("school_admin", "admin"), state="outcome_surveys"),
    Case("POST", "/api/v1/schools/{school_id:int}/surveys/{survey_id:int}/ratings", ANON + NOT_THIS_SCHOOL
         + refuse(*DENIED, "admin"), allowed=("school_admin",), ok_status=201, state="outcome_surveys",
         body={"provider_id": At("provider_id"), "answers": SCHOOL_ANSWERS}),
    Case("GET", "/api/v1/entries/{entry_id:int}/showcase", ANON + refuse(*DENIED, "parent", "reviewer1", "admin")
         + refuse(*COURSE_404, "other_provider", "other_school_admin"), allowed=("provider", "school_admin"),
         state="outcome_surveys_showcase"),
    Case("POST", "/api/v1/entries/{entry_id:int}/showcase", ANON + refuse(*DENIED, "parent", "reviewer1", "school_admin")
         + refuse(*COURSE_404, "other_provider"), allowed=("provider",), ok_status=201, state="outcome_surveys",
         multipart={"file": ("结业作品.jpg", JPEG, "image/jpeg"), "kind": "photo", "title": "书法作品展"}),
    Case("POST", "/api/v1/showcase/{item_id:int}/publish", ANON + refuse(*DENIED, "parent", "provider", "reviewer1")
         + refuse(*ITEM_404, "other_school_admin"), allowed=("school_admin",), state="outcome_surveys_showcase",
         body={"publish": True}),
    Case("GET", "/api/v1/showcase/{item_id:int}/link", ANON + refuse(*ITEM_404, "other_parent", "other_provider",
                                                                       "other_school_admin", "other_reviewer", "police"),
         allowed=("parent", "provider", "school_admin", "reviewer1", "admin"), state="outcome_surveys_published"),
    Case("GET", "/api/v1/children/{student_id:int}/showcase", ANON + NOT_THE_PARENT, allowed=("parent",),
         state="outcome_surveys_published"),
]
PUBLIC: list[PublicCase] = []
# HTML pages: path (with placeholders) -> roles that may open it; POST routes; GET routes tested elsewhere
HTML_GET: dict[str, set[str]] = {
    "/parent/surveys": {"parent"},
    "/school/surveys": {"school_admin"},
    "/county/surveys": {"reviewer1", "decider", "other_reviewer"},  # each its own county's rounds
    "/provider/surveys": {"provider", "other_provider"},  # each its own courses
    "/provider/showcase": {"provider", "other_provider"},
    "/school/showcase": {"school_admin"},
    "/parent/showcase/{student}": {"parent"},
}
HTML_OTHER_GET: set[str] = set()
# tested in tests/test_outcome_surveys.py and tests/test_outcome_showcase.py
HTML_POSTS: set[str] = {"/parent/surveys/{survey_id:int}/answer", "/school/surveys/{survey_id:int}/ratings", "/county/surveys",
                        "/provider/showcase/{entry_id:int}", "/school/showcase/{item_id:int}/publish"}
PLACEHOLDERS: dict[str, str] = {"{student}": "{student_id:int}"}  # "{x}" -> "{x_id:int}"


def prepare(world: World, state: str) -> dict[str, Any]:
    """Path-parameter values for a row's state; fill placeholders of HTML_GET with the same names."""
    from kehou.platform.privacy import consent
    from kehou.plugins.outcome_reporting import showcase, surveys
    from tests import billing_setup as bs
    from tests import outcome_setup as os_

    cat = os_.ready(world)
    sid, entry = cat.students["xiaoming"], cat.entries["calligraphy"]
    bs.enrol(world, sid, entry)
    values: dict[str, Any] = {"student": sid, "student_id": sid, "entry_id": entry, "school_id": world.school_ids["school"]}
    ctx = world.ctx
    values["term_name"] = bs.term_name(world, cat.menu_id)
    if state == "outcome_surveys_page":
        return values
    with ctx.db.write_session() as s:
        values["survey_id"] = surveys.open_round(ctx, s, world.actor("reviewer1"), world.users["reviewer1"].county_code,
                                                 values["term_name"]).id
    if state == "outcome_surveys":
        return values
    if state == "outcome_surveys_closed":
        with ctx.db.write_session() as s:
            surveys.answer(ctx, s, world.actor("parent"), sid, values["survey_id"], entry_id=entry, respondent="parent",
                           answers=ANSWERS)
        clock.advance(dt.timedelta(days=15))
        return values
    with ctx.db.write_session() as s:
        values["item_id"] = showcase.upload(ctx, s, world.actor("provider"), entry, kind="photo", title="课堂照片",
                                            description="", filename="photo.jpg", data=JPEG)[0].id
    with ctx.db.write_session() as s:  # the family agreed to the showcase of photos (kehou/platform/privacy/consent.py)
        consent.give(s, world.actor("parent"), "showcase")
    if state == "outcome_surveys_showcase":
        return values
    with ctx.db.write_session() as s:
        showcase.publish(ctx, s, world.actor("school_admin"), values["item_id"], publish=True)
    assert state == "outcome_surveys_published", state
    return values
