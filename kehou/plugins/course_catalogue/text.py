"""Every piece of Chinese interface text of the course catalogue's web pages, in one place.

Each page gets ``NAV`` merged with its own dictionary as ``t``; messages shown after an action
(flash) and the form errors the web layer raises are at the end.
"""

from __future__ import annotations

NAV = {
    "catalogue": "课程超市", "offerings": "我的课程", "lessons": "今日课次", "provider_classes": "我的班级",
    "desk_offerings": "课程审核",
    "menus": "课程超市管理", "students": "学生名册", "no_show": "未到课处理", "children": "我的孩子", "empty": "暂无",
    "grade_suffix": "年级", "none": "—", "to": "至", "beijing": "（北京时间）",
}

OFFERINGS = {
    "title": "我的课程", "intro": "在已准入的区县发布课程；经教育局审核通过后，学校可将课程排入本校课程超市。",
    "list": "已发布的课程", "course": "课程", "county": "区县", "category": "类别", "grades": "适用年级",
    "schedule": "课时", "capacity": "班额上限", "fee": "每学期课程费", "materials_fee": "材料费", "status": "状态",
    "reason": "审核意见", "auto_reason": "系统自动提示（非教育局意见）", "withdraw": "撤下",
    "withdraw_reason": "撤下原因（可不填）",
    "new": "发布新课程", "not_admitted": "贵机构尚未在任何区县准入（或准入已暂停、到期），暂不能发布课程。",
    "choose_county": "选择区县", "choose": "选择", "name": "课程名称 *",
    "description": "课程简介（不得含学科类培训或商业推广内容）",
    "sessions": "每周课次 *（1-5）", "minutes": "每次时长（分钟）*（20-120）", "capacity_in": "班额上限（人）*",
    "fee_in": "每学期课程费（元）*，不含材料费", "materials": "材料清单（选填；材料费按清单合计）", "item": "材料名称",
    "item_fee": "金额（元）", "instructor": "授课教师 *", "instructor_hint": "须为资格证书和无犯罪记录证明已审核通过的在职人员。",
    "requirements": "对学校的要求（场地、设备等）", "create": "提交课程",
    "review_request": "申请人工复核", "review_request_why": "如自动审查阻止了此课程而您认为属误判，请说明理由",
    "review_request_hint": "仅在被阻止时使用：课程将交由教育局有决定权限的人员决定；未被阻止时此项不影响审核。",
    "per_week": "每周{n}次 × {m}分钟",
    "no_staff": "请先在“本机构”页面登记授课人员并上传证件。",
}

LESSONS = {
    "title": "今日课次",
    "intro": "授课教师到校后在此签到。签到时段由区县规定（默认上课前30分钟至开课后15分钟）；超过时段签到算迟到，"
             "须填写原因，学校会收到提示。签到教师须经审核。",
    "time": "时间", "course": "课程", "school": "学校", "venue": "地点", "status": "状态", "teacher": "签到教师",
    "check_in": "签到", "empty": "今天没有课次。", "late_reason": "迟到原因（迟到时必填）", "late": "迟到签到",
}
LESSON_STATUS = {"scheduled": "待上课", "delivered": "已签到", "cancelled": "已取消"}

DESK = {
    "title": "课程审核", "intro": "机构发布的课程经审核通过后，方可进入本区县学校的课程超市。",
    "pending": "待审核课程", "provider": "机构", "course": "课程", "instructor": "授课教师",
    "warnings": "自动核查提示", "approve": "通过", "reject": "不通过", "try_title": "试审课程名称",
    "approve_reason": "通过理由（有自动审查提醒时必填）", "override": "推翻阻止并通过",
    "override_needs_decider": "自动审查阻止的课程，须由有决定权限的人员决定是否推翻。", "review_request": "机构的复核申请",
    "reason": "理由（不通过时必填）",
    "empty": "没有待审核的课程。", "submitted": "提交时间", "per_week": "每周{n}次 × {m}分钟", "capacity": "班额{n}人",
    "fee": "每学期课程费", "materials": "材料费", "requirements": "对学校的要求",
    # the list: search, status filter, pager, Excel export
    "list": "课程列表", "all_statuses": "全部状态", "status": "状态", "filter": "筛选", "search_hint": "课程名称或机构名称",
    "none_found": "没有符合条件的课程。", "review_reason": "审核意见", "category": "类别",
    "sheet": "课程审核", "file": "offerings", "fee_yuan": "每学期课程费（元）", "submitted_bj": "提交时间（北京时间）",
}

MENUS = {
    "title": "课程超市管理", "selection_mode": "选课方式",
    "intro": "每学期建立一个课程超市：从教育局审核通过的课程中选择、排课，发布后家长在选课时间内为孩子选课。",
    "list": "本校课程超市", "term": "学期", "window": "选课时间", "service": "课后服务时段", "status": "状态", "open": "管理",
    "print": "打印版", "new": "新建课程超市", "opens_at": "选课开始（北京时间）*", "closes_at": "选课截止（北京时间）*",
    "service_start": "课后服务开始 *", "service_end": "课后服务结束 *", "homework": "作业辅导（分钟，不超过一课时）",
    "term_day": "学期内任一日期（不填为今天所在学期）", "create": "新建",
}
MENU_STATUS = {"draft": "草稿（家长不可见）", "published": "已发布"}

BUILDER = {
    "allocation": "摇号分配", "allocation_hint": "本课程超市采用填报志愿后摇号分配：截止后在此分配、核对并发布",
    "title": "课程超市", "back": "返回课程超市列表", "window": "选课时间",
    "service": "课后服务时段", "homework": "作业辅导", "minutes": "分钟", "status": "状态", "publish": "发布课程超市",
    "publish_confirm": "发布后家长即可看到课程并按时选课。确定发布吗？",
    "cancel_confirm": "取消后已选该课的学生将被退课并收到通知。确定取消这门课吗？",
    "publish_hint": "发布后家长即可在选课时间内选课，课次按校历生成。", "print": "打印 / 分享给家长",
    "entries": "已排课程", "course": "课程", "slots": "上课时间", "venue": "地点", "grades": "年级",
    "enrolled": "已选/班额", "fee": "课程费", "entry_status": "状态", "undersized": "人数不足",
    "cancel": "取消开班", "cancel_reason": "取消原因 *", "merge": "合并到", "merge_reason": "合并说明 *",
    "remove": "移除",
    "offerings": "可选课程（教育局已审核）", "search": "搜索课程名称", "search_button": "搜索", "clear": "清除",
    "instructor": "授课教师", "per_week": "每周{n}次 × {m}分钟", "capacity_max": "班额上限",
    "materials_fee": "材料费", "requirements": "对学校的要求", "place": "排入课程超市", "weekday": "上课日",
    "start": "开始时刻", "session": "第{n}次", "venue_in": "上课地点 *", "capacity_in": "本校班额 *",
    "grades_in": "开放年级（不选为本校适用的全部年级）", "no_offerings": "没有符合条件的课程。",
}
ENTRY_STATUS = {"open": "开放", "cancelled": "已取消", "merged": "已合并"}

PRINT = {
    "title": "课程超市", "heading": "{school} {term} 课后服务课程超市", "window": "选课时间", "service": "课后服务时段",
    "course": "课程", "provider": "授课机构", "instructor": "教师", "grades": "年级", "slots": "上课时间", "venue": "地点",
    "capacity": "名额", "fee": "课程费（元/学期）", "materials_fee": "材料费（元）", "materials": "材料清单",
    "print": "打印", "back": "返回", "by_day": "按星期",
    "how": "请家长登录平台，在选课时间内为孩子选课；名额已满的课程可加入候补。",
    "notice": "课后服务坚持家长自愿原则；课程均由经教育局审核准入的机构提供，收费标准以本表为准。",
    "draft": "草稿，尚未发布",
}

PARENT = {
    "title": "我的孩子", "intro": "选择孩子，查看本学期可选的课后服务课程和课表。",
    "rank_link": "填报志愿", "rank_hint": "本学期采用填报志愿后摇号分配，与提交先后无关", "choose": "选课和课表",
    "none": "学校尚未为您的账号关联孩子，请联系孩子所在学校。",
}

CHILD = {
    "rank_link": "填报志愿", "rank_hint": "本学期采用填报志愿后摇号分配，与提交先后无关",
    "title": "选课", "window": "选课时间", "no_menu": "学校尚未发布本学期的课程超市。",
    "courses": "可选课程", "search": "搜索课程", "search_button": "搜索", "clear": "全部课程", "no_courses": "没有可选的课程。",
    "provider": "机构", "teacher": "教师", "slots": "上课时间", "venue": "地点", "fee": "课程费",
    "per_term": "元/学期", "materials_fee": "材料费", "seats": "剩余名额", "full": "已满",
    "enrol": "选课", "waitlist": "加入候补", "quit": "退课", "quit_waitlist": "退出候补",
    "quit_confirm": "确定退出这门课程吗？", "timetable": "一人一课表", "no_timetable": "还没有选课。",
    "waitlisted": "（候补）", "contracts": "三方协议", "contracts_intro": "学校、家长和服务机构三方签署后，选课方为最终确认。",
    "contract_signed": "已签署", "contract_draft": "待签署", "contract_none": "未生成", "contract_terminated": "已终止",
    "contract_open": "查看并签署",
    "queue_invite": "本次选课开始时排队入场：开始前取号的家长在开始时随机排序，早取晚取机会相同。",
    "queue_take": "取号排队", "queue_ticket": "您已取号，选课开始后按序入场。", "queue_view": "查看排队进度",
    "queue_waiting": "正在排队入场，请稍候。", "queue_must": "选课人数较多，正在排队入场：请先取号，轮到您后即可选课。",
    "queue_first": "先排队",
}

QUEUE = {
    "title": "排队候场", "menu": "课程超市", "opens": "选课开始时间",
    "before_open": "您已取号。选课开始时，所有开始前取号的家长将随机排序（早取晚取机会相同），然后按序入场。",
    "waiting": "正在排队入场", "position": "您的排队号", "ahead": "前面还有", "people": "位家长",
    "wait": "预计等待", "seconds": "秒", "minutes": "分钟", "refresh": "本页会自动刷新，请不要关闭；轮到您时自动进入选课页面。",
    "refresh_now": "立即刷新", "no_ticket": "您还没有取号。", "take": "取号排队",
    "closed": "选课已截止。", "back": "返回选课页面",
    "fair": "公平排序说明", "seed_hash": "随机种子的 SHA-256（开始前公布）", "seed": "随机种子（开始后公布）",
    "early": "开始前取号人数", "fair_how": "开始前取号的家长按 SHA-256(种子:排队票号) 从小到大排序，任何人可据此复核。",
}

#: flash messages after an action
DONE = {
    "queue_admitted": "轮到您了，请选课。", "queue_joined": "已取号。",
    "offering_created": "课程已提交，等待教育局审核。",
    "offering_warnings": "系统自动提示（并非教育局审核意见）：{warnings}",
    "offering_approved_at_once": "课程已发布（本区县无需审核）。",
    "offering_blocked_sent": "自动审查阻止了此课程；您的复核申请已提交，由教育局有决定权限的人员决定。",
    "offering_withdrawn": "课程已撤下。", "checked_in": "已签到。", "approved": "课程已审核通过。",
    "rejected": "课程未通过审核。", "menu_created": "课程超市已建立，请从下方选择课程排课。", "placed": "课程已排入课程超市。",
    "published": "课程超市已发布，家长可在选课时间内选课。", "cancelled": "已取消开班，已通知家长重新选课。",
    "merged": "班级已合并，已通知家长。", "removed": "课程已从课程超市移除。",
    "enrolled": "已选上「{title}」。",
    "waitlisted": "「{title}」已加入候补，有空位时将按顺序自动转为正式选上。", "already": "已经选过「{title}」。",
    "quit": "已退出「{title}」。",
}

#: errors in form input the web layer itself finds (everything else comes from the services)
ERRORS = {
    "yuan": "「{label}」须为金额（元），最多两位小数，如 300 或 12.50。",
    "datetime": "「{label}」须为日期和时刻，如 2026-03-02 08:00。",
    "date": "「{label}」须为日期，如 2026-03-02。",
    "material": "材料清单第{n}项须同时填写名称和金额。",
    "not_found": "课程不存在，或没有这个操作。",
}
