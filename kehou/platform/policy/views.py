"""HTML: the county's policy settings; decision-makers change them from a date, with a reason."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from kehou.errors import ValidationFailed
from kehou.platform.policy import services
from kehou.timeutil import clock
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, render

TEXT = {
    "title": "区县政策设置", "key": "设置项", "value": "当前值", "default": "默认值", "change": "修改",
    "new_value": "新值（JSON，如 5、[\"enterprise\"]）", "effective_from": "生效日期", "reason": "修改理由",
    "done": "设置已保存，并已记入审计日志。", "readonly": "只有有决定权限的人员可以修改。",
}


def _county(actor: Any) -> str:
    actor.require("county_staff")
    return str(actor.county_code)


class PolicyPages(Controller):
    path = "/desk/settings"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, ctx: Ctx, actor: Who) -> Template:
        county = _county(actor)
        rows = [(spec, services.get(db, ctx.registry, county, spec.key)) for spec in ctx.registry.specs.values()]
        return render(request, "settings.html", actor, TEXT, rows=rows, today=clock.today_local(),
                      dumps=lambda v: json.dumps(v, ensure_ascii=False))

    @post("/", sync_to_thread=True)
    def change(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
               actor: Who) -> Redirect:
        county = _county(actor)
        try:
            value = json.loads(field(data, "value"))
        except ValueError:
            raise ValidationFailed("新值须为合法的 JSON。", code="setting_json_invalid", field="value") from None
        try:
            effective = dt.date.fromisoformat(field(data, "effective_from"))
        except ValueError:
            raise ValidationFailed("请填写生效日期（年-月-日）。", code="date_invalid", field="effective_from") from None
        services.put(db, ctx.registry, actor, scope=county, key=field(data, "key"), value=value, effective_from=effective,
                     reason=field(data, "reason"))
        return done(request, "/desk/settings", TEXT["done"])
