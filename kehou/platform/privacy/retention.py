"""Retention (保存期限): personal data of children who left school is removed when the county's periods run out,
by the daily job ``privacy-retention``, while aggregate reports and the ledger stay as they were.

- ``privacy.retention_contact_years`` (default 1) after a child left: the guardians' contacts go — phone numbers,
  the links to the child and, for a guardian with no other child still on file, the account itself (deactivated,
  its name and login replaced, its tokens revoked, its messages deleted).
- ``privacy.retention_roster_years`` (default 3) after a child left: the child is anonymised — name, student
  number and class replaced, and each plugin empties the free text it keeps about the child
  (``kehou_anonymise_students``: leave reasons, notes, explanations, quit reasons, waiver evidence, survey
  comments). What the statistics count stays: school, grade, the sealed priority group, enrolments, attendance
  marks, bills, payments and refunds. The append-only histories (enrolment events, the audit log, the access
  log) are kept as they are: they follow the logs' own period.

The other categories (``kehou.platform.privacy.inventory.SETTINGS``: participation, billing, feedback, agreements,
staff and logs) are swept by record, each from its own start, through the hook ``kehou_retention_sweep`` (the core's own tables:
:mod:`kehou.platform.privacy.sweep`). Each step writes a :class:`RetentionAction` (what, how many, when) and an audit
entry."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import String, cast, delete, literal, select, update
from sqlalchemy.orm import Session

from kehou.platform.accounts.models import ApiToken, User
from kehou.platform.actor import Actor
from kehou.platform.admission.models import WhitelistEntry
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.counties.models import School
from kehou.platform.notifications.models import Notification
from kehou.platform.policy import services as policy
from kehou.platform.privacy import sweep
from kehou.platform.privacy.inventory import ANONYMOUS, CATEGORIES, SETTINGS
from kehou.platform.privacy.models import RetentionAction
from kehou.platform.students.models import Guardian, GuardianContact, Student
from kehou.timeutil import clock, utcnow

SYSTEM = Actor.system("retention")
log = logging.getLogger(__name__)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _contacts(session: Session, student_ids: list[int]) -> int:
    """Remove the guardians' links and phones; close the accounts of guardians with no other child on file."""
    users = set(session.scalars(select(Guardian.user_id).where(Guardian.student_id.in_(student_ids))))
    if not users:
        return 0
    session.execute(delete(Guardian).where(Guardian.student_id.in_(student_ids)))
    still = set(session.scalars(select(Guardian.user_id).where(Guardian.user_id.in_(users))))
    gone = sorted(users - still)
    if gone:
        session.execute(delete(GuardianContact).where(GuardianContact.user_id.in_(gone)))
        session.execute(delete(Notification).where(Notification.user_id.in_(gone)))
        session.execute(update(ApiToken).where(ApiToken.user_id.in_(gone), ApiToken.revoked_at.is_(None))
                        .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
        for uid in gone:
            session.execute(update(User).where(User.id == uid).values(
                username=f"closed-{uid}", display_name="（已注销）", password_hash="!", is_active=False,
                session_version=User.session_version + 1).execution_options(synchronize_session=False))
    return len(gone)


def run_county(ctx: Context, session: Session, county_code: str, today: dt.date | None = None) -> list[RetentionAction]:
    today = today or clock.today_local()
    contact_years = int(policy.get(session, ctx.registry, county_code, "privacy.retention_contact_years"))
    roster_years = int(policy.get(session, ctx.registry, county_code, "privacy.retention_roster_years"))
    done: list[RetentionAction] = []
    left = Student.county_code == county_code, Student.left_on.is_not(None)
    linked = select(Guardian.student_id)
    contact_due = list(session.scalars(select(Student.id).where(
        *left, Student.left_on <= _years_before(today, contact_years), Student.id.in_(linked))))
    if contact_due:
        closed = _contacts(session, contact_due)
        done.append(RetentionAction(county_code=county_code, category="guardian_contact", method="删除监护人联系方式与关联",
                                    students=len(contact_due), contacts=closed, at=utcnow(),
                                    note=f"离校满{contact_years}年；注销监护人账号{closed}个", student_ids=contact_due))
    roster_due = list(session.scalars(select(Student.id).where(
        *left, Student.left_on <= _years_before(today, roster_years), Student.anonymised_at.is_(None))))
    if roster_due:
        _contacts(session, roster_due)  # in case the contact period is set longer than the roster's
        ctx.pm.hook.kehou_anonymise_students(session=session, student_ids=roster_due)  # the plugins' free text
        session.execute(update(Student).where(Student.id.in_(roster_due)).values(
            name=ANONYMOUS, student_no=literal("ANON-") + cast(Student.id, String), class_name="", anonymised_at=utcnow())
            .execution_options(synchronize_session=False))
        done.append(RetentionAction(county_code=county_code, category="roster", method="匿名化", students=len(roster_due),
                                    contacts=0, at=utcnow(), note=f"离校满{roster_years}年；保留年级、优先群体与选课、考勤、"
                                    "收费记录供统计", student_ids=roster_due))
    found = _sweeps(ctx, session, county_code, today)
    done += [action for action, _ in found]
    for action in done:
        session.add(action)
        session.flush()
        audit.record(session, SYSTEM, county_code=county_code, action="privacy.retention", entity_type="retention_action",
                     entity_id=action.id, reason=action.note,
                     new={"category": action.category, "students": action.students, "contacts": action.contacts,
                          "records": action.records})
    session.commit()
    _delete_files([key for _, files in found for key in files], ctx)  # only once the rows no longer point to them
    return done


def _delete_files(keys: list[str], ctx: Context) -> None:
    for key in keys:
        try:
            ctx.storage.delete(key)
        except Exception:  # noqa: BLE001 - the row no longer points to it; an orphan is reported, not fatal
            log.exception("retention: could not delete stored file %s", key)


def _sweeps(ctx: Context, session: Session, county_code: str, today: dt.date) -> list[tuple[RetentionAction, tuple[str, ...]]]:
    """The categories swept record by record, core and plugins (``kehou_retention_sweep``)."""
    years = {cat: int(policy.get(session, ctx.registry, county_code, key)) for cat, key in SETTINGS.items()
             if key and cat not in ("roster", "guardian_contact")}
    due = {cat: _years_before(today, n) for cat, n in years.items()}
    found = sweep.core(session, county_code, due)
    for answer in ctx.pm.hook.kehou_retention_sweep(session=session, county_code=county_code, due=due):
        found += answer or []
    return [(RetentionAction(county_code=county_code, category=x.category, method=x.method, students=0, contacts=0,
                             records=x.records, at=utcnow(), student_ids=[],
                             note=f"{CATEGORIES[x.category][2]}满{years[x.category]}年（{due[x.category]}及以前）"), x.files)
            for x in found]


def run_all(ctx: Context, today: dt.date | None = None) -> int:
    """The daily job: every county with schools, admitted providers or children who left; then the login log at the
    platform's period. Answers how many children and records were touched."""
    today = today or clock.today_local()
    with ctx.db.write_session() as s:
        counties = sorted(set(s.scalars(select(School.county_code).distinct()))
                          | set(s.scalars(select(WhitelistEntry.county_code).distinct()))
                          | set(s.scalars(select(Student.county_code).where(Student.left_on.is_not(None)).distinct())))
    n = 0
    for county in counties:
        with ctx.db.write_session() as s:
            n += sum(a.students + a.records for a in run_county(ctx, s, county, today))
    with ctx.db.write_session() as s:
        years = int(policy.get(s, ctx.registry, "", "privacy.retention_log_years"))
        n += sweep.login_attempts(s, _years_before(today, years))
        s.commit()
    return n
