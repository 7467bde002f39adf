"""Hook implementations of the course catalogue: its county settings, routes and periodic tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehou.pluginapi import PeriodicTask, SettingColumn, SettingSpec, at_least, between, dict_items, hookimpl
from kehou.plugins.course_catalogue.models import SELECTION_MODE_LABELS


def _clock(value: Any) -> str | None:
    from kehou.plugins.course_catalogue.timewindow import parse_hhmm

    try:
        parse_hhmm(value)
    except ValueError:
        return "须为 HH:MM 格式的时刻，如 18:00。"
    return None


SETTINGS = [
    SettingSpec("catalogue.offering_approval", bool, True, "课程须经教育局审核后方可进入课程超市"),
    SettingSpec("catalogue.min_class_size", int, 30, "开班最低人数", "不足者在选课结束后提示学校跨年级合并或取消（003 方案7）",
                check=at_least(1), unit="people"),
    SettingSpec("catalogue.primary_end", str, "18:00", "小学课后服务最晚结束时刻", "002 篇1", check=_clock),
    SettingSpec("catalogue.junior_end", str, "18:30", "初中课后服务最晚结束时刻", "002 篇1", check=_clock),
    SettingSpec("catalogue.min_daily_minutes", int, 120, "每天课后服务不少于", "“5+2”模式，每天至少2小时（001、003）",
                check=between(0, 600), unit="minutes"),
    SettingSpec("catalogue.class_period_minutes", int, 45, "一课时的长度：作业辅导不超过一课时", "002 篇1",
                check=between(20, 60), unit="minutes"),
    SettingSpec("catalogue.priority_head_start_hours", int, 24, "优先保障群体提前选课",
                "残疾、留守、随迁、经济困难学生可提前选课；0 表示不提前", check=between(0, 720), unit="hours"),
    SettingSpec("catalogue.allow_midterm_join", bool, True, "学期中允许插班选课"),
    SettingSpec("catalogue.max_courses_per_student", int, 5, "每生每学期最多选课门数", check=between(1, 20), unit="courses"),
    SettingSpec("catalogue.term_calendar", list, [], "学期校历",
                "未设置时按默认学期：9月1日至次年1月31日、2月1日至8月31日", check=dict_items("name", "start", "end"),
                columns=(SettingColumn("name", "学期名称", unique=True), SettingColumn("start", "开始日期", dt.date),
                         SettingColumn("end", "结束日期", dt.date))),
    SettingSpec("catalogue.no_lesson_dates", list, [], "停课日期（如考试周）",
                "每行一个日期，如 2026-11-12；法定节假日已按国务院安排自动排除", items=dt.date),
    SettingSpec("catalogue.makeup_days", list, [], "调休上班日按周几课表上课",
                "未列出的周末调休日不排课", check=dict_items("date", "weekday"),
                columns=(SettingColumn("date", "调休上班日", dt.date, unique=True),
                         SettingColumn("weekday", "按此日课表", int,
                                       choices={"0": "周一", "1": "周二", "2": "周三", "3": "周四", "4": "周五"}))),
    SettingSpec("catalogue.check_in_open_minutes", int, 30, "授课教师最早可在上课前几分钟签到",
                "签到时段从上课前此分钟数开始", check=between(0, 240), unit="minutes"),
    SettingSpec("catalogue.check_in_grace_minutes", int, 15, "上课开始后几分钟内签到不算迟到",
                "超过后仍可签到，但须填写迟到原因，并提示学校", check=between(0, 240), unit="minutes"),
    SettingSpec("catalogue.selection_modes", list, ["first_come", "ranked_lottery"], "学校可采用的选课方式",
                "先到先得：选课时间内按提交先后录取；填报志愿后摇号：选课时间内填报志愿，截止后按公开可核验的抽签顺序分配",
                choices=SELECTION_MODE_LABELS, check=lambda v: None if v else "至少保留一种选课方式。"),
    SettingSpec("catalogue.selection_mode_default", str, "first_come", "学校未指定时的选课方式",
                choices=SELECTION_MODE_LABELS),
    SettingSpec("catalogue.ranked_max_choices", int, 5, "每名学生最多填报的志愿数", check=between(1, 10), unit="courses"),
    SettingSpec("catalogue.lottery_rounds", int, 2, "摇号分配轮数（每生最多录取门数）", check=between(1, 5), unit="courses"),
    SettingSpec("catalogue.lottery_snake", bool, True, "第二轮起按蛇形顺序分配",
                "第二轮倒序、第三轮正序……，使抽签靠后的学生在下一轮先选"),
    SettingSpec("catalogue.lottery_priority", str, "first", "优先群体（如困难家庭、留守儿童）的照顾方式",
                choices={"first": "优先群体排在抽签顺序最前", "reserved": "每门课程预留一定比例名额（第一轮）"}),
    SettingSpec("catalogue.lottery_reserved_percent", int, 0, "为优先群体预留的名额比例", "仅在“预留名额”方式下生效",
                check=between(0, 100), unit="percent"),
    SettingSpec("catalogue.lottery_boost_empty_handed", bool, False, "上学期未获任何课程的学生优先抽签",
                "上学期填报或报名了课程却一门也未录取的学生，在同一群体内排在抽签顺序前面"),
    SettingSpec("catalogue.lottery_siblings_together", bool, True, "同胞按同一抽签位次",
                "同一监护人的孩子在抽签顺序中相邻，尽量同时录取"),
    SettingSpec("catalogue.no_show_release", bool, False, "未到课释放名额",
                "开课后前几周内（学期中加入的从加入起算）无故缺勤达到次数的，提醒家长限期说明；逾期未说明的名额释放给候补学生，按退课规则结算"),
    SettingSpec("catalogue.no_show_absences", int, 3, "释放名额前的无故缺勤次数", "请假与家长已提出异议的考勤不计",
                check=between(1, 20), unit="lessons"),
    SettingSpec("catalogue.no_show_weeks", int, 4, "计算无故缺勤的开课后周数", check=between(1, 20), unit="weeks"),
    SettingSpec("catalogue.no_show_answer_days", int, 3, "家长说明期限", "自提醒发出起计算", check=between(1, 30),
                unit="days"),
    SettingSpec("catalogue.waiting_room", bool, True, "选课开始时排队候场",
                "开始前到达的家长取号，开始时随机排序，按放行速度依次进入选课；开始后到达的排在队尾"),
    SettingSpec("catalogue.queue_per_minute", int, 600, "候场每分钟放行人数",
                "按服务器可承受的选课速度设置（见部署文档的选课压测）", check=between(10, 100_000), unit="people_per_minute"),
]


@hookimpl
def kehou_register_settings() -> list[SettingSpec]:
    return SETTINGS


@hookimpl
def kehou_register_routes() -> list[Any]:
    from kehou.plugins.course_catalogue.api import API_ROUTES
    from kehou.plugins.course_catalogue.views import HTML_ROUTES
    from kehou.plugins.course_catalogue.views_attendance import ATTENDANCE_ROUTES
    from kehou.plugins.course_catalogue.views_noshow import NO_SHOW_ROUTES
    from kehou.plugins.course_catalogue.views_provider_classes import PROVIDER_CLASS_ROUTES
    from kehou.plugins.course_catalogue.views_roster import ROSTER_ROUTES

    return [*API_ROUTES, *HTML_ROUTES, *ATTENDANCE_ROUTES, *ROSTER_ROUTES, *NO_SHOW_ROUTES, *PROVIDER_CLASS_ROUTES]


@hookimpl
def kehou_register_periodic_tasks() -> list[PeriodicTask]:
    from kehou.plugins.course_catalogue.tasks import (
        allocate_closed,
        close_windows,
        no_show_sweep,
        promote_waitlists,
        provider_exited,
    )

    return [PeriodicTask("catalogue-close-windows", "kehou.catalogue.close_windows", 600.0, run=close_windows),
            PeriodicTask("catalogue-allocate-closed", "kehou.catalogue.allocate_closed", 600.0, run=allocate_closed),
            PeriodicTask("catalogue-no-show", "kehou.catalogue.no_show", 3600.0, run=no_show_sweep),
            PeriodicTask("catalogue-promote-waitlists", "kehou.catalogue.promote_waitlists", 60.0, run=promote_waitlists),
            PeriodicTask("catalogue-provider-exited", "kehou.catalogue.provider_exited", 0, run=provider_exited)]


@hookimpl
def kehou_provider_exited(provider_id: int, county_code: str, effective: dt.date) -> None:
    from kehou.tasks.app import enqueue

    enqueue("kehou.catalogue.provider_exited", provider_id=provider_id, county_code=county_code,
            effective=effective.isoformat())


@hookimpl
def kehou_anonymise_students(session: Any, student_ids: list[int]) -> None:
    from sqlalchemy import update

    from kehou.plugins.course_catalogue.models import Attendance, Enrolment, NoShowCase

    quiet = {"synchronize_session": False}
    session.execute(update(Attendance).where(Attendance.student_id.in_(student_ids)).values(reason="", parent_note="")
                    .execution_options(**quiet))
    session.execute(update(NoShowCase).where(NoShowCase.student_id.in_(student_ids)).values(answer="", close_reason="")
                    .execution_options(**quiet))
    session.execute(update(Enrolment).where(Enrolment.student_id.in_(student_ids)).values(ended_reason="")
                    .execution_options(**quiet))


@hookimpl
def kehou_register_commands() -> list[Any]:
    from kehou.plugins.course_catalogue.lottery.cli import COMMAND

    return [COMMAND]


@hookimpl
def kehou_register_audit_vocabulary() -> list[Any]:
    from kehou.plugins.course_catalogue.audit_words import VOCABULARY

    return [VOCABULARY]


@hookimpl
def kehou_retention_sweep(session: Any, county_code: str, due: dict[str, Any]) -> list[Any]:
    from kehou.plugins.course_catalogue.retention import sweep

    return sweep(session, county_code, due)
