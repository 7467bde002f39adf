"""JSON API: regions and schools."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from kehou.platform.counties import services
from kehou.platform.counties.models import Region, School
from kehou.web.deps import DB, Who


class RegionBody(msgspec.Struct):
    code: str
    name: str


class SchoolBody(msgspec.Struct):
    name: str
    kind: str
    student_count: int = 0


def school_out(s: School) -> dict[str, Any]:
    return {"id": s.id, "county_code": s.county_code, "name": s.name, "kind": s.kind, "student_count": s.student_count}


class CountiesApi(Controller):
    path = "/api/v1"
    tags = ["regions"]

    @get("/regions", sync_to_thread=True, summary="All provinces, cities and counties (public)")
    def regions(self, db: DB) -> list[dict[str, Any]]:
        return [{"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code}
                for r in db.scalars(select(Region).order_by(Region.code))]

    @post("/regions", sync_to_thread=True, status_code=201, summary="Add a region (platform admin)")
    def add_region(self, data: JSONBody[RegionBody], db: DB, actor: Who) -> dict[str, Any]:
        r = services.add_region(db, actor, code=data.code, name=data.name)
        return {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code}

    @get("/counties/{code:str}/schools", sync_to_thread=True)
    def schools(self, code: FromPath[str], db: DB, actor: Who) -> list[dict[str, Any]]:
        return [school_out(s) for s in services.schools(db, actor, code)]

    @post("/counties/{code:str}/schools", sync_to_thread=True, status_code=201)
    def add_school(self, code: FromPath[str], data: JSONBody[SchoolBody], db: DB, actor: Who) -> dict[str, Any]:
        actor.require()
        return school_out(services.add_school(db, actor, county_code=code, name=data.name, kind=data.kind,
                                              student_count=data.student_count))
