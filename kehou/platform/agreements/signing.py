"""Signing and terminating an agreement; voiding signatures when its text changes.

A signature binds a party to one wording: the SHA-256 of the PDF the signer was shown. When the
text changes, every live signature is voided (kept, with ``voided_at`` and ``void_reason``) and the
parties sign again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.agreements import access
from kehou.platform.agreements.models import Agreement, AgreementSignature
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.timeutil import utcnow

TEXT_CHANGED = "协议文本已变更"


def signatures(session: Session, agreement_id: int) -> list[AgreementSignature]:
    """Every signature of the agreement, voided ones included, oldest first."""
    return list(session.scalars(select(AgreementSignature).where(AgreementSignature.agreement_id == agreement_id)
                                .order_by(AgreementSignature.id)))


def live(session: Session, agreement: Agreement) -> list[AgreementSignature]:
    """The signatures in force: not voided, on the agreement's current text."""
    return [s for s in signatures(session, agreement.id) if s.voided_at is None and s.pdf_sha256 == agreement.pdf_sha256]


def is_complete(session: Session, agreement: Agreement) -> bool:
    signed = {s.party_role for s in live(session, agreement)}
    return all(p["role"] in signed for p in agreement.parties)


def void_all(session: Session, agreement: Agreement, reason: str = TEXT_CHANGED) -> list[int]:
    """Void every live signature of the agreement (the caller audits); returns their ids."""
    now, ids = utcnow(), []
    for sig in signatures(session, agreement.id):
        if sig.voided_at is None:
            sig.voided_at, sig.void_reason = now, reason
            ids.append(sig.id)
    return ids


def _party(session: Session, actor: Actor, agreement: Agreement) -> dict[str, str]:
    party = access.party_of(session, actor, agreement)
    if party is None:
        raise PermissionDenied("您不是本协议的签约方。", code="not_a_party")
    if party["role"] == "county" and not actor.can_decide:
        raise PermissionDenied("只有有决定权限的教育局工作人员可以代表教育局签署或终止协议。", code="decide_right_required")
    return party


def sign(ctx: Context, session: Session, actor: Actor, agreement_id: int, *, pdf_sha256: str,
         user_agent: str = "") -> AgreementSignature:
    """The actor signs for their party the text whose PDF has ``pdf_sha256`` (commits). Signing again is a no-op."""
    agreement = access.get(session, actor, agreement_id, lock=True)
    party = _party(session, actor, agreement)
    if agreement.status == "terminated":
        raise Conflict("协议已终止，不能签署。", code="agreement_terminated")
    if agreement.redacted_at is not None:
        raise Conflict("协议已过保存期限，不能再签署。", code="agreement_redacted")
    if (pdf_sha256 or "").strip().lower() != agreement.pdf_sha256:
        raise Conflict("协议文本已更新，您看到的不是当前版本。请重新阅读协议后再签署。", code="agreement_text_changed",
                       field="pdf_sha256", extra={"current_sha256": agreement.pdf_sha256})
    mine = next((s for s in live(session, agreement) if s.party_role == party["role"]), None)
    if mine is not None:
        return mine
    sig = AgreementSignature(
        agreement_id=agreement.id, party_role=party["role"], party_ref=party["ref"], user_id=actor.user_id,
        signer_name=(actor.display_name or actor.username)[:100], signed_at=utcnow(), ip=(actor.ip or "")[:64],
        user_agent=(user_agent or "")[:300], pdf_sha256=agreement.pdf_sha256, void_reason="",
    )
    session.add(sig)
    session.flush()
    old_status = agreement.status
    if is_complete(session, agreement):
        access.move(agreement, "complete")
        agreement.signed_at = sig.signed_at
    agreement.updated_at = sig.signed_at
    audit.record(session, actor, county_code=agreement.county_code, action="agreement.sign", entity_type="agreement",
                 entity_id=agreement.id, old={"status": old_status},
                 new={"status": agreement.status, "signature_id": sig.id, "party_role": sig.party_role,
                      "party_ref": sig.party_ref, "pdf_sha256": sig.pdf_sha256, "user_agent": sig.user_agent})
    session.commit()
    return sig


def terminate(ctx: Context, session: Session, actor: Actor, agreement_id: int, reason: str) -> Agreement:
    """A party, or a decision-maker of the agreement's county, ends it with a reason (audited; commits)."""
    agreement = access.get(session, actor, agreement_id, lock=True)
    if not (actor.role == "county_staff" and actor.county_code == agreement.county_code):
        _party(session, actor, agreement)
    elif not actor.can_decide:
        raise PermissionDenied("只有有决定权限的教育局工作人员可以终止协议。", code="decide_right_required")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("终止协议必须说明理由。", code="reason_required", field="reason")
    if len(reason) > 1000:
        raise ValidationFailed("理由不能超过1000个字符。", code="field_too_long", field="reason")
    end(session, actor, agreement, reason)
    session.commit()
    return agreement


def end(session: Session, actor: Actor, agreement: Agreement, reason: str, **extra: object) -> None:
    """Terminate ``agreement`` (locked by the caller) in the caller's transaction, audited with ``extra``;
    no permission check: :func:`terminate` checks for people, the exit mechanism ends a leaving provider's."""
    old_status = access.move(agreement, "terminate")
    agreement.terminated_at = agreement.updated_at = utcnow()
    agreement.terminated_by, agreement.terminated_reason = actor.user_id, reason
    audit.record(session, actor, county_code=agreement.county_code, action="agreement.terminate", entity_type="agreement",
                 entity_id=agreement.id, reason=reason, old={"status": old_status}, new={"status": agreement.status, **extra})


def sign_pending(ctx: Context, session: Session, actor: Actor, *, kind: str) -> int:
    """A school or a provider signs, in one go, every agreement of ``kind`` in which its party has
    not yet signed the current text (e.g. a term's hundreds of tripartite agreements). Each is signed
    as by :func:`sign`, bound to its own current sha256 and audited. Parents sign one by one.
    Returns how many were signed."""
    actor.require("school_admin", "provider")
    from kehou.platform.agreements.templates import check_kind

    check_kind(kind)
    pending = [a.id for a in session.scalars(access.visible_stmt(actor).where(Agreement.kind == kind,
                                                                                Agreement.status == "draft")
                                             .order_by(Agreement.id))
               if (party := access.party_of(session, actor, a)) is not None
               and not any(s.party_role == party["role"] for s in live(session, a))]
    signed = 0
    for agreement_id in pending:
        digest = session.get(Agreement, agreement_id).pdf_sha256  # type: ignore[union-attr]
        try:
            sign(ctx, session, actor, agreement_id, pdf_sha256=digest, user_agent="批量签署")
            signed += 1
        except Conflict:  # changed or terminated meanwhile: left for the next round
            session.rollback()
    return signed
