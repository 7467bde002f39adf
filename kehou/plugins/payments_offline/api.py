"""JSON API of offline payments: record a transfer by hand, import a bank statement, list its lines,
match a line to a bill by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody

from kehou.pluginapi import BillSnapshot, PaymentSnapshot
from kehou.plugins.payments_offline import importer, services
from kehou.web.deps import DB, Who

#: Any on purpose: Litestar converts JSON leniently, so an ``int`` field would take "300.00" (yuan, as text)
#: as 300 fen. The service accepts a JSON integer only and says what it wants otherwise.
AmountFen = Annotated[Any, msgspec.Meta(description="到账金额，整数，单位分（300元填30000）")]


class ReceiptBody(msgspec.Struct):
    bank_txn_id: str
    amount_fen: AmountFen
    paid_on: str  # YYYY-MM-DD (checked by the service, with a precise message)
    payer: str
    note: str = ""


class MatchBody(msgspec.Struct):
    bill_id: int


@dataclass
class StatementForm:
    file: UploadFile


def payment_out(p: PaymentSnapshot) -> dict[str, Any]:
    return {"id": p.payment_id, "bill_id": p.bill_id, "gateway": p.gateway, "external_id": p.external_id,
            "amount_fen": p.amount_fen, "refunded_fen": p.refunded_fen}


def bill_out(b: BillSnapshot) -> dict[str, Any]:
    return {"id": b.bill_id, "reference": b.reference, "total_fen": b.total_fen, "paid_fen": b.paid_fen,
            "outstanding_fen": b.outstanding_fen}


class OfflinePaymentsApi(Controller):
    path = "/api/v1"
    tags = ("payments",)

    @post("/bills/{bill_id:int}/offline-payments", sync_to_thread=True, status_code=201,
          summary="Record a bank transfer by hand (the collector's staff); the same bank_txn_id again answers 200")
    def record(self, bill_id: FromPath[int], data: JSONBody[ReceiptBody], db: DB, actor: Who) -> Response[dict[str, Any]]:
        done = services.record_by_hand(db, actor, bill_id, services.HandReceipt(**msgspec.structs.asdict(data)))
        return Response({"payment": payment_out(done.payment), "bill": bill_out(done.bill), "created": done.created},
                        status_code=201 if done.created else 200)

    @post("/schools/{school_id:int}/bank-statements", sync_to_thread=True, status_code=200,
          summary="Import a bank statement (multipart file: CSV or .xlsx, at most 2 MB and 5,000 lines; school admin)",
          request_max_body_size=importer.MAX_BYTES + 256 * 1024)
    def import_statement(self, school_id: FromPath[int], data: MultipartBody[StatementForm], db: DB,
                         actor: Who) -> dict[str, Any]:
        content = data.file.file.read(importer.MAX_BYTES + 1)
        result = services.import_statement(db, actor, school_id, filename=data.file.filename or "", data=content)
        return {"counts": result.counts(),
                "unmatched": [services.line_out(line) | {"row": row} for row, line in result.unmatched_lines],
                "rejected": [{"row": r.row, "problem": r.problem} for r in result.rejected]}

    @get("/schools/{school_id:int}/bank-statements", sync_to_thread=True,
         summary="Imported statement lines (?unmatched=true: only those without a payment)")
    def lines(self, school_id: FromPath[int], db: DB, actor: Who, unmatched: FromQuery[bool] = False) -> list[dict[str, Any]]:
        return [services.line_out(x) for x in services.lines_of_school(db, actor, school_id, unmatched=unmatched)]

    @post("/bank-statement-lines/{line_id:int}/match", sync_to_thread=True, status_code=200,
          summary="Match an unmatched statement line to a bill of the school by hand (school admin)")
    def match(self, line_id: FromPath[int], data: JSONBody[MatchBody], db: DB, actor: Who) -> dict[str, Any]:
        line, payment = services.match_line(db, actor, line_id, data.bill_id)
        return {"line": services.line_out(line), "payment": payment_out(payment)}


API_ROUTES = [OfflinePaymentsApi]
