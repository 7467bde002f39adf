"""JSON API: the school's roster and guardian links, the roster import and activation slips; a parent's own children."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, get, post, put
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody

from kehou.errors import ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.privacy import access
from kehou.platform.students import importer, roster, services
from kehou.platform.students.models import PRIORITY_LABELS, Student
from kehou.timeutil import fmt_local
from kehou.web.deps import DB, Ctx, Who

#: what a request may carry, so that a file up to four times the limit is still told its exact size
UPLOAD_READ = 4 * importer.MAX_BYTES


class StudentBody(msgspec.Struct):
    student_no: str
    name: str
    grade: int
    class_name: str = ""
    priority_group: str | None = None


class DepartureBody(msgspec.Struct):
    student_ids: list[int]
    left_on: dt.date
    reason: str


class GuardianBody(msgspec.Struct):
    username: str
    relation: str = ""


class PriorityBody(msgspec.Struct):
    priority_group: str | None
    reason: str


class RosterImportForm(msgspec.Struct):
    file: UploadFile


class SlipsBody(msgspec.Struct):
    class_name: str = ""
    user_id: int | None = None
    reissue: bool = False


def read_upload(upload: Any) -> tuple[str, bytes]:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed("请选择要导入的名册文件（Excel .xlsx 或 CSV）。", code="file_required", field="file")
    return upload.filename, upload.file.read(UPLOAD_READ + 1)


def slip_out(slip: roster.Slip, activate_url: str) -> dict[str, Any]:
    g = slip.guardian
    return {"user_id": g.user.id, "username": g.user.username, "display_name": g.user.display_name, "code": slip.code,
            "expires_at": slip.expires_at.isoformat(), "expires_local": fmt_local(slip.expires_at), "activate_url": activate_url,
            "children": [{"name": n, "class_name": c} for n, c in g.children]}


def student_out(s: Student, actor: Actor) -> dict[str, Any]:
    out: dict[str, Any] = {"id": s.id, "school_id": s.school_id, "student_no": s.student_no, "name": s.name,
                           "grade": s.grade, "class_name": s.class_name}
    if actor.role in ("school_admin", "platform_admin"):  # priority groups are for school staff only
        out["priority_group"] = s.priority_group
        out["priority_label"] = PRIORITY_LABELS.get(s.priority_group or "", "")
    return out


class StudentsApi(Controller):
    path = "/api/v1"
    tags = ["students"]

    @get("/schools/{school_id:int}/students", sync_to_thread=True, summary="The school's roster (school admin)")
    def roster(self, school_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> list[dict[str, Any]]:
        kids = services.list_for_school(db, actor, school_id)
        if kids:
            access.record(ctx, actor, kids[0].county_code, [k.id for k in kids], "roster_api")
        return [student_out(s, actor) for s in kids]

    @post("/schools/{school_id:int}/students", sync_to_thread=True, status_code=201)
    def add(self, school_id: FromPath[int], data: JSONBody[StudentBody], db: DB, actor: Who) -> dict[str, Any]:
        s = services.add_student(db, actor, school_id, services.StudentInput(**msgspec.structs.asdict(data)))
        return student_out(s, actor)

    @post("/students/{student_id:int}/guardians", sync_to_thread=True, status_code=201, summary="Link a parent account")
    def link(self, student_id: FromPath[int], data: JSONBody[GuardianBody], db: DB, actor: Who) -> dict[str, Any]:
        g = services.link_guardian(db, actor, student_id, data.username, data.relation)
        return {"student_id": g.student_id, "user_id": g.user_id, "relation": g.relation}

    @post("/schools/{school_id:int}/departures", sync_to_thread=True, status_code=200,
          summary="Record that students left the school (graduated, transferred, other): retention counts from then")
    def departures(self, school_id: FromPath[int], data: JSONBody[DepartureBody], db: DB, actor: Who) -> dict[str, Any]:
        n = services.mark_left(db, actor, school_id, data.student_ids, left_on=data.left_on, reason=data.reason)
        return {"students": n, "left_on": data.left_on.isoformat(), "reason": data.reason}

    @put("/students/{student_id:int}/priority", sync_to_thread=True, summary="Record a priority group (school staff only)")
    def priority(self, student_id: FromPath[int], data: JSONBody[PriorityBody], db: DB, actor: Who) -> dict[str, Any]:
        return student_out(services.set_priority(db, actor, student_id, data.priority_group, reason=data.reason), actor)

    @post("/schools/{school_id:int}/roster-imports", sync_to_thread=True, status_code=201, request_max_body_size=UPLOAD_READ,
          summary="Import the roster from Excel (.xlsx) or CSV, all or nothing (school admin of the school)")
    def roster_import(self, school_id: FromPath[int], data: MultipartBody[RosterImportForm], db: DB, ctx: Ctx,
                      actor: Who) -> dict[str, Any]:
        """Columns 学号, 姓名, 年级, 班级, 监护人姓名, 关系, 监护人手机号 and optionally 优先保障群体. Any problem: 400
        ``roster_invalid`` with ``extra.errors`` (line, column, message) and nothing saved."""
        roster.own_school(db, actor, school_id)
        filename, content = read_upload(data.file)
        result = roster.import_roster(ctx, db, actor, school_id, filename=filename, data=content)
        return {"file": result.filename, **result.counts(), "new_usernames": result.created_usernames}

    @post("/schools/{school_id:int}/activation-slips", sync_to_thread=True, status_code=201,
          summary="Issue activation codes for a class's guardians not yet activated (the codes are shown only here)")
    def activation_slips(self, school_id: FromPath[int], data: JSONBody[SlipsBody], db: DB, ctx: Ctx,
                         actor: Who) -> dict[str, Any]:
        """``class_name`` (and ``reissue`` to replace codes still valid, voiding earlier slips) or ``user_id`` for one
        guardian. Codes are stored hashed: this answer is the only time they are seen."""
        slips = roster.issue_slips(ctx, db, actor, school_id, class_name=data.class_name, user_id=data.user_id,
                                   reissue=data.reissue)
        url = ctx.settings.server.base_url.rstrip("/") + "/activate"
        return {"class_name": data.class_name, "slips": [slip_out(s, url) for s in slips]}

    @get("/me/children", sync_to_thread=True, summary="A parent's own children")
    def children(self, db: DB, actor: Who) -> list[dict[str, Any]]:
        return [student_out(s, actor) for s in services.children_of(db, actor)]
