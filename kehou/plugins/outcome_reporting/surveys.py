"""Satisfaction surveys (满意度测评): rounds per county and term, parents' and students' answers per
enrolment, schools' ratings of the providers they used, and the aggregates each party may see.

Anonymity: a provider (and a school) sees only per-course aggregates — count, mean score, share
satisfied and the comments, sorted, never a name, child or enrolment — and nothing of a group with
fewer than :data:`MIN_SHOWN` answers. The provider sees a round only once it has closed, so it
cannot tell who answered by watching the numbers move.

Concurrency: one answer per (survey, enrolment, respondent) and one rating per (survey, school,
provider) are unique constraints; one round per (county, term, reason) too, so the term-end job may
run twice or concurrently and opens each round once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.notifications.models import Notification
from kehou.platform.privacy import consent
from kehou.platform.students import services as students
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting import access
from kehou.plugins.outcome_reporting.models.surveys import SchoolRating, Survey, SurveyResponse
from kehou.timeutil import as_utc, clock, utcnow

MIN_SHOWN = 3  # groups with fewer answers are hidden from providers and schools (nobody can be identified)
MAX_COMMENT = 500
SCALE = range(1, 6)
REASONS = ("term_end", "on_demand")
RESPONDENTS = ("parent", "student")
PARENT_LINK = "/parent/surveys"

#: The default questions (1 非常不满意 … 5 非常满意); ``overall`` decides ``satisfied``.
QUESTIONS: list[dict[str, Any]] = [
    {"code": "overall", "text": "总体而言，您对这门课后服务课程是否满意？", "for": ["parent"]},
    {"code": "content", "text": "课程内容丰富、适合孩子，孩子有收获", "for": ["parent"]},
    {"code": "teaching", "text": "授课老师认真负责、关心孩子", "for": ["parent"]},
    {"code": "safety", "text": "课堂秩序、安全管理和放学交接到位", "for": ["parent"]},
    {"code": "communication", "text": "机构与家长沟通及时、收费规范透明", "for": ["parent"]},
    {"code": "overall", "text": "总的来说，你喜欢这门课吗？", "for": ["student"]},
    {"code": "fun", "text": "上这门课很有意思", "for": ["student"]},
    {"code": "learned", "text": "我在这门课上学到了新本领", "for": ["student"]},
    {"code": "teacher", "text": "老师耐心、友好，愿意帮助我", "for": ["student"]},
    {"code": "overall", "text": "总体而言，本校对该机构的服务是否满意？", "for": ["school"]},
    {"code": "punctual", "text": "按课表准时到校授课，教师稳定", "for": ["school"]},
    {"code": "quality", "text": "课程质量符合协议约定，非学科类内容", "for": ["school"]},
    {"code": "cooperation", "text": "服从学校管理，安全责任落实", "for": ["school"]},
]


def questions_for(survey: Survey, who: str) -> list[dict[str, Any]]:
    return [q for q in survey.questions if who in q.get("for", [])]


def score_of(answers: Mapping[str, int]) -> int:
    """0..100: the mean answer scaled, (mean - 1) / 4 * 100, rounded half up (integers only)."""
    total, n = sum(answers.values()), len(answers)
    # round((total/n - 1) * 25) with halves up, without floats: (100*total - 100*n) / (4n)
    num, den = 100 * (total - n), 4 * n
    return (2 * num + den) // (2 * den)


def is_open(survey: Survey, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return as_utc(survey.opens_at) <= now < as_utc(survey.closes_at)


def survey_out(s: Survey) -> dict[str, Any]:
    return {"id": s.id, "county_code": s.county_code, "term_name": s.term_name, "reason": s.reason,
            "opens_at": as_utc(s.opens_at).isoformat(), "closes_at": as_utc(s.closes_at).isoformat(),
            "open": is_open(s), "questions": s.questions}


# --- rounds ----------------------------------------------------------------------------------------


def _terms(session: Session, county_code: str) -> dict[str, dt.date]:
    """Term name -> its latest end among the county's published menus."""
    out: dict[str, dt.date] = {}
    for m in catalogue.menus(session, county_code=county_code):
        if m.status == "published":
            out[m.term_name] = max(out.get(m.term_name, m.term_end), m.term_end)
    return out


def _open_round_of(session: Session, county_code: str, term_name: str) -> Survey | None:
    now = utcnow()
    for s in session.scalars(select(Survey).where(Survey.county_code == county_code, Survey.term_name == term_name)):
        if is_open(s, now):
            return s
    return None


def _insert_round(session: Session, actor: Actor, county_code: str, term_name: str, reason: str, days: int) -> Survey | None:
    """The new round, or None when (county, term, reason) already has one (a concurrent run)."""
    now = utcnow()
    survey = Survey(county_code=county_code, term_name=term_name, reason=reason, questions=[dict(q) for q in QUESTIONS],
                    opens_at=now, closes_at=now + dt.timedelta(days=days), created_by=actor.user_id, created_at=now)
    try:
        with session.begin_nested():
            session.add(survey)
            session.flush()
    except IntegrityError:
        return None
    audit.record(session, actor, county_code=county_code, action="survey.open", entity_type="outcome_survey",
                 entity_id=survey.id, reason="学期末满意度测评" if reason == "term_end" else "区县发起满意度测评",
                 new={"term_name": term_name, "reason": reason, "opens_at": survey.opens_at, "closes_at": survey.closes_at})
    _notify_guardians(session, survey)
    return survey


def _notify_guardians(session: Session, survey: Survey) -> int:
    kids = sorted({e.student_id for e in catalogue.enrolments(session, county_code=survey.county_code,
                                                              term_name=survey.term_name) if _answerable(e)})
    if not kids:
        return 0
    users = sorted({uid for uids in students.guardian_user_ids(session, kids).values() for uid in uids})
    closes = as_utc(survey.closes_at).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    for uid in users:
        session.add(Notification(user_id=uid, title="课后服务满意度测评开始了",
                                 body=f"{survey.term_name}课后服务满意度测评已开始，"
                                      f"请在 {closes}（北京时间）前为孩子参加的每门课程填写问卷。"
                                      "问卷匿名，机构看不到填写人。", link=PARENT_LINK, created_at=utcnow()))
    return len(users)


def open_round(ctx: Context, session: Session, actor: Actor, county_code: str, term_name: str) -> Survey:
    """County staff open a round on demand for one of the county's terms."""
    actor.require("county_staff")
    actor.require_county(county_code)
    settings = access.settings(ctx, session, county_code)
    term_name = (term_name or "").strip()
    if term_name not in _terms(session, county_code):
        raise ValidationFailed("本区县没有该学期的课程超市（须为已发布课程的学期）。", code="term_not_found", field="term_name")
    if _open_round_of(session, county_code, term_name) is not None:
        raise Conflict("该学期已有正在进行的满意度测评。", code="survey_round_open")
    survey = _insert_round(session, actor, county_code, term_name, "on_demand", int(settings["outcome.survey_days"]))
    if survey is None:
        raise Conflict("该学期已发起过满意度测评。", code="survey_exists")
    session.commit()
    return survey


def open_term_end_rounds(ctx: Context, session: Session, actor: Actor | None = None) -> int:
    """For every county with outcome reporting enabled: open the term-end round of each term whose
    end is within ``outcome.survey_days`` days (before or after). Safe to run twice or concurrently."""
    actor = actor or Actor.system("outcome-surveys")
    today = clock.today_local()
    opened = 0
    counties = sorted({m.county_code for m in catalogue.menus(session)})
    for county in counties:
        try:
            settings = access.settings(ctx, session, county)
        except PermissionDenied:
            continue
        days = int(settings["outcome.survey_days"])
        for term, end in sorted(_terms(session, county).items()):
            if not end - dt.timedelta(days=days) <= today <= end + dt.timedelta(days=days):
                continue
            exists = session.scalar(select(Survey.id).where(Survey.county_code == county, Survey.term_name == term,
                                                            Survey.reason == "term_end"))
            if exists is not None or _open_round_of(session, county, term) is not None:
                continue  # done already, or an on-demand round runs: the next run opens it
            if _insert_round(session, actor, county, term, "term_end", days) is not None:
                opened += 1
        session.commit()
    return opened


def get_survey(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound("满意度测评不存在。", code="survey_not_found")
    return survey


def rounds_of_county(ctx: Context, session: Session, actor: Actor, county_code: str) -> list[Survey]:
    actor.require("county_staff", "platform_admin")
    actor.require_county(county_code)
    access.settings(ctx, session, county_code)
    return list(session.scalars(select(Survey).where(Survey.county_code == county_code).order_by(Survey.id.desc())))


# --- answers ---------------------------------------------------------------------------------------


def _answerable(e: catalogue.EnrolmentRecord) -> bool:
    """The child attended the course this term: placed in it (still, or until quitting)."""
    return e.enrolled_at is not None and e.status in ("enrolled", "quit")


@dataclass(frozen=True)
class Task:
    """One course of a child in an open round, and who still has to answer."""

    survey_id: int
    term_name: str
    closes_at: dt.datetime
    entry_id: int
    title: str
    respondents: tuple[str, ...]  # parent, and student from the grade setting
    answered: tuple[str, ...]


def tasks_for_child(ctx: Context, session: Session, actor: Actor, student_id: int) -> list[Task]:
    child = students.child_of(session, actor, student_id)
    surveys = [s for s in session.scalars(select(Survey).where(Survey.county_code == child.county_code)
                                          .order_by(Survey.id)) if is_open(s)]
    if not surveys:
        return []
    settings = access.settings(ctx, session, child.county_code)
    kinds = ("parent", "student") if child.grade >= int(settings["outcome.student_survey_min_grade"]) else ("parent",)
    done = defaultdict(set)
    for sid, eid, who in session.execute(select(SurveyResponse.survey_id, SurveyResponse.entry_id, SurveyResponse.respondent)
                                         .where(SurveyResponse.survey_id.in_([s.id for s in surveys]))
                                         .where(SurveyResponse.enrolment_id.in_(
                                             [e.enrolment_id for e in catalogue.enrolments(session, student_id=child.id)]))):
        done[(sid, eid)].add(who)
    out = []
    for s in surveys:
        for e in catalogue.enrolments(session, student_id=child.id, term_name=s.term_name):
            if _answerable(e):
                out.append(Task(s.id, s.term_name, as_utc(s.closes_at), e.entry_id, e.title, kinds,
                                tuple(k for k in kinds if k in done[(s.id, e.entry_id)])))
    return out


def _check_answers(questions: list[dict[str, Any]], answers: Any) -> dict[str, int]:
    codes = [q["code"] for q in questions]
    if not isinstance(answers, Mapping):
        raise ValidationFailed("请回答问卷中的每一道题。", code="answers_invalid", field="answers")
    missing = [c for c in codes if c not in answers]
    extra = [c for c in answers if c not in codes]
    if missing or extra:
        detail = "缺少" + "、".join(missing) if missing else "多余" + "、".join(map(str, extra))
        raise ValidationFailed(f"请回答问卷中的每一道题（{detail}）。", code="answers_invalid", field="answers")
    out = {}
    for c in codes:
        v = answers[c]
        if isinstance(v, bool) or not isinstance(v, int) or v not in SCALE:
            raise ValidationFailed("每道题的回答须为1到5的整数（1 非常不满意，5 非常满意）。", code="answers_invalid", field=c)
        out[c] = v
    return out


def _comment(comment: str | None) -> str:
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise ValidationFailed(f"意见建议不能超过{MAX_COMMENT}个字。", code="comment_too_long", field="comment")
    return text


def answer(ctx: Context, session: Session, actor: Actor, student_id: int, survey_id: int, *, entry_id: int,
           respondent: str, answers: Any, comment: str = "") -> SurveyResponse:
    """A parent's answer for one enrolment of their child, or (grade permitting) the child's own,
    given on the parent's device. One per enrolment and respondent."""
    actor.require("parent")
    child = students.child_of(session, actor, student_id)
    survey = session.get(Survey, survey_id)
    if survey is None or survey.county_code != child.county_code:
        raise NotFound("满意度测评不存在。", code="survey_not_found")
    settings = access.settings(ctx, session, child.county_code)
    if respondent not in RESPONDENTS:
        raise ValidationFailed("填写人须为 parent（家长）或 student（学生本人）。", code="respondent_invalid", field="respondent")
    if not is_open(survey):
        raise Conflict("本次满意度测评已结束（或尚未开始），不能再填写。", code="survey_closed")
    enrolment = next((e for e in catalogue.enrolments(session, student_id=child.id, entry_id=entry_id,
                                                      term_name=survey.term_name) if _answerable(e)), None)
    if enrolment is None:
        raise NotFound("孩子本学期没有参加这门课程。", code="enrolment_not_found", field="entry_id")
    min_grade = int(settings["outcome.student_survey_min_grade"])
    if respondent == "student" and child.grade < min_grade:
        raise ValidationFailed(f"{min_grade}年级及以上的学生才填写学生问卷，请由家长填写。", code="student_survey_not_for_grade",
                               field="respondent")
    if respondent == "student" and not consent.has(session, int(actor.user_id or 0), "survey"):
        raise Conflict("孩子本人填写问卷须先由您在“个人信息”页面同意（可随时撤回）。", code="consent_required",
                       field="respondent")
    clean = _check_answers(questions_for(survey, respondent), answers)
    text = _comment(comment)
    already = SurveyResponse.survey_id == survey.id, SurveyResponse.enrolment_id == enrolment.enrolment_id, \
        SurveyResponse.respondent == respondent
    refusal = Conflict("这门课程的问卷已经填写过了，每门课程只能填写一次。", code="survey_already_answered")
    if session.scalar(select(SurveyResponse.id).where(*already)) is not None:
        raise refusal
    row = SurveyResponse(survey_id=survey.id, enrolment_id=enrolment.enrolment_id, respondent=respondent,
                         school_id=enrolment.school_id, provider_id=enrolment.provider_id, entry_id=enrolment.entry_id,
                         answers=clean, score=score_of(clean), satisfied=clean["overall"] >= 4, comment=text,
                         submitted_by=actor.user_id, submitted_at=utcnow())
    _insert_once(session, row, refusal)
    audit.record(session, actor, county_code=survey.county_code, action="survey.answer", entity_type="outcome_survey_response",
                 entity_id=row.id, new={"survey_id": survey.id, "entry_id": row.entry_id, "respondent": respondent,
                                        "score": row.score, "satisfied": row.satisfied})
    session.commit()
    return row


def _insert_once(session: Session, row: Any, refusal: Conflict) -> None:
    """Add the row; the table's unique constraint refuses a second one (two submits at once included)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        session.rollback()
        raise refusal from None


# --- schools rate providers ------------------------------------------------------------------------


def _school_survey(ctx: Context, session: Session, actor: Actor, school_id: int, survey_id: int) -> tuple[Any, Survey]:
    school = students.school_of(session, actor, school_id)
    survey = session.get(Survey, survey_id)
    if survey is None or survey.county_code != school.county_code:
        raise NotFound("满意度测评不存在。", code="survey_not_found")
    access.settings(ctx, session, school.county_code)
    return school, survey


def providers_used(session: Session, school_id: int, term_name: str) -> dict[int, list[str]]:
    """Provider id -> titles of its courses that ran at the school in the term (published menu, not cancelled)."""
    out: dict[int, list[str]] = {}
    for c in catalogue.courses(session, school_id=school_id, term_name=term_name):
        if c.menu_status == "published" and c.status != "cancelled":
            out.setdefault(c.provider_id, []).append(c.title)
    return out


def ratings_page(ctx: Context, session: Session, actor: Actor, school_id: int, survey_id: int) -> dict[str, Any]:
    """What the school rates in the round: each provider it used, and its rating if given."""
    _, survey = _school_survey(ctx, session, actor, school_id, survey_id)
    from kehou.platform.providers.models import Provider

    used = providers_used(session, school_id, survey.term_name)
    names = dict(session.execute(select(Provider.id, Provider.name).where(Provider.id.in_(sorted(used)))).all())
    given = {r.provider_id: r for r in session.scalars(select(SchoolRating).where(
        SchoolRating.survey_id == survey.id, SchoolRating.school_id == school_id))}
    return {"survey": survey_out(survey), "questions": questions_for(survey, "school"),
            "providers": [{"provider_id": pid, "name": names.get(pid, ""), "courses": titles,
                           "rating": rating_out(given[pid]) if pid in given else None} for pid, titles in sorted(used.items())]}


def rating_out(r: SchoolRating) -> dict[str, Any]:
    return {"id": r.id, "survey_id": r.survey_id, "school_id": r.school_id, "provider_id": r.provider_id,
            "answers": r.answers, "score": r.score, "comment": r.comment, "rated_at": as_utc(r.rated_at).isoformat()}


def rate(ctx: Context, session: Session, actor: Actor, school_id: int, survey_id: int, *, provider_id: int, answers: Any,
         comment: str = "") -> SchoolRating:
    """The school admin's evaluation of a provider the school used in the round's term; one each."""
    actor.require("school_admin")
    _, survey = _school_survey(ctx, session, actor, school_id, survey_id)
    if not is_open(survey):
        raise Conflict("本次满意度测评已结束（或尚未开始），不能再评价。", code="survey_closed")
    if provider_id not in providers_used(session, school_id, survey.term_name):
        raise NotFound("本校本学期没有使用该机构的课程。", code="provider_not_used", field="provider_id")
    clean = _check_answers(questions_for(survey, "school"), answers)
    text = _comment(comment)
    refusal = Conflict("本校已评价过该机构。", code="school_rating_exists")
    if session.scalar(select(SchoolRating.id).where(SchoolRating.survey_id == survey.id, SchoolRating.school_id == school_id,
                                                    SchoolRating.provider_id == provider_id)) is not None:
        raise refusal
    row = SchoolRating(survey_id=survey.id, school_id=school_id, provider_id=provider_id, answers=clean, score=score_of(clean),
                       comment=text, rated_by=actor.user_id, rated_at=utcnow())
    _insert_once(session, row, refusal)
    audit.record(session, actor, county_code=survey.county_code, action="survey.school_rating",
                 entity_type="outcome_school_rating",
                 entity_id=row.id, new={"survey_id": survey.id, "school_id": school_id, "provider_id": provider_id,
                                        "answers": clean, "score": row.score, "comment": text})
    session.commit()
    return row


# --- aggregates ------------------------------------------------------------------------------------


def aggregate(rows: Iterable[SurveyResponse], *, hide_small: bool, with_comments: bool = True) -> dict[str, Any]:
    """Count, mean score, share satisfied (percent, rounded) and comments (sorted, so their order
    tells nothing); with ``hide_small``, only the count's absence when fewer than MIN_SHOWN answered."""
    rows = list(rows)
    n = len(rows)
    if hide_small and n < MIN_SHOWN:
        return {"shown": False, "count": None, "mean_score": None, "satisfied_pct": None, "comments": []}
    if n == 0:
        return {"shown": True, "count": 0, "mean_score": None, "satisfied_pct": None, "comments": []}
    out: dict[str, Any] = {"shown": True, "count": n, "mean_score": (2 * sum(r.score for r in rows) + n) // (2 * n),
                           "satisfied_pct": (200 * sum(1 for r in rows if r.satisfied) + n) // (2 * n)}
    out["comments"] = sorted(r.comment for r in rows if r.comment) if with_comments else []
    return out


def summary(ctx: Context, session: Session, actor: Actor, survey_id: int) -> dict[str, Any]:
    """What the actor may see of a round: county staff per provider and per school (with the schools'
    ratings); a school admin its own school's courses; a provider its own courses once the round closed."""
    actor.require("county_staff", "school_admin", "provider", "platform_admin")
    survey = get_survey(session, survey_id)
    base = {"survey": survey_out(survey), "min_shown": MIN_SHOWN}
    if actor.role == "provider":
        rows = list(session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id,
                                                                 SurveyResponse.provider_id == actor.provider_id)))
        if not rows and not any(c.provider_id == actor.provider_id for c in catalogue.courses(
                session, county_code=survey.county_code, term_name=survey.term_name)):
            raise NotFound("满意度测评不存在。", code="survey_not_found")
        access.settings(ctx, session, survey.county_code)
        if is_open(survey):
            raise Conflict("测评结束后才能查看结果（保护填写人匿名）。", code="survey_still_open")
        return base | {"courses": _per_course(session, rows, survey, provider_id=actor.provider_id)}
    if actor.role == "school_admin":
        school = students.school_of(session, actor, int(actor.school_id or 0))
        if school.county_code != survey.county_code:
            raise NotFound("满意度测评不存在。", code="survey_not_found")
        access.settings(ctx, session, survey.county_code)
        rows = list(session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id,
                                                                 SurveyResponse.school_id == school.id)))
        return base | {"courses": _per_course(session, rows, survey, school_id=school.id)}
    if actor.role == "county_staff" and actor.county_code != survey.county_code:
        raise NotFound("满意度测评不存在。", code="survey_not_found")
    access.settings(ctx, session, survey.county_code)
    return base | _county_view(session, survey)


def _per_course(session: Session, rows: list[SurveyResponse], survey: Survey, *, provider_id: int | None = None,
                school_id: int | None = None) -> list[dict[str, Any]]:
    by: dict[tuple[int, str], list[SurveyResponse]] = defaultdict(list)
    for r in rows:
        by[(r.entry_id, r.respondent)].append(r)
    out = []
    for c in catalogue.courses(session, county_code=survey.county_code, term_name=survey.term_name, provider_id=provider_id,
                               school_id=school_id):
        if c.menu_status != "published":
            continue
        out.append({"entry_id": c.entry_id, "title": c.title, "school_id": c.school_id, "provider_id": c.provider_id,
                    "parents": aggregate(by[(c.entry_id, "parent")], hide_small=True),
                    "students": aggregate(by[(c.entry_id, "student")], hide_small=True)})
    return out


def _county_view(session: Session, survey: Survey) -> dict[str, Any]:
    from kehou.platform.counties.models import School
    from kehou.platform.providers.models import Provider

    rows = list(session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)))
    ratings = list(session.scalars(select(SchoolRating).where(SchoolRating.survey_id == survey.id)))
    pids = sorted({r.provider_id for r in rows} | {r.provider_id for r in ratings})
    sids = sorted({r.school_id for r in rows} | {r.school_id for r in ratings})
    pnames = dict(session.execute(select(Provider.id, Provider.name).where(Provider.id.in_(pids))).all())
    snames = dict(session.execute(select(School.id, School.name).where(School.id.in_(sids))).all())

    def group(key: str, ids: list[int], names: dict[int, str]) -> list[dict[str, Any]]:
        out = []
        for i in ids:
            mine = [r for r in rows if getattr(r, key) == i]
            rated = [r.score for r in ratings if getattr(r, key) == i]
            out.append({key: i, "name": names.get(i, ""),
                        "parents": aggregate([r for r in mine if r.respondent == "parent"], hide_small=False),
                        "students": aggregate([r for r in mine if r.respondent == "student"], hide_small=False),
                        "school_ratings": {"count": len(rated),
                                           "mean_score": (2 * sum(rated) + len(rated)) // (2 * len(rated)) if rated else None}})
        return out

    return {"providers": group("provider_id", pids, pnames), "schools": group("school_id", sids, snames)}

