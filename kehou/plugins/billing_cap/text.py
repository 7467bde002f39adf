"""Every piece of Chinese interface text of the billing web pages, in one place.

Each page gets ``NAV`` merged with its own dictionary as ``t``; the labels of statuses and kinds,
the messages shown after an action (flash) and the form errors the web layer raises are at the end.
Service errors (a waiver without evidence, a term not yet over) come with their own Chinese message.
"""

from __future__ import annotations

NAV = {
    "billing": "课后服务收费", "my_bills": "缴费账单", "children": "我的孩子", "school_billing": "收费管理",
    "publicity": "收费公示", "county_billing": "结算审批与总账", "settlements": "结算单", "empty": "暂无",
    "none": "—", "to": "至", "yuan": "元", "beijing": "（北京时间）",
}

FEES = {
    "title": "收费公示", "heading": "{school} {term} 课后服务收费公示",
    "term": "学期", "term_dates": "学期起止", "other_terms": "其他学期",
    "courses": "收费标准（按课程）", "course": "课程", "provider": "授课机构", "category": "类别",
    "over_cap_note": "：选课时将被拒绝，请向教育局反映",
    "fee": "课程费（元/学期）", "lessons": "课次", "per_lesson": "每课次（元）", "materials": "材料费（元）",
    "materials_items": "材料明细", "no_courses": "本学期没有开设收费课程。", "no_materials": "无",
    "standard": "收费上限与收费主体", "cap": "每生每学期课程费上限（不含材料费）", "no_cap": "不设上限",
    "lesson_cap": "每课时收费上限", "per_person_lesson": "元/人·课时", "collector": "收费主体",
    "materials_via": "材料费", "once": "收费方式", "no_direct": "第三方机构不得直接向家长收费。",
    "basis": "收费依据", "waivers": "减免政策", "tier": "档次", "percent": "减免比例", "evidence": "须提供的证明",
    "no_waivers": "本区县未设减免档次。", "refunds": "退费规则", "hotline": "收费投诉电话",
    "no_hotline": "请向学校或区县教育局反映。", "accounts": "本学期收支情况", "accounts_note": "学期结束后公布，金额单位：元。",
    "voluntary": "课后服务坚持家长自愿原则，是否参加、选择哪些课程由家长决定。",
}
#: the rows of the term's income and spending statement (publicity.accounts)
ACCOUNTS = {
    "billed_fen": "应收费用", "waived_fen": "减免", "collected_fen": "实收", "refunded_fen": "退费",
    "paid_to_providers_fen": "支付机构课时费", "materials_fen": "材料费（代收代付）",
    "retained_fen": "退课保留费用（留作专户收入）",
}

BILLS = {
    "title": "缴费账单", "intro": "每生每学期只收取一次费用；学期中的变动在期末一次性多退少补。",
    "reference": "账单编号", "term": "学期", "child": "学生", "total": "应缴", "paid": "已缴", "outstanding": "待缴",
    "credit": "待退", "due": "缴费期限", "status": "状态", "open": "查看并缴费", "view": "查看", "lines": "费用明细",
    "none": "暂无账单。学校在选课结束后生成账单，届时会通知您。",
    "no_children": "学校尚未为您的账号关联孩子，请联系孩子所在学校。",
    "cancelled": "已取消开班（期末结算时多退少补）",
}

BILL = {
    "title": "账单", "back": "返回账单列表", "child": "学生", "school": "学校", "term": "学期", "kind": "类型",
    "reference": "账单编号", "lines": "费用明细", "item": "项目", "amount": "金额（元）", "total": "应缴合计",
    "paid": "已缴", "outstanding": "待缴", "credit": "待退（将原路退回）", "due": "缴费期限", "status": "状态",
    "payments": "缴费记录", "time": "时间", "way": "缴费方式", "serial": "流水号", "refunded": "已退",
    "no_payments": "尚无缴费记录。", "pay": "缴费", "pay_hint": "请选择缴费方式：", "settled": "本账单无需再缴费。",
    "no_gateways": "暂未开通线上缴费方式，请按学校通知缴费。", "refund_rules": "退费规则", "publicity": "查看本校收费公示",
    "started": "缴费说明", "quote": "转账附言（用途、备注）请填写账单编号", "amount_due": "应缴金额",
    "intent": "支付单号",
    "stripe_note": "支付单已创建。请在学校提供的支付页面完成支付；支付成功后账单状态会自动更新（可能有几分钟延迟）。",
    "keep_receipt": "请保留缴费凭证。",
    "account": "转账收款账户", "account_name": "户名", "account_bank": "开户银行", "account_number": "账号",
    "account_note": "通过银行转账或非税缴款渠道缴费时，请转入以上账户，并在转账附言（用途、备注）中填写账单编号",
    "no_account": "收款账户以学校通知为准；转账附言（用途、备注）请填写账单编号",
    "cancelled": "已取消开班",
    "cancelled_refund": "学校已取消该课程。该项仍计入本账单，未上课次的费用将在期末结算时全额退还（多退少补）。",
    "cancelled_rules": "学校已取消该课程。该项仍计入本账单，期末结算时按本账单的退费规则处理（多退少补）。",
    "cancelled_materials": "学校已取消该课程。该项仍计入本账单；课程未开课的，材料费在期末结算时一并退还（多退少补）。",
}

SCHOOL = {
    "title": "课后服务收费管理", "intro": "按学期生成账单、登记减免、期末多退少补，并审核向机构结算的课时费。",
    "disabled": "本区县未启用课后服务收费功能，账单、减免和结算均不可用。",
    "term": "学期", "choose_term": "切换", "no_terms": "本校还没有已发布的课程超市，发布后才能按学期收费。",
    "term_dates": "学期起止", "publicity": "收费公示页（家长可见）",
    "actions": "收费操作", "issue": "生成本学期账单",
    "issue_hint": "为本学期已选上课程、尚无账单的学生各生成一张账单（可重复执行，不会重复收费）。",
    "close": "期末结算（多退少补）", "close_hint": "学期结束后，按退费规则为每位学生生成期末结算单。",
    "refunds": "原路退款", "refunds_hint": "把期末结算后多缴的费用通过原缴费渠道退回家长。",
    "confirm_close": "确定进行期末结算吗？", "confirm_refunds": "确定向家长原路退款吗？",
    "waiver": "登记减免", "student": "学生 *", "choose_student": "请选择学生", "tier": "减免档次 *",
    "evidence": "减免依据（证明材料名称、编号）*",
    "evidence_hint": "须提供：{evidence}", "reason": "减免理由 *", "record_waiver": "登记减免",
    "no_tiers": "本区县未设减免档次。",
    "draft": "生成机构结算单", "draft_hint": "按已签到、已考勤的课次为各机构生成结算单（同一课次不会重复结算）。",
    "period_start": "结算开始日 *", "period_end": "结算结束日 *", "make_drafts": "生成结算单",
    "bills": "账单", "reference": "账单编号", "student_name": "学生", "total": "应缴", "paid": "已缴",
    "outstanding": "待缴（负数为待退）", "status": "状态", "sum": "合计", "no_bills": "本学期尚未生成账单。",
    "waivers": "减免记录", "percent": "比例", "recorded_at": "登记时间", "no_waivers": "本学期没有减免。",
    "statements": "期末结算", "charged": "已计费", "extra": "补收", "refund": "退费",
    "balance": "结算后余额（正为应补，负为应退）",
    "no_statements": "尚未进行期末结算。",
    "settlements": "机构结算单", "provider": "机构", "period": "结算期间", "lessons": "课次", "amount": "金额（元）",
    "approve": "审核通过", "paid_reference": "付款凭证号 *", "mark_paid": "登记已付款", "excel": "下载 Excel",
    "no_settlements": "暂无结算单。", "county_pays": "由教育局专户付款", "record_receipt": "登记到账",
    "class_name": "班级", "due": "缴费期限", "search_hint": "学生姓名或账单编号", "all_statuses": "全部状态", "filter": "筛选",
    "no_match": "没有符合条件的账单。",
}

COUNTY = {
    "title": "收费结算审批与总账", "intro": "审批学校已审核的机构结算单；查询本区县的账单；核对本区县课后服务收费总账。",
    "disabled": "本区县未启用课后服务收费功能。",
    "pending": "待教育局审批的结算单", "school": "学校", "provider": "机构", "period": "结算期间", "lessons": "课次",
    "amount": "金额（元）", "school_approved_at": "学校审核时间", "excel": "Excel", "reason": "审批意见（可不填）",
    "approve": "审批通过", "no_pending": "没有待审批的结算单。", "not_decider": "只有有决定权限的人员可以审批结算单。",
    "ledger": "总账余额（按科目）", "kind": "科目", "account": "账户", "balance": "余额（元）",
    "sign_note": "借方为正、贷方为负；各科目合计为零即借贷平衡。", "no_ledger": "尚无记账。",
    "reconcile": "对账", "balanced": "借贷平衡，账单与收款记录一致（共{n}笔分录）。",
    "unbalanced": "对账发现{n}处问题：", "subtotal": "小计", "bills_n": "{n}张账单合计",
    "county_account": "教育局专户",
    "to_pay": "待教育局专户付款的结算单",
    "to_pay_hint": "由教育局专户收费的，结算单审批后由教育局向机构付款，付款后在此登记付款凭证号；学校专户收费的由学校登记。",
    "approved_at": "审批时间", "paid_reference": "付款凭证号 *", "mark_paid": "登记已付款",
    "confirm_paid": "确定已从教育局专户向该机构付款吗？登记后不能撤销。", "nothing_to_pay": "没有待教育局付款的结算单。",
    "not_payer": "只有有决定权限的人员可以登记付款。",
    "all": "全部结算单（最近100份）", "payer": "付款方", "payer_county": "教育局专户", "payer_school": "学校专户",
    "status": "状态", "no_settlements": "暂无结算单。", "more": "另有{n}份更早的结算单未列出。",
    "bills": "账单", "reference": "账单编号", "student_name": "学生", "class_name": "班级", "term": "学期", "total": "应缴",
    "paid": "已缴", "outstanding": "待缴（负数为待退）", "due": "缴费期限", "sum": "合计",
    "all_schools": "全部学校", "all_statuses": "全部状态", "filter": "筛选", "search_hint": "学生姓名或账单编号",
    "no_bills": "本区县尚无账单。", "no_match": "没有符合条件的账单。",
}

PROVIDER = {
    "title": "结算单", "intro": "学校（及教育局）审批后，由收费主体向本机构支付课时费。",
    "school": "学校", "period": "结算期间", "lessons": "课次", "amount": "金额（元）", "status": "状态",
    "excel": "下载 Excel", "view": "明细", "none": "暂无结算单。",
    "back": "返回结算单列表", "heading": "结算单 {id}", "day": "上课日期", "students": "学生人次", "detail": "课次明细",
    "created": "生成时间", "school_approved": "学校审核", "county_approved": "教育局审批", "paid_at": "付款时间",
}

BILL_STATUS = {"open": "待缴费", "paid": "已缴清", "settled": "已结清", "overdue": "已逾期", "refund_due": "待退款"}
#: the statuses a bill list filters by (the stored status; 已逾期 and 待退款 are shown, not stored)
BILL_FILTER = {k: BILL_STATUS[k] for k in ("open", "paid", "settled")}
#: the bill lists as Excel (/school/billing/bills.xlsx, /county/billing/bills.xlsx): sheet, file name, the columns
BILL_EXPORT = {
    "sheet": "账单", "file": "bills", "reference": "账单编号", "school": "学校", "student_name": "学生", "class_name": "班级",
    "term": "学期", "total": "应缴（元）", "paid": "已缴（元）", "outstanding": "待缴（元，负数为待退）", "status": "状态",
    "due": "缴费期限",
}
BILL_KINDS = {"term": "学期账单", "supplement": "补充收费"}
LINE_KINDS = {"course": "课程费", "materials": "材料费", "waiver": "减免"}
SETTLEMENT_STATUS = {"draft": "待学校审核", "school_approved": "待教育局审批", "approved": "待支付", "paid": "已支付"}
ACCOUNT_KINDS = {"receivable": "家长应收", "cash": "专户资金", "deferred": "预收学费", "subsidy": "减免支出",
                 "income": "专户留存收入", "payable": "应付机构"}

#: flash messages after an action
DONE = {
    "issued": "已生成{created}张账单（{existing}名学生已有账单），已通知家长。", "nothing_to_issue": "没有需要生成账单的学生。",
    "waiver": "已为{name}登记减免（{percent}%），已出账单随之调整。",
    "closed": "已生成{n}份期末结算单，已通知家长。", "nothing_to_close": "没有新的期末结算单需要生成。",
    "refunded": "已原路退款 {amount} 元。", "no_refunds": "没有需要退款的账单。",
    "drafted": "已生成{n}份结算单，请审核。", "nothing_to_settle": "该期间没有未结算的课次。",
    "approved": "结算单已审核通过。", "approved_final": "结算单已审批，待支付。", "paid": "已登记向机构付款。",
}

#: errors in form input the web layer itself finds (everything else comes from the services)
ERRORS = {
    "term": "请选择学期。", "date": "「{label}」须为日期，如 2026-03-02。", "not_found": "文件不存在。",
    "status": "未知的账单状态。", "school": "请选择本区县的学校。",
}
