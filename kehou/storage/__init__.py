"""Object storage: pick a backend from settings, generate keys, validate uploads.

``make_storage(settings.storage, settings.security.secret_key)`` returns a
``Storage``; store under ``new_key("providers/12")``, never under the uploaded
name; check bytes first with ``validation.validate_upload``.
"""

from __future__ import annotations

from kehou.settings import StorageSettings
from kehou.storage.base import Storage, StoredObject
from kehou.storage.keys import InvalidKey, new_key, validate_key
from kehou.storage.local import LocalStorage

__all__ = ["InvalidKey", "LocalStorage", "Storage", "StoredObject", "make_storage", "new_key", "validate_key"]


def make_storage(settings: StorageSettings, secret_key: str) -> Storage:
    """The backend named by ``settings.backend``: ``"local"`` or ``"minio"``."""
    backend = settings.backend.strip().lower()
    if backend == "local":
        return LocalStorage(settings.local_root, secret_key)
    if backend == "minio":
        from kehou.storage.minio_backend import MinioStorage  # the minio client is only needed here

        return MinioStorage(
            endpoint=settings.minio_endpoint,
            access_key=settings.minio_access_key,
            secret_key=settings.minio_secret_key,
            bucket=settings.minio_bucket,
            secure=settings.minio_secure,
            public_url=settings.minio_public_url or None,
        )
    raise ValueError(f"unknown storage backend {settings.backend!r} (expected 'local' or 'minio')")
