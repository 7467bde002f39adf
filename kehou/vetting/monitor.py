"""Watching admitted providers: nightly vetting, expiry warnings, suspension and
reinstatement when a required document expires or is replaced.

* A provider's document (pending or accepted) expiring within
  ``documents.expiry_warning_days`` gives its users a warning, once per document.
* When a required document has expired and no valid one of that type exists, the
  provider's whitelist entry in that county is suspended (hidden from schools, no new
  enrolments, shown as suspended on the public page).
* Once every required document has an accepted, valid replacement, the entry is reinstated.
Each suspension and reinstatement is audited in the county's chain.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.platform.actor import Actor
from kehou.platform.admission.models import WhitelistEntry
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.counties.models import Region
from kehou.platform.documents.models import DOCUMENT_TYPES, Document
from kehou.platform.notifications.services import notify_provider_users
from kehou.platform.policy import services as policy
from kehou.platform.providers.models import Provider
from kehou.timeutil import clock, utcnow

log = logging.getLogger(__name__)
SYSTEM = Actor.system("document-monitor")
SUSPENDED_PREFIX = "证件过期："


def _valid_on(doc: Document, day: dt.date) -> bool:
    return (doc.valid_from is None or doc.valid_from <= day) and (doc.valid_to is None or doc.valid_to >= day)


def _required(ctx: Context, session: Session, county: str, org_type: str) -> list[str]:
    table = policy.get(session, ctx.registry, county, "documents.required_types")
    return list(table.get(org_type, []))


def _docs(session: Session, provider_id: int) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.provider_id == provider_id, Document.staff_id.is_(None),
                                                       Document.status.in_(("pending", "accepted")))))


def lapsed_types(ctx: Context, session: Session, entry: WhitelistEntry, provider: Provider) -> list[str]:
    """Required types whose documents have all expired (and none valid exists)."""
    today = clock.today_local()
    docs = _docs(session, provider.id)
    out = []
    for doc_type in _required(ctx, session, entry.county_code, provider.org_type):
        of_type = [d for d in docs if d.doc_type == doc_type]
        if of_type and not any(_valid_on(d, today) for d in of_type) and any(d.valid_to and d.valid_to < today for d in of_type):
            out.append(doc_type)
    return out


def fully_replaced(ctx: Context, session: Session, entry: WhitelistEntry, provider: Provider) -> bool:
    today = clock.today_local()
    docs = [d for d in _docs(session, provider.id) if d.status == "accepted"]
    return all(any(d.doc_type == t and _valid_on(d, today) for d in docs)
               for t in _required(ctx, session, entry.county_code, provider.org_type))


def _county_name(session: Session, code: str) -> str:
    region = session.get(Region, code)
    return region.name if region is not None else code


def warn_expiring(ctx: Context, session: Session, provider: Provider, county: str) -> int:
    days = policy.get(session, ctx.registry, county, "documents.expiry_warning_days")
    today = clock.today_local()
    count = 0
    for doc in session.scalars(select(Document).where(Document.provider_id == provider.id,
                                                      Document.status.in_(("pending", "accepted")))):
        if doc.valid_to is not None and today <= doc.valid_to <= today + dt.timedelta(days=days):
            label = DOCUMENT_TYPES.get(doc.doc_type, doc.doc_type)
            if notify_provider_users(session, provider.id, f"证件即将到期：{label}（{doc.number or doc.original_name}）",
                       f"该证件将于{doc.valid_to}到期，请及时上传新证件，逾期将暂停在各区县的服务资格。",
                       f"/provider#doc-{doc.id}"):
                count += 1
    return count


def check_entry(ctx: Context, session: Session, entry: WhitelistEntry) -> str | None:
    """Suspend or reinstate one whitelist entry. Returns "suspended", "reinstated" or None."""
    provider = session.get(Provider, entry.provider_id)
    assert provider is not None
    lapsed = lapsed_types(ctx, session, entry, provider)
    if entry.status == "active" and lapsed:
        reason = SUSPENDED_PREFIX + "、".join(DOCUMENT_TYPES.get(t, t) for t in lapsed)
        entry.status, entry.status_reason, entry.updated_at = "suspended", reason, utcnow()
        audit.record(session, SYSTEM, county_code=entry.county_code, action="whitelist.suspend", entity_type="whitelist",
                     entity_id=entry.id, reason=reason, old={"status": "active"}, new={"status": "suspended", "lapsed": lapsed})
        # a transition happens once; each one is announced (a later suspension too), naming the county
        notify_provider_users(session, provider.id, f"{_county_name(session, entry.county_code)}服务资格已暂停",
                reason + "。上传有效证件并经教育局审核通过后自动恢复。", "/provider", once=False)
        return "suspended"
    if (entry.status == "suspended" and entry.status_reason.startswith(SUSPENDED_PREFIX)
            and fully_replaced(ctx, session, entry, provider)):
        old_reason = entry.status_reason
        entry.status, entry.status_reason, entry.updated_at = "active", "", utcnow()
        audit.record(session, SYSTEM, county_code=entry.county_code, action="whitelist.reinstate", entity_type="whitelist",
                     entity_id=entry.id, reason="有效证件已审核通过", old={"status": "suspended", "reason": old_reason},
                     new={"status": "active"})
        notify_provider_users(session, provider.id, f"{_county_name(session, entry.county_code)}服务资格已恢复",
                "新证件已审核通过，服务资格已恢复。", "/provider", once=False)
        return "reinstated"
    return None


def check_provider(ctx: Context, session: Session, provider_id: int, *, county_code: str | None = None) -> dict[str, str]:
    """Check the provider's whitelist entries (one county's, or all) after a document is reviewed."""
    stmt = select(WhitelistEntry).where(WhitelistEntry.provider_id == provider_id,
                                        WhitelistEntry.status.in_(("active", "suspended")))
    if county_code is not None:
        stmt = stmt.where(WhitelistEntry.county_code == county_code)
    out = {}
    for entry in session.scalars(stmt.with_for_update().execution_options(populate_existing=True)):
        result = check_entry(ctx, session, entry)
        if result:
            out[entry.county_code] = result
    return out


def nightly(ctx: Context, session: Session) -> dict[str, int]:
    """Vet every admitted provider in its counties, warn of expiring documents, suspend or reinstate.
    One transaction per whitelist entry; a failure is logged and the run goes on."""
    stats = {"vetted": 0, "warned": 0, "suspended": 0, "reinstated": 0}
    ids = list(session.scalars(select(WhitelistEntry.id).where(WhitelistEntry.status.in_(("active", "suspended")))
                               .order_by(WhitelistEntry.id)))
    for entry_id in ids:
        try:
            _nightly_entry(ctx, session, entry_id, stats)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("nightly vetting of whitelist entry %s failed", entry_id)
    return stats


def _nightly_entry(ctx: Context, session: Session, entry_id: int, stats: dict[str, int]) -> None:
    from kehou.vetting import services as vetting

    # read the entry again under a lock: it may have changed since the list was taken
    entry = session.scalars(select(WhitelistEntry).where(WhitelistEntry.id == entry_id).with_for_update()
                            .execution_options(populate_existing=True)).one()
    if entry.status not in ("active", "suspended"):
        return
    provider = session.get(Provider, entry.provider_id)
    assert provider is not None
    run = vetting.new_run(session, provider_id=provider.id, county_code=entry.county_code, trigger="nightly")
    vetting.execute(ctx, session, run)
    stats["vetted"] += 1
    stats["warned"] += warn_expiring(ctx, session, provider, entry.county_code)
    result = check_entry(ctx, session, entry)
    if result:
        stats[result] += 1
