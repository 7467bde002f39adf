"""Retention (issue 20 part 5): when the county's periods after a child left school run out, the guardians'
contacts and accounts go and the child is anonymised — a dump no longer holds the names, numbers and phones —
while the county term report and the ledger stay exactly as they were; each run is logged."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from kehou.platform.accounts.models import User
from kehou.platform.audit.models import AuditEntry
from kehou.platform.privacy import retention
from kehou.platform.privacy.models import RetentionAction
from kehou.platform.students import roster, services
from kehou.platform.students.models import GuardianContact, Student
from kehou.plugins.billing_cap import ledger
from kehou.plugins.outcome_reporting import report
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests.factories import COUNTY, World
from tests.helpers import err, ok, token_headers
from tests.test_billing_terms import pay_in_full
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
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.action == "privacy.retention")).all() == \
            ["privacy.retention"] * 2
        assert s.scalars(select(RetentionAction.student_ids)).all() == [gone, gone]
    assert figures(world, term) == before
    with world.ctx.db.write_session() as s:
        assert retention.run_county(world.ctx, s, COUNTY) == []  # nothing left to do
