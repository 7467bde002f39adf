"""Upload checks: the type comes from the content (magic bytes), never from the name.

``validate_upload`` refuses empty, oversize, unrecognised or disallowed content,
content whose name claims another known type, and names that carry a path or
control characters. Messages are Chinese; codes are stable.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

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
    if claimed is None:
        safe_name = sanitise_filename(safe_name + KINDS[actual].extensions[0])
    return UploadCheck(
        kind=actual,
        content_type=KINDS[actual].content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        safe_name=safe_name,
    )
