"""JSON API of the admission workflow: one endpoint per transition."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from kehou.platform.admission import decision, notice, queries, review, services
from kehou.web.deps import DB, Ctx, Who


class Course(msgspec.Struct):
    title: str
    category: str
    description: str = ""


class NewApplication(msgspec.Struct):
    county_code: str
    categories: list[str]
    statement: str = ""
    courses: list[Course] = []


class EditApplication(msgspec.Struct):
    categories: list[str]
    statement: str = ""
    courses: list[Course] | None = None


def _courses(items: list[Course] | None) -> list[dict[str, str]] | None:
    return None if items is None else [msgspec.structs.asdict(c) for c in items]


class Note(msgspec.Struct):
    note: str = ""


class Message(msgspec.Struct):
    message: str


class Scores(msgspec.Struct):
    scores: dict[str, int]
    comment: str = ""
    internal_note: str = ""


class SignoffBody(msgspec.Struct):
    agreed: bool
    comment: str = ""


class Reason(msgspec.Struct):
    reason: str = ""


class Answer(msgspec.Struct):
    answer: str
    upheld: bool = False


class Dismissal(msgspec.Struct):
    objection_ids: list[int]
    reason: str


class AdmissionApi(Controller):
    path = "/api/v1"
    tags = ["admission"]

    def _out(self, db: DB, actor: Who, app_id: int) -> dict[str, Any]:
        db.expire_all()
        return queries.detail(db, actor, services.visible(db, actor, app_id))

    @get("/applications", sync_to_thread=True, summary="Applications visible to me")
    def index(self, db: DB, actor: Who, status: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        return [queries.summary(a, p) for a, p in queries.list_for(db, actor, status=status)]

    @post("/applications", sync_to_thread=True, status_code=201, summary="Start an application (provider)")
    def create(self, data: JSONBody[NewApplication], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        app = services.create(ctx, db, actor, county_code=data.county_code, categories=data.categories, statement=data.statement,
                              courses=_courses(data.courses))
        return self._out(db, actor, app.id)

    @get("/applications/{app_id:int}", sync_to_thread=True)
    def detail(self, app_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        actor.require()
        return self._out(db, actor, app_id)

    @put("/applications/{app_id:int}", sync_to_thread=True)
    def edit(self, app_id: FromPath[int], data: JSONBody[EditApplication], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        services.edit(ctx, db, actor, app_id, categories=data.categories, statement=data.statement,
                      courses=_courses(data.courses))
        return self._out(db, actor, app_id)

    @post("/applications/{app_id:int}/submit", sync_to_thread=True, status_code=200)
    def submit(self, app_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        services.submit(db, actor, app_id)
        return self._out(db, actor, app_id)

    @post("/applications/{app_id:int}/resubmit", sync_to_thread=True, status_code=200)
    def resubmit(self, app_id: FromPath[int], data: JSONBody[Note], db: DB, actor: Who) -> dict[str, Any]:
        services.resubmit(db, actor, app_id, note=data.note)
        return self._out(db, actor, app_id)

    @post("/applications/{app_id:int}/withdraw", sync_to_thread=True, status_code=200)
    def withdraw(self, app_id: FromPath[int], data: JSONBody[Reason], db: DB, actor: Who) -> dict[str, Any]:
        services.withdraw(db, actor, app_id, reason=data.reason)
        return self._out(db, actor, app_id)

    @post("/applications/{app_id:int}/return", sync_to_thread=True, status_code=200, summary="Return for more information")
    def return_for_info(self, app_id: FromPath[int], data: JSONBody[Message], db: DB, actor: Who) -> dict[str, Any]:
        services.return_for_info(db, actor, app_id, message=data.message)
        return self._out(db, actor, app_id)

    @post("/applications/{app_id:int}/accept", sync_to_thread=True, status_code=200,
          summary="Materials complete: to expert review")
    def accept(self, app_id: FromPath[int], data: JSONBody[Note], db: DB, actor: Who) -> dict[str, Any]:
        services.accept_materials(db, actor, app_id, note=data.note)
        return self._out(db, actor, app_id)

    @post("/applications/{app_id:int}/scores", sync_to_thread=True, status_code=200, summary="Score (reviewer)")
    def score(self, app_id: FromPath[int], data: JSONBody[Scores], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        review.score(ctx, db, actor, app_id, scores=data.scores, comment=data.comment, internal_note=data.internal_note)
        return self._out(db, actor, app_id)

    @post("/applications/{app_id:int}/finish-review", sync_to_thread=True, status_code=200)
    def finish_review(self, app_id: FromPath[int], data: JSONBody[Note], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        review.finish_review(ctx, db, actor, app_id, note=data.note)
        return self._out(db, actor, app_id)

    @post("/applications/{app_id:int}/signoff", sync_to_thread=True, status_code=200, summary="Joint-department sign-off")
    def signoff(self, app_id: FromPath[int], data: JSONBody[SignoffBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        review.signoff(ctx, db, actor, app_id, agreed=data.agreed, comment=data.comment)
        return self._out(db, actor, app_id)

    @post("/applications/{app_id:int}/close-notice", sync_to_thread=True, status_code=200)
    def close_notice(self, app_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        notice.close_notice(db, actor, app_id)
        return self._out(db, actor, app_id)

    @post("/applications/{app_id:int}/approve", sync_to_thread=True, status_code=200)
    def approve(self, app_id: FromPath[int], data: JSONBody[Reason], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        decision.approve(ctx, db, actor, app_id, reason=data.reason)
        return self._out(db, actor, app_id)

    @post("/applications/{app_id:int}/reject", sync_to_thread=True, status_code=200)
    def reject(self, app_id: FromPath[int], data: JSONBody[Reason], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        decision.reject(ctx, db, actor, app_id, reason=data.reason)
        return self._out(db, actor, app_id)

    @post("/objections/{objection_id:int}/answer", sync_to_thread=True, status_code=200)
    def answer(self, objection_id: FromPath[int], data: JSONBody[Answer], db: DB, actor: Who) -> dict[str, Any]:
        row = notice.answer_objection(db, actor, objection_id, answer=data.answer, upheld=data.upheld)
        return {"id": row.id, "answer": row.answer, "upheld": row.upheld}

    @post("/applications/{app_id:int}/objections/dismiss", sync_to_thread=True, status_code=200,
          summary="Mark unanswered objections invalid (a flood, duplicates), with a reason (reviewer)")
    def dismiss(self, app_id: FromPath[int], data: JSONBody[Dismissal], db: DB, actor: Who) -> dict[str, Any]:
        rows = notice.dismiss(db, actor, app_id, data.objection_ids, reason=data.reason)
        return {"dismissed": [o.id for o in rows]}
