"""The working-day calendar: every working-day computation (notice periods, complaint deadlines, lesson days)
goes through a :class:`WorkCalendar` loaded here.

A day is a working day when an entry says so (``workday``: an adjusted working day) or, with no entry saying
``holiday``, when it is Monday to Friday. Entries are national (scope ``""``) or local: a county, city or
province (a prefix of the division code) may add its own holidays and working days, the longest prefix
winning. A computation that reaches a year with no national arrangement refuses (:class:`CalendarMissing`)
instead of guessing; a ``provisional`` year (entered by the platform admin before the State Council's notice)
counts Monday to Friday plus whatever entries it has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kehou.errors import NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.calendar.models import CalendarDay, CalendarYear
from kehou.platform.calendar.types import CalendarMissing, DayEntry, WorkCalendar
from kehou.platform.counties.models import Region
from kehou.timeutil import utcnow

KINDS = {"holiday": "放假", "workday": "调休上班"}
STATUSES = {"official": "正式安排", "provisional": "临时安排（按周一至周五）"}
FIRST_YEAR, LAST_YEAR = 2000, 2100
__all__ = ["CalendarMissing", "DayEntry", "WorkCalendar", "load", "put_local", "put_year", "warnings"]


def scopes_for(region_code: str | None) -> list[str]:
    """National first, then province, city and county: later scopes override earlier ones."""
    code = region_code or ""
    return [""] + [code[:n] for n in (2, 4, 6) if len(code) >= n]


def known_years(session: Session) -> dict[int, str]:
    """year -> status of every year entered."""
    return dict(session.execute(select(CalendarYear.year, CalendarYear.status)).all())


def load(session: Session, region_code: str | None = None) -> WorkCalendar:
    """The calendar in force for a region (national only when ``region_code`` is None)."""
    years = known_years(session)
    scopes = scopes_for(region_code)
    rows = session.execute(select(CalendarDay.scope, CalendarDay.day, CalendarDay.kind)
                           .where(CalendarDay.scope.in_(scopes))).all()
    days: dict[dt.date, str] = {}
    for _scope, day, kind in sorted(rows, key=lambda r: len(r[0])):
        days[day] = kind
    return WorkCalendar(years=years, days=days)


# --- reading for pages --------------------------------------------------------------------------------------

def years(session: Session) -> list[CalendarYear]:
    return list(session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())))


def entries(session: Session, scope: str, year: int) -> list[CalendarDay]:
    return list(session.scalars(select(CalendarDay).where(
        CalendarDay.scope == scope, CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31))
        .order_by(CalendarDay.day)))


def warnings(session: Session, today: dt.date) -> list[str]:
    """What admins and county staff are told: this year missing or provisional always; next year from 1 November."""
    known = known_years(session)
    out = []
    for year in [today.year] + ([today.year + 1] if today.month >= 11 else []):
        if year not in known:
            out.append(f"{year}年的节假日安排尚未录入：涉及{year}年的公示期、投诉办理时限和课次排定将无法计算。"
                       "请平台管理员在“节假日日历”页面录入国务院办公厅公布的安排。")
        elif known[year] == "provisional":
            out.append(f"{year}年目前为临时安排（按周一至周五计算，未扣除法定节假日）。"
                       "国务院办公厅公布安排后，请平台管理员及时录入正式安排。")
    return out


# --- changing ------------------------------------------------------------------------------------------------

def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed(f"年份须在{FIRST_YEAR}至{LAST_YEAR}之间。", code="calendar_year_invalid", field="year")


def _check_entries(year: int, items: Iterable[DayEntry]) -> list[DayEntry]:
    seen: dict[dt.date, DayEntry] = {}
    for e in items:
        label = e.day.isoformat()
        if e.day.year != year:
            raise ValidationFailed(f"{label}不在{year}年内。", code="calendar_day_wrong_year", field="entries")
        if e.kind not in KINDS:
            raise ValidationFailed(f"{label}的类型只能是“放假”或“调休上班”。", code="calendar_kind_invalid", field="entries")
        if e.kind == "workday" and e.day.weekday() < 5:
            raise ValidationFailed(f"{label}是周一至周五，本来就是工作日，不能录为调休上班日。",
                                   code="calendar_workday_on_weekday", field="entries")
        name = e.name.strip()
        if not name or len(name) > 40:
            raise ValidationFailed(f"请填写{label}的节日名称（不超过40个字）。", code="calendar_name_invalid", field="entries")
        if e.day in seen:
            raise ValidationFailed(f"{label}重复出现。", code="calendar_day_duplicate", field="entries")
        seen[e.day] = DayEntry(e.day, e.kind, name)
    return sorted(seen.values(), key=lambda e: e.day)


def _replace(session: Session, scope: str, year: int, items: list[DayEntry]) -> list[dict[str, str]]:
    """Replace a scope's entries for a year; return the old ones (for the audit entry)."""
    old = [_row(d) for d in entries(session, scope, year)]
    session.execute(delete(CalendarDay).where(CalendarDay.scope == scope, CalendarDay.day >= dt.date(year, 1, 1),
                                              CalendarDay.day <= dt.date(year, 12, 31)))
    session.add_all(CalendarDay(scope=scope, day=e.day, kind=e.kind, name=e.name) for e in items)
    return old


def _row(d: CalendarDay | DayEntry) -> dict[str, str]:
    return {"day": d.day.isoformat(), "kind": d.kind, "name": d.name}


def put_year(session: Session, actor: Actor, *, year: int, status: str, source: str, items: Iterable[DayEntry],
             reason: str, audited: bool = True) -> CalendarYear:
    """The platform admin enters (or replaces) a year's national arrangement. Audited with old and new; only
    ``audited=False`` for a year that did not exist, entered from data shipped with the software (the package's
    years at ``kehou migrate``) or by test fixtures: nobody decided anything."""
    actor.require("platform_admin", "system")
    check_year(year)
    if status not in STATUSES:
        raise ValidationFailed("状态只能是“正式安排”或“临时安排”。", code="calendar_status_invalid", field="status")
    source = source.strip()
    if status == "official" and not source:
        raise ValidationFailed("正式安排请填写依据（如国务院办公厅通知的文号）。", code="calendar_source_required",
                               field="source")
    if not reason.strip():
        raise ValidationFailed("请填写修改理由。", code="reason_required", field="reason")
    checked = _check_entries(year, items)
    if status == "official" and not any(e.kind == "holiday" for e in checked):
        raise ValidationFailed("正式安排至少应包含一个放假日。", code="calendar_no_holidays", field="entries")
    row = session.get(CalendarYear, year)
    old_year = {"status": row.status, "source": row.source} if row else None
    old_days = _replace(session, "", year, checked)
    if row is None:
        row = CalendarYear(year=year)
        session.add(row)
    row.status, row.source, row.updated_at, row.updated_by = status, source[:200] or "临时安排", utcnow(), actor.user_id
    session.flush()
    if not audited and old_year is None:
        return row
    audit.record(session, actor, county_code=None, action="calendar.year_put", entity_type="calendar_year",
                 entity_id=year, reason=reason.strip(),
                 old={"year": old_year, "days": old_days} if old_year else None,
                 new={"year": {"status": status, "source": row.source}, "days": [_row(e) for e in checked]})
    return row


def put_local(session: Session, actor: Actor, *, region_code: str, year: int, items: Iterable[DayEntry],
              reason: str) -> None:
    """A county (its decision-makers) or the platform admin (any province, city or county) sets a region's local
    holidays and working days for a year, e.g. a minority festival. Audited with old and new."""
    actor.require("platform_admin", "county_staff")
    check_year(year)
    region = session.get(Region, region_code)
    if region is None:
        raise NotFound("地区代码不存在。", code="region_not_found", field="region_code")
    if actor.role == "county_staff":
        actor.require_county(region_code)
        if not actor.can_decide:
            raise PermissionDenied("只有有决定权限的教育局工作人员可以修改本地节假日。", code="decide_right_required")
    if not reason.strip():
        raise ValidationFailed("请填写修改理由。", code="reason_required", field="reason")
    scope = {"province": region_code[:2], "city": region_code[:4]}.get(region.level, region_code)
    checked = _check_entries(year, items)
    old = _replace(session, scope, year, checked)
    session.flush()
    audit.record(session, actor, county_code=region_code if len(scope) == 6 else None, action="calendar.local_put",
                 entity_type="calendar_local", entity_id=f"{region_code}:{year}", reason=reason.strip(),
                 old={"days": old}, new={"days": [_row(e) for e in checked]})
