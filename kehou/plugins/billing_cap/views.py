"""Chinese web pages of billing: the public fee publicity (收费公示), a parent's bills and paying one,
a provider's settlements, and the Excel of a settlement for a logged-in session. The school's and
the county's pages are in :mod:`kehou.plugins.billing_cap.views_school` (with the shared helpers).

Thin on purpose: the services check roles and ownership (another family's bill is not found) and
raise domain errors, which :mod:`kehou.web.errors` turns into a message or the error page. All text
is in :mod:`kehou.plugins.billing_cap.text`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from kehou.errors import NotFound
from kehou.platform.counties.models import School
from kehou.platform.students import services as students
from kehou.platform.students.models import Student
from kehou.plugins.billing_cap import access, bills, payments, publicity, settlement
from kehou.plugins.billing_cap import text as T
from kehou.plugins.billing_cap.api import settlement_xlsx
from kehou.plugins.billing_cap.models import Bill
from kehou.plugins.billing_cap.policy import FeePolicy
from kehou.plugins.billing_cap.views_school import (
    CountyBillingPages,
    Form,
    Req,
    SchoolBillingPages,
    bill_status,
    billing_on,
    names_of,
    page,
)
from kehou.plugins.course_catalogue import public as catalogue
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import field

XLSX_NAME = re.compile(r"(\d{1,12})\.xlsx")


# --- the public fee page ------------------------------------------------------------------------


class FeePublicityPages(Controller):
    path = "/fees"
    include_in_schema = False

    @get("/{school_id:int}", sync_to_thread=True)
    def fees(self, request: Req, school_id: FromPath[int], db: DB, ctx: Ctx, actor: Who,
             term_name: FromQuery[str] = "") -> Template:
        data = publicity.page(ctx, db, school_id, term_name or None)  # unknown school, nothing published: 404 page
        return page(request, "fees.html", actor, T.FEES, fees=data, account_rows=T.ACCOUNTS)


# --- parents --------------------------------------------------------------------------------------


ACCOUNT_FIELDS = ("name", "bank", "number")


def collecting_account(ctx: Ctx, db: DB, bill: Bill, school: School | None) -> dict[str, str] | None:
    """The account the family transfers the fee to: the collector's special account as the county set it in the
    offline gateway's settings (``payments_offline.school_accounts`` by school name, or
    ``payments_offline.county_account`` when the county collects). None while it is not set (or the offline
    gateway is not installed): the page then says to follow the school's notice."""
    values = billing_on(ctx, db, bill.county_code) or {}
    if bill.collector.startswith("county:"):
        row = values.get("payments_offline.county_account") or {}
        given = [row.get(k) for k in ACCOUNT_FIELDS] if isinstance(row, dict) else []
    else:
        given = (values.get("payments_offline.school_accounts") or {}).get(school.name if school else "") or []
    if isinstance(given, list) and len(given) == 3 and all(isinstance(v, str) and v.strip() for v in given):
        return dict(zip(ACCOUNT_FIELDS, given, strict=True))
    return None


def cancelled_enrolments(db: DB, bills_: list[Bill]) -> set[int]:
    """Enrolments of these bills' lines whose course the school cancelled after the bill was issued. Billing charged
    them when the bill was made and does not change the bill for it: the lessons not delivered come back at the
    term-end statement (多退少补), so the line stays in the total and is shown as cancelled, with that note."""
    out: set[int] = set()
    for key in {(b.student_id, b.term_name) for b in bills_}:
        out |= {r.enrolment_id for r in catalogue.enrolments(db, student_id=key[0], term_name=key[1]) if r.status == "cancelled"}
    return out


def bill_detail(request: Req, db: DB, ctx: Ctx, actor: Who, bill_id: int,
                started: dict[str, Any] | None = None) -> Template:
    actor.require("parent")
    bill = access.bill_for(db, actor, bill_id)  # another family's bill: not found
    outstanding = bills.outstanding(db, bill)
    gateways = payments.gateways(ctx)
    payable = outstanding > 0 and bill.status != "settled"
    school = db.get(School, bill.school_id)
    policy = FeePolicy.from_json(bill.policy)
    return page(request, "parent_bill.html", actor, T.BILL, bill=bill, outstanding=outstanding,
                status=bill_status(bill, outstanding), kid=db.get(Student, bill.student_id), school=school,
                lines=bills.lines_of(db, bill), cancelled=cancelled_enrolments(db, [bill]),
                refund_undelivered=policy.rule("undelivered") is not None, paid_in=payments.payments_of(db, bill),
                gateways=list(gateways.values()) if payable else [],
                account=collecting_account(ctx, db, bill, school) if payable and "offline" in gateways else None,
                transfer=payable and "offline" in gateways,
                gateway_labels={g.name: g.label for g in gateways.values()},
                refund_rules=publicity.refund_sentences(policy), started=started,
                bill_status=T.BILL_STATUS, bill_kinds=T.BILL_KINDS, line_kinds=T.LINE_KINDS)


class ParentBillingPages(Controller):
    path = "/parent/bills"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def listing(self, request: Req, db: DB, actor: Who) -> Template:
        kids = students.children_of(db, actor)
        rows: list[dict[str, Any]] = []
        for kid in kids:
            for b in bills.bills_of_child(db, actor, kid.id):
                outstanding = bills.outstanding(db, b)
                rows.append({"bill": b, "kid": kid, "lines": bills.lines_of(db, b), "outstanding": outstanding,
                             "status": bill_status(b, outstanding)})
        rows.sort(key=lambda r: (r["bill"].issued_at, r["bill"].id), reverse=True)
        return page(request, "parent_bills.html", actor, T.BILLS, kids=kids, rows=rows, bill_status=T.BILL_STATUS,
                    line_kinds=T.LINE_KINDS, cancelled=cancelled_enrolments(db, [r["bill"] for r in rows]))

    @get("/{bill_id:int}", sync_to_thread=True)
    def one(self, request: Req, bill_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Template:
        return bill_detail(request, db, ctx, actor, bill_id)

    @post("/{bill_id:int}/pay", sync_to_thread=True, status_code=200)
    def pay(self, request: Req, bill_id: FromPath[int], data: Form, db: DB, ctx: Ctx, actor: Who) -> Template:
        """The gateway's instructions, shown on the bill (paying twice is harmless: the gateways are idempotent)."""
        actor.require("parent")
        started = payments.start(ctx, db, actor, bill_id, field(data, "gateway"))
        return bill_detail(request, db, ctx, actor, bill_id, started)


# --- providers --------------------------------------------------------------------------------------


class ProviderSettlementPages(Controller):
    path = "/provider/settlements"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def listing(self, request: Req, db: DB, actor: Who) -> Template:
        actor.require("provider")
        rows = settlement.listing(db, actor)
        return page(request, "provider_settlements.html", actor, T.PROVIDER, rows=rows,
                    school_names=names_of(db, School, {s.school_id for s in rows}), settlement_status=T.SETTLEMENT_STATUS)

    @get("/{settlement_id:int}", sync_to_thread=True)
    def one(self, request: Req, settlement_id: FromPath[int], db: DB, actor: Who) -> Template:
        actor.require("provider")
        row = settlement.get(db, actor, settlement_id)  # another provider's: not found
        days = {le.lesson_id: le.day for le in catalogue.lessons(db, provider_id=row.provider_id, since=row.period_start,
                                                                 until=row.period_end)}
        per_lesson: dict[int, list[int]] = defaultdict(list)
        for line in settlement.lines(db, row):
            per_lesson[line.lesson_id].append(line.amount_fen)
        lessons = sorted(((days.get(lid), len(v), sum(v)) for lid, v in per_lesson.items()), key=lambda x: str(x[0]))
        return page(request, "provider_settlement.html", actor, T.PROVIDER, row=row, lessons=lessons,
                    school=db.get(School, row.school_id), settlement_status=T.SETTLEMENT_STATUS)


# --- the Excel of a settlement, for a logged-in page -------------------------------------------------


class SettlementDownloads(Controller):
    path = "/billing/settlements"
    include_in_schema = False

    @get("/{file_name:str}", sync_to_thread=True)
    def xlsx(self, file_name: FromPath[str], db: DB, ctx: Ctx, actor: Who) -> Response[bytes]:
        """``/billing/settlements/<id>.xlsx``: the school, the county, the provider (each its own) or a platform admin."""
        match = XLSX_NAME.fullmatch(file_name)
        if match is None:
            actor.require()
            raise NotFound(T.ERRORS["not_found"], code="file_not_found")
        return settlement_xlsx(ctx, db, actor, settlement.get(db, actor, int(match.group(1))))


HTML_ROUTES: list[Any] = [FeePublicityPages, ParentBillingPages, ProviderSettlementPages, SettlementDownloads,
                          SchoolBillingPages, CountyBillingPages]
