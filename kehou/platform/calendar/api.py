"""JSON API: the working-day calendar. Reading is public (holidays are public knowledge); the platform admin
enters national years, a county's decision-makers its local days."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, put
from litestar.params import FromPath, FromQuery, JSONBody

from kehou.platform.calendar import forms, services
from kehou.platform.calendar.types import DayEntry
from kehou.timeutil import clock
from kehou.web.deps import DB, Who


class DayBody(msgspec.Struct, forbid_unknown_fields=True):
    day: str
    kind: str
    name: str


class YearBody(msgspec.Struct, forbid_unknown_fields=True):
    status: str
    reason: str
    source: str = ""
    days: list[DayBody] | None = None
    text: str | None = None  # the file form: "2027-01-01,放假,元旦" per line


class LocalBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: str
    days: list[DayBody] | None = None
    text: str | None = None


def _entries(days: list[DayBody] | None, text: str | None) -> list[DayEntry]:
    if text is not None:
        return forms.entries_from(text)
    lines = "\n".join(f"{d.day},{d.kind},{d.name}" for d in days or [])
    return forms.entries_from(lines)


class CalendarApi(Controller):
    path = "/api/v1/calendar"
    tags = ["calendar"]

    @get("/", sync_to_thread=True, summary="The years entered, and the warning shown to staff (public)")
    def index(self, db: DB) -> dict[str, Any]:
        return {"years": [{"year": y.year, "status": y.status, "source": y.source} for y in services.years(db)],
                "warnings": services.warnings(db, clock.today_local())}

    @get("/{year:int}", sync_to_thread=True, summary="A year's holidays and adjusted working days (public)")
    def year(self, year: FromPath[int], db: DB, region: FromQuery[str | None] = None) -> dict[str, Any]:
        return forms.year_view(db, year, region)

    @put("/{year:int}", sync_to_thread=True, summary="Enter or replace a year's national arrangement (platform admin)")
    def put_year(self, year: FromPath[int], data: JSONBody[YearBody], db: DB, actor: Who) -> dict[str, Any]:
        actor.require("platform_admin")
        services.put_year(db, actor, year=year, status=data.status, source=data.source, reason=data.reason,
                          items=_entries(data.days, data.text))
        db.commit()
        return forms.year_view(db, year, None)

    @put("/{year:int}/local/{region_code:str}", sync_to_thread=True,
         summary="Set a region's local holidays and working days for a year (its decision-makers, or the admin)")
    def put_local(self, year: FromPath[int], region_code: FromPath[str], data: JSONBody[LocalBody], db: DB,
                  actor: Who) -> dict[str, Any]:
        services.put_local(db, actor, region_code=region_code, year=year, reason=data.reason,
                           items=_entries(data.days, data.text))
        db.commit()
        return forms.year_view(db, year, region_code)
