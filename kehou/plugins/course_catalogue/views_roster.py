"""Pages of the school's student roster: the list (search, grade, class, pages of 50, Excel), one student with
its guardians and forms, the import from Excel/CSV (all or nothing, every problem listed) and the parents'
activation slips. The school's own administrator only; the work is in :mod:`kehou.platform.students.roster`.
All text is in :mod:`kehou.plugins.course_catalogue.roster_text`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from kehou.errors import NotFound, PermissionDenied, ValidationFailed
from kehou.platform.accounts import activation
from kehou.platform.actor import Actor
from kehou.platform.counties.models import School
from kehou.platform.privacy import access
from kehou.platform.students import roster, sample, services
from kehou.platform.students.api import UPLOAD_READ, read_upload
from kehou.platform.students.models import GRADE_LABELS, PRIORITY_LABELS
from kehou.plugins.course_catalogue import roster_text as R
from kehou.plugins.course_catalogue.views import page
from kehou.timeutil import fmt_local
from kehou.web.deps import DB, Ctx, Who
from kehou.web.errors import flash
from kehou.web.listing import EXPORT_MAX, Listing, xlsx
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
        """In the import's columns (one line per guardian), so a school can export, correct and import again;
        the guardians' numbers only for the school's own administrator."""
        school = own_school(db, actor)
        listing, grade, class_name = filters(request.query_params)
        kids = list(db.scalars(roster.roster_stmt(school.id, like=listing.like if listing.q else "", grade=grade,
                                                  class_name=class_name).limit(EXPORT_MAX)))
        access.record(ctx, actor, school.county_code, [k.id for k in kids], "roster_export")
        guardians = roster.guardians_of(db, [s.id for s in kids])
        phones = roster.phones(ctx, db, actor, school, sorted({g.user_id for gs in guardians.values() for g in gs}))
        show_phone = actor.role == "school_admin" and actor.school_id == school.id
        headers = [R.COMMON[k] for k in ("student_no", "name", "grade", "class_name")] + ["监护人姓名", "关系"]
        headers += (["监护人手机号"] if show_phone else []) + [R.COMMON["priority"], R.EXPORT["username"], R.EXPORT["state"]]

        def lines() -> Any:
            for s in kids:
                each: list[roster.GuardianView | None] = [*guardians.get(s.id, [])] or [None]
                for g in each:
                    who = [g.display_name, g.relation] if g else ["", ""]
                    phone = [phones.get(g.user_id, "") if g else ""] if show_phone else []
                    yield [s.student_no, s.name, GRADE_LABELS.get(s.grade, s.grade), s.class_name, *who, *phone,
                           PRIORITY_LABELS.get(s.priority_group or "", ""), g.username if g else "",
                           state_label(g.state) if g else ""]

        return xlsx(R.EXPORT["sheet"], headers, lines(), R.EXPORT["file"])

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
        return page(request, "roster_student.html", actor, R.STUDENT, school=school, s=kid,
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
