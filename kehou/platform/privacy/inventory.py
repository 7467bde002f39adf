"""The data inventory (个人信息清单): every personal field the platform holds about children, guardians and staff,
declared once — whose it is, what it is for, on what basis, how sensitive, how it is protected at rest, who may see
it and which retention category it belongs to. The page ``/desk/privacy`` and ``docs/privacy.md`` show it;
``tests/test_privacy_inventory.py`` fails when a model gains a personal column that is not declared here."""

from __future__ import annotations

from dataclasses import dataclass

#: whose data it is
SUBJECTS = {"child": "学生（未成年人）", "guardian": "监护人", "staff": "机构人员与法定代表人", "user": "平台用户",
            "public": "公众（投诉人、异议人）"}
#: on what legal basis it is processed (PIPL art. 13)
BASES = {"duty": "履行法定职责（双减课后服务管理）", "contract": "订立、履行协议所必需", "consent": "监护人同意",
         "law": "法律法规规定的义务（审计、财务）"}
SENSITIVITY = {"sensitive": "敏感个人信息", "personal": "一般个人信息"}
#: how the value is kept at rest
PROTECTION = {"sealed": "加密存储", "hashed": "只存带密钥的摘要", "masked": "只存后四位", "plain": "明文（访问受控）"}
#: who may see it (besides the person and, for a child, its guardians)
ROLES = {"school_admin": "本校管理员", "county_staff": "区县教育局", "provider": "授课机构（仅本机构学生）",
         "platform_admin": "平台管理员", "provider_if_allowed": "授课机构（区县允许时，仅本班学生，紧急联系用）",
         "nobody": "仅系统使用"}
#: what replaces a name or label the retention job anonymises
ANONYMOUS = "（已匿名）"
#: retention categories: label, default years, counted from
CATEGORIES = {
    "roster": ("学籍与名册", 3, "学生离校（毕业或转出）后"),
    "guardian_contact": ("监护人联系方式与账号", 1, "学生离校后"),
    "participation": ("选课、考勤与未到课记录", 3, "学期结束后"),
    "billing": ("收费、减免与退费记录", 10, "记录之日起（会计档案）"),
    "feedback": ("问卷、投诉与事故记录", 3, "办结后"),
    "agreement": ("学生三方协议与签署记录", 5, "协议终止或学期结束后"),
    "staff": ("机构人员信息", 3, "机构在本区县的准入终止后"),
    "logs": ("访问、登录、导出与申请记录", 3, "记录之日起"),
    "audit": ("审计与同意留痕", 0, "防篡改的审计链与同意凭证，长期保存"),
}
#: the county setting holding each category's period (years); ``None``: kept, not removed by the job (see docs)
SETTINGS = {"roster": "privacy.retention_roster_years", "guardian_contact": "privacy.retention_contact_years",
            "participation": "privacy.retention_participation_years", "billing": "privacy.retention_billing_years",
            "feedback": "privacy.retention_feedback_years", "agreement": "privacy.retention_agreement_years",
            "staff": "privacy.retention_staff_years",
            "logs": "privacy.retention_log_years", "audit": None}


@dataclass(frozen=True)
class Field:
    column: str  # table.column
    label: str
    subject: str  # SUBJECTS
    purpose: str
    basis: str  # BASES
    sensitivity: str  # SENSITIVITY
    protection: str  # PROTECTION
    who: tuple[str, ...]  # ROLES
    category: str  # CATEGORIES

    @property
    def table(self) -> str:
        return self.column.split(".")[0]


S, C, P = ("school_admin",), ("school_admin", "county_staff"), ("school_admin", "provider")
FIELDS: tuple[Field, ...] = (
    # the child
    Field("student.student_no", "学籍号", "child", "识别学生、导入名册", "duty", "personal", "plain", C, "roster"),
    Field("student.name", "学生姓名", "child", "选课、考勤、点名与通知", "duty", "personal", "plain", C + ("provider",),
          "roster"),
    Field("student.grade", "年级", "child", "确定可选课程", "duty", "personal", "plain", C + ("provider",), "roster"),
    Field("student.class_name", "班级", "child", "点名与接送", "duty", "personal", "plain", C + ("provider",), "roster"),
    Field("student.priority_sealed", "优先保障群体（残疾、留守、随迁、经济困难）", "child", "优先选课、减免费用、覆盖统计",
          "duty", "sensitive", "sealed", S, "roster"),
    Field("student.left_on", "离校日期", "child", "计算保存期限", "duty", "personal", "plain", C, "roster"),
    Field("student.left_reason", "离校原因（毕业、转学）", "child", "计算保存期限", "duty", "personal", "plain", C, "roster"),
    Field("ranked_choice.rank", "选课志愿", "child", "摇号分配", "duty", "personal", "plain", S, "participation"),
    Field("allocation_run.refs", "抽签编号与学生对应", "child", "分配结果核对（公开的只是编号）", "duty", "personal", "plain", S,
          "participation"),
    Field("enrolment.status", "选课记录", "child", "开班、点名、收费", "duty", "personal", "plain", C + ("provider",),
          "participation"),
    Field("enrolment.ended_reason", "退课原因", "child", "退费与统计", "duty", "personal", "plain", C, "participation"),
    Field("enrolment_event.reason", "选课变动原因", "child", "审计", "duty", "personal", "plain", C, "participation"),
    Field("attendance.status", "考勤", "child", "课时与退费结算", "duty", "personal", "plain", C + ("provider",),
          "participation"),
    Field("attendance.reason", "请假原因（可能含健康信息）", "child", "考勤核对", "duty", "sensitive", "plain", S,
          "participation"),
    Field("attendance.parent_status", "家长确认或异议", "child", "考勤核对", "duty", "personal", "plain", S, "participation"),
    Field("attendance.parent_note", "家长对考勤的说明", "child", "考勤核对", "duty", "personal", "plain", S, "participation"),
    Field("no_show_case.answer", "未到课说明（可能含健康信息）", "child", "决定保留或释放名额", "duty", "sensitive", "plain", S,
          "participation"),
    Field("no_show_case.close_reason", "未到课处理理由", "child", "决定保留或释放名额", "duty", "personal", "plain", S,
          "participation"),
    Field("bill.total_fen", "学生账单", "child", "收费与对账", "contract", "personal", "plain", C, "billing"),
    Field("fee_waiver.tier", "减免档次", "child", "减免费用", "duty", "sensitive", "plain", C, "billing"),
    Field("fee_waiver.evidence", "减免依据（困难证明）", "child", "减免费用", "duty", "sensitive", "plain", S, "billing"),
    Field("term_statement.lines", "期末结算明细", "child", "退费与结算", "contract", "personal", "plain", C, "billing"),
    Field("outcome_survey_response.answers", "问卷答案", "child", "成效评价（统计时匿名）", "duty", "personal", "plain", S,
          "feedback"),
    Field("outcome_survey_response.comment", "问卷留言", "child", "成效评价", "duty", "personal", "plain", S, "feedback"),
    Field("outcome_survey_response.respondent", "答卷人类别", "child", "成效评价", "duty", "personal", "plain", S, "feedback"),
    Field("outcome_incident.injured", "受伤学生情况（健康信息）", "child", "安全事故处置", "law", "sensitive", "plain", C,
          "feedback"),
    Field("outcome_showcase_item.storage_key", "结业汇报照片与作品", "child", "展示课后服务成果", "consent", "personal",
          "plain", C, "feedback"),
    Field("outcome_patrol.photos", "巡课照片", "child", "过程监管", "duty", "personal", "plain", C, "feedback"),
    Field("notification.body", "站内消息（含学生姓名）", "child", "告知家长与学校", "duty", "personal", "plain", ("nobody",),
          "participation"),
    Field("agreement.parties", "三方协议当事人（学生、监护人）", "child", "订立协议", "contract", "personal", "plain", C,
          "agreement"),
    Field("agreement.values", "协议填写内容", "child", "订立协议", "contract", "personal", "plain", C, "agreement"),
    Field("agreement.text", "协议文本", "child", "订立协议", "contract", "personal", "plain", C, "agreement"),
    # guardians
    Field("guardian.relation", "与学生关系", "guardian", "联系监护人、签协议", "duty", "personal", "plain", S,
          "guardian_contact"),
    Field("guardian_contact.phone_enc", "监护人手机号", "guardian", "开通账号、紧急联系", "duty", "personal", "sealed",
          S + ("provider_if_allowed",),
          "guardian_contact"),
    Field("guardian_contact.phone_hash", "手机号摘要（查重）", "guardian", "避免重复开户", "duty", "personal", "hashed",
          ("nobody",), "guardian_contact"),
    Field("guardian_contact.phone_last4", "手机号后四位", "guardian", "核对身份", "duty", "personal", "masked", S,
          "guardian_contact"),
    Field("agreement_signature.signer_name", "签署人姓名", "guardian", "协议签署", "contract", "personal", "plain", C,
          "agreement"),
    Field("agreement_signature.ip", "签署IP", "guardian", "签署留痕", "contract", "personal", "plain", C, "agreement"),
    Field("agreement_signature.user_agent", "签署设备", "guardian", "签署留痕", "contract", "personal", "plain", C, "agreement"),
    Field("payment.payer_note", "付款备注", "guardian", "对账", "contract", "personal", "plain", S, "billing"),
    Field("offline_statement_line.payer", "付款人姓名", "guardian", "银行流水对账", "contract", "personal", "plain", S,
          "billing"),
    # users (guardians, school and county staff, provider staff accounts)
    Field("app_user.username", "登录名", "user", "登录", "contract", "personal", "plain", C, "guardian_contact"),
    Field("app_user.display_name", "姓名（显示名）", "user", "显示与通知", "contract", "personal", "plain", C,
          "guardian_contact"),
    Field("app_user.password_hash", "密码摘要", "user", "登录", "contract", "personal", "hashed", ("nobody",),
          "guardian_contact"),
    Field("login_attempt.username", "登录尝试的用户名", "user", "防暴力破解", "law", "personal", "plain", ("nobody",), "logs"),
    Field("login_attempt.ip", "登录IP", "user", "防暴力破解", "law", "personal", "plain", ("nobody",), "logs"),
    Field("audit_entry.actor_name", "操作人", "user", "审计", "law", "personal", "plain", ("county_staff",), "audit"),
    Field("audit_entry.ip", "操作IP", "user", "审计", "law", "personal", "plain", ("county_staff",), "audit"),
    Field("enrolment_event.ip", "选课IP", "user", "审计", "law", "personal", "plain", ("county_staff",), "audit"),
    Field("exit_step.actor_name", "退出程序经办人", "user", "审计", "law", "personal", "plain", ("county_staff",), "audit"),
    Field("consent.scope", "监护人同意记录（事项、告知书版本、时间）", "guardian", "证明已告知并取得同意", "law", "personal",
          "plain", ("county_staff",), "audit"),
    Field("consent.ip", "同意时的IP", "guardian", "证明已告知并取得同意", "law", "personal", "plain", ("nobody",), "audit"),
    Field("privacy_request.detail", "家长的查阅、更正、删除申请", "guardian", "办理个人信息权利请求", "law", "personal",
          "plain", S, "logs"),
    Field("privacy_request.answer", "学校对申请的答复", "guardian", "办理个人信息权利请求", "law", "personal", "plain", S,
          "logs"),
    Field("data_export.watermark", "导出水印（导出人、审批人、时间）", "user", "导出留痕", "law", "personal", "plain",
          ("county_staff",), "logs"),
    Field("data_export.reason", "导出用途", "user", "导出审批", "law", "personal", "plain", C, "logs"),
    Field("child_access.student_id", "儿童信息访问记录", "user", "查看儿童信息留痕、异常告警", "law", "personal", "plain",
          ("county_staff",), "logs"),
    # provider staff and legal representatives
    Field("provider_staff.name", "授课人员姓名", "staff", "准入审查、签到", "duty", "personal", "plain", C + ("provider",),
          "staff"),
    Field("provider_staff.id_number_enc", "授课人员身份证号", "staff", "准入审查、黑名单比对", "duty", "sensitive", "sealed",
          ("provider",), "staff"),
    Field("provider_staff.id_number_hash", "身份证号摘要", "staff", "黑名单比对", "duty", "sensitive", "hashed", ("nobody",),
          "staff"),
    Field("provider_staff.id_number_last4", "身份证号后四位", "staff", "核对身份", "duty", "personal", "masked", C, "staff"),
    Field("provider_staff.qualification_number", "资格证书编号", "staff", "准入审查", "duty", "personal", "plain", C, "staff"),
    Field("provider_staff.criminal_record_issued_on", "无犯罪记录证明日期", "staff", "准入审查", "law", "sensitive", "plain",
          C, "staff"),
    Field("provider_staff.is_serving_teacher", "是否在职教师", "staff", "禁止在职教师有偿补课", "law", "personal", "plain", C,
          "staff"),
    Field("provider.legal_rep_name", "法定代表人姓名", "staff", "准入审查", "duty", "personal", "plain", C, "staff"),
    Field("provider.legal_rep_id_enc", "法定代表人身份证号", "staff", "准入审查、黑名单比对", "duty", "sensitive", "sealed",
          ("provider",), "staff"),
    Field("provider.legal_rep_id_hash", "法定代表人身份证号摘要", "staff", "黑名单比对", "duty", "sensitive", "hashed",
          ("nobody",), "staff"),
    Field("provider.legal_rep_id_last4", "法定代表人身份证号后四位", "staff", "核对身份", "duty", "personal", "masked", C,
          "staff"),
    Field("provider.contact_name", "机构联系人", "staff", "联系机构", "duty", "personal", "plain", C, "staff"),
    Field("provider.contact_phone", "机构联系电话", "staff", "联系机构", "duty", "personal", "plain", C, "staff"),
    Field("provider.contact_email", "机构电子邮箱", "staff", "联系机构", "duty", "personal", "plain", C, "staff"),
    Field("blacklist_entry.keyed_hash", "黑名单人员身份证号摘要", "staff", "准入比对", "law", "sensitive", "hashed",
          ("nobody",), "staff"),
    Field("blacklist_entry.label", "黑名单人员标注", "staff", "准入比对", "law", "sensitive", "plain", ("county_staff",),
          "staff"),
    # the public
    Field("outcome_complaint.contact_name", "投诉人姓名", "public", "回复投诉", "duty", "personal", "plain", ("county_staff",),
          "feedback"),
    Field("outcome_complaint.contact_phone_sealed", "投诉人电话", "public", "回复投诉", "duty", "personal", "sealed",
          ("county_staff",), "feedback"),
    Field("outcome_complaint.text", "投诉内容", "public", "处理投诉", "duty", "personal", "plain", C, "feedback"),
    Field("admission_objection.name", "异议人姓名", "public", "公示期异议处理", "duty", "personal", "plain", ("county_staff",),
          "feedback"),
    Field("admission_objection.contact", "异议人联系方式", "public", "回复异议", "duty", "personal", "plain", ("county_staff",),
          "feedback"),
    Field("admission_objection.evidence", "异议人提供的证据", "public", "核实异议", "duty", "personal", "plain",
          ("county_staff",), "feedback"),
    Field("admission_objection.ip", "异议提交IP", "public", "防滥用", "law", "personal", "plain", ("nobody",), "logs"),
)

BY_COLUMN = {f.column: f for f in FIELDS}


def period(years: int) -> str:
    """A period as the page shows it: 0 is kept for good."""
    return f"{years}年" if years else "长期"


def grouped() -> list[tuple[str, list[Field]]]:
    """The fields by whose data they are, for the page and the docs."""
    return [(label, [f for f in FIELDS if f.subject == key]) for key, label in SUBJECTS.items()]


def markdown() -> str:
    """The inventory as the Markdown tables of ``docs/privacy.md``."""
    lines = []
    for subject, fields in grouped():
        lines += [f"\n### {subject}\n", "| field | column | purpose | basis | class | at rest | who may see | retention |",
                  "|---|---|---|---|---|---|---|---|"]
        for f in fields:
            cat = CATEGORIES[f.category]
            lines.append(f"| {f.label} | `{f.column}` | {f.purpose} | {BASES[f.basis]} | {SENSITIVITY[f.sensitivity]} | "
                         f"{PROTECTION[f.protection]} | {'、'.join(ROLES[r] for r in f.who)} | {cat[0]} {period(cat[1])} |")
    return "\n".join(lines) + "\n"
