"""HTML: the county's policy settings, grouped by area, each shown in words with the date it took effect, and the
changes waiting for their date. A decision-maker edits one setting in a form made for its kind (forms.py), sees
old → new in words with its effective date, confirms, and the change is saved and audited.

``POST /desk/settings`` with ``step=preview`` reads the form and shows the preview; without ``step`` (or
``step=confirm``) it saves ``value`` given as JSON, as the preview's confirm button and the raw mode send it. A value
outside the setting's plausible range is saved only with ``plausible_ok=yes`` (otherwise the preview asks)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from kehou.errors import ValidationFailed
from kehou.platform.policy import changes, forms, services
from kehou.platform.policy.editors import editor
from kehou.platform.policy.text import AREAS, ERRORS, OTHER_AREA, TEXT
from kehou.platform.policy.words import diff, number, words
from kehou.pluginapi import SettingSpec
from kehou.timeutil import clock
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, render

PAGE = "/desk/settings"
SCOPES = {6: TEXT["scope_county"], 4: TEXT["scope_city"], 2: TEXT["scope_province"], 0: TEXT["scope_platform"]}


def _county(actor: Any) -> str:
    actor.require("county_staff")
    return str(actor.county_code)


def area_of(key: str) -> str:
    return AREAS.get(key.split(".", 1)[0], OTHER_AREA)


def _scope_words(scope: str | None) -> str:
    return SCOPES.get(len(scope), "") if scope is not None else TEXT["default_marker"]


def _matches(spec: SettingSpec, q: str) -> bool:
    q = q.strip().lower()
    return not q or q in spec.label.lower() or q in spec.key.lower() or q in spec.help.lower()


def implausible(spec: SettingSpec, old: Any, new: Any) -> tuple[str, str] | None:
    """The plausible range in words when ``new`` falls outside it (and is a change), else None."""
    if spec.plausible is None or not isinstance(new, int) or isinstance(new, bool) or new == old:
        return None
    low, high = spec.plausible
    return None if low <= new <= high else (number(spec, low), number(spec, high))


def _effective(data: dict[str, Any]) -> dt.date:
    try:
        return dt.date.fromisoformat(field(data, "effective_from"))
    except ValueError:
        raise ValidationFailed(ERRORS["effective_from"], code="date_invalid", field="effective_from") from None


def _checked(spec: SettingSpec, value: Any, name: str, others: Mapping[str, Any]) -> Any:
    """The value typed and checked by the setting's rules (``others``: the county's settings, for choices that
    depend on them); a problem is shown beside ``name``."""
    try:
        return services.coerce(spec, value, others)
    except ValidationFailed as err:
        raise ValidationFailed(err.message, code=err.code, field=name if err.field == "value" else err.field) from None


def _examples(spec: SettingSpec, now: Any, new: Any) -> dict[str, Any] | None:
    """The spec's worked examples under the value in force and, when a change is previewed, under the new one."""
    if spec.examples is None:
        return None
    caption, rows = spec.examples(now)
    after = spec.examples(new)[1] if new is not None else None
    return {"caption": caption, "rows": [(case, result, after[i][1] if after else None)
                                         for i, (case, result) in enumerate(rows)], "changed": after is not None}


class PolicyPages(Controller):
    path = PAGE
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, ctx: Ctx, actor: Who, q: FromQuery[str] = "",
              edit: FromQuery[str] = "") -> Template:
        county = _county(actor)
        today = clock.today_local()
        if edit:
            return self._edit(request, db, ctx, actor, county, ctx.registry.spec(edit))
        current = changes.in_force(db, ctx.registry, county, today)
        upcoming = changes.upcoming(db, ctx.registry, county, today)
        pending = {c.key for c in upcoming}
        groups: dict[str, list[dict[str, Any]]] = {heading: [] for heading in [*AREAS.values(), OTHER_AREA]}
        shown = 0
        for spec in ctx.registry.specs.values():
            if not _matches(spec, q):
                continue
            now = current[spec.key]
            groups[area_of(spec.key)].append({"spec": spec, "words": words(spec, now.value), "since": now.since,
                                              "scope": _scope_words(now.scope), "pending": spec.key in pending})
            shown += 1
        scheduled = [{"spec": ctx.registry.specs[c.key], "change": c, "scope": _scope_words(c.scope),
                      "old": words(ctx.registry.specs[c.key], c.old), "new": words(ctx.registry.specs[c.key], c.new)}
                     for c in upcoming]
        return render(request, "settings.html", actor, TEXT, groups=[(h, rows) for h, rows in groups.items() if rows],
                      scheduled=scheduled, q=q, shown=shown, today=today)

    def _edit(self, request: Request[Any, Any, Any], db: DB, ctx: Ctx, actor: Any, county: str, spec: SettingSpec,
              preview: dict[str, Any] | None = None, form_value: Any = None) -> Template:
        today = clock.today_local()
        now = changes.in_force(db, ctx.registry, county, today)[spec.key]
        upcoming = [{"change": c, "old": words(spec, c.old), "new": words(spec, c.new)}
                    for c in changes.upcoming(db, ctx.registry, county, today) if c.key == spec.key]
        value = now.value if preview is None else form_value
        return render(request, "settings_edit.html", actor, TEXT, spec=spec, area=area_of(spec.key),
                      examples=_examples(spec, now.value, form_value if preview is not None else None),
                      current=words(spec, now.value), since=now.since, scope=_scope_words(now.scope), upcoming=upcoming,
                      editor=editor(spec, value, services.resolve_all(db, ctx.registry, county)),
                      json_value=json.dumps(value, ensure_ascii=False, indent=1),
                      kind=forms.kind_of(spec), today=today, preview=preview, action=f"{PAGE}?edit={spec.key}")

    @post("/", sync_to_thread=True)
    def change(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
               actor: Who) -> Template | Redirect:
        county = _county(actor)
        spec = ctx.registry.spec(field(data, "key"))
        services.require_may_change(actor, county)
        others = services.resolve_all(db, ctx.registry, county)
        if field(data, "step") == "preview":
            if field(data, "mode") == "json":
                value = _checked(spec, forms.parse_json(field(data, "json")), "json", others)
            else:
                value = _checked(spec, forms.parse(spec, data), forms.first_input(spec), others)
            effective = _effective(data)
            if not field(data, "reason"):
                raise ValidationFailed(ERRORS["reason"], code="reason_required", field="reason")
            return self._preview(request, db, ctx, actor, county, spec, value, effective, field(data, "reason"))
        value = _checked(spec, forms.parse_json(field(data, "value"), "value"), "value", others)
        effective = _effective(data)
        old = services.get(db, ctx.registry, county, spec.key, effective)
        if implausible(spec, old, value) and field(data, "plausible_ok") != "yes" and field(data, "reason"):
            return self._preview(request, db, ctx, actor, county, spec, value, effective, field(data, "reason"), asked=True)
        services.put(db, ctx.registry, actor, scope=county, key=spec.key, value=value, effective_from=effective,
                     reason=field(data, "reason"), retroactive_reason=field(data, "retroactive_reason"))
        return done(request, f"{PAGE}?edit={spec.key}", TEXT["done"])

    def _preview(self, request: Request[Any, Any, Any], db: DB, ctx: Ctx, actor: Any, county: str, spec: SettingSpec,
                 value: Any, effective: dt.date, reason: str, asked: bool = False) -> Template:
        old = services.get(db, ctx.registry, county, spec.key, effective)
        value = old if forms.same(spec, old, value) else value
        before, after = diff(spec, old, value)
        preview = {"before": before, "after": after, "effective": effective, "reason": reason, "unchanged": old == value,
                   "value": json.dumps(value, ensure_ascii=False), "plausible": implausible(spec, old, value),
                   "asked": asked, "new_words": "；".join(words(spec, value))}
        return self._edit(request, db, ctx, actor, county, spec, preview=preview, form_value=value)
