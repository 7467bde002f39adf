"""JSON API: the school's roster and guardian links; a parent's own children."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody

from kehou.platform.actor import Actor
from kehou.platform.students import services
from kehou.platform.students.models import PRIORITY_LABELS, Student
from kehou.web.deps import DB, Who


class StudentBody(msgspec.Struct):
    student_no: str
    name: str
    grade: int
    class_name: str = ""
    priority_group: str | None = None


class GuardianBody(msgspec.Struct):
    username: str
    relation: str = ""


class PriorityBody(msgspec.Struct):
    priority_group: str | None
    reason: str


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
    def roster(self, school_id: FromPath[int], db: DB, actor: Who) -> list[dict[str, Any]]:
        return [student_out(s, actor) for s in services.list_for_school(db, actor, school_id)]

    @post("/schools/{school_id:int}/students", sync_to_thread=True, status_code=201)
    def add(self, school_id: FromPath[int], data: JSONBody[StudentBody], db: DB, actor: Who) -> dict[str, Any]:
        s = services.add_student(db, actor, school_id, services.StudentInput(**msgspec.structs.asdict(data)))
        return student_out(s, actor)

    @post("/students/{student_id:int}/guardians", sync_to_thread=True, status_code=201, summary="Link a parent account")
    def link(self, student_id: FromPath[int], data: JSONBody[GuardianBody], db: DB, actor: Who) -> dict[str, Any]:
        g = services.link_guardian(db, actor, student_id, data.username, data.relation)
        return {"student_id": g.student_id, "user_id": g.user_id, "relation": g.relation}

    @put("/students/{student_id:int}/priority", sync_to_thread=True, summary="Record a priority group (school staff only)")
    def priority(self, student_id: FromPath[int], data: JSONBody[PriorityBody], db: DB, actor: Who) -> dict[str, Any]:
        return student_out(services.set_priority(db, actor, student_id, data.priority_group, reason=data.reason), actor)

    @get("/me/children", sync_to_thread=True, summary="A parent's own children")
    def children(self, db: DB, actor: Who) -> list[dict[str, Any]]:
        return [student_out(s, actor) for s in services.children_of(db, actor)]
