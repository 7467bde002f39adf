"""Chinese web pages of billing for staff: the school's fee management (bills, waivers, the term-end
statement, refunds, provider settlements) and the county's settlement approval and ledger. Also the
helpers every billing page shares (:mod:`kehou.plugins.billing_cap.views` imports them from here).

Thin on purpose: each handler turns form fields into a service call; the services check roles and
ownership. A form error (400/409) goes back to the page as a message through :mod:`kehou.web.errors`;
a refusal about the form's data (a term without a menu, billing switched off, not the collector)
does too, through :func:`attempt`. All text is in :mod:`kehou.plugins.billing_cap.text`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.platform.privacy import access as viewed
from kehou.platform.providers.models import Provider
from kehou.platform.students import services as students
from kehou.platform.students.models import Student
from kehou.plugins.billing_cap import access, bill_list, bills, ledger, reconcile, settlement, statement
from kehou.plugins.billing_cap import text as T
from kehou.plugins.billing_cap.bill_list import BillFilter, BillRow
from kehou.plugins.billing_cap.models import Bill
from kehou.plugins.billing_cap.policy import yuan
from kehou.plugins.course_catalogue import public as catalogue
from kehou.timeutil import clock
from kehou.web.deps import DB, Ctx, Who
from kehou.web.errors import flash
from kehou.web.listing import EXPORT_MAX, Listing, xlsx
from kehou.web.pages import done, field, integer, render

Form = URLEncodedBody[dict[str, Any]]
Req = Request[Any, Any, Any]

#: refusals without a field that still concern the form, not the visitor: shown on the page
FLASHED = {"billing_disabled", "not_collector", "not_decider"}


# --- shared by every billing page ----------------------------------------------------------------


def page(request: Req, template: str, actor: Actor, text: dict[str, str], **context: Any) -> Template:
    return render(request, f"billing/{template}", actor, {**T.NAV, **text}, yuan=yuan, **context)


def attempt(request: Req, back: str, action: Callable[[], str]) -> Redirect:
    """Run a form's service call and go back to ``back`` with its message; a not-found or refusal about
    the form's own data goes back too, as an error message (the visitor's role was checked before)."""
    try:
        message = action()
    except (NotFound, PermissionDenied) as err:
        if not err.field and err.code not in FLASHED:
            raise
        flash(request, "error", err.message)
        return Redirect(path=back, status_code=303)
    return done(request, back, message)


def billing_on(ctx: Context, db: Session, county_code: str) -> Mapping[str, Any] | None:
    """The county's billing settings, or None when the county does not use billing."""
    try:
        return access.settings(ctx, db, county_code)
    except PermissionDenied:
        return None


def names_of(db: Session, model: Any, ids: set[int]) -> dict[int, str]:
    return dict(db.execute(select(model.id, model.name).where(model.id.in_(sorted(ids)))).all()) if ids else {}


def bill_status(bill: Bill, outstanding: int) -> str:
    """The status a person reads: a credit is a refund due, an open bill past its date is overdue."""
    if outstanding < 0:
        return "refund_due"
    if bill.status == "open" and outstanding == 0:
        return "paid"
    if bill.status == "open" and bill.due_on < clock.today_local():
        return "overdue"
    return bill.status


def bills_xlsx(rows: list[BillRow], *, with_school: bool) -> Response[bytes]:
    """A bill list as Excel: the rows the page's filters select, money in yuan with two decimals."""
    e = T.BILL_EXPORT
    keys = ["reference", *(["school"] if with_school else []), "student_name", "class_name", "term", "total", "paid",
            "outstanding", "status", "due"]

    def line(r: BillRow) -> list[Any]:
        b = r.bill
        status = bill_status(b, r.outstanding)
        cells = {"reference": b.reference, "school": r.school_name, "student_name": r.student_name,
                 "class_name": r.class_name, "term": b.term_name, "total": yuan(b.total_fen), "paid": yuan(b.paid_fen),
                 "outstanding": yuan(r.outstanding), "status": T.BILL_STATUS.get(status, status), "due": str(b.due_on)}
        return [cells[k] for k in keys]

    return xlsx(e["sheet"], [e[k] for k in keys], (line(r) for r in rows), e["file"])


def local_date(data: dict[str, Any], name: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(field(data, name))
    except ValueError:
        raise ValidationFailed(T.ERRORS["date"].format(label=label.rstrip(" *")), code="date_invalid", field=name) from None


# --- the school -------------------------------------------------------------------------------------


def own_school(db: Session, actor: Actor) -> School:
    actor.require("school_admin")
    return students.school_of(db, actor, int(actor.school_id or 0))


def term_of(data: dict[str, Any]) -> str:
    term = field(data, "term_name")
    if not term or len(term) > 60:
        raise ValidationFailed(T.ERRORS["term"], code="term_required", field="term_name")
    return term


def school_page(term_name: str = "", anchor: str = "") -> str:
    return "/school/billing" + (f"?term_name={quote(term_name)}" if term_name else "") + (f"#{anchor}" if anchor else "")


def school_terms(db: Session, school: School, term_name: str) -> tuple[list[Any], Any, str]:
    """The school's published terms, the one asked for (else the latest) and its name ("" without any)."""
    terms = [m for m in catalogue.menus(db, school_id=school.id) if m.status == "published"]
    menu = next((m for m in terms if m.term_name == term_name), terms[-1] if terms else None)
    return terms, menu, menu.term_name if menu else ""


def school_bills(request: Req, school: School, term: str) -> tuple[Listing, BillFilter]:
    """The school's bill list of the term as the query asks for it (search, status, page)."""
    listing = Listing.parse(request.query_params, keep=("term_name", "status"))
    return listing, BillFilter(school.county_code, school_id=school.id, term_name=term,
                               status=bill_list.status_of(request.query_params), like=listing.like if listing.q else "")


def last_month() -> tuple[dt.date, dt.date]:
    end = clock.today_local().replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


class SchoolBillingPages(Controller):
    path = "/school"
    include_in_schema = False

    @get("/billing", sync_to_thread=True)
    def billing(self, request: Req, db: DB, ctx: Ctx, actor: Who, term_name: FromQuery[str] = "") -> Template:
        school = own_school(db, actor)
        terms, menu, term = school_terms(db, school, term_name)
        listing, wanted = school_bills(request, school, term)
        values = billing_on(ctx, db, school.county_code)
        kids = students.list_for_school(db, actor, school.id)
        found, total = listing.fetch(db, bill_list.stmt(wanted)) if term else ([], 0)
        rows = bill_list.rows_of(db, school.county_code, found)
        viewed.record(ctx, actor, school.county_code, [r.bill.student_id for r in rows], "bills")
        waivers = bills.waivers_of_school(db, actor, school.id, term) if term else []
        statements = statement.statements_of_school(db, actor, school.id, term) if term else []
        viewed.record(ctx, actor, school.county_code, [w.student_id for w in waivers], "waivers")  # named, with evidence
        viewed.record(ctx, actor, school.county_code, [s.student_id for s in statements], "statements")
        settlements = settlement.listing(db, actor)
        start, end = last_month()
        return page(request, "school_billing.html", actor, T.SCHOOL, school=school, terms=terms, menu=menu, term=term,
                    enabled=values is not None, tiers=values["billing.waiver_tiers"] if values else [], kids=kids,
                    kid_names={k.id: k.name for k in kids}, rows=[(r, bill_status(r.bill, r.outstanding)) for r in rows],
                    sums=bill_list.sums(db, wanted) if total else (0, 0, 0), listing=listing, total=total,
                    status=wanted.status, filtered=bool(listing.q or wanted.status), bill_filter=T.BILL_FILTER,
                    waivers=waivers, statements=statements,
                    settlements=settlements, provider_names=names_of(db, Provider, {s.provider_id for s in settlements}),
                    period_start=start, period_end=end, bill_status=T.BILL_STATUS, settlement_status=T.SETTLEMENT_STATUS)

    @get("/billing/bills.xlsx", sync_to_thread=True)
    def export(self, request: Req, db: DB, ctx: Ctx, actor: Who, term_name: FromQuery[str] = "") -> Response[bytes]:
        """The bill list of the page as Excel: the same term, search and status, every row (up to EXPORT_MAX)."""
        school = own_school(db, actor)
        _, _, term = school_terms(db, school, term_name)
        _, wanted = school_bills(request, school, term)
        rows = bill_list.export_rows(db, wanted, EXPORT_MAX)
        viewed.record(ctx, actor, school.county_code, [r.bill.student_id for r in rows], "bills_export")
        return bills_xlsx(rows, with_school=False)

    @post("/billing/issue", sync_to_thread=True)
    def issue(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        school, term = own_school(db, actor), term_of(data)

        def run() -> str:
            result = bills.issue_for_school(ctx, db, actor, school.id, term)
            if not result.created:
                return T.DONE["nothing_to_issue"]
            return T.DONE["issued"].format(created=len(result.created), existing=len(result.existing))

        return attempt(request, school_page(term, "bills"), run)

    @post("/billing/waivers", sync_to_thread=True)
    def waiver(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        school, term = own_school(db, actor), term_of(data)
        student_id = integer(data, "student_id", T.SCHOOL["student"].rstrip(" *"))

        def run() -> str:
            row = bills.record_waiver(ctx, db, actor, school.id, student_id=student_id, term_name=term, tier=field(data, "tier"),
                                      evidence=field(data, "evidence"), reason=field(data, "reason"))
            return T.DONE["waiver"].format(name=names_of(db, Student, {row.student_id}).get(row.student_id, ""),
                                           percent=row.percent)

        return attempt(request, school_page(term, "waivers"), run)

    @post("/billing/close", sync_to_thread=True)
    def close(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        school, term = own_school(db, actor), term_of(data)

        def run() -> str:
            made = statement.close_term(ctx, db, actor, school.id, term)
            return T.DONE["closed"].format(n=len(made)) if made else T.DONE["nothing_to_close"]

        return attempt(request, school_page(term, "statements"), run)

    @post("/billing/refunds", sync_to_thread=True)
    def refunds(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        school, term = own_school(db, actor), term_of(data)

        def run() -> str:
            total = statement.pay_refunds(ctx, db, actor, school.id, term)
            return T.DONE["refunded"].format(amount=yuan(total)) if total else T.DONE["no_refunds"]

        return attempt(request, school_page(term, "statements"), run)

    @post("/billing/settlements", sync_to_thread=True)
    def draft(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        school, term = own_school(db, actor), field(data, "term_name")
        start = local_date(data, "period_start", T.SCHOOL["period_start"])
        end = local_date(data, "period_end", T.SCHOOL["period_end"])

        def run() -> str:
            made = settlement.draft(ctx, db, actor, school.id, start, end)
            return T.DONE["drafted"].format(n=len(made)) if made else T.DONE["nothing_to_settle"]

        return attempt(request, school_page(term, "settlements"), run)

    @post("/settlements/{settlement_id:int}/approve", sync_to_thread=True)
    def approve(self, request: Req, settlement_id: FromPath[int], data: Form, db: DB, actor: Who) -> Redirect:
        actor.require("school_admin")
        settlement.get(db, actor, settlement_id)  # another school's: not found

        def run() -> str:
            row = settlement.approve(db, actor, settlement_id, field(data, "reason"))
            return T.DONE["approved_final" if row.status == "approved" else "approved"]

        return attempt(request, school_page(field(data, "term_name"), "settlements"), run)

    @post("/settlements/{settlement_id:int}/paid", sync_to_thread=True)
    def paid(self, request: Req, settlement_id: FromPath[int], data: Form, db: DB, actor: Who) -> Redirect:
        actor.require("school_admin")
        settlement.get(db, actor, settlement_id)

        def run() -> str:
            settlement.mark_paid(db, actor, settlement_id, field(data, "reference"))
            return T.DONE["paid"]

        return attempt(request, school_page(field(data, "term_name"), "settlements"), run)


# --- the county -------------------------------------------------------------------------------------


OWNERS = {"school": School, "provider": Provider}
RECENT = 100  # settlements listed on the county page (the Excel of each, and the API, give the rest)


def ledger_by_kind(db: Session, county_code: str) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """(kind, subtotal, [(account, balance)]) in the order of the account kinds. An account is named
    by its owner (the school's special account, the provider); the families' receivables, one per
    bill, are summed into a single row."""
    balances = sorted(ledger.balances(db, county_code).items())
    wanted: dict[str, set[int]] = defaultdict(set)
    for code, _ in balances:
        owner, _, key = code.partition(":")[2].partition(":")
        if owner in OWNERS and key.isdecimal():
            wanted[owner].add(int(key))
    names = {owner: names_of(db, OWNERS[owner], ids) for owner, ids in wanted.items()}
    groups: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for code, fen in balances:
        kind, _, rest = code.partition(":")
        owner, _, key = rest.partition(":")
        label = names.get(owner, {}).get(int(key), rest) if key.isdecimal() else rest
        groups[kind].append((T.COUNTY["county_account"] if owner == "county" else label, fen))
    order = list(T.ACCOUNT_KINDS)
    out = []
    for kind, rows in sorted(groups.items(), key=lambda g: order.index(g[0]) if g[0] in order else len(order)):
        total = sum(f for _, f in rows)
        if kind == "receivable":
            rows = [(T.COUNTY["bills_n"].format(n=len(rows)), total)]
        out.append((kind, total, rows))
    return out


def county_bills(request: Req, county: str, schools: Mapping[int, str]) -> tuple[Listing, BillFilter]:
    """The county's bill list as the query asks for it (search, school, status, page)."""
    listing = Listing.parse(request.query_params, keep=("school_id", "status"))
    return listing, BillFilter(county, school_id=bill_list.school_of(request.query_params, schools),
                               status=bill_list.status_of(request.query_params), like=listing.like if listing.q else "")


class CountyBillingPages(Controller):
    path = "/county"
    include_in_schema = False

    @get("/billing", sync_to_thread=True)
    def billing(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        actor.require("county_staff")
        county = actor.county_code or ""
        schools = bill_list.county_schools(db, county)
        listing, wanted = county_bills(request, county, schools)
        found, total = listing.fetch(db, bill_list.stmt(wanted))
        shown = bill_list.rows_of(db, county, found)
        viewed.record(ctx, actor, county, [r.bill.student_id for r in shown], "bills")
        every = settlement.listing(db, actor)  # the county's, newest first
        rows = [s for s in every if s.status == "school_approved"]
        to_pay = [s for s in every if s.status == "approved" and s.collector == f"county:{county}"]
        report = reconcile.run(ctx, db, county, check_gateways=False)  # the gateways: `kehou billing reconcile`
        return page(request, "county_billing.html", actor, T.COUNTY, rows=rows, to_pay=to_pay, recent=every[:RECENT],
                    recent_more=max(0, len(every) - RECENT), enabled=billing_on(ctx, db, county) is not None,
                    county_account=f"county:{county}",
                    school_names=names_of(db, School, {s.school_id for s in every}),
                    provider_names=names_of(db, Provider, {s.provider_id for s in every}),
                    groups=ledger_by_kind(db, county), report=report, kinds=T.ACCOUNT_KINDS,
                    settlement_status=T.SETTLEMENT_STATUS, schools=schools, listing=listing, total=total,
                    bills=[(r, bill_status(r.bill, r.outstanding)) for r in shown],
                    sums=bill_list.sums(db, wanted) if total else (0, 0, 0), status=wanted.status,
                    school_id=wanted.school_id, filtered=bool(listing.q or wanted.status or wanted.school_id),
                    bill_filter=T.BILL_FILTER, bill_status=T.BILL_STATUS)

    @get("/billing/bills.xlsx", sync_to_thread=True)
    def export(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Response[bytes]:
        """The county's bill list as Excel: the same search, school and status, every row (up to EXPORT_MAX)."""
        actor.require("county_staff")
        county = actor.county_code or ""
        _, wanted = county_bills(request, county, bill_list.county_schools(db, county))
        rows = bill_list.export_rows(db, wanted, EXPORT_MAX)
        viewed.record(ctx, actor, county, [r.bill.student_id for r in rows], "bills_export")
        return bills_xlsx(rows, with_school=True)

    @post("/settlements/{settlement_id:int}/approve", sync_to_thread=True)
    def approve(self, request: Req, settlement_id: FromPath[int], data: Form, db: DB, actor: Who) -> Redirect:
        actor.require("county_staff")
        settlement.get(db, actor, settlement_id)  # another county's: not found

        def run() -> str:
            settlement.approve(db, actor, settlement_id, field(data, "reason"))
            return T.DONE["approved_final"]

        return attempt(request, "/county/billing#pending", run)

    @post("/settlements/{settlement_id:int}/paid", sync_to_thread=True)
    def paid(self, request: Req, settlement_id: FromPath[int], data: Form, db: DB, actor: Who) -> Redirect:
        """The bureau paid the provider from its special account (a county that collects the fees itself)."""
        actor.require("county_staff")
        settlement.get(db, actor, settlement_id)  # another county's: not found

        def run() -> str:
            settlement.mark_paid(db, actor, settlement_id, field(data, "reference"))
            return T.DONE["paid"]

        return attempt(request, "/county/billing#to-pay", run)
