"""Upload checks: the type comes from the content (magic bytes), never from the name.

``validate_upload`` refuses empty, oversize, unrecognised or disallowed content,
content whose name claims another known type, and names that carry a path or
control characters. What it keeps must also be what it claims to be: a PDF opens in pypdf and has a
page, an image decodes in Pillow, and nothing carries markup or script that a browser or a PDF reader
would run (a PDF/HTML polyglot, an SVG starting with ``%PDF-``, a PDF with JavaScript actions).
Messages are Chinese; codes are stable.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kehou.errors import ValidationFailed

DEFAULT_ALLOWED: tuple[str, ...] = ("pdf", "jpeg", "png")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_NAME_LENGTH = 150
FALLBACK_NAME = "文件"


@dataclass(frozen=True)
class Kind:
    content_type: str
    label: str  # what people call it, for messages
    extensions: tuple[str, ...]  # the first is canonical


KINDS: dict[str, Kind] = {
    "pdf": Kind("application/pdf", "PDF", (".pdf",)),
    "jpeg": Kind("image/jpeg", "JPEG图片", (".jpg", ".jpeg", ".jpe", ".jfif")),
    "png": Kind("image/png", "PNG图片", (".png",)),
    "gif": Kind("image/gif", "GIF图片", (".gif",)),
    "webp": Kind("image/webp", "WebP图片", (".webp",)),
    "tiff": Kind("image/tiff", "TIFF图片", (".tif", ".tiff")),
    "heic": Kind("image/heic", "HEIC图片（苹果手机照片格式）", (".heic", ".heif")),
    "zip": Kind("application/zip", "压缩包（ZIP，或Word/Excel文档）", (".zip", ".docx", ".xlsx", ".pptx", ".ofd")),
    "ole": Kind("application/x-ole-storage", "旧版Office文档（doc/xls）", (".doc", ".xls", ".ppt")),
    "exe": Kind("application/vnd.microsoft.portable-executable", "可执行程序", (".exe", ".dll", ".com", ".scr", ".sys", ".msi")),
    "elf": Kind("application/x-executable", "可执行程序", (".elf", ".so", ".bin", ".run")),
}
_ALIASES = {"jpg": "jpeg", "tif": "tiff"}
_BY_EXTENSION = {ext: name for name, kind in KINDS.items() for ext in kind.extensions}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"MZ", "exe"),
    (b"\x7fELF", "elf"),
)
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1"}

# Bidirectional overrides make "gpj.exe" look like "exe.jpg": treat them as control characters.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WINDOWS_UNSAFE = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


#: what makes a file a second type as well (HTML, SVG, script): case-insensitive, long enough that compressed
#: pixels or PDF streams do not hit them by chance (a 4-byte marker would, about once in 30 MB)
_ACTIVE_MARKERS = re.compile(rb"<html|<!doctype|<script|<svg[\s>/]|<iframe|<body[\s>]|<object|<embed|javascript:",
                             re.IGNORECASE)
#: PDF names that make a reader run or open something, in the file's dictionaries (streams stripped)
_PDF_ACTIVE = re.compile(rb"/(javascript|js|launch|richmedia|embeddedfiles?|xfa)(?![a-z0-9])")
_PDF_STREAM = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)
_DECODED_IMAGES = {"jpeg", "png", "gif", "webp", "tiff"}  # Pillow decodes these without plugins
MAX_IMAGE_PIXELS = 100_000_000  # a 10,000 x 10,000 photo; beyond that a "decompression bomb" is refused


@dataclass(frozen=True)
class UploadCheck:
    kind: str  # a key of KINDS, e.g. "pdf"
    content_type: str
    sha256: str
    size: int
    safe_name: str


def sniff(data: bytes) -> str | None:
    """The kind of ``data`` by its leading bytes (a key of KINDS), or None if unknown."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIC_BRANDS:
        return "heic"
    return None


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in {"Cc", "Cs", "Zl", "Zp"} or ch in _BIDI_CONTROLS


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem and ext else ""


def sanitise_filename(name: str) -> str:
    """A display name safe to store and to send back in Content-Disposition.

    Keeps only the last path component, drops control characters and characters
    Windows refuses, trims dots and spaces at the ends, keeps Chinese, and limits
    the length to 150 characters (keeping the extension). Never empty.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if not _is_control(ch))
    name = _WINDOWS_UNSAFE.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return FALLBACK_NAME
    if name.split(".", 1)[0].lower() in _WINDOWS_RESERVED:
        name = "_" + name
    if len(name) > MAX_NAME_LENGTH:
        ext = _extension(name)
        ext = ext if len(ext) <= 16 else ""
        name = name[: MAX_NAME_LENGTH - len(ext)].rstrip(" .") + ext
    return name


def _check_name(filename: str) -> None:
    parts = re.split(r"[\\/]", filename)
    if len(parts) > 1 or filename.strip() in {".", ".."} or any(_is_control(ch) for ch in filename):
        raise ValidationFailed(
            "文件名不能包含路径（/、\\、..）或控制字符，请重命名后再上传",
            code="upload_name_invalid",
            field="file",
        )


def _normalise_allowed(allowed: Sequence[str]) -> list[str]:
    kinds = [_ALIASES.get(a.strip().lower(), a.strip().lower()) for a in allowed]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown upload kinds in the allowed list: {unknown}")
    return kinds


def _format_mb(n: int, *, round_up: bool = False) -> str:
    """Megabytes (MiB) with at most two decimals; sizes round up so they never equal the limit."""
    exact = n / (1024 * 1024)
    hundredths = math.ceil(exact * 100) if round_up else math.floor(exact * 100)
    if hundredths == 0:  # tiny limits (tests): show enough digits
        return f"{exact:.6f}".rstrip("0").rstrip(".")
    return f"{hundredths / 100:.2f}".rstrip("0").rstrip(".")


def validate_upload(
    data: bytes,
    filename: str,
    *,
    allowed: Sequence[str] = DEFAULT_ALLOWED,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> UploadCheck:
    """Check an upload; return what to store, or raise ValidationFailed.

    Codes: ``upload_name_invalid``, ``upload_empty``, ``upload_too_large``,
    ``upload_type_not_allowed``, ``upload_type_mismatch``. A name without a
    recognisable extension gets the canonical one of its content appended.
    """
    kinds = _normalise_allowed(allowed)
    _check_name(filename)
    if not data:
        raise ValidationFailed("文件是空的（0字节），请重新选择文件", code="upload_empty", field="file")
    if len(data) > max_bytes:
        raise ValidationFailed(
            f"文件大小为{_format_mb(len(data), round_up=True)} MB，超过上限{_format_mb(max_bytes)} MB",
            code="upload_too_large",
            field="file",
            extra={"max_bytes": max_bytes, "size": len(data)},
        )
    safe_name = sanitise_filename(filename)
    claimed = _BY_EXTENSION.get(_extension(safe_name))
    accepted = "、".join(KINDS[k].label for k in kinds)
    actual = sniff(data)
    if actual is None:
        raise ValidationFailed(
            f"无法识别文件内容的类型，只接受{accepted}", code="upload_type_not_allowed", field="file"
        )
    if actual not in kinds:
        label = KINDS[actual].label
        if claimed in kinds:
            message = f"文件内容是{label}，不是{KINDS[claimed].label}，只接受{accepted}"
        else:
            message = f"文件内容是{label}，只接受{accepted}"
        raise ValidationFailed(message, code="upload_type_not_allowed", field="file", extra={"detected": actual})
    if claimed is not None and claimed != actual:
        raise ValidationFailed(
            f"文件扩展名{_extension(safe_name)}表示{KINDS[claimed].label}，但文件内容是{KINDS[actual].label}，"
            "请确认文件后重新上传",
            code="upload_type_mismatch",
            field="file",
            extra={"detected": actual, "claimed": claimed},
        )
    check_content(actual, data)
    if claimed is None:
        safe_name = sanitise_filename(safe_name + KINDS[actual].extensions[0])
    return UploadCheck(
        kind=actual,
        content_type=KINDS[actual].content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        safe_name=safe_name,
    )


def _pdf_dictionaries(data: bytes) -> bytes:
    """A PDF's bytes outside its streams, lowercased, with #xx escapes in names undone (``/J#61vaScript``)."""
    outside = _PDF_STREAM.sub(b"stream endstream", data)
    return re.sub(rb"#([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), outside).lower()


def check_content(kind: str, data: bytes) -> None:
    """Refuse content that is not wholly the ``kind`` its magic bytes say (code ``upload_content_invalid``)."""
    label = KINDS[kind].label
    searched = _pdf_dictionaries(data) if kind == "pdf" else data
    marker = _ACTIVE_MARKERS.search(searched)
    if marker is not None:
        found = marker.group(0).decode("latin-1").strip()
        raise ValidationFailed(f"文件看起来是{label}，但其中含有网页或脚本内容（{found}），为安全起见不能上传。"
                               "请用扫描或“打印为PDF”重新生成文件后再上传",
                               code="upload_content_invalid", field="file", extra={"marker": found})
    if kind == "pdf":
        _check_pdf(data, searched)
    elif kind in _DECODED_IMAGES:
        _check_image(kind, data)


def _check_pdf(data: bytes, dictionaries: bytes) -> None:
    from pypdf import PdfReader

    active = _PDF_ACTIVE.search(dictionaries)
    if active is not None:
        name = active.group(1).decode()
        raise ValidationFailed(f"PDF中含有可执行或嵌入的内容（{name}），为安全起见不能上传。请重新导出一份普通PDF",
                               code="upload_content_invalid", field="file", extra={"marker": name})
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationFailed("PDF设有密码，审核人员无法打开。请去掉密码后重新上传",
                                   code="upload_content_invalid", field="file")
        catalog: Any = reader.trailer["/Root"].get_object()
        actions = [catalog.get(k) for k in ("/OpenAction", "/AA")]
        names = catalog.get("/Names")
        hidden = bool(names and any(k in names for k in ("/JavaScript", "/EmbeddedFiles")))
        pages = len(reader.pages)
    except ValidationFailed:
        raise
    except Exception:  # pypdf raises many kinds on broken files: all mean "not a readable PDF"
        pages, hidden, actions = 0, False, []
    if hidden or any(a is not None and "/JavaScript" in str(a.get_object()) for a in actions):
        raise ValidationFailed("PDF中含有可执行或嵌入的内容，为安全起见不能上传。请重新导出一份普通PDF",
                               code="upload_content_invalid", field="file")
    if pages < 1:
        raise ValidationFailed("文件开头像PDF，但无法作为PDF打开（文件损坏或不完整）。请重新导出或扫描后上传",
                               code="upload_content_invalid", field="file")


def _check_image(kind: str, data: bytes) -> None:
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    raise ValueError("too many pixels")
                img.load()  # decode every pixel: a truncated or forged image fails here
    except Exception:
        raise ValidationFailed(f"文件开头像{KINDS[kind].label}，但无法作为图片打开（文件损坏、不完整或过大）。"
                               "请重新拍照或导出后上传", code="upload_content_invalid", field="file") from None
