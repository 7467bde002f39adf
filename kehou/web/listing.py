"""Lists that scale, for every page a county or school works through: a search term, a page of rows with the
total, links that keep the filters, and the same rows as an Excel file (``xlsx``)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Response
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kehou.db import contains_pattern
from kehou.errors import ValidationFailed
from kehou.timeutil import fmt_local, utcnow

PER_PAGE = 50
EXPORT_MAX = 20_000  # rows in one Excel export
Q_MAX = 100


@dataclass(frozen=True)
class Listing:
    q: str = ""
    page: int = 1
    per_page: int = PER_PAGE
    filters: tuple[tuple[str, str], ...] = ()  # other query parameters the links keep (status=…)

    @classmethod
    def parse(cls, params: Mapping[str, Any], *, keep: Sequence[str] = (), per_page: int = PER_PAGE) -> Listing:
        q = str(params.get("q") or "").strip()
        if len(q) > Q_MAX:
            raise ValidationFailed(f"搜索词最多{Q_MAX}个字。", code="search_too_long", field="q")
        raw = str(params.get("page") or "1").strip()
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100_000:
            raise ValidationFailed("页码须为正整数。", code="page_invalid", field="page")
        kept = tuple((k, str(params.get(k))) for k in keep if params.get(k))
        return cls(q=q, page=int(raw), per_page=per_page, filters=kept)

    @property
    def like(self) -> str:
        """The search term for ``ilike``, its wildcards escaped (use with ``escape="\\\\"``)."""
        return contains_pattern(self.q)

    def fetch(self, session: Session, stmt: Select[*tuple[Any, ...]]) -> tuple[list[Any], int]:
        """One page of ``stmt``'s rows (already ordered) and how many rows there are in all."""
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        rows = list(session.execute(stmt.offset((self.page - 1) * self.per_page).limit(self.per_page)))
        return rows, int(total)

    def link(self, **change: Any) -> str:
        """The query string of this list with ``change`` applied (``page=2``), for links and the export."""
        pairs = dict(self.filters) | ({"q": self.q} if self.q else {}) | {"page": str(self.page)}
        pairs |= {k: str(v) for k, v in change.items()}
        return urlencode({k: v for k, v in pairs.items() if v and not (k == "page" and v == "1")})

    def pages(self, total: int) -> int:
        return max(1, -(-total // self.per_page))


def xlsx(sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], filename: str,
         watermark: str = "") -> Response[bytes]:
    """An Excel download: a bold header row, column widths to fit, the time of export in the file name (and, for
    an export of personal data, ``watermark``: see :func:`xlsx_bytes`)."""
    return xlsx_response(xlsx_bytes(sheet_title, headers, rows, watermark), filename)


def xlsx_bytes(sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], watermark: str = "") -> bytes:
    """The workbook. A ``watermark`` (who exported, when, under which approval) goes into the file's properties,
    every page's printed header and footer, and a second sheet "导出说明"; the first sheet stays importable."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(h) * 2 + 2 for h in headers]
    for n, row in enumerate(rows):
        if n >= EXPORT_MAX:
            break
        values = ["" if v is None else v for v in row]
        sheet.append(values)
        widths = [max(w, min(60, len(str(v)) * 2 + 2)) for w, v in zip(widths, values, strict=False)]
    for i, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(i + 1)].width = width
    if watermark:
        book.properties.creator = book.properties.lastModifiedBy = "课后服务第三方机构管理平台"
        book.properties.description = book.properties.keywords = watermark
        for band in (sheet.oddHeader, sheet.oddFooter):
            if band is not None:
                band.center.text = watermark[:250]
        note = book.create_sheet("导出说明")
        note.append([watermark])
        note.column_dimensions["A"].width = 120
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def xlsx_response(body: bytes, filename: str) -> Response[bytes]:
    stamp = fmt_local(utcnow()).replace(" ", "-").replace(":", "")
    disposition = f"attachment; filename=\"{filename}-{stamp}.xlsx\"; filename*=UTF-8''{quote(filename)}-{stamp}.xlsx"
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": disposition})
