"""The core platform's own hook implementations: its settings and defaults."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from kehou.platform.accounts.models import DEPARTMENTS
from kehou.platform.privacy.inventory import CATEGORIES
from kehou.platform.providers import org_types
from kehou.platform.providers.models import ORG_TYPE_LABELS
from kehou.pluginapi import (
    ApplicationDecided,
    ExitProposal,
    JobTable,
    PeriodicTask,
    SettingColumn,
    SettingSpec,
    Term,
    at_least,
    between,
    dict_items,
    hookimpl,
)

DEFAULT_CATEGORIES = ["优秀传统文化", "体育艺术", "劳动实践", "心理健康", "科普", "阅读", "社团兴趣"]

DEFAULT_CRITERIA = [
    {"key": "qualification", "label": "机构资质", "max": 25},
    {"key": "curriculum", "label": "课程方案", "max": 30},
    {"key": "staff", "label": "师资队伍", "max": 25},
    {"key": "safety", "label": "安全管理", "max": 20},
]

def _extra_org_types(value: list[dict[str, str]]) -> str | None:
    for i, item in enumerate(value, start=1):
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", item["code"]):
            return f"第{i}项的代码须为2到40个英文小写字母、数字或下划线，以字母开头。"
        if item["code"] in ORG_TYPE_LABELS or item["label"] in ORG_TYPE_LABELS.values():
            return f"第{i}项「{item['label']}」平台已有，无需增设。"
    return None


CORE_SETTINGS = [
    SettingSpec("admission.notice_working_days", int, 3, "公示期", "按中国法定节假日及调休计算", check=between(1, 30),
                unit="working_days"),
    SettingSpec("accounts.activation_code_days", int, 30, "家长激活码有效期",
                "学校打印激活单后，激活码在此天数内有效，只能使用一次", check=between(1, 180), unit="days"),
    SettingSpec("admission.min_reviewers", int, 2, "每份申请至少专家评审人数", check=between(1, 20), unit="people"),
    SettingSpec("admission.pass_score", int, 60, "专家评审平均分合格线", check=at_least(0), unit="points"),
    SettingSpec("admission.review_criteria", list, DEFAULT_CRITERIA, "评审指标",
                check=lambda v: (None if v else "至少需要一项。") or dict_items("key", "label", "max")(v)
                or next((f"「{c['label']}」的满分须为正整数。" for c in v
                         if not isinstance(c["max"], int) or c["max"] < 1), None),
                columns=(SettingColumn("key", "代码（英文）", unique=True), SettingColumn("label", "名称", unique=True),
                         SettingColumn("max", "满分", int, unit="points"))),
    SettingSpec("admission.joint_departments", list, [], "需联审会签的部门", choices=DEPARTMENTS),
    SettingSpec("admission.extra_org_types", list, [], "本地增设的机构类型",
                "平台已有：" + "、".join(ORG_TYPE_LABELS.values()) + "；此处增设本地类型，如 youth_centre 青少年宫",
                check=_extra_org_types, columns=(SettingColumn("code", "代码（英文小写）", unique=True),
                                                 SettingColumn("label", "名称", unique=True))),
    SettingSpec("admission.barred_org_types", list, [], "不得参与课后服务的机构类型", choices=ORG_TYPE_LABELS,
                choices_of=org_types.in_county),
    SettingSpec("admission.validity_months", int, 12, "准入有效期", check=between(1, 60), unit="months"),
    SettingSpec("admission.renewal_window_days", int, 60, "到期前多少天提醒留库审查", check=at_least(0), unit="days"),
    SettingSpec("catalogue.categories", list, DEFAULT_CATEGORIES, "课程类别"),
    SettingSpec("plugins.enabled", list, [], "本区县启用的插件", "勾选本区县使用的功能；只能选择本平台已安装的插件"),
    SettingSpec("exits.rectify_days", int, 30, "警告后的整改期限", check=between(1, 365), unit="days"),
    SettingSpec("exits.appeal_days", int, 15, "清退决定的申诉期", check=between(1, 90), unit="days"),
    SettingSpec("exits.appeal_decision_days", int, 30, "申诉处理期限", check=between(1, 180), unit="days"),
    SettingSpec("exits.blacklist_years", int, 3, "清退后列入黑名单的年限", "0 表示不列入", check=between(0, 20), unit="years"),
    SettingSpec("exits.voluntary_notice_days", int, 30, "主动退出须提前告知的天数", check=between(0, 180), unit="days"),
    SettingSpec("privacy.view_alert_per_hour", int, 300, "异常访问告警阈值",
                "同一账号一小时内查看超过此数量学生的信息时，向区县教育局告警", check=between(10, 100_000), unit="people"),
    SettingSpec("privacy.request_days", int, 15, "家长个人信息申请的答复期限", "自家长提出之日起计算", check=between(1, 60),
                unit="days"),
    SettingSpec("privacy.export_approval", bool, True, "导出学生个人信息须另一人审批",
                "学校导出含监护人电话、优先保障群体的学生名册，须经区县教育局或本校另一名管理员批准"),
    SettingSpec("privacy.exports_per_day", int, 3, "每个账号每天最多导出次数", check=between(1, 100), unit="times"),
    SettingSpec("privacy.provider_guardian_phone", bool, False, "授课机构可查看本班学生的监护人电话",
                "开启后，机构在“我的班级”名单中看到本班学生监护人的手机号（仅供紧急联系），每次查看均留痕；"
                "关闭时机构只看到学生姓名、年级和班级"),
    SettingSpec("privacy.retention_contact_years", int, 1, "学生离校后监护人联系方式保存年限",
                "到期删除监护人手机号与关联，注销无其他在校子女的家长账号", check=between(0, 30), unit="years"),
    SettingSpec("privacy.retention_roster_years", int, 3, "学生离校后个人信息保存年限",
                "到期匿名化学生姓名、学籍号、班级及相关文字记录；统计数据与收费账目保留", check=between(1, 30), unit="years"),
    SettingSpec("privacy.retention_participation_years", int, CATEGORIES["participation"][1], "考勤与选课文字记录保存年限",
                "学期结束后满此年限，删除请假原因、家长考勤说明、未到课说明与退课原因；考勤状态保留供统计",
                check=between(1, 30), unit="years"),
    SettingSpec("privacy.retention_billing_years", int, CATEGORIES["billing"][1], "收费记录中个人信息保存年限",
                "记录满此年限，删除减免依据、付款备注与银行流水付款人姓名；金额与账目保留", check=between(5, 30),
                unit="years"),
    SettingSpec("privacy.retention_feedback_years", int, CATEGORIES["feedback"][1], "投诉、异议与问卷个人信息保存年限",
                "办结满此年限，删除投诉人与异议人的姓名、联系方式、证据及问卷留言；件数与结论保留", check=between(1, 30),
                unit="years"),
    SettingSpec("privacy.retention_agreement_years", int, CATEGORIES["agreement"][1], "学生三方协议保存年限",
                "协议终止或学期结束满此年限，删除协议文本、填写内容、监护人姓名与签署人姓名、IP、设备；"
                "保留协议类型、当事机构、日期与所签文本的摘要", check=between(3, 30), unit="years"),
    SettingSpec("privacy.retention_staff_years", int, CATEGORIES["staff"][1], "机构人员信息保存年限",
                "机构在本区县的准入终止满此年限且未在其他区县服务，匿名化其授课人员的姓名、身份证号与证书编号",
                check=between(1, 30), unit="years"),
    SettingSpec("privacy.retention_log_years", int, CATEGORIES["logs"][1], "访问与登录记录保存年限",
                "满此年限删除儿童信息访问记录、登录记录、已办结的导出与家长申请记录；审计日志长期保存",
                check=between(1, 30), unit="years"),
]


@hookimpl
def kehou_register_settings() -> list[SettingSpec]:
    return CORE_SETTINGS


@hookimpl
def kehou_register_commands() -> list[Any]:
    from kehou.platform.privacy.cli import COMMAND

    return [COMMAND]


@hookimpl
def kehou_register_periodic_tasks() -> list[PeriodicTask]:
    """Clock times are Asia/Shanghai: whitelist expiry and renewal reminders daily at 00:05 (an admission
    that ended yesterday leaves the whitelist as the new day starts), the nightly vetting at 02:30."""
    return [
        PeriodicTask("close-ended-notices", "kehou.admission.close_ended_notices", 600.0),
        PeriodicTask("whitelist-expiry", "kehou.admission.review_whitelist_expiry", crontab="5 0 * * *"),
        PeriodicTask("nightly-vetting", "kehou.vetting.nightly", crontab="30 2 * * *"),
        PeriodicTask("exits-finalise-due", "kehou.exits.finalise_due", 3600.0),
        PeriodicTask("audit-checkpoint", "kehou.audit.checkpoint", 3600.0),  # signed heads: kehou/platform/audit/anchor.py
        PeriodicTask("privacy-retention", "kehou.privacy.retention", crontab="40 3 * * *"),  # kehou/platform/privacy/retention.py
    ]


@hookimpl(trylast=True)
def kehou_term_for_date(county_code: str, day: dt.date) -> Term:
    """Default terms: autumn from 1 September to end of January, spring from February to July."""
    if day.month >= 9:
        return Term(f"{day.year}-{day.year + 1}学年第一学期", dt.date(day.year, 9, 1), dt.date(day.year + 1, 1, 31))
    if day.month == 1:
        return Term(f"{day.year - 1}-{day.year}学年第一学期", dt.date(day.year - 1, 9, 1), dt.date(day.year, 1, 31))
    return Term(f"{day.year - 1}-{day.year}学年第二学期", dt.date(day.year, 2, 1), dt.date(day.year, 8, 31))


@hookimpl
def kehou_register_job_tables() -> list[JobTable]:
    from kehou.vetting.models import VettingRun

    return [JobTable("vetting_run", VettingRun)]


@hookimpl
def kehou_application_decided(decision: ApplicationDecided) -> None:
    from kehou.tasks.app import enqueue

    enqueue("kehou.admission.notify_decision", application_id=decision.application_id)


@hookimpl
def kehou_exit_proposed(proposal: ExitProposal) -> None:
    """Evaluation (or any plugin) proposed an exit: open a case for the bureau, with the evidence."""
    from kehou.tasks.app import enqueue

    enqueue("kehou.exits.open_proposal", **proposal.as_kwargs())
