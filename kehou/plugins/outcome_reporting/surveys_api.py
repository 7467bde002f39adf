"""JSON API of satisfaction surveys, school ratings and the term-end showcase (结业汇报)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody

from kehou.plugins.outcome_reporting import showcase, surveys
from kehou.web.deps import DB, Ctx, Who


class RoundBody(msgspec.Struct):
    term_name: str


class AnswerBody(msgspec.Struct):
    entry_id: int
    answers: dict[str, Any]
    respondent: str = "parent"
    comment: str = ""


class RatingBody(msgspec.Struct):
    provider_id: int
    answers: dict[str, Any]
    comment: str = ""


class PublishBody(msgspec.Struct):
    publish: bool
    reason: str = ""


@dataclass
class ShowcaseForm:
    file: UploadFile
    kind: str
    title: str
    description: str = ""


def task_out(t: surveys.Task) -> dict[str, Any]:
    return {"survey_id": t.survey_id, "term_name": t.term_name, "closes_at": t.closes_at.isoformat(), "entry_id": t.entry_id,
            "title": t.title, "respondents": list(t.respondents), "answered": list(t.answered)}


def response_out(r: Any) -> dict[str, Any]:
    return {"id": r.id, "survey_id": r.survey_id, "entry_id": r.entry_id, "respondent": r.respondent, "score": r.score,
            "satisfied": r.satisfied}


class SurveysApi(Controller):
    path = "/api/v1"
    tags = ["outcome"]

    @get("/counties/{code:str}/surveys", sync_to_thread=True, summary="The county's survey rounds (county staff)")
    def rounds(self, code: FromPath[str], db: DB, ctx: Ctx, actor: Who) -> list[dict[str, Any]]:
        return [surveys.survey_out(s) for s in surveys.rounds_of_county(ctx, db, actor, code)]

    @post("/counties/{code:str}/surveys", sync_to_thread=True, status_code=201, summary="Open a round for a term (county staff)")
    def open_round(self, code: FromPath[str], data: JSONBody[RoundBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return surveys.survey_out(surveys.open_round(ctx, db, actor, code, data.term_name))

    @get("/surveys/{survey_id:int}/summary", sync_to_thread=True,
         summary="Aggregates: county staff per provider and school; a school its own; a provider its courses after closing")
    def summary(self, survey_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return surveys.summary(ctx, db, actor, survey_id)

    @get("/children/{student_id:int}/surveys", sync_to_thread=True, summary="The child's courses to answer in open rounds")
    def tasks(self, student_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> list[dict[str, Any]]:
        return [task_out(t) for t in surveys.tasks_for_child(ctx, db, actor, student_id)]

    @post("/children/{student_id:int}/surveys/{survey_id:int}/answers", sync_to_thread=True, status_code=201,
          summary="Answer for one course (respondent parent, or student from the grade setting); once each")
    def answer(self, student_id: FromPath[int], survey_id: FromPath[int], data: JSONBody[AnswerBody], db: DB, ctx: Ctx,
               actor: Who) -> dict[str, Any]:
        row = surveys.answer(ctx, db, actor, student_id, survey_id, entry_id=data.entry_id, respondent=data.respondent,
                             answers=data.answers, comment=data.comment)
        return response_out(row)

    @get("/schools/{school_id:int}/surveys/{survey_id:int}/ratings", sync_to_thread=True,
         summary="The providers the school used in the term, and its ratings (school admin)")
    def ratings(self, school_id: FromPath[int], survey_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return surveys.ratings_page(ctx, db, actor, school_id, survey_id)

    @post("/schools/{school_id:int}/surveys/{survey_id:int}/ratings", sync_to_thread=True, status_code=201,
          summary="Rate a provider the school used (school admin; once per round)")
    def rate(self, school_id: FromPath[int], survey_id: FromPath[int], data: JSONBody[RatingBody], db: DB, ctx: Ctx,
             actor: Who) -> dict[str, Any]:
        row = surveys.rate(ctx, db, actor, school_id, survey_id, provider_id=data.provider_id, answers=data.answers,
                           comment=data.comment)
        return surveys.rating_out(row)


class ShowcaseApi(Controller):
    path = "/api/v1"
    tags = ["outcome"]

    @get("/entries/{entry_id:int}/showcase", sync_to_thread=True, summary="A course's showcase items (its provider, its school)")
    def index(self, entry_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> list[dict[str, Any]]:
        return [showcase.item_out(i) for i in showcase.for_course(ctx, db, actor, entry_id)]

    @post("/entries/{entry_id:int}/showcase", sync_to_thread=True, status_code=201,
          summary="Upload a work, photo or short video (multipart: file, kind, title, description); same file: 200")
    def upload(self, entry_id: FromPath[int], data: MultipartBody[ShowcaseForm], db: DB, ctx: Ctx, actor: Who) -> Response[Any]:
        item, created = showcase.upload(ctx, db, actor, entry_id, kind=(data.kind or "").strip(), title=data.title,
                                        description=data.description, filename=data.file.filename or "",
                                        data=data.file.file.read())
        return Response(showcase.item_out(item) | {"duplicate": not created}, status_code=201 if created else 200)

    @post("/showcase/{item_id:int}/publish", sync_to_thread=True, status_code=200,
          summary="Publish to the course's parents, or withdraw (school admin); audited")
    def publish(self, item_id: FromPath[int], data: JSONBody[PublishBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return showcase.item_out(showcase.publish(ctx, db, actor, item_id, publish=data.publish, reason=data.reason))

    @get("/showcase/{item_id:int}/link", sync_to_thread=True, summary="A short-lived signed link to the file")
    def link(self, item_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return {"url": showcase.link(ctx, db, actor, item_id), "expires_in": int(showcase.LINK_TTL.total_seconds())}

    @get("/children/{student_id:int}/showcase", sync_to_thread=True, summary="The published showcase of the child's courses")
    def child(self, student_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> list[dict[str, Any]]:
        return [c | {"items": [showcase.item_out(i) for i in c["items"]]}
                for c in showcase.for_child(ctx, db, actor, student_id)]


API_ROUTES = [SurveysApi, ShowcaseApi]
