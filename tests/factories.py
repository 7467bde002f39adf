"""Factories for test data, through the real services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.counties import services as counties
from kehou.platform.documents import services as documents
from kehou.platform.providers import services as providers
from kehou.platform.providers.identifiers import resident_id_check_char, uscc_check_char
from kehou.timeutil import clock
from kehou.vetting.rules.defaults import REQUIRED_TYPES
from tests import media

PASSWORD = "Passw0rd-kehou"
SYSTEM = Actor.system("tests")
ADMIN = Actor(user_id=0, username="root", display_name="测试", role="platform_admin")

CITY = "330100"
COUNTY = "330106"  # 西湖区
OTHER_COUNTY = "330108"  # 滨江区
THIRD_COUNTY = "330110"


def uscc(body: str) -> str:
    """A valid USCC from a 17-character body."""
    return body + uscc_check_char(body)


def resident_id(body: str = "11010519491231002") -> str:
    return body + resident_id_check_char(body)


@dataclass
class World:
    ctx: Context
    users: dict[str, User] = field(default_factory=dict)
    school_ids: dict[str, int] = field(default_factory=dict)
    provider_ids: dict[str, int] = field(default_factory=dict)

    def actor(self, key: str, ip: str = "127.0.0.1") -> Actor:
        return accounts.actor_for(self.users[key], ip)


def _user(ctx: Context, session, key: str, **kw) -> User:  # type: ignore[no-untyped-def]
    return accounts.create_user(session, SYSTEM, username=key, display_name=kw.pop("display_name", key),
                                password=PASSWORD, **kw)


#: Scope text covering every default category (vetting.category_scope_keywords); the documents uploaded are
#: the default required ones (documents.required_types).
SCOPE = "开展体育、艺术、传统文化、劳动实践、心理健康、科普、阅读及兴趣社团等非学科类培训服务"


def pdf(tag: str) -> bytes:
    """A small, distinct, real PDF (one page; uploads must open: kehou/storage/validation.py)."""
    return media.pdf(tag)


def add_documents(world: World, key: str, *, valid_to: dt.date | None = None, accept: bool = True) -> list[int]:
    """Upload every required document of a provider and its staff (valid three years unless told)."""
    ctx = world.ctx
    pid = world.provider_ids[key]
    until = valid_to or clock.today_local() + dt.timedelta(days=3 * 365)
    with ctx.db.write_session() as s:
        from kehou.platform.providers.models import Provider, Staff

        org_type = s.get(Provider, pid).org_type  # type: ignore[union-attr]
        staff_ids = [x.id for x in s.query(Staff).filter_by(provider_id=pid)]
        metas = [documents.DocumentInput(t, number=f"{t}-{pid}", issuer="杭州市西湖区民政局", valid_from=dt.date(2024, 1, 1),
                                         valid_to=until, scope_text=SCOPE) for t in REQUIRED_TYPES[org_type]]
        for sid in staff_ids:
            metas.append(documents.DocumentInput("qualification_certificate", number="ZY-2024-001", staff_id=sid,
                                                 valid_from=dt.date(2024, 1, 1)))
            metas.append(documents.DocumentInput("criminal_record_certificate", number=f"WF-{sid}", staff_id=sid,
                                                 valid_from=dt.date(2026, 10, 1)))
        ids = []
        for meta in metas:
            doc, _ = documents.upload(ctx, s, world.actor(key), pid, meta, filename=f"{meta.doc_type}.pdf",
                                      data=pdf(f"{pid}-{meta.doc_type}-{meta.staff_id}-{until}"))
            ids.append(doc.id)
        if accept:
            for doc_id in ids:
                documents.review(ctx, s, world.actor("reviewer1"), doc_id, accepted=True)
    return ids


def review_documents(world: World, key: str, reviewer: str = "reviewer1") -> int:
    """The reviewer accepts every pending document of the provider (the materials are accepted only after that:
    ``admission.accept_materials``). Returns how many were accepted."""
    from kehou.platform.documents.models import Document

    with world.ctx.db.write_session() as s:
        ids = list(s.scalars(select(Document.id).where(Document.provider_id == world.provider_ids[key],
                                                       Document.status == "pending").order_by(Document.id)))
        if ids:
            documents.accept_many(world.ctx, s, world.actor(reviewer), ids)
            s.commit()
    return len(ids)


def add_provider(world: World, key: str, *, body: str, name: str, org_type: str = "private_non_enterprise",
                 staff: bool = True, docs: bool = True) -> int:
    ctx = world.ctx
    with ctx.db.write_session() as s:
        provider, user = providers.register(
            s, ctx.vault, Actor.anonymous(),  # made by the test, from no address: not a public write
            providers.ProviderInput(name=name, uscc=uscc(body), org_type=org_type, legal_rep_name="张三",
                                    legal_rep_id_number=resident_id(), contact_name="李四", contact_phone="13800138000"),
            username=key, password=PASSWORD, display_name=f"{name}管理员",
        )
        world.users[key] = user
        world.provider_ids[key] = provider.id
        if staff:
            providers.add_staff(s, ctx.vault, world.actor(key), provider.id, providers.StaffInput(
                name="王老师", id_number=resident_id("33010619900101123"), qualification_type="professional_certificate",
                qualification_number="ZY-2024-001", criminal_record_issued_on=dt.date(2026, 10, 1)))
    if docs:
        add_documents(world, key, accept=False)
    return provider.id


def make_world(ctx: Context) -> World:
    world = World(ctx)
    with ctx.db.write_session() as s:
        counties.add_region(s, ADMIN, code="330000", name="浙江省")
        counties.add_region(s, ADMIN, code=CITY, name="杭州市")
        counties.add_region(s, ADMIN, code=COUNTY, name="西湖区")
        counties.add_region(s, ADMIN, code=OTHER_COUNTY, name="滨江区")
        counties.add_region(s, ADMIN, code=THIRD_COUNTY, name="余杭区")
        world.school_ids["school"] = counties.add_school(s, ADMIN, county_code=COUNTY, name="西湖小学", kind="primary").id
        world.school_ids["other_school"] = counties.add_school(
            s, ADMIN, county_code=OTHER_COUNTY, name="滨江初中", kind="junior").id
        u = world.users
        u["admin"] = _user(ctx, s, "admin", role="platform_admin")
        u["reviewer1"] = _user(ctx, s, "reviewer1", role="county_staff", county_code=COUNTY, can_review=True)
        u["reviewer2"] = _user(ctx, s, "reviewer2", role="county_staff", county_code=COUNTY, can_review=True)
        u["decider"] = _user(ctx, s, "decider", role="county_staff", county_code=COUNTY, can_decide=True)
        u["reviewer_decider"] = _user(ctx, s, "reviewer_decider", role="county_staff", county_code=COUNTY,
                                      can_review=True, can_decide=True)
        u["police"] = _user(ctx, s, "police", role="department", county_code=COUNTY, department="public_security")
        u["other_reviewer"] = _user(ctx, s, "other_reviewer", role="county_staff", county_code=OTHER_COUNTY, can_review=True)
        u["other_decider"] = _user(ctx, s, "other_decider", role="county_staff", county_code=OTHER_COUNTY, can_decide=True)
        u["school_admin"] = _user(ctx, s, "school_admin", role="school_admin", county_code=COUNTY,
                                  school_id=world.school_ids["school"])
        u["parent"] = _user(ctx, s, "parent", role="parent", county_code=COUNTY, school_id=world.school_ids["school"])
    add_provider(world, "provider", body="52330106MJ0000001", name="西湖青少年美术中心")
    add_provider(world, "other_provider", body="52330108MJ0000002", name="滨江体育俱乐部")
    return world
