"""The bill lists of the school's and the county's billing pages (``/school/billing``, ``/county/billing``) and their
Excel exports: one statement that the page pages (:mod:`kehou.web.listing`) and the export reads in full, searched by
the child's name or the bill's reference and filtered by status, school and term. What is still owed on each bill
comes from the ledger, one GROUP BY for all the rows shown, never a query per bill.

The callers check who is asking: the school's administrator gets its own school's bills (``school_id``), county
staff their own county's (``county_code`` is always applied)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from kehou.errors import ValidationFailed
from kehou.platform.counties.models import School
from kehou.platform.students.models import Student
from kehou.plugins.billing_cap import ledger
from kehou.plugins.billing_cap import text as T
from kehou.plugins.billing_cap.bills import receivable
from kehou.plugins.billing_cap.models import Bill, LedgerAccount, LedgerEntry

STATUSES = ("open", "paid", "settled")  # the stored statuses a list filters by
PREFIX = "receivable:bill:"
IN_MAX = 500  # more bills than this: read the county's receivables whole (still one GROUP BY)


@dataclass(frozen=True)
class BillFilter:
    county_code: str
    school_id: int | None = None
    term_name: str = ""
    status: str = ""
    like: str = ""  # an ``ilike`` pattern (Listing.like), or "" for no search


@dataclass(frozen=True)
class BillRow:
    bill: Bill
    student_name: str
    class_name: str
    school_name: str
    outstanding: int  # fen, from the ledger; negative when the family is owed money


def status_of(params: Mapping[str, Any]) -> str:
    status = str(params.get("status") or "").strip()
    if status and status not in STATUSES:
        raise ValidationFailed(T.ERRORS["status"], code="status_invalid", field="status")
    return status


def school_of(params: Mapping[str, Any], schools: Mapping[int, str]) -> int | None:
    """The ``school_id`` asked for, one of ``schools`` (the county's), or None for all of them."""
    raw = str(params.get("school_id") or "").strip()
    if not raw:
        return None
    if not raw.isdecimal() or int(raw) not in schools:
        raise ValidationFailed(T.ERRORS["school"], code="school_invalid", field="school_id")
    return int(raw)


def county_schools(session: Session, county_code: str) -> dict[int, str]:
    stmt = select(School.id, School.name).where(School.county_code == county_code).order_by(School.name, School.id)
    return dict(session.execute(stmt).all())


def _conditions(f: BillFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Bill.county_code == f.county_code]
    if f.school_id is not None:
        where.append(Bill.school_id == f.school_id)
    if f.term_name:
        where.append(Bill.term_name == f.term_name)
    if f.status:
        where.append(Bill.status == f.status)
    if f.like:
        where.append(or_(Student.name.ilike(f.like, escape="\\"), Bill.reference.ilike(f.like, escape="\\")))
    return where


def stmt(f: BillFilter) -> Select[Bill, str, str, str]:
    """The bills with the child's name and class and the school's name, newest first."""
    return (select(Bill, Student.name, Student.class_name, School.name)
            .join(Student, Student.id == Bill.student_id).join(School, School.id == Bill.school_id)
            .where(*_conditions(f)).order_by(Bill.id.desc()))


def owed(session: Session, county_code: str, bill_ids: Sequence[int]) -> dict[int, int]:
    """What is owed on each bill (fen), by bill id: one GROUP BY over their receivable accounts."""
    if not bill_ids:
        return {}
    codes = [f"{PREFIX}{i}" for i in bill_ids]
    if len(codes) > IN_MAX:
        balances = ledger.balances(session, county_code, prefix=PREFIX)
    else:
        balances = {code: int(fen) for code, fen in session.execute(
            select(LedgerAccount.code, func.sum(LedgerEntry.amount_fen))
            .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
            .where(LedgerAccount.county_code == county_code, LedgerAccount.code.in_(codes)).group_by(LedgerAccount.code))}
    return {i: balances.get(code, 0) for i, code in zip(bill_ids, codes, strict=True)}


def rows_of(session: Session, county_code: str, rows: Iterable[Any]) -> list[BillRow]:
    """Rows of :func:`stmt` (a page, or the export) with what is owed on each."""
    got = [tuple(r) for r in rows]
    balances = owed(session, county_code, [r[0].id for r in got])
    return [BillRow(bill, name, class_name or "", school_name, balances.get(bill.id, 0))
            for bill, name, class_name, school_name in got]


def sums(session: Session, f: BillFilter) -> tuple[int, int, int]:
    """Total billed, paid and still owed (fen) over every bill the filter selects, not just one page: aggregates only."""
    ids = (select(Bill.id, Bill.total_fen, Bill.paid_fen).join(Student, Student.id == Bill.student_id)
           .where(*_conditions(f)).subquery())
    total, paid = session.execute(select(func.coalesce(func.sum(ids.c.total_fen), 0),
                                         func.coalesce(func.sum(ids.c.paid_fen), 0))).one()
    code = literal(PREFIX, String).concat(cast(ids.c.id, String))
    left = session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).select_from(ids)
                          .join(LedgerAccount, (LedgerAccount.county_code == f.county_code) & (LedgerAccount.code == code))
                          .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id))
    return int(total), int(paid), int(left or 0)


def export_rows(session: Session, f: BillFilter, limit: int) -> list[BillRow]:
    """Every bill the filter selects (up to ``limit``), what is owed from the county's receivables in one GROUP BY."""
    got = list(session.execute(stmt(f).limit(limit)))
    balances = ledger.balances(session, f.county_code, prefix=PREFIX) if got else {}
    return [BillRow(bill, name, class_name or "", school_name, balances.get(receivable(bill), 0))
            for bill, name, class_name, school_name in got]
