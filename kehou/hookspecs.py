"""The whole extension contract of Kehou.

Hooks are called with keyword arguments only and receive frozen snapshots
(dataclasses from :mod:`kehou.pluginapi`), never ORM objects or sessions.
Every hook here is documented in ``docs/plugin_hooks.md`` (a test checks it).

Groups:

* registration — called once at start; every answer is collected;
* resolution — ``firstresult``: the first non-``None`` answer wins; a core
  default marked ``trylast`` answers when no plugin does;
* policy — pure and fast, no I/O; answers add up (lists of refusals);
* events — called after the transaction commits (through the outbox); implementations only enqueue
  Celery tasks.

pluggy reads only a spec's signature and docstring and never calls it; a spec that
returns a value raises ``NotImplementedError`` rather than implicitly returning None.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("kehou")

# --- registration -----------------------------------------------------------


@hookspec
def kehou_register_settings() -> list[Any]:
    """Return a list of :class:`kehou.pluginapi.SettingSpec` this plugin reads."""
    raise NotImplementedError


@hookspec
def kehou_register_routes() -> list[Any]:
    """Return Litestar route handlers or routers to mount in the app."""
    raise NotImplementedError


@hookspec
def kehou_register_vetting_rules() -> list[Any]:
    """Return vetting rules (callables producing findings) for the vetting engine."""
    raise NotImplementedError


@hookspec
def kehou_register_payment_providers() -> list[Any]:
    """Return payment gateway classes. A gateway MUST NOT move money outside its documented methods."""
    raise NotImplementedError


@hookspec
def kehou_register_commands() -> list[Any]:
    """Return :class:`kehou.pluginapi.CliCommand` entries: ``kehou <name>`` subcommands."""
    raise NotImplementedError


@hookspec
def kehou_register_periodic_tasks() -> list[Any]:
    """Return :class:`kehou.pluginapi.PeriodicTask` entries for Celery beat."""
    raise NotImplementedError


@hookspec
def kehou_register_job_tables() -> list[Any]:
    """Return :class:`kehou.pluginapi.JobTable` entries: the plugin's background jobs, counted by state
    (and stuck ones) in ``/metrics``."""
    raise NotImplementedError


@hookspec
def kehou_register_audit_vocabulary() -> list[Any]:
    """Return :class:`kehou.pluginapi.AuditVocabulary` entries: Chinese names of the plugin's audit actions,
    objects and fields, and namers for its objects, for the audit log page and its export."""
    raise NotImplementedError


# --- resolution (one answer) -------------------------------------------------


@hookspec(firstresult=True)
def kehou_term_for_date(county_code: str, day: dt.date) -> Any:
    """Return the :class:`kehou.pluginapi.Term` containing ``day`` in the county. First answer wins."""


@hookspec(firstresult=True)
def kehou_render_report(report: str, fmt: str, data: Any) -> bytes | None:
    """Render a report to bytes in format ``fmt``. First answer wins; return None to pass."""


# --- policy (pure, no I/O; answers add up) -------------------------------------


@hookspec
def kehou_validate_course_offering(offering: Any, policy: Any) -> list[Any]:
    """Return a list of :class:`kehou.pluginapi.Refusal` for a course offering (empty: no objection)."""
    raise NotImplementedError


@hookspec
def kehou_validate_enrollment(enrollment: Any, policy: Any) -> list[Any]:
    """Return a list of :class:`kehou.pluginapi.Refusal` for an enrolment, under the per-student lock."""
    raise NotImplementedError


# --- events (after commit; enqueue only) ------------------------------------------


@hookspec
def kehou_application_decided(decision: Any) -> None:
    """An admission application was approved or rejected (:class:`kehou.pluginapi.ApplicationDecided`)."""


@hookspec
def kehou_exit_proposed(proposal: Any) -> None:
    """An exit of a provider from a county was proposed, with evidence."""


@hookspec
def kehou_provider_exited(provider_id: int, county_code: str, effective: dt.date) -> None:
    """A provider left a county's whitelist on ``effective``."""


@hookspec
def kehou_anonymise_students(session: Any, student_ids: list[int]) -> None:
    """Retention (kehou/platform/privacy/retention.py): these children left school long enough ago; empty the free
    text the plugin keeps about them (notes, reasons, comments) in ``session`` without committing, and keep the facts
    the statistics and the ledger count."""


@hookspec
def kehou_retention_sweep(session: Any, county_code: str, due: dict[str, dt.date]) -> list[Any]:
    """Retention (kehou/platform/privacy/retention.py): ``due`` maps each retention category
    (kehou/platform/privacy/inventory.CATEGORIES) to the last day (Asia/Shanghai) whose records are due, counted from
    the category's start (a term's end, a complaint's closure…). Remove or empty the personal data the plugin keeps in
    the county for those categories, in ``session`` without committing, keeping what statistics and the ledger count;
    answer one ``kehou.platform.privacy.sweep.Swept`` per kind of record touched."""
    raise NotImplementedError


@hookspec
def kehou_payment_succeeded(payment: Any) -> None:
    """A payment was confirmed by its gateway."""


@hookspec
def kehou_term_closed(county_code: str, term: Any) -> None:
    """A term was closed in a county."""
