"""Providers and their staff. People's ID numbers are sealed (see pii.py)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, PermissionDenied, ValidationFailed
from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import Role
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.pii import PiiVault, show_last4
from kehou.platform.providers import org_types
from kehou.platform.providers.identifiers import validate_resident_id, validate_uscc
from kehou.platform.providers.models import Provider, QualificationType, Staff
from kehou.platform.ratelimit import services as ratelimit
from kehou.timeutil import clock, utcnow

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

EDITABLE = ["name", "org_type", "legal_rep_name", "contact_name", "contact_phone", "contact_email", "address",
            "national_platform_id"]


@dataclass(frozen=True)
class ProviderInput:
    name: str
    uscc: str
    org_type: str
    legal_rep_name: str
    legal_rep_id_number: str
    contact_name: str
    contact_phone: str
    contact_email: str = ""
    address: str = ""
    national_platform_id: str | None = None


def _required(value: str, field: str, label: str, max_len: int = 200) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"请填写{label}。", code="field_required", field=field)
    if len(value) > max_len:
        raise ValidationFailed(f"{label}不能超过{max_len}个字符。", code="field_too_long", field=field)
    return value


def _clean(session: Session, data: ProviderInput) -> dict[str, Any]:
    known = org_types.anywhere(session)
    if data.org_type not in known:
        raise ValidationFailed(f"机构类型不正确（可选：{'、'.join(known.values())}）。", code="org_type_invalid",
                               field="org_type")
    phone = _required(data.contact_phone, "contact_phone", "联系电话", 30).replace(" ", "")
    if not PHONE_RE.match(phone):
        raise ValidationFailed("联系电话格式不正确（手机号11位或区号-座机号）。", code="phone_invalid", field="contact_phone")
    email = (data.contact_email or "").strip()
    if email and not EMAIL_RE.match(email):
        raise ValidationFailed("电子邮箱格式不正确。", code="email_invalid", field="contact_email")
    return {
        "name": _required(data.name, "name", "机构名称"),
        "uscc": validate_uscc(data.uscc),
        "org_type": data.org_type,
        "legal_rep_name": _required(data.legal_rep_name, "legal_rep_name", "法定代表人姓名", 100),
        "legal_rep_id": validate_resident_id(data.legal_rep_id_number, field="legal_rep_id_number"),
        "contact_name": _required(data.contact_name, "contact_name", "联系人", 100),
        "contact_phone": phone,
        "contact_email": email,
        "address": (data.address or "").strip()[:500],
        "national_platform_id": (data.national_platform_id or "").strip() or None,
    }


def register(
    session: Session, vault: PiiVault, actor: Actor, data: ProviderInput, *, username: str, password: str, display_name: str
) -> tuple[Provider, Any]:
    """A provider signs up: the organisation record and its first user, in one transaction."""
    clean = _clean(session, data)
    if session.scalars(select(Provider).where(Provider.uscc == clean["uscc"])).first():
        raise ValidationFailed("该统一社会信用代码已注册，请联系本机构已有账号添加用户。", code="uscc_taken", field="uscc")
    if not actor.authenticated:  # self-registration by anyone: limited per address
        ratelimit.hit(session, ratelimit.REGISTRATIONS, actor.ip)
    sealed = vault.seal(clean.pop("legal_rep_id"))
    now = utcnow()
    provider = Provider(
        **clean,
        legal_rep_id_enc=sealed.ciphertext,
        legal_rep_id_hash=sealed.keyed_hash,
        legal_rep_id_last4=sealed.last4,
        created_at=now,
        updated_at=now,
    )
    session.add(provider)
    session.flush()
    audit.record(
        session, actor, county_code=None, action="provider.register", entity_type="provider", entity_id=provider.id,
        new={k: clean[k] for k in EDITABLE if k in clean} | {"uscc": clean["uscc"]},
    )
    system = Actor.system("registration")
    user = accounts.create_user(
        session, system, username=username, display_name=display_name, password=password,
        role=Role.provider, provider_id=provider.id, commit=False,
    )
    session.commit()
    return provider, user


def get_visible(session: Session, actor: Actor, provider_id: int) -> Provider:
    """Providers see only themselves; county staff and departments see any provider
    that applied in their county; the platform admin sees all."""
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise NotFound("机构不存在。", code="provider_not_found")
    if actor.role == "platform_admin":
        return provider
    if actor.role == "provider" and actor.provider_id == provider_id:
        return provider
    if actor.role in ("county_staff", "department") and actor.county_code:
        from kehou.platform.admission.models import Application

        applied = session.scalars(
            select(Application.id).where(Application.provider_id == provider_id, Application.county_code == actor.county_code)
        ).first()
        if applied is not None:
            return provider
    raise NotFound("机构不存在。", code="provider_not_found")


def update(session: Session, vault: PiiVault, actor: Actor, provider_id: int, data: ProviderInput, reason: str = "") -> Provider:
    actor.require("provider")
    if actor.provider_id != provider_id:
        raise NotFound("机构不存在。", code="provider_not_found")
    provider = session.get(Provider, provider_id)
    assert provider is not None
    clean = _clean(session, data)
    if clean["uscc"] != provider.uscc:
        raise ValidationFailed("统一社会信用代码不可修改。", code="uscc_immutable", field="uscc")
    new_id = clean.pop("legal_rep_id")
    old, new = audit.changes(provider, EDITABLE, clean)
    if vault.keyed_hash(new_id) != provider.legal_rep_id_hash:
        sealed = vault.seal(new_id)
        provider.legal_rep_id_enc, provider.legal_rep_id_hash, provider.legal_rep_id_last4 = (
            sealed.ciphertext, sealed.keyed_hash, sealed.last4,
        )
        old["legal_rep_id"], new["legal_rep_id"] = show_last4(provider.legal_rep_id_last4), show_last4(sealed.last4)
    for key, value in clean.items():
        setattr(provider, key, value)
    provider.updated_at = utcnow()
    if new:
        audit.record(session, actor, county_code=None, action="provider.update", entity_type="provider",
                     entity_id=provider.id, reason=reason, old=old, new=new)
    session.commit()
    return provider


@dataclass(frozen=True)
class StaffInput:
    name: str
    id_number: str
    qualification_type: str
    qualification_number: str
    criminal_record_issued_on: dt.date
    is_serving_teacher: bool = False


def add_staff(session: Session, vault: PiiVault, actor: Actor, provider_id: int, data: StaffInput) -> Staff:
    actor.require("provider")
    if actor.provider_id != provider_id:
        raise PermissionDenied("只能为本机构添加人员。", code="provider_mismatch")
    name = _required(data.name, "name", "姓名", 100)
    id_number = validate_resident_id(data.id_number)
    if data.qualification_type not in QualificationType.__members__:
        raise ValidationFailed("资格证书类型不正确。", code="qualification_type_invalid", field="qualification_type")
    qual_no = _required(data.qualification_number, "qualification_number", "资格证书编号", 100)
    if data.criminal_record_issued_on > clock.today_local():
        raise ValidationFailed("无犯罪记录证明的开具日期不能晚于今天。", code="date_in_future", field="criminal_record_issued_on")
    sealed = vault.seal(id_number)
    dup = session.scalars(
        select(Staff).where(Staff.provider_id == provider_id, Staff.id_number_hash == sealed.keyed_hash, Staff.active.is_(True))
    ).first()
    if dup is not None:
        raise ValidationFailed("该身份证号的人员已在本机构登记。", code="staff_duplicate", field="id_number")
    staff = Staff(
        provider_id=provider_id, name=name, id_number_enc=sealed.ciphertext, id_number_hash=sealed.keyed_hash,
        id_number_last4=sealed.last4, qualification_type=data.qualification_type, qualification_number=qual_no,
        criminal_record_issued_on=data.criminal_record_issued_on, is_serving_teacher=data.is_serving_teacher,
        created_at=utcnow(),
    )
    session.add(staff)
    session.flush()
    audit.record(
        session, actor, county_code=None, action="staff.add", entity_type="staff", entity_id=staff.id,
        new={"name": name, "id_number": show_last4(sealed.last4), "qualification_type": data.qualification_type,
             "qualification_number": qual_no, "criminal_record_issued_on": data.criminal_record_issued_on,
             "is_serving_teacher": data.is_serving_teacher},
    )
    session.commit()
    return staff


def list_staff(session: Session, actor: Actor, provider_id: int) -> list[Staff]:
    get_visible(session, actor, provider_id)
    return list(session.scalars(select(Staff).where(Staff.provider_id == provider_id, Staff.active.is_(True)).order_by(Staff.id)))
