"""Permission rows and page listings of outcome reporting's reports area (merged into
tests/test_permissions.py and tests/test_html_pages.py). States handled here start with
``outcome_reports``: ``outcome_reports`` (the county's catalogue with outcome reporting on),
``outcome_reports_job`` (an export queued) and ``outcome_reports_done`` (an export made).

The dashboard pages have no placeholder, so tests/test_html_pages.py would not prepare the county for
them; they are listed in ``HTML_OTHER_GET`` and their refusals are tested in tests/test_outcome_reports.py
(``test_pages_open_for_their_users_only``, ``test_dashboard_export_form_job_status_and_download``)."""

from __future__ import annotations

from typing import Any

from tests.factories import World
from tests.permission_table import ANON, DENIED, At, Case, PublicCase, refuse

JOB_404 = (404, "report_job_not_found")
NOT_COUNTY_STAFF = ANON + refuse(*DENIED, "provider", "other_provider", "parent", "school_admin", "police", "other_police",
                                 "other_school_admin")

CASES: list[Case] = [
    Case("GET", "/api/v1/counties/{code:str}/outcome-report", NOT_COUNTY_STAFF + refuse(*DENIED, "other_reviewer"),
         allowed=("reviewer1", "decider", "admin"), state="outcome_reports"),
    Case("GET", "/api/v1/schools/{school_id:int}/outcome-report", ANON + refuse(*DENIED, "provider", "parent", "police")
         + refuse(404, "school_not_found", "other_reviewer", "other_school_admin"),
         allowed=("school_admin", "reviewer1", "admin"), state="outcome_reports"),
    Case("POST", "/api/v1/counties/{code:str}/outcome-report/exports", NOT_COUNTY_STAFF + refuse(*DENIED, "other_reviewer"),
         allowed=("reviewer1",), ok_status=202, state="outcome_reports", body={"term_name": At("term_name"), "fmt": "xlsx"}),
    Case("GET", "/api/v1/outcome-report-jobs/{job_id:int}", NOT_COUNTY_STAFF + refuse(*JOB_404, "other_reviewer"),
         allowed=("reviewer1", "decider", "admin"), state="outcome_reports_job"),
    Case("GET", "/api/v1/outcome-report-jobs/{job_id:int}/download", NOT_COUNTY_STAFF + refuse(*JOB_404, "other_reviewer"),
         allowed=("reviewer1", "decider", "admin"), state="outcome_reports_done"),
]
PUBLIC: list[PublicCase] = []
# HTML pages: path (with placeholders) -> roles that may open it; POST routes; GET routes tested elsewhere
HTML_GET: dict[str, set[str]] = {}
HTML_OTHER_GET: set[str] = {"/county/outcomes", "/school/outcomes", "/county/outcomes/jobs/{job_id:int}",
                            "/county/outcomes/jobs/{job_id:int}/download"}
HTML_POSTS: set[str] = {"/county/outcomes/exports"}
PLACEHOLDERS: dict[str, str] = {}  # "{x}" -> "{x_id:int}"


def prepare(world: World, state: str) -> dict[str, Any]:
    """Path-parameter values for a row's state; fill placeholders of HTML_GET with the same names."""
    from kehou.plugins.outcome_reporting import report_jobs
    from tests import billing_setup as bs
    from tests import outcome_setup as ot
    from tests.factories import COUNTY

    if not state.startswith("outcome_reports"):
        raise AssertionError(f"unknown state {state}")
    cat = ot.ready(world)
    values: dict[str, Any] = {"school_id": world.school_ids["school"], "term_name": bs.term_name(world, cat.menu_id)}
    if state == "outcome_reports":
        return values
    with world.ctx.db.write_session() as s:
        job, _ = report_jobs.start(world.ctx, s, world.actor("reviewer1"), COUNTY, values["term_name"], "xlsx")
    values["job_id"] = job.id
    if state == "outcome_reports_done":
        assert report_jobs.execute(world.ctx, job.id) == "done"
    elif state != "outcome_reports_job":
        raise AssertionError(f"unknown state {state}")
    return values
