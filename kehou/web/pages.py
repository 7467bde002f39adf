"""Helpers shared by the HTML controllers: rendering, flash messages, form fields."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from kehou.errors import ValidationFailed
from kehou.platform.actor import Actor
from kehou.web.errors import flash


def render(request: Request[Any, Any, Any], template: str, actor: Actor, text: dict[str, str], **context: Any) -> Template:
    messages, refill = [], None
    if "session" in request.scope and request.session.get("flash"):
        messages = request.session.pop("flash")
    if "session" in request.scope and request.session.get("refill"):
        refill = request.session.pop("refill")
        refill = refill if isinstance(refill, dict) and refill.get("page") == request.url.path else None
    return Template(template_name=template, context={"actor": actor, "t": text, "flashes": messages, "refill": refill,
                                                     **context})


def done(request: Request[Any, Any, Any], path: str, message: str) -> Redirect:
    flash(request, "ok", message)
    return Redirect(path=path, status_code=303)


def field(form: dict[str, Any], name: str, default: str = "") -> str:
    value = form.get(name, default)
    if isinstance(value, list):
        value = value[-1] if value else default
    return str(value).strip()


def values(form: dict[str, Any], name: str) -> list[str]:
    value = form.get(name, [])
    return [str(v) for v in (value if isinstance(value, list) else [value]) if str(v).strip()]


def column(form: dict[str, Any], name: str) -> list[str]:
    """Every value of a repeated field, blanks kept (so parallel columns stay aligned)."""
    value = form.get(name, [])
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def integer(form: dict[str, Any], name: str, label: str) -> int:
    raw = field(form, name)
    try:
        return int(raw)
    except ValueError:
        raise ValidationFailed(f"「{label}」须为整数。", code="integer_required", field=name) from None
