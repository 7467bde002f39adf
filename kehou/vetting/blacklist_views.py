"""HTML: a county's blacklist; decision-makers import it from CSV/Excel and remove entries."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template

from kehou.vetting import blacklist
from kehou.vetting.blacklist_api import BlacklistImportForm
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, render

TEXT = {
    "title": "黑名单",
    "intro": "机构按统一社会信用代码、个人按身份证号比对（仅保存密钥哈希与脱敏标签）。任一行有误则整份文件不导入。",
    "kind": "类型", "label": "名称", "reason": "原因", "source": "来源", "imported_at": "导入时间", "empty": "暂无",
    "import": "导入（CSV 或 Excel，列：类型、名称、证件号、原因、来源）", "file": "文件", "default_reason": "默认原因（可选）",
    "submit": "导入", "remove": "移出", "remove_reason": "移出理由", "imported": "导入完成：新增{added}条，已存在{unchanged}条。",
    "removed": "已移出黑名单，记入审计日志。",
}


class BlacklistPages(Controller):
    path = "/desk/blacklist"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        actor.require("county_staff")
        rows = blacklist.list_entries(db, actor, str(actor.county_code))
        return render(request, "blacklist.html", actor, TEXT, rows=rows)

    @post("/import", sync_to_thread=True)
    def upload(self, request: Request[Any, Any, Any], data: MultipartBody[BlacklistImportForm], db: DB, ctx: Ctx,
               actor: Who) -> Redirect:
        actor.require("county_staff")
        result = blacklist.import_file(ctx, db, actor, str(actor.county_code), filename=data.file.filename or "",
                                       data=data.file.file.read(), reason_default=data.reason or "")
        return done(request, "/desk/blacklist", TEXT["imported"].format(added=result.added, unchanged=result.unchanged))

    @post("/{entry_id:int}/remove", sync_to_thread=True)
    def remove(self, request: Request[Any, Any, Any], entry_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
               db: DB, actor: Who) -> Redirect:
        blacklist.remove(db, actor, entry_id, field(data, "reason"), county_code=actor.county_code)
        return done(request, "/desk/blacklist", TEXT["removed"])
