"""The term-end showcase (结业汇报): providers upload works, photos and short videos per course; the
school admin of the course's school publishes or withdraws each; parents of children in the course
see the published ones.

Files: the type comes from the content (JPEG, PNG, PDF through :func:`kehou.storage.validation.validate_upload`;
MP4 by its ``ftyp`` box, which the shared sniffer does not know), stored under a generated key via
``ctx.storage`` and handed out only as short-lived signed links.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.privacy import consent
from kehou.platform.students import services as students
from kehou.platform.students.models import Student
from kehou.plugins.course_catalogue import public as catalogue
from kehou.plugins.outcome_reporting import access
from kehou.plugins.outcome_reporting.models.surveys import ShowcaseItem
from kehou.storage import new_key
from kehou.storage.validation import sanitise_filename, validate_upload
from kehou.timeutil import as_utc, utcnow

KINDS = {"work": "作品", "photo": "照片", "video": "视频"}
#: kind -> the content allowed for it
ALLOWED = {"work": ("pdf", "jpeg", "png"), "photo": ("jpeg", "png"), "video": ("mp4",)}
MAX_BYTES = {"pdf": 20 * 1024 * 1024, "jpeg": 10 * 1024 * 1024, "png": 10 * 1024 * 1024, "mp4": 50 * 1024 * 1024}
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"3gp4", b"3gp5"}
LINK_TTL = dt.timedelta(minutes=30)
MAX_TITLE, MAX_DESCRIPTION = 100, 500
STATUS = {"submitted": "待学校审核", "published": "已发布", "withdrawn": "已撤下"}


@dataclass(frozen=True)
class Checked:
    kind: str  # jpeg | png | pdf | mp4
    content_type: str
    sha256: str
    size: int
    name: str


def is_mp4(data: bytes) -> bool:
    return len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in MP4_BRANDS


def check_file(kind: str, data: bytes, filename: str) -> Checked:
    """The upload's real type, refused unless allowed for ``kind`` and within its size limit."""
    allowed = ALLOWED[kind]
    if is_mp4(data):
        if "mp4" not in allowed:
            raise ValidationFailed("视频请选择“视频”类型上传；作品、照片只接受 PDF、JPEG、PNG。", code="upload_type_not_allowed",
                                   field="file", extra={"detected": "mp4"})
        if len(data) > MAX_BYTES["mp4"]:
            raise ValidationFailed(f"视频不能超过{MAX_BYTES['mp4'] // (1024 * 1024)} MB，请剪短或压缩后上传。",
                                   code="upload_too_large", field="file",
                                   extra={"max_bytes": MAX_BYTES["mp4"], "size": len(data)})
        name = sanitise_filename(filename)
        if not name.lower().endswith(".mp4"):
            name = sanitise_filename(name.rsplit(".", 1)[0] + ".mp4")
        return Checked("mp4", "video/mp4", hashlib.sha256(data).hexdigest(), len(data), name)
    if kind == "video":
        raise ValidationFailed("视频只接受 MP4 格式。", code="upload_type_not_allowed", field="file")
    check = validate_upload(data, filename, allowed=allowed, max_bytes=max(MAX_BYTES[k] for k in allowed))
    if check.size > MAX_BYTES[check.kind]:
        raise ValidationFailed(f"该类型文件不能超过{MAX_BYTES[check.kind] // (1024 * 1024)} MB。", code="upload_too_large",
                               field="file", extra={"max_bytes": MAX_BYTES[check.kind], "size": check.size})
    return Checked(check.kind, check.content_type, check.sha256, check.size, check.safe_name)


def item_out(i: ShowcaseItem) -> dict[str, Any]:
    return {"id": i.id, "entry_id": i.entry_id, "school_id": i.school_id, "provider_id": i.provider_id, "term_name": i.term_name,
            "kind": i.kind, "title": i.title, "description": i.description, "content_type": i.content_type, "size": i.size,
            "status": i.status, "uploaded_at": as_utc(i.uploaded_at).isoformat(),
            "published_at": as_utc(i.published_at).isoformat() if i.published_at else None}


def _own_course(ctx: Context, session: Session, actor: Actor, entry_id: int) -> catalogue.CourseRecord:
    actor.require("provider")
    course = catalogue.course(session, entry_id)
    if course is None or course.provider_id != actor.provider_id or course.menu_status != "published":
        raise NotFound("课程不存在。", code="course_not_found")
    access.settings(ctx, session, course.county_code)
    return course


def upload(ctx: Context, session: Session, actor: Actor, entry_id: int, *, kind: str, title: str, description: str,
           filename: str, data: bytes) -> tuple[ShowcaseItem, bool]:
    """A provider's upload for one of its courses; (item, created): the same file again returns the existing item."""
    course = _own_course(ctx, session, actor, entry_id)
    if kind not in KINDS:
        raise ValidationFailed("类型须为 work（作品）、photo（照片）或 video（视频）。", code="showcase_kind_invalid",
                               field="kind")
    title, description = (title or "").strip(), (description or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise ValidationFailed(f"请填写标题（不超过{MAX_TITLE}字）。", code="showcase_title_invalid", field="title")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(f"说明不能超过{MAX_DESCRIPTION}字。", code="showcase_description_too_long", field="description")
    checked = check_file(kind, data, filename)
    same = session.scalars(select(ShowcaseItem).where(ShowcaseItem.entry_id == entry_id,
                                                      ShowcaseItem.sha256 == checked.sha256)).first()
    if same is not None:
        return same, False
    key = new_key(f"showcase/{course.provider_id}")
    ctx.storage.put(key, data, checked.content_type)
    try:
        item = ShowcaseItem(county_code=course.county_code, school_id=course.school_id, provider_id=course.provider_id,
                            entry_id=entry_id, term_name=course.term_name, kind=kind, title=title, description=description,
                            storage_key=key, content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                            status="submitted", uploaded_by=actor.user_id, uploaded_at=utcnow())
        session.add(item)
        session.flush()
        audit.record(session, actor, county_code=course.county_code, action="showcase.upload",
                     entity_type="outcome_showcase_item",
                     entity_id=item.id, new={"entry_id": entry_id, "kind": kind, "title": title, "sha256": checked.sha256,
                                             "size": checked.size, "content_type": checked.content_type, "name": checked.name})
        session.commit()
    except Exception:
        session.rollback()
        ctx.storage.delete(key)
        raise
    return item, True


def for_course(ctx: Context, session: Session, actor: Actor, entry_id: int) -> list[ShowcaseItem]:
    """Every item of a course: for its provider and for the administrator of its school."""
    actor.require("provider", "school_admin")
    if actor.role == "provider":
        _own_course(ctx, session, actor, entry_id)
    else:
        course = catalogue.course(session, entry_id)
        if course is None or course.school_id != actor.school_id:
            raise NotFound("课程不存在。", code="course_not_found")
        access.settings(ctx, session, course.county_code)
    return list(session.scalars(select(ShowcaseItem).where(ShowcaseItem.entry_id == entry_id).order_by(ShowcaseItem.id)))


def for_school(ctx: Context, session: Session, actor: Actor, school_id: int) -> list[ShowcaseItem]:
    school = students.school_of(session, actor, school_id)
    access.settings(ctx, session, school.county_code)
    return list(session.scalars(select(ShowcaseItem).where(ShowcaseItem.school_id == school_id)
                                .order_by(ShowcaseItem.entry_id, ShowcaseItem.id)))


def for_provider(session: Session, actor: Actor) -> list[ShowcaseItem]:
    actor.require("provider")
    return list(session.scalars(select(ShowcaseItem).where(ShowcaseItem.provider_id == actor.provider_id)
                                .order_by(ShowcaseItem.entry_id, ShowcaseItem.id)))


def publish(ctx: Context, session: Session, actor: Actor, item_id: int, *, publish: bool, reason: str = "") -> ShowcaseItem:
    """The school admin publishes an item to the course's parents, or withdraws it. Audited."""
    actor.require("school_admin")
    item = session.scalars(select(ShowcaseItem).where(ShowcaseItem.id == item_id).with_for_update()).first()
    if item is None or item.school_id != actor.school_id:
        raise NotFound("展示内容不存在。", code="showcase_item_not_found")
    access.settings(ctx, session, item.county_code)
    reason = (reason or "").strip()
    if len(reason) > MAX_DESCRIPTION:
        raise ValidationFailed(f"理由不能超过{MAX_DESCRIPTION}字。", code="reason_too_long", field="reason")
    if publish and item.status == "published":
        raise Conflict("该内容已经发布。", code="showcase_already_published")
    if not publish and item.status != "published":
        raise Conflict("只能撤下已发布的内容。", code="showcase_not_published")
    if not publish and not reason:
        raise ValidationFailed("撤下时请填写理由。", code="reason_required", field="reason")
    if publish and item.kind in ("photo", "video"):  # children's images: every family of the course must agree
        kids = [e.student_id for e in catalogue.enrolments(session, entry_id=item.entry_id) if e.status == "enrolled"]
        missing = consent.children_without(session, kids, "showcase")
        if missing:
            names = "、".join(session.scalars(select(Student.name).where(Student.id.in_(missing[:10]))))
            more = "等" if len(missing) > 10 else ""
            raise Conflict(f"本课程有{len(missing)}名学生的家长未同意展示照片和视频（{names}{more}），"
                           "不能发布；作品类内容不受影响，或请家长在“个人信息”页面同意。", code="consent_missing")
    old = {"status": item.status, "published_at": item.published_at}
    item.status = "published" if publish else "withdrawn"
    item.published_by = actor.user_id
    item.published_at = utcnow() if publish else item.published_at
    session.flush()
    audit.record(session, actor, county_code=item.county_code, action="showcase.publish" if publish else "showcase.withdraw",
                 entity_type="outcome_showcase_item", entity_id=item.id, reason=reason, old=old,
                 new={"status": item.status, "published_at": item.published_at, "title": item.title})
    session.commit()
    return item


def _child_courses(session: Session, student_id: int) -> dict[int, catalogue.EnrolmentRecord]:
    return {e.entry_id: e for e in catalogue.enrolments(session, student_id=student_id)
            if e.enrolled_at is not None and e.status in ("enrolled", "quit")}


def for_child(ctx: Context, session: Session, actor: Actor, student_id: int) -> list[dict[str, Any]]:
    """The published showcase of each course the child took: [{entry_id, title, term_name, items}]."""
    child = students.child_of(session, actor, student_id)
    access.settings(ctx, session, child.county_code)
    courses = _child_courses(session, child.id)
    items = list(session.scalars(select(ShowcaseItem).where(ShowcaseItem.entry_id.in_(sorted(courses)),
                                                            ShowcaseItem.status == "published").order_by(ShowcaseItem.id)))
    return [{"entry_id": eid, "title": e.title, "term_name": e.term_name,
             "items": [i for i in items if i.entry_id == eid]} for eid, e in courses.items()]


def visible(ctx: Context, session: Session, actor: Actor, item_id: int) -> ShowcaseItem:
    """Its provider, its school's admin, county staff of its county, and (once published) guardians
    of a child who took the course."""
    actor.require()
    item = session.get(ShowcaseItem, item_id)
    missing = NotFound("展示内容不存在。", code="showcase_item_not_found")
    if item is None:
        raise missing
    ok = (actor.role == "provider" and actor.provider_id == item.provider_id) \
        or (actor.role == "school_admin" and actor.school_id == item.school_id) \
        or (actor.role == "county_staff" and actor.county_code == item.county_code) or actor.role == "platform_admin"
    if not ok and actor.role == "parent" and item.status == "published":
        kids = [k.id for k in students.children_of(session, actor)]
        ok = any(item.entry_id in _child_courses(session, k) for k in kids)
    if not ok:
        raise missing
    access.settings(ctx, session, item.county_code)
    return item


def link(ctx: Context, session: Session, actor: Actor, item_id: int) -> str:
    item = visible(ctx, session, actor, item_id)
    if not item.storage_key:  # removed by the retention job (kehou/plugins/outcome_reporting/retention.py)
        raise NotFound("该展示内容已过保存期限，文件已删除。", code="showcase_item_expired")
    ext = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf", "video/mp4": ".mp4"}.get(item.content_type, "")
    return ctx.storage.download_url(item.storage_key, filename=sanitise_filename(item.title + ext),
                                    content_type=item.content_type, expires=LINK_TTL)
