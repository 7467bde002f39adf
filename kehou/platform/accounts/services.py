"""Accounts: creating users, logging in (throttled), API tokens."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from kehou.errors import NotAuthenticated, NotFound, PermissionDenied, TooManyRequests, ValidationFailed
from kehou.platform.accounts.models import DEPARTMENTS, ApiToken, LoginAttempt, Role, User
from kehou.platform.accounts.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    unusable_password,
    verify_password,
)
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.counties.models import Region, School
from kehou.settings import SecuritySettings
from kehou.timeutil import utcnow

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
STAFF_ROLES = {Role.platform_admin, Role.county_staff, Role.department}


def actor_for(user: User, ip: str = "") -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        county_code=user.county_code,
        provider_id=user.provider_id,
        school_id=user.school_id,
        department=user.department,
        can_review=user.can_review,
        can_decide=user.can_decide,
        ip=ip,
    )


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"密码至少需要{MIN_PASSWORD_LENGTH}个字符。", code="password_too_short", field="password")
    if password.isdigit() or password.isalpha():
        raise ValidationFailed("密码需同时包含字母和数字或符号。", code="password_too_simple", field="password")


def _check_new_user(session: Session, username: str, display_name: str, password: str | None) -> None:
    if not USERNAME_RE.match(username):
        raise ValidationFailed("用户名须为3-64位字母、数字或 _ . @ -。", code="username_invalid", field="username")
    if not display_name.strip():
        raise ValidationFailed("请填写姓名或显示名称。", code="display_name_required", field="display_name")
    if password is not None:
        check_password_strength(password)
    if session.scalar(select(func.count()).where(User.username == username)):
        raise ValidationFailed("该用户名已被使用。", code="username_taken", field="username")


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    password: str | None,
    role: str,
    county_code: str | None = None,
    provider_id: int | None = None,
    school_id: int | None = None,
    department: str | None = None,
    can_review: bool = False,
    can_decide: bool = False,
    commit: bool = True,
) -> User:
    """Create an account. Who may create whom:

    platform admin: anyone; county staff with decide rights: staff, departments
    and school admins of their county; provider users: more users of their own
    provider; school admins: parents of their school.

    ``password=None`` makes an account without a usable password: a parent account made by the school, which
    the parent activates with a one-time code (:mod:`kehou.platform.accounts.activation`).
    """
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed("未知的角色。", code="role_invalid", field="role") from None
    _authorise_create(session, actor, role, county_code, provider_id, school_id)
    _check_new_user(session, username, display_name, password)
    if role in (Role.county_staff, Role.department, Role.school_admin, Role.parent) and not county_code:
        raise ValidationFailed("请指定所属区县。", code="county_required", field="county_code")
    if county_code and session.get(Region, county_code) is None:
        raise ValidationFailed("区县代码不存在。", code="county_unknown", field="county_code")
    if role == Role.department and department not in DEPARTMENTS:
        raise ValidationFailed("请选择联审部门。", code="department_invalid", field="department")
    if role == Role.school_admin and school_id is None:
        raise ValidationFailed("请指定学校。", code="school_required", field="school_id")
    user = User(
        username=username,
        display_name=display_name.strip(),
        password_hash=unusable_password() if password is None else hash_password(password),
        role=role.value,
        county_code=county_code,
        provider_id=provider_id if role == Role.provider else None,
        school_id=school_id if role in (Role.school_admin, Role.parent) else None,
        department=department if role == Role.department else None,
        can_review=can_review and role == Role.county_staff,
        can_decide=can_decide and role == Role.county_staff,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        county_code=county_code,
        action="user.create",
        entity_type="user",
        entity_id=user.id,
        new={
            "username": username,
            "role": role.value,
            "provider_id": user.provider_id,
            "school_id": user.school_id,
            "department": user.department,
            "can_review": user.can_review,
            "can_decide": user.can_decide,
        } | ({"activation": "pending"} if password is None else {}),
    )
    if commit:
        session.commit()
    return user


def _authorise_create(
    session: Session, actor: Actor, role: Role, county_code: str | None, provider_id: int | None, school_id: int | None
) -> None:
    if actor.role in ("platform_admin", "system"):
        return
    if actor.role == Role.county_staff and actor.can_decide and role in (Role.county_staff, Role.department, Role.school_admin):
        actor.require_county(county_code or "")
        if school_id is not None:
            school = session.get(School, school_id)
            if school is None or school.county_code != actor.county_code:
                raise NotFound("学校不存在。", code="school_not_found", field="school_id")
        return
    if actor.role == Role.provider and role == Role.provider and provider_id == actor.provider_id:
        return
    if (actor.role == Role.school_admin and role == Role.parent and school_id == actor.school_id
            and county_code == actor.county_code):
        return
    raise PermissionDenied("您无权创建该类账号。", code="user_create_denied")


def recent_failures(session: Session, column: InstrumentedAttribute[str], value: str, since: dt.datetime) -> int:
    return session.scalar(
        select(func.count()).where(column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since)
    ) or 0


def too_many_failures(session: Session, sec: SecuritySettings, key: str, ip: str) -> bool:
    """Too many recent failures to try again: of this account from this address (a few), from this address for
    any accounts, or of this account from everywhere (many: a stranger elsewhere cannot lock a user out with a
    handful of wrong passwords, yet a guessing run spread over many addresses still stops)."""
    since = utcnow() - dt.timedelta(seconds=sec.login_window_s)
    pair = session.scalar(select(func.count()).where(LoginAttempt.username == key, LoginAttempt.ip == ip,
                                                     LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since)) or 0
    return (pair >= sec.login_max_failures
            or recent_failures(session, LoginAttempt.ip, ip, since) >= sec.login_ip_max_failures
            or recent_failures(session, LoginAttempt.username, key, since) >= sec.login_account_max_failures)


def login(session: Session, sec: SecuritySettings, *, username: str, password: str, ip: str) -> User:
    """Check a password; refuse after too many recent failures (:func:`too_many_failures`)."""
    now = utcnow()
    if too_many_failures(session, sec, username, ip):
        minutes = sec.login_window_s // 60
        raise TooManyRequests(f"登录失败次数过多，请{minutes}分钟后再试。", code="login_throttled")
    user = session.scalars(select(User).where(User.username == username)).first()
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.is_active
    session.add(LoginAttempt(username=username[:64], ip=ip[:64], succeeded=ok, at=now))
    if not ok or user is None:
        session.commit()
        raise NotAuthenticated("用户名或密码错误。", code="login_failed")
    if needs_rehash(user.password_hash):  # made at another argon2 cost: store one at the configured cost
        user.password_hash = hash_password(password)
    if user.role in STAFF_ROLES or user.role == Role.school_admin:
        audit.record(
            session, actor_for(user, ip), county_code=user.county_code, action="user.login",
            entity_type="user", entity_id=user.id,
        )
    session.commit()
    return user


def issue_token(session: Session, user: User, *, name: str, days: int = 90) -> str:
    token, digest = new_token()
    now = utcnow()
    row = ApiToken(user_id=user.id, token_hash=digest, name=name[:100] or "api", created_at=now,
                   expires_at=now + dt.timedelta(days=days))
    session.add(row)
    session.flush()
    audit.record(session, actor_for(user), county_code=user.county_code, action="token.issue", entity_type="api_token",
                 entity_id=row.id, new={"name": row.name, "expires_at": row.expires_at})
    session.commit()
    return token


def actor_for_token(session: Session, token: str, ip: str = "") -> tuple[Actor, dt.datetime] | None:
    """The actor of a valid token and the token's expiry, in one query (what the token cache keeps)."""
    row = session.execute(select(User, ApiToken.expires_at).join(ApiToken, ApiToken.user_id == User.id).where(
        ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow(),
        User.is_active.is_(True))).first()
    return None if row is None else (actor_for(row[0], ip), row[1])


def revoke_token(session: Session, token: str) -> None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        user = session.get(User, row.user_id)
        if user is not None:
            audit.record(session, actor_for(user), county_code=user.county_code, action="token.revoke",
                         entity_type="api_token", entity_id=row.id, old={"revoked": False}, new={"revoked": True})
        session.commit()
