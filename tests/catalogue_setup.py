"""Setting up the course catalogue for tests, through the real services.

``admit`` writes the whitelist entry directly (admission itself is tested in its own files);
everything after it — offerings, menus, students, enrolments — goes through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from kehou.platform.accounts import services as accounts
from kehou.platform.admission.models import Application, WhitelistEntry
from kehou.platform.core_plugin import DEFAULT_CATEGORIES
from kehou.platform.documents import services as documents
from kehou.platform.documents.models import Document
from kehou.platform.policy import services as policy
from kehou.platform.providers import services as providers
from kehou.platform.providers.models import Staff
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue import menus, offerings
from kehou.timeutil import clock, utcnow
from tests.factories import ADMIN, COUNTY, PASSWORD, SYSTEM, World, pdf, resident_id


def enable_catalogue(world: World, county: str = COUNTY) -> None:
    with world.ctx.db.write_session() as s:
        policy.put(s, world.ctx.registry, ADMIN, scope=county, key="plugins.enabled", value=["course_catalogue"],
                   effective_from=clock.today_local(), reason="测试启用选课插件")


def admit(world: World, key: str, county: str = COUNTY, categories: list[str] | None = None) -> None:
    """Put the provider on the county's whitelist and accept its pending documents."""
    ctx, pid = world.ctx, world.provider_ids[key]
    today = clock.today_local()
    with ctx.db.write_session() as s:
        app = Application(provider_id=pid, county_code=county, kind="initial", status="approved",
                          categories=categories or DEFAULT_CATEGORIES, statement="", proposed_courses=[],
                          decided_at=utcnow(), created_at=utcnow(), updated_at=utcnow())
        s.add(app)
        s.flush()
        s.add(WhitelistEntry(provider_id=pid, county_code=county, categories=categories or DEFAULT_CATEGORIES,
                             valid_from=today, valid_until=today + dt.timedelta(days=365), status="active",
                             application_id=app.id, updated_at=utcnow()))
        s.commit()
        reviewer = world.actor("reviewer1") if county == COUNTY else world.actor("other_reviewer")
        for doc_id in s.scalars(select(Document.id).where(Document.provider_id == pid, Document.status == "pending")):
            documents.review(ctx, s, reviewer, doc_id, accepted=True)


def set_whitelist_status(world: World, key: str, status: str, county: str = COUNTY) -> None:
    with world.ctx.db.write_session() as s:
        entry = s.scalars(select(WhitelistEntry).where(WhitelistEntry.provider_id == world.provider_ids[key],
                                                       WhitelistEntry.county_code == county)).one()
        entry.status = status
        s.commit()


def staff_id(world: World, key: str) -> int:
    with world.ctx.db.read_session() as s:
        return s.scalars(select(Staff.id).where(Staff.provider_id == world.provider_ids[key]).order_by(Staff.id)).first()


def add_instructor(world: World, key: str, name: str, id_body: str = "33010619910202123") -> int:
    """Another instructor of the provider, with accepted qualification and criminal-record certificates."""
    ctx, pid = world.ctx, world.provider_ids[key]
    with ctx.db.write_session() as s:
        staff = providers.add_staff(s, ctx.vault, world.actor(key), pid, providers.StaffInput(
            name=name, id_number=resident_id(id_body), qualification_type="professional_certificate",
            qualification_number="ZY-2025-002", criminal_record_issued_on=dt.date(2026, 10, 1)))
        for doc_type in ("qualification_certificate", "criminal_record_certificate"):
            doc, _ = documents.upload(ctx, s, world.actor(key), pid, documents.DocumentInput(
                doc_type, number=f"{doc_type}-{staff.id}", staff_id=staff.id, valid_from=dt.date(2026, 10, 1)),
                filename=f"{doc_type}.pdf", data=pdf(f"{pid}-{staff.id}-{doc_type}"))
            documents.review(ctx, s, world.actor("reviewer1"), doc.id, accepted=True)
        return staff.id


def offering(world: World, key: str, title: str = "少儿软笔书法", *, county: str = COUNTY, capacity: int = 30,
             fee_fen: int = 30000, grades: list[int] | None = None, sessions: int = 1, minutes: int = 60,
             approve: bool = True, category: str = "优秀传统文化", instructor: int | None = None) -> int:
    ctx = world.ctx
    with ctx.db.write_session() as s:
        o = offerings.create(ctx, s, world.actor(key), offerings.OfferingInput(
            county_code=county, title=title, category=category, description="练习楷书基本笔画，体验传统文化之美。",
            grades=grades or [1, 2, 3, 4, 5, 6], sessions_per_week=sessions, minutes=minutes, capacity=capacity,
            fee_fen=fee_fen, instructor_id=instructor or staff_id(world, key), materials_fee_fen=2000,
            materials=[{"item": "毛笔", "fen": 1500}, {"item": "毛边纸", "fen": 500}], school_requirements="教室一间，课桌12张"))
        if approve and o.status == "pending":
            offerings.review(world.ctx, s, world.actor("reviewer1" if county == COUNTY else "other_reviewer"), o.id,
                             approve=True, reason="")
        return o.id


@dataclass
class Catalogue:
    menu_id: int
    entries: dict[str, int] = field(default_factory=dict)
    students: dict[str, int] = field(default_factory=dict)


def menu(world: World, school: str = "school", admin: str = "school_admin", *, opens_in: dt.timedelta = dt.timedelta(0),
         hours: int = 48, selection_mode: str = "") -> int:
    ctx = world.ctx
    opens = utcnow() + opens_in - dt.timedelta(minutes=1)
    with ctx.db.write_session() as s:
        return menus.create_menu(ctx, s, world.actor(admin), world.school_ids[school], menus.MenuInput(
            opens_at=opens, closes_at=opens + dt.timedelta(hours=hours), service_start="15:30", service_end="17:40",
            homework_minutes=40, selection_mode=selection_mode)).id


def place(world: World, menu_id: int, offering_id: int, slots: list[tuple[int, str]], *, capacity: int = 30,
          venue: str = "书法教室", admin: str = "school_admin", grades: list[int] | None = None) -> int:
    ctx = world.ctx
    with ctx.db.write_session() as s:
        return menus.place(ctx, s, world.actor(admin), menu_id, menus.PlaceInput(
            offering_id=offering_id, venue=venue, capacity=capacity, grades=grades or [],
            slots=[menus.SlotInput(w, t) for w, t in slots])).id


def publish(world: World, menu_id: int, admin: str = "school_admin") -> None:
    with world.ctx.db.write_session() as s:
        menus.publish(world.ctx, s, world.actor(admin), menu_id)


def child(world: World, name: str, *, grade: int = 3, parent: str = "parent", school: str = "school",
          admin: str = "school_admin", priority: str | None = None, new_parent: bool = False) -> int:
    ctx = world.ctx
    with ctx.db.write_session() as s:
        if new_parent:
            world.users[parent] = accounts.create_user(s, SYSTEM, username=parent, display_name=parent, password=PASSWORD,
                                                       role="parent", county_code=world.users[admin].county_code,
                                                       school_id=world.school_ids[school])
        st = students.add_student(s, world.actor(admin), world.school_ids[school], students.StudentInput(
            student_no=f"G{world.school_ids[school]}-{name}", name=name, grade=grade, class_name="1班", priority_group=priority))
        students.link_guardian(s, world.actor(admin), st.id, parent, "母亲")
        return st.id


def ready(world: World, selection_mode: str = "") -> Catalogue:
    """An admitted provider, two approved offerings placed in a published menu (Monday and Tuesday
    16:00), one child of ``parent`` in grade 3."""
    enable_catalogue(world)
    admit(world, "provider")
    o1 = offering(world, "provider", "少儿软笔书法")
    o2 = offering(world, "provider", "国画入门", category="体育艺术")
    m = menu(world, selection_mode=selection_mode)
    cat = Catalogue(m)
    cat.entries["calligraphy"] = place(world, m, o1, [(0, "16:00")])
    cat.entries["painting"] = place(world, m, o2, [(1, "16:00")], venue="美术教室")
    publish(world, m)
    cat.students["xiaoming"] = child(world, "小明")
    return cat


def sign_service(world: World, entry_id: int, provider: str = "provider", admin: str = "school_admin") -> None:
    """Both parties sign the service agreement covering the entry (made when its menu was published)."""
    from kehou.platform.agreements import services as agreements
    from kehou.platform.agreements.models import Agreement
    from kehou.plugins.course_catalogue.agreements import service_subject
    from kehou.plugins.course_catalogue.models import Entry, Menu

    ctx = world.ctx
    with ctx.db.read_session() as s:
        entry = s.get(Entry, entry_id)
        subject = service_subject(entry.school_id, entry.provider_id, s.get(Menu, entry.menu_id).term_name)
        row = s.scalars(select(Agreement).where(Agreement.subject == subject)).one()
        agreement_id, digest = row.id, row.pdf_sha256
    for who in (admin, provider):
        with ctx.db.write_session() as s:
            agreements.sign(ctx, s, world.actor(who), agreement_id, pdf_sha256=digest)
