"""Shared by the JSON API and the pages: turning the file form into entries, and the year's rows as dicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kehou.errors import ValidationFailed
from kehou.platform.calendar import services
from kehou.platform.calendar.models import CalendarYear
from kehou.platform.calendar.sources import parse
from kehou.platform.calendar.types import DayEntry


def entries_from(text: str, upload: bytes | None = None) -> list[DayEntry]:
    """Entries from an uploaded file (UTF-8, with or without BOM) when there is one, else from the text box."""
    if upload:
        try:
            text = upload.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed("文件须为 UTF-8 编码的文本（每行：日期,放假或上班,名称）。", code="calendar_file_encoding",
                                   field="file") from None
    return parse(text)


def year_view(session: Session, year: int, region_code: str | None) -> dict[str, Any]:
    services.check_year(year)
    row = session.get(CalendarYear, year)
    national = services.entries(session, "", year)
    local = []
    for scope in services.scopes_for(region_code)[1:]:
        local += services.entries(session, scope, year)
    return {
        "year": year, "status": row.status if row else None, "source": row.source if row else None,
        "national": [{"day": d.day.isoformat(), "kind": d.kind, "name": d.name} for d in national],
        "local": [{"scope": d.scope, "day": d.day.isoformat(), "kind": d.kind, "name": d.name} for d in local],
    }
