"""Pages of school finance (收款对账): the school's administrator imports the bank statement of the school's
special account, matches the lines left over to bills by hand, and records a receipt seen at the bank.

Thin on purpose: who may is decided by the services (:mod:`kehou.plugins.payments_offline.services`) and by
billing (``may_record``); money is recorded only through them. The forms name the bill by its reference (typed,
or chosen from the school's open bills by reference or child's name); amounts are typed in yuan and turned into
fen exactly here. The last import's result waits in the session for the page the browser is sent back to. All
text is in :mod:`kehou.plugins.payments_offline.text`.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, KehouError, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.platform.policy import services as policy
from kehou.platform.privacy import access as viewed
from kehou.platform.students.models import Student
from kehou.pluginapi import BillSnapshot
from kehou.plugins.billing_cap import public as billing
from kehou.plugins.payments_offline import importer, services
from kehou.plugins.payments_offline import text as T
from kehou.plugins.payments_offline.gateway import yuan
from kehou.plugins.payments_offline.models import OfflineStatementLine
from kehou.timeutil import clock
from kehou.web.deps import DB, Ctx, Who
from kehou.web.errors import flash
from kehou.web.pages import done, field, render

Form = URLEncodedBody[dict[str, Any]]
Req = Request[Any, Any, Any]

PAGE = "/school/payments"
PER_PAGE = 50
SESSION_KEY = "payments_import"  # the last import's result, shown once after the redirect
SHOWN_ROWS = 20  # rejected rows kept for the page (the session is a signed cookie)
SAMPLE = Path(__file__).resolve().parents[2] / "cli" / "samples" / "bank-statement-sample.csv"
SAMPLE_NAME = "银行流水示例.csv"
YUAN = re.compile(r"\d{1,9}(\.\d{1,2})?")


# --- reading the forms ------------------------------------------------------------------------


def own_school(db: Session, actor: Actor) -> School:
    """The administrator's own school (others: 403; not logged in: to the login page)."""
    return services.school_for_import(db, actor, int(actor.school_id or 0))


def to_fen(raw: str) -> int:
    """Yuan as typed ("300", "300.00", "1,200.5", "¥300元") to fen, exactly; a third decimal is refused, never rounded."""
    text = raw.strip().replace(",", "").replace("，", "").removesuffix("元").strip().lstrip("¥￥").strip()
    if not YUAN.fullmatch(text):
        raise ValidationFailed(T.ERRORS["amount"], code="amount_invalid", field="amount_yuan")
    fen = int(Decimal(text) * 100)
    if fen <= 0:
        raise ValidationFailed(T.ERRORS["amount_positive"], code="amount_invalid", field="amount_yuan")
    return fen


def names_of(db: Session, student_ids: set[int]) -> dict[int, str]:
    if not student_ids:
        return {}
    return dict(db.execute(select(Student.id, Student.name).where(Student.id.in_(sorted(student_ids)))).all())


def bill_from(db: Session, actor: Actor, school: School, typed: str) -> BillSnapshot:
    """The school's bill a form names: by the reference in the text (as chosen from the list, or typed), or by
    the child's name when exactly one open bill is theirs. Unknown and another school's bill read the same."""
    refs = importer.references(typed)
    for ref in refs:
        try:
            bill = billing.lock_bill(db, reference=ref)
        except NotFound:
            continue
        if bill.school_id == school.id:
            return bill
    if refs:
        raise ValidationFailed(T.ERRORS["bill_unknown"].format(reference=refs[0]), code="bill_not_found", field="bill")
    name = typed.strip()
    if name:
        open_bills = billing.bills_to_collect(db, actor, school.id)
        names = names_of(db, {b.student_id for b in open_bills})
        theirs = [b for b in open_bills if names.get(b.student_id) == name]
        if len(theirs) == 1:
            return theirs[0]
    raise ValidationFailed(T.ERRORS["bill_required"], code="bill_required", field="bill")


def as_form_error(err: PermissionDenied) -> KehouError:
    """Billing refuses a bill the school does not collect (the county does): a problem with the bill chosen, told
    beside the field. Any other refusal stays what it is."""
    return ValidationFailed(err.message, code=err.code, field="bill") if err.code == "not_collector" else err


def back_to(request: Req, anchor: str) -> str:
    """The page the form was on, with its search and paging (when it was this page), at ``anchor``."""
    referer = urlsplit(request.headers.get("referer") or "")
    path = PAGE + (f"?{referer.query}" if referer.path == PAGE and referer.query else "")
    return f"{path}#{anchor}"


# --- what the page shows --------------------------------------------------------------------------


def lines_page(db: Session, school_id: int, *, matched: bool, q: str, page: int) -> tuple[list[OfflineStatementLine], int, int]:
    """One page of the school's statement lines (newest first), matched or not, searched over payer, note and
    transaction id. Returns (lines, how many match, the page shown)."""
    line = OfflineStatementLine
    stmt = select(line).where(line.school_id == school_id,
                              line.payment_id.is_not(None) if matched else line.payment_id.is_(None))
    if q:
        like = "%" + re.sub(r"([\\%_])", r"\\\1", q) + "%"
        stmt = stmt.where(or_(line.payer.ilike(like, escape="\\"), line.reference.ilike(like, escape="\\"),
                              line.bank_txn_id.ilike(like, escape="\\")))
    found = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = min(max(page, 1), max(1, math.ceil(found / PER_PAGE)))
    rows = db.scalars(stmt.order_by(line.paid_on.desc(), line.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return list(rows), found, page


def counts(db: Session, school_id: int) -> tuple[int, int]:
    """(lines imported, lines waiting to be matched by hand: unmatched with a positive amount)."""
    line = OfflineStatementLine
    total = db.scalar(select(func.count()).where(line.school_id == school_id)) or 0
    waiting = db.scalar(select(func.count()).where(line.school_id == school_id, line.payment_id.is_(None),
                                                   line.amount_fen > 0)) or 0
    return total, waiting


def account_of(ctx: Context, db: Session, school: School) -> tuple[dict[str, str] | None, bool]:
    """The school's collecting account as the county set it (``payments_offline.school_accounts``), and whether
    the school collects its bills (``billing.collector``)."""
    values = policy.resolve_recent(db, ctx.registry, school.county_code)
    row = (values.get("payments_offline.school_accounts") or {}).get(school.name)
    account = dict(zip(("name", "bank", "number"), row, strict=True)) if isinstance(row, list) and len(row) == 3 else None
    return account, values.get("billing.collector", "school") != "county"


def suggestion(line: OfflineStatementLine, open_bills: list[BillSnapshot], names: dict[int, str]) -> str:
    """A bill to offer for an unmatched line: the one open bill whose child the payer or the note names."""
    text = f"{line.payer} {line.reference}"
    hits = [b for b in open_bills if names.get(b.student_id) and names[b.student_id] in text]
    return option(hits[0], names) if len(hits) == 1 else ""


def option(bill: BillSnapshot, names: dict[int, str]) -> str:
    """A bill as offered in the list and put in the field: reference first (what the server reads back)."""
    owed = f"{T.PAGE['outstanding']}{yuan(bill.outstanding_fen)}{T.PAGE['yuan']}"
    return f"{bill.reference} {names.get(bill.student_id, '')}（{owed}）"


def page_url(q: str, page: int, mpage: int, anchor: str) -> str:
    query = {k: v for k, v in (("q", q), ("page", page if page > 1 else ""), ("mpage", mpage if mpage > 1 else "")) if v}
    return PAGE + (f"?{urlencode(query)}" if query else "") + f"#{anchor}"


class SchoolPaymentPages(Controller):
    path = PAGE
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Req, db: DB, ctx: Ctx, actor: Who, q: FromQuery[str] = "", page: FromQuery[int] = 1,
              mpage: FromQuery[int] = 1, bill: FromQuery[str] = "") -> Template:
        school = own_school(db, actor)
        q = q.strip()[:100]
        open_bills = billing.bills_to_collect(db, actor, school.id)
        unmatched, unmatched_found, page = lines_page(db, school.id, matched=False, q=q, page=page)
        matched, matched_found, mpage = lines_page(db, school.id, matched=True, q=q, page=mpage)
        paid_to = billing.bills_of_payments(db, [x.payment_id for x in matched if x.payment_id is not None])
        shown = {b.student_id for b in open_bills} | {b.student_id for b in paid_to.values()}
        names = names_of(db, shown)
        account, collects = account_of(ctx, db, school)
        imported, waiting = counts(db, school.id)
        result = request.session.pop(SESSION_KEY, None) if "session" in request.scope else None
        chosen = next((option(b, names) for b in open_bills if bill and b.reference == bill.strip().upper()), "")
        # the open bills offered by child's name and what each owes, and the children of the matched lines shown
        viewed.record(ctx, actor, school.county_code, shown, "offline_payments")
        return render(request, "payments/school_payments.html", actor, T.PAGE, school=school, yuan=yuan,
                      open_bills=open_bills, open_total=sum(b.outstanding_fen for b in open_bills),
                      options=[option(b, names) for b in open_bills], chosen=chosen, account=account, collects=collects,
                      imported=imported, waiting=waiting, result=result if isinstance(result, dict) else None,
                      q=q, unmatched=[(x, suggestion(x, open_bills, names)) for x in unmatched],
                      unmatched_found=unmatched_found, page=page, pages=max(1, math.ceil(unmatched_found / PER_PAGE)),
                      matched=matched, matched_found=matched_found, mpage=mpage,
                      mpages=max(1, math.ceil(matched_found / PER_PAGE)), paid_to=paid_to, names=names,
                      today=clock.today_local(), page_url=page_url)

    @get("/sample", sync_to_thread=True)
    def sample(self, db: DB, actor: Who) -> Response[bytes]:
        """The sample statement (demo bills of 西湖区第1小学), a CSV in UTF-8 with BOM that Excel opens."""
        own_school(db, actor)
        return Response(SAMPLE.read_bytes(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f"attachment; filename=\"bank-statement-sample.csv\"; filename*=UTF-8''{quote(SAMPLE_NAME)}"})

    @post("/statements", sync_to_thread=True, request_max_body_size=importer.MAX_BYTES + 256 * 1024)
    def statements(self, request: Req, data: MultipartBody[dict[str, Any]], db: DB, actor: Who) -> Redirect:
        school = own_school(db, actor)
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed(T.ERRORS["file"], code="file_required", field="file")
        name = upload.filename[-60:]
        try:
            result = services.import_statement(db, actor, school.id, filename=upload.filename,
                                               data=upload.file.read(importer.MAX_BYTES + 1))
        except importer.StatementTooLarge as err:  # 413: still a problem with the file chosen, told on the page
            flash(request, "error", err.message)
            return Redirect(path=f"{PAGE}#import", status_code=303)
        figures = result.counts()
        request.session[SESSION_KEY] = {
            "file": name, "counts": figures,
            "rejected": [[r.row, r.problem] for r in result.rejected[:SHOWN_ROWS]],
            "more": max(0, len(result.rejected) - SHOWN_ROWS)}
        return done(request, f"{PAGE}#result", T.DONE["imported"].format(file=name, **figures))

    @post("/receipts", sync_to_thread=True)
    def receipt(self, request: Req, data: Form, db: DB, actor: Who) -> Redirect:
        school = own_school(db, actor)
        bill = bill_from(db, actor, school, field(data, "bill"))
        amount = to_fen(field(data, "amount_yuan"))
        receipt = services.HandReceipt(bank_txn_id=field(data, "bank_txn_id"), amount_fen=amount, paid_on=field(data, "paid_on"),
                                       payer=field(data, "payer"), note=field(data, "note"))
        try:
            recorded = services.record_by_hand(db, actor, bill.bill_id, receipt)
        except PermissionDenied as err:
            raise as_form_error(err) from None
        except Conflict as err:  # the transaction id is on another bill or with another amount: beside that field
            raise Conflict(err.message, code=err.code, field="bank_txn_id") from None
        if not recorded.created:
            message = T.DONE["already"].format(txn=recorded.payment.external_id, reference=recorded.bill.reference)
        else:
            message = T.DONE["recorded"].format(amount=yuan(recorded.payment.amount_fen), reference=recorded.bill.reference)
        return done(request, back_to(request, "receipt"), message)

    @post("/lines/{line_id:int}/match", sync_to_thread=True)
    def match(self, request: Req, line_id: FromPath[int], data: Form, db: DB, actor: Who) -> Redirect:
        school = own_school(db, actor)
        line = db.get(OfflineStatementLine, line_id)
        if line is None or line.school_id != school.id:  # another school's line: as if there were none
            raise NotFound("流水记录不存在。", code="statement_line_not_found")
        bill = bill_from(db, actor, school, field(data, "bill"))
        try:
            line, payment = services.match_line(db, actor, line_id, bill.bill_id)
        except PermissionDenied as err:
            raise as_form_error(err) from None
        return done(request, back_to(request, "unmatched"),
                    T.DONE["matched"].format(amount=yuan(payment.amount_fen), reference=bill.reference))


HTML_ROUTES: list[Any] = [SchoolPaymentPages]
