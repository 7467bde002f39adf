"""Chinese pages of outcome reporting's reports: the county dashboard (/county/outcomes) with inline SVG
charts, tables and exports, and a school's own page (/school/outcomes).

Thin: the services in ``report`` and ``report_jobs`` check roles, tenancy and the county's settings.
The export job's status is also served here as JSON (``/county/outcomes/jobs/{id}``) for the page's
small polling script, with the browser's session (the /api routes take tokens only). All text is in
:mod:`kehou.plugins.outcome_reporting.reports_text`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from kehou.platform.actor import Actor
from kehou.plugins.outcome_reporting import charts, report, report_jobs
from kehou.plugins.outcome_reporting import reports_text as T
from kehou.plugins.outcome_reporting.exports import shown
from kehou.plugins.outcome_reporting.report import CountyTermReport
from kehou.plugins.outcome_reporting.reports_api import file_response
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, render

Form = URLEncodedBody[dict[str, Any]]
Req = Request[Any, Any, Any]


def chart_set(r: CountyTermReport) -> dict[str, Any]:
    """The dashboard's charts: participation by school, places by category, terms compared, satisfaction."""
    t = r.total
    return {
        "coverage": charts.bars(T.CHARTS["coverage"], [(s.name, s.figures.students_rate) for s in r.schools],
                                maximum=100, css_id="chart-coverage"),
        "categories": charts.bars(T.CHARTS["categories"], [(c.category, float(c.enrolments)) for c in r.categories],
                                  unit="", css_id="chart-categories"),
        "history": charts.line(T.CHARTS["history"], [h.term_name for h in r.history], [
            (T.CHARTS["history_served"], [h.figures.students_rate for h in r.history]),
            (T.CHARTS["history_attendance"], [h.figures.attendance_rate for h in r.history]),
            (T.CHARTS["history_satisfied"], [h.figures.satisfied_rate for h in r.history])], css_id="chart-history"),
        "satisfaction": charts.bars(T.CHARTS["satisfaction"], [
            (T.CHARTS["parents"], t.satisfaction_mean), (T.CHARTS["satisfied"], t.satisfied_rate),
            (T.CHARTS["schools"], t.school_rating_mean)], unit="", maximum=100, css_id="chart-satisfaction"),
    }


def page(request: Req, actor: Actor, r: CountyTermReport | None, terms: list[str], **context: Any) -> Template:
    return render(request, "outcome/reports_dashboard.html", actor, T.DASHBOARD, r=r, terms=terms,
                  charts=chart_set(r) if r else {}, FIGURES=T.FIGURES, SCHOOL_COLUMNS=T.SCHOOL_COLUMNS,
                  HISTORY_COLUMNS=T.HISTORY_COLUMNS, CATEGORY=T.CATEGORY, FORMATS=T.FORMATS, JOB_STATUS=T.JOB_STATUS,
                  SCHOOL=T.SCHOOL, TERM=T.TERM, shown=shown, **context)


def _term(db: Session, county_code: str, term: str) -> str | None:
    known = report.terms_of(db, county_code)
    return term if term in known else report.default_term(db, county_code)


class CountyOutcomePages(Controller):
    path = "/county/outcomes"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def dashboard(self, request: Req, db: DB, ctx: Ctx, actor: Who, term: FromQuery[str] = "") -> Template:
        actor.require("county_staff")
        county = actor.county_code or ""
        report.require_county_staff(ctx, db, actor, county)
        chosen = _term(db, county, term)
        r = report.county_term(db, county, chosen) if chosen else None
        return page(request, actor, r, report.terms_of(db, county), jobs=report_jobs.recent(db, county),
                    export_action="/county/outcomes/exports")

    @post("/exports", sync_to_thread=True)
    def export(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("county_staff")
        term = field(data, "term")
        report_jobs.start(ctx, db, actor, actor.county_code or "", term, field(data, "fmt"))
        return done(request, f"/county/outcomes?term={quote(term)}#exports", T.DONE["export_started"])

    @get("/jobs/{job_id:int}", sync_to_thread=True)
    def job(self, job_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return report_jobs.job_out(report_jobs.job_for(ctx, db, actor, job_id))

    @get("/jobs/{job_id:int}/download", sync_to_thread=True)
    def download(self, job_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Response[bytes]:
        job, body = report_jobs.download(ctx, db, actor, job_id)
        return file_response(job, body)


class SchoolOutcomePages(Controller):
    path = "/school/outcomes"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def dashboard(self, request: Req, db: DB, ctx: Ctx, actor: Who, term: FromQuery[str] = "") -> Template:
        actor.require("school_admin")
        county = report.school_county(ctx, db, actor, int(actor.school_id or 0))
        chosen = _term(db, county, term)
        r = report.county_term(db, county, chosen, school_id=int(actor.school_id or 0)) if chosen else None
        return page(request, actor, r, report.terms_of(db, county), jobs=[], export_action="")


VIEW_ROUTES = [CountyOutcomePages, SchoolOutcomePages]
