"""Guardian consent (监护人同意): a versioned privacy notice (告知书) per county — the platform's default until the
county publishes its own — that a parent accepts when activating the account (and again when the county publishes
a new version), and the optional consents for processing beyond the school's duty: the child's works, photos and
videos shown at the term-end showcase, and the child answering surveys on the parent's device. Each consent is
recorded (who, which notice version, when, from where) and can be withdrawn; what needs it checks it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.privacy.models import Consent, PrivacyNotice
from kehou.platform.students.models import Guardian
from kehou.timeutil import fmt_local, utcnow

SCOPES = {"notice": "已阅读并同意《个人信息保护告知书》",
          "showcase": "同意孩子的作品、照片和视频用于课程结业汇报展示（仅本课程的家长可见）",
          "survey": "同意孩子本人在我的设备上填写课后服务问卷"}
OPTIONAL = ("showcase", "survey")
DEFAULT_TITLE = "课后服务平台个人信息保护告知书"
DEFAULT_BODY = (
    "一、处理者：本区县教育行政部门及您孩子就读的学校，通过课后服务第三方机构管理平台处理您和孩子的个人信息。\n"
    "二、处理的信息：孩子的姓名、学籍号、学校、年级、班级、优先保障群体（如适用）、选课、考勤和缴费记录；监护人的姓名、"
    "与孩子的关系和手机号。\n"
    "三、目的与依据：依照“双减”政策组织课后服务——选课、点名、收费、退费、安全与质量监管。这些处理是学校和教育部门履行"
    "法定职责所必需；展示孩子的作品照片、孩子本人填写问卷须另经您同意，您可随时撤回。\n"
    "四、谁能看到：学校和区县教育局按职责查看；授课机构只能看到本机构学生的姓名和班级，看不到监护人电话和优先保障群体。"
    "每一次查看都有记录，您可在“个人信息”页面查阅。\n"
    "五、保存期限：孩子离校后，监护人联系方式保存1年，孩子的个人信息保存3年，到期删除或匿名化（区县可另行规定）。\n"
    "六、您的权利：您可查阅、更正、删除孩子的个人信息，学校在规定期限内答复；对处理有异议可向区县教育局反映。")


def notice(session: Session, county_code: str | None) -> tuple[int, str, str]:
    """(version, title, body) of the county's current notice; version 0 is the platform's default."""
    row = session.scalars(select(PrivacyNotice).where(PrivacyNotice.county_code == county_code)
                          .order_by(PrivacyNotice.version.desc())).first() if county_code else None
    return (row.version, row.title, row.body) if row else (0, DEFAULT_TITLE, DEFAULT_BODY)


def publish_notice(session: Session, actor: Actor, *, title: str, body: str) -> PrivacyNotice:
    actor.require("county_staff")
    if not actor.can_decide:
        raise ValidationFailed("发布告知书须由有决定权的工作人员操作。", code="decide_right_required")
    title, body = (title or "").strip(), (body or "").strip()
    if not 4 <= len(title) <= 100 or not 50 <= len(body) <= 20000:
        raise ValidationFailed("请填写标题（4至100字）和正文（50字以上）。", code="notice_invalid", field="body")
    version = (session.scalar(select(func.max(PrivacyNotice.version)).where(
        PrivacyNotice.county_code == actor.county_code)) or 0) + 1
    row = PrivacyNotice(county_code=actor.county_code, version=version, title=title, body=body, published_at=utcnow(),
                        published_by=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, actor, county_code=actor.county_code, action="privacy.notice", entity_type="privacy_notice",
                 entity_id=row.id, new={"version": version, "title": title})
    session.commit()
    return row


def _active(session: Session, user_id: int, scope: str) -> Consent | None:
    return session.scalars(select(Consent).where(Consent.user_id == user_id, Consent.scope == scope,
                                                 Consent.withdrawn_at.is_(None)).order_by(Consent.id.desc())).first()


def give(session: Session, actor: Actor, scope: str, *, ip: str = "", commit: bool = True) -> Consent:
    actor.require("parent")
    if scope not in SCOPES:
        raise ValidationFailed("同意事项不正确。", code="consent_scope_invalid", field="scope")
    version = notice(session, actor.county_code)[0]
    now = utcnow()
    had = _active(session, int(actor.user_id or 0), scope)
    if had is not None and had.notice_version == version:
        return had
    if had is not None:  # an older notice: the new acceptance replaces it
        had.withdrawn_at = now
    row = Consent(user_id=actor.user_id, county_code=actor.county_code or "", scope=scope, notice_version=version,
                  given_at=now, ip=ip[:64])
    session.add(row)
    session.flush()
    audit.record(session, actor, county_code=actor.county_code, action="privacy.consent", entity_type="consent",
                 entity_id=row.id, new={"scope": scope, "notice_version": version})
    if commit:
        session.commit()
    return row


def withdraw(session: Session, actor: Actor, scope: str) -> None:
    actor.require("parent")
    if scope not in OPTIONAL:
        raise Conflict("对告知书的确认不能撤回；学校履行职责所需的处理不以同意为前提。", code="consent_not_withdrawable")
    row = _active(session, int(actor.user_id or 0), scope)
    if row is None:
        raise Conflict("您没有给出该项同意。", code="consent_not_given")
    row.withdrawn_at = utcnow()
    audit.record(session, actor, county_code=actor.county_code, action="privacy.consent_withdraw", entity_type="consent",
                 entity_id=row.id, old={"scope": scope, "given": True}, new={"scope": scope, "given": False})
    session.commit()


def state(session: Session, actor: Actor) -> dict[str, Any]:
    """The parent's consents and whether the notice they accepted is the current one."""
    version, title, _ = notice(session, actor.county_code)
    out: dict[str, Any] = {"notice_version": version, "notice_title": title, "scopes": {}}
    for scope in SCOPES:
        row = _active(session, int(actor.user_id or 0), scope)
        out["scopes"][scope] = {"given": row is not None, "given_at": fmt_local(row.given_at) if row else "",
                                "version": row.notice_version if row else None}
    accepted = out["scopes"]["notice"]["version"]
    out["notice_outdated"] = accepted is not None and accepted != version  # a newer version since
    out["notice_missing"] = accepted is None
    return out


def children_without(session: Session, student_ids: list[int], scope: str) -> list[int]:
    """The children none of whose guardians gives ``scope`` now."""
    consenting = select(Consent.user_id).where(Consent.scope == scope, Consent.withdrawn_at.is_(None))
    covered = set(session.scalars(select(Guardian.student_id).where(Guardian.student_id.in_(student_ids or [0]),
                                                                   Guardian.user_id.in_(consenting))))
    return [sid for sid in student_ids if sid not in covered]


def has(session: Session, user_id: int, scope: str) -> bool:
    return _active(session, user_id, scope) is not None


def counts(session: Session, county_code: str) -> dict[str, int]:
    """Per scope: parents who give it now (the county page, the audit pack)."""
    rows = session.execute(select(Consent.scope, func.count(func.distinct(Consent.user_id))).where(
        Consent.county_code == county_code, Consent.withdrawn_at.is_(None)).group_by(Consent.scope)).all()
    return dict.fromkeys(SCOPES, 0) | {scope: int(n) for scope, n in rows}
