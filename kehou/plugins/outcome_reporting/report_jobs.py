"""Report exports as Celery jobs: queued → running (progress %, stage) → done | failed.

:func:`start` records the job (one pending job per county, report, term and format: asking again while
it runs returns the same job) and enqueues ``kehou.outcome.render_report`` after commit. The task
claims the job with a conditional UPDATE and a lease of :data:`LEASE_S` seconds, renewed at every step (a
message delivered twice renders once; a job whose worker died is claimed again once its lease ran out, by
a redelivered message or by :func:`reap`, at most :data:`MAX_ATTEMPTS` times), computes the report,
asks the county's ``kehou_render_report`` hook for the bytes (a county plugin answering first wins over
the built-in Excel/PDF renderer), stores the file through ``ctx.storage`` and marks the job done. Each
progress step is committed on its own, so the page polling the job sees it move.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import re
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.counties.models import Region
from kehou.platform.notifications.services import notify_users
from kehou.plugins.outcome_reporting import access, report
from kehou.plugins.outcome_reporting import reports_text as T
from kehou.plugins.outcome_reporting.exports import CONTENT_TYPES
from kehou.plugins.outcome_reporting.models.reports import ReportJob
from kehou.storage.keys import new_key
from kehou.timeutil import utcnow

log = logging.getLogger(__name__)
TASK = "kehou.outcome.render_report"
BUILT_IN = ("xlsx", "pdf")
_FMT = re.compile(r"^[a-z0-9]{2,10}$")
PENDING = ("queued", "running")
LEASE_S = 300  # a running job's claim, renewed at each progress step
MAX_ATTEMPTS = 3


def check_fmt(fmt: str) -> str:
    """A built-in format, or a short lower-case name a county's own renderer may answer to."""
    fmt = (fmt or "").strip().lower()
    if not _FMT.match(fmt):
        raise ValidationFailed(T.ERRORS["fmt"].format(formats="、".join(BUILT_IN)), code="report_format_invalid", field="fmt")
    return fmt


def start(ctx: Context, session: Session, actor: Actor, county_code: str, term_name: str, fmt: str) -> tuple[ReportJob, bool]:
    """Record an export of the county term report and enqueue it. Returns the job and whether it is new."""
    report.require_county_staff(ctx, session, actor, county_code)
    fmt = check_fmt(fmt)
    term_name = (term_name or "").strip()
    if not term_name:
        raise ValidationFailed(T.ERRORS["term"], code="report_term_required", field="term_name")
    if term_name not in report.terms_of(session, county_code):
        raise NotFound("本区县没有该学期的课后服务数据。", code="report_term_not_found", field="term_name")
    params = {"term_name": term_name}
    # one request at a time per county decides whether a job is already pending (the county's row is the lock)
    session.execute(select(Region.code).where(Region.code == county_code).with_for_update())
    for job in session.scalars(select(ReportJob).where(ReportJob.county_code == county_code, ReportJob.report == report.REPORT,
                                                       ReportJob.fmt == fmt, ReportJob.status.in_(PENDING))):
        if job.params == params:
            session.rollback()
            session.refresh(job)
            return job, False
    job = ReportJob(county_code=county_code, report=report.REPORT, fmt=fmt, params=params, status="queued", progress=0,
                    stage=T.STAGES["queued"], requested_by=actor.user_id, requested_at=utcnow())
    session.add(job)
    session.flush()
    audit.record(session, actor, county_code=county_code, action="outcome.report_export", entity_type="outcome_report_job",
                 entity_id=job.id, reason="导出课后服务成效报告", new={"report": job.report, "fmt": fmt, **params})
    from kehou.tasks.app import enqueue

    enqueue(TASK, session=session, job_id=job.id)
    session.commit()
    session.refresh(job)
    return job, True


def job_for(ctx: Context, session: Session, actor: Actor, job_id: int) -> ReportJob:
    """A job the actor may see: county staff of its county (or the platform administrator)."""
    actor.require("county_staff", "platform_admin")
    job = session.get(ReportJob, job_id)
    if job is None or (actor.role != "platform_admin" and actor.county_code != job.county_code):
        raise NotFound(T.ERRORS["job_not_found"], code="report_job_not_found")
    access.settings(ctx, session, job.county_code)
    return job


def recent(session: Session, county_code: str, limit: int = 10) -> list[ReportJob]:
    return list(session.scalars(select(ReportJob).where(ReportJob.county_code == county_code)
                                .order_by(ReportJob.id.desc()).limit(limit)))


def download(ctx: Context, session: Session, actor: Actor, job_id: int) -> tuple[ReportJob, bytes]:
    job = job_for(ctx, session, actor, job_id)
    if job.status != "done" or not job.storage_key:
        raise Conflict(T.ERRORS["not_ready"], code="report_not_ready")
    return job, ctx.storage.get(job.storage_key)


def job_out(job: ReportJob) -> dict[str, Any]:
    return {"id": job.id, "county_code": job.county_code, "report": job.report, "fmt": job.fmt, "params": job.params,
            "status": job.status, "status_label": T.JOB_STATUS.get(job.status, job.status), "progress": job.progress,
            "stage": job.stage, "filename": job.filename, "size": job.size, "error": job.error,
            "requested_at": job.requested_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}


# --- the task ----------------------------------------------------------------------------------------


def _lease() -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=LEASE_S)


def _step(ctx: Context, job_id: int, progress: int, stage: str) -> None:
    with ctx.db.write_session() as s:
        s.execute(update(ReportJob).where(ReportJob.id == job_id).values(progress=progress, stage=T.STAGES[stage],
                                                                         lease_until=_lease()))
        s.commit()


def execute(ctx: Context, job_id: int) -> str:
    """Run one export job (the Celery task's body). Returns the job's final status, or ``skipped``."""
    with ctx.db.write_session() as s:
        lapsed = (ReportJob.status == "running") & (ReportJob.lease_until < utcnow())  # its worker died
        claimed = cast(CursorResult[Any], s.execute(
            update(ReportJob).where(ReportJob.id == job_id, (ReportJob.status == "queued") | lapsed,
                                    ReportJob.attempts < MAX_ATTEMPTS)
            .values(status="running", progress=5, stage=T.STAGES["figures"], lease_until=_lease(),
                    attempts=ReportJob.attempts + 1))).rowcount
        s.commit()
    if not claimed:
        return "skipped"
    try:
        with ctx.db.read_session() as s:
            job = s.get(ReportJob, job_id)
            assert job is not None
            county_code, name, fmt, params = job.county_code, job.report, job.fmt, dict(job.params)
            data = report.county_term(s, county_code, str(params["term_name"]))
            hook = ctx.county_hook(s, county_code, "kehou_render_report")
        _step(ctx, job_id, 50, "render")
        body = hook(report=name, fmt=fmt, data=data)
        if not isinstance(body, bytes | bytearray) or not body:
            raise LookupError(T.ERRORS["no_renderer"].format(fmt=fmt))
        _step(ctx, job_id, 80, "store")
        content_type = CONTENT_TYPES.get(fmt) or mimetypes.guess_type(f"x.{fmt}")[0] or "application/octet-stream"
        key = new_key(f"reports/{county_code}")
        ctx.storage.put(key, bytes(body), content_type)
    except Exception as exc:  # recorded on the job for the person who asked; the worker carries on
        log.exception("report job %s failed", job_id)
        _finish(ctx, job_id, status="failed", stage="failed", error=str(exc)[:1000] or type(exc).__name__)
        return "failed"
    _finish(ctx, job_id, status="done", stage="done", storage_key=key, content_type=content_type, size=len(body),
            filename=f"{data.title}.{fmt}", title=data.title)
    return "done"


def _finish(ctx: Context, job_id: int, *, status: str, stage: str, title: str = "", **values: Any) -> None:
    with ctx.db.write_session() as s:
        job = s.get(ReportJob, job_id)
        assert job is not None
        old = {"status": job.status, "progress": job.progress}
        job.status, job.stage, job.finished_at = status, T.STAGES[stage], utcnow()
        job.progress = 100 if status == "done" else job.progress
        for k, v in values.items():
            setattr(job, k, v)
        audit.record(s, Actor.system("outcome_reporting"), county_code=job.county_code, action=f"outcome.report_{status}",
                     entity_type="outcome_report_job", entity_id=job.id, reason=job.error if status == "failed" else "",
                     old=old, new={"status": status, "progress": job.progress, "size": job.size, "fmt": job.fmt})
        if status == "done" and job.requested_by is not None:
            notify_users(s, [job.requested_by], T.NOTIFY["title"], T.NOTIFY["body"].format(title=title, fmt=job.fmt),
                         f"/county/outcomes?term={job.params.get('term_name', '')}")
        s.commit()


def reap(ctx: Context) -> dict[str, int]:
    """Jobs whose worker died (lease run out): queued again and re-sent, or failed after MAX_ATTEMPTS with
    the reason shown to whoever asked (who may ask again). The periodic ``kehou.outcome.reap_jobs``."""
    from kehou.tasks.app import enqueue

    out = {"requeued": 0, "failed": 0}
    with ctx.db.write_session() as s:
        stale = list(s.scalars(select(ReportJob).where(ReportJob.status == "running", ReportJob.lease_until < utcnow())
                               .with_for_update(skip_locked=True)))
        for job in stale:
            if job.attempts >= MAX_ATTEMPTS:
                job.status, job.stage, job.finished_at = "failed", T.STAGES["failed"], utcnow()
                job.error = T.ERRORS["interrupted"].format(n=job.attempts)
                out["failed"] += 1
            else:
                job.status, job.stage, job.progress = "queued", T.STAGES["queued"], 0
                enqueue(TASK, session=s, job_id=job.id)
                out["requeued"] += 1
            audit.record(s, Actor.system("outcome_reporting"), county_code=job.county_code,
                         action=f"outcome.report_{'failed' if job.status == 'failed' else 'requeued'}",
                         entity_type="outcome_report_job", entity_id=job.id, reason=T.ERRORS["interrupted"].format(
                             n=job.attempts), old={"status": "running"}, new={"status": job.status, "attempts": job.attempts})
        s.commit()
    if out["requeued"] or out["failed"]:
        log.warning("report jobs reaped: %s", out)
    return out


def reap_jobs() -> dict[str, int]:
    """The Celery task ``kehou.outcome.reap_jobs``."""
    from kehou.tasks.app import get_context

    return reap(get_context())


def render_report(job_id: int) -> str:
    """The Celery task ``kehou.outcome.render_report``."""
    from kehou.tasks.app import get_context

    return execute(get_context(), job_id)
