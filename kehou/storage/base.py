"""The storage interface. Backends: local disk (embedded default) and MinIO/S3.

Objects live under keys the platform generates (never the uploaded name). The
bucket/root is private: downloads go through short-lived presigned URLs (MinIO)
or signed links served by the app (local).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    content_type: str
    sha256: str


@runtime_checkable
class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Store ``data`` under ``key`` atomically: on failure nothing is left behind."""

    def get(self, key: str) -> bytes:
        """Return the object's bytes; raise KeyError when missing."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; no error when it is missing."""

    def download_url(self, key: str, *, filename: str, content_type: str, expires: dt.timedelta) -> str:
        """A short-lived URL that downloads the object as an attachment named ``filename``."""
