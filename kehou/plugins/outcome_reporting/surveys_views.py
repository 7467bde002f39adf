"""Chinese web pages of satisfaction surveys and the term-end showcase: a parent's questionnaires
and a child's showcase, the school's ratings and publishing, the county's rounds, the provider's
anonymous results and uploads.

Thin on purpose: each handler turns form fields into a service call (:mod:`.surveys`,
:mod:`.showcase`), which check roles and ownership. All text is in :mod:`.surveys_text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import PermissionDenied
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting import access, showcase, surveys
from kehou.plugins.outcome_reporting import surveys_text as T
from kehou.plugins.outcome_reporting.models.surveys import Survey
from kehou.timeutil import clock, fmt_local
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, integer, render

Form = URLEncodedBody[dict[str, Any]]
Req = Request[Any, Any, Any]


def page(request: Req, template: str, actor: Actor, text: dict[str, str], **context: Any) -> Template:
    return render(request, f"outcome/{template}", actor, {**T.NAV, **text}, fmt_local=fmt_local, SCALE=T.SCALE,
                  STUDENT_SCALE=T.STUDENT_SCALE, RESPONDENTS=T.RESPONDENTS, REASONS=T.REASONS, KINDS=showcase.KINDS,
                  STATUS=showcase.STATUS, is_open=surveys.is_open, **context)


def enabled(ctx: Context, db: Session, county_code: str | None) -> bool:
    try:
        access.settings(ctx, db, county_code or "")
    except PermissionDenied:
        return False
    return True


def answers_from_form(form: dict[str, Any], codes: list[str]) -> dict[str, Any]:
    """``q_<code>`` fields -> {code: int}; a blank or non-number is passed on for the service to refuse."""
    out: dict[str, Any] = {}
    for code in codes:
        raw = field(form, f"q_{code}")
        if raw:
            out[code] = int(raw) if raw.isdecimal() else raw
    return out


def _links(ctx: Context, db: Session, actor: Actor, items: list[Any]) -> dict[int, str]:
    return {i.id: showcase.link(ctx, db, actor, i.id) for i in items}


@dataclass
class UploadForm:
    file: UploadFile
    kind: str = ""
    title: str = ""
    description: str = ""


# --- parents ---------------------------------------------------------------------------------------


class ParentSurveyPages(Controller):
    path = "/parent"
    include_in_schema = False

    @get("/surveys", sync_to_thread=True)
    def surveys_page(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        kids = [k for k in students.children_of(db, actor) if enabled(ctx, db, k.county_code)]
        tasks = {k.id: surveys.tasks_for_child(ctx, db, actor, k.id) for k in kids}
        questions = {s.id: s.questions for s in db.scalars(select(Survey).where(
            Survey.id.in_(sorted({t.survey_id for ts in tasks.values() for t in ts}))))}
        return page(request, "surveys_parent.html", actor, T.PARENT, kids=kids, tasks=tasks, questions=questions)

    @post("/surveys/{survey_id:int}/answer", sync_to_thread=True)
    def answer(self, request: Req, survey_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("parent")
        respondent = field(data, "respondent") or "parent"
        survey = surveys.get_survey(db, survey_id)
        codes = [q["code"] for q in surveys.questions_for(survey, respondent)]
        surveys.answer(ctx, db, actor, integer(data, "student_id", "学生"), survey_id,
                       entry_id=integer(data, "entry_id", T.PARENT["course"]), respondent=respondent,
                       answers=answers_from_form(data, codes), comment=field(data, "comment"))
        return done(request, "/parent/surveys", T.DONE["answered"])

    @get("/showcase/{student_id:int}", sync_to_thread=True)
    def showcase_page(self, request: Req, student_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Template:
        kid = students.child_of(db, actor, student_id)
        courses = showcase.for_child(ctx, db, actor, student_id)
        links = _links(ctx, db, actor, [i for c in courses for i in c["items"]])
        return page(request, "showcase_parent.html", actor, T.SHOWCASE_PARENT, kid=kid, courses=courses, links=links)


# --- schools ---------------------------------------------------------------------------------------


class SchoolSurveyPages(Controller):
    path = "/school"
    include_in_schema = False

    @get("/surveys", sync_to_thread=True)
    def surveys_page(self, request: Req, db: DB, ctx: Ctx, actor: Who, survey: FromQuery[int | None] = None) -> Template:
        actor.require("school_admin")
        school = students.school_of(db, actor, int(actor.school_id or 0))
        on = enabled(ctx, db, school.county_code)
        rounds = list(db.scalars(select(Survey).where(Survey.county_code == school.county_code).order_by(Survey.id.desc()))) \
            if on else []
        chosen = next((r for r in rounds if r.id == survey), rounds[0] if rounds else None)
        ratings = surveys.ratings_page(ctx, db, actor, school.id, chosen.id) if chosen else None
        results = surveys.summary(ctx, db, actor, chosen.id)["courses"] if chosen else []
        return page(request, "surveys_school.html", actor, T.SCHOOL, enabled=on, rounds=rounds, chosen=chosen, ratings=ratings,
                    results=results)

    @post("/surveys/{survey_id:int}/ratings", sync_to_thread=True)
    def rate(self, request: Req, survey_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("school_admin")
        codes = [q["code"] for q in surveys.questions_for(surveys.get_survey(db, survey_id), "school")]
        surveys.rate(ctx, db, actor, int(actor.school_id or 0), survey_id,
                     provider_id=integer(data, "provider_id", T.SCHOOL["provider"]),
                     answers=answers_from_form(data, codes), comment=field(data, "comment"))
        return done(request, f"/school/surveys?survey={survey_id}", T.DONE["rated"])

    @get("/showcase", sync_to_thread=True)
    def showcase_page(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("school_admin")
        school = students.school_of(db, actor, int(actor.school_id or 0))
        on = enabled(ctx, db, school.county_code)
        items = showcase.for_school(ctx, db, actor, school.id) if on else []
        titles = {c.entry_id: c.title for c in catalogue.courses(db, school_id=school.id)}
        return page(request, "showcase_school.html", actor, T.SHOWCASE_SCHOOL, enabled=on, items=items, titles=titles,
                    links=_links(ctx, db, actor, items))

    @post("/showcase/{item_id:int}/publish", sync_to_thread=True)
    def publish(self, request: Req, item_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        publish = field(data, "action") != "withdraw"
        showcase.publish(ctx, db, actor, item_id, publish=publish, reason=field(data, "reason"))
        return done(request, "/school/showcase", T.DONE["published" if publish else "withdrawn"])


# --- the county ------------------------------------------------------------------------------------


class CountySurveyPages(Controller):
    path = "/county/surveys"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Req, db: DB, ctx: Ctx, actor: Who, survey: FromQuery[int | None] = None) -> Template:
        actor.require("county_staff")
        county = str(actor.county_code)
        on = enabled(ctx, db, county)
        rounds = surveys.rounds_of_county(ctx, db, actor, county) if on else []
        published = [m for m in catalogue.menus(db, county_code=county) if m.status == "published"]
        terms = sorted({m.term_name for m in published})
        now = catalogue.current(published, clock.today_local())
        chosen = next((r for r in rounds if r.id == survey), rounds[0] if rounds else None)
        result = surveys.summary(ctx, db, actor, chosen.id) if chosen else None
        return page(request, "surveys_county.html", actor, T.COUNTY, enabled=on, rounds=rounds, terms=terms, chosen=chosen,
                    result=result, current=now.term_name if now else "")

    @post("/", sync_to_thread=True)
    def open_round(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("county_staff")
        s = surveys.open_round(ctx, db, actor, str(actor.county_code), field(data, "term_name"))
        return done(request, f"/county/surveys?survey={s.id}", T.DONE["opened"])


# --- providers -------------------------------------------------------------------------------------


class ProviderSurveyPages(Controller):
    path = "/provider"
    include_in_schema = False

    @get("/surveys", sync_to_thread=True)
    def surveys_page(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("provider")
        mine = catalogue.courses(db, provider_id=actor.provider_id)
        pairs = {(c.county_code, c.term_name) for c in mine}
        results = []
        for county in sorted({c for c, _ in pairs}):
            if not enabled(ctx, db, county):
                continue
            for s in db.scalars(select(Survey).where(Survey.county_code == county).order_by(Survey.id.desc())):
                if (county, s.term_name) in pairs and not surveys.is_open(s):
                    results.append(surveys.summary(ctx, db, actor, s.id))
        return page(request, "surveys_provider.html", actor, T.PROVIDER, results=results)

    @get("/showcase", sync_to_thread=True)
    def showcase_page(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("provider")
        courses = [c for c in catalogue.courses(db, provider_id=actor.provider_id)
                   if c.menu_status == "published" and enabled(ctx, db, c.county_code)]
        items = showcase.for_provider(db, actor)
        schools = dict(db.execute(select(School.id, School.name)
                                  .where(School.id.in_(sorted({c.school_id for c in courses})))).all())
        return page(request, "showcase_provider.html", actor, T.SHOWCASE_PROVIDER, courses=courses, items=items, schools=schools,
                    links=_links(ctx, db, actor, [i for i in items if any(c.entry_id == i.entry_id for c in courses)]))

    @post("/showcase/{entry_id:int}", sync_to_thread=True)
    def upload(self, request: Req, entry_id: FromPath[int], data: MultipartBody[UploadForm], db: DB, ctx: Ctx,
               actor: Who) -> Redirect:
        _, created = showcase.upload(ctx, db, actor, entry_id, kind=(data.kind or "").strip(), title=data.title,
                                     description=data.description, filename=data.file.filename or "", data=data.file.file.read())
        return done(request, "/provider/showcase", T.DONE["uploaded" if created else "duplicate"])


HTML_ROUTES = [ParentSurveyPages, SchoolSurveyPages, CountySurveyPages, ProviderSurveyPages]
