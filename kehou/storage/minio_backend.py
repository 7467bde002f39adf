"""MinIO / S3 storage through the ``minio`` client (production).

The bucket stays private: this class never sets a bucket policy or ACL, and
downloads are short-lived presigned GET URLs whose response overrides make the
object download as an attachment with its exact content type.

What a presigned URL cannot do: S3 only lets the signer override six response
headers (``response-content-type``, ``-content-disposition``, ``-content-language``,
``-content-encoding``, ``-cache-control``, ``-expires``). There is no override for
``X-Content-Type-Options``, so the app cannot add ``nosniff`` to a presigned S3
response; ``Content-Disposition: attachment`` plus the exact, sniffed content
type is what S3 allows. Add ``nosniff`` in the reverse proxy in front of MinIO
if that header is required on this path too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from urllib.parse import urlsplit

from minio import Minio
from minio.error import S3Error
from minio.helpers import MAX_PART_SIZE, MIN_PART_SIZE

from kehou.storage.base import StoredObject
from kehou.storage.headers import content_disposition
from kehou.storage.keys import validate_key

_MISSING = {"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"}


class MinioStorage:
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool,
        region: str = "us-east-1",
        public_url: str | None = None,
    ) -> None:
        """``endpoint`` is ``host:port`` as the app reaches MinIO.

        ``public_url`` (e.g. ``https://files.example.cn``) is where browsers reach
        the same S3 API, if that differs; presigned URLs are signed for that host
        (SigV4 signs the Host header, so a proxy must pass it through unchanged).
        Signing needs no network call because the region is given.
        """
        if not endpoint:
            raise ValueError("MinioStorage needs an endpoint (host:port)")
        self.bucket = bucket
        self.region = region
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self._signer = self.client
        if public_url:
            parts = urlsplit(public_url)
            if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path.strip("/"):
                raise ValueError("public_url must look like https://host[:port] with no path")
            self._signer = Minio(
                parts.netloc, access_key=access_key, secret_key=secret_key, secure=parts.scheme == "https", region=region
            )

    def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (setup and tests). Never makes it public."""
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket, location=self.region)

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """One single PUT (S3 makes it atomic): the object appears whole or not at all."""
        validate_key(key)
        digest = hashlib.sha256(data).hexdigest()
        # A part size of at least the whole object keeps the client from switching to
        # a multipart upload, which could leave parts behind on failure.
        part_size = min(max(len(data), MIN_PART_SIZE), MAX_PART_SIZE)
        self.client.put_object(
            self.bucket,
            key,
            io.BytesIO(data),
            length=len(data),
            content_type=content_type,
            metadata={"sha256": digest},
            part_size=part_size,
        )
        return StoredObject(key=key, size=len(data), content_type=content_type, sha256=digest)

    def get(self, key: str) -> bytes:
        validate_key(key)
        try:
            response = self.client.get_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                raise KeyError(key) from None
            raise
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def exists(self, key: str) -> bool:
        validate_key(key)
        try:
            self.client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        validate_key(key)
        self.client.remove_object(self.bucket, key)

    def download_url(self, key: str, *, filename: str, content_type: str, expires: dt.timedelta) -> str:
        """A presigned GET (1 s to 7 days) that downloads as ``filename`` with ``content_type``.

        Signed with the real wall-clock time (not ``kehou.timeutil.clock``), as S3
        checks the signature date against its own clock.
        """
        validate_key(key)
        return self._signer.presigned_get_object(
            self.bucket,
            key,
            expires=expires,
            response_headers={
                "response-content-disposition": content_disposition(filename),
                "response-content-type": content_type,
            },
        )
