"""Agreements past the county's retention period (``privacy.retention_agreement_years``, category ``agreement``):
a child's agreement (one with a student party) keeps its kind, parties' roles, organisations, dates, status and the
SHA-256 of the PDF that was signed — the evidence of what was agreed — and loses what names the family: the text,
the filled-in values, the child's name in the title, the guardian's label, the reason for a termination and the PDF
file; its signatures lose the signer's name, IP address and
device (the database allows this one change besides voiding, migration 0030). Agreements between organisations are
kept. Called by the retention job's sweeps (core: terminated agreements; course catalogue: a finished term's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kehou.platform.agreements.models import Agreement, AgreementSignature
from kehou.platform.privacy.inventory import ANONYMOUS
from kehou.timeutil import utcnow

GONE = "（协议已过保存期限，文本已删除；签署文本的SHA-256摘要保留备查）"
FAMILY_ROLES = ("parent",)


def due(session: Session, *where: Any) -> list[Agreement]:
    """The agreements matching ``where`` that name a child and are not redacted yet."""
    return list(session.scalars(select(Agreement).where(Agreement.student_id.is_not(None), Agreement.redacted_at.is_(None),
                                                        *where)))


def redact(session: Session, rows: list[Agreement]) -> tuple[int, tuple[str, ...]]:
    """Redact these agreements and their signatures in ``session`` (not committed). Answers how many agreements and
    the PDF keys to delete from storage once committed."""
    now = utcnow()
    files = tuple(r.pdf_key for r in rows if r.pdf_key)
    for row in rows:
        row.text, row.values, row.pdf_key, row.redacted_at = GONE, {}, "", now
        row.title = f"{row.title.split('（')[0]}（已匿名{'，' + row.term_name if row.term_name else ''}）"  # it named the child
        row.terminated_reason = ""
        row.parties = [p | {"label": ANONYMOUS} if p["role"] in FAMILY_ROLES else p for p in row.parties]
    if rows:
        session.execute(update(AgreementSignature).where(
            AgreementSignature.agreement_id.in_([r.id for r in rows]), AgreementSignature.redacted_at.is_(None))
            .values(signer_name=ANONYMOUS, ip="", user_agent="", redacted_at=now).execution_options(synchronize_session=False))
    session.flush()
    return len(rows), files
