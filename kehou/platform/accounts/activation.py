"""Activating a parent account with a one-time code.

A parent account made by the school (a roster import) has no usable password. The school prints an activation
slip for it (:func:`issue`): a random code of eight characters without look-alikes (no 0/O, 1/I/L), kept only
as an argon2 hash, valid for the county setting ``accounts.activation_code_days`` (30 days unless set). Issuing
again revokes the unused code, so only the latest slip works. At ``/activate`` the parent types the username
(or the mobile number the school registered) and the code, and chooses a password (:func:`activate`): the code
is spent, the password set, and every step is audited. Wrong codes count as failed logins (the ``login_attempt``
table, per name typed and per IP, with the login's limits): after too many the form is refused for a while.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from kehou.errors import TooManyRequests, ValidationFailed
from kehou.platform.accounts.models import ActivationCode, LoginAttempt, Role, User
from kehou.platform.accounts.security import has_usable_password, hash_password, verify_password
from kehou.platform.accounts.services import actor_for, check_password_strength, too_many_failures
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.timeutil import as_utc, fmt_local, utcnow

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # read off paper and typed on a phone: no 0/O, 1/I/L
CODE_LENGTH = 8
SETTING = "accounts.activation_code_days"
DEFAULT_DAYS = 30
CODES_CHECKED = 5  # the latest codes of an account a typed code is compared with (to say "used" or "expired")
ATTEMPT_PREFIX = "activate:"

WRONG = "用户名（或手机号）或激活码不正确。请核对激活单上的用户名和激活码，激活码不区分大小写。"
USED = "该激活码已经用过，账户已激活。请用激活时设置的密码直接登录。"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown(code: str) -> str:
    """As printed: two groups of four (ABCD-EFGH)."""
    return f"{code[:4]}-{code[4:]}"


def normalise(typed: str) -> str:
    """What the parent typed, as stored: full-width folded, case, spaces and dashes ignored."""
    text = unicodedata.normalize("NFKC", typed).upper()
    return "".join(ch for ch in text if ch.isalnum())


def code_days(ctx: Any, session: Session, county_code: str | None) -> int:
    """The county's validity in days, when the setting is declared; 30 otherwise."""
    from kehou.platform.policy import services as policy

    if county_code and SETTING in ctx.registry.specs:
        return int(policy.get(session, ctx.registry, county_code, SETTING) or DEFAULT_DAYS)
    return DEFAULT_DAYS


@dataclass(frozen=True)
class Issued:
    user_id: int
    username: str
    display_name: str
    code: str  # shown once, on the slip
    expires_at: dt.datetime


@dataclass(frozen=True)
class State:
    """An account's activation: active (has a password), issued (a code waits), expired, or none (no code yet)."""

    status: str
    expires_at: dt.datetime | None = None

    @property
    def pending(self) -> bool:
        return self.status != "active"


def states(session: Session, user_ids: list[int]) -> dict[int, State]:
    now = utcnow()
    hashes: dict[int, str] = {}
    latest: dict[int, ActivationCode] = {}
    for i in range(0, len(user_ids), 500):
        ids = user_ids[i:i + 500]
        hashes |= dict(session.execute(select(User.id, User.password_hash).where(User.id.in_(ids))).all())
        open_codes = select(ActivationCode).where(ActivationCode.user_id.in_(ids), ActivationCode.used_at.is_(None),
                                                  ActivationCode.revoked_at.is_(None))
        for row in session.scalars(open_codes.order_by(ActivationCode.id)):
            latest[row.user_id] = row
    out = {}
    for uid in user_ids:
        if uid not in hashes:
            continue
        if has_usable_password(hashes[uid]):
            out[uid] = State("active")
        elif uid not in latest:
            out[uid] = State("none")
        else:
            expires = as_utc(latest[uid].expires_at)
            out[uid] = State("issued" if expires > now else "expired", expires)
    return out


def issue(ctx: Any, session: Session, actor: Actor, users: list[User], *, county_code: str,
          note: dict[str, Any] | None = None) -> list[Issued]:
    """New codes for accounts not yet activated (the caller checked it may act for them); the unused codes
    they had are revoked. Audited per account; the caller commits."""
    now = utcnow()
    expires = now + dt.timedelta(days=code_days(ctx, session, county_code))
    out = []
    for user in users:
        if has_usable_password(user.password_hash):
            raise ValidationFailed(f"账户{user.username}已激活，不需要激活码。", code="account_already_active")
        revoked = cast(CursorResult[Any], session.execute(update(ActivationCode).where(
            ActivationCode.user_id == user.id, ActivationCode.used_at.is_(None), ActivationCode.revoked_at.is_(None))
            .values(revoked_at=now))).rowcount
        code = new_code()
        row = ActivationCode(user_id=user.id, code_hash=hash_password(code), issued_at=now, expires_at=expires)
        session.add(row)
        session.flush()
        audit.record(session, actor, county_code=county_code, action="activation.issue", entity_type="user", entity_id=user.id,
                     new={"expires_at": expires, "revoked": revoked, **(note or {})})
        out.append(Issued(user.id, user.username, user.display_name, code, expires))
    return out


# --- the parent's side -----------------------------------------------------------------------------


def _candidates(ctx: Any, session: Session, identifier: str) -> list[User]:
    """The accounts the parent may mean: by username, and by a mobile number a school registered."""
    from kehou.platform.students.models import GuardianContact

    users = list(session.scalars(select(User).where(User.username == identifier)))
    digits = identifier.replace(" ", "").replace("-", "")
    if len(digits) == 11 and digits.isdecimal():
        ids = session.scalars(select(GuardianContact.user_id).where(GuardianContact.phone_hash == ctx.vault.keyed_hash(digits)))
        users += [u for u in session.scalars(select(User).where(User.id.in_(list(ids)))) if u not in users]
    return [u for u in users if u.role == Role.parent and u.is_active]


def _throttle(session: Session, sec: Any, key: str, ip: str) -> None:
    if too_many_failures(session, sec, key, ip):
        minutes = max(1, sec.login_window_s // 60)
        raise TooManyRequests(f"尝试次数过多，请{minutes}分钟后再试；如激活码遗失，请联系学校重新打印激活单。",
                              code="activation_throttled", field="code")


def activate(ctx: Any, session: Session, *, identifier: str, code: str, password: str, password2: str, ip: str) -> User:
    """Set the first password of a parent account with its current code; the code is spent. Commits (a failed
    attempt is committed too, for the limit)."""
    ident = unicodedata.normalize("NFKC", identifier).strip()
    typed = normalise(code)
    if not ident:
        raise ValidationFailed("请填写激活单上的用户名（或学校登记的手机号）。", code="identifier_required", field="username")
    if not typed:
        raise ValidationFailed("请填写激活单上的激活码。", code="activation_code_required", field="code")
    key = (ATTEMPT_PREFIX + ident)[:64]
    _throttle(session, ctx.settings.security, key, ip)
    if password != password2:
        raise ValidationFailed("两次输入的新密码不一致，请重新输入。", code="password_mismatch", field="password2")
    check_password_strength(password)
    found: tuple[User, ActivationCode] | None = None
    candidates = _candidates(ctx, session, ident) if len(typed) == CODE_LENGTH else []
    for user in candidates:
        rows = session.scalars(select(ActivationCode).where(ActivationCode.user_id == user.id)
                               .order_by(ActivationCode.id.desc()).limit(CODES_CHECKED))
        found = next(((user, r) for r in rows if verify_password(r.code_hash, typed)), None)
        if found:
            break
    if not candidates:
        verify_password(None, typed)  # the same time whether or not the name exists
    now = utcnow()
    if found is None:
        session.add(LoginAttempt(username=key, ip=ip[:64], succeeded=False, at=now))
        session.commit()
        raise ValidationFailed(WRONG, code="activation_code_wrong", field="code")
    user, row = found
    if row.used_at is not None or has_usable_password(user.password_hash):
        raise ValidationFailed(USED, code="activation_code_used", field="code")
    if row.revoked_at is not None:
        raise ValidationFailed("该激活码已作废：学校已重新打印激活单，请使用最新一张激活单上的激活码。",
                               code="activation_code_revoked", field="code")
    if as_utc(row.expires_at) <= now:
        raise ValidationFailed(f"该激活码已于{fmt_local(row.expires_at)}过期，请联系孩子的学校重新打印激活单。",
                               code="activation_code_expired", field="code")
    spent = cast(CursorResult[Any], session.execute(update(ActivationCode).where(
        ActivationCode.id == row.id, ActivationCode.used_at.is_(None), ActivationCode.revoked_at.is_(None))
        .values(used_at=now))).rowcount
    if spent != 1:  # the same code sent twice at once: the other request used it
        session.rollback()
        raise ValidationFailed(USED, code="activation_code_used", field="code")
    user.password_hash = hash_password(password)
    user.session_version += 1
    session.add(LoginAttempt(username=key, ip=ip[:64], succeeded=True, at=now))
    audit.record(session, actor_for(user, ip), county_code=user.county_code, action="user.activate", entity_type="user",
                 entity_id=user.id, new={"activated": True})
    session.commit()
    return user
