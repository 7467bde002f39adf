"""The offline gateway's own record: imported bank statement lines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class OfflineStatementLine(Base):
    """A line of a bank statement (or non-tax channel receipt list) a school imported, matched to a
    bill by the reference the payer quoted."""

    __tablename__ = "offline_statement_line"
    __table_args__ = (UniqueConstraint("school_id", "bank_txn_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    bank_txn_id: Mapped[str] = mapped_column(String(80))
    reference: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    payer: Mapped[str] = mapped_column(String(100))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    problem: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
