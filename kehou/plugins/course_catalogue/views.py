"""Chinese web pages of the course catalogue: a provider's offerings and today's lessons, the
county's review, the school's course supermarket (课程超市), a parent's selection and
timetable (一人一课表).

Thin on purpose: each handler turns form fields into a service call. The services check roles and
ownership and raise domain errors; :mod:`kehou.web.errors` turns a refused form into a flash message
and anything else into the error page. All text is in :mod:`kehou.plugins.course_catalogue.text`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.admission.models import WhitelistEntry
from kehou.platform.counties.models import Region, School
from kehou.platform.policy import services as policy
from kehou.platform.providers import services as providers
from kehou.platform.providers.models import Staff
from kehou.platform.students import services as students
from kehou.platform.students.models import GRADE_LABELS
from kehou.plugins.course_catalogue import agreements as contracts
from kehou.plugins.course_catalogue import classes, enrolment, lessons, menus, offerings, queries, waitingroom
from kehou.plugins.course_catalogue import text as T
from kehou.plugins.course_catalogue.menus import KIND_GRADES
from kehou.plugins.course_catalogue.models import (
    CONTENT_CHECK_LABELS,
    ENROLMENT_LABELS,
    OFFERING_STATUS_LABELS,
    SELECTION_MODE_LABELS,
    Entry,
    Lesson,
    Menu,
    Offering,
)
from kehou.plugins.course_catalogue.timewindow import WEEKDAYS, fmt_hhmm
from kehou.timeutil import SHANGHAI, UTC, as_utc, clock, fmt_local, utcnow
from kehou.web.deps import DB, Ctx, Who
from kehou.web.errors import flash
from kehou.web.listing import EXPORT_MAX, Listing, xlsx
from kehou.web.pages import column, done, field, integer, render, values

Form = URLEncodedBody[dict[str, Any]]
Req = Request[Any, Any, Any]
SCHOOL_DAYS = range(5)


# --- form fields and display -------------------------------------------------------------------


def yuan(fen: int | None) -> str:
    """Integer fen shown as yuan with two decimals (no floats)."""
    fen = int(fen or 0)
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def to_fen(raw: str, label: str, name: str) -> int:
    """'300', '12.5' or '12.50' yuan -> integer fen; more than two decimals is refused, not rounded."""
    try:
        amount = Decimal(raw.replace(",", "").replace("，", "").strip() or "x")
        exact = amount.is_finite() and amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not exact:
        raise ValidationFailed(T.ERRORS["yuan"].format(label=label), code="amount_invalid", field=name)
    return int(amount * 100)


def local_datetime(raw: str, label: str, name: str) -> dt.datetime:
    """A 'datetime-local' field, read as Beijing time, returned in UTC."""
    try:
        value = dt.datetime.fromisoformat(raw.strip().replace(" ", "T"))
    except ValueError:
        raise ValidationFailed(T.ERRORS["datetime"].format(label=label), code="datetime_invalid", field=name) from None
    return (value if value.tzinfo else value.replace(tzinfo=SHANGHAI)).astimezone(UTC)


def local_date(raw: str, label: str, name: str) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(T.ERRORS["date"].format(label=label), code="date_invalid", field=name) from None


def page(request: Req, template: str, actor: Actor, text: dict[str, str], **context: Any) -> Template:
    return render(request, f"catalogue/{template}", actor, {**T.NAV, **text}, yuan=yuan, hhmm=fmt_hhmm, WEEKDAYS=WEEKDAYS,
                  GRADE_LABELS=GRADE_LABELS, **context)


def materials_from_form(form: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    rows = zip(column(form, "material_item"), column(form, "material_yuan"), strict=False)
    for n, (item, amount) in enumerate(rows, start=1):
        if not item.strip() and not amount.strip():
            continue
        if not item.strip() or not amount.strip():
            raise ValidationFailed(T.ERRORS["material"].format(n=n), code="materials_invalid", field="materials")
        out.append({"item": item.strip(), "fen": to_fen(amount, T.OFFERINGS["item_fee"], "materials")})
    return out


def grades_from_form(form: dict[str, Any]) -> list[int]:
    return sorted({int(g) for g in values(form, "grades") if g.strip().isdecimal()})


# --- providers ---------------------------------------------------------------------------------


def admitted_counties(db: Session, provider_id: int) -> dict[str, tuple[str, list[str]]]:
    """County code -> (name, categories) where the provider is admitted today."""
    today = clock.today_local()
    rows = db.execute(select(WhitelistEntry, Region.name).join(Region, Region.code == WhitelistEntry.county_code).where(
        WhitelistEntry.provider_id == provider_id, WhitelistEntry.status == "active", WhitelistEntry.valid_from <= today,
        WhitelistEntry.valid_until >= today).order_by(WhitelistEntry.county_code)).all()
    return {w.county_code: (name, list(w.categories)) for w, name in rows}


class ProviderCataloguePages(Controller):
    path = "/provider"
    include_in_schema = False

    @get("/offerings", sync_to_thread=True)
    def offerings_page(self, request: Req, db: DB, actor: Who, county: FromQuery[str] = "") -> Template:
        own = offerings.list_own(db, actor)
        counties = admitted_counties(db, int(actor.provider_id or 0))
        county = county if county in counties else next(iter(counties), "")
        names = dict(db.execute(select(Region.code, Region.name)).all())
        staff = providers.list_staff(db, actor, int(actor.provider_id or 0))
        return page(request, "provider_offerings.html", actor, T.OFFERINGS, offerings=own, counties=counties, county=county,
                    county_names=names, staff=staff, staff_names={s.id: s.name for s in staff},
                    status_labels=OFFERING_STATUS_LABELS)

    @post("/offerings", sync_to_thread=True)
    def create_offering(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("provider")
        t = T.OFFERINGS
        materials = materials_from_form(data)
        d = offerings.OfferingInput(
            county_code=field(data, "county_code"), title=field(data, "title"), category=field(data, "category"),
            description=field(data, "description"), grades=grades_from_form(data),
            sessions_per_week=integer(data, "sessions_per_week", t["sessions"]), minutes=integer(data, "minutes", t["minutes"]),
            capacity=integer(data, "capacity", t["capacity_in"]), fee_fen=to_fen(field(data, "fee_yuan"), t["fee_in"], "fee_fen"),
            instructor_id=integer(data, "instructor_id", t["instructor"]), materials=materials,
            materials_fee_fen=sum(m["fen"] for m in materials), school_requirements=field(data, "school_requirements"),
            review_request=field(data, "review_request"))
        o = offerings.create(ctx, db, actor, d)
        message = {"pending": T.DONE["offering_created"], "blocked": T.DONE["offering_blocked_sent"]}.get(
            o.status, T.DONE["offering_approved_at_once"])
        if o.review_reason:
            flash(request, "error", T.DONE["offering_warnings"].format(warnings=o.review_reason))
        return done(request, f"/provider/offerings?county={o.county_code}", message)

    @post("/offerings/{offering_id:int}/withdraw", sync_to_thread=True)
    def withdraw(self, request: Req, offering_id: FromPath[int], data: Form, db: DB, actor: Who) -> Redirect:
        offerings.withdraw(db, actor, offering_id, field(data, "reason"))
        return done(request, "/provider/offerings", T.DONE["offering_withdrawn"])

    @get("/lessons", sync_to_thread=True)
    def lessons_page(self, request: Req, db: DB, actor: Who) -> Template:
        actor.require("provider")
        today = clock.today_local()
        rows = db.execute(select(Lesson, Entry, Offering.title, School.name).join(Entry, Entry.id == Lesson.entry_id)
                          .join(Offering, Offering.id == Entry.offering_id).join(School, School.id == Entry.school_id)
                          .where(Entry.provider_id == actor.provider_id, Lesson.day == today)
                          .order_by(Lesson.start_min, School.name)).all()
        staff = providers.list_staff(db, actor, int(actor.provider_id or 0))
        return page(request, "provider_lessons.html", actor, T.LESSONS, rows=rows, today=today, staff=staff,
                    staff_names={s.id: s.name for s in staff}, lesson_status=T.LESSON_STATUS)

    @post("/lessons/{lesson_id:int}/check-in", sync_to_thread=True)
    def check_in(self, request: Req, lesson_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("provider")
        lessons.check_in(ctx, db, actor, lesson_id, integer(data, "staff_id", T.LESSONS["teacher"]),
                         late_reason=field(data, "late_reason"))
        return done(request, "/provider/lessons", T.DONE["checked_in"])


# --- the county's review -----------------------------------------------------------------------


DESK_PATH = "/desk/offerings"
ALL = "all"  # the status filter's "every status"; without a status the desk lists what awaits review


def desk_filter(request: Req, actor: Actor) -> tuple[Listing, str, Select[Offering, str]]:
    """The desk list's search and status filter (default: pending) and the county's offerings they select."""
    actor.require("county_staff")
    listing = Listing.parse(request.query_params, keep=("status",))
    status = str(request.query_params.get("status") or "pending")
    stmt = offerings.county_stmt(actor, actor.county_code or "", status="" if status == ALL else status,
                                 like=listing.like if listing.q else "")
    return listing, status, stmt


def auto_warning(o: Offering) -> str:
    """The automatic checks' warnings kept at submission; a reviewer's decision replaces them with its reason."""
    return o.review_reason if o.reviewed_by is None else ""


def desk_return(back: str) -> str:
    """The list the reviewer came from (its search, filter and page), rebuilt from the form's query string."""
    params = dict(parse_qsl(back[:500]))
    if params.get("status", ALL) not in (ALL, *OFFERING_STATUS_LABELS):
        return DESK_PATH
    try:
        listing = Listing.parse(params, keep=("status",))
    except ValidationFailed:
        return DESK_PATH
    query = listing.link()
    return f"{DESK_PATH}?{query}" if query else DESK_PATH


class DeskCataloguePages(Controller):
    path = "/desk"
    include_in_schema = False

    @get("/offerings", sync_to_thread=True)
    def pending(self, request: Req, db: DB, actor: Who) -> Template:
        listing, status, stmt = desk_filter(request, actor)
        found, total = listing.fetch(db, stmt)
        rows = [o for o, _ in found]
        provider_names = {o.provider_id: name for o, name in found}
        staff_names = dict(db.execute(select(Staff.id, Staff.name)
                                      .where(Staff.id.in_(sorted({o.instructor_id for o in rows})))).all())
        return page(request, "desk_offerings.html", actor, T.DESK, rows=rows, provider_names=provider_names,
                    staff_names=staff_names, listing=listing, total=total, status=status, all_status=ALL,
                    status_labels=OFFERING_STATUS_LABELS, auto_warning=auto_warning, path=DESK_PATH,
                    content_labels=CONTENT_CHECK_LABELS)

    @get("/offerings.xlsx", sync_to_thread=True)
    def export(self, request: Req, db: DB, actor: Who) -> Response[bytes]:
        _, _, stmt = desk_filter(request, actor)
        t = T.DESK
        return xlsx(t["sheet"], [t[k] for k in ("course", "provider", "category", "fee_yuan", "status", "submitted_bj",
                                                "warnings")],
                    ([o.title, name, o.category, yuan(o.fee_fen), OFFERING_STATUS_LABELS.get(o.status, o.status),
                      fmt_local(o.created_at), auto_warning(o)] for o, name in db.execute(stmt.limit(EXPORT_MAX))),
                    t["file"])

    @post("/offerings/{offering_id:int}/review", sync_to_thread=True)
    def review(self, request: Req, offering_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        approve = field(data, "approve") == "yes"
        offerings.review(ctx, db, actor, offering_id, approve=approve, reason=field(data, "reason"))
        return done(request, desk_return(field(data, "back")), T.DONE["approved" if approve else "rejected"])


# --- the school ---------------------------------------------------------------------------------


def own_school(db: Session, actor: Actor) -> School:
    actor.require("school_admin")
    return students.school_of(db, actor, int(actor.school_id or 0))


def menu_context(db: Session, actor: Actor, menu_id: int) -> dict[str, Any]:
    m = menus.get_menu(db, actor, menu_id)
    return {"menu": m, "info": queries.menu_out(m), "school": db.get(School, m.school_id)}


def by_weekday(rows: list[dict[str, Any]]) -> list[tuple[str, list[tuple[dict[str, Any], dict[str, Any]]]]]:
    """(weekday label, [(slot, entry)] by start time) for Monday to Friday."""
    days = []
    for day in SCHOOL_DAYS:
        cells = sorted(((s, r) for r in rows for s in r["slots"] if s["weekday"] == day), key=lambda c: c[0]["start"])
        days.append((WEEKDAYS[day], cells))
    return days


ENTRY_ACTIONS = {
    "cancel": lambda db, a, i, f: classes.cancel(db, a, i, field(f, "reason")),
    "merge": lambda db, a, i, f: classes.merge(db, a, i, integer(f, "into_id", T.BUILDER["merge"]), field(f, "reason")),
    "remove": lambda db, a, i, f: menus.remove(db, a, i, field(f, "reason")),
}
ENTRY_DONE = {"cancel": "cancelled", "merge": "merged", "remove": "removed"}


class SchoolCataloguePages(Controller):
    path = "/school"
    include_in_schema = False

    @get("/menus", sync_to_thread=True)
    def menus_page(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        school = own_school(db, actor)
        rows = [queries.menu_out(m) for m in menus.menus_of_school(db, actor, school.id)]
        settings = policy.resolve_all(db, ctx.registry, school.county_code)
        modes = {m: SELECTION_MODE_LABELS[m] for m in settings["catalogue.selection_modes"] if m in SELECTION_MODE_LABELS}
        return page(request, "school_menus.html", actor, T.MENUS, school=school, rows=rows, menu_status=T.MENU_STATUS,
                    modes=modes, default_mode=settings["catalogue.selection_mode_default"])

    @post("/menus", sync_to_thread=True)
    def create_menu(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        school, t = own_school(db, actor), T.MENUS
        d = menus.MenuInput(
            opens_at=local_datetime(field(data, "opens_at"), t["opens_at"], "opens_at"),
            closes_at=local_datetime(field(data, "closes_at"), t["closes_at"], "closes_at"),
            service_start=field(data, "service_start"), service_end=field(data, "service_end"),
            homework_minutes=integer(data, "homework_minutes", t["homework"]) if field(data, "homework_minutes") else 0,
            term_day=local_date(field(data, "term_day"), t["term_day"], "term_day"),
            selection_mode=field(data, "selection_mode"))
        m = menus.create_menu(ctx, db, actor, school.id, d)
        return done(request, f"/school/menus/{m.id}", T.DONE["menu_created"])

    @get("/menus/{menu_id:int}", sync_to_thread=True)
    def builder(self, request: Req, menu_id: FromPath[int], db: DB, actor: Who, q: FromQuery[str] = "") -> Template:
        actor.require("school_admin")
        c = menu_context(db, actor, menu_id)
        rows = queries.entries(db, menu_id=menu_id, include_closed=True)
        choices = queries.approved_offerings(db, c["menu"].county_code, q)
        for o in choices:
            o["eligible"] = sorted(set(o["grades"]) & KIND_GRADES[c["school"].kind])
        targets = {e["id"]: [x for x in rows if x["offering_id"] == e["offering_id"] and x["id"] != e["id"]
                             and x["status"] == "open"] for e in rows}
        return page(request, "school_menu.html", actor, T.BUILDER, **c, rows=rows, choices=choices, q=q, targets=targets,
                    menu_status=T.MENU_STATUS, entry_status=T.ENTRY_STATUS)

    @get("/menus/{menu_id:int}/print", sync_to_thread=True)
    def printable(self, request: Req, menu_id: FromPath[int], db: DB, actor: Who) -> Template:
        actor.require("school_admin")
        c = menu_context(db, actor, menu_id)
        rows = queries.entries(db, menu_id=menu_id)
        return page(request, "school_menu_print.html", actor, T.PRINT, **c, rows=rows, days=by_weekday(rows))

    @post("/menus/{menu_id:int}/entries", sync_to_thread=True)
    def place(self, request: Req, menu_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("school_admin")
        t = T.BUILDER
        slots = [menus.SlotInput(int(w) if w.strip().isdecimal() else -1, s.strip())  # the service explains a bad weekday
                 for w, s in zip(column(data, "weekday"), column(data, "start"), strict=False)]
        d = menus.PlaceInput(offering_id=integer(data, "offering_id", t["course"]), venue=field(data, "venue"),
                             capacity=integer(data, "capacity", t["capacity_in"]), slots=slots, grades=grades_from_form(data))
        menus.place(ctx, db, actor, menu_id, d)
        return done(request, f"/school/menus/{menu_id}#entries", T.DONE["placed"])

    @post("/menus/{menu_id:int}/publish", sync_to_thread=True)
    def publish(self, request: Req, menu_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("school_admin")
        menus.publish(ctx, db, actor, menu_id)
        return done(request, f"/school/menus/{menu_id}", T.DONE["published"])

    @post("/entries/{entry_id:int}/{action:str}", sync_to_thread=True)
    def entry_action(self, request: Req, entry_id: FromPath[int], action: FromPath[str], data: Form, db: DB,
                     actor: Who) -> Redirect:
        actor.require("school_admin")
        handler = ENTRY_ACTIONS.get(action)
        entry = db.get(Entry, entry_id)
        if handler is None or entry is None:
            raise NotFound(T.ERRORS["not_found"], code="entry_not_found" if handler else "action_unknown")
        menu_id = entry.menu_id
        handler(db, actor, entry_id, data)
        return done(request, f"/school/menus/{menu_id}#entries", T.DONE[ENTRY_DONE[action]])


# --- parents --------------------------------------------------------------------------------------


def course_title(db: Session, entry_id: int) -> str:
    return db.scalar(select(Offering.title).join(Entry, Entry.offering_id == Offering.id).where(Entry.id == entry_id)) or ""


class ParentCataloguePages(Controller):
    path = "/parent"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def children(self, request: Req, db: DB, actor: Who) -> Template:
        kids = students.children_of(db, actor)
        schools = dict(db.execute(select(School.id, School.name).where(School.id.in_(sorted({k.school_id for k in kids})))).all())
        return page(request, "parent_children.html", actor, T.PARENT, kids=kids, schools=schools)

    @get("/children/{student_id:int}", sync_to_thread=True)
    def child(self, request: Req, student_id: FromPath[int], db: DB, ctx: Ctx, actor: Who, q: FromQuery[str] = "") -> Template:
        kid = students.child_of(db, actor, student_id)
        table = enrolment.timetable(db, kid.id)
        days = [(WEEKDAYS[d], [r for r in table if r["weekday"] == d]) for d in SCHOOL_DAYS]
        menus_ = queries.menus_for_child(db, actor, kid.id)
        queue = {m.id: queue_card(waitingroom.look(ctx, db, actor, m.id)) for m in menus_ if as_utc(m.closes_at) > utcnow()}
        return page(request, "parent_child.html", actor, T.CHILD, kid=kid, school=db.get(School, kid.school_id),
                    menus=[queries.menu_out(m) for m in menus_], queue=queue, terms={m.id: m.term_name for m in menus_},
                    blocked={mid for mid, card in queue.items() if card in ("waiting", "must_queue")},
                    ranked={m.id for m in menus_ if m.selection_mode == "ranked_lottery" and m.draw_revealed_at is None},
                    courses=queries.choices_for_child(db, actor, kid.id, q), q=q, days=days, timetable=table,
                    status_labels=ENROLMENT_LABELS, contracts=contracts.for_child(db, kid.id))

    @post("/children/{student_id:int}/agreement", sync_to_thread=True)
    def agreement(self, request: Req, student_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        """Open (making it if need be) the tripartite agreement of one of the child's courses, to read and sign."""
        actor.require("parent")
        students.child_of(db, actor, student_id)
        eid = contracts.enrolment_of(db, student_id, integer(data, "entry_id", T.CHILD["courses"]))
        return Redirect(path=f"/agreements/{contracts.ensure_tripartite(ctx, db, actor, eid).id}", status_code=303)

    @post("/children/{student_id:int}/enrol", sync_to_thread=True)
    def enrol(self, request: Req, student_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("parent")
        entry_id = integer(data, "entry_id", T.CHILD["courses"])
        outcome = enrolment.enroll(ctx, db, actor, student_id, entry_id, waitlist=field(data, "waitlist") == "yes")
        key = outcome.enrolment.status if outcome.created else "already"
        return done(request, f"/parent/children/{student_id}", T.DONE[key].format(title=course_title(db, entry_id)))

    @post("/children/{student_id:int}/quit", sync_to_thread=True)
    def quit(self, request: Req, student_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("parent")
        entry_id = integer(data, "entry_id", T.CHILD["courses"])
        enrolment.quit(ctx, db, actor, student_id, entry_id, field(data, "reason"))
        return done(request, f"/parent/children/{student_id}", T.DONE["quit"].format(title=course_title(db, entry_id)))


def queue_card(status: waitingroom.Status) -> str | None:
    """What the child page says of a menu's waiting room: invite (before opening, no ticket), ticket,
    waiting, must_queue (opened, parents waiting, no ticket) or nothing."""
    if status.state == "no_ticket":
        return "must_queue" if status.must_queue else ("invite" if utcnow() < as_utc(status.opens_at) else None)
    return {"before_open": "ticket", "waiting": "waiting"}.get(status.state)


class ParentQueuePages(Controller):
    """The waiting room's phone page: position, estimated wait, refreshes itself, then on to the selection."""

    path = "/parent/queue"
    include_in_schema = False

    @staticmethod
    def _back(db: Session, actor: Actor, child: int | None) -> str:
        if child is not None:
            students.child_of(db, actor, child)
            return f"/parent/children/{child}#courses"
        return "/parent"

    @get("/{menu_id:int}", sync_to_thread=True)
    def show(self, request: Req, menu_id: FromPath[int], db: DB, ctx: Ctx, actor: Who,
             child: FromQuery[int | None] = None) -> Template | Redirect:
        status = waitingroom.look(ctx, db, actor, menu_id)
        back = self._back(db, actor, child)
        if status.state == "admitted":
            return done(request, back, T.DONE["queue_admitted"])
        if status.state == "off":
            return Redirect(path=back, status_code=303)
        menu = db.get(Menu, menu_id)
        return page(request, "parent_queue.html", actor, T.QUEUE, s=status, back=back, child=child, menu=menu,
                    school=db.get(School, menu.school_id) if menu else None, opens_local=fmt_local(status.opens_at))

    @post("/{menu_id:int}", sync_to_thread=True)
    def join(self, request: Req, menu_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        child = field(data, "child")
        child_id = int(child) if child.isdecimal() and len(child) < 10 else None
        waitingroom.join(ctx, db, actor, menu_id)
        return Redirect(path=f"/parent/queue/{menu_id}" + (f"?child={child_id}" if child_id else ""), status_code=303)


def _ranked_pages() -> list[Any]:
    from kehou.plugins.course_catalogue import views_ranked as ranked  # it imports page() from here

    return [ranked.ParentRankedPages, ranked.SchoolAllocationPages, ranked.PublicDrawPages]


HTML_ROUTES: list[Any] = [ProviderCataloguePages, DeskCataloguePages, SchoolCataloguePages, ParentCataloguePages,
                          ParentQueuePages, *_ranked_pages()]
