"""Every piece of Chinese interface text of the surveys and showcase pages, in one place.

Each page gets ``NAV`` merged with its own dictionary as ``t``; messages shown after an action
(flash) are in ``DONE``.
"""

from __future__ import annotations

NAV = {
    "area": "满意度与结业汇报", "parent_surveys": "满意度问卷", "school_surveys": "满意度测评", "county_surveys": "满意度测评",
    "provider_surveys": "测评结果", "provider_showcase": "结业汇报", "school_showcase": "结业汇报审核",
    "empty": "暂无", "none": "—", "beijing": "（北京时间）", "disabled": "本区县未启用课后服务成效评价功能。",
}

SCALE = {1: "非常不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"}
STUDENT_SCALE = {1: "很不喜欢", 2: "不太喜欢", 3: "一般", 4: "喜欢", 5: "非常喜欢"}
RESPONDENTS = {"parent": "家长问卷", "student": "学生问卷（请孩子本人填写）"}
REASONS = {"term_end": "学期末", "on_demand": "区县发起"}

PARENT = {
    "title": "满意度问卷",
    "intro": "请为孩子本学期参加的每门课后服务课程填写问卷。问卷匿名：机构只能看到汇总结果，看不到填写人。",
    "closes": "截止", "course": "课程", "done": "已填写", "comment": "意见建议（选填，请勿填写姓名等个人信息）",
    "submit": "提交问卷", "no_tasks": "目前没有需要填写的问卷。", "student_hint": "请把手机交给孩子，由孩子本人作答。",
    "showcase": "结业汇报（课程成果展示）",
}

SCHOOL = {
    "title": "满意度测评", "intro": "测评期间请对本学期在本校提供课后服务的每家机构作出评价（每家一次）。",
    "rounds": "测评轮次", "term": "学期", "reason": "类型", "period": "时间", "open": "进行中", "closed": "已结束",
    "view": "查看", "rate": "评价机构", "provider": "机构", "courses": "课程", "rated": "已评价，得分",
    "comment": "评价意见（选填）",
    "submit": "提交评价", "results": "本校各课程结果", "parents": "家长", "students": "学生", "count": "份数",
    "mean": "平均得分", "satisfied": "满意率", "hidden": "少于3份，不显示", "no_rounds": "暂无测评。",
    "no_providers": "本学期本校没有机构课程。",
}

COUNTY = {
    "title": "满意度测评",
    "intro": "学期末系统自动发起测评；也可随时为某一学期发起一轮。家长、学生（按年级设置）和学校分别填写。",
    "open_new": "发起测评", "term": "学期", "submit": "发起", "rounds": "测评轮次", "reason": "类型", "period": "时间",
    "open": "进行中", "closed": "已结束", "view": "查看结果", "by_provider": "按机构", "by_school": "按学校", "name": "名称",
    "parents": "家长（份数/平均得分/满意率）", "students": "学生（份数/平均得分/满意率）", "ratings": "学校评价（份数/平均得分）",
    "no_rounds": "暂无测评。", "no_terms": "本区县还没有已发布的课程超市。",
}

PROVIDER = {
    "title": "满意度测评结果", "intro": "测评结束后显示各课程的匿名汇总；少于3份的课程不显示，以保护填写人。",
    "course": "课程", "parents": "家长", "students": "学生", "count": "份数", "mean": "平均得分", "satisfied": "满意率",
    "comments": "意见建议", "hidden": "少于3份，不显示", "no_rounds": "暂无已结束的测评。",
}

SHOWCASE_PROVIDER = {
    "title": "结业汇报", "intro": "为本机构的每门课程上传学生作品、课堂照片或短视频；学校审核发布后，选课学生的家长可以看到。",
    "course": "课程", "school": "学校", "items": "已上传", "kind": "类型", "title_in": "标题 *", "description": "说明（选填）",
    "file": "文件 *（作品：PDF/JPEG/PNG；照片：JPEG/PNG；视频：MP4，不超过50 MB）", "upload": "上传", "status": "状态",
    "no_courses": "暂无已发布的课程。",
}

SHOWCASE_SCHOOL = {
    "title": "结业汇报审核", "intro": "机构上传的作品、照片和视频经本校发布后，选课学生的家长才能看到；可随时撤下。",
    "course": "课程", "kind": "类型", "item": "内容", "status": "状态", "open": "查看", "publish": "发布", "withdraw": "撤下",
    "reason": "撤下理由", "empty": "暂无上传内容。",
}

SHOWCASE_PARENT = {
    "title": "结业汇报", "intro": "孩子所选课程的学期成果展示。", "open": "查看原件", "empty": "这门课还没有发布的展示内容。",
    "no_courses": "孩子本学期没有参加课程。",
}

DONE = {
    "answered": "感谢您的反馈，问卷已提交。", "rated": "评价已提交。", "opened": "已发起满意度测评，家长将收到通知。",
    "uploaded": "已上传，等待学校审核发布。", "duplicate": "同一文件已上传过。", "published": "已发布，家长可以看到。",
    "withdrawn": "已撤下。",
}
