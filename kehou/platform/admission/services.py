"""Applying: create, edit, submit, resubmit, withdraw; the material check."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.admission.models import AppKind, Application, WhitelistEntry
from kehou.platform.admission.models import AppStatus as S
from kehou.platform.admission.workflow import OPEN, load, transition
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.counties.models import Region
from kehou.platform.policy import services as policy
from kehou.platform.providers import org_types
from kehou.platform.providers.models import Provider, Staff
from kehou.timeutil import utcnow


def visible(session: Session, actor: Actor, application_id: int, *, lock: bool = False) -> Application:
    """Load an application the actor may see; others get 'not found' (anonymous: 'please log in')."""
    actor.require()
    app = load(session, application_id, lock=lock)
    if actor.role == "platform_admin":
        return app
    if actor.role == "provider" and actor.provider_id == app.provider_id:
        return app
    if actor.role in ("county_staff", "department") and actor.county_code == app.county_code:
        return app
    raise NotFound("申请不存在。", code="application_not_found")


def _own(session: Session, actor: Actor, application_id: int) -> Application:
    actor.require("provider")
    return visible(session, actor, application_id, lock=True)


def require_reviewer(actor: Actor, app: Application) -> None:
    actor.require("county_staff")
    actor.require_county(app.county_code)
    if not actor.can_review:
        raise PermissionDenied("您没有审核权限。", code="review_right_required")


def _check_categories(ctx: Context, session: Session, county_code: str, categories: list[str]) -> list[str]:
    allowed = policy.get(session, ctx.registry, county_code, "catalogue.categories")
    cats = list(dict.fromkeys(c.strip() for c in categories if c and c.strip()))
    if not cats:
        raise ValidationFailed("请至少选择一个申请服务的课程类别。", code="categories_required", field="categories")
    unknown = [c for c in cats if c not in allowed]
    if unknown:
        raise ValidationFailed(
            f"本区县没有以下课程类别：{'、'.join(unknown)}。", code="category_unknown", field="categories"
        )
    return cats


def _check_courses(cats: list[str], courses: list[dict[str, str]] | None) -> list[dict[str, str]]:
    """Proposed courses (课程方案): title, description, category among those applied for."""
    out = []
    for i, course in enumerate(courses or [], start=1):
        title = str(course.get("title", "")).strip()
        desc = str(course.get("description", "")).strip()
        cat = str(course.get("category", "")).strip()
        if not title or len(title) > 100:
            raise ValidationFailed(f"第{i}门课程的名称须为1-100个字符。", code="course_title_invalid", field=f"courses.{i}.title")
        if len(desc) > 2000:
            raise ValidationFailed(f"第{i}门课程的简介不能超过2000个字符。", code="field_too_long",
                                   field=f"courses.{i}.description")
        if cat not in cats:
            raise ValidationFailed(f"课程「{title}」的类别须是申请的服务类别之一。", code="course_category_invalid",
                                   field=f"courses.{i}.category")
        out.append({"title": title, "description": desc, "category": cat})
    if len(out) > 50:
        raise ValidationFailed("每份申请最多列出50门课程。", code="too_many_courses", field="courses")
    return out


def create(ctx: Context, session: Session, actor: Actor, *, county_code: str, categories: list[str], statement: str,
           courses: list[dict[str, str]] | None = None) -> Application:
    actor.require("provider")
    region = session.get(Region, county_code)
    if region is None or region.level != "county":
        raise ValidationFailed("请选择一个区县。", code="county_unknown", field="county_code")
    # lock the provider row: two concurrent creates must not both see "no open application"
    provider = session.get(Provider, actor.provider_id, with_for_update=True)
    assert provider is not None
    barred = policy.get(session, ctx.registry, county_code, "admission.barred_org_types")
    if provider.org_type in barred:
        raise ValidationFailed(
            f"{region.name}不接受「{org_types.label(provider.org_type)}」类机构参与课后服务。",
            code="org_type_barred", field="county_code",
        )
    from kehou.vetting.blacklist import organisation_listed

    banned = organisation_listed(ctx, session, county_code, provider.uscc)
    if banned is not None:
        until = f"，至{banned.expires_on}" if banned.expires_on else ""
        raise Conflict(f"贵机构在{region.name}黑名单中（{banned.reason}{until}），不能申请准入。",
                       code="provider_blacklisted", field="county_code")
    open_count = session.scalar(
        select(func.count()).where(
            Application.provider_id == provider.id, Application.county_code == county_code, Application.status.in_(OPEN)
        )
    )
    if open_count:
        raise ValidationFailed("您在该区县已有一份进行中的申请。", code="application_open_exists", field="county_code")
    listed = session.scalars(
        select(WhitelistEntry).where(WhitelistEntry.provider_id == provider.id, WhitelistEntry.county_code == county_code)
    ).first()
    now = utcnow()
    cats = _check_categories(ctx, session, county_code, categories)
    app = Application(
        provider_id=provider.id,
        county_code=county_code,
        kind=AppKind.renewal if listed is not None and listed.status in ("active", "suspended") else AppKind.initial,
        status=S.draft,
        categories=cats,
        statement=(statement or "").strip()[:5000],
        proposed_courses=_check_courses(cats, courses),
        created_at=now,
        updated_at=now,
    )
    session.add(app)
    session.flush()
    audit.record(
        session, actor, county_code=county_code, action="admission.create", entity_type="application",
        entity_id=app.id, new={"status": app.status, "kind": app.kind, "categories": app.categories,
                               "courses": [c["title"] for c in app.proposed_courses]},
    )
    session.commit()
    return app


def edit(ctx: Context, session: Session, actor: Actor, application_id: int, *, categories: list[str], statement: str,
         courses: list[dict[str, str]] | None = None) -> Application:
    app = _own(session, actor, application_id)
    if app.status not in (S.draft, S.returned):
        raise ValidationFailed("只有草稿或被退回的申请可以修改。", code="application_not_editable")
    cats = _check_categories(ctx, session, app.county_code, categories)
    new = {"categories": cats, "statement": (statement or "").strip()[:5000],
           "proposed_courses": _check_courses(cats, courses if courses is not None else app.proposed_courses)}
    old, new = audit.changes(app, ["categories", "statement", "proposed_courses"], new)
    for key, value in new.items():
        setattr(app, key, value)
    app.updated_at = utcnow()
    if new:
        audit.record(session, actor, county_code=app.county_code, action="admission.edit", entity_type="application",
                     entity_id=app.id, old=old, new=new)
    session.commit()
    return app


def _require_staff(session: Session, app: Application) -> None:
    staff = session.scalar(select(func.count()).where(Staff.provider_id == app.provider_id, Staff.active.is_(True)))
    if not staff:
        raise ValidationFailed("提交前请先登记至少一名授课人员。", code="staff_required")


def _vet_after_commit(session: Session, app: Application) -> None:
    """Automated vetting of what was submitted, by a Celery worker once this commits."""
    from kehou.vetting import services as vetting

    run = vetting.new_run(session, provider_id=app.provider_id, county_code=app.county_code, trigger="submission",
                          application_id=app.id)
    vetting.queue(session, run)


def submit(session: Session, actor: Actor, application_id: int) -> Application:
    app = _own(session, actor, application_id)
    _require_staff(session, app)
    app.submitted_at = utcnow()
    transition(session, app, "submit", actor)
    _vet_after_commit(session, app)
    session.commit()
    return app


def resubmit(session: Session, actor: Actor, application_id: int, *, note: str = "") -> Application:
    app = _own(session, actor, application_id)
    _require_staff(session, app)
    app.submitted_at = utcnow()
    transition(session, app, "resubmit", actor, reason=note)
    _vet_after_commit(session, app)
    session.commit()
    return app


def withdraw(session: Session, actor: Actor, application_id: int, *, reason: str = "") -> Application:
    app = _own(session, actor, application_id)
    transition(session, app, "withdraw", actor, reason=reason)
    session.commit()
    return app


def return_for_info(session: Session, actor: Actor, application_id: int, *, message: str) -> Application:
    app = visible(session, actor, application_id, lock=True)
    require_reviewer(actor, app)
    message = (message or "").strip()
    if not message:
        raise ValidationFailed("退回时请说明需要补充的材料。", code="message_required", field="message")
    app.return_message = message
    transition(session, app, "return_for_info", actor, reason=message)
    session.commit()
    return app


def accept_materials(session: Session, actor: Actor, application_id: int, *, note: str = "") -> Application:
    """The reviewer accepts the materials as complete: only once every document of the provider has been reviewed."""
    from kehou.platform.documents.models import DOCUMENT_TYPES, Document

    app = visible(session, actor, application_id, lock=True)
    require_reviewer(actor, app)
    pending = list(session.scalars(select(Document.doc_type).where(Document.provider_id == app.provider_id,
                                                                   Document.status == "pending")))
    if pending:
        kinds = "、".join(dict.fromkeys(DOCUMENT_TYPES.get(t, t) for t in pending))
        raise Conflict(f"还有{len(pending)}份证件未审核（{kinds}），请先审核全部证件（可勾选后批量通过），再受理材料。",
                       code="documents_pending", extra={"pending": len(pending)})
    app.return_message = None
    transition(session, app, "accept_materials", actor, reason=note)
    session.commit()
    return app
