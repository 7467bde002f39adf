"""Agreements (协议): create or re-render one per subject, read, renew; signing and termination
live in ``signing`` and are re-exported here.

Three kinds: ``admission`` (准入协议, county – provider, made when an admission is approved),
``service`` (服务协议, school – provider, per term) and ``tripartite`` (三方协议, school – parent –
provider, per enrolment). ``ensure`` renders the county's latest template of the kind (or the
built-in one) with the parties and values; callers commit. See docs/agreements.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.agreements import access, render, signing
from kehou.platform.agreements import templates as tpl
from kehou.platform.agreements.defaults import PLACEHOLDERS, standard_values
from kehou.platform.agreements.models import PARTY_ROLES, ROLE_LABELS, STATUS_LABELS, Agreement
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.counties.models import Region, School
from kehou.platform.providers.models import Provider
from kehou.platform.students.models import Student
from kehou.timeutil import utcnow

__all__ = ["Party", "ensure", "fully_signed", "get", "renew", "sign", "signatures", "terminate", "visible_to"]

sign = signing.sign
terminate = signing.terminate
signatures = signing.signatures
MAX_VALUE = 5000


@dataclass(frozen=True)
class Party:
    role: str  # "county" | "school" | "provider" | "parent"
    ref: str  # county code, school id, provider id, or student id (as str) for a parent
    label: str  # display name, e.g. "张三（学生李四的监护人）"


@dataclass
class _Parties:
    ordered: list[dict[str, str]]
    auto: dict[str, str]  # names from the records: county_name, school_name, provider_name, student_name
    school_id: int | None = None
    provider_id: int | None = None
    student_id: int | None = None


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="agreement_parties_invalid", field="parties")


def _parties(session: Session, kind: str, county_code: str, parties: list[Party]) -> _Parties:
    """The parties in the kind's order, checked against the records of ``county_code``."""
    region = session.get(Region, county_code)
    if region is None or region.level != "county":
        raise ValidationFailed("协议须属于一个区县。", code="county_unknown", field="county_code")
    roles = PARTY_ROLES[kind]
    by_role = {p.role: p for p in parties}
    if len(parties) != len(roles) or set(by_role) != set(roles):
        wanted = "、".join(ROLE_LABELS[r] for r in roles)
        raise _invalid(f"该类协议的签约方应为：{wanted}，各一方。")
    out = _Parties(ordered=[], auto={"county_name": region.name})
    for role in roles:
        p = by_role[role]
        ref, label = str(p.ref).strip(), (p.label or "").strip()
        if not label or len(label) > 200:
            raise _invalid(f"请填写{ROLE_LABELS[role]}的名称（不超过200个字符）。")
        if role == "county" and ref != county_code:
            raise _invalid("教育行政部门一方须为协议所属的区县。")
        if role != "county" and not ref.isdecimal():
            raise _invalid(f"{ROLE_LABELS[role]}的编号不正确。")
        if role == "school":
            school = session.get(School, int(ref))
            if school is None or school.county_code != county_code:
                raise _invalid("学校不存在或不属于该区县。")
            out.school_id, out.auto["school_name"] = school.id, school.name
        elif role == "provider":
            provider = session.get(Provider, int(ref))
            if provider is None:
                raise _invalid("机构不存在。")
            out.provider_id, out.auto["provider_name"] = provider.id, provider.name
        elif role == "parent":
            student = session.get(Student, int(ref))
            if student is None or student.county_code != county_code:
                raise _invalid("学生不存在或不属于该区县。")
            out.student_id, out.auto["student_name"] = student.id, student.name
        out.ordered.append({"role": role, "ref": ref, "label": label})
    if out.student_id is not None and out.school_id is not None:
        if session.get(Student, out.student_id).school_id != out.school_id:  # type: ignore[union-attr]
            raise _invalid("学生不是该校学生。")
    return out


def _values(kind: str, values: dict[str, str]) -> dict[str, str]:
    known = PLACEHOLDERS[kind]
    out = {}
    for key, value in (values or {}).items():
        if key not in known:
            raise ValidationFailed(f"该类协议没有占位符 {{{key}}}。", code="agreement_value_unknown", field=key)
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise ValidationFailed(f"{{{key}}} 的值须为不超过{MAX_VALUE}个字符的文字。", code="agreement_value_invalid",
                                   field=key)
        out[key] = value.strip()
    return out


def _locked(session: Session, subject: str) -> Agreement | None:
    return session.scalars(select(Agreement).where(Agreement.subject == subject).with_for_update()
                           .execution_options(populate_existing=True)).first()


def _store(ctx: Context, agreement_id: int, text: str) -> tuple[str, str]:
    data = render.pdf(text)
    digest = render.sha256(data)
    key = render.pdf_key(agreement_id, digest)
    ctx.storage.put(key, data, "application/pdf")
    return key, digest


def ensure(ctx: Context, session: Session, actor: Actor, *, kind: str, county_code: str, subject: str, parties: list[Party],
           values: dict[str, str], term_name: str = "", renewed_from: int | None = None) -> Agreement:
    """The agreement for ``subject``, created or re-rendered from the county's latest template of ``kind``.

    Unchanged text: nothing happens. Changed text (template or values): a new PDF, every live
    signature voided, status back to draft, audited with the old and new SHA-256. Terminated
    agreements are returned untouched. Does not commit; no permission check (the caller decides who
    may cause an agreement). Safe when two transactions create the same subject at once.
    """
    tpl.check_kind(kind)
    subject, term_name = (subject or "").strip(), (term_name or "").strip()
    if not subject or len(subject) > 200:
        raise ValidationFailed("协议主题须为1到200个字符。", code="agreement_subject_invalid", field="subject")
    if len(term_name) > 60:
        raise ValidationFailed("学期名称不能超过60个字符。", code="field_too_long", field="term_name")
    who = _parties(session, kind, county_code, parties)
    given = _values(kind, values)
    template = tpl.latest(session, county_code, kind)
    filled = standard_values(who.auto["county_name"]) | who.auto | ({"term": term_name} if term_name else {}) | given
    title = tpl.fill(template.title, filled)
    text = render.compose(title, who.ordered, tpl.fill(template.body, filled))
    fields: dict[str, object] = {
        "county_code": county_code, "kind": kind, "parties": who.ordered, "values": given, "school_id": who.school_id,
        "provider_id": who.provider_id, "student_id": who.student_id, "template_id": template.id,
        "template_version": template.version, "term_name": term_name, "title": title[:200], "text": text,
    }
    row = _locked(session, subject)
    if row is None:
        row = _create(ctx, session, actor, subject, fields, renewed_from)
        if row is not None:
            return row
        row = _locked(session, subject)
        if row is None:
            raise Conflict("协议创建冲突，请重试。", code="concurrent_update")
    if row.kind != kind or row.county_code != county_code:
        raise Conflict("该协议主题已被另一份协议使用。", code="agreement_subject_taken", field="subject")
    if row.status == "terminated" or row.text == text:
        return row
    return _rerender(ctx, session, actor, row, fields)


def _create(ctx: Context, session: Session, actor: Actor, subject: str, fields: dict[str, object],
            renewed_from: int | None) -> Agreement | None:
    now = utcnow()
    row = Agreement(subject=subject, **fields, pdf_key="", pdf_sha256="", status="draft", created_by=actor.user_id,
                    created_at=now, updated_at=now, terminated_reason="", renewed_from=renewed_from)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # created at the same moment by another transaction
    row.pdf_key, row.pdf_sha256 = _store(ctx, row.id, row.text)
    audit.record(session, actor, county_code=row.county_code, action="agreement.create", entity_type="agreement",
                 entity_id=row.id, new={"kind": row.kind, "subject": subject, "parties": row.parties, "values": row.values,
                                        "template_version": row.template_version, "term_name": row.term_name,
                                        "pdf_sha256": row.pdf_sha256, "renewed_from": renewed_from, "status": row.status})
    session.flush()
    return row


def _rerender(ctx: Context, session: Session, actor: Actor, row: Agreement, fields: dict[str, object]) -> Agreement:
    old = {"pdf_sha256": row.pdf_sha256, "template_version": row.template_version, "values": row.values, "status": row.status}
    for name, value in fields.items():
        setattr(row, name, value)
    row.pdf_key, row.pdf_sha256 = _store(ctx, row.id, row.text)
    voided = signing.void_all(session, row)
    access.move(row, "rerender")
    row.signed_at, row.updated_at = None, utcnow()
    audit.record(session, actor, county_code=row.county_code, action="agreement.rerender", entity_type="agreement",
                 entity_id=row.id, reason=signing.TEXT_CHANGED, old=old,
                 new={"pdf_sha256": row.pdf_sha256, "template_version": row.template_version, "values": row.values,
                      "status": row.status, "voided_signatures": voided})
    session.flush()
    return row


def fully_signed(session: Session, subject: str) -> bool:
    """Every party has a live signature on the current text, and the agreement is signed (not terminated)."""
    row = session.scalars(select(Agreement).where(Agreement.subject == subject)).first()
    return row is not None and row.status == "signed" and signing.is_complete(session, row)


def get(session: Session, actor: Actor, agreement_id: int) -> Agreement:
    """The agreement, if ``actor`` may see it; otherwise not found."""
    return access.get(session, actor, agreement_id)


def visible_to(session: Session, actor: Actor, *, kind: str | None = None, status: str | None = None) -> list[Agreement]:
    """The agreements ``actor`` may see, newest first (county: its county's; school, provider: their own;
    parent: their children's)."""
    stmt = access.visible_stmt(actor)
    if kind:
        stmt = stmt.where(Agreement.kind == tpl.check_kind(kind))
    if status:
        if status not in STATUS_LABELS:
            raise ValidationFailed("协议状态应为 draft、signed 或 terminated。", code="agreement_status_invalid", field="status")
        stmt = stmt.where(Agreement.status == status)
    return list(session.scalars(stmt.order_by(Agreement.id.desc())))


def renew(ctx: Context, session: Session, actor: Actor, agreement_id: int, *, subject: str, term_name: str,
          values: dict[str, str] | None = None) -> Agreement:
    """A new agreement of the same kind and parties for the next term, linked by ``renewed_from``; the old
    values with ``values`` merged over them (commits). A county, school or provider party only."""
    old = access.get(session, actor, agreement_id)
    party = access.party_of(session, actor, old)
    if party is None:
        raise PermissionDenied("您不是本协议的签约方。", code="not_a_party")
    if party["role"] == "parent":
        raise PermissionDenied("续签由学校或机构发起。", code="renew_denied")
    if party["role"] == "county" and not actor.can_decide:
        raise PermissionDenied("只有有决定权限的教育局工作人员可以续签协议。", code="decide_right_required")
    if old.status == "terminated":
        raise Conflict("协议已终止，不能续签。", code="agreement_terminated")
    if old.redacted_at is not None:
        raise Conflict("协议已过保存期限，不能续签。", code="agreement_redacted")
    if not (term_name or "").strip():
        raise ValidationFailed("请填写续签的学期（或期限）。", code="term_required", field="term_name")
    taken = session.scalars(select(Agreement).where(Agreement.subject == (subject or "").strip())).first()
    if taken is not None and taken.renewed_from != old.id:
        raise Conflict("该协议主题已被另一份协议使用。", code="agreement_subject_taken", field="subject")
    merged = {k: v for k, v in old.values.items() if k != "term"} | (values or {})
    new = ensure(ctx, session, actor, kind=old.kind, county_code=old.county_code, subject=subject,
                 parties=[Party(**p) for p in old.parties], values=merged, term_name=term_name, renewed_from=old.id)
    session.commit()
    return new


def _day(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def ensure_admission(ctx: Context, session: Session, actor: Actor, *, county_code: str, provider_id: int, application_id: int,
                     categories: list[str], valid_from: dt.date, valid_until: dt.date) -> Agreement:
    """The admission agreement (准入协议) of an approved application, in the approval's transaction; it
    renews the provider's previous admission agreement in the county, if any."""
    region = session.get(Region, county_code)
    provider = session.get(Provider, provider_id)
    assert region is not None and provider is not None
    previous = session.scalars(select(Agreement.id).where(
        Agreement.kind == "admission", Agreement.county_code == county_code, Agreement.provider_id == provider_id,
        Agreement.status != "terminated").order_by(Agreement.id.desc())).first()
    return ensure(ctx, session, actor, kind="admission", county_code=county_code,
                  subject=f"admission:{county_code}:{provider_id}:{application_id}",
                  parties=[Party("county", county_code, f"{region.name}教育局"),
                           Party("provider", str(provider_id), provider.name)],
                  values={"categories": "、".join(categories), "period": f"{_day(valid_from)}至{_day(valid_until)}"},
                  renewed_from=previous)


def pdf_of(ctx: Context, session: Session, actor: Actor, agreement_id: int) -> tuple[Agreement, bytes]:
    """The agreement and its current PDF. A PDF missing from storage is rendered again from the stored text
    and served only if it has the recorded SHA-256."""
    row = access.get(session, actor, agreement_id)
    if row.redacted_at is not None:
        raise NotFound("协议已过保存期限，文本与文件已删除。", code="agreement_redacted")
    try:
        return row, ctx.storage.get(row.pdf_key)
    except KeyError:
        data = render.pdf(row.text)
        if render.sha256(data) != row.pdf_sha256:
            raise NotFound("协议文件不存在。", code="file_not_found") from None
        ctx.storage.put(row.pdf_key, data, "application/pdf")
        return row, data
