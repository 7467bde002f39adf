"""Local-disk storage, the embedded default.

Every key is validated and resolved; anything that would land outside the root
(``..``, absolute paths, symlinks pointing out) is refused. Writes go to a temp
file in the target directory, are fsynced, then ``os.replace``d into place, so a
reader sees the old object or the new one, never a partial one; the temp file is
removed when anything fails.

Downloads are app-relative signed links ``/files/{key}?exp=…&sig=…&name=…&type=…``
that the app's file route checks with ``verify_link`` before serving the bytes
with ``headers.download_headers`` (attachment + nosniff).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode

from kehou.storage.base import StoredObject
from kehou.storage.keys import InvalidKey, validate_key
from kehou.timeutil import utcnow

LINK_PREFIX = "/files/"
_TEMP_PREFIX = ".tmp-"  # keys never contain dots, so temp names never collide with objects


class LocalStorage:
    def __init__(self, root: Path, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("LocalStorage needs a non-empty secret_key to sign download links")
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._link_key = hmac.new(secret_key.encode(), b"kehou/storage/local-link/v1", hashlib.sha256).digest()

    # -- paths -------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        """The file for ``key``; raise InvalidKey if malformed or outside the root."""
        validate_key(key)
        path = (self.root / key).resolve()
        if path == self.root or not path.is_relative_to(self.root):
            raise InvalidKey("存储键无效", field="key", extra={"key": key})
        return path

    # -- Storage protocol --------------------------------------------------

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(path.parent)
        return StoredObject(key=key, size=len(data), content_type=content_type, sha256=hashlib.sha256(data).hexdigest())

    def get(self, key: str) -> bytes:
        path = self.path_for(key)
        if not path.is_file():
            raise KeyError(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def delete(self, key: str) -> None:
        path = self.path_for(key)
        if path.is_file():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def download_url(self, key: str, *, filename: str, content_type: str, expires: dt.timedelta) -> str:
        self.path_for(key)
        exp = int((utcnow() + expires).timestamp())
        query = urlencode(
            {"exp": exp, "sig": self._sign(key, exp, filename, content_type), "name": filename, "type": content_type},
            quote_via=quote,
        )
        return f"{LINK_PREFIX}{key}?{query}"

    # -- signed links ------------------------------------------------------

    def _sign(self, key: str, exp: int, name: str, content_type: str) -> str:
        message = json.dumps([key, exp, name, content_type], ensure_ascii=False, separators=(",", ":"))
        return hmac.new(self._link_key, message.encode(), hashlib.sha256).hexdigest()

    def verify_link(self, key: str, exp: str | int, sig: str, name: str, type: str) -> bool:  # noqa: A002
        """True if the link parameters are untampered and not expired (``type`` is the content type)."""
        try:
            validate_key(key)
            expires_at = int(exp)
        except (InvalidKey, ValueError, TypeError):
            return False
        if expires_at <= utcnow().timestamp():
            return False
        expected = self._sign(key, expires_at, name, type)
        return hmac.compare_digest(expected.encode(), str(sig).encode())


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
