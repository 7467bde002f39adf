"""The annual compliance audit of minors' personal information (个人信息保护合规审计, to be filed by the end of
January for the year before): ``kehou privacy audit-pack --year 2026 --county 330106`` and the county's privacy
page build it from what the platform records — the inventory, data volumes, consent, views of children's records,
bulk exports and their approvals, alerts and incidents, retention actions and open requests — as PDF and Excel.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou import pdfreport
from kehou.platform.accounts.models import ROLE_LABELS, User
from kehou.platform.audit.models import AuditEntry
from kehou.platform.counties.models import Region, School
from kehou.platform.privacy import inventory
from kehou.platform.privacy.access import WHAT
from kehou.platform.privacy.models import ChildAccess, Consent, DataExport, RetentionAction
from kehou.platform.students.models import Guardian, GuardianContact, Student
from kehou.timeutil import SHANGHAI, fmt_local, utcnow

TEXT = {
    "title": "{year}年度未成年人个人信息保护合规审计报告", "county": "区县", "year": "审计年度", "generated": "生成时间",
    "source": "数据来源：课后服务第三方机构管理平台的业务与日志记录，按审计年度（北京时间1月1日至12月31日）统计。",
    "page": "第 {n} 页", "sheet_cover": "封面",
}


@dataclass
class Section:
    title: str
    rows: list[list[str]]  # the first row is the header
    note: str = ""


@dataclass
class Pack:
    county_code: str
    county_name: str
    year: int
    generated_at: dt.datetime
    sections: list[Section] = field(default_factory=list)

    @property
    def title(self) -> str:
        return TEXT["title"].format(year=self.year)

    def section(self, title: str) -> Section:
        return next(s for s in self.sections if s.title == title)


def _year(year: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, 1, 1, tzinfo=SHANGHAI).astimezone(dt.UTC)
    return start, dt.datetime(year + 1, 1, 1, tzinfo=SHANGHAI).astimezone(dt.UTC)


def _inventory() -> Section:
    rows = [["信息项", "存储位置", "主体", "处理目的", "处理依据", "类别", "存储方式", "可查看", "保存期限"]]
    for f in inventory.FIELDS:
        cat = inventory.CATEGORIES[f.category]
        rows.append([f.label, f.column, inventory.SUBJECTS[f.subject], f.purpose, inventory.BASES[f.basis],
                     inventory.SENSITIVITY[f.sensitivity], inventory.PROTECTION[f.protection],
                     "、".join(inventory.ROLES[r] for r in f.who), f"{cat[0]} {cat[1]}年（{cat[2]}）"])
    sensitive = sum(f.sensitivity == "sensitive" for f in inventory.FIELDS)
    sealed = sum(f.protection != "plain" for f in inventory.FIELDS if f.sensitivity == "sensitive")
    return Section("一、个人信息清单", rows,
                   f"共{len(inventory.FIELDS)}项，其中敏感个人信息{sensitive}项（加密、摘要或仅存后四位的{sealed}项）。")


def _volumes(session: Session, county: str) -> Section:
    rows = [["学校", "学生", "其中优先保障群体", "已离校", "已匿名化", "监护人账号", "登记的监护人手机号"]]
    schools = list(session.execute(select(School.id, School.name).where(School.county_code == county).order_by(School.id)))
    kids: dict[int, list[int]] = {sid: [0, 0, 0, 0] for sid, _ in schools}
    for school_id, group, left_on, anonymised in session.execute(
            select(Student.school_id, Student.priority_group, Student.left_on, Student.anonymised_at)
            .where(Student.county_code == county)):  # priority groups are sealed: counted here
        k = kids.setdefault(school_id, [0, 0, 0, 0])
        k[0] += 1
        k[1] += group is not None
        k[2] += left_on is not None
        k[3] += anonymised is not None
    guardians = dict(session.execute(select(Student.school_id, func.count(func.distinct(Guardian.user_id)))
                                     .join(Guardian, Guardian.student_id == Student.id)
                                     .where(Student.county_code == county).group_by(Student.school_id)).all())
    phones = dict(session.execute(select(GuardianContact.school_id, func.count(GuardianContact.id))
                                  .where(GuardianContact.school_id.in_([s for s, _ in schools] or [0]))
                                  .group_by(GuardianContact.school_id)).all())
    total = [0] * 6
    for sid, name in schools:
        line = [*kids[sid], int(guardians.get(sid, 0)), int(phones.get(sid, 0))]
        total = [a + b for a, b in zip(total, line, strict=True)]
        rows.append([name, *map(str, line)])
    rows.append(["合计", *map(str, total)])
    return Section("二、数据规模（审计时点）", rows)


def _consent(session: Session, county: str, start: dt.datetime, end: dt.datetime) -> Section:
    from kehou.platform.privacy import consent

    now = consent.counts(session, county)
    within = (Consent.county_code == county,)
    given = dict(session.execute(select(Consent.scope, func.count(Consent.id)).where(
        *within, Consent.given_at >= start, Consent.given_at < end).group_by(Consent.scope)).all())
    withdrawn = dict(session.execute(select(Consent.scope, func.count(Consent.id)).where(
        *within, Consent.withdrawn_at >= start, Consent.withdrawn_at < end).group_by(Consent.scope)).all())
    rows = [["事项", "当前有效同意（家长数）", "本年度新给出", "本年度撤回或被新版本取代"]]
    rows += [[label, str(now[scope]), str(given.get(scope, 0)), str(withdrawn.get(scope, 0))]
             for scope, label in consent.SCOPES.items()]
    version, title, _ = consent.notice(session, county)
    return Section("三、监护人同意情况", rows, f"现行告知书：{title}（版本{version}；版本0为平台默认文本）。")


def _access(session: Session, county: str, start: dt.datetime, end: dt.datetime) -> list[Section]:
    within = (ChildAccess.county_code == county, ChildAccess.at >= start, ChildAccess.at < end)
    by_role = [["角色", "访问次数", "涉及学生数", "账号数"]]
    for role, views, kids, accounts in session.execute(
            select(ChildAccess.actor_role, func.count(ChildAccess.id), func.count(func.distinct(ChildAccess.student_id)),
                   func.count(func.distinct(ChildAccess.actor_id))).where(*within).group_by(ChildAccess.actor_role)
            .order_by(ChildAccess.actor_role)):
        by_role.append([ROLE_LABELS.get(role, role), str(views), str(kids), str(accounts)])
    by_what = [["查看内容", "访问次数"]] + [
        [WHAT.get(what, what), str(n)] for what, n in session.execute(
            select(ChildAccess.what, func.count(ChildAccess.id)).where(*within).group_by(ChildAccess.what)
            .order_by(ChildAccess.what))]
    top = [["账号", "角色", "涉及学生数", "访问次数"]]
    for uid, role, kids, views in session.execute(
            select(ChildAccess.actor_id, ChildAccess.actor_role, func.count(func.distinct(ChildAccess.student_id)),
                   func.count(ChildAccess.id)).where(*within).group_by(ChildAccess.actor_id, ChildAccess.actor_role)
            .order_by(func.count(func.distinct(ChildAccess.student_id)).desc()).limit(10)):
        name = session.scalar(select(User.display_name).where(User.id == uid)) or str(uid)
        top.append([name, ROLE_LABELS.get(role, role), str(kids), str(views)])
    return [Section("四、儿童个人信息访问统计（按角色）", by_role), Section("四之二、访问内容", by_what),
            Section("四之三、访问学生最多的10个账号", top)]


def _exports(session: Session, county: str, start: dt.datetime, end: dt.datetime) -> Section:
    rows = [["编号", "学校", "申请人", "申请时间", "用途", "状态", "审批人", "导出行数"]]
    from kehou.platform.privacy.exports import STATUS

    for e, school in session.execute(select(DataExport, School.name).join(School, School.id == DataExport.school_id)
                                     .where(DataExport.county_code == county, DataExport.requested_at >= start,
                                            DataExport.requested_at < end).order_by(DataExport.id)):
        who = session.scalar(select(User.display_name).where(User.id == e.requested_by)) or ""
        approver = session.scalar(select(User.display_name).where(User.id == e.approved_by)) if e.approved_by else ""
        rows.append([str(e.id), school, who, fmt_local(e.requested_at), e.reason, STATUS.get(e.status, e.status),
                     approver or "", str(e.rows)])
    return Section("五、批量导出与审批", rows, f"共{len(rows) - 1}次申请。")


def _alerts(session: Session, county: str, start: dt.datetime, end: dt.datetime) -> Section:
    rows = [["时间", "告警内容"]] + [[fmt_local(a.at), a.reason] for a in session.scalars(
        select(AuditEntry).where(AuditEntry.county_code == county, AuditEntry.action == "privacy.view_alert",
                                 AuditEntry.at >= start, AuditEntry.at < end).order_by(AuditEntry.at))]
    return Section("六、异常访问告警与安全事件", rows, f"异常访问告警{len(rows) - 1}次；本年度无平台记录的个人信息安全事件。")


def _retention(session: Session, county: str, start: dt.datetime, end: dt.datetime) -> Section:
    rows = [["时间", "类别", "处理方式", "学生数", "监护人账号", "其他记录", "说明"]]
    for r in session.scalars(select(RetentionAction).where(RetentionAction.county_code == county, RetentionAction.at >= start,
                                                           RetentionAction.at < end).order_by(RetentionAction.at)):
        rows.append([fmt_local(r.at), inventory.CATEGORIES[r.category][0], r.method, str(r.students), str(r.contacts),
                     str(r.records), r.note])
    return Section("七、到期个人信息的删除与匿名化", rows, f"共{len(rows) - 1}次处理。")


def _requests(session: Session, county: str, start: dt.datetime, end: dt.datetime) -> Section:
    from kehou.platform.privacy import requests

    table = requests.counts(session, county, start, end)
    rows = [["类别", "收到", "办结", "不予办理", "未办结", "其中逾期"]]
    rows += [[requests.KINDS[k], *(str(t[c]) for c in ("received", "done", "refused", "open", "overdue"))]
             for k, t in table.items()]
    still = requests.counts(session, county)
    waiting = sum(t["open"] for t in still.values())
    return Section("八、个人信息权利请求（查阅、更正、删除）", rows, f"审计时点尚未办结{waiting}件（含往年）。")


def build(session: Session, county_code: str, year: int) -> Pack:
    start, end = _year(year)
    name = session.scalar(select(Region.name).where(Region.code == county_code)) or county_code
    pack = Pack(county_code, name, year, utcnow())
    pack.sections = [_inventory(), _volumes(session, county_code), _consent(session, county_code, start, end),
                     *_access(session, county_code, start, end), _exports(session, county_code, start, end),
                     _alerts(session, county_code, start, end), _retention(session, county_code, start, end),
                     _requests(session, county_code, start, end)]
    return pack


def xlsx(pack: Pack) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = TEXT["sheet_cover"]
    for line in ([pack.title], [TEXT["county"], f"{pack.county_name}（{pack.county_code}）"], [TEXT["year"], str(pack.year)],
                 [TEXT["generated"], fmt_local(pack.generated_at)], [TEXT["source"]]):
        cover.append(line)
    cover["A1"].font = Font(bold=True, size=14)
    for n, s in enumerate(pack.sections, start=1):
        sheet = book.create_sheet(f"{n:02d}{s.title.split('、', 1)[-1]}"[:31])
        for row in s.rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        if s.note:
            sheet.append([])
            sheet.append([s.note])
        for col in sheet.columns:
            width = max(len(str(c.value or "")) for c in col) * 2 + 2
            sheet.column_dimensions[col[0].column_letter].width = min(60, width)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def pdf(pack: Pack) -> bytes:
    from reportlab.platypus import Paragraph, Spacer

    with pdfreport.lock:
        st = pdfreport.styles(cell_size=7.5)
        story: list[Any] = [Paragraph(pack.title, st.title),
                            Paragraph(f"{TEXT['county']}：{pack.county_name}（{pack.county_code}）　{TEXT['year']}：{pack.year}"
                                      f"　{TEXT['generated']}：{fmt_local(pack.generated_at)}", st.body)]
        for s in pack.sections:
            story.append(Paragraph(s.title, st.heading))
            if len(s.rows) > 1 or not s.note:
                story.append(pdfreport.table(s.rows, st.cell))
            if s.note:
                story.append(Paragraph(s.note, st.body))
        story += [Spacer(1, 8), Paragraph(TEXT["source"], st.body)]
        return pdfreport.document(story, title=pack.title, page_label=TEXT["page"])
