"""HTML, no login: home, each county's whitelist, notices with objection form, decisions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from kehou.platform.admission import notice as notice_svc
from kehou.platform.counties import services as counties
from kehou.platform.policy import services as policy
from kehou.platform.transparency import queries
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, render

HOME = {
    "title": "首页",
    "lead": ("县级教育行政部门统一组织第三方机构进校提供课后服务的入口审核、过程监管、效果评价和退出管理。"
             "学校不得自行引入第三方机构。"),
    "counties": "各区县信息公开", "provider_cta": "机构申请准入", "staff_cta": "工作人员登录",
}
COUNTY = {
    "title": "信息公开", "whitelist": "准入机构名单（白名单）", "notices": "正在公示", "decisions": "审核结果",
    "name": "机构名称", "uscc": "统一社会信用代码", "type": "机构类型", "categories": "服务类别", "valid": "有效期",
    "notice_period": "公示期", "deadline": "截止", "object": "查看并提出异议", "result": "结果", "date": "日期",
    "approved": "准入", "rejected": "不予准入", "empty": "暂无", "suspended": "暂停服务的机构", "reason": "原因",
    "since": "暂停日期", "exited": "已退出的机构", "exit_date": "退出日期", "exit_kind": "退出方式", "grounds": "事由",
    "barred_until": "禁止再次申请至", "supervision": "监督投诉",
    "complain": "投诉课后服务机构（可匿名）", "track": "凭受理编号查询办理进度",
    "fees": "各校课后服务收费公示", "fees_intro": "收费项目、标准、依据、减免政策与监督电话，按学校公示。", "school": "学校",
}
NOTICE = {
    "title": "准入公示", "intro": "公示期内，任何单位和个人均可实名提出异议，并提供联系方式和证据。",
    "period": "公示期", "until": "异议截止", "closed": "公示期已结束，不再受理异议。", "form": "提出异议",
    "name": "真实姓名", "contact": "联系方式（手机、座机或邮箱）", "content": "异议内容", "evidence": "证据材料说明",
    "submit": "提交异议", "done": "异议已提交，教育局将在作出决定前答复。", "kind_renewal": "（留库审查）",
}


class PublicPages(Controller):
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        return render(request, "home.html", actor, HOME, counties=counties.counties(db))

    @get("/public", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        return render(request, "home.html", actor, HOME, counties=counties.counties(db))

    @get("/public/{code:str}", sync_to_thread=True)
    def county(self, request: Request[Any, Any, Any], code: FromPath[str], db: DB, ctx: Ctx, actor: Who) -> Template:
        region = queries.county(db, code)
        # complaints are taken by the outcome-reporting plugin, where the county has switched it on
        enabled = policy.get(db, ctx.registry, code, "plugins.enabled") or []
        complaints = "outcome_reporting" in enabled
        # fee publicity (收费公示) is published per school by the billing plugin, where the county uses it
        fee_schools = queries.schools(db, code) if "billing_cap" in enabled else []
        return render(request, "public_county.html", actor, COUNTY, region=region, whitelist=queries.whitelist(db, code),
                      fee_schools=fee_schools,
                      suspended=queries.suspended(db, code), exits=queries.exits(db, code), complaints=complaints,
                      notices=queries.notices(db, code), decisions=queries.decisions(db, code))

    @get("/public/notices/{app_id:int}", sync_to_thread=True)
    def notice(self, request: Request[Any, Any, Any], app_id: FromPath[int], db: DB, actor: Who) -> Template:
        app, provider, region = queries.notice(db, app_id)
        return render(request, "public_notice.html", actor, NOTICE, app=app, provider=provider, region=region,
                      running=notice_svc.notice_running(app))

    @post("/public/notices/{app_id:int}/objections", sync_to_thread=True)
    def object(self, request: Request[Any, Any, Any], app_id: FromPath[int], data: URLEncodedBody[dict[str, Any]],
               db: DB, actor: Who) -> Redirect:
        notice_svc.file_objection(db, actor, app_id, name=field(data, "name"), contact=field(data, "contact"),
                                  content=field(data, "content"), evidence=field(data, "evidence"))
        return done(request, f"/public/notices/{app_id}", NOTICE["done"])
