"""Pages of the school's student roster: the list (search, grade, class, pages of 50, Excel), one student with
its guardians and forms, the import from Excel/CSV (all or nothing, every problem listed) and the parents'
activation slips. The school's own administrator only; the work is in :mod:`kehou.platform.students.roster`.
All text is in :mod:`kehou.plugins.course_catalogue.roster_text`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, PermissionDenied, ValidationFailed
from kehou.platform.accounts import activation
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.counties.models import School
from kehou.platform.privacy import access, exports
from kehou.platform.privacy.models import DataExport
from kehou.platform.students import roster, sample, services
from kehou.platform.students.api import UPLOAD_READ, read_upload
from kehou.platform.students.models import DEPARTURE_REASONS, GRADE_LABELS, PRIORITY_LABELS
from kehou.plugins.course_catalogue import roster_text as R
from kehou.plugins.course_catalogue.views import page
from kehou.timeutil import fmt_local
from kehou.web.deps import DB, Ctx, Who
from kehou.web.errors import flash
from kehou.web.listing import EXPORT_MAX, Listing, contains_pattern, xlsx_bytes, xlsx_response
from kehou.web.pages import done, field, integer

Form = URLEncodedBody[dict[str, Any]]
Req = Request[Any, Any, Any]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST = "/school/students"


def own_school(db: Session, actor: Actor) -> School:
    actor.require("school_admin")
    return roster.own_school(db, actor, int(actor.school_id or 0))


def state_label(state: activation.State) -> str:
    return R.STATES[state.status].format(expires=fmt_local(state.expires_at, with_time=False))


def download(data: bytes, ascii_name: str, name: str) -> Response[bytes]:
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"})


def filters(params: Any) -> tuple[Listing, int | None, str]:
    listing = Listing.parse(params, keep=("grade", "class"))
    raw = str(params.get("grade") or "").strip()
    if raw and not (raw.isdecimal() and int(raw) in GRADE_LABELS):
        raise ValidationFailed(R.ERRORS["grade"], code="grade_invalid", field="grade")
    return listing, int(raw) if raw else None, str(params.get("class") or "").strip()[:40]


def roster_download(ctx: Any, db: Session, actor: Actor, school: School, row: DataExport) -> Response[bytes]:
    """The approved export's workbook, in the import's columns (one line per guardian, so a school can export,
    correct and import again), watermarked; the download is logged (audit, child-access log) and used up."""
    p = row.params
    like = contains_pattern(p["q"]) if p.get("q") else ""
    kids = list(db.scalars(roster.roster_stmt(school.id, like=like, grade=p.get("grade"), class_name=p.get("class") or "")
                           .limit(EXPORT_MAX)))
    guardians = roster.guardians_of(db, [s.id for s in kids])
    phones = roster.phones(ctx, db, actor, school, sorted({g.user_id for gs in guardians.values() for g in gs}))
    headers = [R.COMMON[k] for k in ("student_no", "name", "grade", "class_name")] + ["监护人姓名", "关系", "监护人手机号",
                                                                                      R.COMMON["priority"],
                                                                                      R.EXPORT["username"], R.EXPORT["state"]]
    lines = []
    for s in kids:
        each: list[roster.GuardianView | None] = [*guardians.get(s.id, [])] or [None]
        for g in each:
            who = [g.display_name, g.relation] if g else ["", ""]
            lines.append([s.student_no, s.name, GRADE_LABELS.get(s.grade, s.grade), s.class_name, *who,
                          phones.get(g.user_id, "") if g else "", PRIORITY_LABELS.get(s.priority_group or "", ""),
                          g.username if g else "", state_label(g.state) if g else ""])
    mark = exports.watermark(db, actor, row)
    body = xlsx_bytes(R.EXPORT["sheet"], headers, lines, mark)
    exports.downloaded(db, actor, row, rows=len(lines), sha256=hashlib.sha256(body).hexdigest(), mark=mark)
    access.record(ctx, actor, school.county_code, [k.id for k in kids], "roster_export")  # after the commit above
    return xlsx_response(body, R.EXPORT["file"])


def import_page(request: Req, actor: Actor, school: School, **context: Any) -> Template:
    return page(request, "roster_import.html", actor, R.IMPORT, school=school, **context)


class RosterPages(Controller):
    path = "/school"
    include_in_schema = False

    @get("/students", sync_to_thread=True)
    def roster(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        school = own_school(db, actor)
        listing, grade, class_name = filters(request.query_params)
        stmt = roster.roster_stmt(school.id, like=listing.like if listing.q else "", grade=grade, class_name=class_name)
        rows, total = listing.fetch(db, stmt)
        kids = [r[0] for r in rows]
        access.record(ctx, actor, school.county_code, [k.id for k in kids], "roster")
        return page(request, "school_students.html", actor, R.ROSTER, school=school, rows=kids, total=total, listing=listing,
                    grade=grade, class_name=class_name, classes=roster.classes(db, school.id),
                    guardians=roster.guardians_of(db, [s.id for s in kids]), priority_labels=PRIORITY_LABELS,
                    grades=sorted(GRADE_LABELS.items()), filtered=bool(listing.q or grade or class_name))

    @get("/students.xlsx", sync_to_thread=True)
    def export(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Response[bytes]:
        """Without the county's approval rule: asked, watermarked and logged at once; with it (the default):
        refused here, asked on the exports page and downloaded from there once a second person approved."""
        school = own_school(db, actor)
        if exports.rules(ctx, db, school.county_code)[0]:
            raise PermissionDenied(R.EXPORTS["needs_approval"], code="export_needs_approval")
        listing, grade, class_name = filters(request.query_params)
        row = exports.request(ctx, db, actor, kind="roster", reason=R.EXPORTS["direct_reason"],
                              params={"q": listing.q, "grade": grade, "class": class_name})
        return roster_download(ctx, db, actor, school, row)

    @get("/students/exports", sync_to_thread=True)
    def exports_page(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        school = own_school(db, actor)
        listing, grade, class_name = filters(request.query_params)
        needs, per_day = exports.rules(ctx, db, school.county_code)
        rows = exports.for_school(db, actor)
        names = dict(db.execute(select(User.id, User.display_name).where(
            User.id.in_({r.requested_by for r in rows} | {r.approved_by for r in rows if r.approved_by} or {0}))).all())
        return page(request, "roster_exports.html", actor, R.EXPORTS, school=school, rows=rows, names=names, needs=needs,
                    per_day=per_day, q=listing.q, grade=grade or "", class_name=class_name, STATUS=exports.STATUS,
                    fmt_local=fmt_local)

    @post("/students/exports", sync_to_thread=True)
    def ask_export(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Redirect:
        own_school(db, actor)
        grade = field(data, "grade")
        row = exports.request(ctx, db, actor, kind="roster", reason=field(data, "reason"),
                              params={"q": field(data, "q"), "grade": int(grade) if grade.isdecimal() else None,
                                      "class": field(data, "class")})
        return done(request, f"{LIST}/exports#export-{row.id}", R.EXPORTS["asked" if row.status == "pending" else "ready"])

    @get("/students/exports/{export_id:int}/download", sync_to_thread=True)
    def download(self, export_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Response[bytes]:
        school = own_school(db, actor)
        return roster_download(ctx, db, actor, school, exports.ready(db, actor, export_id))

    @post("/students/exports/{export_id:int}/decision", sync_to_thread=True)
    def decide_export(self, request: Req, export_id: FromPath[int], data: Form, db: DB, actor: Who) -> Redirect:
        own_school(db, actor)
        approve = field(data, "decision") == "approve"
        exports.decide(db, actor, export_id, approve=approve, note=field(data, "note"))
        return done(request, f"{LIST}/exports#export-{export_id}", R.EXPORTS["approved" if approve else "refused"])

    @post("/students", sync_to_thread=True)
    def add_student(self, request: Req, data: Form, db: DB, actor: Who) -> Redirect:
        school = own_school(db, actor)
        s = services.add_student(db, actor, school.id, services.StudentInput(
            student_no=field(data, "student_no"), name=field(data, "name"), grade=integer(data, "grade", R.COMMON["grade"]),
            class_name=field(data, "class_name"), priority_group=field(data, "priority_group") or None))
        return done(request, f"{LIST}/{s.id}", R.DONE["student_added"])

    @get("/students/{student_id:int}", sync_to_thread=True)
    def student(self, request: Req, student_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Template:
        school = own_school(db, actor)
        kid = services.get_for_school(db, actor, student_id)
        access.record(ctx, actor, school.county_code, [kid.id], "student")
        return page(request, "roster_student.html", actor, R.STUDENT, school=school, s=kid, DEPARTURE_REASONS=DEPARTURE_REASONS,
                    guardians=roster.guardians_of(db, [kid.id]).get(kid.id, []), priority_labels=PRIORITY_LABELS,
                    state_label=state_label)

    @post("/students/{student_id:int}/guardians", sync_to_thread=True)
    def link_guardian(self, request: Req, student_id: FromPath[int], data: Form, db: DB, actor: Who) -> Redirect:
        own_school(db, actor)
        back = f"{LIST}/{student_id}"
        try:
            services.link_guardian(db, actor, student_id, field(data, "username"), field(data, "relation"))
        except (NotFound, PermissionDenied) as err:
            if err.field != "username":
                raise
            flash(request, "error", err.message)  # a mistyped account: back to the form, not the error page
            return Redirect(path=back, status_code=303)
        return done(request, back, R.DONE["guardian_linked"])

    @post("/students/{student_id:int}/priority", sync_to_thread=True)
    def priority(self, request: Req, student_id: FromPath[int], data: Form, db: DB, actor: Who) -> Redirect:
        own_school(db, actor)
        services.set_priority(db, actor, student_id, field(data, "priority_group") or None, reason=field(data, "reason"))
        return done(request, f"{LIST}/{student_id}", R.DONE["priority_set"])

    @post("/students/{student_id:int}/departure", sync_to_thread=True)
    def departure(self, request: Req, student_id: FromPath[int], data: Form, db: DB, actor: Who) -> Redirect:
        school = own_school(db, actor)
        try:
            left_on = dt.date.fromisoformat(field(data, "left_on"))
        except ValueError:
            raise ValidationFailed("请填写离校日期（年-月-日）。", code="left_on_invalid", field="left_on") from None
        services.mark_left(db, actor, school.id, [student_id], left_on=left_on, reason=field(data, "reason"))
        return done(request, f"{LIST}/{student_id}", R.DONE["left"])

    # --- the import -----------------------------------------------------------------------------------

    @get("/students/import", sync_to_thread=True)
    def import_form(self, request: Req, db: DB, actor: Who) -> Template:
        return import_page(request, actor, own_school(db, actor))

    @post("/students/import", sync_to_thread=True, request_max_body_size=UPLOAD_READ + 256 * 1024)
    def import_file(self, request: Req, data: MultipartBody[dict[str, Any]], db: DB, ctx: Ctx, actor: Who) -> Template | Redirect:
        school = own_school(db, actor)
        filename, content = read_upload(data.get("file"))
        try:
            result = roster.import_roster(ctx, db, actor, school.id, filename=filename, data=content)
        except roster.RosterRejected as err:  # the whole list of problems, on the page (too long for a flash)
            shown = import_page(request, actor, school, report=err.report, filename=filename[-100:],
                                problems=len(err.report.errors) + err.report.more_errors)
            shown.status_code = 400
            return shown
        return done(request, LIST, R.DONE["imported"].format(**result.counts()))

    @get("/students/import-template.xlsx", sync_to_thread=True)
    def import_template(self, db: DB, actor: Who) -> Response[bytes]:
        own_school(db, actor)
        return download(sample.template(), "roster-template.xlsx", "学生名册导入模板.xlsx")

    @get("/students/import-sample.xlsx", sync_to_thread=True)
    def import_sample(self, db: DB, actor: Who) -> Response[bytes]:
        own_school(db, actor)
        return download(sample.SAMPLE_PATH.read_bytes(), "roster-sample.xlsx", "示例名册.xlsx")

    # --- activation slips -------------------------------------------------------------------------------

    @get("/students/slips", sync_to_thread=True)
    def slips(self, request: Req, db: DB, ctx: Ctx, actor: Who) -> Template:
        school = own_school(db, actor)
        class_name = str(request.query_params.get("class") or "").strip()[:40]
        found = roster.slip_guardians(db, actor, school.id, class_name) if class_name else []
        counts = {"new": sum(g.state.status in ("none", "expired") for g in found), "all": sum(g.state.pending for g in found)}
        return page(request, "roster_slips.html", actor, R.SLIPS, school=school, classes=roster.classes(db, school.id),
                    class_name=class_name, found=found, counts=counts, state_label=state_label,
                    days=activation.code_days(ctx, db, school.county_code))

    @post("/students/slips", sync_to_thread=True)
    def print_slips(self, request: Req, data: Form, db: DB, ctx: Ctx, actor: Who) -> Template | Redirect:
        """Issues the codes and shows them once, as a page to print (not kept: a reload issues new ones)."""
        school = own_school(db, actor)
        class_name, who = field(data, "class")[:40], field(data, "user_id")
        user_id = integer(data, "user_id", R.COMMON["username"]) if who else None
        made = roster.issue_slips(ctx, db, actor, school.id, class_name=class_name, user_id=user_id,
                                  reissue=field(data, "reissue") == "yes")
        back = field(data, "back") if field(data, "back").startswith(f"{LIST}/") else f"{LIST}/slips?class={quote(class_name)}"
        if not made:
            flash(request, "error", R.DONE["no_slips"])
            return Redirect(path=back, status_code=303)
        shown = page(request, "roster_print.html", actor, R.PRINT, school=school, slips=made, back=back,
                     url=ctx.settings.server.base_url.rstrip("/") + "/activate")
        shown.headers["Cache-Control"] = "no-store"
        return shown


ROSTER_ROUTES: list[Any] = [RosterPages]
