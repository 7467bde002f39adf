"""HTML: the working-day calendar. The platform admin enters each year's national arrangement (typed or from
a file); county decision-makers add their county's local holidays and working days; all staff see the
warning while a year is missing or provisional."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, MultipartBody
from litestar.response import Redirect, Template

from kehou.platform.calendar import forms, services
from kehou.platform.calendar.sources import unparse
from kehou.platform.calendar.types import DayEntry
from kehou.platform.counties.models import Region
from kehou.timeutil import clock
from kehou.web.deps import DB, Who
from kehou.web.pages import done, field, render

TEXT = {
    "title": "节假日日历", "intro": "公示期、投诉办理时限和课次排定均按本日历计算工作日。每年国务院办公厅公布次年节假日安排后，"
    "由平台管理员录入；区县可补充本地节假日（如少数民族节日）。", "year": "年份", "status": "状态", "source": "依据",
    "updated": "更新时间", "open": "查看", "none": "尚未录入", "holidays": "放假日", "workdays": "调休上班日",
    "national": "全国安排", "local": "本地补充", "empty": "无", "day": "日期", "kind": "类型", "name": "名称",
    "edit_national": "录入或修改全国安排（平台管理员）", "edit_local": "修改本区县的本地节假日（有决定权限的人员）",
    "lines": "每行一项：日期或日期范围,放假或上班,名称，例如（2026年的安排）：",
    "example": "2026-02-15~2026-02-23,放假,春节\n2026-02-28,上班,春节",
    "file": "或上传文本文件（UTF-8，格式同上）", "reason": "修改理由", "save": "保存", "new_year": "录入新的年份",
    "status_official": "正式安排", "status_provisional": "临时安排（按周一至周五，待国务院公布后补录）",
    "saved": "已保存，并已记入审计日志。", "back": "返回节假日日历", "readonly": "只有平台管理员可以修改全国安排。",
}
KIND_LABELS = services.KINDS


def _staff(actor: Any) -> None:
    actor.require("platform_admin", "county_staff")


def _upload(data: dict[str, Any]) -> bytes | None:
    upload = data.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return upload.file.read()
    return None


class CalendarPages(Controller):
    path = "/calendar"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        _staff(actor)
        today = clock.today_local()
        known = {y.year: y for y in services.years(db)}
        upcoming = [y for y in (today.year, today.year + 1) if y not in known]
        return render(request, "calendar/index.html", actor, TEXT, years=list(known.values()), upcoming=upcoming,
                      warnings=services.warnings(db, today), statuses=services.STATUSES)

    @get("/{year:int}", sync_to_thread=True)
    def year(self, request: Request[Any, Any, Any], year: FromPath[int], db: DB, actor: Who) -> Template:
        _staff(actor)
        region = actor.county_code if actor.role == "county_staff" else None
        view = forms.year_view(db, year, region)
        national = [DayEntry(dt.date.fromisoformat(d["day"]), d["kind"], d["name"]) for d in view["national"]]
        own = [DayEntry(dt.date.fromisoformat(d["day"]), d["kind"], d["name"]) for d in view["local"] if d["scope"] == region]
        county = db.get(Region, region) if region else None
        return render(request, "calendar/year.html", actor, TEXT, view=view, kinds=KIND_LABELS,
                      statuses=services.STATUSES, national_text=unparse(national), local_text=unparse(own),
                      county=county, warnings=services.warnings(db, clock.today_local()))

    @post("/{year:int}", sync_to_thread=True)
    def put_year(self, request: Request[Any, Any, Any], year: FromPath[int], data: MultipartBody[dict[str, Any]],
                 db: DB, actor: Who) -> Redirect:
        actor.require("platform_admin")
        items = forms.entries_from(field(data, "text"), _upload(data))
        services.put_year(db, actor, year=year, status=field(data, "status"), source=field(data, "source"),
                          reason=field(data, "reason"), items=items)
        db.commit()
        return done(request, f"/calendar/{year}", TEXT["saved"])

    @post("/{year:int}/local", sync_to_thread=True)
    def put_local(self, request: Request[Any, Any, Any], year: FromPath[int], data: MultipartBody[dict[str, Any]],
                  db: DB, actor: Who) -> Redirect:
        actor.require("county_staff")
        items = forms.entries_from(field(data, "text"), _upload(data))
        services.put_local(db, actor, region_code=str(actor.county_code), year=year, reason=field(data, "reason"),
                           items=items)
        db.commit()
        return done(request, f"/calendar/{year}", TEXT["saved"])

