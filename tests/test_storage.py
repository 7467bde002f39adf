"""Storage: the same suite runs on the local backend and on the MinIO backend, the
latter against a real S3 protocol server on loopback (moto's ThreadedMotoServer).

moto serves S3 faithfully enough for the client (buckets, put, stat, ACL-checked
anonymous GET) but does not check presigned-URL signatures or expiry at all
(tampered and expired URLs get 200). ``_PresignGate`` adds that check the way
S3/MinIO do (SigV4 query signature over the canonical request, X-Amz-Date +
X-Amz-Expires), so "tampered" and "expired" mean something for both backends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx
import pytest
from minio.error import S3Error
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from urllib3.exceptions import ProtocolError
from werkzeug.serving import make_server

from kehou.errors import ValidationFailed
from kehou.settings import StorageSettings
from kehou.storage import InvalidKey, LocalStorage, Storage, make_storage, new_key, validate_key
from kehou.storage.headers import download_headers
from kehou.storage.local import LINK_PREFIX
from kehou.storage.minio_backend import MinioStorage
from kehou.storage.validation import sanitise_filename, sniff, validate_upload
from kehou.timeutil import clock
from tests import media

ACCESS_KEY = "kehou-test"
SECRET_KEY = "kehou-test-secret-0123456789"
BUCKET = "kehou-test"
LINK_SECRET = "link-secret-" + "z" * 32

PDF = media.pdf("storage")
JPEG = media.image("JPEG", "storage")
PNG = media.image("PNG", "storage")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode."
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
CHINESE_NAME = "营业执照（副本）.pdf"


# -- an S3 server on loopback that also enforces presigned signatures --------------


def _sigv4_presign_problem(environ: dict[str, Any], secret: str) -> str | None:
    """None if the presigned request is validly signed and unexpired, else an S3 error code."""
    pairs = [p.split("=", 1) + [""] for p in environ.get("QUERY_STRING", "").split("&") if p]
    params = [(unquote(k), unquote(v)) for k, v, *_ in pairs]
    query = dict(params)
    try:
        signed_at = dt.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        expires = int(query["X-Amz-Expires"])
        _access, day, region, service, _term = query["X-Amz-Credential"].split("/")
    except (KeyError, ValueError):
        return "AuthorizationQueryParametersError"
    if dt.datetime.now(dt.UTC) > signed_at + dt.timedelta(seconds=expires):
        return "AccessDenied"  # S3: "Request has expired"

    def enc(text: str) -> str:
        return quote(text, safe="-_.~")

    canonical_query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params) if k != "X-Amz-Signature")
    canonical_request = "\n".join([
        environ["REQUEST_METHOD"],
        quote(environ["PATH_INFO"], safe="/-_.~"),
        canonical_query,
        f"host:{environ['HTTP_HOST']}\n",
        "host",
        "UNSIGNED-PAYLOAD",
    ])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join([
        "AWS4-HMAC-SHA256", query["X-Amz-Date"], scope, hashlib.sha256(canonical_request.encode()).hexdigest()
    ])
    key = f"AWS4{secret}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected, query.get("X-Amz-Signature", "")) else "SignatureDoesNotMatch"


@dataclass
class _PresignGate:
    """WSGI middleware in front of moto: refuses bad presigned URLs, records requests."""

    app: Callable[..., Any]
    secret: str
    seen: list[tuple[str, str, str]] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("QUERY_STRING", "")))
        if "X-Amz-Signature=" in environ.get("QUERY_STRING", ""):
            problem = _sigv4_presign_problem(environ, self.secret)
            if problem:
                body = f"<Error><Code>{problem}</Code></Error>".encode()
                start_response("403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
                return [body]
        return self.app(environ, start_response)


class _GatedMotoServer(ThreadedMotoServer):
    """moto's threaded S3 server with the presign gate in front."""

    gate: _PresignGate

    def _server_entry(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

        self.gate = _PresignGate(DomainDispatcherApplication(create_backend_app), SECRET_KEY)
        self._server = make_server(self._ip_address, self._port, self.gate, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


@pytest.fixture(scope="module")
def s3_server() -> Iterator[_GatedMotoServer]:
    server = _GatedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- one harness for both backends ------------------------------------------------


@dataclass
class Harness:
    name: str
    storage: Storage
    fetch: Callable[[str], httpx.Response]  # what a browser gets for a download URL
    plain_url: Callable[[str], str]  # the object's URL with no signature
    expire: Callable[[], None]  # make links issued with a 1-second expiry stale
    break_writes: Callable[[pytest.MonkeyPatch], None]  # the next put fails mid-way
    write_error: type[Exception]  # what a put raises while writes are broken
    listing: Callable[[], list[str]]  # everything the backend holds, temp files included
    server: _GatedMotoServer | None = None


def _serve_local(storage: LocalStorage, url: str) -> httpx.Response:
    """What the app's ``/files/{key}`` route does with a local signed link."""
    parts = urlsplit(url)
    if not parts.path.startswith(LINK_PREFIX):
        return httpx.Response(404)
    key = unquote(parts.path[len(LINK_PREFIX):])
    query = {k: unquote(v) for k, _, v in (p.partition("=") for p in parts.query.split("&") if p)}
    if not {"exp", "sig", "name", "type"} <= query.keys():
        return httpx.Response(403)
    if not storage.verify_link(key, query["exp"], query["sig"], query["name"], query["type"]):
        return httpx.Response(403)
    try:
        body = storage.get(key)
    except (KeyError, InvalidKey):
        return httpx.Response(404)
    return httpx.Response(200, headers=download_headers(query["name"], query["type"]), content=body)


def _local_harness(tmp_path: Path) -> Harness:
    root = tmp_path / "files"
    storage = LocalStorage(root, LINK_SECRET)

    def break_writes(monkeypatch: pytest.MonkeyPatch) -> None:
        def boom(src: Any, dst: Any) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", boom)

    return Harness(
        name="local",
        storage=storage,
        fetch=lambda url: _serve_local(storage, url),
        plain_url=lambda key: f"{LINK_PREFIX}{key}",
        expire=lambda: clock.advance(dt.timedelta(seconds=2)),
        break_writes=break_writes,
        write_error=OSError,
        listing=lambda: sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()),
    )


def _minio_harness(server: _GatedMotoServer) -> Harness:
    host, port = server.get_host_and_port()
    storage = MinioStorage(f"{host}:{port}", ACCESS_KEY, SECRET_KEY, BUCKET, secure=False)
    storage.ensure_bucket()
    for obj in storage.client.list_objects(BUCKET, recursive=True):
        storage.client.remove_object(BUCKET, obj.object_name)

    def break_writes(monkeypatch: pytest.MonkeyPatch) -> None:
        real = storage.client._http.urlopen

        def flaky(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if method == "PUT":
                raise ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
            return real(method, url, *args, **kwargs)

        monkeypatch.setattr(storage.client._http, "urlopen", flaky)

    return Harness(
        name="minio",
        storage=storage,
        fetch=lambda url: httpx.get(url, timeout=10),
        plain_url=lambda key: f"http://{host}:{port}/{BUCKET}/{key}",
        expire=lambda: time.sleep(2.1),
        break_writes=break_writes,
        write_error=ProtocolError,
        listing=lambda: sorted(o.object_name for o in storage.client.list_objects(BUCKET, recursive=True)),
        server=server,
    )


@pytest.fixture(params=["local", "minio"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    clock.reset()
    if request.param == "local":
        yield _local_harness(tmp_path)
    else:
        yield _minio_harness(request.getfixturevalue("s3_server"))
    clock.reset()


def _filename_star(disposition: str) -> str:
    value = disposition.split("filename*=", 1)[1].split(";", 1)[0].strip()
    charset, _, encoded = value.split("'", 2)
    assert charset.upper() == "UTF-8"
    return unquote(encoded)


# -- the shared suite -------------------------------------------------------------


def test_put_get_exists_delete_roundtrip(backend: Harness) -> None:
    s = backend.storage
    key = new_key("providers/12")
    obj = s.put(key, PDF, "application/pdf")
    assert (obj.key, obj.size, obj.content_type) == (key, len(PDF), "application/pdf")
    assert obj.sha256 == hashlib.sha256(PDF).hexdigest()
    assert s.exists(key)
    assert s.get(key) == PDF
    s.delete(key)
    assert not s.exists(key)
    s.delete(key)  # deleting a missing object is not an error


def test_overwrite_replaces_the_content(backend: Harness) -> None:
    key = new_key("providers/12")
    backend.storage.put(key, PDF, "application/pdf")
    obj = backend.storage.put(key, PNG, "image/png")
    assert backend.storage.get(key) == PNG
    assert obj.sha256 == hashlib.sha256(PNG).hexdigest()
    assert backend.listing().count(key) == 1


def test_missing_key(backend: Harness) -> None:
    key = new_key("providers/12")
    with pytest.raises(KeyError):
        backend.storage.get(key)
    assert not backend.storage.exists(key)


def test_a_key_prefix_is_not_an_object(backend: Harness) -> None:
    backend.storage.put("providers/7/doc", PDF, "application/pdf")
    assert not backend.storage.exists("providers/7")
    with pytest.raises(KeyError):
        backend.storage.get("providers/7")
    backend.storage.delete("providers/7")
    assert backend.storage.get("providers/7/doc") == PDF


def test_large_object_roundtrip(backend: Harness) -> None:
    data = b"%PDF-1.4\n" + os.urandom(6 * 1024 * 1024)  # above the client's 5 MiB multipart threshold
    key = new_key("providers/12")
    obj = backend.storage.put(key, data, "application/pdf")
    assert backend.storage.get(key) == data
    assert obj.size == len(data)
    if backend.server is not None:  # one plain PUT: no multipart upload that could leave parts behind
        puts = [(m, q) for m, p, q in backend.server.gate.seen if p.endswith(key) and m in {"PUT", "POST"}]
        assert puts == [("PUT", "")]


BAD_KEYS = [
    "../x", "/abs", "a/../../b", "..", ".", "a/./b", "a//b", "a/", "", "Providers/12/x", "a b", "a.pdf",
    "a\\b", "%2e%2e/x", "a/b\x00", "营业执照", "a/b?c", "x" * 201,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_invalid_keys_are_refused_everywhere(backend: Harness, key: str) -> None:
    s = backend.storage
    operations: list[Callable[[], object]] = [
        lambda: s.put(key, PDF, "application/pdf"),
        lambda: s.get(key),
        lambda: s.exists(key),
        lambda: s.delete(key),
        lambda: s.download_url(key, filename="a.pdf", content_type="application/pdf", expires=dt.timedelta(minutes=5)),
    ]
    for operation in operations:
        with pytest.raises(InvalidKey) as caught:
            operation()
        assert caught.value.code == "storage_key_invalid"
        assert isinstance(caught.value, ValueError) and isinstance(caught.value, ValidationFailed)
    assert backend.listing() == []


def test_download_is_an_attachment_with_the_chinese_name(backend: Harness) -> None:
    key = new_key("providers/12")
    backend.storage.put(key, PDF, "application/pdf")
    url = backend.storage.download_url(
        key, filename=CHINESE_NAME, content_type="application/pdf", expires=dt.timedelta(minutes=5)
    )
    assert CHINESE_NAME not in url and "营" not in url  # the URL itself is plain ASCII
    response = backend.fetch(url)
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert _filename_star(disposition) == CHINESE_NAME
    if backend.name == "local":
        assert response.headers["x-content-type-options"] == "nosniff"
    else:
        assert "X-Amz-Expires=300" in url and "X-Amz-SignedHeaders=host" in url


def test_the_object_is_not_reachable_without_a_signature(backend: Harness) -> None:
    key = new_key("providers/12")
    backend.storage.put(key, PDF, "application/pdf")
    response = backend.fetch(backend.plain_url(key))
    assert response.status_code == 403
    assert PDF not in response.content


@pytest.mark.parametrize("part", ["key", "name", "type", "expiry"])
def test_tampered_download_links_are_refused(backend: Harness, part: str) -> None:
    key, other = new_key("providers/12"), new_key("providers/13")
    backend.storage.put(key, PDF, "application/pdf")
    backend.storage.put(other, PNG, "image/png")
    url = backend.storage.download_url(key, filename="report.pdf", content_type="application/pdf",
                                       expires=dt.timedelta(seconds=300))
    assert backend.fetch(url).status_code == 200
    tampered = {
        "key": lambda u: u.replace(key, other),
        "name": lambda u: u.replace("report.pdf", "report.html"),
        "type": lambda u: u.replace("application%2Fpdf", "text%2Fhtml"),
        "expiry": lambda u: u.replace("X-Amz-Expires=300", "X-Amz-Expires=3000").replace("exp=", "exp=9"),
    }[part](url)
    assert tampered != url
    assert backend.fetch(tampered).status_code == 403


def test_expired_download_links_are_refused(backend: Harness) -> None:
    key = new_key("providers/12")
    backend.storage.put(key, PDF, "application/pdf")
    url = backend.storage.download_url(key, filename="a.pdf", content_type="application/pdf",
                                       expires=dt.timedelta(seconds=1))
    backend.expire()
    response = backend.fetch(url)
    assert response.status_code == 403
    assert PDF not in response.content


def test_a_failed_write_leaves_nothing_behind(backend: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = new_key("providers/12")
    backend.storage.put(kept, PDF, "application/pdf")
    fresh = new_key("providers/12")
    with monkeypatch.context() as patch:
        backend.break_writes(patch)
        with pytest.raises(backend.write_error):
            backend.storage.put(fresh, PNG, "image/png")
        with pytest.raises(backend.write_error):
            backend.storage.put(kept, PNG, "image/png")  # overwriting fails too: the old object stays whole
    assert not backend.storage.exists(fresh)
    assert backend.storage.get(kept) == PDF
    assert backend.listing() == [kept]


# -- local backend specifics -----------------------------------------------------


@pytest.fixture
def local(tmp_path: Path) -> Iterator[LocalStorage]:
    clock.reset()
    yield LocalStorage(tmp_path / "files", LINK_SECRET)
    clock.reset()


def _link_params(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    query = {k: unquote(v) for k, _, v in (p.partition("=") for p in parts.query.split("&"))}
    return parts.path[len(LINK_PREFIX):], query


def test_local_link_verification(local: LocalStorage) -> None:
    key = new_key("providers/3")
    local.put(key, PDF, "application/pdf")
    url = local.download_url(key, filename=CHINESE_NAME, content_type="application/pdf",
                             expires=dt.timedelta(minutes=10))
    path_key, q = _link_params(url)
    assert url.startswith(f"/files/{key}?") and path_key == key
    assert q["name"] == CHINESE_NAME and q["type"] == "application/pdf"
    assert local.verify_link(key, q["exp"], q["sig"], q["name"], q["type"])
    assert not local.verify_link(new_key("providers/3"), q["exp"], q["sig"], q["name"], q["type"])
    assert not local.verify_link(key, q["exp"], q["sig"], "营业执照.html", q["type"])
    assert not local.verify_link(key, q["exp"], q["sig"], q["name"], "text/html")
    assert not local.verify_link(key, str(int(q["exp"]) + 3600), q["sig"], q["name"], q["type"])
    assert not local.verify_link(key, q["exp"], q["sig"][:-1] + ("0" if q["sig"][-1] != "0" else "1"), q["name"], q["type"])
    assert not local.verify_link(key, "soon", q["sig"], q["name"], q["type"])
    assert not local.verify_link("../etc/passwd", q["exp"], q["sig"], q["name"], q["type"])
    assert not local.verify_link(key, q["exp"], "签名", q["name"], q["type"])
    other = LocalStorage(local.root, "another-secret-" + "q" * 32)
    assert not other.verify_link(key, q["exp"], q["sig"], q["name"], q["type"])

    clock.advance(dt.timedelta(minutes=9))
    assert local.verify_link(key, q["exp"], q["sig"], q["name"], q["type"])
    clock.advance(dt.timedelta(minutes=2))
    assert not local.verify_link(key, q["exp"], q["sig"], q["name"], q["type"])


def test_local_refuses_a_symlink_out_of_the_root(local: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"top secret")
    (local.root / "providers").mkdir()
    (local.root / "providers" / "evil").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidKey):
        local.get("providers/evil/secret")
    with pytest.raises(InvalidKey):
        local.put("providers/evil/new", PDF, "application/pdf")
    assert not (outside / "new").exists()


def test_local_write_failure_mid_write_removes_the_temp_file(local: LocalStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    key = new_key("providers/3")
    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        local.put(key, PDF * 1000, "application/pdf")
    monkeypatch.undo()
    assert [p for p in local.root.rglob("*") if p.is_file()] == []
    assert not local.exists(key)


def test_local_files_are_private(local: LocalStorage) -> None:
    key = new_key("providers/3")
    local.put(key, PDF, "application/pdf")
    assert (local.path_for(key).stat().st_mode & 0o077) == 0


# -- MinIO backend specifics ------------------------------------------------------


def test_minio_bucket_has_no_policy_and_ensure_bucket_is_idempotent(s3_server: _GatedMotoServer) -> None:
    harness = _minio_harness(s3_server)
    storage = harness.storage
    assert isinstance(storage, MinioStorage)
    storage.ensure_bucket()
    storage.ensure_bucket()
    with pytest.raises(S3Error) as caught:
        storage.client.get_bucket_policy(BUCKET)
    assert caught.value.code == "NoSuchBucketPolicy"


def test_minio_presigns_for_the_public_url_without_network() -> None:
    storage = MinioStorage("minio:9000", ACCESS_KEY, SECRET_KEY, BUCKET, secure=False,
                           public_url="https://files.example.cn")
    url = storage.download_url("providers/1/abc", filename=CHINESE_NAME, content_type="application/pdf",
                               expires=dt.timedelta(minutes=5))
    assert url.startswith(f"https://files.example.cn/{BUCKET}/providers/1/abc?")
    assert "response-content-disposition=attachment" in url
    assert "response-content-type=application%2Fpdf" in url
    with pytest.raises(ValueError):
        MinioStorage("minio:9000", ACCESS_KEY, SECRET_KEY, BUCKET, secure=False, public_url="files.example.cn")


# -- factory and keys --------------------------------------------------------------


def test_make_storage_chooses_by_settings(tmp_path: Path) -> None:
    base = StorageSettings(backend="local", local_root=tmp_path / "files")
    assert isinstance(make_storage(base, LINK_SECRET), LocalStorage)
    minio_settings = dataclasses.replace(
        base, backend="minio", minio_endpoint="127.0.0.1:9", minio_access_key="a", minio_secret_key="b"
    )
    assert isinstance(make_storage(minio_settings, LINK_SECRET), MinioStorage)
    with pytest.raises(ValueError):
        make_storage(dataclasses.replace(base, backend="s3-ish"), LINK_SECRET)
    with pytest.raises(ValueError):
        make_storage(dataclasses.replace(base, backend="minio"), LINK_SECRET)  # no endpoint
    with pytest.raises(ValueError):
        make_storage(base, "")


def test_new_key_is_random_and_valid() -> None:
    a, b = new_key("providers/12"), new_key("providers/12/")
    assert a != b
    assert a.startswith("providers/12/") and len(a.rsplit("/", 1)[1]) == 32
    assert validate_key(a) == a
    with pytest.raises(InvalidKey):
        new_key("../providers")


# -- upload validation --------------------------------------------------------------


def _refused(data: bytes, name: str, **kwargs: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        validate_upload(data, name, **kwargs)
    return caught.value


@pytest.mark.parametrize(("data", "kind"), [
    (PDF, "pdf"), (JPEG, "jpeg"), (PNG, "png"), (EXE, "exe"), (ELF, "elf"), (b"PK\x03\x04rest", "zip"),
    (b"GIF89a....", "gif"), (b"hello", None), (b"", None),
])
def test_sniff(data: bytes, kind: str | None) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize(("data", "name", "kind", "content_type"), [
    (PDF, CHINESE_NAME, "pdf", "application/pdf"),
    (JPEG, "身份证正面.JPG", "jpeg", "image/jpeg"),
    (JPEG, "photo.jpeg", "jpeg", "image/jpeg"),
    (PNG, "截图.png", "png", "image/png"),
])
def test_accepted_uploads(data: bytes, name: str, kind: str, content_type: str) -> None:
    check = validate_upload(data, name, allowed=["pdf", "jpeg", "png"], max_bytes=1024 * 1024)
    assert (check.kind, check.content_type, check.size) == (kind, content_type, len(data))
    assert check.sha256 == hashlib.sha256(data).hexdigest()
    assert check.safe_name == name


def test_identical_uploads_have_the_same_sha256() -> None:
    first = validate_upload(PDF, "a.pdf", allowed=["pdf"], max_bytes=1024)
    again = validate_upload(PDF, "副本.pdf", allowed=["pdf"], max_bytes=1024)
    assert first.sha256 == again.sha256  # the documents service de-duplicates on this


def test_pdf_named_png_is_a_mismatch() -> None:
    error = _refused(PDF, "照片.png", allowed=["pdf", "jpeg", "png"], max_bytes=1024 * 1024)
    assert error.code == "upload_type_mismatch"
    assert ".png" in error.message and "PDF" in error.message and "PNG" in error.message


@pytest.mark.parametrize("data", [EXE, ELF])
def test_executable_named_pdf_is_refused(data: bytes) -> None:
    error = _refused(data, "营业执照.pdf", allowed=["pdf", "jpeg", "png"], max_bytes=1024 * 1024)
    assert error.code == "upload_type_not_allowed"
    assert "可执行程序" in error.message and "不是PDF" in error.message


def test_unrecognised_content_is_refused() -> None:
    error = _refused(b"<html><script>alert(1)</script></html>", "a.pdf", allowed=["pdf"], max_bytes=1024)
    assert error.code == "upload_type_not_allowed"
    assert "无法识别" in error.message


def test_empty_file_is_refused() -> None:
    error = _refused(b"", "a.pdf", allowed=["pdf"], max_bytes=1024)
    assert error.code == "upload_empty"
    assert "空" in error.message


def test_oversize_file_is_refused_with_the_limit_in_mb() -> None:
    error = _refused(PDF + b"0" * (2 * 1024 * 1024), "a.pdf", allowed=["pdf"], max_bytes=2 * 1024 * 1024)
    assert error.code == "upload_too_large"
    assert "2 MB" in error.message
    assert validate_upload(PDF, "a.pdf").size == len(PDF)  # the default limit is 20 MB
    error = _refused(PDF + b"0" * (20 * 1024 * 1024), "a.pdf")
    assert "20 MB" in error.message


def test_allowed_list_is_respected() -> None:
    error = _refused(PNG, "截图.png", allowed=["pdf"], max_bytes=1024)
    assert error.code == "upload_type_not_allowed"
    assert "PNG图片" in error.message and "只接受PDF" in error.message
    assert validate_upload(JPEG, "a.jpg", allowed=["jpg"], max_bytes=1024).kind == "jpeg"  # alias
    with pytest.raises(ValueError):
        validate_upload(PDF, "a.pdf", allowed=["pdf", "docx"], max_bytes=1024)


@pytest.mark.parametrize("name", [
    "../营业执照.pdf", "..\\营业执照.pdf", "/etc/passwd", "C:\\Users\\a\\b.pdf", "a/b.pdf", "..",
    "a\x00.pdf", "a\n.pdf", "a\r\n.pdf", "\x1b[31ma.pdf", "a\x7f.pdf", "invoice\u202efdp.exe", "a\u2028.pdf",
])
def test_hostile_names_are_refused(name: str) -> None:
    error = _refused(PDF, name, allowed=["pdf"], max_bytes=1024)
    assert error.code == "upload_name_invalid"
    assert "文件名" in error.message


def test_the_name_check_comes_before_the_content_check() -> None:
    assert _refused(EXE, "../x.pdf", allowed=["pdf"], max_bytes=1024).code == "upload_name_invalid"


@pytest.mark.parametrize(("raw", "clean"), [
    (CHINESE_NAME, CHINESE_NAME),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\张三\\证书.pdf", "证书.pdf"),
    ("a\x00b\nc.pdf", "abc.pdf"),
    ('a<b>:"c"|?*.pdf', "a_b___c____.pdf"),
    ("  ..hidden.pdf. ", "hidden.pdf"),
    ("", "文件"),
    ("..", "文件"),
    ("\x00\x1b", "文件"),
    ("CON.pdf", "_CON.pdf"),
    ("营" * 300 + ".pdf", "营" * 146 + ".pdf"),
])
def test_sanitise_filename(raw: str, clean: str) -> None:
    assert sanitise_filename(raw) == clean
    assert len(sanitise_filename(raw)) <= 150


def test_names_without_a_known_extension_get_the_real_one() -> None:
    assert validate_upload(PDF, "营业执照 v1.2", allowed=["pdf"], max_bytes=1024).safe_name == "营业执照 v1.2.pdf"
    assert validate_upload(PDF, "page.html", allowed=["pdf"], max_bytes=1024).safe_name == "page.html.pdf"
    assert validate_upload(PDF, "   ", allowed=["pdf"], max_bytes=1024).safe_name == "文件.pdf"


def test_concurrent_puts_of_one_key_never_expose_a_partial_file(local: LocalStorage) -> None:
    key = new_key("providers/5")
    blobs = [bytes([i]) * 200_000 for i in range(1, 5)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                data = local.get(key)
            except KeyError:
                continue
            if data not in blobs:
                errors.append(AssertionError(f"partial read of {len(data)} bytes"))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(10):
            for blob in blobs:
                local.put(key, blob, "application/octet-stream")
    finally:
        stop.set()
        thread.join()
    assert errors == []
