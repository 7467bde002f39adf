from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kehou.db import Base, UTCDateTime


class Role(StrEnum):
    platform_admin = "platform_admin"
    county_staff = "county_staff"
    department = "department"
    school_admin = "school_admin"
    provider = "provider"
    parent = "parent"


ROLE_LABELS = {
    "platform_admin": "平台管理员",
    "county_staff": "教育局工作人员",
    "department": "联审部门",
    "school_admin": "学校管理员",
    "provider": "服务机构",
    "parent": "家长",
}

#: Joint-review departments a county may require (code -> label).
DEPARTMENTS = {
    "public_security": "公安部门",
    "culture_sports": "文化体育部门",
    "market_regulation": "市场监管部门",
    "civil_affairs": "民政部门",
    "health": "卫生健康部门",
}


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), index=True)
    county_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    department: Mapped[str | None] = mapped_column(String(40))
    can_review: Mapped[bool] = mapped_column(Boolean, default=False)
    can_decide: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class ActivationCode(Base):
    """A one-time code with which a parent account created by the school (no usable password yet) sets its first
    password at ``/activate``. Only an argon2 hash is kept; issuing a new code for the account revokes the unused
    ones, so the latest printed slip is the only one that works (kehou/platform/accounts/activation.py)."""

    __tablename__ = "activation_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
