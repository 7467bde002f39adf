"""JSON API: county policy settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, get, put
from litestar.params import FromPath, JSONBody

from kehou.platform.policy import services
from kehou.timeutil import clock
from kehou.web.deps import DB, Ctx, Who


class SettingBody(msgspec.Struct):
    value: Any
    reason: str
    effective_from: dt.date | None = None
    #: required when ``effective_from`` is before today (a retroactive change)
    retroactive_reason: str = ""


class PolicyApi(Controller):
    path = "/api/v1/counties/{code:str}/settings"
    tags = ["policy"]

    @get("/", sync_to_thread=True, summary="The county's settings in force (public: policy is published); "
         "money settings (unit \"fen\") are in fen")
    def index(self, code: FromPath[str], db: DB, ctx: Ctx) -> list[dict[str, Any]]:
        return [
            {"key": spec.key, "label": spec.label, "help": spec.help, "default": spec.default, "unit": spec.unit,
             "value": services.get(db, ctx.registry, code, spec.key)}
            for spec in ctx.registry.specs.values()
        ]

    @put("/{key:str}", sync_to_thread=True, summary="Change a setting from a date (audited)")
    def change(self, code: FromPath[str], key: FromPath[str], data: JSONBody[SettingBody], db: DB, ctx: Ctx,
               actor: Who) -> dict[str, Any]:
        actor.require("platform_admin", "county_staff")
        row = services.put(db, ctx.registry, actor, scope=code, key=key, value=data.value,
                           effective_from=data.effective_from or clock.today_local(), reason=data.reason,
                           retroactive_reason=data.retroactive_reason)
        return {"key": row.key, "scope": row.scope, "value": row.value, "effective_from": row.effective_from.isoformat()}
