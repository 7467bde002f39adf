"""What the public sees, per county, without login: the whitelist, notices in
progress (with their deadline) and decisions. Only public facts are exposed:
no reviewer scores, no objector names, no personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import NotFound
from kehou.platform.admission.models import Application, WhitelistEntry
from kehou.platform.admission.models import AppStatus as S
from kehou.platform.counties.models import Region, School
from kehou.platform.providers.models import ORG_TYPE_LABELS, Provider
from kehou.timeutil import clock, fmt_local


def county(session: Session, code: str) -> Region:
    region = session.get(Region, code)
    if region is None or region.level != "county":
        raise NotFound("区县不存在。", code="county_not_found")
    return region


def _provider(p: Provider) -> dict[str, Any]:
    return {"provider_name": p.name, "uscc": p.uscc, "org_type": p.org_type,
            "org_type_label": ORG_TYPE_LABELS.get(p.org_type, p.org_type)}


def whitelist(session: Session, code: str) -> list[dict[str, Any]]:
    today = clock.today_local()
    rows = session.execute(
        select(WhitelistEntry, Provider).join(Provider, Provider.id == WhitelistEntry.provider_id)
        .where(WhitelistEntry.county_code == code, WhitelistEntry.status == "active", WhitelistEntry.valid_until >= today)
        .order_by(Provider.name)
    )
    return [_provider(p) | {"categories": e.categories, "valid_from": e.valid_from.isoformat(),
                            "valid_until": e.valid_until.isoformat()} for e, p in rows]


def suspended(session: Session, code: str) -> list[dict[str, Any]]:
    """Providers whose service in the county is suspended (e.g. an expired licence), with the reason."""
    rows = session.execute(
        select(WhitelistEntry, Provider).join(Provider, Provider.id == WhitelistEntry.provider_id)
        .where(WhitelistEntry.county_code == code, WhitelistEntry.status == "suspended",
               WhitelistEntry.valid_until >= clock.today_local()).order_by(Provider.name)
    )
    return [_provider(p) | {"categories": e.categories, "reason": e.status_reason,
                            "since": fmt_local(e.updated_at, with_time=False)} for e, p in rows]


def exits(session: Session, code: str) -> list[dict[str, Any]]:
    """Providers that left the county: expelled (with the reason and how long they are barred) or
    by their own choice."""
    from kehou.platform.exits.models import ExitCase
    from kehou.platform.exits.workflow import GROUNDS, TRIGGERS

    rows = session.execute(
        select(ExitCase, Provider).join(Provider, Provider.id == ExitCase.provider_id)
        .where(ExitCase.county_code == code, ExitCase.status == "exited")
        .order_by(ExitCase.effective_on.desc(), ExitCase.id.desc())
    )
    return [_provider(p) | {"effective_on": c.effective_on.isoformat() if c.effective_on else "",
                            "kind": TRIGGERS.get(c.trigger, c.trigger), "voluntary": c.trigger == "voluntary",
                            "grounds": [GROUNDS.get(g, g) for g in c.grounds], "reason": c.summary,
                            "blacklist_until": c.blacklist_until.isoformat() if c.blacklist_until else None}
            for c, p in rows]


def notices(session: Session, code: str) -> list[dict[str, Any]]:
    today = clock.today_local()
    rows = session.execute(
        select(Application, Provider).join(Provider, Provider.id == Application.provider_id)
        .where(Application.county_code == code, Application.status == S.public_notice, Application.notice_end >= today)
        .order_by(Application.notice_end, Application.id)
    )
    return [_provider(p) | {"application_id": a.id, "categories": a.categories, "kind": a.kind,
                            "notice_start": a.notice_start.isoformat() if a.notice_start else None,
                            "notice_end": a.notice_end.isoformat() if a.notice_end else None} for a, p in rows]


def notice(session: Session, application_id: int) -> tuple[Application, Provider, Region]:
    app = session.get(Application, application_id)
    if app is None or app.notice_start is None:
        raise NotFound("公示不存在。", code="notice_not_found")
    provider = session.get(Provider, app.provider_id)
    region = session.get(Region, app.county_code)
    assert provider is not None and region is not None
    return app, provider, region


def decisions(session: Session, code: str, limit: int = 200) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Application, Provider).join(Provider, Provider.id == Application.provider_id)
        .where(Application.county_code == code, Application.status.in_([S.approved, S.rejected]))
        .order_by(Application.decided_at.desc()).limit(limit)
    )
    return [_provider(p) | {"application_id": a.id, "approved": a.status == S.approved, "categories": a.categories,
                            "decided_at": fmt_local(a.decided_at, with_time=False)} for a, p in rows]


def schools(session: Session, county_code: str) -> list[tuple[int, str]]:
    """The county's schools (id, name) for the public pages, in name order."""
    return [(i, n) for i, n in session.execute(select(School.id, School.name).where(School.county_code == county_code)
                                               .order_by(School.name))]

