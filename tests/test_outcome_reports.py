"""Outcome reporting's county term report, its exports and the export job.

A small county where every figure can be counted by hand (``small_county``):

* two schools: 西湖小学 (a published menu this term) and 西湖二小 (no menu) -> coverage 1/2 = 50%;
* 西湖小学's roster: 小明, 小红 (留守儿童), 小刚 (随迁子女), 小丽 -> 4 students, 2 in priority groups;
* this term: 小明 in 书法 (优秀传统文化) and 国画 (体育艺术), 小红 in 书法 -> students served 2/4 = 50%,
  priority served 1/2 = 50%, 3 enrolments; 书法: 1 provider, 2 places; 国画: 1 provider, 1 place;
* attendance: 书法's first lesson 小明 present, 小红 absent; 国画's first lesson 小明 present -> 2/3 = 66.7%;
* bills: 小明 2 × (300 + 20) = 640 yuan paid in full; 小红 320 yuan halved by a waiver (160 waived), unpaid
  -> collected 64000 fen, waived 16000 fen, refunded 0 (an overpaid and refunded bill: its own test);
* parents' survey: scores 75 (satisfied) and 50 (not) -> mean 62.5, 50% satisfied; a student's answer
  (score 0) is not a parent's and is left out; the school rates the provider 80;
* complaints: one resolved 3 days after receipt, one open past its deadline, one about no school
  (county total only); one patrol, one incident;
* the earlier term (2025-2026学年第二学期): 小明 in 书法 only -> 1 of 4 served.

Survey, complaint, patrol and incident rows are written directly: their services belong to other
areas of the plugin; the report reads only their tables.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from dataclasses import dataclass
from typing import Any

import pytest
from celery import Celery
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from kehou.platform.context import Context
from kehou.platform.counties import services as counties
from kehou.plugins.billing_cap import bills
from kehou.plugins.billing_cap.models import Bill
from kehou.plugins.billing_cap.payments import find_bill, record_payment
from kehou.plugins.course_catalogue.models import Enrolment
from kehou.plugins.outcome_reporting import exports, report, report_jobs
from kehou.plugins.outcome_reporting.models.reports import ReportJob
from kehou.plugins.outcome_reporting.models.supervision import (
    Complaint,
    Incident,
    Patrol,
)
from kehou.plugins.outcome_reporting.models.surveys import (
    SchoolRating,
    Survey,
    SurveyResponse,
)
from kehou.timeutil import clock, utcnow
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests import outcome_setup as ot
from tests.celery_support import worker
from tests.factories import ADMIN, COUNTY, World
from tests.helpers import err, ok

TERM = "2026-2027学年第一学期"
EARLIER = "2025-2026学年第二学期"


@dataclass
class County:
    menu_id: int
    calligraphy: int
    painting: int
    students: dict[str, int]
    second_school: int


def _move_to(day: dt.date) -> None:
    clock.reset()
    clock.advance(dt.datetime.combine(day, dt.time(9)) - dt.datetime.combine(clock.today_local(), dt.time(9)))


def small_county(world: World) -> County:
    ctx = world.ctx
    _move_to(dt.date(2026, 3, 2))  # the earlier term
    try:
        cs.enable_catalogue(world)
        cs.admit(world, "provider")
        o1 = cs.offering(world, "provider", "少儿软笔书法")
        o2 = cs.offering(world, "provider", "国画入门", category="体育艺术")
        m0 = cs.menu(world)
        e0 = cs.place(world, m0, o1, [(0, "16:00")])
        cs.publish(world, m0)
        ming = cs.child(world, "小明")
        bs.enrol(world, ming, e0)
    finally:
        clock.reset()
    ot.enable(world)
    with ctx.db.write_session() as s:
        second = counties.add_school(s, ADMIN, county_code=COUNTY, name="西湖二小", kind="primary").id
    m1 = cs.menu(world)
    cal = cs.place(world, m1, o1, [(0, "16:00")])
    pai = cs.place(world, m1, o2, [(1, "16:00")], venue="美术教室")
    cs.publish(world, m1)
    hong = cs.child(world, "小红", priority="left_behind")
    gang = cs.child(world, "小刚", priority="migrant")
    li = cs.child(world, "小丽")
    bs.enrol(world, ming, cal)
    bs.enrol(world, ming, pai)
    bs.enrol(world, hong, cal)
    with ctx.db.write_session() as s:
        bills.record_waiver(ctx, s, world.actor("school_admin"), world.school_ids["school"], student_id=hong, term_name=TERM,
                            tier="half", evidence="困难证明 编号2026-1", reason="家庭经济困难")
    bs.issue(world, m1)
    with ctx.db.write_session() as s:
        bill = find_bill(s, bill_id=s.scalars(select(Bill.id).where(Bill.student_id == ming, Bill.term_name == TERM)).one())
        record_payment(s, world.actor("school_admin"), bill, gateway="offline", external_id="BANK-1", amount_fen=bill.total_fen)
        s.commit()
    (l1, _), *_ = bs.lesson_days(world, cal)
    (l2, _), *_ = bs.lesson_days(world, pai)
    bs.deliver(world, l1, {ming: "present", hong: "absent"})
    bs.deliver(world, l2, {ming: "present"})
    _supervision_rows(world, {"ming": ming, "hong": hong}, cal)
    return County(m1, cal, pai, {"ming": ming, "hong": hong, "gang": gang, "li": li}, second)


def _supervision_rows(world: World, kids: dict[str, int], entry_id: int) -> None:
    school, pid = world.school_ids["school"], world.provider_ids["provider"]
    now = utcnow()
    with world.ctx.db.write_session() as s:
        enrolments = dict(s.execute(select(Enrolment.student_id, Enrolment.id).where(Enrolment.entry_id == entry_id)).all())
        survey = Survey(county_code=COUNTY, term_name=TERM, reason="term_end", questions=[], opens_at=now, closes_at=now,
                        created_at=now)
        s.add(survey)
        s.flush()
        for sid, score, satisfied, who in ((kids["ming"], 75, True, "parent"), (kids["hong"], 50, False, "parent"),
                                           (kids["ming"], 0, False, "student")):
            s.add(SurveyResponse(survey_id=survey.id, enrolment_id=enrolments[sid], respondent=who, school_id=school,
                                 provider_id=pid, entry_id=entry_id, answers={}, score=score, satisfied=satisfied,
                                 submitted_at=now))
        s.add(SchoolRating(survey_id=survey.id, school_id=school, provider_id=pid, answers={}, score=80,
                           rated_by=world.users["school_admin"].id, rated_at=now))
        today = clock.today_local()
        for code, school_id, status, received, resolved, resolve_by in (
                ("T1", school, "resolved", now - dt.timedelta(days=5), now - dt.timedelta(days=2), today),
                ("T2", school, "received", now - dt.timedelta(days=30), None, today - dt.timedelta(days=1)),
                ("T3", None, "received", now, None, today + dt.timedelta(days=10))):
            s.add(Complaint(tracking_code=code, county_code=COUNTY, school_id=school_id, term_name=TERM, source="parent",
                            category="teaching", text="投诉内容", status=status, assign_by=today, resolve_by=resolve_by,
                            received_at=received, resolved_at=resolved))
        s.add(Patrol(county_code=COUNTY, school_id=school, provider_id=pid, entry_id=entry_id, term_name=TERM, day=today,
                     inspector_id=world.users["school_admin"].id, inspector_kind="school", instructor_present=True,
                     instructor_matches=True, on_topic=True, non_academic=True, safety_ok=True, rating=4, created_at=now))
        s.add(Incident(county_code=COUNTY, school_id=school, provider_id=pid, entry_id=entry_id, term_name=TERM,
                       occurred_at=now, severity="minor", description="擦伤", reported_by=world.users["school_admin"].id,
                       reported_at=now))
        s.commit()


@pytest.fixture
def county(world: World) -> County:
    return small_county(world)


# --- the figures --------------------------------------------------------------------------------------


def test_county_term_report_figures_by_hand(ctx: Context, world: World, county: County) -> None:
    with ctx.db.read_session() as s:
        r = report.county_term(s, COUNTY, TERM)
    t = r.total
    assert (t.schools, t.schools_served, t.coverage) == (2, 1, 50.0)
    assert (t.students, t.students_served, t.students_rate) == (4, 2, 50.0)
    assert (t.priority_students, t.priority_served, t.priority_rate) == (2, 1, 50.0)
    assert (t.courses, t.enrolments) == (2, 3)
    assert (t.attendance_marked, t.attendance_present, t.attendance_rate) == (3, 2, 66.7)
    assert (t.responses, t.satisfaction_mean, t.satisfied, t.satisfied_rate) == (2, 62.5, 1, 50.0)
    assert (t.school_ratings, t.school_rating_mean) == (1, 80.0)
    assert (t.complaints, t.complaints_resolved, t.handling_days_mean, t.complaints_overdue) == (3, 1, 3.0, 1)
    assert (t.patrols, t.incidents) == (1, 1)
    assert (t.collected_fen, t.waived_fen, t.refunded_fen) == (64000, 16000, 0)
    by_school = {row.name: row.figures for row in r.schools}
    assert set(by_school) == {"西湖小学", "西湖二小"}
    west, second = by_school["西湖小学"], by_school["西湖二小"]
    assert (west.students, west.students_served, west.courses, west.complaints, west.collected_fen) == (4, 2, 2, 2, 64000)
    assert (second.students, second.students_served, second.courses, second.coverage,
            second.students_rate) == (0, 0, 0, 0.0, None)
    assert sorted((c.category, c.providers, c.courses, c.enrolments) for c in r.categories) == [
        ("优秀传统文化", 1, 1, 2), ("体育艺术", 1, 1, 1)]
    assert [h.term_name for h in r.history] == [EARLIER, TERM]
    earlier = r.history[0].figures
    assert (earlier.students_served, earlier.enrolments, earlier.courses, earlier.coverage) == (1, 1, 1, 50.0)
    assert r.history[1].figures == t


def test_earlier_term_report_leaves_later_terms_out(ctx: Context, world: World, county: County) -> None:
    with ctx.db.read_session() as s:
        r = report.county_term(s, COUNTY, EARLIER)
    assert [h.term_name for h in r.history] == [EARLIER]
    assert (r.total.enrolments, r.total.attendance_marked, r.total.collected_fen, r.total.complaints) == (1, 0, 0, 0)


def test_school_report_holds_only_the_school(ctx: Context, world: World, county: County) -> None:
    with ctx.db.read_session() as s:
        r = report.for_school(ctx, s, world.actor("school_admin"), world.school_ids["school"], TERM)
    assert [row.name for row in r.schools] == ["西湖小学"]
    assert (r.total.schools, r.total.students, r.total.complaints, r.total.enrolments) == (1, 4, 2, 3)
    with ctx.db.read_session() as s, pytest.raises(Exception) as refused:
        report.for_school(ctx, s, world.actor("school_admin"), county.second_school, TERM)
    assert getattr(refused.value, "code", "") == "school_not_found"


def test_unknown_term_and_disabled_county_are_refused(ctx: Context, world: World, county: County) -> None:
    with ctx.db.read_session() as s, pytest.raises(Exception) as unknown:
        report.county_term(s, COUNTY, "2030学年")
    assert getattr(unknown.value, "code", "") == "report_term_not_found"
    bs.enable(world)  # catalogue and billing only
    with ctx.db.read_session() as s, pytest.raises(Exception) as off:
        report.for_county(ctx, s, world.actor("reviewer1"), COUNTY, TERM)
    assert getattr(off.value, "code", "") == "outcome_reporting_disabled"


# --- exports --------------------------------------------------------------------------------------------


def _report(ctx: Context) -> report.CountyTermReport:
    with ctx.db.read_session() as s:
        return report.county_term(s, COUNTY, TERM)


def _sheet_rows(ws: Any) -> dict[str, Any]:
    return {row[0].value: row[1].value for row in ws.iter_rows(min_row=1) if row[0].value is not None and len(row) > 1}


def test_excel_export_has_the_figures_as_numbers(ctx: Context, world: World, county: County) -> None:
    wb = load_workbook(io.BytesIO(exports.render("county_term", "xlsx", _report(ctx))))
    assert wb.sheetnames == ["汇总", "分校", "分类别", "学期对比"]
    summary = wb["汇总"]
    assert summary["A1"].value == "西湖区2026-2027学年第一学期课后服务成效报告"
    values = _sheet_rows(summary)
    assert values["学期"] == TERM
    assert values["学校覆盖率（%）"] == 50.0 and values["在校学生数"] == 4 and values["参加课后服务的学生"] == 2
    assert values["重点群体参与率（%）"] == 50.0 and values["出勤率（%）"] == 66.7 and values["选课人次"] == 3
    assert values["家长满意度均分（0-100）"] == 62.5 and values["投诉件数"] == 3 and values["逾期未办结投诉"] == 1
    assert values["实收费用（元）"] == 640 and values["减免金额（元）"] == 160 and values["退费金额（元）"] == 0
    money = next(c for c in summary["B"] if c.value == 640)
    assert money.number_format == "#,##0.00" and isinstance(money.value, (int, float))  # a number, shown as 640.00
    schools = list(wb["分校"].iter_rows(values_only=True))
    assert schools[0][:3] == ("学校", "在校学生数", "参加课后服务的学生")
    west = next(r for r in schools if r[0] == "西湖小学")
    assert west[1:4] == (4, 2, 50.0) and west[-1] == 640
    assert sorted(list(wb["分类别"].iter_rows(values_only=True))[1:]) == [("优秀传统文化", 1, 1, 2), ("体育艺术", 1, 1, 1)]
    history = list(wb["学期对比"].iter_rows(values_only=True))
    assert [r[0] for r in history[1:]] == [EARLIER, TERM]
    assert history[1][1:3] == (50.0, 1) and history[2][1:3] == (50.0, 2)


def test_pdf_export_text(ctx: Context, world: World, county: County) -> None:
    body = exports.render("county_term", "pdf", _report(ctx))
    assert body is not None and body.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    for expected in ("西湖区2026-2027学年第一学期课后服务成效报告", "学校覆盖率", "西湖小学", "西湖二小", "优秀传统文化",
                     EARLIER, "640.00", "160.00", "66.7"):
        assert expected in text, expected


def test_render_passes_on_unknown_reports_and_formats(ctx: Context, world: World, county: County) -> None:
    data = _report(ctx)
    assert exports.render("county_term", "odt", data) is None
    assert exports.render("provider_scores", "xlsx", data) is None


# --- the export job -------------------------------------------------------------------------------------


def _wait(ctx: Context, job_id: int, seen: list[tuple[str, int]], timeout: float = 60.0) -> ReportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with ctx.db.read_session() as s:
            job = s.get(ReportJob, job_id)
            assert job is not None
            if not seen or seen[-1] != (job.status, job.progress):
                seen.append((job.status, job.progress))
            if job.status in ("done", "failed"):
                s.expunge(job)
                return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {seen[-1]}")


def test_export_job_through_a_real_worker(ctx: Context, world: World, county: County, celery_app: Celery, client) -> None:
    from tests.helpers import token_headers

    staff = token_headers(client, "reviewer1")
    with worker(celery_app):
        started = ok(client.post(f"/api/v1/counties/{COUNTY}/outcome-report/exports", headers=staff,
                                 json={"term_name": TERM, "fmt": "xlsx"}), 202)
        assert started["status"] in ("queued", "running", "done") and started["new"] is True
        seen: list[tuple[str, int]] = []
        job = _wait(ctx, started["id"], seen)
    assert job.status == "done", job.error
    assert job.progress == 100 and seen[-1] == ("done", 100)
    assert [p for _, p in seen] == sorted(p for _, p in seen)  # progress only moves forward
    stored = ctx.storage.get(job.storage_key)
    assert len(stored) == job.size and job.filename.endswith(".xlsx")
    assert _sheet_rows(load_workbook(io.BytesIO(stored))["汇总"])["选课人次"] == 3
    status = ok(client.get(f"/api/v1/outcome-report-jobs/{job.id}", headers=staff))
    assert (status["status"], status["progress"], status["stage"]) == ("done", 100, "完成")
    resp = client.get(f"/api/v1/outcome-report-jobs/{job.id}/download", headers=staff)
    assert resp.status_code == 200 and resp.content == stored
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    # audited: who asked, and the job's outcome; the requester is told
    from kehou.platform.audit.models import AuditEntry
    from kehou.platform.notifications.models import Notification

    with ctx.db.read_session() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "outcome_report_job")
                                                     .order_by(AuditEntry.id))]
        assert actions == ["outcome.report_export", "outcome.report_done"]
        assert s.scalars(select(Notification).where(Notification.user_id == world.users["reviewer1"].id,
                                                    Notification.title == "课后服务成效报告已生成")).one()


def test_asking_twice_while_pending_gives_the_same_job_and_a_second_run_is_skipped(ctx: Context, world: World,
                                                                                 county: County) -> None:
    with ctx.db.write_session() as s:
        first, new1 = report_jobs.start(ctx, s, world.actor("reviewer1"), COUNTY, TERM, "pdf")
    with ctx.db.write_session() as s:
        second, new2 = report_jobs.start(ctx, s, world.actor("decider"), COUNTY, TERM, "pdf")
    assert (new1, new2) == (True, False) and first.id == second.id
    assert report_jobs.execute(ctx, first.id) == "done"
    assert report_jobs.execute(ctx, first.id) == "skipped"  # the message delivered again
    with ctx.db.write_session() as s:
        third, new3 = report_jobs.start(ctx, s, world.actor("reviewer1"), COUNTY, TERM, "pdf")
    assert new3 and third.id != first.id  # done: a new export is a new job
    with ctx.db.read_session() as s:
        job = s.get(ReportJob, first.id)
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(ctx.storage.get(job.storage_key))).pages)
    assert "西湖小学" in text and job.content_type == "application/pdf"


def test_unknown_format_fails_the_job_with_a_reason(ctx: Context, world: World, county: County) -> None:
    with ctx.db.write_session() as s:
        job, _ = report_jobs.start(ctx, s, world.actor("reviewer1"), COUNTY, TERM, "odt")
    assert report_jobs.execute(ctx, job.id) == "failed"
    with ctx.db.read_session() as s:
        row = s.get(ReportJob, job.id)
        assert row.status == "failed" and "odt" in row.error and row.storage_key is None
    with ctx.db.write_session() as s:
        for bad, code in (("x", "report_format_invalid"), ("../../", "report_format_invalid")):
            with pytest.raises(Exception) as refused:
                report_jobs.start(ctx, s, world.actor("reviewer1"), COUNTY, TERM, bad)
            assert getattr(refused.value, "code", "") == code
        with pytest.raises(Exception) as refused:
            report_jobs.start(ctx, s, world.actor("reviewer1"), COUNTY, "", "xlsx")
        assert getattr(refused.value, "code", "") == "report_term_required"


def test_a_county_renderer_plugged_in_through_the_hook_wins(ctx: Context, world: World, county: County) -> None:
    from kehou.platform.policy import services as policy
    from kehou.pluginapi import hookimpl

    class UpwardFormat:
        """A county's own upward-reporting format (here: CSV of the headline) and its own Excel."""

        @hookimpl
        def kehou_render_report(self, report: str, fmt: str, data: Any) -> bytes | None:
            if fmt in ("csv", "xlsx"):
                return f"{data.term_name},{data.total.enrolments},{data.total.collected_fen}".encode()
            return None

    ctx.pm.register(UpwardFormat(), name="upward_format_test")
    try:
        with ctx.db.write_session() as s:
            job, _ = report_jobs.start(ctx, s, world.actor("reviewer1"), COUNTY, TERM, "csv")
        assert report_jobs.execute(ctx, job.id) == "failed"  # not enabled in the county: nobody answers csv
        with ctx.db.write_session() as s:
            policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key="plugins.enabled", value=[*ot.PLUGINS, "upward_format_test"],
                       effective_from=clock.today_local(), reason="启用本区县报送格式")
        made = []
        for fmt in ("csv", "xlsx", "pdf"):
            with ctx.db.write_session() as s:
                job, _ = report_jobs.start(ctx, s, world.actor("reviewer1"), COUNTY, TERM, fmt)
            assert report_jobs.execute(ctx, job.id) == "done"
            with ctx.db.read_session() as s:
                row = s.get(ReportJob, job.id)
                made.append((row.content_type, ctx.storage.get(row.storage_key)))
    finally:
        ctx.pm.unregister(name="upward_format_test")
    assert made[0] == ("text/csv", f"{TERM},3,64000".encode())
    assert made[1][1] == f"{TERM},3,64000".encode()  # the county's renderer answered before the built-in Excel
    assert made[2][1].startswith(b"%PDF")  # it passes on PDF: the built-in one answers


# --- API and pages ------------------------------------------------------------------------------------------


def test_report_api_for_county_and_school(ctx: Context, world: World, county: County, client) -> None:
    from tests.helpers import token_headers

    body = ok(client.get(f"/api/v1/counties/{COUNTY}/outcome-report", headers=token_headers(client, "reviewer1"),
                         params={"term_name": TERM}))
    assert body["terms"] == [EARLIER, TERM] and body["total"]["coverage"] == 50.0 and body["total"]["collected_fen"] == 64000
    assert [h["term_name"] for h in body["history"]] == [EARLIER, TERM]
    default = ok(client.get(f"/api/v1/counties/{COUNTY}/outcome-report", headers=token_headers(client, "decider")))
    assert default["term_name"] == TERM  # the current term
    school = world.school_ids["school"]
    mine = ok(client.get(f"/api/v1/schools/{school}/outcome-report", headers=token_headers(client, "school_admin")))
    assert [s["name"] for s in mine["schools"]] == ["西湖小学"] and mine["total"]["students"] == 4
    err(client.get(f"/api/v1/schools/{county.second_school}/outcome-report", headers=token_headers(client, "school_admin")),
        404, "school_not_found")
    err(client.get(f"/api/v1/counties/{COUNTY}/outcome-report", headers=token_headers(client, "reviewer1"),
                   params={"term_name": "2030学年"}), 404, "report_term_not_found")
    err(client.post(f"/api/v1/counties/{COUNTY}/outcome-report/exports", headers=token_headers(client, "reviewer1"),
                    json={"term_name": TERM, "fmt": "x"}), 400, "report_format_invalid")


def _login(client, username: str) -> str:  # type: ignore[no-untyped-def]
    import re

    from tests.factories import PASSWORD

    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    resp = client.post("/login", data={"_csrf_token": token, "username": username, "password": PASSWORD},
                       follow_redirects=False)
    assert resp.status_code == 303
    return token


@pytest.mark.parametrize("who,path,status", [
    ("reviewer1", "/county/outcomes", 200), ("decider", "/county/outcomes", 200), ("school_admin", "/county/outcomes", 403),
    ("parent", "/county/outcomes", 403), ("provider", "/county/outcomes", 403), ("police", "/county/outcomes", 403),
    ("admin", "/county/outcomes", 403), ("other_reviewer", "/county/outcomes", 403),
    ("school_admin", "/school/outcomes", 200), ("reviewer1", "/school/outcomes", 403), ("parent", "/school/outcomes", 403),
    ("provider", "/school/outcomes", 403)])
def test_pages_open_for_their_users_only(ctx: Context, world: World, county: County, who: str, path: str, status: int) -> None:
    from tests.test_html_pages import browser

    with browser(ctx, who) as c:
        resp = c.get(path, follow_redirects=False)
        assert resp.status_code == status, resp.text[:300]
        if status == 200:
            assert resp.text.count('<svg class="chart"') == 4 and "西湖小学" in resp.text
        else:
            assert "出错了" in resp.text
    with browser(ctx, None) as anon:
        resp = anon.get(path, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login")


def test_dashboard_export_form_job_status_and_download(ctx: Context, world: World, county: County) -> None:
    from tests.test_html_pages import browser, csrf

    with browser(ctx, "reviewer1") as c:
        page = c.get("/county/outcomes", params={"term": EARLIER}).text
        assert f'<option value="{EARLIER}" selected>' in page and "学期对比" in page
        resp = c.post("/county/outcomes/exports", data={"_csrf_token": csrf(c, "/county/outcomes"), "term": TERM, "fmt": "xlsx"})
        assert resp.status_code == 200 and "已开始生成报告" in resp.text and 'data-status="queued"' in resp.text
        with ctx.db.read_session() as s:
            job_id = s.scalars(select(ReportJob.id).order_by(ReportJob.id.desc())).first()
        assert c.get(f"/county/outcomes/jobs/{job_id}").json()["status"] == "queued"
        assert c.get(f"/county/outcomes/jobs/{job_id}/download").status_code == 409
        report_jobs.execute(ctx, job_id)
        assert c.get(f"/county/outcomes/jobs/{job_id}").json()["progress"] == 100
        assert f"/county/outcomes/jobs/{job_id}/download" in c.get("/county/outcomes").text
        got = c.get(f"/county/outcomes/jobs/{job_id}/download")
        assert got.status_code == 200 and load_workbook(io.BytesIO(got.content)).sheetnames[0] == "汇总"
        bad = c.post("/county/outcomes/exports", data={"_csrf_token": csrf(c, "/county/outcomes"), "term": TERM, "fmt": "?"},
                     headers={"referer": "/county/outcomes"})
        assert "导出格式须为" in bad.text
    for who in ("other_reviewer", "school_admin", "parent"):
        with browser(ctx, who) as c:
            assert c.get(f"/county/outcomes/jobs/{job_id}").status_code in (403, 404)
            assert c.get(f"/county/outcomes/jobs/{job_id}/download").status_code in (403, 404)


def test_overpayment_refunded_counts_as_collected_and_refunded(ctx: Context, world: World, county: County) -> None:
    from kehou.plugins.billing_cap import payments

    with ctx.db.write_session() as s:
        bill = find_bill(s, bill_id=s.scalars(select(Bill.id).where(Bill.student_id == county.students["hong"])).one())
        assert bill.total_fen == 16000
        record_payment(s, world.actor("school_admin"), bill, gateway="offline", external_id="BANK-2", amount_fen=21000)
        assert payments.refund_credit(ctx, s, world.actor("school_admin"), bill, key="overpaid", reason="多缴退回") == 5000
        s.commit()
    t = _report(ctx).total
    assert (t.collected_fen, t.refunded_fen, t.waived_fen) == (64000 + 21000, 5000, 16000)
    bs.ledger_ok(world)
