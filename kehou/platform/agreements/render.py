"""An agreement's plain text and its PDF.

``compose`` writes the whole text: the title, the parties (甲方, 乙方, 丙方), the filled-in body
and the signature block. ``pdf`` is a function of that text alone and byte-identical for the same
text (reportlab ``invariant=1``: no creation date, a fixed document id), so the PDF's SHA-256 names
one wording. The font is reportlab's built-in CID font STSong-Light (Adobe-GB1): no font file is
shipped or embedded, PDF readers substitute their own Song typeface.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from kehou.platform.agreements.models import PARTY_TITLES, ROLE_LABELS

FONT = "STSong-Light"
SIGNATURE_HEADING = "签署栏"
_HEADING = re.compile(r"^[一二三四五六七八九十]+、\S")
_lock = threading.Lock()  # reportlab keeps module-level state (fonts, caches): one document at a time


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def compose(title: str, parties: list[dict[str, str]], body: str) -> str:
    """The agreement's full text. ``parties`` are in the kind's order (甲方 first)."""
    lines = [title.strip(), ""]
    for name, party in zip(PARTY_TITLES, parties, strict=False):
        lines.append(f"{name}（{ROLE_LABELS[party['role']]}）：{party['label']}")
    lines += ["", *[line.rstrip() for line in body.strip().splitlines()], "", SIGNATURE_HEADING]
    for name, party in zip(PARTY_TITLES, parties, strict=False):
        lines += [f"{name}：{party['label']}", "签署人：＿＿＿＿＿＿　　签署日期：＿＿＿＿＿＿"]
    lines.append("（电子签署记录以平台为准，核验时比对本文件的SHA-256摘要。）")
    return "\n".join(lines) + "\n"


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=18, wordWrap="CJK", spaceAfter=2, firstLineIndent=0)
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=17, leading=26, alignment=TA_CENTER, spaceAfter=10),
        "heading": ParagraphStyle("heading", parent=body, fontSize=12.5, leading=20, spaceBefore=8, spaceAfter=3, keepWithNext=1),
        "body": body,
        "party": ParagraphStyle("party", parent=body, fontSize=11.5, leading=19),
        "sign": ParagraphStyle("sign", parent=body, leading=26),
    }


def _page_number(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(A4[0] / 2, 10 * mm, f"第 {doc.page} 页")
    canvas.restoreState()


def pdf(text: str) -> bytes:
    """The PDF of ``text`` (as written by ``compose``): the title, the parties, paragraphs, the signature block."""
    with _lock:
        return _build(text)


def _build(text: str) -> bytes:
    styles = _styles()
    lines = text.rstrip("\n").split("\n")
    title = lines[0]
    story: list[Any] = [Paragraph(escape(title), styles["title"])]
    section = "parties"
    for line in lines[1:]:
        if not line.strip():
            story.append(Spacer(1, 4))
            if section == "parties" and len(story) > 2:
                section = "body"
            continue
        if line == SIGNATURE_HEADING:
            section = "sign"
            story.append(Spacer(1, 10))
            story.append(Paragraph(escape(line), styles["heading"]))
            continue
        if section == "body" and _HEADING.match(line):
            style = styles["heading"]
        else:
            style = styles[{"parties": "party", "body": "body", "sign": "sign"}[section]]
        story.append(Paragraph(escape(line), style))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, invariant=1, title=title, author="课后服务第三方机构管理平台",
                            subject=title, creator="Kehou", leftMargin=22 * mm, rightMargin=22 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm)
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pdf_key(agreement_id: int, digest: str) -> str:
    """Where an agreement's PDF is stored: one object per wording (storage keys allow no dots, so no ``.pdf``)."""
    return f"agreements/{agreement_id}/{digest}"
