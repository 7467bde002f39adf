"""Helpers shared by the built-in rules: settings, labels, dates and document validity.

Evidence must be stable across runs (the finding's fingerprint is what an override
refers to), so it holds ids, fields and stored values — never "days left".
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import Any

from kehou.platform.documents.models import DOCUMENT_TYPES
from kehou.vetting.rules.defaults import DEFAULTS
from kehou.vetting.types import DocumentSnapshot, Finding, StaffSnapshot, Verdict, VettingInput

#: Document statuses that count as present (rejected and replaced ones do not).
USABLE_STATUSES = frozenset({"accepted", "pending"})


def setting(inp: VettingInput, key: str) -> Any:
    """The county's value for ``key``, or the built-in default when the snapshot lacks it."""
    value = inp.settings.get(key)
    return DEFAULTS[key] if value is None else value


def words(inp: VettingInput, key: str) -> list[str]:
    """A list setting of strings, ignoring blanks and non-strings a county may have stored."""
    return [w.strip() for w in setting(inp, key) or [] if isinstance(w, str) and w.strip()]


def int_setting(inp: VettingInput, key: str) -> int:
    value = setting(inp, key)
    return value if isinstance(value, int) and not isinstance(value, bool) else DEFAULTS[key]


def doc_label(inp: VettingInput, doc_type: str) -> str:
    """Chinese label of a document type, including the county's extra types."""
    for extra in setting(inp, "documents.extra_types") or []:
        if isinstance(extra, dict) and extra.get("key") == doc_type and extra.get("label"):
            return str(extra["label"])
    return DOCUMENT_TYPES.get(doc_type, doc_type)


def staff_name(staff: StaffSnapshot) -> str:
    return f"授课人员{staff.name}"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def make(rule: str, source: str, verdict: Verdict, message: str, **evidence: Any) -> Finding:
    return Finding(rule=rule, verdict=verdict, message=message, evidence=evidence, source=source)


def usable(docs: Iterable[DocumentSnapshot]) -> list[DocumentSnapshot]:
    return [d for d in docs if d.status in USABLE_STATUSES]


def validity(doc: DocumentSnapshot, inp: VettingInput) -> tuple[Verdict, str, str, str | None]:
    """Judge one document's dates: (verdict, reason in Chinese, field, stored value).

    * block: not yet in force today, already expired, or expiring before ``period_end``
      (it must stay valid for the whole admission period);
    * warn: valid for the period, but expiring within ``documents.expiry_warning_days``
      of today (only possible when the period itself ends that soon — renewal is due);
    * pass otherwise. ``valid_to`` None means no expiry.
    """
    today, end = inp.today, inp.period_end
    if doc.valid_from is not None and doc.valid_from > today:
        return Verdict.block, f"尚未生效（生效日期{doc.valid_from}）", "valid_from", doc.valid_from.isoformat()
    if doc.valid_to is None:
        return Verdict.passed, "长期有效", "valid_to", None
    value = doc.valid_to.isoformat()
    if doc.valid_to < today:
        return Verdict.block, f"已于{doc.valid_to}过期", "valid_to", value
    if doc.valid_to < end:
        return Verdict.block, f"有效期至{doc.valid_to}，早于准入期结束日{end}", "valid_to", value
    left = (doc.valid_to - today).days
    if left <= int_setting(inp, "documents.expiry_warning_days"):
        return Verdict.warn, f"将于{doc.valid_to}到期（剩余{left}天），请及时更新", "valid_to", value
    return Verdict.passed, f"有效期至{doc.valid_to}", "valid_to", value


_RANK = {Verdict.passed: 0, Verdict.warn: 1, Verdict.block: 2}


def best(docs: list[DocumentSnapshot], inp: VettingInput) -> tuple[DocumentSnapshot, tuple[Verdict, str, str, str | None]]:
    """Of several documents of one type, the one most favourable to the provider."""
    judged = [(d, validity(d, inp)) for d in docs]
    return min(judged, key=lambda p: (_RANK[p[1][0]], -(p[0].valid_to or dt.date.max).toordinal(), p[0].id))


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    return max(verdicts, key=_RANK.__getitem__, default=Verdict.passed)
