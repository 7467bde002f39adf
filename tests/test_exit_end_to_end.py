"""An expulsion mid-term, end to end, through the HTTP API and a real Celery worker.

A provider teaches in three schools of the county, 200 children enrolled and billed, two lessons
delivered in each school. The bureau warns it, it answers, the bureau suspends it, a decision-maker
expels it, it appeals, another decision-maker rejects the appeal, and it exits. Afterwards none of
its courses can be seen, every family was told (with the alternatives its school offers), each
family is credited exactly the fees of the undelivered lessons, the ledger balances, the public
page shows the exit and its reason, it cannot apply again, and the audit chain verifies."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from celery import Celery
from sqlalchemy import select

from kehou.platform.accounts import services as accounts
from kehou.platform.agreements.models import Agreement
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.counties import services as counties
from kehou.platform.notifications.models import Notification
from kehou.platform.students import services as students
from kehou.platform.students.models import Guardian
from kehou.plugins.billing_cap import bills
from kehou.plugins.billing_cap.models import Bill, LedgerEntry, LedgerTxn
from kehou.plugins.course_catalogue import enrolment
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.course_catalogue.models import Enrolment, Entry, Lesson
from kehou.timeutil import SHANGHAI, clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.celery_support import worker
from tests.factories import ADMIN, COUNTY, PASSWORD, World
from tests.helpers import err, ok, token_headers

pytestmark = pytest.mark.usefixtures("ledger_balanced")
FEE = 30000
PER_SCHOOL = (67, 67, 66)
KIDS_PER_PARENT = 5


def build(ctx: Context, world: World) -> dict[str, list[int]]:
    """Three schools, each with the provider's course (and another provider's as the alternative)."""
    bs.enable(world)
    cs.admit(world, "provider")
    cs.admit(world, "other_provider")
    with ctx.db.write_session() as s:
        for n in (2, 3):
            school = counties.add_school(s, ADMIN, county_code=COUNTY, name=f"西湖第{n}小学", kind="primary")
            world.school_ids[f"school{n}"] = school.id
            world.users[f"school_admin{n}"] = accounts.create_user(
                s, ADMIN, username=f"school_admin{n}", display_name=f"第{n}小学管理员", password=PASSWORD,
                role="school_admin", county_code=COUNTY, school_id=school.id)
    calligraphy = cs.offering(world, "provider", "少儿软笔书法", capacity=70, fee_fen=FEE)
    chess = cs.offering(world, "other_provider", "少儿围棋", capacity=70, fee_fen=20000)
    out: dict[str, list[int]] = {"entries": [], "students": [], "menus": []}
    # one instructor each: the provider's teaches Monday, Tuesday, Thursday; the other's Wednesday, Friday, Thursday
    for (school, admin), count, (day, chess_day) in zip((("school", "school_admin"), ("school2", "school_admin2"),
                                                        ("school3", "school_admin3")), PER_SCHOOL, ((0, 2), (1, 4), (3, 3)),
                                                       strict=True):
        menu = cs.menu(world, school=school, admin=admin)
        entry = cs.place(world, menu, calligraphy, [(day, "16:00")], capacity=70, admin=admin)
        cs.place(world, menu, chess, [(chess_day, "16:00")], capacity=70, admin=admin, venue="围棋教室")
        cs.publish(world, menu, admin=admin)
        out["entries"].append(entry)
        out["menus"].append(menu)
        with ctx.db.write_session() as s:
            kids = []
            for i in range(count):
                if i % KIDS_PER_PARENT == 0:
                    parent = f"p{school}-{i // KIDS_PER_PARENT}"
                    world.users[parent] = accounts.create_user(s, ADMIN, username=parent, display_name=parent,
                                                               password=PASSWORD, role="parent", county_code=COUNTY,
                                                               school_id=world.school_ids[school])
                st = students.add_student(s, world.actor(admin), world.school_ids[school], students.StudentInput(
                    student_no=f"{school}-{i:03d}", name=f"学生{school}{i:03d}", grade=3, class_name="3班"), commit=False)
                s.flush()
                students.link_guardian(s, world.actor(admin), st.id, parent, "母亲")
                kids.append((st.id, parent))
            s.commit()
        for sid, parent in kids:
            with ctx.db.write_session() as s:
                enrolment.enroll(ctx, s, world.actor(parent), sid, entry)
        out["students"] += [sid for sid, _ in kids]
        bs.issue(world, menu, admin=admin, school=school)
    return out


def test_expulsion_mid_term_of_a_provider_in_three_schools(client, ctx: Context, world: World, celery_app: Celery) -> None:
    made = build(ctx, world)
    students_ = made["students"]
    assert len(students_) == 200
    pid = world.provider_ids["provider"]
    # two lessons delivered and marked in each school
    first_days = {}
    for entry, admin in zip(made["entries"], ("school_admin", "school_admin2", "school_admin3"), strict=True):
        days = bs.lesson_days(world, entry)
        with ctx.db.read_session() as s:
            roster = [e.student_id for e in s.scalars(select(Enrolment).where(Enrolment.entry_id == entry))]
        for lesson_id, _ in days[:2]:
            bs.deliver(world, lesson_id, dict.fromkeys(roster, "present"), admin=admin)
        first_days[entry] = days
    assert all(len(d) >= 4 for d in first_days.values())
    # the bureau's proceedings start the day after the last school's second lesson
    second = max(d[1][1] for d in first_days.values())
    clock.advance(dt.datetime.combine(second + dt.timedelta(days=1), dt.time(9), tzinfo=SHANGHAI) - clock.now())

    reviewer, decider, other_decider, provider = (token_headers(client, u) for u in
                                                  ("reviewer1", "decider", "reviewer_decider", "provider"))
    case = ok(client.post(f"/api/v1/counties/{COUNTY}/exit-cases", headers=reviewer, json={
        "provider_id": pid, "trigger": "violation", "grounds": ["academic_teaching", "inducing_training"],
        "summary": "在课后服务中讲授语文新课，并向学生发放校外培训班招生材料",
        "evidence": [{"item": "巡课记录（3所学校）"}, {"item": "家长投诉2件"}]}), 201)
    cid = case["id"]
    assert ok(client.post(f"/api/v1/exit-cases/{cid}/warn", headers=reviewer, json={"note": "立即停止违规行为，限期整改"}))[
        "status"] == "warned"
    err(client.post(f"/api/v1/exit-cases/{cid}/decide", headers=decider, json={"text": "清退"}), 409,
        "rectification_period_running")
    ok(client.post(f"/api/v1/exit-cases/{cid}/respond", headers=provider, json={"text": "已停止相关内容，请求从轻处理"}))
    ok(client.post(f"/api/v1/exit-cases/{cid}/suspend", headers=reviewer, json={"note": "查实前暂停新的选课"}))
    with ctx.db.read_session() as s:  # suspended: no longer offered to parents
        assert catalogue.entries(s, menu_id=made["menus"][0], admitted_only=True) and all(
            e.provider_id != pid for e in catalogue.entries(s, menu_id=made["menus"][0], admitted_only=True))
    ok(client.post(f"/api/v1/exit-cases/{cid}/decide", headers=decider, json={"text": "经查实，决定清退该机构"}))
    ok(client.post(f"/api/v1/exit-cases/{cid}/appeal", headers=provider, json={"text": "处罚过重，请求改为警告"}))
    effective = clock.today_local()
    with worker(celery_app):
        done = ok(client.post(f"/api/v1/exit-cases/{cid}/appeal-decision", headers=other_decider,
                              json={"granted": False, "note": "申诉理由不成立，维持清退决定"}))
        assert (done["status"], done["effective_on"]) == ("exited", effective.isoformat())
        wait_until(ctx, lambda s: exit_credits(s) and len(exit_credits(s)) == 200 and not open_entries(s, pid))

    with ctx.db.read_session() as s:
        # nothing of the provider is to be seen: its entries are closed and no menu offers them
        assert open_entries(s, pid) == []
        for menu in made["menus"]:
            assert [e.provider_id for e in catalogue.entries(s, menu_id=menu, admitted_only=False) if e.provider_id == pid
                    and e.status == "open"] == []
        # each family is credited exactly the fees of the lessons from the exit day on
        lessons = {entry: list(s.scalars(select(Lesson).where(Lesson.entry_id == entry).order_by(Lesson.day)))
                   for entry in made["entries"]}
        credits = exit_credits(s)
        expected = {}
        for e in s.scalars(select(Enrolment).where(Enrolment.entry_id.in_(made["entries"]))):
            ls = lessons[e.entry_id]
            taught = sum(1 for le in ls if le.day < effective)
            assert taught == 2 and all(le.status == "cancelled" for le in ls if le.day >= effective)
            expected[e.id] = FEE - FEE * taught // len(ls)
            assert (e.status, e.ended_reason) == ("cancelled", "机构退出")
        assert credits == expected
        assert sum(credits.values()) == sum(count * (FEE - FEE * 2 // len(first_days[entry]))
                                            for entry, count in zip(made["entries"], PER_SCHOOL, strict=True))
        # every bill now asks only for what the family still owes: the two lessons taught and the materials
        of_student = {enrolment_student(s, eid): eid for eid in expected}
        for bill in s.scalars(select(Bill)):
            assert bills.outstanding(s, bill) == bill.total_fen - expected[of_student[bill.student_id]]
        # every parent was told, with the other course their school offers
        guardians = {g.user_id for g in s.scalars(select(Guardian).where(Guardian.student_id.in_(students_)))}
        assert len(guardians) == 42
        told = {n.user_id: n.body for n in s.scalars(select(Notification).where(Notification.title == "课程因机构退出停止"))}
        assert set(told) == guardians
        assert all("少儿围棋" in body and "全额退还" in body for body in told.values())
        schools_told = s.scalars(select(Notification.user_id).where(Notification.title == "服务机构退出")).all()
        assert set(schools_told) == {world.users[a].id for a in ("school_admin", "school_admin2", "school_admin3")}
        # its agreements in the county (admission, the three service agreements) are terminated with the reason
        made_agreements = s.scalars(select(Agreement).where(Agreement.provider_id == pid)).all()
        assert {a.kind for a in made_agreements} >= {"service"} and len(made_agreements) >= 3
        assert all(a.status == "terminated" and f"退出程序 #{cid}" in a.terminated_reason for a in made_agreements)
        assert audit.verify(s)[1] == []
    bs.ledger_ok(ctx)
    # the public page shows the exit and its reason
    page = client.get(f"/public/{COUNTY}")
    assert page.status_code == 200
    exited = page.text[page.text.index('id="exited"'):]
    assert "西湖青少年美术中心" in exited and "讲授语文新课" in exited and "违规开展学科类教学或集体补课" in exited
    listing = ok(client.get(f"/api/v1/public/counties/{COUNTY}/whitelist"))
    assert pid not in [p["provider_name"] for p in listing["providers"]]
    assert [x["provider_name"] for x in listing["exited"]] == ["西湖青少年美术中心"]
    # it cannot come back while blacklisted
    resp = err(client.post("/api/v1/applications", headers=provider, json={"county_code": COUNTY, "categories": ["阅读"]}), 409,
               "provider_blacklisted")
    assert "黑名单" in resp["message"]


def enrolment_student(s, enrolment_id: int) -> int:  # type: ignore[no-untyped-def]
    return s.get(Enrolment, enrolment_id).student_id


def open_entries(s, provider_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    return list(s.scalars(select(Entry.id).where(Entry.provider_id == provider_id, Entry.status == "open")))


def exit_credits(s) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Per enrolment: what the exit gave back from the deferred fees (materials apart)."""
    rows = s.execute(select(LedgerTxn.key, LedgerEntry.amount_fen).join(LedgerEntry, LedgerEntry.txn_id == LedgerTxn.id)
                     .where(LedgerTxn.key.like("exit:%"), LedgerEntry.amount_fen > 0))
    return {int(key.split(":")[1]): amount for key, amount in rows}


def wait_until(ctx: Context, check, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with ctx.db.read_session() as s:
            if check(s):
                return
        time.sleep(0.2)
    raise AssertionError("the worker did not finish the exit in time")
