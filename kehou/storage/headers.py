"""HTTP headers for downloading a stored object as an attachment."""

from __future__ import annotations

from urllib.parse import quote


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the RFC 6266/5987 UTF-8 name.

    ``filename`` should already be sanitised (see ``validation.sanitise_filename``);
    quotes, backslashes and control characters are dropped from the fallback anyway.
    """
    ext = filename.rsplit(".", 1)[1] if "." in filename else ""
    ascii_name = "".join(ch for ch in filename if " " <= ch <= "~" and ch not in '"\\')
    if ascii_name != filename or not ascii_name:
        ascii_name = "file." + ext if ext.isascii() and ext.isalnum() else "file"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_headers(filename: str, content_type: str) -> dict[str, str]:
    """Headers for the app's own file route (local backend): never rendered inline."""
    return {
        "Content-Type": content_type,
        "Content-Disposition": content_disposition(filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
        "Referrer-Policy": "no-referrer",
    }
