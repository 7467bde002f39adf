"""Retention (issue 20 part 5): when the county's periods after a child left school run out, the guardians'
contacts and accounts go and the child is anonymised — a dump no longer holds the names, numbers and phones —
while the county term report and the ledger stay exactly as they were; each run is logged."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from kehou.errors import NotFound
from kehou.platform.accounts.models import User
from kehou.platform.audit.models import AuditEntry
from kehou.platform.privacy import retention
from kehou.platform.privacy.models import RetentionAction
from kehou.platform.students import roster, services
from kehou.platform.students.models import GuardianContact, Student
from kehou.plugins.billing_cap import ledger
from kehou.plugins.outcome_reporting import report, showcase
from kehou.plugins.outcome_reporting.models.supervision import Patrol
from kehou.plugins.outcome_reporting.models.surveys import ShowcaseItem
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests import outcome_setup
from tests.factories import COUNTY, World
from tests.helpers import err, ok, token_headers
from tests.test_billing_terms import pay_in_full
from tests.test_html_pages import browser
from tests.test_privacy_at_rest import everything

CSV = ("学号,姓名,年级,班级,监护人姓名,关系,监护人手机号,优先保障群体\r\n"
       "G6-01,欧阳毕业,6,6年级1班,欧阳父,父亲,13957100301,留守儿童\r\n"
       "G6-02,司马毕业,6,6年级1班,司马母,母亲,13957100302,\r\n"
       "G3-01,诸葛在校,3,3年级1班,诸葛父,父亲,13957100303,\r\n").encode()


def a_term(world: World) -> tuple[str, dict[str, int]]:
    """A term with two sixth-graders and a third-grader enrolled, billed and paid; attendance marked."""
    cat = bs.courses(world, {"书法": 30000})
    with world.ctx.db.write_session() as s:
        roster.import_roster(world.ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="名册.csv", data=CSV)
    with world.ctx.db.read_session() as s:
        kids = dict(s.execute(select(Student.student_no, Student.id).where(Student.student_no.like("G%"))).all())
    entry = cat.entries["书法"]
    with world.ctx.db.write_session() as s:
        s.get(Student, kids["G3-01"]).grade = 6  # the course is for grade 3: keep them all eligible
        for k in ("G6-01", "G6-02"):
            s.get(Student, kids[k]).grade = 3
        s.commit()
    with world.ctx.db.write_session() as s:
        for sid in kids.values():
            services.link_guardian(s, world.actor("school_admin"), sid, "parent", "家长")
    for sid in kids.values():
        if sid != kids["G3-01"]:
            bs.enrol(world, sid, entry)
    bs.issue(world, cat.menu_id)
    for sid in kids.values():
        if sid != kids["G3-01"]:
            pay_in_full(world, sid)
    lesson_id, _ = bs.lesson_days(world, entry)[0]
    bs.deliver(world, lesson_id, {kids["G6-01"]: "leave", kids["G6-02"]: "present"})
    return bs.term_name(world, cat.menu_id), kids


def figures(world: World, term: str) -> dict[str, object]:
    with world.ctx.db.read_session() as s:
        r = report.county_term(s, COUNTY, term)
        return {k: v for k, v in dataclasses.asdict(r).items() if k != "generated_at"} | {"ledger": ledger.total(s)}


def test_a_graduated_cohort_is_anonymised_and_the_term_report_stays_identical(world: World, client) -> None:  # type: ignore[no-untyped-def]
    term, kids = a_term(world)
    before = figures(world, term)
    gone = [kids["G6-01"], kids["G6-02"]]
    school = token_headers(client, "school_admin")
    err(client.post(f"/api/v1/schools/{world.school_ids['school']}/departures", headers=school,
                    json={"student_ids": gone, "left_on": "2099-01-01", "reason": "graduated"}), 400, "left_on_future")
    err(client.post(f"/api/v1/schools/{world.school_ids['school']}/departures", headers=school,
                    json={"student_ids": gone, "left_on": "2022-07-01", "reason": "毕业"}), 400, "departure_reason_invalid")
    left_on = clock.today_local() - dt.timedelta(days=365 * 4)
    ok(client.post(f"/api/v1/schools/{world.school_ids['school']}/departures", headers=school,
                   json={"student_ids": gone, "left_on": left_on.isoformat(), "reason": "graduated"}))
    dump = everything(world.ctx)
    assert "欧阳毕业" in dump and "G6-01" in dump
    with world.ctx.db.write_session() as s:
        done = retention.run_county(world.ctx, s, COUNTY)
    assert [(a.category, a.students) for a in done] == [("guardian_contact", 2), ("roster", 2)]
    dump = everything(world.ctx)
    assert [x for x in ("欧阳毕业", "司马毕业", "G6-01", "G6-02", "欧阳父", "司马母", "病假") if x in dump] == []
    assert "诸葛在校" in dump and "诸葛父" in dump  # still at school: untouched
    with world.ctx.db.read_session() as s:
        phones = s.scalars(select(GuardianContact.phone_last4)).all()
        assert sorted(phones) == ["0303"]  # the other two guardians' numbers are gone
        closed = s.scalars(select(User).where(User.display_name == "（已注销）")).all()
        assert len(closed) == 2 and not any(u.is_active for u in closed)
        assert s.get(Student, gone[0]).priority_group == "left_behind"  # kept, sealed, for the statistics
        assert [(k.student_no, k.name, k.class_name) for k in (s.get(Student, sid) for sid in gone)] == [
            (f"ANON-{sid}", "（已匿名）", "") for sid in gone]
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.action == "privacy.retention")).all() == \
            ["privacy.retention"] * 2
        assert s.scalars(select(RetentionAction.student_ids)).all() == [gone, gone]
    assert figures(world, term) == before
    with world.ctx.db.write_session() as s:
        assert retention.run_county(world.ctx, s, COUNTY) == []  # nothing left to do


def aged(world: World, term: str) -> dict[str, int]:
    """Besides the term: a resolved complaint, an answered objection, a closed survey comment, a waiver's evidence,
    a payer's note, a leave reason and a parent's note, views of children, a login, and a provider that left the
    county long ago with its instructor."""
    from kehou.platform.accounts.models import LoginAttempt
    from kehou.platform.admission.models import Application, Objection, WhitelistEntry
    from kehou.platform.privacy import access
    from kehou.platform.providers.models import Staff
    from kehou.plugins.billing_cap.models import Payment, Waiver
    from kehou.plugins.course_catalogue.models import Attendance, Entry
    from kehou.plugins.outcome_reporting.models.supervision import Complaint
    from kehou.timeutil import utcnow
    from tests.factories import add_provider

    gone_pid = add_provider(world, "gone", body="52330106MJ0000099", name="已退出艺术培训中心")
    now, long_ago = utcnow(), dt.date(2015, 1, 1)
    with world.ctx.db.write_session() as s:
        student = s.scalars(select(Student.id).where(Student.student_no == "G6-01")).one()
        s.scalars(select(Attendance).where(Attendance.student_id == student)).one().parent_note = "孩子那天发烧，已请假"
        s.scalars(select(Attendance).where(Attendance.student_id == student)).one().reason = "发烧"
        s.scalars(select(Payment)).first().payer_note = "欧阳父转账"  # type: ignore[union-attr]
        s.add(Waiver(county_code=COUNTY, school_id=world.school_ids["school"], student_id=student, term_name=term,
                     tier="hardship", percent=100, evidence="低保证明 编号123", recorded_at=now))
        s.add(Complaint(tracking_code="T-RET-1", county_code=COUNTY, source="public", contact_name="投诉人甲",
                        contact_phone="13900001111", category="fees", text="收费不透明，孩子欧阳毕业被多收", status="resolved",
                        assign_by=long_ago, resolve_by=long_ago, received_at=now, resolved_at=now))
        app = Application(provider_id=gone_pid, county_code=COUNTY, status="approved", categories=[], created_at=now,
                          updated_at=now)
        s.add(app)
        s.flush()
        s.add(Objection(application_id=app.id, name="异议人乙", contact="13900002222", content="资质存疑", evidence="照片",
                        ip="10.0.0.9", filed_at=now, answer="已核实", upheld=False, answered_at=now))
        s.add(WhitelistEntry(provider_id=gone_pid, county_code=COUNTY, categories=[], valid_from=long_ago,
                             valid_until=clock.today_local(), status="exited", application_id=app.id, updated_at=now))
        s.add(LoginAttempt(username="parent", ip="10.0.0.8", succeeded=True, at=now))
        entry = s.scalars(select(Entry)).first()
        assert entry is not None
        for key in ("patrols/ret-1", "showcase/ret-2"):
            world.ctx.storage.put(key, b"\xff\xd8\xff photo of children", "image/jpeg")
        s.add(Patrol(county_code=COUNTY, school_id=entry.school_id, provider_id=entry.provider_id, entry_id=entry.id,
                     term_name=term, day=clock.today_local(), inspector_id=world.users["reviewer1"].id, inspector_kind="county",
                     instructor_present=True, instructor_matches=True, on_topic=True, non_academic=True, safety_ok=True,
                     rating=5, notes="课堂有序", photos=[{"key": "patrols/ret-1", "sha256": "x", "name": "1.jpg",
                                                         "content_type": "image/jpeg"}], created_at=now))
        s.add(ShowcaseItem(county_code=COUNTY, school_id=entry.school_id, provider_id=entry.provider_id, entry_id=entry.id,
                           term_name=term, kind="photo", title="结业合影", description="三年级欧阳毕业等同学",
                           storage_key="showcase/ret-2", content_type="image/jpeg", size=20, sha256="y",
                           status="published", uploaded_by=world.users["provider"].id, uploaded_at=now))
        s.commit()
        staff = s.scalars(select(Staff.id).where(Staff.provider_id == gone_pid)).one()
    access.record(world.ctx, world.actor("school_admin"), COUNTY, [student], "student")
    return {"student": student, "staff": staff}


def test_every_swept_category_empties_its_personal_data_and_keeps_the_figures(world: World) -> None:
    from kehou.platform.accounts.models import LoginAttempt
    from kehou.platform.admission.models import Objection
    from kehou.platform.privacy.models import ChildAccess
    from kehou.platform.providers.models import Staff

    term, kids = a_term(world)
    ids = aged(world, term)
    before = figures(world, term)
    words = ("发烧", "欧阳父转账", "低保证明", "投诉人甲", "多收", "异议人乙", "13900002222")
    assert all(w in everything(world.ctx) for w in words)
    today = clock.today_local()
    with world.ctx.db.write_session() as s:  # two years on: nothing is due yet at the default periods
        assert retention.run_county(world.ctx, s, COUNTY, today + dt.timedelta(days=2 * 366)) == []
    bs.put(world, "privacy.retention_feedback_years", 1)  # the county shortens one period: that category goes
    with world.ctx.db.write_session() as s:
        done = retention.run_county(world.ctx, s, COUNTY, today + dt.timedelta(days=2 * 366))
    assert sorted((a.category, a.method, a.records) for a in done) == [
        ("feedback", "删除巡课照片", 1), ("feedback", "删除异议人姓名、联系方式与证据", 1),
        ("feedback", "删除投诉人姓名、电话与投诉内容", 1), ("feedback", "删除结业汇报照片、视频与作品文件", 1)]
    assert "投诉人甲" not in everything(world.ctx) and "异议人乙" not in everything(world.ctx)
    assert not world.ctx.storage.exists("patrols/ret-1") and not world.ctx.storage.exists("showcase/ret-2")
    with world.ctx.db.read_session() as s:
        assert s.scalars(select(Patrol.rating)).all() == [5]  # the finding stays, the photos are gone
        assert s.scalars(select(Patrol.photos)).all() == [[]]
        item = s.scalars(select(ShowcaseItem)).one()
        assert (item.storage_key, item.status, item.description, item.title) == ("", "withdrawn", "", "结业合影")
    outcome_setup.enable(world)
    with world.ctx.db.read_session() as s:
        item = s.scalars(select(ShowcaseItem)).one()
        with pytest.raises(NotFound) as gone_file:  # its provider still lists it, the file cannot be fetched
            showcase.link(world.ctx, s, world.actor("provider"), item.id)
        assert gone_file.value.code == "showcase_item_expired"
    later = today + dt.timedelta(days=11 * 366)  # past every default period
    with world.ctx.db.write_session() as s:
        done = retention.run_county(world.ctx, s, COUNTY, later)
    got = sorted((a.category, a.method, a.records) for a in done)
    assert got == [("billing", "删除付款备注", 1), ("billing", "删除减免依据", 1),
                   ("logs", "删除儿童信息访问记录", 1),
                   ("participation", "删除请假原因与家长考勤说明", 1),
                   ("staff", "匿名化已退出机构的授课人员", 1)], got
    assert all(a.note and a.students == 0 for a in done)
    dump = everything(world.ctx)
    assert [w for w in words if w in dump] == []
    with world.ctx.db.read_session() as s:
        staff = s.get(Staff, ids["staff"])
        assert (staff.name, staff.id_number_last4, staff.qualification_number, staff.id_number_enc) == ("（已匿名）", "", "", b"")
        assert staff.anonymised_at is not None and not staff.active
        assert s.scalars(select(Staff.name).where(Staff.id != ids["staff"])).all() == ["王老师", "王老师"]  # still serving
        assert s.scalar(select(Objection.answer)) == "已核实"  # the outcome stays
        assert s.scalars(select(ChildAccess)).all() == []
        assert s.scalars(select(LoginAttempt)).all() != []  # the login log has no county: the platform job's
        audited = s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.retention")).all()
        assert sorted(e.new_values["category"] for e in audited) == sorted(["feedback"] * 4 + [a.category for a in done])
    assert figures(world, term) == before  # the term report and the ledger are untouched
    with world.ctx.db.write_session() as s:
        assert retention.run_county(world.ctx, s, COUNTY, later) == []  # nothing twice
    with browser(world.ctx, "decider") as page:  # the county sees each step on its privacy page
        text = page.get("/desk/privacy").text
        assert "到期删除与匿名化记录" in text and "删除付款备注" in text and "删除巡课照片" in text
        assert "其他记录1条" in text and "记录之日起（会计档案）满10年" in text
    assert retention.run_all(world.ctx, later) >= 1  # the daily job: the login log at the platform's period
    with world.ctx.db.read_session() as s:
        assert s.scalars(select(LoginAttempt)).all() == []
    assert kids
