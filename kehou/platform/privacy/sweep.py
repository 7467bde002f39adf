"""Retention beyond the children who left school: each category's records whose county period ran out, found by
the record's own start (a closure, the end of an admission, the day it was written), emptied or deleted by the
daily job through the hook ``kehou_retention_sweep``. The core sweeps its own tables here; plugins sweep theirs.

What the core removes, per county:

- ``logs``: the child-access log, finished export requests and closed parents' requests (the audit log and
  consents are kept: they are the tamper-evident trail, category ``audit``);
- ``feedback``: the name, contact, evidence and address of people who objected during a public notice, once
  answered;
- ``agreement``: a child's agreement terminated long enough ago is redacted
  (:mod:`kehou.platform.agreements.retention`; a finished term's agreements: the course catalogue's sweep);
- ``staff``: the instructors of a provider whose admission in the county ended (expired or exited) and which
  serves in no county any more — name, identity number (sealed, its keyed hash and last four) and certificate
  number are replaced; the row stays for the lessons it taught.

Login attempts carry no county: :func:`login_attempts` removes them at the platform's period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from kehou.platform.accounts.models import LoginAttempt
from kehou.platform.admission.models import Application, Objection, WhitelistEntry
from kehou.platform.agreements import retention as agreement_retention
from kehou.platform.agreements.models import Agreement
from kehou.platform.privacy.inventory import ANONYMOUS
from kehou.platform.privacy.models import ChildAccess, DataExport, PrivacyRequest
from kehou.platform.providers.models import Staff
from kehou.timeutil import end_of_local_day_utc, utcnow

QUIET = {"synchronize_session": False}


@dataclass(frozen=True)
class Swept:
    """What one sweep did: the category, how (in words for the log), how many records, and the stored files (keys)
    the job deletes from storage once the transaction has committed."""

    category: str
    method: str
    records: int
    files: tuple[str, ...] = ()


def rows(result: object) -> int:
    """The number of rows an UPDATE or DELETE touched (an int is taken as a count already)."""
    if isinstance(result, int):
        return result
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


def swept(category: str, method: str, *results: object, files: tuple[str, ...] = ()) -> list[Swept]:
    """One :class:`Swept` when the statements touched anything."""
    n = sum(rows(r) for r in results)
    return [Swept(category, method, n, files)] if n else []


def core(session: Session, county_code: str, due: dict[str, dt.date]) -> list[Swept]:
    out: list[Swept] = []
    if "logs" in due:
        until = end_of_local_day_utc(due["logs"])
        out += swept("logs", "删除儿童信息访问记录",
                     session.execute(delete(ChildAccess).where(ChildAccess.county_code == county_code, ChildAccess.at < until)
                                     .execution_options(**QUIET)))
        out += swept("logs", "删除已办结的导出申请", session.execute(
            delete(DataExport).where(DataExport.county_code == county_code, DataExport.status != "pending",
                                     DataExport.requested_at < until).execution_options(**QUIET)))
        out += swept("logs", "删除已办结的家长个人信息申请", session.execute(
            delete(PrivacyRequest).where(PrivacyRequest.county_code == county_code, PrivacyRequest.status != "open",
                                         PrivacyRequest.answered_at < until).execution_options(**QUIET)))
    if "feedback" in due:
        until = end_of_local_day_utc(due["feedback"])
        mine = select(Application.id).where(Application.county_code == county_code)
        out += swept("feedback", "删除异议人姓名、联系方式与证据", session.execute(
            update(Objection).where(Objection.application_id.in_(mine), Objection.answered_at < until,
                                    Objection.name != ANONYMOUS)
            .values(name=ANONYMOUS, contact="", evidence="", ip="").execution_options(**QUIET)))
    if "agreement" in due:
        n, files = agreement_retention.redact(session, agreement_retention.due(
            session, Agreement.county_code == county_code, Agreement.status == "terminated",
            Agreement.terminated_at < end_of_local_day_utc(due["agreement"])))
        out += swept("agreement", "删除已终止协议的文本、监护人姓名与签署信息", n, files=files)
    if "staff" in due:
        out += swept("staff", "匿名化已退出机构的授课人员", _staff(session, county_code, due["staff"]))
    return out


def _staff(session: Session, county_code: str, last_day: dt.date) -> object:
    """Instructors of providers admitted here once, serving nowhere now, whose last admission ended long enough ago."""
    serving = select(WhitelistEntry.provider_id).where(WhitelistEntry.status.in_(("active", "suspended")))
    ended = (select(WhitelistEntry.provider_id).where(WhitelistEntry.provider_id.not_in(serving))
             .group_by(WhitelistEntry.provider_id)
             .having(func.max(WhitelistEntry.updated_at) < end_of_local_day_utc(last_day),
                     func.max(WhitelistEntry.valid_until) <= last_day))
    here = exists().where(WhitelistEntry.provider_id == Staff.provider_id, WhitelistEntry.county_code == county_code)
    return session.execute(update(Staff).where(Staff.provider_id.in_(ended), here, Staff.anonymised_at.is_(None)).values(
        name=ANONYMOUS, id_number_enc=b"", id_number_hash="", id_number_last4="", qualification_number="",
        active=False, anonymised_at=utcnow()).execution_options(**QUIET))


def login_attempts(session: Session, last_day: dt.date) -> int:
    return rows(session.execute(delete(LoginAttempt).where(LoginAttempt.at < end_of_local_day_utc(last_day))
                                .execution_options(**QUIET)))
