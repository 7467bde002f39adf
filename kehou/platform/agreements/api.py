"""JSON API: the agreements of the user, their text, PDF and signatures; signing, termination,
renewal; the county's templates."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.orm import Session

from kehou.platform.actor import Actor
from kehou.platform.agreements import access, services, signing
from kehou.platform.agreements import templates as tpl
from kehou.platform.agreements.defaults import PLACEHOLDER_LABELS, PLACEHOLDERS, REQUIRED
from kehou.platform.agreements.models import KIND_LABELS, STATUS_LABELS, Agreement, AgreementSignature, AgreementTemplate
from kehou.web.deps import DB, Ctx, Who


class SignBody(msgspec.Struct):
    pdf_sha256: str


class KindBody(msgspec.Struct):
    kind: str


class TerminateBody(msgspec.Struct):
    reason: str


class RenewBody(msgspec.Struct):
    subject: str
    term_name: str
    values: dict[str, str] | None = None


class TemplateBody(msgspec.Struct):
    kind: str
    title: str
    body: str


def signature_out(sig: AgreementSignature, agreement: Agreement, actor: Actor) -> dict[str, Any]:
    """A signature; where from (IP, browser) only for the signer and the county's staff."""
    party = agreement.party(sig.party_role) or {}
    out: dict[str, Any] = {
        "id": sig.id, "party_role": sig.party_role, "party_ref": sig.party_ref, "party_label": party.get("label", ""),
        "signer_name": sig.signer_name, "signed_at": sig.signed_at.isoformat(), "pdf_sha256": sig.pdf_sha256,
        "voided_at": sig.voided_at.isoformat() if sig.voided_at else None, "void_reason": sig.void_reason,
        "live": sig.voided_at is None and sig.pdf_sha256 == agreement.pdf_sha256,
    }
    if sig.user_id == actor.user_id or (actor.role == "county_staff" and actor.county_code == agreement.county_code):
        out |= {"ip": sig.ip, "user_agent": sig.user_agent}
    return out


def agreement_out(a: Agreement, *, my_party: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": a.id, "kind": a.kind, "kind_label": KIND_LABELS.get(a.kind, a.kind), "county_code": a.county_code,
        "subject": a.subject, "title": a.title, "term_name": a.term_name, "status": a.status,
        "status_label": STATUS_LABELS.get(a.status, a.status), "parties": a.parties, "pdf_sha256": a.pdf_sha256,
        "template_version": a.template_version, "renewed_from": a.renewed_from, "created_at": a.created_at.isoformat(),
        "updated_at": a.updated_at.isoformat(), "signed_at": a.signed_at.isoformat() if a.signed_at else None,
        "my_party": my_party["role"] if my_party else None,
    }


def detail_out(db: Session, actor: Actor, a: Agreement) -> dict[str, Any]:
    out = agreement_out(a, my_party=access.party_of(db, actor, a))
    out |= {
        "text": a.text, "values": a.values, "pdf_url": f"/api/v1/agreements/{a.id}/pdf",
        "terminated_at": a.terminated_at.isoformat() if a.terminated_at else None, "terminated_reason": a.terminated_reason,
        "signatures": [signature_out(s, a, actor) for s in signing.signatures(db, a.id)],
    }
    return out


def template_out(t: AgreementTemplate) -> dict[str, Any]:
    return {"id": t.id, "kind": t.kind, "version": t.version, "title": t.title, "body": t.body,
            "created_at": t.created_at.isoformat()}


def pdf_response(a: Agreement, data: bytes) -> Response[bytes]:
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="agreement-{a.id}.pdf"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store", "X-Content-SHA256": a.pdf_sha256})


class AgreementsApi(Controller):
    path = "/api/v1"
    tags = ["agreements"]

    @get("/agreements", sync_to_thread=True, summary="The agreements where the user is a party (county staff: the county's)")
    def index(self, db: DB, actor: Who, kind: FromQuery[str | None] = None,
              status: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        return [agreement_out(a, my_party=access.party_of(db, actor, a))
                for a in services.visible_to(db, actor, kind=kind, status=status)]

    @get("/agreements/{agreement_id:int}", sync_to_thread=True, summary="Text, parties, signatures (voided ones too)")
    def detail(self, agreement_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        return detail_out(db, actor, services.get(db, actor, agreement_id))

    @get("/agreements/{agreement_id:int}/pdf", sync_to_thread=True, summary="The current PDF", media_type="application/pdf")
    def pdf(self, agreement_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Response[bytes]:
        return pdf_response(*services.pdf_of(ctx, db, actor, agreement_id))

    @post("/agreements/{agreement_id:int}/sign", sync_to_thread=True, status_code=200,
          summary="Sign for one's party the text whose PDF has pdf_sha256 (idempotent)")
    def sign(self, request: Request[Any, Any, Any], agreement_id: FromPath[int], data: JSONBody[SignBody], db: DB, ctx: Ctx,
             actor: Who) -> dict[str, Any]:
        sig = services.sign(ctx, db, actor, agreement_id, pdf_sha256=data.pdf_sha256,
                            user_agent=request.headers.get("user-agent", ""))
        a = services.get(db, actor, agreement_id)
        return {"signature": signature_out(sig, a, actor), "agreement": agreement_out(a, my_party=access.party_of(db, actor, a))}

    @post("/agreements/sign-pending", sync_to_thread=True, status_code=200,
          summary="A school or provider signs every agreement of a kind still waiting for its signature")
    def sign_pending(self, data: JSONBody[KindBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        return {"signed": signing.sign_pending(ctx, db, actor, kind=data.kind)}

    @post("/agreements/{agreement_id:int}/terminate", sync_to_thread=True, status_code=200, summary="End it, with a reason")
    def terminate(self, agreement_id: FromPath[int], data: JSONBody[TerminateBody], db: DB, ctx: Ctx,
                  actor: Who) -> dict[str, Any]:
        return detail_out(db, actor, services.terminate(ctx, db, actor, agreement_id, data.reason))

    @post("/agreements/{agreement_id:int}/renew", sync_to_thread=True, status_code=201,
          summary="The same agreement for the next term (county, school or provider party)")
    def renew(self, agreement_id: FromPath[int], data: JSONBody[RenewBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        new = services.renew(ctx, db, actor, agreement_id, subject=data.subject, term_name=data.term_name, values=data.values)
        return detail_out(db, actor, new)

    @get("/counties/{code:str}/agreement-templates", sync_to_thread=True,
         summary="The county's template versions, the built-in defaults and the placeholders of each kind")
    def templates(self, code: FromPath[str], db: DB, actor: Who) -> dict[str, Any]:
        saved = tpl.versions(db, actor, code)
        kinds = {}
        for kind, label in KIND_LABELS.items():
            default = tpl.builtin(kind)
            kinds[kind] = {"label": label, "placeholders": {p: PLACEHOLDER_LABELS[p] for p in PLACEHOLDERS[kind]},
                           "required": list(REQUIRED[kind]), "default": {"title": default.title, "body": default.body},
                           "current_version": next((t.version for t in saved if t.kind == kind), 0)}
        return {"county_code": code, "kinds": kinds, "versions": [template_out(t) for t in saved]}

    @post("/counties/{code:str}/agreement-templates", sync_to_thread=True, status_code=201,
          summary="Save a new version of a kind's template (county decision-makers)")
    def save_template(self, code: FromPath[str], data: JSONBody[TemplateBody], db: DB, actor: Who) -> dict[str, Any]:
        return template_out(tpl.save(db, actor, code, kind=data.kind, title=data.title, body=data.body))
