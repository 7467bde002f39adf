"""Personal data at rest: Fernet encryption plus a keyed hash for matching.

Both keys are derived from ``KEHOU_PII_KEY`` (never stored in the database).
Only the last four characters are ever shown.

:class:`SealedText` is a column type that seals on the way in and opens on the way out, with the vault the
process installed (:func:`install`, done by ``build_context`` and ``migrate``). Every row holds a ciphertext,
also where the value is empty (sealed ""), so a dump does not even show who has a value: code reads and writes
the attribute as plain text, SQL can neither filter nor count by it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes
    keyed_hash: str
    last4: str


class PiiVault:
    def __init__(self, master_key: str) -> None:
        enc = hashlib.sha256(b"kehou-pii-enc:" + master_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(enc))
        self._mac_key = hashlib.sha256(b"kehou-pii-mac:" + master_key.encode()).digest()

    def keyed_hash(self, value: str) -> str:
        return hmac.new(self._mac_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()

    def seal(self, value: str) -> Sealed:
        norm = value.strip().upper()
        return Sealed(self._fernet.encrypt(norm.encode()), self.keyed_hash(norm), norm[-4:])

    def open(self, ciphertext: bytes) -> str:
        return self._fernet.decrypt(ciphertext).decode()


def show_last4(last4: str) -> str:
    """How a sealed ID number is displayed: only its last four characters."""
    return "*" * 14 + last4


_installed: PiiVault | None = None


def install(vault: PiiVault) -> None:
    """The vault :class:`SealedText` columns use in this process."""
    global _installed
    _installed = vault


def installed() -> PiiVault:
    if _installed is None:
        raise RuntimeError("no PII vault installed: build the context (or run migrate) with KEHOU_PII_KEY first")
    return _installed


def for_migration() -> PiiVault:
    """The vault a data migration seals with: the one ``migrate`` installed, or (alembic run by hand) one from the
    environment's KEHOU_PII_KEY, as the app reads it."""
    if _installed is None:
        from kehou.settings import load_settings

        install(PiiVault(load_settings().security.pii_key))
    return installed()


def seal_bytes(vault: PiiVault, value: str | None) -> bytes:
    """What :class:`SealedText` stores for ``value``."""
    return vault._fernet.encrypt((value or "").encode())


class SealedText(TypeDecorator[str]):
    """Text sealed with the installed vault; ``None`` and "" are stored as a sealed "" and read as ``None`` (or as ""
    with ``empty=""``)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, empty: str | None = None) -> None:
        super().__init__()
        self.empty = empty

    def process_bind_param(self, value: Any, dialect: Any) -> bytes:
        return seal_bytes(installed(), value)

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return installed().open(bytes(value)) or self.empty


#: an audited value kept sealed (a priority group): the audit entry records old and new, readable with the key only
SEALED_PREFIX = "sealed:"


def sealed_for_audit(value: str | None) -> str:
    return SEALED_PREFIX + installed()._fernet.encrypt((value or "").encode()).decode()


def open_audited(value: str) -> str | None:
    """The value :func:`sealed_for_audit` sealed (for an investigation with the key)."""
    return installed().open(value.removeprefix(SEALED_PREFIX).encode()) or None
