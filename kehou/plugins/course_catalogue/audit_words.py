"""The course catalogue's words in the audit log (``kehou_register_audit_vocabulary``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.pluginapi import AuditVocabulary


def _offerings(session: Session, ids: list[int]) -> dict[int, str]:
    from kehou.plugins.course_catalogue.models import Offering

    return dict(session.execute(select(Offering.id, Offering.title).where(Offering.id.in_(ids))).all())


def _entries(session: Session, ids: list[int]) -> dict[int, str]:
    from kehou.plugins.course_catalogue.models import Entry, Offering

    rows = session.execute(select(Entry.id, Offering.title).join(Offering, Offering.id == Entry.offering_id)
                           .where(Entry.id.in_(ids))).all()
    return dict(rows)


def _menus(session: Session, ids: list[int]) -> dict[int, str]:
    from kehou.platform.counties.models import School
    from kehou.plugins.course_catalogue.models import Menu

    rows = session.execute(select(Menu.id, School.name, Menu.term_name).join(School, School.id == Menu.school_id)
                           .where(Menu.id.in_(ids)))
    return {i: f"{school} {term}" for i, school, term in rows}


def _lessons(session: Session, ids: list[int]) -> dict[int, str]:
    from kehou.plugins.course_catalogue.models import Entry, Lesson, Offering

    rows = session.execute(select(Lesson.id, Offering.title, Lesson.day).join(Entry, Entry.id == Lesson.entry_id)
                           .join(Offering, Offering.id == Entry.offering_id).where(Lesson.id.in_(ids)))
    return {i: f"{title} {day}" for i, title, day in rows}


NAMERS: dict[str, Any] = {"course_offering": _offerings, "course_entry": _entries, "course_menu": _menus, "menu": _menus,
                          "lesson": _lessons}

VOCABULARY = AuditVocabulary(
    actions={
        "attendance.mark": "记录考勤", "attendance.confirm": "家长确认考勤", "attendance.dispute": "家长对考勤提出异议",
        "enrol": "选课", "entry.cancel": "取消开班", "entry.end_by_exit": "因机构退出停课", "entry.merge": "合并班级",
        "lesson.check_in": "授课人员签到", "menu.classes_checked": "核对开班人数", "menu.create": "创建课程超市",
        "menu.place": "课程上架", "menu.publish": "发布课程超市", "menu.remove": "课程下架", "offering.approve": "审核课程",
        "offering.override": "推翻自动审查阻止并通过课程",
        "offering.create": "提交课程", "offering.withdraw": "撤回课程", "selection.queue_drawn": "选课排队抽序",
        "selection.rank": "填报选课志愿", "selection.allocate": "摇号分配（待发布）", "selection.publish": "发布摇号分配结果",
        "no_show.warn": "未到课提醒家长", "no_show.answer": "家长说明未到课", "no_show.keep": "保留未到课学生名额",
        "no_show.release": "释放未到课学生名额",
    },
    entities={"course_offering": "课程", "course_entry": "开班", "course_menu": "课程超市", "menu": "课程超市",
              "lesson": "课次", "attendance": "考勤记录", "no_show_case": "未到课记录"},
    fields={"capacity": "容量", "sessions_per_week": "每周次数", "minutes": "每次时长（分钟）", "weekday": "星期",
            "start": "开始时间", "end": "结束时间", "day": "日期", "instructor_id": "授课人员", "substitute": "代课",
            "staff_id": "签到人员", "into": "并入班级", "parent_status": "家长确认", "seed": "抽序种子",
            "seed_hash": "种子摘要", "tickets": "排队人数", "changed": "改动前", "absences": "无故缺勤次数",
            "deadline": "说明期限"},
    names=NAMERS,
)
