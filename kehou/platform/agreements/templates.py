"""Agreement templates: placeholders, validation, filling in, and the county's saved versions.

A placeholder is a name in braces, ``{school_name}``; braces are used for nothing else. Values are
inserted literally in one pass, so a value containing braces is never read as a placeholder.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.agreements.defaults import DEFAULT_BODIES, DEFAULT_TITLES, PLACEHOLDER_LABELS, PLACEHOLDERS, REQUIRED
from kehou.platform.agreements.models import KIND_LABELS, AgreementTemplate, Kind
from kehou.platform.audit import services as audit
from kehou.platform.counties.models import Region
from kehou.timeutil import utcnow

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BRACED = re.compile(r"\{[^{}]*\}")
MAX_TITLE, MAX_BODY = 200, 50_000


@dataclass(frozen=True)
class Template:
    """The template an agreement is rendered from: a county's version, or the built-in one (id None, version 0)."""

    kind: str
    title: str
    body: str
    id: int | None = None
    version: int = 0


def check_kind(kind: str) -> str:
    if kind not in Kind.__members__:
        raise ValidationFailed("协议类型应为准入协议（admission）、服务协议（service）或三方协议（tripartite）。",
                               code="agreement_kind_invalid", field="kind")
    return kind


def placeholders_in(text: str, *, field: str = "body") -> list[str]:
    """The placeholder names in ``text``, in order; malformed braces are refused."""
    for token in _BRACED.findall(text):
        if not PLACEHOLDER.fullmatch(token):
            raise ValidationFailed(f"占位符「{token}」格式不正确：应为花括号内的英文名称，如 {{school_name}}。",
                                   code="template_placeholder_malformed", field=field, extra={"placeholder": token})
    rest = _BRACED.sub("", text)
    if "{" in rest or "}" in rest:
        at = min(i for i in (rest.find("{"), rest.find("}")) if i >= 0)
        raise ValidationFailed(f"模板中有不成对的花括号（“{rest[max(at - 10, 0):at + 10]}”附近）；花括号只能用于占位符。",
                               code="template_placeholder_malformed", field=field)
    return PLACEHOLDER.findall(text)


def validate(kind: str, title: str, body: str) -> tuple[str, str]:
    """A template's title and body, trimmed, if every placeholder is well formed and known for ``kind``."""
    check_kind(kind)
    title, body = (title or "").strip(), (body or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise ValidationFailed(f"请填写协议标题（不超过{MAX_TITLE}个字符）。", code="template_title_invalid", field="title")
    if not body or len(body) > MAX_BODY:
        raise ValidationFailed(f"请填写协议正文（不超过{MAX_BODY}个字符）。", code="template_body_invalid", field="body")
    known = PLACEHOLDERS[kind]
    used = placeholders_in(title, field="title") + placeholders_in(body)
    for name in used:
        if name not in known:
            allowed = "、".join("{" + k + "}" for k in known)
            raise ValidationFailed(f"{KIND_LABELS[kind]}不能使用占位符 {{{name}}}。可用的占位符：{allowed}。",
                                   code="template_placeholder_unknown", field="body", extra={"placeholder": name})
    for name in REQUIRED[kind]:
        if name not in used:
            raise ValidationFailed(f"{KIND_LABELS[kind]}的正文须包含占位符 {{{name}}}（{PLACEHOLDER_LABELS[name]}）。",
                                   code="template_placeholder_required", field="body", extra={"placeholder": name})
    return title, body


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with every placeholder replaced; a missing value is refused, naming the placeholder."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            label = PLACEHOLDER_LABELS.get(name, name)
            raise ValidationFailed(f"协议内容缺少 {{{name}}}（{label}）的值。", code="agreement_value_missing", field=name,
                                   extra={"placeholder": name})
        return values[name]

    return PLACEHOLDER.sub(value, text)


def builtin(kind: str) -> Template:
    return Template(kind=kind, title=DEFAULT_TITLES[kind], body=DEFAULT_BODIES[kind])


def latest(session: Session, county_code: str, kind: str) -> Template:
    """The county's newest version of ``kind``, or the built-in default."""
    row = session.scalars(select(AgreementTemplate).where(AgreementTemplate.county_code == county_code,
                                                          AgreementTemplate.kind == kind)
                          .order_by(AgreementTemplate.version.desc())).first()
    if row is None:
        return builtin(kind)
    return Template(kind=kind, title=row.title, body=row.body, id=row.id, version=row.version)


def _county_staff(session: Session, actor: Actor, county_code: str, *, write: bool) -> Region:
    actor.require(*(("county_staff",) if write else ("county_staff", "platform_admin")))  # the county's own text
    actor.require_county(county_code)
    if write and not actor.can_decide:
        raise PermissionDenied("只有有决定权限的教育局工作人员可以修改协议模板。", code="decide_right_required")
    region = session.get(Region, county_code)
    if region is None or region.level != "county":
        raise NotFound("区县不存在。", code="county_not_found")
    return region


def versions(session: Session, actor: Actor, county_code: str) -> list[AgreementTemplate]:
    """Every saved version of the county's templates, newest first per kind."""
    _county_staff(session, actor, county_code, write=False)
    return list(session.scalars(select(AgreementTemplate).where(AgreementTemplate.county_code == county_code)
                                .order_by(AgreementTemplate.kind, AgreementTemplate.version.desc())))


def save(session: Session, actor: Actor, county_code: str, *, kind: str, title: str, body: str) -> AgreementTemplate:
    """Add the next version of the county's template of ``kind`` (audited; commits). Existing agreements
    change only when ``services.ensure`` renders them again."""
    _county_staff(session, actor, county_code, write=True)
    title, body = validate(kind, title, body)
    previous = session.scalar(select(func.max(AgreementTemplate.version)).where(
        AgreementTemplate.county_code == county_code, AgreementTemplate.kind == kind)) or 0
    row = AgreementTemplate(county_code=county_code, kind=kind, version=previous + 1, title=title, body=body,
                            created_by=actor.user_id, created_at=utcnow())
    session.add(row)
    session.flush()  # two saves at once: the unique (county, kind, version) refuses the second (409)
    audit.record(session, actor, county_code=county_code, action="agreement_template.save", entity_type="agreement_template",
                 entity_id=row.id, old={"version": previous},
                 new={"kind": kind, "version": row.version, "title": title,
                      "body_sha256": hashlib.sha256(body.encode()).hexdigest()})
    session.commit()
    return row
