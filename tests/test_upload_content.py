"""What is stored is what it claims to be: a PDF opens and has a page, an image decodes, and nothing that is
also HTML, SVG or script (a polyglot) or a PDF that runs code is kept. Through the document upload API too."""

from __future__ import annotations

import io

import pytest
from litestar.testing import TestClient

from kehou.errors import ValidationFailed
from kehou.storage.validation import validate_upload
from tests.factories import World
from tests.helpers import err, ok, token_headers
from tests.media import JPEG, PNG, image, pdf

HTML = b"<html><body><script>fetch('/api/v1/me').then(r=>r.text()).then(alert)</script></body></html>"


def refused(data: bytes, name: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        validate_upload(data, name, allowed=("pdf", "jpeg", "png"))
    assert caught.value.code == "upload_content_invalid" and caught.value.field == "file"
    return caught.value


def test_real_files_pass() -> None:
    assert validate_upload(pdf("营业执照"), "营业执照.pdf").kind == "pdf"
    assert validate_upload(JPEG, "照片.jpg").kind == "jpeg"
    assert validate_upload(PNG, "照片.png").kind == "png"
    big = image("JPEG", "large", (1600, 1200))  # a photo-sized image decodes in time
    assert validate_upload(big, "现场.jpg").size == len(big)


def test_a_pdf_html_polyglot_is_refused() -> None:
    polyglot = pdf("x").replace(b"\n", b"\n" + HTML + b"\n", 1)  # a valid PDF that a browser would render as a page
    err = refused(polyglot, "证件.pdf")
    assert "网页或脚本" in err.message and err.extra["marker"].lower() in ("<html", "<script", "<body>")


def test_an_svg_that_starts_with_the_pdf_magic_is_refused() -> None:
    svg = b"%PDF-1.4\n<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'><text>x</text></svg>"
    assert "<svg" in refused(svg, "a.pdf").extra["marker"].lower()


def test_html_after_image_bytes_is_refused() -> None:
    assert refused(JPEG + HTML, "a.jpg").extra["marker"].lower() in ("<html", "<script", "<body>")


def test_a_pdf_that_runs_javascript_is_refused() -> None:
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('x');")})
    out = io.BytesIO()
    writer.write(out)
    assert "可执行" in refused(out.getvalue(), "a.pdf").message
    escaped = pdf("y").replace(b"/Title", b"/J#61vaScript (x) /Title", 1)  # a name spelled with #xx escapes
    assert "javascript" in refused(escaped, "a.pdf").extra["marker"]


def test_things_that_only_start_like_their_type_are_refused() -> None:
    assert "无法作为PDF打开" in refused(b"%PDF-1.4\n" + b"\x00" * 200, "a.pdf").message
    assert "无法作为图片打开" in refused(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 200, "a.jpg").message
    assert "无法作为图片打开" in refused(PNG[: len(PNG) // 2], "a.png").message  # truncated


def test_the_document_api_refuses_a_polyglot_and_keeps_nothing(client: TestClient, world: World) -> None:
    headers = token_headers(client, "provider")
    pid = world.provider_ids["provider"]
    before = ok(client.get(f"/api/v1/providers/{pid}/documents", headers=headers))
    polyglot = pdf("api").replace(b"\n", b"\n" + HTML + b"\n", 1)
    form = {"doc_type": "insurance", "number": "BX-1", "valid_from": "2026-01-01", "valid_to": "2027-12-31"}
    body = err(client.post(f"/api/v1/providers/{pid}/documents", headers=headers, data=form,
                           files={"file": ("保险单.pdf", polyglot, "application/pdf")}), 400, "upload_content_invalid")
    assert "网页或脚本" in body["message"] and body["field"] == "file"
    assert ok(client.get(f"/api/v1/providers/{pid}/documents", headers=headers)) == before
    made = ok(client.post(f"/api/v1/providers/{pid}/documents", headers=headers, data=form,
                          files={"file": ("保险单.pdf", pdf("api-ok"), "application/pdf")}), 201)
    assert made["content_type"] == "application/pdf"
