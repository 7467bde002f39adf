"""Every piece of Chinese interface text of the school's roster pages (kehou/plugins/course_catalogue/views_roster.py):
the list, one student, the import, activation slips and their print. Each page gets the catalogue's ``NAV`` merged
with its own dictionary as ``t``; flash messages are at the end. (The parent's /activate page is core: its text is
in kehou/platform/accounts/views.py.)"""

from __future__ import annotations

#: shared by the roster's pages
COMMON = {
    "student_no": "学号", "name": "姓名", "grade": "年级", "class_name": "班级", "priority": "优先保障群体",
    "guardians": "监护人", "not_priority": "（不属于）", "back_roster": "返回学生名册", "import": "导入名册",
    "slips": "打印家长激活单", "template": "下载导入模板", "sample": "示例名册", "export": "导出 Excel",
    "all_grades": "全部年级", "all_classes": "全部班级", "relation": "关系", "username": "家长账号",
    "state": "账户状态", "phone": "手机号",
}

ROSTER = COMMON | {
    "title": "学生名册",
    "intro": "学生由学校登记（可从 Excel 批量导入），家长账号由学校建立和关联；优先保障群体信息仅学校工作人员可见。",
    "search_hint": "姓名或学号", "filter": "查询", "clear_filter": "清除条件", "open": "查看",
    "no_guardian": "未关联", "pending": "待激活",
    "empty": "本校还没有登记学生。可以下载导入模板填写后导入，或先用示例名册试一试。",
    "none_found": "没有符合条件的学生。",
    "add": "登记单个学生", "student_no_in": "学号 *", "name_in": "姓名 *", "grade_in": "年级 *", "class_in": "班级",
    "priority_in": "优先保障群体（可提前选课）",
}

STUDENT = COMMON | {
    "title": "学生", "info": "基本信息", "none": "—",
    "guardian_list": "监护人和家长账号", "no_guardians": "还没有关联监护人。",
    "slip_one": "打印激活单",
    "slip_confirm": "将为该家长重新生成激活码，此前打印的激活单随即作废。确定吗？",
    "link": "关联已有的家长账号", "link_hint": "家长已有账号时填写其用户名；批量建立家长账号请用“导入名册”。",
    "username_in": "家长账号（用户名）*", "relation_in": "关系（如 母亲）", "link_button": "关联",
    "set_priority": "优先保障群体", "priority_reason": "认定依据 *", "priority_button": "更新",
    "departure": "登记离校", "departure_hint": "毕业或转学后登记；离校满区县规定年限后，系统删除监护人联系方式并匿名化学生信息。",
    "left_on": "离校日期 *", "left_reason": "原因", "departure_button": "登记离校", "left": "已于{on}离校（{why}）",
    "departure_confirm": "登记离校后，到期将按区县规定删除该生的个人信息。确定登记吗？",
}

IMPORT = COMMON | {
    "title": "导入学生名册",
    "intro": "上传 Excel（.xlsx）或 CSV 文件，一行一位监护人：学生有两位监护人时，同一学号写两行；"
             "兄弟姐妹写同一个监护人手机号，共用一个家长账号。",
    "columns": "表头（第一行）", "required": "必填：学号、姓名、年级、班级、监护人姓名、关系、监护人手机号；可选：优先保障群体。",
    "rules": "全部正确才导入：只要有一处错误，就不保存任何数据，并在下方逐行列出问题；改好后重新导入整个文件。"
             "已登记的学号会更新姓名、年级、班级，不会重复登记；文件中没有的学生保持不变。",
    "limits": "文件最大 2 MB，最多 5000 行。手机号为11位大陆手机号，加密保存。",
    "after": "导入后，新建的家长账号还没有密码：请按班级打印家长激活单，家长凭激活码自行设置密码。",
    "file": "名册文件 *", "submit": "导入",
    "errors": "问题清单", "errors_intro": "文件“{file}”中有 {n} 处问题，没有导入任何数据。请逐行修改后重新导入整个文件。",
    "more_errors": "另有 {n} 处问题未列出，请先修改以上问题。",
    "line": "行号", "column": "列", "problem": "问题", "line_n": "第 {n} 行",
}

SLIPS = COMMON | {
    "title": "打印家长激活单",
    "intro": "家长账号由名册导入建立，还没有密码。每位家长一张激活单（兄弟姐妹合用一张），上面有用户名和一次性激活码；"
             "家长在手机上打开激活页面，输入激活码并设置密码。",
    "choose": "班级", "show": "查看", "choose_first": "请先选择班级。",
    "list": "{cls}的家长", "children": "孩子", "none_in_class": "本班学生还没有关联家长账号。",
    "new_only": "为还没有有效激活码的家长生成激活码并打印（{n} 人）",
    "reissue": "为本班全部未激活的家长重新生成并打印（{n} 人，此前打印的激活单作废）",
    "reissue_confirm": "重新生成后，此前打印的激活单全部作废。确定吗？",
    "nothing": "本班没有需要打印激活单的家长。",
    "valid_days": "激活码有效期：打印后 {days} 天；每张只能用一次。",
}

STATES = {"active": "已激活", "issued": "待激活（激活码有效至 {expires}）", "expired": "激活码已过期", "none": "未打印激活单"}

PRINT = {
    "title": "家长激活单", "print": "打印", "back": "返回", "heading": "{school} 课后服务平台 · 家长账号激活单",
    "dear": "{name}家长：", "child": "孩子", "username": "用户名", "code": "激活码", "expires": "有效期至",
    "url": "激活网址",
    "step1": "用手机打开上面的激活网址（或在登录页点“首次登录？激活账户”）。",
    "step2": "输入用户名和激活码（不区分大小写），设置自己的密码（至少10位，含字母和数字）。",
    "step3": "激活后即可登录，为孩子选课、查看课表和缴费。",
    "notice": "激活码只能使用一次，请勿转交他人。遗失或过期请联系班主任重新打印。",
    "warning": "这些激活码只显示这一次：请现在打印。刷新或重新打印会生成新的激活码，本页的激活码随即作废。",
    "count": "共 {n} 张",
}

EXPORT = {"sheet": "学生名册", "file": "student-roster", "username": "家长账号", "state": "激活状态"}

#: flash messages after an action
DONE = {
    "student_added": "学生已登记。", "guardian_linked": "家长账号已关联。", "priority_set": "优先保障群体已更新。",
    "left": "已登记离校。",
    "imported": "名册导入完成：{lines} 行；新登记学生 {students_created} 名，更新 {students_updated} 名，"
                "未变 {students_unchanged} 名；新建家长账号 {guardians_created} 个，新关联监护人 {links_created} 条。"
                "新家长账号请按班级打印激活单。",
    "no_slips": "没有需要打印激活单的家长：本班家长都已激活或已有有效的激活码。",
}

ERRORS = {"grade": "年级须为1到9。"}

EXPORTS = COMMON | {
    "title": "名册导出", "back": "返回学生名册",
    "intro": "名册含学生姓名、监护人手机号和优先保障群体，属于未成年人敏感个人信息。每次导出须写明用途，{approval}"
             "文件内含导出人、审批人、时间和编号水印，下载一次后失效，所有导出均记录在案并纳入年度合规审计。"
             "每个账号每天最多导出{per_day}次。",
    "approval_on": "经区县教育局或本校另一名管理员批准后，在24小时内由申请人下载；",
    "approval_off": "本区县无需审批，提交后即可下载；",
    "ask": "申请导出", "reason": "导出用途 *", "reason_hint": "如：核对新学期班级名单", "filters": "导出范围",
    "all": "全校学生", "send": "提交申请",
    "list": "导出记录", "number": "编号", "asked_by": "申请人", "asked_at": "申请时间", "purpose": "用途", "status": "状态",
    "approver": "审批人", "rows": "行数", "download": "下载", "approve": "批准", "refuse": "不批准", "note": "审批意见",
    "none": "暂无导出记录。",
    "needs_approval": "导出含学生个人信息的名册须先申请，并经区县教育局或本校另一名管理员批准：请在“名册导出”页面提交申请。",
    "direct_reason": "直接导出（本区县无需审批）",
    "asked": "已提交导出申请，等待审批；批准后会通知您。", "ready": "已可下载（本区县无需审批）。",
    "approved": "已批准该导出申请。", "refused": "已驳回该导出申请。",
}
