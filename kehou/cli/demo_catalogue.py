"""Demo data of the course catalogue: 西湖区 switches it on, four admitted providers offer courses,
西湖区第1小学 publishes its course supermarket with the selection window open, and parent01's two
children (grades 3 and 5) can choose. Everything goes through the real services.

Attendance (last, so that the bills and surveys of the other demo parts count only parent02's twenty): parent01's
children also join the football class, which has held its lessons of the last three weeks (the instructor checked
in, school01 marked them) and has one today for school01 to mark; parent01 has confirmed one record and has the
others to confirm or dispute."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.calendar.services import load as load_calendar
from kehou.platform.context import Context
from kehou.platform.policy import services as policy
from kehou.platform.providers.models import Provider, Staff
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue import enrolment, lessons, menus, offerings, terms
from kehou.plugins.course_catalogue.models import Enrolment, EnrolmentStatus, Entry, Lesson, Menu, Slot
from kehou.timeutil import SHANGHAI, clock, utcnow

MAIN = "330106"
#: provider name, staff index, title, category, grades, fee (yuan), materials [(item, yuan)], weekday, start
COURSES = [
    ("西湖少儿书画院", 0, "少儿软笔书法", "优秀传统文化", [3, 4, 5, 6], 300, [("毛笔", 15), ("毛边纸", 5)], 0, "16:00"),
    ("西湖少儿书画院", 1, "儿童水墨画", "优秀传统文化", [1, 2, 3], 280, [("国画颜料", 20)], 1, "16:00"),
    ("杭州青少年足球俱乐部", 0, "校园足球", "体育艺术", [1, 2, 3, 4, 5, 6], 260, [], 2, "16:00"),
    ("西湖区青少年宫", 0, "童声合唱", "体育艺术", [2, 3, 4, 5, 6], 240, [], 3, "16:00"),
    ("西湖区青少年宫", 1, "趣味科学实验", "科普", [3, 4, 5, 6], 320, [("实验材料包", 40)], 3, "16:00"),
    ("浙江自然博物院科普部", 0, "自然探索与标本制作", "科普", [4, 5, 6], 200, [("标本盒", 10)], 4, "16:00"),
]
DESCRIPTIONS = {
    "少儿软笔书法": "从执笔、基本笔画到楷书结构，感受汉字之美。",
    "儿童水墨画": "以花鸟、蔬果为题材，体验水墨的浓淡干湿。",
    "校园足球": "球感、传接球与小场地比赛，培养团队合作。",
    "童声合唱": "发声练习与多声部合唱，期末举办汇报演出。",
    "趣味科学实验": "动手做实验，观察现象、提出问题、记录结果。",
    "自然探索与标本制作": "走进自然博物院藏品，学习昆虫与植物标本制作。",
}


def load(ctx: Context) -> None:
    with ctx.db.write_session() as s:
        decider = accounts.actor_for(s.scalars(select(User).where(User.username == "xh_decider")).one())
        reviewer = accounts.actor_for(s.scalars(select(User).where(User.username == "xh_reviewer1")).one())
        school_admin = accounts.actor_for(s.scalars(select(User).where(User.username == "school01")).one())
        policy.put(s, ctx.registry, decider, scope=MAIN, key="plugins.enabled",
                   value=["course_catalogue", "billing_cap", "outcome_reporting"], effective_from=clock.today_local(),
                   reason="本区启用课程超市（选课）、课后服务收费与成效评价")
        school_id = school_admin.school_id
        assert school_id is not None
        menu = menus.create_menu(ctx, s, school_admin, school_id, menus.MenuInput(
            opens_at=utcnow() - dt.timedelta(hours=1), closes_at=utcnow() + dt.timedelta(days=7),
            service_start="15:30", service_end="17:40", homework_minutes=40))
        for name, staff_no, title, category, grades, fee, materials, weekday, start in COURSES:
            provider = s.scalars(select(Provider).where(Provider.name == name)).one()
            org_user = s.scalars(select(User).where(User.provider_id == provider.id)).first()
            assert org_user is not None, f"the demo provider {name} has no user"
            org = accounts.actor_for(org_user)
            staff = list(s.scalars(select(Staff.id).where(Staff.provider_id == provider.id).order_by(Staff.id)))[staff_no]
            o = offerings.create(ctx, s, org, offerings.OfferingInput(
                county_code=MAIN, title=title, category=category, description=DESCRIPTIONS[title], grades=grades,
                sessions_per_week=1, minutes=60, capacity=30, fee_fen=fee * 100, instructor_id=staff,
                materials_fee_fen=sum(y for _, y in materials) * 100,
                materials=[{"item": i, "fen": y * 100} for i, y in materials], school_requirements="教室一间"))
            offerings.review(ctx, s, reviewer, o.id, approve=True, reason="")
            menus.place(ctx, s, school_admin, menu.id, menus.PlaceInput(
                offering_id=o.id, venue=f"{title}教室", capacity=30, slots=[menus.SlotInput(weekday, start)]))
        menus.publish(ctx, s, school_admin, menu.id)
        for no, (name, grade, priority) in enumerate([("王小明", 3, None), ("王小红", 5, "migrant")], start=1):
            child = students.add_student(s, school_admin, school_id, students.StudentInput(
                student_no=f"X2026{no:04d}", name=name, grade=grade, class_name=f"{grade}年级1班", priority_group=priority))
            students.link_guardian(s, school_admin, child.id, "parent01", "母亲")
        classmates = accounts.create_user(s, Actor.system("demo"), username="parent02", display_name="李家长",
                                          password="Kehou-demo-2026", role="parent", county_code=MAIN, school_id=school_id)
        first = None
        for no in range(3, 23):  # classmates already chose: seats fill up on the popular courses
            kid = students.add_student(s, school_admin, school_id, students.StudentInput(
                student_no=f"X2026{no:04d}", name=f"同学{no:02d}", grade=4, class_name="4年级2班"))
            students.link_guardian(s, school_admin, kid.id, classmates.username)
            first = first or kid.id
        kids = list(range(first or 0, (first or 0) + 20))
    parent02 = accounts.actor_for(classmates)
    with ctx.db.read_session() as s:
        from kehou.plugins.course_catalogue import queries

        football = next(e["id"] for e in queries.entries(s, menu_id=menu.id) if e["title"] == "校园足球")
    for kid_id in kids:
        with ctx.db.write_session() as s:
            enrolment.enroll(ctx, s, parent02, kid_id, football)
    from kehou.cli import demo_billing

    demo_billing.load(ctx, school_admin, menu.term_name)
    from kehou.cli import demo_exits

    demo_exits.load(ctx, school_admin)
    from kehou.cli import demo_outcome

    demo_outcome.load(ctx, school_admin, menu.term_name)
    attendance(ctx, school_admin, football)


#: parent01's children's marks, lesson by lesson from the oldest (the classmates are present but for one)
MARKS = {"王小明": [("present", ""), ("leave", "发烧，家长电话请假"), ("present", "")],
         "王小红": [("present", ""), ("present", ""), ("absent", "")]}
WEEKS_HELD = 3


@contextmanager
def at(day: dt.date, hh: int, mm: int) -> Iterator[None]:
    """The clock on ``day`` at hh:mm Beijing time for the services inside, then back."""
    delta = dt.datetime.combine(day, dt.time(hh, mm), SHANGHAI) - clock.now()
    clock.advance(delta)
    try:
        yield
    finally:
        clock.advance(-delta)


def attendance(ctx: Context, school_admin: Actor, football: int) -> None:
    with ctx.db.read_session() as s:
        parent = accounts.actor_for(s.scalars(select(User).where(User.username == "parent01")).one())
        kids = {k.name: k.id for k in students.children_of(s, parent)}
        entry = s.get(Entry, football)
        assert entry is not None
        org_user = s.scalars(select(User).where(User.provider_id == entry.provider_id).order_by(User.id)).first()
        assert org_user is not None
        org = accounts.actor_for(org_user)
    for kid in kids.values():
        with ctx.db.write_session() as s:
            enrolment.enroll(ctx, s, parent, kid, football)
    today = clock.today_local()
    with ctx.db.write_session() as s:  # the weeks before the platform: lessons as the term calendar had them
        menu = s.get(Menu, entry.menu_id)
        slot = s.scalars(select(Slot).where(Slot.entry_id == football)).one()
        assert menu is not None
        settings = policy.resolve_all(s, ctx.registry, MAIN)
        held = terms.lesson_days(settings, load_calendar(s, MAIN), max(menu.term_start, today - dt.timedelta(weeks=WEEKS_HELD)),
                                 today - dt.timedelta(days=1), slot.weekday)
        for day in held:
            s.add(Lesson(entry_id=football, day=day, start_min=slot.start_min, end_min=slot.end_min, status="scheduled"))
        # and the children on the course since the first of those weeks (chosen on paper before the platform)
        since = dt.datetime.combine(held[0] if held else today, dt.time(8, 0), SHANGHAI).astimezone(dt.UTC)
        for e in s.scalars(select(Enrolment).where(Enrolment.entry_id == football, Enrolment.enrolled_at.is_not(None))):
            e.enrolled_at = e.requested_at = since
        if s.scalars(select(Lesson).where(Lesson.entry_id == football, Lesson.day == today)).first() is None:
            s.add(Lesson(entry_id=football, day=today, start_min=slot.start_min, end_min=slot.end_min,  # a make-up lesson
                         status="scheduled"))
        s.commit()
        past = list(s.scalars(select(Lesson).where(Lesson.entry_id == football, Lesson.day < today).order_by(Lesson.day)))
        roster = [e.student_id for e in s.scalars(select(Enrolment).where(
            Enrolment.entry_id == football, Enrolment.status == EnrolmentStatus.enrolled).order_by(Enrolment.id))]
    for n, lesson in enumerate(past[-WEEKS_HELD:]):
        with at(lesson.day, 15, 55), ctx.db.write_session() as s:
            lessons.check_in(ctx, s, org, lesson.id, entry.instructor_id)
        marks = [lessons.Mark(sid, "absent" if i == n + 3 else "present") for i, sid in enumerate(roster)
                 if sid not in kids.values()]
        marks += [lessons.Mark(kids[name], *MARKS[name][n]) for name in kids]
        with at(lesson.day, 17, 5), ctx.db.write_session() as s:
            lessons.mark(s, school_admin, lesson.id, marks)
    if past:
        with ctx.db.write_session() as s:
            lessons.respond(s, parent, past[-WEEKS_HELD:][0].id, kids["王小明"], confirm=True)
        from kehou.cli import demo_billing

        demo_billing.after_lessons(ctx, school_admin, menu.term_name, past[-WEEKS_HELD:][0].day)
