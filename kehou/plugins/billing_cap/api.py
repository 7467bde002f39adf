"""JSON API of billing: bills and payments, waivers, term-end statements, provider settlements,
the ledger and the public fee page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from kehou.errors import ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.privacy import access as viewed
from kehou.plugins.billing_cap import access, bills, ledger, payments, publicity, reconcile, settlement, statement
from kehou.plugins.billing_cap.models import Bill, Settlement, TermStatement, Waiver
from kehou.web.deps import DB, Ctx, Who

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TermBody(msgspec.Struct):
    term_name: str


class PayBody(msgspec.Struct):
    gateway: str


class WaiverBody(msgspec.Struct):
    student_id: int
    term_name: str
    tier: str
    evidence: str
    reason: str


class PeriodBody(msgspec.Struct):
    period_start: dt.date
    period_end: dt.date


class ApproveBody(msgspec.Struct):
    reason: str = ""


class PaidBody(msgspec.Struct):
    reference: str


def bill_out(db: Any, b: Bill, *, full: bool = False) -> dict[str, Any]:
    out = {"id": b.id, "reference": b.reference, "student_id": b.student_id, "school_id": b.school_id,
           "term_name": b.term_name, "kind": b.kind, "status": b.status, "collector": b.collector,
           "course_fen": b.course_fen, "materials_fen": b.materials_fen, "waiver_fen": b.waiver_fen,
           "total_fen": b.total_fen, "paid_fen": b.paid_fen, "outstanding_fen": bills.outstanding(db, b),
           "due_on": b.due_on.isoformat(), "policy_on": b.policy_on.isoformat()}
    if full:
        out["lines"] = [{"kind": x.kind, "description": x.description, "amount_fen": x.amount_fen,
                         "enrolment_id": x.enrolment_id, "provider_id": x.provider_id} for x in bills.lines_of(db, b)]
        out["payments"] = [{"id": p.id, "gateway": p.gateway, "external_id": p.external_id, "amount_fen": p.amount_fen,
                            "refunded_fen": p.refunded_fen, "at": p.created_at.isoformat()} for p in payments.payments_of(db, b)]
        out["policy"] = b.policy
    return out


def waiver_out(w: Waiver) -> dict[str, Any]:
    return {"id": w.id, "student_id": w.student_id, "term_name": w.term_name, "tier": w.tier, "percent": w.percent,
            "evidence": w.evidence, "recorded_at": w.recorded_at.isoformat()}


def statement_out(s: TermStatement) -> dict[str, Any]:
    return {"id": s.id, "student_id": s.student_id, "term_name": s.term_name, "charged_fen": s.charged_fen,
            "extra_fen": s.extra_fen, "refund_fen": s.refund_fen, "balance_fen": s.balance_fen, "lines": s.lines}


def settlement_out(s: Settlement) -> dict[str, Any]:
    return {"id": s.id, "school_id": s.school_id, "provider_id": s.provider_id, "period_start": s.period_start.isoformat(),
            "period_end": s.period_end.isoformat(), "status": s.status, "amount_fen": s.amount_fen, "lessons": s.lessons,
            "county_approval": s.county_approval}


def seen(ctx: Context, actor: Actor, rows: Sequence[Bill | Waiver | TermStatement], what: str) -> None:
    """Log the children of these rows (all of one school, so of one county) as seen by the actor (child_access;
    a family's own views are not logged). Called once the rows are read."""
    if rows:
        viewed.record(ctx, actor, rows[0].county_code, [r.student_id for r in rows], what)


def settlement_xlsx(ctx: Context, db: Any, actor: Actor, row: Settlement) -> Response[bytes]:
    """A settlement's Excel (one line per lesson and child, by student number): the children are logged as seen."""
    body = settlement.xlsx(db, row)
    viewed.record(ctx, actor, row.county_code, settlement.student_ids(db, row), "settlement_export")
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="settlement-{row.id}.xlsx"'})


def _term(term_name: str) -> str:
    if not term_name.strip() or len(term_name) > 60:
        raise ValidationFailed("请填写学期名称。", code="term_required", field="term_name")
    return term_name.strip()


class BillingApi(Controller):
    path = "/api/v1"
    tags = ["billing"]

    @post("/schools/{school_id:int}/bills", sync_to_thread=True, status_code=200,
          summary="Issue the term bills (one per student; repeatable)")
    def issue(self, school_id: FromPath[int], data: JSONBody[TermBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        result = bills.issue_for_school(ctx, db, actor, school_id, _term(data.term_name))
        return {"created": len(result.created), "existing": len(result.existing)}

    @get("/schools/{school_id:int}/bills", sync_to_thread=True)
    def school_bills(self, school_id: FromPath[int], db: DB, ctx: Ctx, actor: Who,
                     term_name: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        rows = bills.bills_of_school(db, actor, school_id, term_name)
        out = [bill_out(db, b) for b in rows]
        seen(ctx, actor, rows, "bills_api")
        return out

    @get("/children/{student_id:int}/bills", sync_to_thread=True, summary="A parent's child's bills")
    def child_bills(self, student_id: FromPath[int], db: DB, actor: Who) -> list[dict[str, Any]]:
        return [bill_out(db, b) for b in bills.bills_of_child(db, actor, student_id)]

    @get("/bills/{bill_id:int}", sync_to_thread=True)
    def bill(self, bill_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        row = access.bill_for(db, actor, bill_id)  # its family, its school, its county (others: not found)
        out = bill_out(db, row, full=True)
        seen(ctx, actor, [row], "bill_api")  # the family's own bill: not logged
        return out

    @post("/bills/{bill_id:int}/pay", sync_to_thread=True, status_code=200, summary="Start paying through a gateway")
    def pay(self, bill_id: FromPath[int], data: JSONBody[PayBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return payments.start(ctx, db, actor, bill_id, data.gateway)

    @get("/payment-gateways", sync_to_thread=True)
    def gateways(self, ctx: Ctx, actor: Who) -> list[dict[str, str]]:
        actor.require()
        return [{"name": g.name, "label": g.label} for g in payments.gateways(ctx).values()]

    @post("/schools/{school_id:int}/waivers", sync_to_thread=True, status_code=201)
    def waive(self, school_id: FromPath[int], data: JSONBody[WaiverBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return waiver_out(bills.record_waiver(ctx, db, actor, school_id, student_id=data.student_id,
                                              term_name=_term(data.term_name), tier=data.tier, evidence=data.evidence,
                                              reason=data.reason))

    @get("/schools/{school_id:int}/waivers", sync_to_thread=True)
    def waivers(self, school_id: FromPath[int], db: DB, ctx: Ctx, actor: Who,
                term_name: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        rows = bills.waivers_of_school(db, actor, school_id, term_name)
        seen(ctx, actor, rows, "waivers_api")
        return [waiver_out(w) for w in rows]

    @post("/schools/{school_id:int}/statements", sync_to_thread=True, status_code=200, summary="Term-end statements (多退少补)")
    def close_term(self, school_id: FromPath[int], data: JSONBody[TermBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        made = statement.close_term(ctx, db, actor, school_id, _term(data.term_name))
        return {"created": len(made)}

    @get("/schools/{school_id:int}/statements", sync_to_thread=True)
    def statements(self, school_id: FromPath[int], db: DB, ctx: Ctx, actor: Who,
                   term_name: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        rows = statement.statements_of_school(db, actor, school_id, term_name)
        seen(ctx, actor, rows, "statements_api")
        return [statement_out(s) for s in rows]

    @post("/schools/{school_id:int}/refunds", sync_to_thread=True, status_code=200, summary="Pay out statement credits")
    def refunds(self, school_id: FromPath[int], data: JSONBody[TermBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return {"refunded_fen": statement.pay_refunds(ctx, db, actor, school_id, _term(data.term_name))}


class SettlementApi(Controller):
    path = "/api/v1"
    tags = ["billing"]

    @post("/schools/{school_id:int}/settlements", sync_to_thread=True, status_code=200, summary="Draft provider settlements")
    def draft(self, school_id: FromPath[int], data: JSONBody[PeriodBody], db: DB, ctx: Ctx, actor: Who) -> list[dict[str, Any]]:
        return [settlement_out(s) for s in settlement.draft(ctx, db, actor, school_id, data.period_start, data.period_end)]

    @get("/settlements", sync_to_thread=True)
    def listing(self, db: DB, actor: Who, status: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        return [settlement_out(s) for s in settlement.listing(db, actor, status)]

    @get("/settlements/{settlement_id:int}", sync_to_thread=True)
    def one(self, settlement_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        row = settlement.get(db, actor, settlement_id)
        lines = settlement.lines(db, row)  # one per lesson and child: the children are logged as seen
        viewed.record(ctx, actor, row.county_code, [x.student_id for x in lines], "settlement_api")
        return settlement_out(row) | {"lines": [{"lesson_id": x.lesson_id, "enrolment_id": x.enrolment_id,
                                                 "student_id": x.student_id, "amount_fen": x.amount_fen} for x in lines]}

    @get("/settlements/{settlement_id:int}/xlsx", sync_to_thread=True, summary="Excel for the finance office")
    def export(self, settlement_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Response[bytes]:
        return settlement_xlsx(ctx, db, actor, settlement.get(db, actor, settlement_id))

    @post("/settlements/{settlement_id:int}/approve", sync_to_thread=True, status_code=200)
    def approve(self, settlement_id: FromPath[int], data: JSONBody[ApproveBody], db: DB, actor: Who) -> dict[str, Any]:
        return settlement_out(settlement.approve(db, actor, settlement_id, data.reason))

    @post("/settlements/{settlement_id:int}/paid", sync_to_thread=True, status_code=200)
    def paid(self, settlement_id: FromPath[int], data: JSONBody[PaidBody], db: DB, actor: Who) -> dict[str, Any]:
        return settlement_out(settlement.mark_paid(db, actor, settlement_id, data.reference))


class LedgerApi(Controller):
    path = "/api/v1"
    tags = ["billing"]

    @get("/counties/{code:str}/ledger", sync_to_thread=True, summary="Account balances and reconciliation")
    def balances(self, code: FromPath[str], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        county_code = code
        actor.require("county_staff", "platform_admin")
        actor.require_county(county_code)
        report = reconcile.run(ctx, db, county_code, check_gateways=False)  # gateways: `kehou billing reconcile`
        return {"balances": ledger.balances(db, county_code), "transactions": report.transactions,
                "balanced": report.ok, "problems": report.problems}

    @get("/public/fees/{school_id:int}", sync_to_thread=True, summary="Fee publicity (收费公示), no login")
    def fees(self, school_id: FromPath[int], db: DB, ctx: Ctx, term_name: FromQuery[str | None] = None) -> dict[str, Any]:
        return publicity.page(ctx, db, school_id, term_name)


API_ROUTES = [BillingApi, SettlementApi, LedgerApi]
