"""HTML: providers upload documents; everyone allowed downloads through a short-lived link;
county reviewers accept or reject."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, MultipartBody, URLEncodedBody
from litestar.response import Redirect

from kehou.errors import ValidationFailed
from kehou.platform.documents import services
from kehou.platform.documents.api import UploadForm, save_upload
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, values

TEXT = {"uploaded": "证件已上传，等待教育局审核。", "duplicate": "该文件此前已上传，未重复保存。",
        "accepted": "证件已审核通过。", "rejected": "证件已退回。", "accepted_many": "已批量通过{n}份证件。"}


class DocumentPages(Controller):
    include_in_schema = False

    @post("/provider/documents", sync_to_thread=True)
    def upload(self, request: Request[Any, Any, Any], data: MultipartBody[UploadForm], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("provider")
        _doc, created = save_upload(ctx, db, actor, int(actor.provider_id or 0), data)
        return done(request, "/provider#documents", TEXT["uploaded"] if created else TEXT["duplicate"])

    @get("/documents/{document_id:int}/download", sync_to_thread=True)
    def download(self, document_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        return Redirect(path=services.download_url(ctx, db, actor, document_id), status_code=303)

    @post("/desk/documents/{document_id:int}/review", sync_to_thread=True)
    def review(self, request: Request[Any, Any, Any], document_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
               db: DB, ctx: Ctx, actor: Who) -> Redirect:
        accepted = field(data, "accepted") == "yes"
        services.review(ctx, db, actor, document_id, accepted=accepted, note=field(data, "note"))
        back = request.headers.get("referer") or "/desk"
        return done(request, back, TEXT["accepted"] if accepted else TEXT["rejected"])

    @post("/desk/documents/bulk-accept", sync_to_thread=True)
    def accept_many(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
                    actor: Who) -> Redirect:
        raw = values(data, "document_id")
        if not all(v.isdecimal() and len(v) < 10 for v in raw):
            raise ValidationFailed("证件编号无效。", code="document_id_invalid", field="document_id")
        docs = services.accept_many(ctx, db, actor, [int(v) for v in raw])
        back = request.headers.get("referer") or "/desk"
        return done(request, back, TEXT["accepted_many"].format(n=len(docs)))
