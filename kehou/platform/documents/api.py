"""JSON API: upload, list, download and review documents; the local backend's signed links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody
from sqlalchemy.orm import Session

from kehou.errors import NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.documents import services
from kehou.platform.documents.models import Document
from kehou.web.deps import DB, Ctx, Who


@dataclass
class UploadForm:
    file: UploadFile
    doc_type: str
    number: str = ""
    issuer: str = ""
    valid_from: str = ""
    valid_to: str = ""
    scope_text: str = ""
    staff_id: str = ""


class ReviewBody(msgspec.Struct):
    accepted: bool
    note: str = ""


def _date(value: str, field: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("日期格式应为 年-月-日（如 2026-09-01）。", code="date_invalid", field=field) from None


def meta_from_form(form: Any) -> services.DocumentInput:
    staff = (form.staff_id or "").strip()
    if staff and not staff.isdecimal():
        raise ValidationFailed("人员编号不正确。", code="staff_not_found", field="staff_id")
    return services.DocumentInput(
        doc_type=form.doc_type.strip(), number=form.number, issuer=form.issuer, valid_from=_date(form.valid_from, "valid_from"),
        valid_to=_date(form.valid_to, "valid_to"), scope_text=form.scope_text, staff_id=int(staff) if staff else None,
    )


def save_upload(ctx: Context, db: Session, actor: Actor, provider_id: int, form: UploadForm) -> tuple[Document, bool]:
    data = form.file.file.read()
    return services.upload(ctx, db, actor, provider_id, meta_from_form(form), filename=form.file.filename or "", data=data)


def document_out(d: Document) -> dict[str, Any]:
    return {
        "id": d.id, "provider_id": d.provider_id, "staff_id": d.staff_id, "doc_type": d.doc_type, "number": d.number,
        "issuer": d.issuer, "valid_from": d.valid_from.isoformat() if d.valid_from else None,
        "valid_to": d.valid_to.isoformat() if d.valid_to else None, "scope_text": d.scope_text, "size": d.size,
        "content_type": d.content_type, "sha256": d.sha256, "original_name": d.original_name, "status": d.status,
        "review_note": d.review_note, "uploaded_at": d.uploaded_at.isoformat(),
    }


class DocumentsApi(Controller):
    path = "/api/v1"
    tags = ["documents"]

    @post("/providers/{provider_id:int}/documents", sync_to_thread=True, status_code=201,
          summary="Upload a document (multipart: file + metadata); identical re-uploads return the existing one")
    def upload(self, provider_id: FromPath[int], data: MultipartBody[UploadForm], db: DB, ctx: Ctx, actor: Who) -> Response[Any]:
        doc, created = save_upload(ctx, db, actor, provider_id, data)
        return Response(document_out(doc) | {"duplicate": not created}, status_code=201 if created else 200)

    @get("/providers/{provider_id:int}/documents", sync_to_thread=True)
    def index(self, provider_id: FromPath[int], db: DB, actor: Who) -> list[dict[str, Any]]:
        return [document_out(d) for d in services.list_for_provider(db, actor, provider_id)]

    @get("/documents/{document_id:int}/download", sync_to_thread=True, summary="A short-lived download link")
    def download(self, document_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        url = services.download_url(ctx, db, actor, document_id)
        return {"url": url, "expires_in": int(services.LINK_TTL.total_seconds())}

    @post("/documents/{document_id:int}/review", sync_to_thread=True, status_code=200, summary="Accept or reject (reviewer)")
    def review(self, document_id: FromPath[int], data: JSONBody[ReviewBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return document_out(services.review(ctx, db, actor, document_id, accepted=data.accepted, note=data.note))


@get("/files/{key:path}", sync_to_thread=True, include_in_schema=False)
def signed_file(request: Request[Any, Any, Any], key: FromPath[str], ctx: Ctx) -> Response[bytes]:
    """Serve a local-disk object behind a signed, expiring link (local backend only)."""
    from kehou.storage.headers import download_headers
    from kehou.storage.local import LocalStorage

    storage, key = ctx.storage, key.lstrip("/")
    q = request.query_params
    name, ctype = q.get("name", ""), q.get("type", "")
    if not isinstance(storage, LocalStorage) or not storage.verify_link(key, q.get("exp", ""), q.get("sig", ""), name, ctype):
        raise NotFound("链接无效或已过期。", code="link_invalid")
    try:
        body = storage.get(key)
    except KeyError:
        raise NotFound("文件不存在。", code="file_not_found") from None
    headers = download_headers(name, ctype)
    return Response(body, media_type=headers.pop("Content-Type", ctype), headers=headers)
