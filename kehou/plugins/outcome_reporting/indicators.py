"""The evaluation indicators: what each measures for every provider of a county in a term.

Each measure returns, per provider, a :class:`Measure`: the score (hundredths of a point, 0..10000)
or ``None`` when there is nothing to score (e.g. no patrol, too few survey answers), the sentence
that explains it, and the evidence behind it. Scores are integers throughout, rounded half up, so a
worked example in the tests gives exactly the same figure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting.models import Complaint, Incident, Patrol, SchoolRating, Survey, SurveyResponse

FULL = 10000  # 100.00 points


@dataclass(frozen=True)
class Scope:
    county_code: str
    term_name: str
    as_of: dt.date  # lessons up to this day count as due
    settings: Mapping[str, Any]
    courses: tuple[catalogue.CourseRecord, ...] = field(default=())

    @property
    def provider_ids(self) -> list[int]:
        return sorted({c.provider_id for c in self.courses})


@dataclass(frozen=True)
class Measure:
    score: int | None  # hundredths, 0..10000; None: not scored
    why: str
    evidence: dict[str, Any]
    observed: bool = True  # False: a score by default, with nothing seen (conduct without complaints or incidents)


def ratio(num: int, den: int) -> int:
    """num/den as hundredths of a point on 0..100, rounded half up: ratio(2, 3) == 6667."""
    return (2 * FULL * num + den) // (2 * den)


def points(h: int) -> str:
    """Hundredths as points for people: 6667 → '66.67'."""
    return f"{h // 100}.{h % 100:02d}"


def content_quality(session: Session, scope: Scope) -> dict[int, Measure]:
    """Share of patrols that found the declared content and no academic teaching."""
    good = func.sum(case((Patrol.on_topic & Patrol.non_academic, 1), else_=0))
    rows = session.execute(select(Patrol.provider_id, func.count(), good)
                           .where(Patrol.county_code == scope.county_code, Patrol.term_name == scope.term_name)
                           .group_by(Patrol.provider_id))
    out: dict[int, Measure] = {}
    for pid, n, ok in rows:
        ok = int(ok or 0)
        out[pid] = Measure(ratio(ok, n), f"巡课{n}次，内容对题且非学科类{ok}次，得分 {ok}/{n}×100", {"patrols": n, "good": ok})
    return out


def teaching_quality(session: Session, scope: Scope) -> dict[int, Measure]:
    """Mean patrol rating on 0..100 ((rating−1)/4); a patrol that found the instructor absent or a
    stand-in counts 0."""
    counted = case((Patrol.instructor_present & Patrol.instructor_matches, Patrol.rating - 1), else_=0)
    missing = func.sum(case((Patrol.instructor_present & Patrol.instructor_matches, 0), else_=1))
    rows = session.execute(select(Patrol.provider_id, func.count(), func.sum(counted), missing)
                           .where(Patrol.county_code == scope.county_code, Patrol.term_name == scope.term_name)
                           .group_by(Patrol.provider_id))
    out: dict[int, Measure] = {}
    for pid, n, total, absent in rows:
        total, absent = int(total or 0), int(absent or 0)
        why = f"巡课{n}次，评分（1至5分）折算后平均 {points(ratio(total, 4 * n))}"
        if absent:
            why += f"；其中{absent}次授课教师缺席或非本人，按0分计"
        out[pid] = Measure(ratio(total, 4 * n), why, {"patrols": n, "rating_points": total, "instructor_missing": absent})
    return out


def conduct(session: Session, scope: Scope) -> dict[int, Measure]:
    """100 less the county's penalty for each substantiated (or partly) complaint and each safety
    incident of the term; never below 0. Every provider with a course is scored."""
    complaint_pen: Mapping[str, int] = scope.settings["outcome.complaint_penalty"]
    incident_pen: Mapping[str, int] = scope.settings["outcome.incident_penalty"]
    findings: dict[int, dict[str, int]] = defaultdict(dict)
    for pid, finding, n in session.execute(
            select(Complaint.provider_id, Complaint.finding, func.count())
            .where(Complaint.county_code == scope.county_code, Complaint.term_name == scope.term_name,
                   Complaint.status == "resolved", Complaint.provider_id.is_not(None),
                   Complaint.finding.in_(list(complaint_pen)))
            .group_by(Complaint.provider_id, Complaint.finding)):
        assert pid is not None and finding is not None  # the query keeps resolved complaints against a provider only
        findings[pid][finding] = n
    incidents: dict[int, dict[str, int]] = defaultdict(dict)
    for pid, severity, n in session.execute(
            select(Incident.provider_id, Incident.severity, func.count())
            .where(Incident.county_code == scope.county_code, Incident.term_name == scope.term_name)
            .group_by(Incident.provider_id, Incident.severity)):
        incidents[pid][severity] = n
    labels = {"substantiated": "查实投诉", "partly": "部分查实投诉", "minor": "一般安全事件", "serious": "较大安全事件",
              "major": "重大安全事件"}
    out: dict[int, Measure] = {}
    for pid in scope.provider_ids:
        parts = [(k, n, complaint_pen.get(k, 0)) for k, n in sorted(findings[pid].items())]
        parts += [(k, n, incident_pen.get(k, 0)) for k, n in sorted(incidents[pid].items())]
        deducted = sum(n * pen for _, n, pen in parts)
        score = max(0, 100 - deducted) * 100
        why = "；".join(f"{labels.get(k, k)}{n}件，每件扣{pen}分" for k, n, pen in parts) or "本学期无查实投诉和安全事件"
        out[pid] = Measure(score, why + f"，得分 {points(score)}",
                           {"complaints": dict(findings[pid]), "incidents": dict(incidents[pid]), "deducted": deducted},
                           observed=bool(parts))
    return out


def delivery(session: Session, scope: Scope) -> dict[int, Measure]:
    """Lessons delivered (checked in) out of lessons due up to the evaluation day, on the provider's
    open courses; lessons the catalogue cancelled (holidays, a closed class) are not due."""
    open_entries = {c.entry_id: c.provider_id for c in scope.courses if c.status == "open"}
    due: dict[int, int] = defaultdict(int)
    done: dict[int, int] = defaultdict(int)
    for le in catalogue.lessons(session, county_code=scope.county_code, until=scope.as_of):
        pid = open_entries.get(le.entry_id)
        if pid is None or le.status == "cancelled":
            continue
        due[pid] += 1
        done[pid] += le.status == "delivered"
    return {pid: Measure(ratio(done[pid], n), f"应上{n}次课，实上{done[pid]}次", {"due": n, "delivered": done[pid]})
            for pid, n in due.items()}


def _surveys(scope: Scope) -> Any:
    return select(Survey.id).where(Survey.county_code == scope.county_code, Survey.term_name == scope.term_name)


def parent_satisfaction(session: Session, scope: Scope) -> dict[int, Measure]:
    """Share of parents' answers that are satisfied or very satisfied overall (one per enrolment: the
    last, when the term had two rounds); not scored under the county's minimum number of answers."""
    least = int(scope.settings["outcome.min_responses"])
    latest = (select(func.max(SurveyResponse.id)).where(SurveyResponse.survey_id.in_(_surveys(scope)),
                                                         SurveyResponse.respondent == "parent")
              .group_by(SurveyResponse.enrolment_id))  # a term with two rounds: each enrolment's last answer
    rows = session.execute(select(SurveyResponse.provider_id, func.count(),
                                  func.sum(case((SurveyResponse.satisfied, 1), else_=0)))
                           .where(SurveyResponse.id.in_(latest)).group_by(SurveyResponse.provider_id))
    out: dict[int, Measure] = {}
    for pid, n, yes in rows:
        yes = int(yes or 0)
        if n < least:
            out[pid] = Measure(None, f"家长问卷仅{n}份，少于{least}份，不计分", {"answers": n, "satisfied": yes})
        else:
            out[pid] = Measure(ratio(yes, n), f"家长问卷{n}份，满意及非常满意{yes}份，满意率 {points(ratio(yes, n))}%",
                               {"answers": n, "satisfied": yes})
    return out


def school_satisfaction(session: Session, scope: Scope) -> dict[int, Measure]:
    """Mean of the schools' ratings (each already on 0..100; a school's last rating of the term)."""
    latest = (select(func.max(SchoolRating.id)).where(SchoolRating.survey_id.in_(_surveys(scope)))
              .group_by(SchoolRating.school_id, SchoolRating.provider_id))  # each school's last rating of the term
    rows = session.execute(select(SchoolRating.provider_id, func.count(), func.sum(SchoolRating.score))
                           .where(SchoolRating.id.in_(latest)).group_by(SchoolRating.provider_id))
    return {pid: Measure(ratio(int(total), 100 * n), f"{n}所学校评价，平均 {points(ratio(int(total), 100 * n))} 分",
                         {"schools": n, "score_sum": int(total)})
            for pid, n, total in rows}


MEASURES: dict[str, Callable[[Session, Scope], dict[int, Measure]]] = {
    "content_quality": content_quality,
    "teaching_quality": teaching_quality,
    "conduct": conduct,
    "delivery": delivery,
    "parent_satisfaction": parent_satisfaction,
    "school_satisfaction": school_satisfaction,
}
NOTHING = {"content_quality": "本学期无巡课记录，不计分", "teaching_quality": "本学期无巡课记录，不计分",
           "delivery": "截至评价日无应上课次，不计分", "parent_satisfaction": "无家长问卷，不计分",
           "school_satisfaction": "无学校评价，不计分"}
