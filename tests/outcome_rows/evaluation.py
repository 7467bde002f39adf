"""Permission rows and page listings of outcome reporting's evaluation area (merged into
tests/test_permissions.py and tests/test_html_pages.py). States handled here start with
``outcome_evaluation``: ``outcome_evaluation_term`` (a published menu with a course of ``provider``),
``outcome_evaluation_run`` (and ``outcome_evaluation_page``: a draft run computed for it)."""

from __future__ import annotations

from typing import Any

from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests import outcome_setup as oset
from tests.factories import COUNTY, World
from tests.permission_table import ANON, DENIED, At, Case, PublicCase, refuse

RUN_404 = (404, "evaluation_not_found")
NOT_COUNTY_STAFF = ANON + refuse(*DENIED, "provider", "parent", "school_admin", "police")
NOT_THIS_COUNTY = refuse(404, "county_not_found", "other_reviewer", "other_decider")

CASES: list[Case] = [
    Case("POST", "/api/v1/counties/{code:str}/evaluations", NOT_COUNTY_STAFF + NOT_THIS_COUNTY, ("reviewer1",), 201,
         state="outcome_evaluation_term", body={"term_name": At("term_name")}),
    Case("GET", "/api/v1/counties/{code:str}/evaluations", NOT_COUNTY_STAFF + NOT_THIS_COUNTY,
         ("reviewer1", "decider", "admin"), state="outcome_evaluation_run"),
    Case("GET", "/api/v1/evaluations/{run_id:int}", NOT_COUNTY_STAFF + refuse(*RUN_404, "other_reviewer", "other_decider"),
         ("reviewer1", "decider", "admin"), state="outcome_evaluation_run"),
    Case("POST", "/api/v1/evaluations/{run_id:int}/publish",
         NOT_COUNTY_STAFF + refuse(*RUN_404, "other_reviewer", "other_decider")
         + refuse(403, "decide_right_required", "reviewer1"), ("decider",), state="outcome_evaluation_run"),
    Case("GET", "/api/v1/providers/me/evaluations", ANON + refuse(*DENIED, "reviewer1", "decider", "parent", "school_admin"),
         ("provider", "other_provider"), state="outcome_evaluation_run"),
]
PUBLIC: list[PublicCase] = []
HTML_GET: dict[str, set[str]] = {
    "/county/evaluations": {"reviewer1", "decider", "other_reviewer"},  # each its own county's runs
    "/county/evaluations/{evaluation}": {"reviewer1", "decider"},
    "/provider/evaluations": {"provider", "other_provider"},  # each its own results
}
HTML_OTHER_GET: set[str] = set()
# POST forms: tests/test_outcome_evaluation_pages.py
HTML_POSTS: set[str] = {"/county/evaluations", "/county/evaluations/{run_id:int}/publish"}
PLACEHOLDERS: dict[str, str] = {"{evaluation}": "{run_id:int}"}


def prepare(world: World, state: str) -> dict[str, Any]:
    from kehou.plugins.outcome_reporting import evaluation

    cat = cs.ready(world)
    oset.enable(world)
    values: dict[str, Any] = {"term_name": bs.term_name(world, cat.menu_id)}
    if state == "outcome_evaluation_term":
        return values
    assert state in ("outcome_evaluation_run", "outcome_evaluation_page"), state
    with world.ctx.db.write_session() as s:
        run = evaluation.compute(world.ctx, s, world.actor("reviewer1"), COUNTY, values["term_name"])
        values |= {"run_id": run.id, "evaluation": run.id}
    return values
