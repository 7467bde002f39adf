"""Running vetting: snapshot the provider from the database, apply every registered
rule, store the findings; overrides of blocking findings by decision-makers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.admission.models import Application, WhitelistEntry
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.documents.models import Document
from kehou.platform.policy import services as policy
from kehou.platform.providers.models import Provider, Staff
from kehou.timeutil import clock, utcnow
from kehou.vetting.blacklist import listed_on
from kehou.vetting.engine import collect_rules, run_rules, summarise
from kehou.vetting.models import BlacklistEntry, VettingFinding, VettingOverride, VettingRun
from kehou.vetting.types import (
    CourseSnapshot,
    DocumentSnapshot,
    Finding,
    ProviderSnapshot,
    Rule,
    StaffSnapshot,
    Verdict,
    VettingInput,
)


def rules(ctx: Context, session: Session, county_code: str) -> list[Rule]:
    """The core rules plus those of plugins the county enabled."""
    return collect_rules(ctx.county_hook(session, county_code, "kehou_register_vetting_rules"))


def _period_end(ctx: Context, session: Session, county_code: str, provider_id: int,
                application: Application | None = None) -> dt.date:
    """The last day documents must be valid: the current listing's end (nightly runs), or
    for an application, the end of the period its approval would grant (``decision.period_end``)."""
    from kehou.platform.admission.decision import add_months, period_end

    today = clock.today_local()
    entry = session.scalars(select(WhitelistEntry).where(
        WhitelistEntry.provider_id == provider_id, WhitelistEntry.county_code == county_code)).first()
    months = policy.get(session, ctx.registry, county_code, "admission.validity_months")
    if application is None:
        if entry is not None and entry.status in ("active", "suspended") and entry.valid_until >= today:
            return entry.valid_until
        return add_months(today, months) - dt.timedelta(days=1)
    return period_end(today, months, entry)


def build_input(ctx: Context, session: Session, provider_id: int, county_code: str,
                application: Application | None = None) -> VettingInput:
    p = session.get(Provider, provider_id)
    if p is None:
        raise NotFound("机构不存在。", code="provider_not_found")
    staff = session.scalars(select(Staff).where(Staff.provider_id == provider_id, Staff.active.is_(True)).order_by(Staff.id))
    docs = session.scalars(select(Document).where(Document.provider_id == provider_id,
                                                  Document.status.in_(("pending", "accepted"))).order_by(Document.id))
    if application is None:
        entry = session.scalars(select(WhitelistEntry).where(
            WhitelistEntry.provider_id == provider_id, WhitelistEntry.county_code == county_code)).first()
        categories: tuple[str, ...] = tuple(entry.categories) if entry else ()
        courses: tuple[CourseSnapshot, ...] = ()
        statement = ""
    else:
        categories = tuple(application.categories)
        courses = tuple(CourseSnapshot(str(c.get("title", "")), str(c.get("description", "")), str(c.get("category", "")))
                        for c in application.proposed_courses or [])
        statement = application.statement
    blacklist = frozenset((b.kind, b.keyed_hash) for b in session.scalars(
        select(BlacklistEntry).where(BlacklistEntry.county_code == county_code, listed_on(clock.today_local()))))
    return VettingInput(
        county_code=county_code, today=clock.today_local(),
        period_end=_period_end(ctx, session, county_code, provider_id, application),
        provider=ProviderSnapshot(p.id, p.name, p.uscc, ctx.vault.keyed_hash(p.uscc), p.org_type, p.legal_rep_name,
                                  p.legal_rep_id_hash, p.legal_rep_id_last4),
        staff=tuple(StaffSnapshot(s.id, s.name, s.id_number_hash, s.id_number_last4, s.qualification_type,
                                  s.qualification_number, s.criminal_record_issued_on, s.is_serving_teacher) for s in staff),
        documents=tuple(DocumentSnapshot(d.id, d.doc_type, d.staff_id, d.number, d.issuer, d.valid_from, d.valid_to,
                                         d.scope_text, d.status, d.original_name) for d in docs),
        categories=categories, courses=courses, statement=statement,
        settings={key: policy.get(session, ctx.registry, county_code, key) for key in ctx.registry.specs},
        blacklist=blacklist,
    )


def execute(ctx: Context, session: Session, run: VettingRun) -> list[Finding]:
    """Run every rule for ``run`` now, in the caller's transaction; store the findings."""
    app = session.get(Application, run.application_id) if run.application_id else None
    inp = build_input(ctx, session, run.provider_id, run.county_code, app)
    findings = run_rules(inp, rules(ctx, session, run.county_code))
    counts = summarise(findings)
    for f in findings:
        session.add(VettingFinding(run_id=run.id, rule=f.rule, verdict=f.verdict.value, message=f.message,
                                   evidence=audit.jsonable(f.evidence), source=f.source, fingerprint=f.fingerprint))
    run.passed, run.warnings, run.blocks = counts["pass"], counts["warn"], counts["block"]
    run.status, run.finished_at = "done", utcnow()
    session.flush()
    return findings


def new_run(session: Session, *, provider_id: int, county_code: str, trigger: str,
            application_id: int | None = None) -> VettingRun:
    run = VettingRun(provider_id=provider_id, county_code=county_code, application_id=application_id, trigger=trigger,
                     status="queued", created_at=utcnow())
    session.add(run)
    session.flush()
    return run


def queue(session: Session, run: VettingRun) -> None:
    """Have a Celery worker execute ``run`` once the current transaction commits."""
    from kehou.tasks.app import enqueue

    enqueue("kehou.vetting.run", session=session, run_id=run.id)


def request_run(ctx: Context, session: Session, actor: Actor, application_id: int) -> VettingRun:
    """On demand, by a county reviewer (or the applicant)."""
    from kehou.platform.admission.services import visible

    app = visible(session, actor, application_id)
    if actor.role not in ("county_staff", "provider", "platform_admin"):
        raise PermissionDenied("您的角色无权发起核查。")
    run = new_run(session, provider_id=app.provider_id, county_code=app.county_code, trigger="on_demand",
                  application_id=app.id)
    audit.record(session, actor, county_code=app.county_code, action="vetting.request", entity_type="application",
                 entity_id=app.id, new={"run_id": run.id})
    queue(session, run)
    session.commit()
    return run


def latest_run(session: Session, application_id: int) -> VettingRun | None:
    return session.scalars(select(VettingRun).where(VettingRun.application_id == application_id)
                           .order_by(VettingRun.id.desc())).first()


def findings_of(session: Session, run: VettingRun) -> list[VettingFinding]:
    order = {"block": 0, "warn": 1, "pass": 2}
    rows = list(session.scalars(select(VettingFinding).where(VettingFinding.run_id == run.id)))
    return sorted(rows, key=lambda f: (order.get(f.verdict, 3), f.rule, f.id))


def overrides(session: Session, application_id: int) -> dict[str, VettingOverride]:
    rows = session.scalars(select(VettingOverride).where(VettingOverride.application_id == application_id))
    return {o.fingerprint: o for o in rows}


def unresolved_blocks(session: Session, application_id: int, findings: list[Finding] | list[VettingFinding]) -> list[Any]:
    done = overrides(session, application_id)
    return [f for f in findings if str(getattr(f.verdict, "value", f.verdict)) == Verdict.block.value
            and f.fingerprint not in done]


def vet_for_decision(ctx: Context, session: Session, app: Application) -> list[Any]:
    """Re-vet on the data as it is now, inside the decision's transaction; return blocks not overridden."""
    run = new_run(session, provider_id=app.provider_id, county_code=app.county_code, trigger="decision",
                  application_id=app.id)
    findings = execute(ctx, session, run)
    return unresolved_blocks(session, app.id, findings)


def override(session: Session, actor: Actor, application_id: int, *, fingerprint: str, reason: str) -> VettingOverride:
    """A decision-maker lets the application pass one blocking finding, with a recorded reason."""
    from kehou.platform.admission.services import visible

    app = visible(session, actor, application_id, lock=True)
    actor.require("county_staff")
    if not actor.can_decide:
        raise PermissionDenied("只有有决定权限的人员可以放行阻止项。", code="decide_right_required")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("放行阻止项必须说明理由。", code="reason_required", field="reason")
    finding = session.scalars(select(VettingFinding).join(VettingRun, VettingRun.id == VettingFinding.run_id).where(
        VettingRun.application_id == app.id, VettingFinding.fingerprint == fingerprint,
        VettingFinding.verdict == Verdict.block.value).order_by(VettingFinding.id.desc())).first()
    if finding is None:
        raise NotFound("没有这个阻止项。", code="finding_not_found", field="fingerprint")
    if fingerprint in overrides(session, app.id):
        raise Conflict("该阻止项已放行。", code="already_overridden")
    row = VettingOverride(application_id=app.id, fingerprint=fingerprint, rule=finding.rule, reason=reason,
                          decided_by=actor.user_id, decided_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, actor, county_code=app.county_code, action="vetting.override", entity_type="application",
                 entity_id=app.id, reason=reason, old={"verdict": "block"},
                 new={"verdict": "overridden", "rule": finding.rule, "message": finding.message, "fingerprint": fingerprint})
    session.commit()
    return row
