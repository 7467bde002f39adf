"""What vetting rules see and return. Rules get a frozen snapshot, never ORM objects,
and must not do I/O: everything they need is in :class:`VettingInput`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    passed = "pass"
    warn = "warn"
    block = "block"


VERDICT_LABELS = {"pass": "通过", "warn": "提醒", "block": "阻止"}


@dataclass(frozen=True)
class Finding:
    rule: str
    verdict: Verdict
    message: str  # Chinese, for people
    evidence: dict[str, Any] = field(default_factory=dict)  # e.g. {"document_id": 3, "field": "valid_to", "value": "2026-01-01"}
    source: str = ""  # the policy the rule enforces, e.g. "POLICY.md Admission; seed 002 篇2"

    @property
    def fingerprint(self) -> str:
        """Stable across runs for the same rule and evidence: what an override refers to."""
        canon = json.dumps({"rule": self.rule, "evidence": self.evidence}, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canon.encode()).hexdigest()


@dataclass(frozen=True)
class ProviderSnapshot:
    id: int
    name: str
    uscc: str
    uscc_hash: str
    org_type: str
    legal_rep_name: str
    legal_rep_id_hash: str
    legal_rep_id_last4: str


@dataclass(frozen=True)
class StaffSnapshot:
    id: int
    name: str
    id_hash: str
    id_last4: str
    qualification_type: str
    qualification_number: str
    criminal_record_issued_on: dt.date
    is_serving_teacher: bool


@dataclass(frozen=True)
class DocumentSnapshot:
    id: int
    doc_type: str
    staff_id: int | None
    number: str
    issuer: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    scope_text: str
    status: str  # pending | accepted | rejected | replaced
    original_name: str


@dataclass(frozen=True)
class CourseSnapshot:
    title: str
    description: str
    category: str


@dataclass(frozen=True)
class VettingInput:
    county_code: str
    today: dt.date
    period_end: dt.date  # documents must stay valid until this day (end of the admission period)
    provider: ProviderSnapshot
    staff: tuple[StaffSnapshot, ...]
    documents: tuple[DocumentSnapshot, ...]  # current documents (not replaced, not rejected)
    categories: tuple[str, ...]  # course categories applied for
    courses: tuple[CourseSnapshot, ...]  # proposed courses (title, description, category)
    statement: str
    settings: Mapping[str, Any]  # the county's resolved settings, by key
    blacklist: frozenset[tuple[str, str]]  # (kind, keyed_hash); kind: organisation | person


@dataclass(frozen=True)
class Rule:
    """A vetting rule. ``check`` is pure: snapshot in, findings out."""

    name: str
    label: str
    source: str
    check: Callable[[VettingInput], list[Finding]]
