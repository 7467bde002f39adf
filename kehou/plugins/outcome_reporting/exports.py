"""Built-in report renderers: the county term report as an Excel workbook (openpyxl) or a PDF
(``kehou.pdfreport``: reportlab with the built-in CID font STSong-Light, no font file).

``render(report, fmt, data)`` answers ``kehou_render_report`` last (see plugin.py): a county's own
plugin answering first replaces it. It returns None for a report or format it does not know.
Numbers stay numbers in the workbook (money in yuan with two decimals, rates in percent).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from kehou import pdfreport
from kehou.plugins.outcome_reporting import reports_text as T
from kehou.plugins.outcome_reporting.report import REPORT, CountyTermReport, Figures
from kehou.timeutil import SHANGHAI

CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def render(report: str, fmt: str, data: Any) -> bytes | None:
    if report != REPORT or not isinstance(data, CountyTermReport):
        return None
    if fmt == "xlsx":
        return xlsx(data)
    if fmt == "pdf":
        return pdf(data)
    return None


def value(figures: Figures, key: str) -> int | float | Decimal | None:
    """A figure as a spreadsheet number: money in yuan (Decimal, exact), the rest as computed."""
    raw = getattr(figures, key)
    if key in T.MONEY:
        return Decimal(int(raw)) / 100
    return raw


def shown(figures: Figures, key: str) -> str:
    """A figure as text (PDF, pages): yuan with two decimals, None as a dash."""
    raw = getattr(figures, key)
    if raw is None:
        return T.DASHBOARD["none"]
    if key in T.MONEY:
        fen = int(raw)
        return f"{'-' if fen < 0 else ''}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"
    return f"{raw:.1f}" if isinstance(raw, float) else str(raw)


def _generated(data: CountyTermReport) -> str:
    return data.generated_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


# --- Excel -------------------------------------------------------------------------------------------


def xlsx(data: CountyTermReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook starts with one worksheet, the active one
    ws.title = T.SHEETS["summary"]
    ws.append([data.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([T.EXPORT["county"], data.county_name])
    ws.append([T.TERM["term"], data.term_name])
    ws.append([T.EXPORT["generated"], _generated(data)])
    ws.append([])
    ws.append([T.EXPORT["figure"], T.EXPORT["value"]])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for key, label in T.FIGURES.items():
        ws.append([label, value(data.total, key)])
        _number_format(ws.cell(row=ws.max_row, column=2), key)
    ws.append([])
    ws.append([T.EXPORT["source"]])
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 22

    sheet = wb.create_sheet(T.SHEETS["schools"])
    sheet.append([T.SCHOOL["school"], *(T.FIGURES[k] for k in T.SCHOOL_COLUMNS)])
    for row in data.schools:
        sheet.append([row.name, *(value(row.figures, k) for k in T.SCHOOL_COLUMNS)])
        for col, key in enumerate(T.SCHOOL_COLUMNS, start=2):
            _number_format(sheet.cell(row=sheet.max_row, column=col), key)
    _header(sheet, bold)

    sheet = wb.create_sheet(T.SHEETS["categories"])
    sheet.append(list(T.CATEGORY.values()))
    for c in data.categories:
        sheet.append([c.category, c.providers, c.courses, c.enrolments])
    _header(sheet, bold)

    sheet = wb.create_sheet(T.SHEETS["history"])
    sheet.append([T.TERM["term"], *(T.FIGURES[k] for k in T.HISTORY_COLUMNS)])
    for h in data.history:
        sheet.append([h.term_name, *(value(h.figures, k) for k in T.HISTORY_COLUMNS)])
        for col, key in enumerate(T.HISTORY_COLUMNS, start=2):
            _number_format(sheet.cell(row=sheet.max_row, column=col), key)
    _header(sheet, bold)

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _number_format(cell: Any, key: str) -> None:
    if key in T.MONEY:
        cell.number_format = "#,##0.00"
    elif isinstance(cell.value, float):
        cell.number_format = "0.0"


def _header(sheet: Any, bold: Any) -> None:
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 24


# --- PDF ---------------------------------------------------------------------------------------------


def pdf(data: CountyTermReport) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    with pdfreport.lock:
        st = pdfreport.styles(cell_size=8)

        def table(rows: list[list[str]], widths: list[float] | None = None) -> Any:
            return pdfreport.table(rows, st.cell, widths)

        story: list[Any] = [Paragraph(data.title, st.title),
                            Paragraph(f"{T.EXPORT['county']}：{data.county_name}　{T.TERM['term']}：{data.term_name}　"
                                      f"{T.EXPORT['generated']}：{_generated(data)}", st.body),
                            Paragraph(T.DASHBOARD["headline"], st.heading)]
        keys = list(T.FIGURES)
        half = (len(keys) + 1) // 2
        rows = [[T.EXPORT["figure"], T.EXPORT["value"], T.EXPORT["figure"], T.EXPORT["value"]]]
        for a, b in zip(keys[:half], keys[half:] + [""], strict=False):
            rows.append([T.FIGURES[a], shown(data.total, a), T.FIGURES.get(b, ""), shown(data.total, b) if b else ""])
        story.append(table(rows, [70 * mm, 55 * mm, 70 * mm, 55 * mm]))
        story.append(Paragraph(T.DASHBOARD["by_school"], st.heading))
        story.append(table([[T.SCHOOL["school"], *(T.FIGURES[k] for k in T.SCHOOL_COLUMNS)]]
                           + [[r.name, *(shown(r.figures, k) for k in T.SCHOOL_COLUMNS)] for r in data.schools],
                           pdfreport.widths(35, len(T.SCHOOL_COLUMNS))))
        story.append(Paragraph(T.DASHBOARD["by_category"], st.heading))
        story.append(table([list(T.CATEGORY.values())]
                           + [[c.category, str(c.providers), str(c.courses), str(c.enrolments)] for c in data.categories],
                           [60 * mm] * 4))
        story.append(Paragraph(T.DASHBOARD["history"], st.heading))
        story.append(table([[T.TERM["term"], *(T.FIGURES[k] for k in T.HISTORY_COLUMNS)]]
                           + [[h.term_name, *(shown(h.figures, k) for k in T.HISTORY_COLUMNS)] for h in data.history],
                           pdfreport.widths(45, len(T.HISTORY_COLUMNS))))
        story += [Spacer(1, 8), Paragraph(T.EXPORT["source"], st.body)]
        return pdfreport.document(story, title=data.title, page_label=T.EXPORT["page"])
