"""Landscape A4 reports in Chinese, shared by the county term report (``outcome_reporting.exports``) and the privacy
audit pack (``platform.privacy.auditpack``): reportlab with its built-in CID font STSong-Light (no font file, as in
``kehou.platform.agreements.render``), the paragraph styles, a grid table with a shaded header row repeated on each
page, and the document with a page number at the foot. reportlab keeps module-level state (fonts, caches): build
one document at a time, under :data:`lock`."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FONT = "STSong-Light"
WIDTH_MM = 297 - 28  # landscape A4 less the margins
lock = threading.Lock()


@dataclass(frozen=True)
class Styles:
    body: Any
    title: Any
    heading: Any
    cell: Any


def styles(cell_size: float = 8) -> Styles:
    """The font registered once, and the styles: body 10 pt, title 16, headings 12, table cells ``cell_size``."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
    return Styles(body=body, title=ParagraphStyle("title", parent=body, fontSize=16, leading=24, spaceAfter=6),
                  heading=ParagraphStyle("heading", parent=body, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4),
                  cell=ParagraphStyle("cell", parent=body, fontSize=cell_size, leading=cell_size * 1.35))


def table(rows: list[list[str]], cell: Any, widths: list[float] | None = None) -> Any:
    """A grid of text cells (wrapping by character), the first row shaded and repeated on every page."""
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    t = Table([[Paragraph(c, cell) for c in r] for r in rows], colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                           ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return t


def widths(first: float, n: int) -> list[float]:
    """The first column ``first`` mm wide, the other ``n`` sharing the rest of the page."""
    from reportlab.lib.units import mm

    return [first * mm] + [(WIDTH_MM - first) * mm / n] * n


def document(story: list[Any], *, title: str, page_label: str) -> bytes:
    """The PDF of ``story`` on landscape A4, each page numbered with ``page_label`` (``"第{n}页"``)."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    def page_number(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(landscape(A4)[0] / 2, 8 * mm, page_label.format(n=doc.page))
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), title=title, author="课后服务第三方机构管理平台", creator="Kehou",
                            leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm, bottomMargin=16 * mm)
    on_page: Callable[[Any, Any], None] = page_number
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()
