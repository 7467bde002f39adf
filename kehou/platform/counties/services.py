"""Regions (province, city, county) and schools."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.counties.models import Region, RegionLevel, School, SchoolKind


def level_of(code: str) -> RegionLevel:
    if len(code) != 6 or not code.isdecimal():
        raise ValidationFailed("行政区划代码应为6位数字。", code="division_code_invalid", field="code")
    if code[2:] == "0000":
        return RegionLevel.province
    if code[4:] == "00":
        return RegionLevel.city
    return RegionLevel.county


def parent_of(code: str) -> str | None:
    level = level_of(code)
    if level == RegionLevel.province:
        return None
    return code[:2] + "0000" if level == RegionLevel.city else code[:4] + "00"


def add_region(session: Session, actor: Actor, *, code: str, name: str, commit: bool = True) -> Region:
    actor.require("platform_admin")
    level = level_of(code)
    if not name.strip():
        raise ValidationFailed("请填写名称。", code="field_required", field="name")
    parent = parent_of(code)
    if parent is not None and session.get(Region, parent) is None:
        raise ValidationFailed(f"上级区划{parent}不存在，请先添加。", code="parent_region_missing", field="code")
    if session.get(Region, code) is not None:
        raise ValidationFailed("该行政区划代码已存在。", code="region_exists", field="code")
    region = Region(code=code, name=name.strip(), level=level.value, parent_code=parent)
    session.add(region)
    session.flush()
    audit.record(session, actor, county_code=code if level == RegionLevel.county else None, action="region.add",
                 entity_type="region", entity_id=code, new={"name": region.name, "level": region.level})
    if commit:
        session.commit()
    return region


def add_school(
    session: Session, actor: Actor, *, county_code: str, name: str, kind: str, student_count: int = 0, commit: bool = True
) -> School:
    if actor.role == "county_staff":
        actor.require_county(county_code)
        if not actor.can_decide:
            raise PermissionDenied("只有有决定权限的教育局工作人员可以登记学校。")
    elif actor.role not in ("platform_admin", "system"):
        raise PermissionDenied("您的角色无权登记学校。")
    region = session.get(Region, county_code)
    if region is None or region.level != RegionLevel.county:
        raise ValidationFailed("学校必须属于一个区县。", code="county_unknown", field="county_code")
    if kind not in SchoolKind.__members__:
        raise ValidationFailed("学校类型应为小学、初级中学或九年一贯制学校。", code="school_kind_invalid", field="kind")
    if not name.strip():
        raise ValidationFailed("请填写学校名称。", code="field_required", field="name")
    if student_count < 0:
        raise ValidationFailed("学生人数不能为负数。", code="student_count_invalid", field="student_count")
    school = School(county_code=county_code, name=name.strip(), kind=kind, student_count=student_count)
    session.add(school)
    session.flush()
    audit.record(session, actor, county_code=county_code, action="school.add", entity_type="school", entity_id=school.id,
                 new={"name": school.name, "kind": kind, "student_count": student_count})
    if commit:
        session.commit()
    return school


def counties(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.level == RegionLevel.county).order_by(Region.code)))


def schools(session: Session, actor: Actor, county_code: str) -> list[School]:
    actor.require("platform_admin", "county_staff", "department", "school_admin")
    actor.require_county(county_code)
    if session.get(Region, county_code) is None:
        raise NotFound("区县不存在。", code="county_not_found")
    stmt = select(School).where(School.county_code == county_code)
    if actor.role == "school_admin":
        stmt = stmt.where(School.id == actor.school_id)
    return list(session.scalars(stmt.order_by(School.id)))
