"""Every word of the county settings page (区县政策设置), in one place."""

from __future__ import annotations

TEXT = {
    "title": "区县政策设置", "edit_title": "修改设置", "preview_title": "请核对修改",
    "key": "设置项", "value": "当前值", "since": "自 {date} 起", "default_value": "默认值", "change": "修改",
    "scope_county": "本区县", "scope_city": "本市统一设置", "scope_province": "本省统一设置", "scope_platform": "全平台统一设置",
    "search": "按名称查找", "search_button": "查找", "search_clear": "显示全部", "found": "共 {n} 项",
    "nothing_found": "没有名称含「{q}」的设置项。",
    "upcoming": "待生效的修改", "upcoming_none": "没有待生效的修改。", "upcoming_badge": "有待生效的修改",
    "col_setting": "设置项", "col_change": "原值 → 新值", "col_effective": "生效日期", "col_who": "修改人", "col_reason": "理由",
    "effective_from": "生效日期", "effective_help": "晚于今天的日期：到期才生效，在此之前列为待生效的修改",
    "reason": "修改理由", "reason_help": "必填，记入审计日志",
    "preview": "预览修改", "confirm": "确认修改", "back": "返回设置列表", "cancel": "放弃修改",
    "edit_again": "继续修改", "old": "原值", "new": "新值", "unchanged": "与原值相同，保存后不会有变化。",
    "future_note": "在 {date} 之前仍按原值执行。", "past_note": "生效日期早于今天：自该日起的记录按新值判断。",
    "retroactive_reason": "追溯理由", "retroactive_help": "必填：说明为何已发生的事项要按新值重新判断，记入审计日志",
    "implausible": "请注意：新值 {value} 不在通常范围（{low} 至 {high}）内。金额请按“元”填写。",
    "implausible_confirm": "我已核对，确实要设为 {value}", "implausible_needed": "新值不在通常范围内，请勾选确认后再保存。",
    "done": "设置已保存，并已记入审计日志。", "readonly": "只有有决定权限的人员可以修改。",
    "advanced": "高级：JSON", "advanced_help": "按 JSON 填写整个值（金额以分为单位），如 5、true、[\"enterprise\"]。",
    "json_value": "新值（JSON）", "preview_json": "预览 JSON 修改",
    "rows_help": "每行一项；在空行中填写即可新增，勾选“删除”即可删除一行。",
    "nested_help": "清空一档即删除该档。", "remove": "删除", "new_row": "新增",
    "lines_help": "每行一项", "words_help": "多项之间用顿号（、）分隔", "choose": "请选择",
    "yes": "是", "no": "否", "yuan": "元", "empty": "（空）", "none": "（无）", "default_marker": "默认",
    "who_unknown": "—",
    "examples": "按此规则计算的示例", "example_case": "情形", "example_now": "现行规则", "example_new": "修改后",
}

#: key prefix -> the area's heading, in the order the page shows them
AREAS = {
    "admission": "准入审核", "documents": "机构材料", "vetting": "自动审查", "catalogue": "课程与选课",
    "billing": "收费与结算", "outcome": "监管与评价", "exits": "退出机制", "plugins": "功能插件",
    "payments_offline": "收费与结算", "accounts": "家长账户", "privacy": "个人信息保护",
}
OTHER_AREA = "其他"

#: SettingSpec.unit -> how it reads after a number
UNITS = {
    "fen": "元", "minutes": "分钟", "hours": "小时", "days": "天", "working_days": "个工作日", "months": "个月",
    "years": "年", "percent": "%", "points": "分", "people": "人", "people_per_minute": "人/分钟", "courses": "门",
    "responses": "份", "grade": "年级", "bytes": "字节", "lessons": "次", "weeks": "周", "times": "次",
}

ERRORS = {
    "money": "「{label}」请填写金额，单位元，最多两位小数（如 600 或 12.50）。",
    "integer": "「{label}」请填写整数{unit}。",
    "date": "「{label}」请填写日期（年-月-日）。",
    "required": "「{label}」必须填写。",
    "choice": "「{label}」请从列表中选择。",
    "yes_no": "「{label}」请选择“是”或“否”。",
    "json": "新值须为合法的 JSON。",
    "effective_from": "请填写生效日期（年-月-日）。",
    "reason": "修改政策需要填写理由。",
    "duplicate": "「{label}」中「{key}」重复。",
    "row": "第{n}行：",
    "sub_row": "第{n}档：",
}
