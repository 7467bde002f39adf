"""Tables of the course catalogue. Times of day are minutes after midnight (Asia/Shanghai wall
clock); instants are UTC; money is integer fen."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class OfferingStatus(StrEnum):
    draft = "draft"
    pending = "pending"  # awaiting the bureau's approval
    blocked = "blocked"  # the automatic content check blocked it; the provider asked for a person to decide
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


OFFERING_STATUS_LABELS = {"draft": "草稿", "pending": "待教育局审核", "blocked": "自动审查阻止，待人工复核",
                          "approved": "已通过", "rejected": "未通过", "withdrawn": "已撤下"}
#: the automatic content check's outcome: pass, warn (a person decides, with the reason shown) or block
CONTENT_CHECK_LABELS = {"pass": "自动审查通过", "warn": "自动审查提醒：须人工判断", "block": "自动审查阻止"}


class MenuStatus(StrEnum):
    draft = "draft"
    published = "published"


class EntryStatus(StrEnum):
    open = "open"
    cancelled = "cancelled"
    merged = "merged"


class EnrolmentStatus(StrEnum):
    enrolled = "enrolled"
    waitlisted = "waitlisted"
    quit = "quit"
    cancelled = "cancelled"  # the class was cancelled
    merged = "merged"  # moved into another class of the same course


ENROLMENT_LABELS = {"enrolled": "已选上", "waitlisted": "候补中", "quit": "已退课", "cancelled": "课程已取消",
                    "merged": "已并班"}
ACTIVE = (EnrolmentStatus.enrolled, EnrolmentStatus.waitlisted)


class Offering(Base):
    """A course an admitted provider offers in a county."""

    __tablename__ = "course_offering"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    grades: Mapped[list[int]] = mapped_column(JSON)
    sessions_per_week: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)  # per session
    capacity: Mapped[int] = mapped_column(Integer)
    fee_fen: Mapped[int] = mapped_column(Integer)  # per term, materials excluded
    materials_fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"item", "fen"}]
    instructor_id: Mapped[int] = mapped_column(ForeignKey("provider_staff.id"), index=True)
    school_requirements: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    #: pass | warn | block (CONTENT_CHECK_LABELS), and the provider's case for a person to decide a block
    content_check: Mapped[str] = mapped_column(String(10), default="pass", server_default="pass")
    review_request: Mapped[str] = mapped_column(Text, default="", server_default="")
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Menu(Base):
    """A school's course supermarket (课程超市) for one term."""

    __tablename__ = "course_menu"
    __table_args__ = (UniqueConstraint("school_id", "term_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    term_name: Mapped[str] = mapped_column(String(60))
    term_start: Mapped[dt.date] = mapped_column(Date)
    term_end: Mapped[dt.date] = mapped_column(Date)
    service_start: Mapped[int] = mapped_column(Integer)  # minutes after midnight, every service day
    service_end: Mapped[int] = mapped_column(Integer)
    homework_minutes: Mapped[int] = mapped_column(Integer, default=0)  # the school's own homework help
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=MenuStatus.draft)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    classes_checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # small classes flagged
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: first_come (enrol while the window is open) or ranked_lottery (rank choices, allocate after a draw)
    selection_mode: Mapped[str] = mapped_column(String(20), default="first_come", server_default="first_come")
    #: ranked_lottery: the draw's seed, secret until the draw is revealed, and its SHA-256 commitment, published
    #: when the menu is published (before anyone chooses): lottery.draw
    draw_seed: Mapped[str] = mapped_column(String(64), default="", server_default="")
    draw_commitment: Mapped[str] = mapped_column(String(64), default="", server_default="")
    draw_revealed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Entry(Base):
    """An approved offering placed on a school's menu: slots, venue, the school's capacity."""

    __tablename__ = "course_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    menu_id: Mapped[int] = mapped_column(ForeignKey("course_menu.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("course_offering.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    instructor_id: Mapped[int] = mapped_column(ForeignKey("provider_staff.id"), index=True)
    venue: Mapped[str] = mapped_column(String(100))
    grades: Mapped[list[int]] = mapped_column(JSON)
    capacity: Mapped[int] = mapped_column(Integer)
    enrolled: Mapped[int] = mapped_column(Integer, default=0)  # kept by conditional UPDATE, never read-modify-write
    fee_fen: Mapped[int] = mapped_column(Integer)  # the price parents accept, fixed when placed
    materials_fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default=EntryStatus.open, index=True)
    flag: Mapped[str | None] = mapped_column(String(20))  # "undersized" after the window
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("course_entry.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Slot(Base):
    """One weekly time slot of an entry, with what conflict checks need copied in."""

    __tablename__ = "course_slot"
    __table_args__ = (Index("ix_course_slot_instructor_day", "instructor_id", "weekday"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("course_entry.id"), index=True)
    instructor_id: Mapped[int] = mapped_column(ForeignKey("provider_staff.id"))
    term_start: Mapped[dt.date] = mapped_column(Date)
    term_end: Mapped[dt.date] = mapped_column(Date)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start_min: Mapped[int] = mapped_column(Integer)
    end_min: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)


SELECTION_MODE_LABELS = {"first_come": "先到先得", "ranked_lottery": "填报志愿后摇号分配"}


class RankedChoice(Base):
    """One course a family ranks for a child on a ranked-lottery menu (rank 1: most wanted). Replaced as a whole
    each time the family saves its list; when within the window it was saved decides nothing."""

    __tablename__ = "ranked_choice"
    __table_args__ = (UniqueConstraint("menu_id", "student_id", "rank", name="uq_ranked_choice_rank"),
                      UniqueConstraint("menu_id", "student_id", "entry_id", name="uq_ranked_choice_entry"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    menu_id: Mapped[int] = mapped_column(ForeignKey("course_menu.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("course_entry.id"))
    rank: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    saved_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))


class AllocationRun(Base):
    """One allocation of a ranked-lottery menu: the seed it used, every decision with its reason (``result``: the
    canonical result of :mod:`lottery.allocate`, by draw reference) and the children behind the references. A
    school may run it again before publishing (same seed and inputs, same result); publishing enrols."""

    __tablename__ = "allocation_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    menu_id: Mapped[int] = mapped_column(ForeignKey("course_menu.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # draft | published | superseded
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    refs: Mapped[dict[str, int]] = mapped_column(JSON)  # draw reference -> student id (never published)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Enrolment(Base):
    """A student's place (or waitlist place) in an entry. One row per student and entry."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("student_id", "entry_id"), Index("ix_enrolment_entry_status", "entry_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("course_entry.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))  # selection | priority | midterm | waitlist | merge
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # waitlist order
    enrolled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str] = mapped_column(Text, default="")


class EnrolmentEvent(Base):
    """Append-only history of every enrolment change: who, when, what, why, old and new status."""

    __tablename__ = "enrolment_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("course_entry.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"))
    action: Mapped[str] = mapped_column(String(30))
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Lesson(Base):
    __tablename__ = "lesson"
    __table_args__ = (UniqueConstraint("entry_id", "day", "start_min"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("course_entry.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    start_min: Mapped[int] = mapped_column(Integer)
    end_min: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled | delivered | cancelled
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("provider_staff.id"))
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # a check-in after the county's grace period: the provider's reason (shown to the school); "" when on time
    late_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("lesson_id", "student_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # present | absent | leave
    reason: Mapped[str] = mapped_column(Text, default="")
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    marked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    parent_status: Mapped[str | None] = mapped_column(String(20))  # confirmed | disputed
    parent_note: Mapped[str] = mapped_column(Text, default="")
    parent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class QueueRoom(Base):
    """The waiting room (候场排队) at the opening of one menu's first-come selection. Its seed is fixed when
    the room is made (its SHA-256 is shown to waiting parents) and decides the order of the early tickets
    at the draw; admission then runs by the clock from ``drawn_at`` at ``admit_per_minute``."""

    __tablename__ = "selection_queue"

    menu_id: Mapped[int] = mapped_column(ForeignKey("course_menu.id"), primary_key=True, autoincrement=False)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    seed: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    drawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    early: Mapped[int] = mapped_column(Integer, default=0)  # tickets taken before the draw, put in random order
    last_position: Mapped[int] = mapped_column(Integer, default=0)
    admit_per_minute: Mapped[int] = mapped_column(Integer, default=0)  # fixed at the draw


class QueueTicket(Base):
    """One parent's place in a menu's waiting room: one per parent and menu."""

    __tablename__ = "selection_queue_ticket"
    __table_args__ = (UniqueConstraint("menu_id", "user_id", name="uq_selection_queue_ticket_menu_user"),
                      UniqueConstraint("menu_id", "position", name="uq_selection_queue_ticket_menu_position"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    menu_id: Mapped[int] = mapped_column(ForeignKey("selection_queue.menu_id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    position: Mapped[int | None] = mapped_column(Integer)  # none until the draw (early) or the counter (late)
    admitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # when first told to go in


NO_SHOW_STATUS_LABELS = {"warned": "已提醒，待家长说明", "explained": "家长已说明，待学校处理", "kept": "保留名额",
                         "released": "名额已释放"}


class NoShowCase(Base):
    """A child's unexplained absences early in the term (county setting ``catalogue.no_show_release``): the family
    is warned with a deadline to explain; without an answer the seat goes to the waitlist and billing treats the
    enrolment as quit. ``lesson_ids`` are the absences counted (a later case counts only newer ones)."""

    __tablename__ = "no_show_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("course_entry.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    lesson_ids: Mapped[list[int]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)  # NO_SHOW_STATUS_LABELS
    warned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: the job, at the deadline
    close_reason: Mapped[str] = mapped_column(Text, default="")
