"""Every piece of Chinese interface text of the school finance pages (收款对账), in one place.

``PAGE`` is the page's own text (given to the template as ``t``); the messages shown after an action
(flash) and the form errors the web layer itself finds follow. Service errors (a transaction id reused on
another bill, a statement without the amount column) come with their own Chinese message.
"""

from __future__ import annotations

PAGE = {
    "title": "收款对账",
    "intro": "家长通过银行转账或非税缴款渠道缴费后，在此导入专户的银行流水：附言中有账单编号的自动登记到账单，"
             "其余的逐笔人工匹配；也可以手工登记看到的到账。同一交易流水号只登记一次，重复导入不会重复记账。",
    # the summary
    "summary": "概况", "bills_open": "待缴账单", "unit_bills": "张", "bills_open_value": "合计 ¥{amount}",
    "lines_imported": "已导入流水", "unit": "笔", "lines_unmatched": "待人工匹配",
    "account": "本校收款账户（家长账单上显示）", "account_name": "户名", "account_bank": "开户银行",
    "account_number": "账号",
    "no_account": "教育局尚未在区县设置中登记本校的收款账户，家长账单上暂不显示收款账户。请联系区县教育局在「设置 → "
                  "学校课后服务专户」中填写。",
    "county_collects": "本区县的课后服务费由教育局专户收取：到账由教育局工作人员登记，本校导入的流水不会自动登记到账单。",
    # the last import
    "result": "导入结果", "result_file": "文件", "result_rows": "读取 {n} 行",
    "result_matched": "已自动登记", "result_duplicates": "重复（已导入过，跳过）", "result_unmatched": "待人工匹配",
    "result_rejected": "未导入（有错误）", "result_rows_head": "行号", "result_problem": "问题",
    "result_more": "另有 {n} 行未列出。", "result_fix": "请修改文件中这些行后重新导入；已导入的行会自动跳过。",
    "result_unmatched_hint": "待人工匹配的流水列在下方「待人工匹配的流水」中。",
    # importing
    "import": "导入银行流水", "file": "流水文件（CSV 或 Excel .xlsx，最多 2MB、5000 行） *", "import_button": "导入",
    "columns": "表头须包含：交易流水号、交易日期、金额（元）、附言（或摘要、用途），可选：付款人（或对方户名）。"
               "表头上方的账号、期间等标题行会自动跳过。",
    "sample": "下载示例文件（CSV）", "sample_note": "示例文件中的账单编号对应演示数据中西湖区第1小学的账单，仅供参考格式。",
    # recording by hand
    "receipt": "手工登记到账", "receipt_hint": "在银行看到一笔到账、还没有导入流水时登记；之后导入含同一交易流水号的流水，"
                                          "不会重复记账。",
    "bill": "账单 *", "bill_hint": "输入账单编号（KH开头）或学生姓名，从列表中选择", "bank_txn_id": "银行交易流水号 *",
    "amount_yuan": "到账金额（元） *", "paid_on": "到账日期 *", "payer": "付款人 *", "note": "备注",
    "record": "登记到账", "no_bills": "本校目前没有待缴的账单。",
    # the lines
    "lines": "银行流水", "search": "搜索付款人、附言或流水号", "search_button": "搜索", "clear": "清除",
    "unmatched": "待人工匹配的流水", "matched": "最近已登记的流水",
    "date": "交易日期", "amount": "金额（元）", "payer_col": "付款人", "reference": "附言", "txn": "交易流水号",
    "problem": "未匹配原因", "match": "人工匹配", "match_to": "登记到账单", "match_button": "匹配",
    "confirm_match": "确定将这笔流水登记到所选账单吗？登记后不能撤销。",
    "bill_col": "账单", "no_unmatched": "没有待人工匹配的流水。", "no_matched": "还没有已登记的流水。",
    "not_payment": "金额不是正数，无需匹配",
    "found": "共 {n} 笔", "page_of": "第 {page}/{pages} 页", "prev": "上一页", "next": "下一页",
    "outstanding": "待缴", "yuan": "元", "pager": "翻页",
}

#: flash messages after an action
DONE = {
    "imported": "已导入{file}：自动登记 {matched} 笔，重复 {duplicates} 笔，待人工匹配 {unmatched} 笔，未导入 {rejected} 行。",
    "recorded": "已登记到账 {amount} 元（账单 {reference}）。",
    "already": "交易流水号 {txn} 已登记在账单 {reference} 上，未重复记账。",
    "matched": "已将 {amount} 元登记到账单 {reference}。",
}

#: errors in form input the web layer itself finds (everything else comes from the services)
ERRORS = {
    "file": "请选择要导入的银行流水文件（CSV 或 Excel .xlsx）。",
    "bill_required": "请填写账单编号（KH开头的12位编号），或输入学生姓名后从列表中选择。",
    "bill_unknown": "本校没有编号为 {reference} 的账单，请核对账单编号。",
    "amount": "「到账金额」须为金额（元），最多两位小数，如 300 或 300.00。",
    "amount_positive": "「到账金额」须大于0元。",
}
