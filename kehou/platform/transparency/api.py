"""Public JSON API (no login)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from kehou.platform.admission import notice as notices_svc
from kehou.platform.transparency import queries
from kehou.web.deps import DB, Who


class ObjectionBody(msgspec.Struct):
    name: str
    contact: str
    content: str
    evidence: str


class PublicApi(Controller):
    path = "/api/v1/public"
    tags = ["public"]

    @get("/counties/{code:str}/whitelist", sync_to_thread=True, summary="Admitted providers (白名单)")
    def whitelist(self, code: FromPath[str], db: DB) -> dict[str, Any]:
        region = queries.county(db, code)
        return {"county_code": code, "county_name": region.name, "providers": queries.whitelist(db, code),
                "suspended": queries.suspended(db, code), "exited": queries.exits(db, code)}

    @get("/counties/{code:str}/notices", sync_to_thread=True, summary="Notices in progress (公示)")
    def notices(self, code: FromPath[str], db: DB) -> list[dict[str, Any]]:
        queries.county(db, code)
        return queries.notices(db, code)

    @get("/counties/{code:str}/decisions", sync_to_thread=True, summary="Admission decisions")
    def decisions(self, code: FromPath[str], db: DB) -> list[dict[str, Any]]:
        queries.county(db, code)
        return queries.decisions(db, code)

    @post("/applications/{app_id:int}/objections", sync_to_thread=True, status_code=201,
          summary="File an objection during notice")
    def object(self, app_id: FromPath[int], data: JSONBody[ObjectionBody], db: DB, actor: Who) -> dict[str, Any]:
        row = notices_svc.file_objection(db, actor, app_id, name=data.name, contact=data.contact, content=data.content,
                                         evidence=data.evidence)
        return {"id": row.id, "filed_at": row.filed_at.isoformat()}
