"""Who may see what: the one place that decides whether a provider's courses may reach a school
or a parent (admitted, active, within its period and categories), and whether an instructor is vetted.

Every query that lists or fetches offerings or entries for a school or a parent goes through
:func:`admitted` so that a suspended, expired, exited or never-admitted provider's courses vanish
from every path at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from kehou.errors import PermissionDenied
from kehou.platform.admission.models import WhitelistEntry
from kehou.platform.documents.models import Document
from kehou.platform.providers.models import Staff
from kehou.timeutil import clock

STAFF_DOCS = ("qualification_certificate", "criminal_record_certificate")
PLUGIN = "course_catalogue"


def require_enabled(settings: Mapping[str, Any]) -> None:
    """The county must have switched the course catalogue on (setting plugins.enabled)."""
    if PLUGIN not in (settings.get("plugins.enabled") or []):
        raise PermissionDenied("本区县未启用课程超市（选课）功能。", code="catalogue_disabled")


def admitted(provider_col: Any, county_col: Any, today: dt.date | None = None) -> Any:
    """A SQL condition: the provider is on the county's whitelist, active, today within its period."""
    today = today or clock.today_local()
    return exists().where(
        WhitelistEntry.provider_id == provider_col, WhitelistEntry.county_code == county_col,
        WhitelistEntry.status == "active", WhitelistEntry.valid_from <= today, WhitelistEntry.valid_until >= today,
    )


def admitted_categories(session: Session, provider_id: int, county_code: str) -> list[str] | None:
    """The categories the provider is admitted for in the county today, or None when it is not admitted."""
    today = clock.today_local()
    entry = session.scalars(select(WhitelistEntry).where(
        WhitelistEntry.provider_id == provider_id, WhitelistEntry.county_code == county_code,
        WhitelistEntry.status == "active", WhitelistEntry.valid_from <= today, WhitelistEntry.valid_until >= today)).first()
    return list(entry.categories) if entry else None


def is_vetted_staff(session: Session, provider_id: int, staff_id: int, today: dt.date | None = None) -> bool:
    """An active instructor of the provider whose qualification and no-criminal-record certificates
    were accepted by the bureau and have not expired."""
    today = today or clock.today_local()
    staff = session.get(Staff, staff_id)
    if staff is None or staff.provider_id != provider_id or not staff.active:
        return False
    for doc_type in STAFF_DOCS:
        ok = session.scalar(select(exists().where(and_(
            Document.staff_id == staff_id, Document.doc_type == doc_type, Document.status == "accepted",
            (Document.valid_to.is_(None)) | (Document.valid_to >= today)))))
        if not ok:
            return False
    return True
