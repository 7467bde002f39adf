"""HTML for providers: their organisation, staff and applications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from kehou.errors import ValidationFailed
from kehou.platform.admission import queries
from kehou.platform.counties import services as counties
from kehou.platform.documents import services as documents
from kehou.platform.pii import show_last4
from kehou.platform.policy import services as policy
from kehou.platform.providers import services
from kehou.platform.providers.models import QUALIFICATION_LABELS, Provider
from kehou.web.deps import DB, Ctx, Who
from kehou.web.pages import done, field, render

TEXT = {
    "title": "本机构", "profile": "机构信息", "staff": "授课人员", "applications": "准入申请", "new": "申请准入",
    "county": "申请区县", "choose": "选择", "categories": "申请服务类别", "statement": "机构简介与服务方案",
    "create": "创建申请（草稿）", "created": "申请草稿已创建，请核对后提交。", "staff_name": "姓名",
    "id_number": "身份证号", "qualification": "资格证书", "qualification_number": "证书编号",
    "criminal_record": "无犯罪记录证明开具日期", "serving_teacher": "在职中小学教师", "add_staff": "登记人员",
    "staff_added": "人员已登记。", "status": "状态", "updated": "更新时间", "open": "查看", "empty": "暂无",
    "yes": "是", "no": "否", "legal_rep": "法定代表人", "contact": "联系人",
    "documents": "证件材料", "doc_type": "证件类型", "doc_number": "证件编号", "doc_issuer": "发证机关",
    "validity": "有效期", "valid_from": "有效期起", "valid_to": "有效期至（长期有效可不填）", "doc_status": "审核状态",
    "scope_text": "经营/业务范围（执照、许可证填写）", "file": "文件（PDF、JPG、PNG）", "upload": "上传证件",
    "doc_staff": "所属人员（人员证件必选）", "download": "下载", "courses": "拟开设课程（可选）", "course_title": "课程名称",
    "course_desc": "课程简介",
}


def _provider(db: Any, actor: Any) -> Provider:
    actor.require("provider")
    return services.get_visible(db, actor, actor.provider_id)


class ProviderPages(Controller):
    path = "/provider"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(self, request: Request[Any, Any, Any], db: DB, ctx: Ctx, actor: Who) -> Template:
        provider = _provider(db, actor)
        county_code = request.query_params.get("county", "")
        all_counties = counties.counties(db)
        categories = policy.get(db, ctx.registry, county_code, "catalogue.categories") if county_code else []
        return render(
            request, "provider_home.html", actor, TEXT, provider=provider, legal_rep_id=show_last4(provider.legal_rep_id_last4),
            staff=services.list_staff(db, actor, provider.id), apps=queries.list_for(db, actor), counties=all_counties,
            county_code=county_code, categories=categories, qualifications=QUALIFICATION_LABELS, show_last4=show_last4,
            documents=documents.list_for_provider(db, actor, provider.id), doc_types=documents.types_for(ctx, db),
            staff_names={s.id: s.name for s in services.list_staff(db, actor, provider.id)},
        )

    @post("/staff", sync_to_thread=True)
    def add_staff(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
                  actor: Who) -> Redirect:
        provider = _provider(db, actor)
        try:
            issued = dt.date.fromisoformat(field(data, "criminal_record_issued_on"))
        except ValueError:
            raise ValidationFailed("请填写无犯罪记录证明开具日期（年-月-日）。", code="date_invalid",
                                   field="criminal_record_issued_on") from None
        services.add_staff(db, ctx.vault, actor, provider.id, services.StaffInput(
            name=field(data, "name"), id_number=field(data, "id_number"),
            qualification_type=field(data, "qualification_type"), qualification_number=field(data, "qualification_number"),
            criminal_record_issued_on=issued, is_serving_teacher=field(data, "is_serving_teacher") == "on",
        ))
        return done(request, "/provider", TEXT["staff_added"])
