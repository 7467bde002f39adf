"""JSON API of a county's blacklist: list, import a CSV/Excel file, remove an entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, delete, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody

from kehou.vetting import blacklist
from kehou.web.deps import DB, Ctx, Who


@dataclass
class BlacklistImportForm:
    file: UploadFile
    reason: str = ""


class BlacklistRemoval(msgspec.Struct):
    reason: str = ""


class BlacklistApi(Controller):
    path = "/api/v1/counties/{code:str}/blacklist"
    tags = ["vetting"]

    @get("/", sync_to_thread=True, summary="The county's blacklist (labels only, never hashes)")
    def index(self, code: FromPath[str], db: DB, actor: Who) -> list[dict[str, Any]]:
        return [blacklist.entry_out(e) for e in blacklist.list_entries(db, actor, code)]

    @post("/import", sync_to_thread=True, status_code=200, summary="Import a blacklist file (CSV or .xlsx), all or nothing",
          request_max_body_size=blacklist.MAX_BYTES + 1024 * 1024)
    def import_file(self, code: FromPath[str], data: MultipartBody[BlacklistImportForm], db: DB, ctx: Ctx,
                    actor: Who) -> dict[str, Any]:
        actor.require()
        content = data.file.file.read(blacklist.MAX_BYTES + 1)
        result = blacklist.import_file(ctx, db, actor, code, filename=data.file.filename or "", data=content,
                                       reason_default=data.reason)
        return {"added": result.added, "unchanged": result.unchanged,
                "errors": [{"row": n, "message": m} for n, m in result.errors]}

    @delete("/{entry_id:int}", sync_to_thread=True, status_code=200, summary="Remove an entry (decision-maker, reason required)")
    def remove(self, code: FromPath[str], entry_id: FromPath[int], data: JSONBody[BlacklistRemoval], db: DB,
               actor: Who) -> dict[str, Any]:
        blacklist.remove(db, actor, entry_id, data.reason, county_code=code)
        return {"id": entry_id, "removed": True}
