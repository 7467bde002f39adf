"""Every piece of Chinese interface text of the attendance pages (kehou/plugins/course_catalogue/views_attendance.py):
the school's classes and today's lessons, one class, marking a lesson, and the parent's confirmation. Each page gets
the catalogue's ``NAV`` merged with its own dictionary as ``t``; flash messages and form errors are at the end.
(The service's own refusals, such as a lesson not yet begun, come with their message from
:mod:`kehou.plugins.course_catalogue.lessons`.)"""

from __future__ import annotations

#: a child's mark, the parent's answer, a lesson's and a class's state
STATUS = {"present": "出勤", "absent": "缺勤", "leave": "请假"}
PARENT_STATUS = {"confirmed": "家长已确认", "disputed": "家长有异议"}
LESSON_STATUS = {"scheduled": "待上课", "delivered": "已签到上课", "cancelled": "已取消"}
ENTRY_STATUS = {"open": "开课中", "cancelled": "已取消开班", "merged": "已并班"}

#: shared by the pages
COMMON = {
    "day": "{m}月{d}日 {w}", "today_badge": "今天", "course": "课程", "time": "时间", "venue": "地点",
    "provider": "授课机构", "instructor": "授课教师", "counts": "出勤 {p} · 缺勤 {a} · 请假 {l}",
    "not_marked": "未点名", "marked_part": "已点名 {n}/{m}", "disputed_n": "{n} 条家长异议", "beijing": "（北京时间）",
}

SCHOOL = COMMON | {
    "title": "考勤",
    "intro": "每节课后由学校为全班点名：出勤、缺勤或请假（请假须写原因）。"
             "考勤是退费和机构结算的依据，家长会收到记录并可确认或提出异议。",
    "today": "今天要点名的课", "today_none": "今天没有课。", "mark": "点名", "view": "查看", "enrolled": "在读 {n} 人",
    "classes": "各班考勤", "term": "学期", "switch": "切换", "slots": "上课时间", "unmarked_n": "{n} 节课待点名",
    "no_terms": "本校还没有发布课程超市；发布后，各班和课次会列在这里。", "no_classes": "本学期没有开设班级。",
    "open": "班级名单和课次", "no_students": "无在读学生",
}

ENTRY = COMMON | {
    "title": "班级", "back": "返回考勤", "category": "类别", "slots": "上课时间", "grades": "年级", "term": "学期",
    "size": "在读人数", "status": "班级状态", "roster": "学生名单（{n}人）", "name": "姓名", "grade": "年级",
    "class_name": "班级", "roster_none": "还没有学生选这门课。", "roster_note": "家长联系方式请在学生名册中查看。",
    "lessons": "课次", "past": "已上和今天的课次", "upcoming": "以后的课次（{n}节）", "no_lessons": "还没有课次。",
    "no_past": "还没有上过课。", "lesson_status": "课次状态", "attendance": "考勤", "open": "点名", "view": "查看",
}

MARK = COMMON | {
    "title": "点名", "back_entry": "返回班级", "back_all": "返回考勤", "lesson_status": "课次状态",
    "teacher": "签到教师", "none": "—", "late_check_in": "迟到签到",
    "intro": "为每位学生选择出勤、缺勤或请假（请假须写原因），再按“保存考勤”。",
    "all_hint": "全班都到了：直接按“全部出勤”。没有选择的学生记为出勤，已选的按所选保存。",
    "remark": "本节课已经点过名，下面是已保存的考勤；修改后保存即可（改动的记录家长需重新确认）。",
    "saved": "已点名 {n}/{m}，最后保存于 {at}（北京时间）。",
    "future": "这节课还没到上课日期，上课当天起才能点名。",
    "cancelled": "这节课已取消，无需点名。",
    "nobody": "这个班还没有在读学生，无需点名。",
    "reason": "原因（请假必填）", "reason_hint": "如：感冒发烧",
    "save": "保存考勤", "all_present": "全部出勤",
    "parent_note": "家长说明：{note}",
    "former": "已不在本班的学生（保留原考勤记录）",
}

PARENT = COMMON | {
    "title": "考勤确认",
    "intro": "学校每节课后为孩子记录考勤。请核对：无误请按“确认无误”；与实际不符请按“有异议”并说明情况，学校会核实。",
    "no_children": "学校尚未为您的账号关联孩子，请联系孩子所在学校。",
    "awaiting": "待确认（{n}）", "answered": "已处理的记录", "none": "还没有考勤记录。",
    "none_awaiting": "没有待确认的记录。", "status": "考勤", "reason": "原因", "confirm": "确认无误", "dispute": "有异议",
    "note": "请说明情况 *", "note_hint": "如：孩子当天在校上课，请核实", "send": "提交异议",
    "confirmed": "已确认", "disputed": "已提出异议", "answered_at": "{at}（北京时间）", "your_note": "您的说明",
}

#: flash messages after an action
DONE = {
    "marked": "已保存「{title}」{day}的考勤：出勤 {p} 人，缺勤 {a} 人，请假 {l} 人。",
    "confirmed": "已确认{name}{day}「{title}」的考勤。",
    "disputed": "已提交异议，学校将核实{name}{day}「{title}」的考勤。",
}

#: errors in form input the web layer itself finds (everything else comes from the services)
ERRORS = {
    "entry": "班级不存在。", "lesson": "课次不存在。", "record": "考勤记录不存在。",
    "status": "请为{name}选择出勤、缺勤或请假。",
    "about": "{name}：{message}",
    "nobody": "这个班没有在读学生，无需点名。",
    "answer": "请选择“确认无误”或“有异议”。",
}
