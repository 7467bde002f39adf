"""Chinese web pages of supervision: the phone form for a class patrol, each role's overview
(school, county, provider, parent), the county's and the school's complaints and patrols lists (searched,
filtered, paged, exported to Excel), one complaint with the county's steps, and the public complaint
form with tracking by code.

Thin: each handler turns form fields into a service call; the services check roles and ownership.
A refused form comes back as a flash message (:mod:`kehou.web.errors`). Text: ``supervision_text``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, PermissionDenied, ValidationFailed
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.counties.models import Region, School
from kehou.platform.providers.models import Provider, Staff
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting import complaints, incidents, patrols
from kehou.plugins.outcome_reporting import supervision_text as T
from kehou.plugins.outcome_reporting.access import settings
from kehou.plugins.outcome_reporting.supervision_api import PatrolForm, patrol_input
from kehou.timeutil import SHANGHAI, UTC, clock, fmt_local
from kehou.web.deps import DB, Ctx, Who
from kehou.web.listing import EXPORT_MAX, Listing, xlsx
from kehou.web.pages import done, field, integer, render

Form = URLEncodedBody[dict[str, Any]]
Req = Request[Any, Any, Any]
HOME_OF = {"school_admin": "/school/supervision", "county_staff": "/county/supervision", "provider": "/provider/supervision",
           "parent": "/parent/complaints"}
# the complaints and patrols lists of a county (all of its county's) and a school (its own); the export: the path + ".xlsx"
LISTS = {"county_staff": {"complaints": "/county/complaints", "patrols": "/county/patrols"},
         "school_admin": {"complaints": "/school/complaints", "patrols": "/school/patrols"}}
PREVIEW = 20  # rows of each list on the county's and the school's overview; all of them on the list pages


def page(request: Req, template: str, actor: Actor, text: dict[str, str], **context: Any) -> Template:
    return render(request, f"outcome/{template}", actor, {**T.NAV, **text}, CATEGORY=T.CATEGORY, STATUS=T.STATUS,
                  FINDING=T.FINDING, SOURCE=T.SOURCE, SEVERITY=T.SEVERITY, STEP=T.STEP, CHECK=T.CHECK,
                  hhmm=lambda m: f"{m // 60:02d}:{m % 60:02d}", **context)


def enabled(ctx: Context, db: Session, county_code: str | None) -> bool:
    try:
        settings(ctx, db, county_code or "")
    except PermissionDenied:
        return False
    return True


def names(db: Session, model: Any, ids: set[int | None]) -> dict[int, str]:
    wanted = sorted(i for i in ids if i is not None)
    return dict(db.execute(select(model.id, model.name).where(model.id.in_(wanted))).all()) if wanted else {}


def titles(db: Session, entry_ids: set[int | None]) -> dict[int, str]:
    return {c.entry_id: c.title for c in (catalogue.course(db, e) for e in sorted(i for i in entry_ids if i)) if c}


def lookups(db: Session, rows: list[Any]) -> dict[str, Any]:
    return {"school_names": names(db, School, {r.school_id for r in rows}),
            "provider_names": names(db, Provider, {r.provider_id for r in rows}),
            "course_titles": titles(db, {r.entry_id for r in rows})}


def local_datetime(raw: str, label: str, name: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw.strip().replace(" ", "T"))
    except ValueError:
        raise ValidationFailed(T.ERRORS["datetime"].format(label=label), code="datetime_invalid", field=name) from None
    return (value if value.tzinfo else value.replace(tzinfo=SHANGHAI)).astimezone(UTC)


def optional_int(form: dict[str, Any], name: str, label: str) -> int | None:
    return integer(form, name, label) if field(form, name) else None


def overview(ctx: Context, db: Session, actor: Actor, county_code: str | None) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if actor.role in LISTS:  # long lists: the first rows here (the county's queue order), all of them on the list pages
        first = Listing(per_page=PREVIEW)
        crows, ctotal = first.fetch(db, complaints.list_stmt(actor))
        prows, ptotal = first.fetch(db, patrols.list_stmt(db, actor))
        cs, ps = [c for c, in crows], [p for p, in prows]
        extra = {"list_paths": LISTS[actor.role], "complaints_total": ctotal, "patrols_total": ptotal}
    else:
        ps = patrols.list_for(db, actor)
        cs = complaints.list_for(db, actor)
    inc = incidents.list_for(db, actor)
    return {"patrols": ps, "complaints": cs, "incidents": inc, "today": clock.today_local(), "is_overdue": complaints.is_overdue,
            "enabled": enabled(ctx, db, county_code) if county_code else True, **lookups(db, [*ps, *cs, *inc]), **extra}


def provider_filter(params: Any) -> int | None:
    raw = str(params.get("provider") or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise ValidationFailed(T.ERRORS["provider"], code="provider_invalid", field="provider")
    return int(raw)


def provider_choices(db: Session, ids: set[int]) -> list[tuple[int, str]]:
    return sorted(names(db, Provider, set(ids)).items(), key=lambda kv: (kv[1], kv[0]))


def user_names(db: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = sorted(i for i in ids if i is not None)
    return dict(db.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all()) if wanted else {}


def complaint_list(request: Req, actor: Actor) -> tuple[Listing, str, int | None, Any]:
    """The list's search, filters and statement from the query (``q``, ``status``, ``provider``, ``page``)."""
    listing = Listing.parse(request.query_params, keep=("status", "provider"))
    status = str(request.query_params.get("status") or "").strip()
    provider = provider_filter(request.query_params)
    return listing, status, provider, complaints.list_stmt(actor, search=listing.q, status=status, provider_id=provider)


def patrol_list(request: Req, db: Session, actor: Actor, titles: dict[int, str]) -> tuple[Listing, int | None, Any]:
    listing = Listing.parse(request.query_params, keep=("provider",))
    provider = provider_filter(request.query_params)
    return listing, provider, patrols.list_stmt(db, actor, search=listing.q, provider_id=provider, titles=titles)


def complaints_page(request: Req, db: Session, ctx: Context, actor: Actor) -> Template:
    listing, status, provider, stmt = complaint_list(request, actor)
    rows, total = listing.fetch(db, stmt)
    found = [c for c, in rows]
    where = "county" if actor.role == "county_staff" else "school"
    return page(request, "supervision_complaints.html", actor, T.LISTS | {"title": T.LISTS[f"title_complaints_{where}"]},
                complaints=found, total=total, listing=listing, status=status, provider=provider,
                choices=provider_choices(db, complaints.provider_ids(db, actor)), path=LISTS[actor.role]["complaints"],
                today=clock.today_local(), is_overdue=complaints.is_overdue, enabled=enabled(ctx, db, actor.county_code),
                **lookups(db, found))


def complaints_export(request: Req, db: Session, actor: Actor) -> Response[bytes]:
    """The filtered complaints as Excel: an anonymous complaint without anyone's name or phone."""
    _listing, _status, _provider, stmt = complaint_list(request, actor)
    found = list(db.scalars(stmt.limit(EXPORT_MAX)))
    titles = patrols.scope_courses(db, actor)
    schools, providers = names(db, School, {c.school_id for c in found}), names(db, Provider, {c.provider_id for c in found})
    users = user_names(db, {c.submitter_id for c in found if not c.anonymous} | {c.assigned_to for c in found})
    today, t = clock.today_local(), T.LISTS

    def row(c: Any) -> list[Any]:
        if c.anonymous:  # never a name or a phone, whatever was typed
            who = t["anonymous"]
        else:
            who = c.contact_name or (users.get(c.submitter_id, "") if c.submitter_id else "")
        return [c.tracking_code, fmt_local(c.received_at), T.SOURCE.get(c.source, c.source),
                T.CATEGORY.get(c.category, c.category),
                providers.get(c.provider_id, ""), titles.get(c.entry_id, "") if c.entry_id else "", schools.get(c.school_id, ""),
                T.STATUS.get(c.status, c.status), t["yes"] if complaints.is_overdue(c, today) else t["no"],
                c.assign_by.isoformat(), c.resolve_by.isoformat(), c.text, who, "" if c.anonymous else (c.contact_phone or ""),
                users.get(c.assigned_to, "") if c.assigned_to else "", T.FINDING.get(c.finding, "") if c.finding else "",
                c.resolution, fmt_local(c.resolved_at), t["yes"] if c.visible_to_provider else t["no"]]

    headers = [t[k] for k in ("code", "received_at", "source", "category", "provider", "course", "school", "status", "overdue",
                              "assign_by", "resolve_by", "text", "complainant", "phone", "handler", "finding", "resolution",
                              "resolved_at", "shared")]
    return xlsx(t["sheet_complaints"], headers, (row(c) for c in found), "complaints")


def patrols_page(request: Req, db: Session, ctx: Context, actor: Actor) -> Template:
    listing, provider, stmt = patrol_list(request, db, actor, patrols.scope_courses(db, actor))
    rows, total = listing.fetch(db, stmt)
    found = [p for p, in rows]
    where = "county" if actor.role == "county_staff" else "school"
    return page(request, "supervision_patrols.html", actor, T.LISTS | {"title": T.LISTS[f"title_patrols_{where}"]},
                patrols=found, total=total, listing=listing, provider=provider,
                choices=provider_choices(db, patrols.provider_ids(db, actor)), path=LISTS[actor.role]["patrols"],
                patrollers=user_names(db, {p.inspector_id for p in found}), enabled=enabled(ctx, db, actor.county_code),
                **lookups(db, found))


def patrols_export(request: Req, db: Session, actor: Actor) -> Response[bytes]:
    titles = patrols.scope_courses(db, actor)
    _listing, _provider, stmt = patrol_list(request, db, actor, titles)
    found = list(db.scalars(stmt.limit(EXPORT_MAX)))
    schools, providers = names(db, School, {p.school_id for p in found}), names(db, Provider, {p.provider_id for p in found})
    people, t = user_names(db, {p.inspector_id for p in found}), T.LISTS
    headers = [t[k] for k in ("day", "school", "provider", "course", "term", "kind", "patroller", "rating", "problems", "notes",
                              "photos", "recorded_at")]
    rows = ([p.day.isoformat(), schools.get(p.school_id, ""), providers.get(p.provider_id, ""), titles.get(p.entry_id, ""),
             p.term_name, t["kind_school"] if p.inspector_kind == "school" else t["kind_county"], people.get(p.inspector_id, ""),
             p.rating, "、".join(patrols.FAILED_LABELS[k] for k in patrols.failed_checks(p)) or t["ok"], p.notes,
             len(p.photos or []), fmt_local(p.created_at)] for p in found)
    return xlsx(t["sheet_patrols"], headers, rows, "patrols")


class SupervisionPages(Controller):
    include_in_schema = False

    # --- patrols --------------------------------------------------------------------------------

    @get("/patrols/new", sync_to_thread=True)
    def patrol_form(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("school_admin", "county_staff")
        on = enabled(ctx, db, actor.county_code)
        rows = patrols.lesson_choices(db, actor) if on else []
        schools = names(db, School, {r["school_id"] for r in rows})
        staff = names(db, Staff, {r["instructor_id"] for r in rows} | {r["checked_in_staff_id"] for r in rows})
        return page(request, "supervision_patrol_new.html", actor, T.PATROL_NEW, rows=rows, schools=schools, staff=staff,
                    enabled=on, checks=patrols.CHECKS)

    @post("/patrols", sync_to_thread=True)
    def patrol_create(self, request: Req, data: MultipartBody[PatrolForm], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("school_admin", "county_staff")
        patrols.record(ctx, db, actor, patrol_input(data))
        return done(request, f"{HOME_OF[actor.role]}#patrols", T.DONE["patrol"])

    @get("/patrols/{patrol_id:int}/photos/{index:int}", sync_to_thread=True)
    def photo(self, patrol_id: FromPath[int], index: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        return Redirect(path=patrols.photo_url(ctx, db, actor, patrol_id, index), status_code=303)

    # --- each role's overview -------------------------------------------------------------------

    @get("/school/supervision", sync_to_thread=True)
    def school(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("school_admin")
        courses = [c for c in catalogue.courses(db, school_id=actor.school_id) if c.status == "open"]
        return page(request, "supervision_home.html", actor, T.HOME | {"title": T.HOME["title_school"]},
                    **overview(ctx, db, actor, actor.county_code), courses=courses,
                    providers=names(db, Provider, {c.provider_id for c in courses}))

    @get("/county/supervision", sync_to_thread=True)
    def county(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("county_staff")
        return page(request, "supervision_home.html", actor, T.HOME | {"title": T.HOME["title_county"]},
                    **overview(ctx, db, actor, actor.county_code), courses=[], providers={})

    # --- the county's and the school's lists: search, filters, pages of 50, Excel ------------------

    @get("/county/complaints", sync_to_thread=True)
    def county_complaints(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("county_staff")
        return complaints_page(request, db, ctx, actor)

    @get("/county/complaints.xlsx", sync_to_thread=True)
    def county_complaints_xlsx(self, request: Req, db: DB, actor: Who) -> Response[bytes]:
        actor.require("county_staff")
        return complaints_export(request, db, actor)

    @get("/county/patrols", sync_to_thread=True)
    def county_patrols(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("county_staff")
        return patrols_page(request, db, ctx, actor)

    @get("/county/patrols.xlsx", sync_to_thread=True)
    def county_patrols_xlsx(self, request: Req, db: DB, actor: Who) -> Response[bytes]:
        actor.require("county_staff")
        return patrols_export(request, db, actor)

    @get("/school/complaints", sync_to_thread=True)
    def school_complaints(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("school_admin")
        return complaints_page(request, db, ctx, actor)

    @get("/school/complaints.xlsx", sync_to_thread=True)
    def school_complaints_xlsx(self, request: Req, db: DB, actor: Who) -> Response[bytes]:
        actor.require("school_admin")
        return complaints_export(request, db, actor)

    @get("/school/patrols", sync_to_thread=True)
    def school_patrols(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("school_admin")
        return patrols_page(request, db, ctx, actor)

    @get("/school/patrols.xlsx", sync_to_thread=True)
    def school_patrols_xlsx(self, request: Req, db: DB, actor: Who) -> Response[bytes]:
        actor.require("school_admin")
        return patrols_export(request, db, actor)

    @get("/provider/supervision", sync_to_thread=True)
    def provider(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("provider")
        courses = [c for c in catalogue.courses(db, provider_id=actor.provider_id) if c.status == "open"]
        return page(request, "supervision_home.html", actor, T.HOME | {"title": T.HOME["title_provider"]},
                    **overview(ctx, db, actor, None), courses=courses, providers={},
                    course_schools=names(db, School, {c.school_id for c in courses}))

    @get("/parent/complaints", sync_to_thread=True)
    def parent(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("parent")
        from kehou.platform.students import services as students

        kids = {k.id: k.name for k in students.children_of(db, actor)}
        enrolled = [e for e in catalogue.enrolments(db) if e.student_id in kids and e.status == "enrolled"] if kids else []
        rows = complaints.list_for(db, actor)
        return page(request, "supervision_home.html", actor, T.HOME | {"title": T.HOME["title_parent"]},
                    patrols=[], incidents=[], complaints=rows, today=clock.today_local(), is_overdue=complaints.is_overdue,
                    enabled=enabled(ctx, db, actor.county_code), enrolled=enrolled, kids=kids, **lookups(db, rows),
                    courses=[], providers={})

    # --- complaints -----------------------------------------------------------------------------

    @post("/parent/complaints", sync_to_thread=True)
    def parent_complain(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("parent")
        c = complaints.submit(ctx, db, actor, complaints.ComplaintInput(
            category=field(data, "category"), text=field(data, "text"),
            entry_id=optional_int(data, "entry_id", T.HOME["course"])))
        return done(request, "/parent/complaints", T.DONE["complaint"].format(code=c.tracking_code))

    @post("/school/complaints", sync_to_thread=True)
    def school_complain(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("school_admin")
        c = complaints.submit(ctx, db, actor, complaints.ComplaintInput(
            category=field(data, "category"), text=field(data, "text"), entry_id=optional_int(data, "entry_id", T.HOME["course"]),
            provider_id=optional_int(data, "provider_id", T.HOME["provider"])))
        return done(request, "/school/supervision#complaints", T.DONE["complaint"].format(code=c.tracking_code))

    @get("/complaints/{complaint_id:int}", sync_to_thread=True)
    def complaint(self, request: Req, complaint_id: FromPath[int], db: DB, actor: Who) -> Template:
        c = complaints.get(db, actor, complaint_id)
        handlers = list(db.scalars(select(User).where(User.county_code == c.county_code, User.role == "county_staff",
                                                      User.is_active.is_(True)).order_by(User.id))) \
            if actor.role == "county_staff" else []
        users = {u.id: u.display_name for u in handlers}
        if c.assigned_to and actor.role == "county_staff" and c.assigned_to not in users:
            handler = db.get(User, c.assigned_to)
            users[c.assigned_to] = handler.display_name if handler else ""
        return page(request, "supervision_complaint.html", actor, T.COMPLAINT, c=c, handlers=handlers, users=users,
                    steps=complaints.steps(db, c.id) if actor.role != "provider" else [],
                    overdue=complaints.is_overdue(c, clock.today_local()), **lookups(db, [c]))

    @post("/complaints/{complaint_id:int}/{action:str}", sync_to_thread=True)
    def complaint_step(self, request: Req, complaint_id: FromPath[int], action: FromPath[str], data: Form, db: DB, ctx: Ctx,
                       actor: Who) -> Redirect:
        actor.require("county_staff")
        if action == "assign":
            complaints.assign(ctx, db, actor, complaint_id, integer(data, "handler_id", T.COMPLAINT["handler"]),
                              field(data, "note"))
        elif action == "investigate":
            complaints.investigate(ctx, db, actor, complaint_id, field(data, "investigation"))
        elif action == "resolve":
            complaints.resolve(ctx, db, actor, complaint_id, field(data, "finding"), field(data, "resolution"))
        elif action == "visibility":
            complaints.set_visibility(ctx, db, actor, complaint_id, field(data, "visible") == "yes", field(data, "note"))
        else:
            raise NotFound(T.ERRORS["action"], code="action_unknown")
        return done(request, f"/complaints/{complaint_id}", T.DONE[action])

    # --- incidents ------------------------------------------------------------------------------

    @post("/incidents", sync_to_thread=True)
    def incident_report(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("school_admin", "provider")
        incidents.report(ctx, db, actor, incidents.IncidentInput(
            entry_id=integer(data, "entry_id", T.HOME["course"]), severity=field(data, "severity"),
            occurred_at=local_datetime(field(data, "occurred_at"), T.HOME["occurred"], "occurred_at"),
            description=field(data, "description"), injured=integer(data, "injured", T.HOME["injured"]),
            actions_taken=field(data, "actions_taken")))
        return done(request, f"{HOME_OF[actor.role]}#incidents", T.DONE["incident"])

    @post("/incidents/{incident_id:int}/close", sync_to_thread=True)
    def incident_close(self, request: Req, incident_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        incidents.close(ctx, db, actor, incident_id, field(data, "note"))
        return done(request, "/county/supervision#incidents", T.DONE["incident_closed"])


class PublicComplaintPages(Controller):
    """No login: the county's complaint form (anonymous allowed) and tracking by code."""

    include_in_schema = False

    @get("/public/{code:str}/complaints/new", sync_to_thread=True)
    def form(self, request: Req, code: FromPath[str], db: DB, ctx: Ctx, actor: Who) -> Template:
        region = db.get(Region, code)
        if region is None:
            raise NotFound("区县不存在。", code="county_not_found")
        on = enabled(ctx, db, code)
        provider_ids = {c.provider_id for c in catalogue.courses(db, county_code=code)} if on else set()
        return page(request, "supervision_public.html", actor, T.PUBLIC, region=region, enabled=on,
                    providers=sorted(names(db, Provider, set(provider_ids)).items(), key=lambda kv: kv[1]))

    @post("/public/{code:str}/complaints", sync_to_thread=True)
    def submit(self, request: Req, code: FromPath[str], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        c = complaints.submit(ctx, db, actor, complaints.ComplaintInput(
            category=field(data, "category"), text=field(data, "text"), anonymous=field(data, "anonymous") == "yes",
            contact_name=field(data, "contact_name"), contact_phone=field(data, "contact_phone"),
            provider_id=optional_int(data, "provider_id", T.PUBLIC["provider"])), county_code=code)
        return done(request, f"/public/complaints/track?code={c.tracking_code}",
                    T.DONE["complaint"].format(code=c.tracking_code))

    @get("/public/complaints/track", sync_to_thread=True)
    def track(self, request: Req, db: DB, actor: Who, code: FromQuery[str] = "") -> Template:
        found, missing = None, False
        if code.strip():
            try:
                found = complaints.track(db, code)
            except NotFound:
                missing = True
        return page(request, "supervision_track.html", actor, T.PUBLIC | {"title": T.PUBLIC["track_title"]}, c=found,
                    code=code.strip(), missing=missing)


HTML_ROUTES: list[Any] = [SupervisionPages, PublicComplaintPages]
