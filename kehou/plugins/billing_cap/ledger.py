"""The double-entry ledger: every movement of money is one balanced transaction.

Accounts (per county, named by ``code``):

* ``receivable:student:<id>`` — what a family owes (debit) or is owed (credit);
* ``cash:<collector>`` — the collector's special account (学校专户 or 教育局专户);
* ``deferred:<collector>`` — fees billed for lessons not yet delivered;
* ``subsidy:<collector>`` — waivers (减免), funded by the collector;
* ``income:<collector>`` — fees kept under the quit rule, for the special account's permitted uses;
* ``payable:provider:<id>`` — what the collector owes a provider.

Debits are positive, credits negative; a transaction's entries sum to zero. ``key`` is unique, so a
movement retried or submitted twice is posted once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.plugins.billing_cap.models import LedgerAccount, LedgerEntry, LedgerTxn
from kehou.timeutil import utcnow

KINDS = {"receivable": "家长应收", "cash": "专户资金", "deferred": "预收学费", "subsidy": "减免支出",
         "income": "专户留存收入", "payable": "应付机构"}


@dataclass(frozen=True)
class Leg:
    account: str  # code
    amount_fen: int  # debit +, credit -
    enrolment_id: int | None = None


@event.listens_for(Session, "after_soft_rollback")
def _forget_accounts(session: Session, previous_transaction: object) -> None:
    """An account created in a transaction that rolled back no longer exists: drop the cache."""
    session.info.pop("ledger_accounts", None)


def account(session: Session, county_code: str, code: str) -> LedgerAccount:
    """The account, created on first use; remembered for the session (accounts are never deleted)."""
    cache: dict[tuple[str, str], LedgerAccount] = session.info.setdefault("ledger_accounts", {})
    hit = cache.get((county_code, code))
    if hit is not None:
        return hit
    row = session.scalars(select(LedgerAccount).where(LedgerAccount.county_code == county_code,
                                                      LedgerAccount.code == code)).first()
    if row is None:
        row = _create(session, county_code, code)
    cache[(county_code, code)] = row
    return row


def _create(session: Session, county_code: str, code: str) -> LedgerAccount:
    kind = code.split(":", 1)[0]
    try:
        with session.begin_nested():
            row = LedgerAccount(county_code=county_code, code=code, kind=kind, name=f"{KINDS[kind]} {code.split(':', 1)[1]}")
            session.add(row)
        return row
    except IntegrityError:  # created by a concurrent transaction
        return session.scalars(select(LedgerAccount).where(LedgerAccount.county_code == county_code,
                                                           LedgerAccount.code == code)).one()


def post(session: Session, county_code: str, *, kind: str, key: str, memo: str, legs: Iterable[Leg],
         bill_id: int | None = None, actor_id: int | None = None) -> LedgerTxn | None:
    """Post one balanced transaction in the caller's transaction. Returns None when ``key`` was posted
    before (the caller's retry); raises ValueError when the legs do not balance."""
    legs = [leg for leg in legs if leg.amount_fen]
    if not legs:
        return None
    if sum(leg.amount_fen for leg in legs) != 0:
        raise ValueError(f"unbalanced ledger transaction {key}: {legs}")
    if session.scalar(select(LedgerTxn.id).where(LedgerTxn.key == key)) is not None:
        return None
    txn = LedgerTxn(county_code=county_code, kind=kind, key=key, bill_id=bill_id, memo=memo[:300], actor_id=actor_id,
                    created_at=utcnow())
    session.add(txn)
    session.flush()
    for leg in legs:
        acc = account(session, county_code, leg.account)
        session.add(LedgerEntry(txn_id=txn.id, account_id=acc.id, amount_fen=leg.amount_fen, enrolment_id=leg.enrolment_id))
    session.flush()
    return txn


def balance(session: Session, county_code: str, code: str) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
                              .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                              .where(LedgerAccount.county_code == county_code, LedgerAccount.code == code)) or 0)


def balances(session: Session, county_code: str, prefix: str = "") -> dict[str, int]:
    stmt = (select(LedgerAccount.code, func.sum(LedgerEntry.amount_fen))
            .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
            .where(LedgerAccount.county_code == county_code).group_by(LedgerAccount.code))
    if prefix:
        stmt = stmt.where(LedgerAccount.code.startswith(prefix))
    return {code: int(total) for code, total in session.execute(stmt)}


def enrolment_sums(session: Session, county_code: str, enrolment_ids: list[int]) -> dict[tuple[int, str, str], int]:
    """(enrolment, account code, transaction kind) -> sum, for many enrolments in one query."""
    out: dict[tuple[int, str, str], int] = {}
    for chunk in (enrolment_ids[i:i + 500] for i in range(0, len(enrolment_ids), 500)):
        rows = session.execute(
            select(LedgerEntry.enrolment_id, LedgerAccount.code, LedgerTxn.kind, func.sum(LedgerEntry.amount_fen))
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id).join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
            .where(LedgerAccount.county_code == county_code, LedgerEntry.enrolment_id.in_(chunk))
            .group_by(LedgerEntry.enrolment_id, LedgerAccount.code, LedgerTxn.kind))
        for enrolment_id, code, kind, total in rows:
            assert enrolment_id is not None  # the query keeps the entries of the given enrolments only
            out[(enrolment_id, code, kind)] = int(total)
    return out


def unbalanced(session: Session, county_code: str | None = None) -> list[tuple[str, int]]:
    """Transactions whose entries do not sum to zero (should be none): (key, sum)."""
    stmt = (select(LedgerTxn.key, func.sum(LedgerEntry.amount_fen)).join(LedgerEntry, LedgerEntry.txn_id == LedgerTxn.id)
            .group_by(LedgerTxn.id, LedgerTxn.key).having(func.sum(LedgerEntry.amount_fen) != 0))
    if county_code is not None:
        stmt = stmt.where(LedgerTxn.county_code == county_code)
    return [(k, int(s)) for k, s in session.execute(stmt)]


def total(session: Session, county_code: str | None = None) -> int:
    stmt = select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
    if county_code is not None:
        stmt = stmt.where(LedgerTxn.county_code == county_code)
    return int(session.scalar(stmt) or 0)
