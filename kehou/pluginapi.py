"""Everything a plugin may import from Kehou."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pluggy

from kehou.errors import Conflict, KehouError, NotFound, PermissionDenied, ValidationFailed
from kehou.tasks.app import enqueue
from kehou.vetting.types import Finding, Rule, Verdict, VettingInput

hookimpl = pluggy.HookimplMarker("kehou")

__all__ = [
    "ApplicationDecided",
    "Finding",
    "Rule",
    "Verdict",
    "VettingInput",
    "Conflict",
    "KehouError",
    "NotFound",
    "PeriodicTask",
    "PermissionDenied",
    "Refusal",
    "SettingSpec",
    "Term",
    "ValidationFailed",
    "enqueue",
    "hookimpl",
]


@dataclass(frozen=True)
class SettingSpec:
    """A county-policy setting a plugin reads.

    Values resolve county → city → province → platform → ``default``; each
    value has an effective date.
    """

    key: str
    type: type
    default: Any
    label: str
    help: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    task: str
    seconds: float
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Term:
    name: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class ApplicationDecided:
    application_id: int
    provider_id: int
    county_code: str
    approved: bool
    categories: tuple[str, ...]
    reason: str
    decided_at: dt.datetime
