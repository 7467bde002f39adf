"""Everything a plugin may import from Kehou."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pluggy

from kehou.errors import Conflict, KehouError, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.calendar.types import CalendarMissing, WorkCalendar
from kehou.tasks.app import enqueue
from kehou.vetting.types import Finding, Rule, Verdict, VettingInput

hookimpl = pluggy.HookimplMarker("kehou")

__all__ = [
    "ApplicationDecided",
    "BillSnapshot",
    "CalendarMissing",
    "CliCommand",
    "GatewayRecord",
    "PaymentGateway",
    "ExitProposal",
    "PaymentSnapshot",
    "CourseOffering",
    "EnrolledCourse",
    "EnrollmentRequest",
    "Finding",
    "Rule",
    "Verdict",
    "VettingInput",
    "at_least",
    "between",
    "dict_items",
    "Conflict",
    "KehouError",
    "NotFound",
    "PeriodicTask",
    "PermissionDenied",
    "Refusal",
    "SettingColumn",
    "SettingSpec",
    "Term",
    "ValidationFailed",
    "WorkCalendar",
    "enqueue",
    "hookimpl",
]


@dataclass(frozen=True)
class SettingSpec:
    """A county-policy setting a plugin reads.

    Values resolve county → city → province → platform → ``default``; each
    value has an effective date. A value is stored only when it fits the shape declared here (type, choices,
    items, columns: :mod:`kehou.platform.policy.schema`) and passes ``check``.
    """

    key: str
    type: type
    default: Any
    label: str
    help: str = ""
    #: the allowed values of a ``str`` setting, or of the items of a ``list`` one; a mapping gives each its
    #: Chinese label for the settings page (``{"school": "学校课后服务专户", ...}``)
    choices: tuple[str, ...] | Mapping[str, str] = ()
    #: extra check of a value of the right type: returns a Chinese message when the value is refused
    check: Callable[[Any], str | None] | None = None
    #: what an ``int`` counts, for the settings page: ``"fen"`` (money, typed and shown in yuan with two
    #: decimals, stored in fen), ``"minutes"``, ``"hours"``, ``"days"``, ``"working_days"``, ``"months"``,
    #: ``"years"``, ``"percent"``, ``"points"``, ``"people"``, ``"bytes"`` … (``None``: a plain number)
    unit: str | None = None
    #: ``(low, high)`` in stored units: a new value outside it is saved only after the person confirms it
    #: (e.g. a term cap under 10 yuan, which is usually fen typed as yuan)
    plausible: tuple[int, int] | None = None
    #: for a ``list`` of objects: the fields of each object (the settings page edits it as a table, one row per
    #: object); for a ``dict``: its fixed keys, or, with a column keyed ``"*"``, one row per entry (see
    #: :class:`SettingColumn`). Without columns such a setting is edited as JSON.
    columns: tuple[SettingColumn, ...] = ()
    #: for a ``list`` without columns: the type of its items (``str``, ``int`` or ``datetime.date``, stored as text)
    items: builtins.type = str
    #: allowed values that depend on other settings of the same scope and date (e.g. the county's organisation
    #: types): given those settings' values by key, returns what ``choices`` would say; used instead of ``choices``
    choices_of: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = None
    #: worked examples for the settings page: given a value, ``(caption, [(case, result), ...])`` shown beside the
    #: value in force and beside a change before it is saved (e.g. what a parent gets back on each date)
    examples: Callable[[Any], tuple[str, list[tuple[str, str]]]] | None = None


@dataclass(frozen=True)
class SettingColumn:
    """One field of the objects in a ``list`` setting (a column of the table that edits it) or of a ``dict`` setting.

    In a ``dict`` setting's columns, the key ``"*"`` stands for the entry's own key: each row is one entry, whose
    value is the other column's value, or, with several other columns, the list of their values in order
    (``{"体育": [20000, 40000]}`` from the columns ``*``, ``low``, ``high``)."""

    key: str
    label: str
    #: ``str``, ``int``, ``bool``, ``datetime.date`` (stored as ``YYYY-MM-DD`` text) or ``list`` (of strings:
    #: checkboxes when there are ``choices``, else typed separated by 、; of objects when there are ``columns``)
    type: type = str
    unit: str | None = None
    choices: tuple[str, ...] | Mapping[str, str] = ()
    #: a blank cell leaves the key out of the object (otherwise it must be filled in)
    optional: bool = False
    #: for ``type=list``: the fields of the objects it holds, edited as a small table inside the cell
    columns: tuple[SettingColumn, ...] = ()
    #: no two rows may hold the same value here (a waiver tier's code, a refund rule's kind)
    unique: bool = False
    #: the column applies only to rows whose first column (the row's kind) is one of these; on a row of another
    #: kind it is refused (``percent`` on an absence rule), on a row of these kinds it is required unless optional
    only_for: tuple[str, ...] = ()


def at_least(minimum: int) -> Callable[[Any], str | None]:
    return lambda v: None if v >= minimum else f"不能小于{minimum}。"


def between(low: int, high: int) -> Callable[[Any], str | None]:
    return lambda v: None if low <= v <= high else f"须在{low}到{high}之间。"


def dict_items(*keys: str) -> Callable[[Any], str | None]:
    """A list of objects, each with these keys (non-empty)."""

    def check(value: Any) -> str | None:
        for i, item in enumerate(value, start=1):
            if not isinstance(item, dict) or any(item.get(k) in (None, "") for k in keys):
                return f"第{i}项须包含：{'、'.join(keys)}。"
        return None

    return check


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    field: str | None = None
    #: a warning, not a refusal: the offering is accepted and the message shown to the provider and the reviewer
    #: (``kehou_validate_course_offering`` only)
    warning: bool = False


@dataclass(frozen=True)
class PeriodicTask:
    """A Celery beat entry. ``run``, when given, is registered as the Celery task named ``task``
    (a plugin's own job; it opens its own session through ``kehou.tasks.app.get_context()``).

    When it runs, one of:
    - ``seconds``: every so many seconds, counted from beat's start (for jobs run every few minutes or hours);
    - ``crontab``: at local clock times, a five-field cron expression "minute hour day-of-month month
      day-of-week" read in the platform's time zone (Asia/Shanghai, Celery's ``timezone``), e.g.
      ``"30 2 * * *"`` every day at 02:30, ``"0 3 1 * *"`` on the 1st of each month at 03:00 (day of week
      0 = Sunday; ranges, lists and steps as in cron, e.g. ``"*/15 8-18 * * 1-5"``);
    - neither (``seconds=0``, the default): not scheduled, only registered, for a task an event hook enqueues."""

    name: str
    task: str
    seconds: float = 0.0
    kwargs: dict[str, Any] = field(default_factory=dict)
    run: Callable[..., Any] | None = None
    crontab: str | None = None

    def __post_init__(self) -> None:
        if self.crontab is None:
            return
        if self.seconds:
            raise ValueError(f"periodic task {self.name!r}: give seconds or crontab, not both")
        if len(self.crontab.split()) != 5:
            raise ValueError(f"periodic task {self.name!r}: crontab needs five fields, minute hour day-of-month month "
                             f"day-of-week (e.g. '30 2 * * *'), not {self.crontab!r}")


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


@dataclass(frozen=True)
class ExitProposal:
    """An exit proposed for a provider in a county, e.g. by evaluation below the county's threshold.
    ``key`` makes it idempotent (e.g. ``"evaluation:2026-2027学年第一学期:17"``); ``evidence`` is a
    list of JSON-able dicts (indicator, value, threshold, source) shown to the bureau and the provider.
    ``grounds`` are keys of :data:`kehou.platform.exits.workflow.GROUNDS`."""

    key: str
    provider_id: int
    county_code: str
    summary: str
    grounds: tuple[str, ...] = ("failed_evaluation",)
    evidence: tuple[dict[str, Any], ...] = ()
    trigger: str = "evaluation"

    def as_kwargs(self) -> dict[str, Any]:
        return {"key": self.key, "provider_id": self.provider_id, "county_code": self.county_code,
                "summary": self.summary, "grounds": list(self.grounds), "evidence": list(self.evidence),
                "trigger": self.trigger}


@dataclass(frozen=True)
class CourseOffering:
    """What ``kehou_validate_course_offering`` sees of an offering a provider submits."""

    provider_id: int
    county_code: str
    title: str
    category: str
    description: str
    grades: tuple[int, ...]
    sessions_per_week: int
    minutes: int
    capacity: int
    fee_fen: int  # per term, materials excluded
    materials_fee_fen: int
    materials: tuple[tuple[str, int], ...]  # (item, fen)
    #: the lessons the course has over a whole term by the county's term calendar (working days, holidays and
    #: no-lesson dates), when the platform could count them (0: not known, e.g. a year's holidays not entered):
    #: at creation and review the fewest any weekday gives for ``sessions_per_week``; at placement the lessons of
    #: the school's chosen slots over the menu's term
    term_lessons: int = 0
    term_name: str = ""
    #: ``create``, ``review`` or ``place``: where the check runs (a warning at creation may be a refusal later)
    stage: str = "create"


@dataclass(frozen=True)
class EnrolledCourse:
    entry_id: int
    title: str
    category: str
    fee_fen: int
    materials_fee_fen: int
    lessons: int = 0  # lessons scheduled for the term (0: not known)


@dataclass(frozen=True)
class EnrollmentRequest:
    """What ``kehou_validate_enrollment`` sees: the course asked for and the child's other
    enrolments of the same term (enrolled or waitlisted), read under the per-student lock."""

    student_id: int
    school_id: int
    county_code: str
    term_name: str
    course: EnrolledCourse
    current: tuple[EnrolledCourse, ...]
    waitlist: bool  # the parent asked to join the waitlist should the course be full


# --- payments -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillSnapshot:
    """What a payment gateway sees of a bill."""

    bill_id: int
    reference: str  # printed on the bill; the payer quotes it on a bank transfer
    county_code: str
    school_id: int
    student_id: int
    term_name: str
    total_fen: int  # what the bill asks for, waivers applied
    paid_fen: int
    outstanding_fen: int


@dataclass(frozen=True)
class PaymentSnapshot:
    payment_id: int
    bill_id: int
    gateway: str
    external_id: str
    amount_fen: int
    refunded_fen: int


@dataclass(frozen=True)
class GatewayRecord:
    """One movement as the gateway itself records it (for ``kehou billing reconcile``)."""

    external_id: str
    kind: str  # payment | refund
    amount_fen: int
    status: str  # succeeded | pending | failed


class PaymentGateway:
    """A way of paying a bill, returned by ``kehou_register_payment_providers``.

    A gateway MUST NOT move money except in :meth:`start` (which only prepares a payment the payer
    then completes) and :meth:`refund`. Payments are recorded in the ledger by the billing plugin,
    never by the gateway's own bookkeeping.
    """

    name: str = ""
    label: str = ""

    def __init__(self, settings: Any) -> None:
        """``settings``: the installation's :class:`kehou.settings.Settings` (keys come from there)."""
        self.settings = settings

    def enabled(self) -> bool:
        """Whether the gateway is configured on this installation (keys present); otherwise it is off."""
        return True

    def start(self, bill: BillSnapshot) -> dict[str, Any]:
        """Prepare the payment of ``bill.outstanding_fen``: instructions or a client secret."""
        raise NotImplementedError

    def refund(self, payment: PaymentSnapshot, amount_fen: int, key: str) -> GatewayRecord:
        """Send ``amount_fen`` of ``payment`` back to the payer; ``key`` makes a retry harmless."""
        raise NotImplementedError

    def records(self, session: Any, payments: list[PaymentSnapshot]) -> list[GatewayRecord]:
        """The gateway's own records of these payments and their refunds (its API, or its own tables
        read in ``session``), for ``kehou billing reconcile``."""
        raise NotImplementedError


@dataclass(frozen=True)
class CliCommand:
    """A ``kehou <name> ...`` subcommand contributed by a plugin. ``run(args, ctx)`` returns the exit code."""

    name: str
    help: str
    configure: Callable[[Any], None]
    run: Callable[[Any, Any], int]


@dataclass(frozen=True)
class JobTable:
    """A plugin's table of background jobs, for the metrics and the operators (``kehou_register_job_tables``):
    ``model`` has a ``status`` column (queued | running | done | failed) and, for leased jobs, ``lease_until``
    (a running job whose lease ran out is counted as stuck)."""

    kind: str
    model: Any


@dataclass(frozen=True)
class AuditVocabulary:
    """The words a plugin's audit entries are read in (``kehou_register_audit_vocabulary``): Chinese names of
    its ``actions`` (``"menu.publish": "发布课程超市"``), of its ``entities`` (``"course_menu": "课程超市"``) and of the
    ``fields`` of their old/new values; ``names`` maps an entity type to a namer ``(session, ids) -> {id: name}``
    that names objects of that type on the audit page in one query; ``values`` maps ``"entity_type.field"`` to the
    Chinese names of that field's coded values (``"course_menu.status": {"published": "已发布"}``)."""

    actions: Mapping[str, str] = field(default_factory=dict)
    entities: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, Callable[[Any, list[int]], dict[int, str]]] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

