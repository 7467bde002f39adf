"""Password hashing (argon2id) and API tokens (stored as sha256 only).

The argon2 cost comes from settings (``SecuritySettings.argon2_*``) through
:func:`configure_hashing`, which :func:`kehou.platform.context.build_context` calls. argon2 writes its
parameters into every hash, so a hash made with other parameters still verifies; :func:`needs_rehash`
tells the login to store a new hash at the configured cost.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10

# argon2-cffi's defaults (RFC 9106, low-memory profile): 3 passes, 64 MiB, 4 lanes.
DEFAULT_TIME_COST = 3
DEFAULT_MEMORY_KIB = 65536
DEFAULT_PARALLELISM = 4


class _Hashing:
    """The process's hasher and the dummy hash verified when a user does not exist (so timing does not
    reveal which usernames exist); both follow the configured cost."""

    def __init__(self) -> None:
        self.configure(DEFAULT_TIME_COST, DEFAULT_MEMORY_KIB, DEFAULT_PARALLELISM)

    def configure(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        key = (time_cost, memory_kib, parallelism)
        if getattr(self, "key", None) == key:
            return
        hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        self.dummy = hasher.hash("kehou-dummy-password")
        self.hasher, self.key = hasher, key


_state = _Hashing()


def configure_hashing(time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Use these argon2 parameters for new hashes (argon2 refuses memory below 8 KiB per lane)."""
    _state.configure(time_cost, memory_kib, parallelism)


def hash_password(password: str) -> str:
    return _state.hasher.hash(password)


#: how a password hash starts when the account has no usable password yet (a parent account made by the school,
#: waiting for its activation code): no password verifies against it
UNUSABLE_PREFIX = "!"


def unusable_password() -> str:
    """The stored value of an account nobody can log in to with a password (until it is activated)."""
    return UNUSABLE_PREFIX + secrets.token_hex(16)


def has_usable_password(stored: str) -> bool:
    return not stored.startswith(UNUSABLE_PREFIX)


def verify_password(stored: str | None, password: str) -> bool:
    usable = stored is not None and has_usable_password(stored)
    try:  # an unknown user or an unusable password is checked against the dummy hash: the same time either way
        return _state.hasher.verify(stored if usable and stored else _state.dummy, password) and usable
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with other parameters than the configured ones."""
    try:
        return _state.hasher.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def new_token() -> tuple[str, str]:
    """Return (the token shown once, its sha256 stored in the database)."""
    token = "kh_" + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
