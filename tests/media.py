"""Small real files for upload tests: a PDF that pypdf opens, images that Pillow decodes (uploads are checked
for being what they claim: kehou/storage/validation.py). Each call with a new ``tag`` gives distinct bytes."""

from __future__ import annotations

import io
from functools import cache


@cache
def pdf(tag: str = "kehou") -> bytes:
    """A one-page PDF whose title carries ``tag``."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": tag})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@cache
def image(kind: str = "JPEG", tag: str = "kehou", size: tuple[int, int] = (4, 4)) -> bytes:
    """A small image (``JPEG`` or ``PNG``); ``tag`` picks its colour, so different tags give different bytes."""
    from PIL import Image

    shade = sum(tag.encode()) % 256
    out = io.BytesIO()
    Image.new("RGB", size, (shade, 255 - shade, 128)).save(out, kind)
    return out.getvalue()


JPEG = image("JPEG")
PNG = image("PNG")
