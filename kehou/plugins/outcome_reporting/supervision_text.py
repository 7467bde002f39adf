"""Every piece of Chinese interface text of the supervision pages (patrols, complaints, incidents).

Each page gets ``NAV`` merged with its own dictionary as ``t``; labels of statuses and choices, and
the messages shown after an action (flash), are at the end."""

from __future__ import annotations

NAV = {
    "supervision": "过程监管", "patrol_new": "记录巡课", "home_school": "本校监管", "home_county": "监管工作台",
    "home_provider": "监管情况", "my_complaints": "我的投诉", "empty": "暂无", "none": "—",
    "disabled": "本区县尚未启用课后服务成效评价功能，暂不能使用此页面。",
    "complaint_list": "投诉列表", "patrol_list": "巡课记录",
}

PATROL_NEW = {
    "title": "记录巡课", "intro": "选择课次，逐项核查后提交；可拍照上传（JPEG/PNG），每次最多6张。",
    "lesson": "课次 *", "today": "今日", "checked_in": "签到教师", "instructor": "登记授课教师",
    "no_lessons": "今天和最近一周没有可巡查的课次。",
    "instructor_present": "授课教师到岗", "instructor_matches": "是登记的授课教师（非替课）",
    "on_topic": "授课内容与课程相符", "non_academic": "无学科类教学", "safety_ok": "安全情况正常",
    "yes": "是", "no": "否", "rating": "总体评分 *（1-5）", "choose": "请选择", "notes": "备注", "photos": "现场照片（可多选）",
    "submit": "提交巡课记录",
}

HOME = {
    "title_school": "本校监管", "title_county": "监管工作台", "title_provider": "监管情况", "title_parent": "我的投诉",
    "patrols": "巡课记录", "complaints": "投诉", "incidents": "安全事件", "day": "日期", "course": "课程",
    "school": "学校", "provider": "机构", "kind": "巡课人", "kind_school": "学校巡课", "kind_county": "教育局督查",
    "rating": "评分", "problems": "发现问题", "ok": "正常", "photos": "照片", "photo": "照片{n}",
    "code": "查询码", "category": "类别", "status": "状态", "received": "收到日期", "assign_by": "指派期限",
    "resolve_by": "办结期限", "overdue": "已超期", "finding": "结论", "open": "查看", "text": "内容",
    "severity": "严重程度", "injured": "受伤人数", "occurred": "发生时间", "description": "经过",
    "actions": "已采取措施", "close": "结案", "close_note": "结案说明 *", "closed": "已结案", "incident_open": "处理中",
    "new_complaint": "提交投诉", "target_course": "涉及课程", "target_provider": "或涉及机构", "choose": "请选择",
    "complaint_text": "投诉内容 *（至少5个字）", "submit_complaint": "提交投诉",
    "new_incident": "报告安全事件", "occurred_in": "发生时间 *（北京时间）", "submit_incident": "提交报告",
    "parent_intro": "对孩子所上的课后服务课程有意见，可在此投诉，教育局将按期限处理并答复。",
    "provider_intro": "巡课结果不显示巡课人；教育局告知贵机构的投诉不显示投诉人。",
    "county_intro": "投诉须在期限内指派、办结；超期的投诉以红色标出。",
    "all_complaints": "全部投诉（共 {n} 条）：搜索、筛选、导出", "all_patrols": "全部巡课记录（共 {n} 条）：搜索、筛选、导出",
    "shown_first": "此处列出前 {n} 条。",
}

LISTS = {
    "title_complaints_county": "本区县投诉", "title_complaints_school": "本校提交的投诉",
    "title_patrols_county": "本区县巡课记录", "title_patrols_school": "本校巡课记录",
    "complaints_intro": ("可按机构名称、投诉内容或查询码搜索，按状态、机构筛选；"
                         "导出的 Excel 与筛选结果一致，匿名投诉不含投诉人信息。"),
    "patrols_intro": "可按机构名称、课程名称或巡课人搜索，按机构筛选；导出的 Excel 与筛选结果一致。",
    "complaints_hint": "机构名称、投诉内容或查询码", "patrols_hint": "机构名称、课程名称或巡课人",
    "status": "状态", "all_statuses": "全部状态", "provider": "机构", "all_providers": "全部机构", "filter": "筛选",
    # the Excel columns (times in Beijing time)
    "sheet_complaints": "投诉", "sheet_patrols": "巡课记录", "code": "查询码", "received_at": "收到时间（北京时间）",
    "source": "来源", "category": "类别", "course": "课程", "school": "学校", "overdue": "是否超期", "yes": "是", "no": "否",
    "assign_by": "指派期限", "resolve_by": "办结期限", "text": "投诉内容", "complainant": "投诉人", "phone": "联系电话",
    "anonymous": "匿名", "handler": "处理人", "finding": "结论", "resolution": "处理结果", "resolved_at": "办结时间（北京时间）",
    "shared": "已告知机构", "day": "巡课日期", "term": "学期", "kind": "巡课类型", "patroller": "巡课人", "rating": "评分",
    "problems": "发现问题", "ok": "正常", "notes": "备注", "photos": "照片数", "recorded_at": "记录时间（北京时间）",
    "photo_links": "照片", "photo": "照片{n}", "kind_school": "学校巡课", "kind_county": "教育局督查",
}

COMPLAINT = {
    "title": "投诉详情", "code": "查询码", "status": "状态", "category": "类别", "source": "来源", "text": "投诉内容",
    "contact": "联系人", "anonymous": "匿名", "course": "涉及课程", "provider": "涉及机构", "school": "学校",
    "assign_by": "指派期限", "resolve_by": "办结期限", "overdue": "已超期", "handler": "处理人",
    "investigation": "调查情况", "finding": "结论", "resolution": "处理结果", "steps": "处理记录",
    "at": "时间", "action": "步骤", "note": "说明", "assign": "指派处理人", "assign_note": "指派说明",
    "investigate": "登记调查情况", "resolve": "办结", "visible": "已告知机构", "hidden": "未告知机构",
    "share": "告知被投诉机构（不显示投诉人）", "unshare": "取消告知", "submit": "提交",
}

PUBLIC = {
    "title": "投诉与建议", "intro": "对课后服务机构或课程有意见，可在此投诉。可以匿名；实名投诉请留下姓名和电话，便于回访。",
    "county": "区县", "category": "类别 *", "text": "投诉内容 *（至少5个字）", "anonymous": "匿名投诉（不留姓名和电话）",
    "contact_name": "姓名", "contact_phone": "联系电话", "provider": "涉及机构（可不选）", "choose": "不指定",
    "submit": "提交投诉", "track": "查询处理进度", "tracking_code": "查询码", "search": "查询",
    "keep_code": "请记下查询码，凭码查询处理进度：", "status": "状态", "received": "收到日期", "resolve_by": "办结期限",
    "finding": "结论", "resolution": "处理结果", "not_found": "未找到该查询码对应的投诉。",
    "track_title": "投诉进度查询", "track_intro": "输入提交投诉时获得的查询码。",
}

CATEGORY = {"fees": "收费问题", "safety": "安全问题", "teaching": "教学质量", "conduct": "人员言行", "academic": "学科类培训",
            "other": "其他"}
STATUS = {"received": "已受理", "assigned": "已指派", "investigated": "已调查", "resolved": "已办结"}
FINDING = {"substantiated": "查实", "partly": "部分查实", "unsubstantiated": "未查实"}
SOURCE = {"parent": "家长", "school": "学校", "public": "社会公众"}
SEVERITY = {"minor": "一般", "serious": "较大", "major": "重大"}
STEP = {"receive": "受理", "assign": "指派", "investigate": "调查", "resolve": "办结", "share": "告知机构",
        "unshare": "取消告知"}
CHECK = {"instructor_present": "教师未到岗", "instructor_matches": "替课", "on_topic": "内容不符", "non_academic": "学科类教学",
         "safety_ok": "安全隐患"}

DONE = {
    "patrol": "巡课记录已提交。", "complaint": "投诉已提交，查询码：{code}。", "assign": "已指派处理人。",
    "investigate": "调查情况已登记。", "resolve": "投诉已办结。", "visibility": "已更新告知机构的设置。",
    "incident": "安全事件已报告。", "incident_closed": "安全事件已结案。",
}

ERRORS = {"action": "未知的操作。", "datetime": "「{label}」须为日期时间，如 2026-11-24 16:30。",
          "provider": "机构筛选条件无效。"}
