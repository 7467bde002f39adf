"""The county term report (学期成效报告): coverage, priority groups, courses by category, attendance,
satisfaction, supervision and fees, for the county and each school, with term-over-term headlines.

Every figure comes from GROUP BY queries: the catalogue's and billing's aggregate functions in their
``public`` modules, and this plugin's own tables. Nothing loops over attendance or enrolments in Python.
Students are counted from the roster as it stands today (the platform keeps no roster history), so the
denominators of earlier terms are today's. Money is integer fen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from kehou.errors import NotFound
from kehou.platform.actor import Actor
from kehou.platform.context import Context
from kehou.platform.counties.models import Region, School
from kehou.platform.students.models import Student
from kehou.plugins.billing_cap import public as billing
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting import access
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

REPORT = "county_term"


def percent(part: int, whole: int) -> float | None:
    """``part / whole`` in percent, one decimal; None when there is nothing to divide by."""
    return round(100.0 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Figures:
    """The figures of the county or of one school for one term."""

    schools: int = 0  # schools of the county (1 for a school's own row)
    schools_served: int = 0  # with at least one open course on a published menu
    students: int = 0  # on the roster
    students_served: int = 0  # enrolled in at least one course
    priority_students: int = 0  # in a priority group (留守、困难家庭…)
    priority_served: int = 0
    courses: int = 0
    enrolments: int = 0
    attendance_marked: int = 0
    attendance_present: int = 0
    responses: int = 0  # parents' survey answers
    satisfaction_mean: float | None = None  # 0..100
    satisfied: int = 0
    school_ratings: int = 0
    school_rating_mean: float | None = None
    complaints: int = 0
    complaints_resolved: int = 0
    handling_days_mean: float | None = None  # received -> resolved, calendar days
    complaints_overdue: int = 0  # open past their resolve-by date
    patrols: int = 0
    incidents: int = 0
    collected_fen: int = 0
    refunded_fen: int = 0
    waived_fen: int = 0

    @property
    def coverage(self) -> float | None:
        return percent(self.schools_served, self.schools)

    @property
    def students_rate(self) -> float | None:
        return percent(self.students_served, self.students)

    @property
    def priority_rate(self) -> float | None:
        return percent(self.priority_served, self.priority_students)

    @property
    def attendance_rate(self) -> float | None:
        return percent(self.attendance_present, self.attendance_marked)

    @property
    def satisfied_rate(self) -> float | None:
        return percent(self.satisfied, self.responses)


@dataclass(frozen=True)
class SchoolRow:
    school_id: int
    name: str
    figures: Figures


@dataclass(frozen=True)
class CategoryRow:
    category: str
    providers: int
    courses: int
    enrolments: int


@dataclass(frozen=True)
class TermRow:
    term_name: str
    term_start: dt.date
    figures: Figures


@dataclass(frozen=True)
class CountyTermReport:
    county_code: str
    county_name: str
    term_name: str
    school_id: int | None  # set: the report of this one school
    total: Figures
    schools: tuple[SchoolRow, ...]
    categories: tuple[CategoryRow, ...]
    history: tuple[TermRow, ...]  # this term and the earlier ones, oldest first
    generated_at: dt.datetime = field(default_factory=utcnow)

    @property
    def title(self) -> str:
        scope = self.schools[0].name if self.school_id is not None and self.schools else self.county_name
        return f"{scope}{self.term_name}课后服务成效报告"


# --- the aggregates ----------------------------------------------------------------------------------


def _by(rows: Iterable[Sequence[Any]]) -> dict[tuple[str, int], tuple[Any, ...]]:
    """(term, school) -> the rest of a GROUP BY row (a row without a school is filed under school 0)."""
    return {(str(r[0]), int(r[1] or 0)): tuple(r[2:]) for r in rows}


def _handling_days(session: Session) -> object:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Complaint.resolved_at - Complaint.received_at) / 86400.0
    return func.julianday(Complaint.resolved_at) - func.julianday(Complaint.received_at)


def _term_school_figures(session: Session, county_code: str, term_name: str | None,
                         school_id: int | None) -> dict[tuple[str, int], dict[str, object]]:
    """(term, school) -> figure fields, from one GROUP BY query per source."""
    out: dict[tuple[str, int], dict[str, object]] = defaultdict(dict)
    for c in catalogue.school_term_counts(session, county_code, term_name=term_name, school_id=school_id):
        out[(c.term_name, c.school_id)] |= {"courses": c.courses, "enrolments": c.enrolments,
                                            "students_served": c.students, "priority_served": c.priority_students}
    for a in catalogue.attendance_counts(session, county_code, term_name=term_name, school_id=school_id):
        out[(a.term_name, a.school_id)] |= {"attendance_marked": a.marked, "attendance_present": a.present}
    for f in billing.term_fees(session, county_code, term_name=term_name, school_id=school_id):
        out[(f.term_name, f.school_id)] |= {"collected_fen": f.collected_fen, "refunded_fen": f.refunded_fen,
                                            "waived_fen": f.waived_fen}

    def scoped(stmt: Select[*tuple[Any, ...]], term_col: QueryableAttribute[str],
               school_col: QueryableAttribute[Any]) -> Select[*tuple[Any, ...]]:
        if term_name is not None:
            stmt = stmt.where(term_col == term_name)
        if school_id is not None:
            stmt = stmt.where(school_col == school_id)
        return stmt.group_by(term_col, school_col)

    parents = scoped(select(Survey.term_name, SurveyResponse.school_id, func.count(SurveyResponse.id),
                            func.avg(SurveyResponse.score), func.sum(case((SurveyResponse.satisfied.is_(True), 1), else_=0)))
                     .join(Survey, Survey.id == SurveyResponse.survey_id)
                     .where(Survey.county_code == county_code, SurveyResponse.respondent == "parent"),
                     Survey.term_name, SurveyResponse.school_id)
    for key, (n, mean, satisfied) in _by(list(session.execute(parents))).items():
        out[key] |= {"responses": int(n), "satisfaction_mean": round(float(mean), 1), "satisfied": int(satisfied or 0)}
    ratings = scoped(select(Survey.term_name, SchoolRating.school_id, func.count(SchoolRating.id), func.avg(SchoolRating.score))
                     .join(Survey, Survey.id == SchoolRating.survey_id).where(Survey.county_code == county_code),
                     Survey.term_name, SchoolRating.school_id)
    for key, (n, mean) in _by(list(session.execute(ratings))).items():
        out[key] |= {"school_ratings": int(n), "school_rating_mean": round(float(mean), 1)}
    today = clock.today_local()
    complaints = scoped(select(Complaint.term_name, Complaint.school_id, func.count(Complaint.id),
                               func.sum(case((Complaint.status == "resolved", 1), else_=0)),
                               func.avg(case((Complaint.status == "resolved", _handling_days(session)))),
                               func.sum(case(((Complaint.status != "resolved") & (Complaint.resolve_by < today), 1), else_=0)))
                        .where(Complaint.county_code == county_code), Complaint.term_name, Complaint.school_id)
    for key, (n, resolved, days, overdue) in _by(list(session.execute(complaints))).items():
        out[key] |= {"complaints": int(n), "complaints_resolved": int(resolved or 0), "complaints_overdue": int(overdue or 0),
                     "handling_days_mean": round(float(days), 1) if days is not None else None,
                     "_handling_days_sum": float(days) * int(resolved or 0) if days is not None else 0.0}
    for model, name in ((Patrol, "patrols"), (Incident, "incidents")):
        stmt = scoped(select(model.term_name, model.school_id, func.count(model.id)).where(model.county_code == county_code),
                      model.term_name, model.school_id)
        for key, (n,) in _by(list(session.execute(stmt))).items():
            out[key] |= {name: int(n)}
    return out


def _figures(values: dict[str, object], **extra: object) -> Figures:
    return Figures(**{k: v for k, v in values.items() if not k.startswith("_")}, **extra)  # type: ignore[arg-type]


def _sum(parts: list[dict[str, Any]], **extra: object) -> Figures:
    """Add schools up; means weighted by their counts."""
    total: dict[str, Any] = {}
    for key in ("courses", "enrolments", "students_served", "priority_served", "attendance_marked", "attendance_present",
                "responses", "satisfied", "school_ratings", "complaints", "complaints_resolved", "complaints_overdue",
                "patrols", "incidents", "collected_fen", "refunded_fen", "waived_fen"):
        total[key] = sum(int(p.get(key, 0) or 0) for p in parts)

    def weighted(mean: str, weight: str) -> float | None:
        n = sum(int(p.get(weight, 0) or 0) for p in parts if p.get(mean) is not None)
        s = sum(float(p[mean]) * int(p.get(weight, 0) or 0) for p in parts if p.get(mean) is not None)
        return round(s / n, 1) if n else None

    total["satisfaction_mean"] = weighted("satisfaction_mean", "responses")
    total["school_rating_mean"] = weighted("school_rating_mean", "school_ratings")
    resolved = int(total["complaints_resolved"])
    days = sum(float(p.get("_handling_days_sum", 0.0) or 0.0) for p in parts)
    total["handling_days_mean"] = round(days / resolved, 1) if resolved else None
    return Figures(**total, **extra)  # type: ignore[arg-type]


def county_term(session: Session, county_code: str, term_name: str, *, school_id: int | None = None) -> CountyTermReport:
    """The report of ``term_name`` for the county (or, with ``school_id``, for that school only)."""
    terms = list(catalogue.terms(session, county_code))
    current = next((t for t in terms if t.term_name == term_name), None)
    if current is None:
        raise NotFound("本区县没有该学期的课后服务数据。", code="report_term_not_found", field="term_name")
    history_terms = [t for t in terms if t.term_start <= current.term_start]
    county_name = session.scalar(select(Region.name).where(Region.code == county_code)) or county_code
    school_stmt = select(School.id, School.name).where(School.county_code == county_code).order_by(School.id)
    student_stmt = select(Student.school_id, Student.priority_group).where(Student.county_code == county_code)
    if school_id is not None:
        school_stmt = school_stmt.where(School.id == school_id)
        student_stmt = student_stmt.where(Student.school_id == school_id)
    schools = list(session.execute(school_stmt))
    if school_id is not None and not schools:
        raise NotFound("学校不存在。", code="school_not_found")
    counted: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # priority groups are sealed: counted here, not in SQL
    for sid, group in session.execute(student_stmt):
        counted[sid][0] += 1
        counted[sid][1] += group is not None
    roster = {sid: (n, p) for sid, (n, p) in counted.items()}
    data = _term_school_figures(session, county_code, None, school_id)

    def rows_of(term: str) -> list[tuple[int, str, dict[str, object]]]:
        out = []
        for sid, name in schools:
            values = dict(data.get((term, sid), {}))
            values |= {"schools": 1, "schools_served": 1 if int(values.get("courses", 0) or 0) else 0,  # type: ignore[call-overload]
                       "students": roster.get(sid, (0, 0))[0], "priority_students": roster.get(sid, (0, 0))[1]}
            out.append((sid, name, values))
        return out

    def total_of(term: str) -> Figures:
        parts = [v for _, _, v in rows_of(term)]
        if school_id is None:
            parts.append(dict(data.get((term, 0), {})))  # complaints about no particular school
        return _sum(parts, schools=len(schools), schools_served=sum(int(p.get("schools_served", 0) or 0) for p in parts),  # type: ignore[call-overload]
                    students=sum(n for n, _ in roster.values()), priority_students=sum(p for _, p in roster.values()))

    school_rows = tuple(SchoolRow(sid, name, _figures(v)) for sid, name, v in rows_of(term_name))
    categories = tuple(CategoryRow(c.category, c.providers, c.courses, c.enrolments)
                       for c in catalogue.category_counts(session, county_code, term_name, school_id=school_id))
    history = tuple(TermRow(t.term_name, t.term_start, total_of(t.term_name)) for t in history_terms)
    return CountyTermReport(county_code, county_name, term_name, school_id, total_of(term_name), school_rows, categories,
                            history)


# --- who may see it ----------------------------------------------------------------------------------


def terms_of(session: Session, county_code: str) -> list[str]:
    return [t.term_name for t in catalogue.terms(session, county_code)]


def default_term(session: Session, county_code: str) -> str | None:
    """The term running today (else the latest that has started, else the first one planned)."""
    term = catalogue.current(catalogue.terms(session, county_code), clock.today_local())
    return term.term_name if term else None


def require_county_staff(ctx: Context, session: Session, actor: Actor, county_code: str) -> None:
    """County staff of that county (or the platform administrator), and the county has the plugin on."""
    actor.require("county_staff", "platform_admin")
    actor.require_county(county_code)
    access.settings(ctx, session, county_code)


def school_county(ctx: Context, session: Session, actor: Actor, school_id: int) -> str:
    """The county of a school the actor may see the report of: its own school admin, the county's staff."""
    actor.require("school_admin", "county_staff", "platform_admin")
    school = session.get(School, school_id)
    if school is None or (actor.role == "school_admin" and actor.school_id != school_id) or (
            actor.role == "county_staff" and actor.county_code != school.county_code):
        raise NotFound("学校不存在。", code="school_not_found")
    access.settings(ctx, session, school.county_code)
    return school.county_code


def for_county(ctx: Context, session: Session, actor: Actor, county_code: str, term_name: str | None) -> CountyTermReport:
    require_county_staff(ctx, session, actor, county_code)
    term = term_name or default_term(session, county_code)
    if not term:
        raise NotFound("本区县还没有课后服务学期数据。", code="report_term_not_found", field="term_name")
    return county_term(session, county_code, term)


def for_school(ctx: Context, session: Session, actor: Actor, school_id: int, term_name: str | None) -> CountyTermReport:
    county_code = school_county(ctx, session, actor, school_id)
    term = term_name or default_term(session, county_code)
    if not term:
        raise NotFound("本区县还没有课后服务学期数据。", code="report_term_not_found", field="term_name")
    return county_term(session, county_code, term, school_id=school_id)

