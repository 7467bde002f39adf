"""HTML: run vetting again, let a blocking finding pass with a reason."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect

from kehou.vetting import services
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field

TEXT = {"queued": "已提交自动核查，稍后刷新查看结果。", "overridden": "已放行该阻止项，理由已记入审计日志。"}


class VettingPages(Controller):
    path = "/desk/applications/{app_id:int}/vetting"
    include_in_schema = False

    @post("/", sync_to_thread=True)
    def run(self, request: Request[Any, Any, Any], app_id: FromPath[int], db: DB, ctx: Ctx, actor: Who) -> Redirect:
        actor.require("county_staff")
        services.request_run(ctx, db, actor, app_id)
        return done(request, f"/desk/applications/{app_id}#vetting", TEXT["queued"])

    @post("/override", sync_to_thread=True)
    def override(self, request: Request[Any, Any, Any], app_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
                 db: DB, actor: Who) -> Redirect:
        services.override(db, actor, app_id, fingerprint=field(data, "fingerprint"), reason=field(data, "reason"))
        return done(request, f"/desk/applications/{app_id}#vetting", TEXT["overridden"])
