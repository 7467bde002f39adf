"""Permission rows and page listings of outcome reporting's supervision area (merged into
tests/test_permissions.py and tests/test_html_pages.py). States handled here start with
``outcome_supervision``:

- ``outcome_supervision``: two courses on a published menu of ``school`` (outcome reporting on),
  ``parent``'s child enrolled in the first; its first lesson delivered and the clock at 16:10 that day;
  a patrol of it by ``school_admin``, an open minor incident reported by the school and a complaint
  filed by ``parent`` about the course (received);
- ``outcome_supervision_assigned`` / ``outcome_supervision_investigated``: the complaint one or two
  steps further;
- ``outcome_supervision_enabled``: only the plugin switched on for the county;
- ``outcome_supervision_page``: as the first, but the complaint filed by ``school_admin`` and shared
  with the provider (for the page ``/complaints/{complaint}``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehou.plugins.outcome_reporting import complaints, incidents, patrols
from kehou.timeutil import SHANGHAI, clock
from tests import billing_setup as bs
from tests import media
from tests import outcome_setup as os_
from tests.factories import World
from tests.permission_table import ANON, DENIED, At, Case, PublicCase, refuse

JPEG = media.image("JPEG", "patrol-row")
PATROL_FORM = {"instructor_present": "yes", "instructor_matches": "yes", "on_topic": "yes", "non_academic": "yes",
               "safety_ok": "yes", "rating": "5", "notes": "秩序良好", "photos": ("课堂.jpg", JPEG, "image/jpeg")}
S = "outcome_supervision"
STRANGERS = refuse(*DENIED, "police", "admin")  # departments and the platform admin have no part in supervision
NOT_COUNTY_STAFF = ANON + STRANGERS + refuse(*DENIED, "parent", "school_admin", "provider") \
    + refuse(404, "complaint_not_found", "other_reviewer")

CASES: list[Case] = [
    # class patrols (tests/test_outcome_patrols.py for the rules)
    Case("GET", "/api/v1/patrols", ANON + STRANGERS + refuse(*DENIED, "parent"),
         allowed=("school_admin", "reviewer1", "provider", "other_reviewer", "other_provider"), state=S),
    Case("GET", "/api/v1/patrols/lessons", ANON + STRANGERS + refuse(*DENIED, "parent", "provider"),
         allowed=("school_admin", "reviewer1", "other_reviewer"), state=S),
    Case("POST", "/api/v1/lessons/{lesson_id:int}/patrols", ANON + STRANGERS + refuse(*DENIED, "parent", "provider")
         + refuse(404, "lesson_not_found", "other_reviewer", "other_school_admin"),
         allowed=("school_admin", "reviewer1"), ok_status=201, state=S, multipart=PATROL_FORM),
    Case("GET", "/api/v1/patrols/{patrol_id:int}", ANON + STRANGERS + refuse(*DENIED, "parent")
         + refuse(404, "patrol_not_found", "other_reviewer", "other_provider", "other_school_admin"),
         allowed=("school_admin", "reviewer1", "provider"), state=S),
    # complaints (tests/test_outcome_complaints.py)
    Case("GET", "/api/v1/complaints", ANON + STRANGERS,
         allowed=("reviewer1", "parent", "school_admin", "provider", "other_reviewer"), state=S),
    Case("POST", "/api/v1/complaints", ANON + STRANGERS + refuse(*DENIED, "provider", "reviewer1")
         + refuse(404, "entry_not_found", "other_parent", "other_school_admin"),
         allowed=("parent", "school_admin"), ok_status=201, state=S,
         body={"category": "fees", "text": "另收了清单外的材料费", "entry_id": At("entry_id")}),
    Case("GET", "/api/v1/complaints/{complaint_id:int}", ANON + STRANGERS
         + refuse(404, "complaint_not_found", "other_reviewer", "school_admin", "provider", "other_parent", "other_provider"),
         allowed=("reviewer1", "decider", "parent"), state=S),
    Case("POST", "/api/v1/complaints/{complaint_id:int}/assign", NOT_COUNTY_STAFF, allowed=("reviewer1",), state=S,
         body={"handler_id": At("handler_id"), "note": "请核实"}),
    Case("POST", "/api/v1/complaints/{complaint_id:int}/investigate", NOT_COUNTY_STAFF, allowed=("reviewer1",),
         state=f"{S}_assigned", body={"investigation": "核查收费记录"}),
    Case("POST", "/api/v1/complaints/{complaint_id:int}/resolve", NOT_COUNTY_STAFF, allowed=("reviewer1",),
         state=f"{S}_investigated", body={"finding": "partly", "resolution": "责令退还"}),
    Case("POST", "/api/v1/complaints/{complaint_id:int}/visibility", NOT_COUNTY_STAFF, allowed=("reviewer1",), state=S,
         body={"visible": True}),
    # safety incidents (tests/test_outcome_incidents.py)
    Case("GET", "/api/v1/incidents", ANON + STRANGERS + refuse(*DENIED, "parent"),
         allowed=("reviewer1", "school_admin", "provider", "other_reviewer"), state=S),
    Case("POST", "/api/v1/incidents", ANON + STRANGERS + refuse(*DENIED, "parent", "reviewer1")
         + refuse(404, "entry_not_found", "other_provider", "other_school_admin"),
         allowed=("school_admin", "provider"), ok_status=201, state=S,
         body={"entry_id": At("entry_id"), "severity": "minor", "occurred_at": At("occurred_at"),
               "description": "学生摔倒擦伤", "injured": 1}),
    Case("GET", "/api/v1/incidents/{incident_id:int}", ANON + STRANGERS + refuse(*DENIED, "parent")
         + refuse(404, "incident_not_found", "other_reviewer", "other_provider", "other_school_admin"),
         allowed=("reviewer1", "school_admin", "provider"), state=S),
    Case("POST", "/api/v1/incidents/{incident_id:int}/close", ANON + STRANGERS
         + refuse(*DENIED, "parent", "school_admin", "provider") + refuse(404, "incident_not_found", "other_reviewer"),
         allowed=("reviewer1",), state=S, body={"note": "已处理"}),
]
PUBLIC: list[PublicCase] = [
    PublicCase("POST", "/api/v1/public/counties/{code:str}/complaints", 201, state=f"{S}_enabled",
               body={"category": "safety", "text": "接送时段校门口拥堵", "anonymous": True}),
    PublicCase("GET", "/api/v1/public/complaints/{tracking_code:str}", state=S),
]
# HTML pages: path (with placeholders) -> roles that may open it; POST routes; GET routes tested elsewhere
HTML_GET: dict[str, set[str]] = {
    "/patrols/new": {"school_admin", "reviewer1", "decider", "other_reviewer"},  # each its own school's / county's lessons
    "/school/supervision": {"school_admin"},
    "/county/supervision": {"reviewer1", "decider", "other_reviewer"},  # each its own county
    "/provider/supervision": {"provider", "other_provider"},  # each its own courses
    "/parent/complaints": {"parent"},
    "/complaints/{complaint}": {"school_admin", "provider", "reviewer1", "decider"},  # filed by the school, shared
    # the county's and the school's lists, searched, filtered, paged and exported: tests/test_lists_supervision.py
    "/county/complaints": {"reviewer1", "decider", "other_reviewer"},  # each its own county's
    "/county/complaints.xlsx": {"reviewer1", "decider", "other_reviewer"},
    "/county/patrols": {"reviewer1", "decider", "other_reviewer"},
    "/county/patrols.xlsx": {"reviewer1", "decider", "other_reviewer"},
    "/school/complaints": {"school_admin"},  # the complaints the school filed
    "/school/complaints.xlsx": {"school_admin"},
    "/school/patrols": {"school_admin"},  # the patrols at the school
    "/school/patrols.xlsx": {"school_admin"},
}
# the public form and tracking (no login) and the photo links: tests/test_outcome_complaints.py, test_outcome_patrols.py
HTML_OTHER_GET: set[str] = {"/public/{code:str}/complaints/new", "/public/complaints/track",
                            "/patrols/{patrol_id:int}/photos/{index:int}"}
# tested in tests/test_outcome_patrols.py, test_outcome_complaints.py, test_outcome_incidents.py
HTML_POSTS: set[str] = {"/patrols", "/parent/complaints", "/school/complaints", "/complaints/{complaint_id:int}/{action:str}",
                        "/incidents", "/incidents/{incident_id:int}/close", "/public/{code:str}/complaints"}
PLACEHOLDERS: dict[str, str] = {"{complaint}": "{complaint_id:int}"}  # "{x}" -> "{x_id:int}"


def prepare(world: World, state: str) -> dict[str, Any]:
    """Path-parameter values for a row's state; fill placeholders of HTML_GET with the same names."""
    ctx = world.ctx
    if state == f"{S}_enabled":
        os_.enable(world)
        return {}
    known = (S, f"{S}_assigned", f"{S}_investigated", f"{S}_page")
    if state not in known:
        raise AssertionError(f"unknown state {state}")
    cat = os_.ready(world)
    entry = cat.entries["calligraphy"]
    bs.enrol(world, cat.students["xiaoming"], entry)
    lesson_id, day = bs.lesson_days(world, entry)[0]
    bs.deliver(world, lesson_id, {cat.students["xiaoming"]: "present"})
    clock.advance(dt.datetime.combine(day, dt.time(16, 10), tzinfo=SHANGHAI) - clock.now())
    values: dict[str, Any] = {"entry_id": entry, "lesson_id": lesson_id, "handler_id": world.users["reviewer2"].id,
                              "occurred_at": (clock.now() - dt.timedelta(hours=1)).isoformat()}
    with ctx.db.write_session() as s:
        values["patrol_id"] = patrols.record(ctx, s, world.actor("school_admin"), patrols.PatrolInput(
            lesson_id=lesson_id, instructor_present=True, instructor_matches=True, on_topic=True, non_academic=True,
            safety_ok=True, rating=4)).id
    with ctx.db.write_session() as s:
        values["incident_id"] = incidents.report(ctx, s, world.actor("school_admin"), incidents.IncidentInput(
            entry_id=entry, severity="minor", occurred_at=clock.now() - dt.timedelta(hours=2),
            description="学生跑动时摔倒擦伤", injured=1)).id
    who = "school_admin" if state == f"{S}_page" else "parent"
    with ctx.db.write_session() as s:
        c = complaints.submit(ctx, s, world.actor(who), complaints.ComplaintInput(
            category="fees", text="另收了清单外的材料费", entry_id=entry))
        values |= {"complaint_id": c.id, "complaint": c.id, "tracking_code": c.tracking_code}
    reviewer = world.actor("reviewer1")
    if state == f"{S}_page":
        with ctx.db.write_session() as s:
            complaints.set_visibility(ctx, s, reviewer, c.id, True)
        return {"complaint": c.id}
    if state in (f"{S}_assigned", f"{S}_investigated"):
        with ctx.db.write_session() as s:
            complaints.assign(ctx, s, reviewer, c.id, values["handler_id"])
    if state == f"{S}_investigated":
        with ctx.db.write_session() as s:
            complaints.investigate(ctx, s, reviewer, c.id, "核查收费记录")
    return values
