"""JSON API: provider registration, profile and staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody

from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.api import user_out
from kehou.platform.accounts.models import Role
from kehou.platform.pii import show_last4
from kehou.platform.providers import services
from kehou.platform.providers.models import Provider, Staff
from kehou.web.deps import DB, Ctx, Who


class ProviderBody(msgspec.Struct):
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


class Registration(msgspec.Struct):
    provider: ProviderBody
    username: str
    password: str
    display_name: str


class StaffBody(msgspec.Struct):
    name: str
    id_number: str
    qualification_type: str
    qualification_number: str
    criminal_record_issued_on: dt.date
    is_serving_teacher: bool = False


class ProviderUser(msgspec.Struct):
    username: str
    display_name: str
    password: str


def provider_out(p: Provider) -> dict[str, Any]:
    return {
        "id": p.id, "name": p.name, "uscc": p.uscc, "org_type": p.org_type, "legal_rep_name": p.legal_rep_name,
        "legal_rep_id_number": show_last4(p.legal_rep_id_last4), "contact_name": p.contact_name,
        "contact_phone": p.contact_phone, "contact_email": p.contact_email, "address": p.address,
        "national_platform_id": p.national_platform_id,
    }


def staff_out(s: Staff) -> dict[str, Any]:
    return {
        "id": s.id, "name": s.name, "id_number": show_last4(s.id_number_last4), "qualification_type": s.qualification_type,
        "qualification_number": s.qualification_number, "criminal_record_issued_on": s.criminal_record_issued_on.isoformat(),
        "is_serving_teacher": s.is_serving_teacher,
    }




class ProvidersApi(Controller):
    path = "/api/v1/providers"
    tags = ["providers"]

    @post("/register", sync_to_thread=True, status_code=201, summary="A provider signs up (no login needed)")
    def register(self, data: JSONBody[Registration], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        provider, user = services.register(
            db, ctx.vault, actor, services.ProviderInput(**msgspec.structs.asdict(data.provider)),
            username=data.username, password=data.password, display_name=data.display_name,
        )
        return {"provider": provider_out(provider), "user": user_out(user)}

    @get("/{provider_id:int}", sync_to_thread=True)
    def detail(self, provider_id: FromPath[int], db: DB, actor: Who) -> dict[str, Any]:
        actor.require()
        return provider_out(services.get_visible(db, actor, provider_id))

    @put("/{provider_id:int}", sync_to_thread=True)
    def update(self, provider_id: FromPath[int], data: JSONBody[ProviderBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        provider = services.update(db, ctx.vault, actor, provider_id, services.ProviderInput(**msgspec.structs.asdict(data)))
        return provider_out(provider)

    @get("/{provider_id:int}/staff", sync_to_thread=True)
    def staff(self, provider_id: FromPath[int], db: DB, actor: Who) -> list[dict[str, Any]]:
        actor.require()
        return [staff_out(s) for s in services.list_staff(db, actor, provider_id)]

    @post("/{provider_id:int}/staff", sync_to_thread=True, status_code=201)
    def add_staff(self, provider_id: FromPath[int], data: JSONBody[StaffBody], db: DB, ctx: Ctx, actor: Who) -> dict[str, Any]:
        staff = services.add_staff(db, ctx.vault, actor, provider_id, services.StaffInput(**msgspec.structs.asdict(data)))
        return staff_out(staff)

    @post("/{provider_id:int}/users", sync_to_thread=True, status_code=201, summary="Add another user of this provider")
    def add_user(self, provider_id: FromPath[int], data: JSONBody[ProviderUser], db: DB, actor: Who) -> dict[str, Any]:
        actor.require("provider")
        user = accounts.create_user(db, actor, username=data.username, display_name=data.display_name,
                                    password=data.password, role=Role.provider, provider_id=provider_id)
        return user_out(user)
