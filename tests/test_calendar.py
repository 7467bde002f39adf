"""The working-day calendar as data: entered by the platform admin on its page (typed or from a file), local
days added by a county, a missing year refused, the warning from 1 November, the package's years kept in step.

The New Year's Day holiday used below (1 January) is fixed by the national holiday regulations; no other 2027
date here stands for an official arrangement: the tests enter their own arrangements, as the admin would."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select

from kehou.errors import PermissionDenied, ValidationFailed
from kehou.platform.admission import notice
from kehou.platform.admission.models import Application
from kehou.platform.audit.models import AuditEntry
from kehou.platform.calendar import services as calendar
from kehou.platform.calendar.models import CalendarYear
from kehou.platform.calendar.sources import package_years, parse, sync_from_package, unparse
from kehou.platform.calendar.types import CalendarMissing, DayEntry
from kehou.plugins.course_catalogue import terms
from kehou.timeutil import SHANGHAI, clock
from tests.factories import ADMIN, COUNTY, OTHER_COUNTY, World
from tests.test_html_pages import browser, csrf

NEW_YEAR_2027 = "2027-01-01,放假,元旦\n"


def at(day: dt.date) -> None:
    clock.advance(dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI) - clock.now())


def enter_on_page(ctx, text: str, *, year: int = 2027, status: str = "official", file: bool = False):  # type: ignore[no-untyped-def]
    with browser(ctx, "admin") as admin:
        token = csrf(admin, f"/calendar/{year}")
        form = {"_csrf_token": token, "status": status, "source": "测试录入", "reason": "国务院办公厅通知已发布"}
        if file:
            resp = admin.post(f"/calendar/{year}", data=form | {"text": ""},
                              files={"file": ("2027.txt", text.encode("utf-8-sig"), "text/plain")}, follow_redirects=False)
        else:
            resp = admin.post(f"/calendar/{year}", data=form | {"text": text}, files={"x": ("", b"", "text/plain")},
                              follow_redirects=False)
        assert resp.status_code == 303, resp.text
        page = admin.get(resp.headers["location"])
        return resp, page


def test_the_admin_enters_next_year_and_notices_and_lessons_skip_new_year(ctx, world: World) -> None:
    # before: 2027 is provisional (Monday to Friday), so 1 January 2027 (a Friday) counts as a working day
    with ctx.db.read_session() as s:
        assert calendar.load(s, COUNTY).add_working_days(dt.date(2026, 12, 31), 3) == dt.date(2027, 1, 4)
    _, page = enter_on_page(ctx, NEW_YEAR_2027, file=True)
    assert "已保存" in page.text and "2027-01-01" in page.text and "元旦" in page.text and "正式安排" in page.text
    at(dt.date(2026, 12, 31))  # the last working day of 2026
    with ctx.db.write_session() as s:
        app = Application(county_code=COUNTY)
        opened = notice.open_notice(ctx, s, app)
        # three working days: Thu 31 Dec, (Fri 1 Jan holiday, weekend), Mon 4 Jan, Tue 5 Jan
        assert (opened["notice_start"], opened["notice_end"]) == (dt.date(2026, 12, 31), dt.date(2027, 1, 5))
        fridays = terms.lesson_days({}, calendar.load(s, COUNTY), dt.date(2026, 12, 21), dt.date(2027, 1, 15), 4)
        assert fridays == [dt.date(2026, 12, 25), dt.date(2027, 1, 8), dt.date(2027, 1, 15)]
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "calendar.year_put", AuditEntry.entity_id == "2027")
                          .order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.actor_role == "platform_admin"
        assert entry.old_values["year"] == {"status": "provisional", "source": "临时安排"} and entry.old_values["days"] == []
        assert entry.new_values["days"] == [{"day": "2027-01-01", "kind": "holiday", "name": "元旦"}]
        assert entry.reason == "国务院办公厅通知已发布"


def test_a_missing_year_refuses_clearly(ctx, world: World, client) -> None:
    with ctx.db.write_session() as s:
        s.execute(delete(CalendarYear).where(CalendarYear.year == 2027))
        s.commit()
    at(dt.date(2026, 12, 30))
    with ctx.db.write_session() as s, pytest.raises(CalendarMissing) as caught:
        notice.open_notice(ctx, s, Application(county_code=COUNTY))
    assert caught.value.code == "calendar_year_missing" and caught.value.status_code == 409
    assert "2027年的节假日安排尚未录入" in caught.value.message and caught.value.extra == {"year": 2027}
    with ctx.db.read_session() as s, pytest.raises(CalendarMissing):
        terms.lesson_days({}, calendar.load(s, COUNTY), dt.date(2026, 12, 21), dt.date(2027, 1, 15), 4)
    # days of known years still answer
    with ctx.db.read_session() as s:
        assert calendar.load(s, COUNTY).add_working_days(dt.date(2026, 12, 28), 3) == dt.date(2026, 12, 30)


def test_the_warning_appears_from_1_november(ctx, world: World) -> None:
    enter_on_page(ctx, NEW_YEAR_2027)
    with ctx.db.write_session() as s:
        s.execute(delete(CalendarYear).where(CalendarYear.year == 2028))
        s.commit()
        assert calendar.warnings(s, dt.date(2027, 10, 31)) == []
        [warning] = calendar.warnings(s, dt.date(2027, 11, 1))
        assert warning.startswith("2028年的节假日安排尚未录入")
    at(dt.date(2027, 11, 1))
    for who in ("decider", "admin"):
        with browser(ctx, who) as page:
            assert "2028年的节假日安排尚未录入" in page.get("/desk").text
            assert "2028年的节假日安排尚未录入" in page.get("/calendar").text
    at(dt.date(2027, 10, 31))
    with browser(ctx, "decider") as page:
        assert "节假日安排尚未录入" not in page.get("/desk").text


def test_a_provisional_year_is_named_in_the_warning(ctx, world: World) -> None:
    with ctx.db.read_session() as s:  # the test template holds 2027 provisionally
        [warning] = calendar.warnings(s, dt.date(2027, 3, 1))
    assert warning.startswith("2027年目前为临时安排")


def test_a_county_adds_a_local_holiday_for_itself_only(ctx, world: World) -> None:
    with browser(ctx, "decider") as page:
        resp = page.post("/calendar/2027/local", data={"_csrf_token": csrf(page, "/calendar/2027"), "reason": "本县民族节日",
                                                       "text": "2027-04-09,放假,三月三"},
                         files={"x": ("", b"", "text/plain")}, follow_redirects=False)
        assert resp.status_code == 303, resp.text
        assert "三月三" in page.get("/calendar/2027").text
    with ctx.db.read_session() as s:
        assert not calendar.load(s, COUNTY).is_workday(dt.date(2027, 4, 9))
        assert calendar.load(s, OTHER_COUNTY).is_workday(dt.date(2027, 4, 9))
        assert calendar.load(s, None).is_workday(dt.date(2027, 4, 9))
    with ctx.db.write_session() as s:
        for who, error in (("reviewer1", PermissionDenied), ("other_decider", PermissionDenied)):
            with pytest.raises(error):
                calendar.put_local(s, world.actor(who), region_code=COUNTY, year=2027, reason="x",
                                   items=[DayEntry(dt.date(2027, 4, 9), "workday", "x")])


def test_a_province_day_applies_to_its_counties_and_the_county_wins(ctx, world: World) -> None:
    with ctx.db.write_session() as s:
        calendar.put_local(s, ADMIN, region_code="330000", year=2027, reason="省定节日",
                           items=parse("2027-05-10~2027-05-11,放假,省级节日"))
        calendar.put_local(s, world.actor("decider"), region_code=COUNTY, year=2027, reason="本县暂无补充",
                           items=[])
        s.commit()
        cal = calendar.load(s, COUNTY)
        assert not cal.is_workday(dt.date(2027, 5, 10)) and not cal.is_workday(dt.date(2027, 5, 11))
        calendar.put_local(s, world.actor("decider"), region_code=COUNTY, year=2027, reason="本县只放一天",
                           items=parse("2027-05-16,上班,省级节日调休"))
        s.commit()
        cal = calendar.load(s, COUNTY)
        assert cal.is_workday(dt.date(2027, 5, 16)) and not calendar.load(s, OTHER_COUNTY).is_workday(dt.date(2027, 5, 16))


@pytest.mark.parametrize(("text", "code", "words"), [
    ("2027-01-04,上班,元旦", "calendar_workday_on_weekday", "本来就是工作日"),
    ("2027-01-01,放假,元旦\n2027-01-01,放假,元旦", "calendar_day_duplicate", "重复"),
    ("2028-01-01,放假,元旦", "calendar_day_wrong_year", "不在2027年内"),
    ("2027-01-01,放假,", "calendar_name_invalid", "名称"),
    ("2027-01-01,休假,元旦", "calendar_line_invalid", "第1行"),
    ("# 注释\n2027-13-01,放假,元旦", "calendar_line_invalid", "第2行"),
    ("2027-01-01", "calendar_line_invalid", "三项"),
    ("2027-02-01~2027-01-01,放假,春节", "calendar_line_invalid", "范围无效"),
])
def test_bad_entries_are_refused_naming_the_line_or_day(ctx, world: World, text: str, code: str, words: str) -> None:
    with ctx.db.write_session() as s, pytest.raises(ValidationFailed) as caught:
        calendar.put_year(s, ADMIN, year=2027, status="official", source="测试", reason="录入", items=parse(text))
    assert caught.value.code == code and words in caught.value.message


def test_the_page_shows_a_refusal_and_keeps_the_year(ctx, world: World) -> None:
    with browser(ctx, "admin") as admin:
        resp = admin.post("/calendar/2027", data={"_csrf_token": csrf(admin, "/calendar/2027"), "status": "official",
                                                  "source": "", "reason": "录入", "text": NEW_YEAR_2027},
                          files={"x": ("", b"", "text/plain")})
        assert "正式安排请填写依据" in resp.text
    with ctx.db.read_session() as s:
        assert calendar.known_years(s)[2027] == "provisional"


def test_official_needs_a_source_and_a_holiday_and_only_the_admin_enters_years(ctx, world: World) -> None:
    with ctx.db.write_session() as s:
        with pytest.raises(ValidationFailed, match="依据"):
            calendar.put_year(s, ADMIN, year=2027, status="official", source="", reason="x", items=parse(NEW_YEAR_2027))
        with pytest.raises(ValidationFailed, match="至少应包含一个放假日"):
            calendar.put_year(s, ADMIN, year=2027, status="official", source="通知", reason="x", items=[])
        with pytest.raises(ValidationFailed, match="年份"):
            calendar.put_year(s, ADMIN, year=2147483648, status="official", source="通知", reason="x", items=[])
        with pytest.raises(PermissionDenied):
            calendar.put_year(s, world.actor("decider"), year=2027, status="official", source="通知", reason="x",
                              items=parse(NEW_YEAR_2027))


def test_the_api_enters_a_year_and_reads_it_back(client, world: World) -> None:
    from tests.helpers import err, ok, token_headers

    admin = token_headers(client, "admin")
    body = {"status": "official", "source": "测试录入", "reason": "录入",
            "days": [{"day": "2027-01-01", "kind": "holiday", "name": "元旦"}]}
    got = ok(client.put("/api/v1/calendar/2027", headers=admin, json=body))
    assert got["status"] == "official" and got["national"] == [{"day": "2027-01-01", "kind": "holiday", "name": "元旦"}]
    assert ok(client.get("/api/v1/calendar/2027"))["national"] == got["national"]
    err(client.put("/api/v1/calendar/2027", headers=admin, json=body | {"days": [{"day": "2027-1-1", "kind": "holiday",
                                                                                    "name": "元旦"}]}),
        400, "calendar_line_invalid")
    err(client.put("/api/v1/calendar/2027", headers=admin, json=body | {"percent": 5}), 400, "invalid_input")
    err(client.get("/api/v1/calendar/2147483648"), 400, "calendar_year_invalid")
    years = ok(client.get("/api/v1/calendar"))["years"]
    assert {"year": 2027, "status": "official", "source": "测试录入"} in years


def test_migrate_entered_the_packages_years_and_sync_keeps_admin_entries(ctx, world: World) -> None:
    known = package_years()
    with ctx.db.write_session() as s:
        assert {y for y, st in calendar.known_years(s).items() if st == "official"} == set(known)
        assert unparse([DayEntry(d.day, d.kind, d.name) for d in calendar.entries(s, "", 2026)]) == unparse(known[2026])
        # a year the admin entered officially is kept; one held provisionally is replaced by the package's
        calendar.put_year(s, ADMIN, year=2025, status="official", source="管理员录入", reason="x",
                          items=parse("2025-01-01,放假,元旦"))
        calendar.put_year(s, ADMIN, year=2026, status="provisional", source="", reason="x", items=[])
        assert sync_from_package(s) == [2026]
        s.commit()
        assert s.get(CalendarYear, 2025).source == "管理员录入"  # type: ignore[union-attr]
        assert s.get(CalendarYear, 2026).status == "official"  # type: ignore[union-attr]
        assert sync_from_package(s) == []


def test_file_form_round_trips() -> None:
    text = "2026-01-01~2026-01-03,放假,元旦\n2026-01-04,上班,元旦\n"
    assert unparse(parse(text)) == text
    assert parse("2026-10-01～2026-10-02，放假，国庆节") == [DayEntry(dt.date(2026, 10, 1), "holiday", "国庆节"),
                                                          DayEntry(dt.date(2026, 10, 2), "holiday", "国庆节")]


def test_a_public_complaint_is_never_refused_for_want_of_next_years_calendar(ctx, world: World, client) -> None:
    from tests import outcome_setup as os_
    from tests.helpers import ok

    os_.enable(world)
    with ctx.db.write_session() as s:
        s.execute(delete(CalendarYear).where(CalendarYear.year == 2027))
        s.commit()
    at(dt.date(2026, 12, 28))  # a Monday: 15 working days run into 2027
    out = ok(client.post(f"/api/v1/public/counties/{COUNTY}/complaints",
                         json={"category": "safety", "text": "校门口接送混乱有安全隐患", "anonymous": True}), 201)
    assert out["status"] == "received" and out["resolve_by"] > "2027-01-01"  # counted Monday to Friday meanwhile
    with ctx.db.read_session() as s, pytest.raises(CalendarMissing):  # everything else still refuses
        calendar.load(s, COUNTY).add_working_days(dt.date(2026, 12, 28), 15)
