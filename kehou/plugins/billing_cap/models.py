"""Tables of the billing plugin: term bills, waivers, the double-entry ledger, payments, gateway
events, provider settlements and term-end statements. Money is integer fen everywhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class Bill(Base):
    """One collection per student per term and collector (``kind`` ``term``); a ``supplement`` only
    where the county allows it. The fee policy in force when it was made is kept with it."""

    __tablename__ = "bill"
    __table_args__ = (UniqueConstraint("student_id", "term_name", "kind", "collector"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    term_name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))  # term | supplement
    collector: Mapped[str] = mapped_column(String(40))  # school:<id> | county:<code>
    status: Mapped[str] = mapped_column(String(20))  # open | paid | settled
    policy_on: Mapped[dt.date] = mapped_column(Date)  # the fee policy version: settings in force that day
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    course_fen: Mapped[int] = mapped_column(Integer)
    materials_fen: Mapped[int] = mapped_column(Integer)
    waiver_fen: Mapped[int] = mapped_column(Integer, default=0)
    total_fen: Mapped[int] = mapped_column(Integer)  # course + materials - waiver
    paid_fen: Mapped[int] = mapped_column(Integer, default=0)  # net of refunds paid out
    due_on: Mapped[dt.date] = mapped_column(Date)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class BillLine(Base):
    __tablename__ = "bill_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # course | materials | waiver
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolment.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("course_entry.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    description: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(Integer)  # negative for a waiver


class Waiver(Base):
    """A fee reduction (减免) a school grants a student for a term, with the evidence it recorded."""

    __tablename__ = "fee_waiver"
    __table_args__ = (UniqueConstraint("student_id", "term_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"))
    term_name: Mapped[str] = mapped_column(String(60))
    tier: Mapped[str] = mapped_column(String(40))
    percent: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LedgerAccount(Base):
    """``code`` names the account: ``receivable:student:<id>``, ``cash:<collector>``,
    ``deferred:<collector>``, ``subsidy:<collector>``, ``income:<collector>``, ``payable:provider:<id>``."""

    __tablename__ = "ledger_account"
    __table_args__ = (UniqueConstraint("county_code", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    code: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))  # receivable | cash | deferred | subsidy | income | payable
    name: Mapped[str] = mapped_column(String(200))


class LedgerTxn(Base):
    """A balanced movement; ``key`` makes posting it twice impossible. Append-only."""

    __tablename__ = "ledger_txn"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # charge | payment | waiver | refund | payout | settlement | adjustment
    key: Mapped[str] = mapped_column(String(160), unique=True)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id"), index=True)
    memo: Mapped[str] = mapped_column(String(300))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LedgerEntry(Base):
    """One side of a movement: debit positive, credit negative; each transaction sums to zero. Append-only."""

    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txn.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    enrolment_id: Mapped[int | None] = mapped_column(Integer, index=True)  # which course a fee movement is for


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("gateway", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id"), index=True)
    gateway: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(120))
    amount_fen: Mapped[int] = mapped_column(Integer)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))  # succeeded
    payer_note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PaymentRefund(Base):
    """Money sent back to a payer through the gateway that took it."""

    __tablename__ = "payment_refund"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    external_id: Mapped[str] = mapped_column(String(120), default="")
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # succeeded | pending | failed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class GatewayEvent(Base):
    """A gateway notification (webhook) seen once: duplicates are ignored by the unique key."""

    __tablename__ = "gateway_event"
    __table_args__ = (UniqueConstraint("gateway", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gateway: Mapped[str] = mapped_column(String(30))
    event_id: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Settlement(Base):
    """What a collector owes a provider for one school and period: delivered, attendance-marked
    lessons × the agreed per-lesson share. Approved by the school, then by the county where required."""

    __tablename__ = "settlement"
    __table_args__ = (UniqueConstraint("school_id", "provider_id", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    collector: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # draft | school_approved | approved | paid
    amount_fen: Mapped[int] = mapped_column(Integer)
    lessons: Mapped[int] = mapped_column(Integer)
    county_approval: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    school_approved_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    school_approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    county_approved_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    county_approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SettlementLine(Base):
    """One student's share of one delivered lesson; never paid twice (unique lesson and enrolment)."""

    __tablename__ = "settlement_line"
    __table_args__ = (UniqueConstraint("lesson_id", "enrolment_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlement.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"))
    amount_fen: Mapped[int] = mapped_column(Integer)


class TermStatement(Base):
    """The term-end settlement of one student (多退少补): what the term cost, what was billed and
    paid, and the one difference refunded or collected."""

    __tablename__ = "term_statement"
    __table_args__ = (UniqueConstraint("student_id", "term_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"))
    term_name: Mapped[str] = mapped_column(String(60))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    charged_fen: Mapped[int] = mapped_column(Integer)  # billed before, net of waivers
    extra_fen: Mapped[int] = mapped_column(Integer)  # joined after billing (少补)
    refund_fen: Mapped[int] = mapped_column(Integer)  # credited by the refund rules (多退)
    balance_fen: Mapped[int] = mapped_column(Integer)  # what the family owes (+) or is owed (-) after this
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

