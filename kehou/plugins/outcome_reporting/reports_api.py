"""JSON API of outcome reporting's reports: the county term report (county staff), a school's own
report (its school admin, the county's staff), exports as background jobs and their files."""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from kehou.plugins.outcome_reporting import report, report_jobs
from kehou.plugins.outcome_reporting.report import CountyTermReport, Figures
from kehou.storage.headers import download_headers
from kehou.web.deps import DB, Ctx, Who


class ExportBody(msgspec.Struct):
    term_name: str
    fmt: str = "xlsx"


def figures_out(f: Figures) -> dict[str, Any]:
    return dataclasses.asdict(f) | {"coverage": f.coverage, "students_rate": f.students_rate, "priority_rate": f.priority_rate,
                                    "attendance_rate": f.attendance_rate, "satisfied_rate": f.satisfied_rate}


def report_out(r: CountyTermReport, terms: list[str]) -> dict[str, Any]:
    return {"county_code": r.county_code, "county_name": r.county_name, "term_name": r.term_name, "terms": terms,
            "school_id": r.school_id, "title": r.title, "generated_at": r.generated_at.isoformat(), "total": figures_out(r.total),
            "schools": [{"school_id": s.school_id, "name": s.name, **figures_out(s.figures)} for s in r.schools],
            "categories": [dataclasses.asdict(c) for c in r.categories],
            "history": [{"term_name": h.term_name, "term_start": h.term_start.isoformat(), **figures_out(h.figures)}
                        for h in r.history]}


class OutcomeReportsApi(Controller):
    path = "/api/v1"
    tags = ["outcome reporting"]

    @get("/counties/{code:str}/outcome-report", sync_to_thread=True,
         summary="The county term report (county staff; ?term_name=, default the current term)")
    def county(self, code: FromPath[str], db: DB, ctx: Ctx, actor: Who,
               term_name: FromQuery[str | None] = None) -> dict[str, Any]:
        r = report.for_county(ctx, db, actor, code, term_name)
        return report_out(r, report.terms_of(db, code))

    @get("/schools/{school_id:int}/outcome-report", sync_to_thread=True,
         summary="A school's own term report (its school admin, the county's staff)")
    def school(self, school_id: FromPath[int], db: DB, ctx: Ctx, actor: Who,
               term_name: FromQuery[str | None] = None) -> dict[str, Any]:
        r = report.for_school(ctx, db, actor, school_id, term_name)
        return report_out(r, report.terms_of(db, r.county_code))

    @post("/counties/{code:str}/outcome-report/exports", sync_to_thread=True, status_code=202,
          summary="Start an export (xlsx, pdf or a county renderer's format); 202 with the job")
    def export(self, code: FromPath[str], data: JSONBody[ExportBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        job, new = report_jobs.start(ctx, db, actor, code, data.term_name, data.fmt)
        return report_jobs.job_out(job) | {"new": new}

    @get("/outcome-report-jobs/{job_id:int}", sync_to_thread=True, summary="An export job's status and progress")
    def job(self, job_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return report_jobs.job_out(report_jobs.job_for(ctx, db, actor, job_id))

    @get("/outcome-report-jobs/{job_id:int}/download", sync_to_thread=True, summary="The exported file (job done)")
    def download(self, job_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Response[bytes]:
        job, body = report_jobs.download(ctx, db, actor, job_id)
        return file_response(job, body)


def file_response(job: Any, body: bytes) -> Response[bytes]:
    headers = download_headers(job.filename, job.content_type)
    headers["Cache-Control"] = "private, no-store"
    return Response(body, media_type=headers.pop("Content-Type", job.content_type), headers=headers)


API_ROUTES = [OutcomeReportsApi]
