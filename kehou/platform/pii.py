"""Personal data at rest: Fernet encryption plus a keyed hash for matching.

Both keys are derived from ``KEHOU_PII_KEY`` (never stored in the database).
Only the last four characters are ever shown.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.fernet import Fernet


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
