"""Documents: upload through the storage layer, list, hand out download links, review.

An upload is validated (magic bytes, size, allowed types: county settings),
de-duplicated by sha256 per provider, stored under a generated key, then
recorded; if recording fails the stored object is removed again, so nothing
half-written is left behind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.admission.models import Application
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.documents.models import DOCUMENT_TYPES, STAFF_DOCUMENT_TYPES, Document
from kehou.platform.policy import services as policy
from kehou.platform.providers.models import Staff
from kehou.storage import new_key
from kehou.storage.validation import validate_upload
from kehou.timeutil import utcnow

LINK_TTL = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class DocumentInput:
    doc_type: str
    number: str = ""
    issuer: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    scope_text: str = ""
    staff_id: int | None = None


def types_for(ctx: Context, session: Session, county_code: str | None = None) -> dict[str, str]:
    """Built-in types plus those the county added (documents.extra_types)."""
    types = dict(DOCUMENT_TYPES)
    if county_code:
        for extra in policy.get(session, ctx.registry, county_code, "documents.extra_types"):
            types[str(extra["key"])] = str(extra["label"])
    return types


def _counties_of(session: Session, provider_id: int) -> list[str]:
    return list(session.scalars(select(Application.county_code).where(Application.provider_id == provider_id).distinct()))


def _upload_rules(ctx: Context, session: Session, provider_id: int) -> tuple[list[str], int]:
    """The strictest limits among the counties the provider applies in (platform defaults otherwise)."""
    counties = _counties_of(session, provider_id) or ["000000"]
    allowed: set[str] | None = None
    max_bytes = None
    for code in counties:
        kinds = set(policy.get(session, ctx.registry, code, "documents.allowed_types"))
        allowed = kinds if allowed is None else allowed & kinds
        size = int(policy.get(session, ctx.registry, code, "documents.max_size_bytes"))
        max_bytes = size if max_bytes is None else min(max_bytes, size)
    return sorted(allowed or []), int(max_bytes or 0)


def _check_meta(ctx: Context, session: Session, provider_id: int, meta: DocumentInput) -> None:
    known = set(DOCUMENT_TYPES)
    for code in _counties_of(session, provider_id):
        known |= set(types_for(ctx, session, code))
    if meta.doc_type not in known:
        raise ValidationFailed("证件类型不正确。", code="document_type_invalid", field="doc_type")
    if meta.doc_type in STAFF_DOCUMENT_TYPES and meta.staff_id is None:
        raise ValidationFailed(f"「{DOCUMENT_TYPES[meta.doc_type]}」须指定所属人员。", code="staff_required", field="staff_id")
    if meta.staff_id is not None:
        staff = session.get(Staff, meta.staff_id)
        if staff is None or staff.provider_id != provider_id:
            raise ValidationFailed("人员不存在。", code="staff_not_found", field="staff_id")
    if meta.valid_from and meta.valid_to and meta.valid_to < meta.valid_from:
        raise ValidationFailed("有效期截止日期不能早于起始日期。", code="validity_invalid", field="valid_to")
    for name, limit in (("number", 100), ("issuer", 200), ("scope_text", 5000)):
        if len(getattr(meta, name) or "") > limit:
            raise ValidationFailed(f"{name} 不能超过{limit}个字符。", code="field_too_long", field=name)


def upload(ctx: Context, session: Session, actor: Actor, provider_id: int, meta: DocumentInput, *, filename: str,
           data: bytes) -> tuple[Document, bool]:
    """Store a document. Returns (document, created): an identical re-upload returns the existing one."""
    actor.require("provider")
    if actor.provider_id != provider_id:
        raise PermissionDenied("只能为本机构上传证件。", code="provider_mismatch")
    _check_meta(ctx, session, provider_id, meta)
    allowed, max_bytes = _upload_rules(ctx, session, provider_id)
    check = validate_upload(data, filename, allowed=allowed, max_bytes=max_bytes)
    same = session.scalars(select(Document).where(
        Document.provider_id == provider_id, Document.sha256 == check.sha256, Document.doc_type == meta.doc_type,
        Document.staff_id.is_(None) if meta.staff_id is None else Document.staff_id == meta.staff_id,
    )).first()
    if same is not None:
        return same, False
    storage = ctx.storage
    key = new_key(f"providers/{provider_id}")
    storage.put(key, data, check.content_type)
    try:
        doc = Document(
            provider_id=provider_id, staff_id=meta.staff_id, doc_type=meta.doc_type, number=(meta.number or "").strip(),
            issuer=(meta.issuer or "").strip(), valid_from=meta.valid_from, valid_to=meta.valid_to,
            scope_text=(meta.scope_text or "").strip(), storage_key=key, size=check.size, content_type=check.content_type,
            sha256=check.sha256, original_name=check.safe_name, status="pending", uploaded_by=actor.user_id,
            uploaded_at=utcnow(),
        )
        session.add(doc)
        session.flush()
        audit.record(session, actor, county_code=None, action="document.upload", entity_type="document", entity_id=doc.id,
                     new={"doc_type": doc.doc_type, "staff_id": doc.staff_id, "number": doc.number, "valid_from": doc.valid_from,
                          "valid_to": doc.valid_to, "sha256": doc.sha256, "size": doc.size, "name": doc.original_name})
        session.commit()
    except Exception:
        session.rollback()
        storage.delete(key)
        raise
    return doc, True


def visible(session: Session, actor: Actor, document_id: int) -> Document:
    """The provider itself, and staff of a county it applied in; nobody else (not found)."""
    actor.require()
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("证件不存在。", code="document_not_found")
    if actor.role == "platform_admin" or (actor.role == "provider" and actor.provider_id == doc.provider_id):
        return doc
    if actor.role in ("county_staff", "department") and actor.county_code in _counties_of(session, doc.provider_id):
        return doc
    raise NotFound("证件不存在。", code="document_not_found")


def list_for_provider(session: Session, actor: Actor, provider_id: int) -> list[Document]:
    from kehou.platform.providers import services as providers

    actor.require()
    providers.get_visible(session, actor, provider_id)
    return list(session.scalars(select(Document).where(Document.provider_id == provider_id)
                                .order_by(Document.doc_type, Document.uploaded_at.desc())))


def download_url(ctx: Context, session: Session, actor: Actor, document_id: int) -> str:
    doc = visible(session, actor, document_id)
    return ctx.storage.download_url(doc.storage_key, filename=doc.original_name, content_type=doc.content_type,
                                    expires=LINK_TTL)


def accept_many(ctx: Context, session: Session, actor: Actor, document_ids: list[int]) -> list[Document]:
    """Accept several documents at once (the reviewer ticked them): every one is checked first — visible to
    this reviewer and not replaced — so a bad pick accepts none; then each is accepted and audited as one review."""
    actor.require("county_staff")
    if not actor.can_review:
        raise PermissionDenied("您没有审核权限。", code="review_right_required")
    ids = list(dict.fromkeys(document_ids))
    if not ids:
        raise ValidationFailed("请先勾选要通过的证件。", code="documents_required", field="document_id")
    if len(ids) > 200:
        raise ValidationFailed("一次最多批量通过200份证件。", code="too_many_documents", field="document_id")
    for doc in (visible(session, actor, i) for i in ids):
        if doc.status not in ("pending", "accepted", "rejected"):
            raise Conflict(f"证件 {doc.original_name} 已被新证件替换，未做任何改动。", code="document_replaced")
    return [review(ctx, session, actor, i, accepted=True) for i in ids]


def review(ctx: Context, session: Session, actor: Actor, document_id: int, *, accepted: bool, note: str = "") -> Document:
    """A county reviewer accepts or rejects a document. Accepting one replaces older documents
    of the same type and owner."""
    actor.require("county_staff")
    if not actor.can_review:
        raise PermissionDenied("您没有审核权限。", code="review_right_required")
    visible(session, actor, document_id)
    doc = session.scalars(select(Document).where(Document.id == document_id).with_for_update()
                          .execution_options(populate_existing=True)).one()
    if doc.status not in ("pending", "accepted", "rejected"):
        raise Conflict("该证件已被新证件替换。", code="document_replaced")
    note = (note or "").strip()
    if not accepted and not note:
        raise ValidationFailed("退回证件时请说明原因。", code="note_required", field="note")
    old = {"status": doc.status}
    doc.status = "accepted" if accepted else "rejected"
    doc.review_note, doc.reviewed_by, doc.reviewed_at = note, actor.user_id, utcnow()
    replaced = []
    if accepted:
        for other in session.scalars(select(Document).where(
            Document.provider_id == doc.provider_id, Document.doc_type == doc.doc_type, Document.id != doc.id,
            Document.status == "accepted",
            Document.staff_id.is_(None) if doc.staff_id is None else Document.staff_id == doc.staff_id,
        )):
            other.status = "replaced"
            replaced.append(other.id)
    audit.record(session, actor, county_code=actor.county_code, action="document.review", entity_type="document",
                 entity_id=doc.id, reason=note, old=old, new={"status": doc.status, "replaced": replaced})
    if accepted:
        from kehou.vetting import monitor

        # a valid replacement may lift the suspension in this reviewer's county (other counties: their
        # own reviewers, or the nightly run)
        monitor.check_provider(ctx, session, doc.provider_id, county_code=actor.county_code)
    session.commit()
    return doc
