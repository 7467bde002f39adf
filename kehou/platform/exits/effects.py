"""What an exit case does outside itself: the whitelist status, the county blacklist, messages to
the provider, and the ``kehou_provider_exited`` event that lets plugins end courses and refund."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.platform.actor import Actor
from kehou.platform.admission.models import WhitelistEntry
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.exits.models import ExitCase
from kehou.platform.notifications.services import notify_county_staff, notify_provider_users
from kehou.platform.outbox import events
from kehou.platform.policy import services as policy
from kehou.platform.providers.identifiers import mask_tail
from kehou.platform.providers.models import Provider
from kehou.timeutil import clock, utcnow
from kehou.vetting.models import BlacklistEntry

SYSTEM = Actor.system("exit-mechanism")


def tell_provider(session: Session, case: ExitCase, title: str, body: str) -> None:
    notify_provider_users(session, case.provider_id, title, body, f"/exits/{case.id}", once=False)


def tell_county(session: Session, case: ExitCase, title: str, body: str) -> None:
    notify_county_staff(session, case.county_code, title, body, f"/exits/{case.id}")


def set_whitelist(session: Session, actor: Actor, case: ExitCase, status: str, reason: str) -> None:
    entry = session.scalars(select(WhitelistEntry).where(WhitelistEntry.provider_id == case.provider_id,
                                                         WhitelistEntry.county_code == case.county_code)
                            .with_for_update()).first()
    if entry is None or (entry.status, entry.status_reason) == (status, reason):
        return
    old = {"status": entry.status, "reason": entry.status_reason}
    entry.status, entry.status_reason, entry.updated_at = status, reason, utcnow()
    audit.record(session, actor, county_code=case.county_code, action=f"whitelist.{status}", entity_type="whitelist",
                 entity_id=entry.id, reason=reason, old=old, new={"status": status, "exit_case_id": case.id})


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def blacklist(ctx: Context, session: Session, actor: Actor, case: ExitCase, until: dt.date) -> None:
    """List the organisation (by its USCC's keyed hash) on the county blacklist until ``until``."""
    provider = session.get(Provider, case.provider_id)
    assert provider is not None
    key = ctx.vault.keyed_hash(provider.uscc)
    row = session.scalars(select(BlacklistEntry).where(
        BlacklistEntry.county_code == case.county_code, BlacklistEntry.kind == "organisation",
        BlacklistEntry.keyed_hash == key).with_for_update()).first()
    reason = f"清退：{case.summary}"
    old = None
    if row is None:
        row = BlacklistEntry(county_code=case.county_code, kind="organisation", keyed_hash=key,
                             label=f"{provider.name}（{mask_tail(provider.uscc)}）", reason=reason,
                             source=f"退出程序 #{case.id}", imported_by=actor.user_id, imported_at=utcnow())
        session.add(row)
    else:
        old = {"expires_on": row.expires_on, "reason": row.reason}
        if row.expires_on is None:  # listed without end already: keep it so
            until = None  # type: ignore[assignment]
        elif until < row.expires_on:
            until = row.expires_on
        row.reason, row.source = reason, f"退出程序 #{case.id}"
    row.expires_on, row.exit_case_id = until, case.id
    session.flush()
    audit.record(session, actor, county_code=case.county_code, action="blacklist.add", entity_type="blacklist",
                 entity_id=row.id, reason=reason, old=old,
                 new={"kind": "organisation", "label": row.label, "expires_on": until, "exit_case_id": case.id})


def end_agreements(session: Session, actor: Actor, case: ExitCase, day: dt.date) -> int:
    """Terminate the provider's agreements in the county that are still in force (each audited)."""
    from kehou.platform.agreements import signing
    from kehou.platform.agreements.models import Agreement

    reason = f"机构自{day}起退出本区县课后服务（退出程序 #{case.id}）"
    rows = list(session.scalars(select(Agreement).where(
        Agreement.county_code == case.county_code, Agreement.provider_id == case.provider_id,
        Agreement.status != "terminated").order_by(Agreement.id).with_for_update()))
    for row in rows:
        signing.end(session, actor, row, reason, exit_case_id=case.id)
    return len(rows)


def execute_exit(ctx: Context, session: Session, actor: Actor, case: ExitCase) -> None:
    """The exit itself, in the caller's transaction: the whitelist entry ends today, the provider is
    blacklisted for ``exits.blacklist_years`` (not after a voluntary exit), and after commit the
    ``kehou_provider_exited`` event lets plugins end entries and enrolments, refund families and
    tell schools and parents. Its agreements in the county are terminated."""
    today = clock.today_local()
    case.effective_on = today
    set_whitelist(session, actor, case, "exited", case.summary)
    end_agreements(session, actor, case, today)
    years = policy.get(session, ctx.registry, case.county_code, "exits.blacklist_years")
    if case.trigger != "voluntary" and years > 0:
        case.blacklist_until = _add_years(today, years)
        blacklist(ctx, session, actor, case, case.blacklist_until)
    tell_provider(session, case, "已退出本区县课后服务",
                  f"自{today}起，贵机构退出本区县课后服务。未上课次的费用将退还家长。"
                  + (f"在{case.blacklist_until}前不得再次申请准入。" if case.blacklist_until else ""))
    events.record(ctx, session, case.county_code, "kehou_provider_exited", provider_id=case.provider_id,
                  county_code=case.county_code, effective=today)
