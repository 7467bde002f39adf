"""Browser security headers on every response: no framing (clickjacking on approve and expel buttons), no
MIME sniffing, no full URLs in Referer, no camera, microphone, location or payment APIs, HSTS when the cookies
are secure (the site is served over HTTPS), and on HTML pages a Content-Security-Policy that keeps scripts,
styles, fonts and connections to this origin (images also from the document store's public address).

Scripts come from this origin only (``/static/*.js``; no inline script or event handler: a form asks for
confirmation with ``data-confirm``, see ``static/kehou.js``). Styles come from this origin, or from a page's own
``<style nonce="{{ csp_nonce() }}">`` with the nonce drawn for that response (``kehou/web/filters.py``): an
injected ``<style>`` or ``style=""`` attribute is not applied."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

ASGIApp = Callable[..., Any]

COMMON = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
          (b"referrer-policy", b"strict-origin-when-cross-origin"),
          (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"))
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NONCE = "csp_nonce"  # where the request's style nonce is kept in the ASGI scope's state


def policy(image_origin: str = "", nonce: str = "") -> bytes:
    images = " ".join(filter(None, ("'self'", "data:", "blob:", image_origin)))
    styles = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    return (f"default-src 'self'; script-src 'self'; style-src {styles}; "
            f"img-src {images}; object-src 'none'; base-uri 'self'; frame-ancestors 'none'").encode()


def nonce_of(scope: dict[str, Any]) -> str:
    """The style nonce drawn for this request (empty outside one)."""
    return str((scope.get("state") or {}).get(NONCE, ""))


def security_headers(public_storage_url: str = "", *, https: bool = False) -> Callable[[ASGIApp], ASGIApp]:
    """``https``: the site is only served over HTTPS (secure cookies), so browsers are told to keep to it."""
    parts = urlsplit(public_storage_url) if public_storage_url else None
    image_origin = f"{parts.scheme}://{parts.netloc}" if parts and parts.netloc else ""
    always = (*COMMON, HSTS) if https else COMMON

    def wrap(app: ASGIApp) -> ASGIApp:
        async def with_headers(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            nonce = secrets.token_urlsafe(16)
            scope.setdefault("state", {})[NONCE] = nonce

            async def send_with_headers(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    names = {k.lower() for k, _ in headers}
                    headers += [(k, v) for k, v in always if k not in names]
                    html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
                    if html and b"content-security-policy" not in names:
                        headers.append((b"content-security-policy", policy(image_origin, nonce)))
                    message["headers"] = headers
                await send(message)

            await app(scope, receive, send_with_headers)

        return with_headers

    return wrap
