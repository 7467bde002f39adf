"""Documents on object storage and automated vetting, end to end through the HTTP API.

* uploads (multipart + metadata), de-duplication, hostile uploads refused with stable
  codes and nothing left behind; signed, expiring download links for allowed roles only;
* vetting queued on submission and run by the job (or a real worker), findings shown to
  the provider and the county; on-demand runs; the nightly run over admitted providers;
* blocking findings stop approval until a decision-maker overrides each with a reason;
* an expiring required document: a warning once, suspension after expiry, no
  reinstatement for a pending replacement, reinstatement once a reviewer accepts it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from celery import Celery
from litestar.testing import TestClient
from sqlalchemy import func, select

from kehou.platform.accounts import services as accounts
from kehou.platform.admission import services as admission
from kehou.platform.admission.models import WhitelistEntry
from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context
from kehou.platform.documents import services as documents
from kehou.platform.documents.models import Document
from kehou.platform.notifications.models import Notification
from kehou.platform.outbox.models import OutboxMessage
from kehou.platform.policy import services as policy
from kehou.settings import Settings
from kehou.tasks import app as task_app
from kehou.tasks import jobs
from kehou.timeutil import clock
from kehou.vetting import monitor
from kehou.vetting.models import VettingFinding, VettingOverride, VettingRun
from tests.celery_support import worker
from tests.factories import COUNTY, PASSWORD, SCOPE, World, add_documents, add_provider, pdf
from tests.helpers import err, ok, review_all, token_headers

SCORES = {"qualification": 22, "curriculum": 26, "staff": 20, "safety": 18}
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode."
CHINESE_NAME = "责任保险单（2026年度）.pdf"


# --- helpers --------------------------------------------------------------------------------


def stored_files(ctx: Context) -> set[Path]:
    """Every file under the local storage root (objects and any temp leftovers)."""
    root = Path(ctx.settings.storage.local_root)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def document_count(ctx: Context) -> int:
    with ctx.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(Document)) or 0


def upload(client: TestClient, headers: dict[str, str], provider_id: int, *, name: str, data: bytes,
           doc_type: str = "insurance", content_type: str = "application/octet-stream", **meta: str) -> Any:
    form = {"doc_type": doc_type} | meta
    return client.post(f"/api/v1/providers/{provider_id}/documents", headers=headers, data=form,
                       files={"file": (name, data, content_type)})


def raw_upload(client: TestClient, headers: dict[str, str], provider_id: int, *, name: str, data: bytes,
               doc_type: str = "insurance") -> Any:
    """A multipart body built by hand, so the file name reaches the server byte for byte
    (httpx, like browsers, would percent-encode control characters in it)."""
    boundary = "kehou-test-boundary-7d9f"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\n{doc_type}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(f"/api/v1/providers/{provider_id}/documents", content=body,
                       headers=headers | {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def audit_rows(ctx: Context, action: str, *, entity_id: int | None = None) -> list[AuditEntry]:
    with ctx.db.read_session() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == action)
        if entity_id is not None:
            stmt = stmt.where(AuditEntry.entity_id == str(entity_id))
        return list(s.scalars(stmt.order_by(AuditEntry.county_code, AuditEntry.seq)))


def county_audit(client: TestClient, headers: dict[str, str], entity_type: str, entity_id: int) -> list[dict[str, Any]]:
    """The county's audit chain for one entity, oldest first (read as a decision-maker)."""
    rows = ok(client.get("/api/v1/audit", headers=headers,
                         params={"county": COUNTY, "entity_type": entity_type, "entity_id": str(entity_id)}))
    return list(reversed(rows))


def draft(client: TestClient, headers: dict[str, str], *, categories: list[str] | None = None,
          courses: list[dict[str, str]] | None = None, county: str = COUNTY) -> int:
    body = {"county_code": county, "categories": categories or ["体育艺术"], "statement": "少儿美术与书法",
            "courses": courses if courses is not None else [
                {"title": "少儿国画启蒙", "category": "体育艺术", "description": "学习国画基本笔墨技法"}]}
    return ok(client.post("/api/v1/applications", headers=headers, json=body), 201)["id"]


def move_days(days: int) -> None:
    clock.advance(dt.timedelta(days=days))


def move_to(day: dt.date) -> None:
    """Move the clock forward to the same time of day on ``day`` (Shanghai)."""
    move_days((day - clock.today_local()).days)


def to_awaiting_decision(client: TestClient, aid: int) -> None:
    """Submitted application → materials accepted → two scores → notice → closed (awaiting decision)."""
    rev1, rev2 = token_headers(client, "reviewer1"), token_headers(client, "reviewer2")
    provider_id = ok(client.get(f"/api/v1/applications/{aid}", headers=rev1))["provider_id"]
    review_all(client, rev1, provider_id, some=False)
    ok(client.post(f"/api/v1/applications/{aid}/accept", headers=rev1, json={}))
    for h in (rev1, rev2):
        ok(client.post(f"/api/v1/applications/{aid}/scores", headers=h, json={"scores": SCORES}))
    noticed = ok(client.post(f"/api/v1/applications/{aid}/finish-review", headers=rev1, json={}))
    assert noticed["status"] == "public_notice"
    move_to(dt.date.fromisoformat(noticed["notice_end"]) + dt.timedelta(days=1))
    assert ok(client.post(f"/api/v1/applications/{aid}/close-notice", headers=rev1))["status"] == "awaiting_decision"


def vetting(client: TestClient, headers: dict[str, str], aid: int) -> dict[str, Any]:
    return ok(client.get(f"/api/v1/applications/{aid}/vetting", headers=headers))


def blocks(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in result["findings"] if f["verdict"] == "block"]


def runs(ctx: Context, **where: Any) -> list[VettingRun]:
    with ctx.db.read_session() as s:
        return list(s.scalars(select(VettingRun).filter_by(**where).order_by(VettingRun.id)))


def queued_messages(settings: Settings) -> list[dict[str, Any]]:
    """Task messages waiting in the test's filesystem broker: (task name, kwargs)."""
    out = []
    for path in sorted((settings.data_dir / "broker" / "queue").glob("*.msg")):
        msg = json.loads(path.read_text())
        _args, kwargs, _embed = json.loads(base64.b64decode(msg["body"]))
        out.append({"task": msg["headers"]["task"], "kwargs": kwargs})
    return out


def whitelisted(client: TestClient) -> list[str]:
    return [p["provider_name"] for p in ok(client.get(f"/api/v1/public/counties/{COUNTY}/whitelist"))["providers"]]


def suspended(client: TestClient) -> list[dict[str, Any]]:
    return ok(client.get(f"/api/v1/public/counties/{COUNTY}/whitelist"))["suspended"]


def notifications(ctx: Context, title_part: str) -> list[Notification]:
    with ctx.db.read_session() as s:
        return list(s.scalars(select(Notification).where(Notification.title.contains(title_part))
                              .order_by(Notification.user_id, Notification.id)))


# --- uploads ----------------------------------------------------------------------------------


def test_upload_with_metadata_and_identical_reupload_is_not_stored_twice(client: TestClient, ctx: Context,
                                                                         world: World) -> None:
    prov = token_headers(client, "provider")
    pid = world.provider_ids["provider"]
    before_files, before_docs = stored_files(ctx), document_count(ctx)
    data = pdf("保险单-2026")

    doc = ok(upload(client, prov, pid, name=CHINESE_NAME, data=data, number="PA-2026-0001", issuer="中国人保杭州分公司",
                    valid_from="2026-01-01", valid_to="2026-12-31"), 201)
    assert doc["duplicate"] is False
    assert (doc["provider_id"], doc["doc_type"], doc["number"], doc["issuer"]) == (
        pid, "insurance", "PA-2026-0001", "中国人保杭州分公司")
    assert (doc["valid_from"], doc["valid_to"], doc["status"]) == ("2026-01-01", "2026-12-31", "pending")
    assert (doc["original_name"], doc["content_type"], doc["size"]) == (CHINESE_NAME, "application/pdf", len(data))
    new_files = stored_files(ctx) - before_files
    assert len(new_files) == 1 and document_count(ctx) == before_docs + 1
    [stored] = new_files
    assert stored.read_bytes() == data and CHINESE_NAME not in str(stored) and str(pid) in str(stored.parent)

    # the same bytes again (another name, other metadata): the existing document, nothing stored
    again = ok(upload(client, prov, pid, name="copy.pdf", data=data, number="PA-OTHER"), 200)
    assert again["duplicate"] is True and again["id"] == doc["id"] and again["number"] == "PA-2026-0001"
    assert stored_files(ctx) - before_files == new_files and document_count(ctx) == before_docs + 1

    listed = ok(client.get(f"/api/v1/providers/{pid}/documents", headers=prov))
    assert [d["id"] for d in listed].count(doc["id"]) == 1

    [row] = audit_rows(ctx, "document.upload", entity_id=doc["id"])
    assert row.old_values is None
    assert row.new_values["doc_type"] == "insurance" and row.new_values["valid_to"] == "2026-12-31"
    assert row.new_values["sha256"] == doc["sha256"] and row.new_values["name"] == CHINESE_NAME
    assert row.actor_id == world.users["provider"].id

    # only for one's own organisation
    err(upload(client, prov, world.provider_ids["other_provider"], name="x.pdf", data=pdf("x")), 403, "provider_mismatch")
    err(upload(client, token_headers(client, "reviewer1"), pid, name="x.pdf", data=pdf("y")), 403, "permission_denied")


HOSTILE = [
    pytest.param("保险单.png", pdf("really a pdf"), "upload_type_mismatch", id="pdf-named-png"),
    pytest.param("保险单.pdf", EXE, "upload_type_not_allowed", id="exe-named-pdf"),
    pytest.param("setup.exe", EXE, "upload_type_not_allowed", id="exe"),
    pytest.param("empty.pdf", b"", "upload_empty", id="empty"),
    pytest.param("../../etc/cron.d/保险单.pdf", pdf("traversal"), "upload_name_invalid", id="dot-dot-slash"),
    pytest.param("..\\..\\windows\\保险单.pdf", pdf("backslash"), "upload_name_invalid", id="dot-dot-backslash"),
    pytest.param("保险\x07单.pdf", pdf("bell"), "upload_name_invalid", id="control-char"),
    pytest.param("保险单\x00.pdf", pdf("nul"), "upload_name_invalid", id="nul"),
    pytest.param("保险单\t.pdf", pdf("tab"), "upload_name_invalid", id="tab"),
    pytest.param("保险单\u202efdp.exe", pdf("bidi"), "upload_name_invalid", id="bidi-override"),
]


@pytest.mark.parametrize(("name", "data", "code"), HOSTILE)
def test_hostile_uploads_are_refused_and_leave_nothing_behind(client: TestClient, ctx: Context, world: World,
                                                              name: str, data: bytes, code: str) -> None:
    prov = token_headers(client, "provider")
    before_files, before_docs = stored_files(ctx), document_count(ctx)
    before_audit = len(audit_rows(ctx, "document.upload"))
    body = err(raw_upload(client, prov, world.provider_ids["provider"], name=name, data=data), 400, code)
    assert body["field"] == "file"
    assert stored_files(ctx) == before_files
    assert document_count(ctx) == before_docs
    assert len(audit_rows(ctx, "document.upload")) == before_audit


def test_oversize_upload_follows_the_setting_of_the_county_applied_in(client: TestClient, ctx: Context,
                                                                     world: World) -> None:
    prov = token_headers(client, "provider")
    pid = world.provider_ids["provider"]
    big = pdf("x" * 400)
    assert len(pdf("s")) < 600 < len(big)
    draft(client, prov)  # the provider applies in 西湖区, whose limit now applies
    with ctx.db.write_session() as s:
        policy.put(s, ctx.registry, world.actor("decider"), scope=COUNTY, key="documents.max_size_bytes", value=600,
                   effective_from=clock.today_local(), reason="测试：文件上限600字节")
    before_files, before_docs = stored_files(ctx), document_count(ctx)
    body = err(upload(client, prov, pid, name="保险单.pdf", data=big), 400, "upload_too_large")
    assert body["extra"] == {"max_bytes": 600, "size": len(big)}
    assert stored_files(ctx) == before_files and document_count(ctx) == before_docs

    # another provider, not applying in 西湖区, keeps the platform limit
    other = token_headers(client, "other_provider")
    ok(upload(client, other, world.provider_ids["other_provider"], name="保险单.pdf", data=big), 201)
    # a small file still passes for the first provider
    ok(upload(client, prov, pid, name="小文件.pdf", data=pdf("s")), 201)


def test_upload_metadata_is_checked_before_anything_is_stored(client: TestClient, ctx: Context, world: World) -> None:
    prov = token_headers(client, "provider")
    pid = world.provider_ids["provider"]
    before_files, before_docs = stored_files(ctx), document_count(ctx)
    err(upload(client, prov, pid, name="a.pdf", data=pdf("a"), doc_type="diploma"), 400, "document_type_invalid")
    err(upload(client, prov, pid, name="a.pdf", data=pdf("a"), doc_type="qualification_certificate"), 400, "staff_required")
    err(upload(client, prov, pid, name="a.pdf", data=pdf("a"), valid_from="2026-05-01", valid_to="2026-04-01"), 400,
        "validity_invalid")
    err(upload(client, prov, pid, name="a.pdf", data=pdf("a"), valid_to="31/12/2026"), 400, "date_invalid")
    assert stored_files(ctx) == before_files and document_count(ctx) == before_docs


# --- downloads --------------------------------------------------------------------------------


def _link(client: TestClient, headers: dict[str, str], doc_id: int) -> str:
    body = ok(client.get(f"/api/v1/documents/{doc_id}/download", headers=headers))
    assert body["expires_in"] == 600 and body["url"].startswith("/files/")
    return str(body["url"])


def refused(resp: Any) -> None:
    """The file route is not under /api: its error page is HTML, with the stable code."""
    assert resp.status_code == 404, resp.text
    assert "link_invalid" in resp.text and "%PDF" not in resp.text


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | changes
    return f"{parts.path}?{urlencode(query)}"


def test_download_link_serves_the_bytes_as_an_attachment_and_refuses_tampering_and_expiry(
        client: TestClient, ctx: Context, world: World) -> None:
    prov = token_headers(client, "provider")
    data = pdf("下载测试")
    doc = ok(upload(client, prov, world.provider_ids["provider"], name=CHINESE_NAME, data=data), 201)
    url = _link(client, prov, doc["id"])

    resp = client.get(url)  # the signed link itself needs no login
    assert resp.status_code == 200 and resp.content == data
    assert resp.headers["content-type"].startswith("application/pdf")
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E8%B4%A3%E4%BB%BB%E4%BF%9D%E9%99%A9%E5%8D%95" in disposition  # 责任保险单
    assert 'filename="file.pdf"' in disposition  # ASCII fallback, no raw Chinese in the plain parameter
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert "private" in resp.headers["cache-control"] and "no-store" in resp.headers["cache-control"]
    assert resp.headers["content-security-policy"] == "default-src 'none'; sandbox"  # the download's own, kept
    assert resp.headers.get_list("x-content-type-options") == ["nosniff"]  # not doubled by the page headers

    query = dict(parse_qsl(urlsplit(url).query))
    tampered = [
        _with(url, sig="0" * 64),
        _with(url, sig=query["sig"][:-1] + ("0" if query["sig"][-1] != "0" else "1")),
        _with(url, name="evil.html"),
        _with(url, type="text/html"),
        _with(url, exp=str(int(query["exp"]) + 3600)),
        url.split("?")[0],  # no signature at all
    ]
    for bad in tampered:
        refused(client.get(bad))
    # another document's key with this document's signature
    other = ok(upload(client, prov, world.provider_ids["provider"], name="其他.pdf", data=pdf("其他")), 201)
    other_path = urlsplit(_link(client, prov, other["id"])).path
    refused(client.get(f"{other_path}?{urlsplit(url).query}"))

    assert client.get(url).status_code == 200  # still valid just before the ten minutes are up
    clock.advance(dt.timedelta(minutes=10, seconds=1))
    refused(client.get(url))
    fresh = _link(client, prov, doc["id"])  # a new link works again
    assert client.get(fresh).content == data


def test_download_links_are_handed_only_to_allowed_roles(client: TestClient, ctx: Context, world: World) -> None:
    prov = token_headers(client, "provider")
    pid = world.provider_ids["provider"]
    doc = ok(upload(client, prov, pid, name="保险单.pdf", data=pdf("roles")), 201)
    path = f"/api/v1/documents/{doc['id']}/download"

    # before the provider applies anywhere, county staff cannot see its documents
    err(client.get(path, headers=token_headers(client, "reviewer1")), 404, "document_not_found")
    draft(client, prov)
    allowed = ["provider", "reviewer1", "decider", "police", "admin"]
    for user in allowed:
        _link(client, token_headers(client, user), doc["id"])
    for user in ["other_provider", "other_reviewer", "other_decider", "school_admin", "parent"]:
        err(client.get(path, headers=token_headers(client, user)), 404, "document_not_found")
    err(client.get(path), 401, "not_authenticated")
    err(client.get("/api/v1/documents/999999/download", headers=prov), 404, "document_not_found")
    # the document list follows the same rule
    err(client.get(f"/api/v1/providers/{pid}/documents", headers=token_headers(client, "other_provider")), 404,
        "provider_not_found")


# --- vetting on submission -------------------------------------------------------------------------


def test_submission_queues_vetting_after_commit_and_the_job_stores_findings(
        client: TestClient, ctx: Context, world: World, settings: Settings) -> None:
    prov, rev1 = token_headers(client, "provider"), token_headers(client, "reviewer1")
    aid = draft(client, prov)
    assert runs(ctx) == [] and queued_messages(settings) == []
    assert vetting(client, prov, aid) == {"run": None, "findings": []}

    assert ok(client.post(f"/api/v1/applications/{aid}/submit", headers=prov))["status"] == "submitted"
    [run] = runs(ctx)
    assert (run.application_id, run.trigger, run.status, run.county_code) == (aid, "submission", "queued", COUNTY)
    assert queued_messages(settings) == [{"task": "kehou.vetting.run", "kwargs": {"run_id": run.id}}]
    shown = vetting(client, prov, aid)
    assert shown["run"]["status"] == "queued" and shown["findings"] == []

    assert jobs.vetting_run(run.id) == "done"
    assert jobs.vetting_run(run.id) == "skipped"  # a redelivered message does nothing twice
    for who in (prov, rev1, token_headers(client, "decider"), token_headers(client, "police")):
        result = vetting(client, who, aid)
        assert result["run"]["id"] == run.id and result["run"]["status"] == "done"
        assert result["run"]["finished_at"]
        rules = {f["rule"] for f in result["findings"]}
        assert {"uscc", "org_type", "required_documents", "licence_scope", "staff_qualification", "staff_documents",
                "criminal_record", "serving_teacher", "blacklist", "academic_content", "promotion"} <= rules
        assert blocks(result) == [], result
        for f in result["findings"]:
            assert f["message"] and f["source"] and isinstance(f["evidence"], dict) and len(f["fingerprint"]) == 64
        assert result["run"]["pass"] + result["run"]["warn"] == len(result["findings"])
    docs = next(f for f in result["findings"] if f["rule"] == "required_documents")
    assert docs["verdict"] == "pass" and "必备材料齐全" in docs["message"] and "POLICY.md" in docs["source"]
    assert docs["evidence"]["doc_types"] == ["non_enterprise_registration", "insurance", "safety_commitment"]
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(VettingFinding).where(VettingFinding.run_id == run.id)) == len(
            result["findings"])

    # nobody else sees them
    for user in ("other_provider", "other_reviewer", "school_admin"):
        err(client.get(f"/api/v1/applications/{aid}/vetting", headers=token_headers(client, user)), 404,
            "application_not_found")

    # on demand: queued again for the worker, audited
    again = ok(client.post(f"/api/v1/applications/{aid}/vetting", headers=rev1), 202)
    assert again["status"] == "queued" and again["run_id"] != run.id
    assert [m["kwargs"] for m in queued_messages(settings)] == [{"run_id": run.id}, {"run_id": again["run_id"]}]
    assert vetting(client, rev1, aid)["run"]["status"] == "queued"
    assert jobs.vetting_run(again["run_id"]) == "done"
    latest = vetting(client, prov, aid)
    assert latest["run"]["id"] == again["run_id"] and latest["run"]["trigger"] == "on_demand" and latest["findings"]
    err(client.post(f"/api/v1/applications/{aid}/vetting", headers=token_headers(client, "other_reviewer")), 404,
        "application_not_found")
    [req] = county_audit(client, token_headers(client, "decider"), "application", aid)[-1:]
    assert req["action"] == "vetting.request" and req["new"] == {"run_id": again["run_id"]}
    assert req["actor_name"] and req["actor_role"] == "county_staff"


def test_the_vetting_task_is_sent_only_once_the_submission_is_committed(
        ctx: Context, world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = []
    celery = task_app.get_app()
    real_send = celery.send_task

    def spy(task_name: str, kwargs: dict[str, Any], **options: Any) -> Any:  # what reaches the broker, and when
        with ctx.db.read_session() as other:  # what another connection (the worker) would see now
            seen = [(r.trigger, r.status) for r in other.scalars(select(VettingRun).filter_by(id=kwargs["run_id"]))]
        sent.append((task_name, kwargs, seen))
        return real_send(task_name, kwargs=kwargs, **options)

    monkeypatch.setattr(celery, "send_task", spy)
    with ctx.db.write_session() as s:
        aid = admission.create(ctx, s, world.actor("provider"), county_code=COUNTY, categories=["阅读"], statement="").id

    def boom(self: Any) -> None:
        raise RuntimeError("数据库连接中断")

    with ctx.db.write_session() as s:
        with monkeypatch.context() as m:
            m.setattr(type(s), "commit", boom)
            with pytest.raises(RuntimeError):
                admission.submit(s, world.actor("provider"), aid)
        s.rollback()
    assert sent == [] and runs(ctx) == [] and queued_messages(settings) == []
    with ctx.db.read_session() as s:  # nor was the task written to the outbox: it went with the transaction
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    with ctx.db.write_session() as s:
        admission.submit(s, world.actor("provider"), aid)
    [run] = runs(ctx)
    assert sent == [("kehou.vetting.run", {"run_id": run.id}, [("submission", "queued")])]  # committed before sending
    assert queued_messages(settings) == [{"task": "kehou.vetting.run", "kwargs": {"run_id": run.id}}]


def test_vetting_shows_what_is_wrong_with_the_evidence(client: TestClient, ctx: Context, world: World) -> None:
    """A provider without documents: the findings name what is missing."""
    add_provider(world, "bare", body="52330106MJ0000005", name="西湖少儿书法社", docs=False)
    prov = token_headers(client, "bare")
    aid = draft(client, prov)
    ok(client.post(f"/api/v1/applications/{aid}/submit", headers=prov))
    [run] = runs(ctx, application_id=aid)
    jobs.vetting_run(run.id)
    result = vetting(client, token_headers(client, "reviewer1"), aid)
    missing = {f["evidence"]["doc_type"]: f for f in blocks(result) if f["rule"] == "required_documents"}
    assert set(missing) == {"non_enterprise_registration", "insurance", "safety_commitment"}
    assert missing["insurance"]["message"] == "缺少必备材料：责任保险单"
    assert result["findings"][0]["verdict"] == "block"  # blocks first
    assert result["run"]["block"] == len(blocks(result)) >= 3


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate.__name__}")
        time.sleep(0.1)
    return value


def test_a_real_worker_runs_the_submission_vetting(client: TestClient, ctx: Context, world: World, settings: Settings,
                                                  celery_app: Celery) -> None:
    prov = token_headers(client, "provider")
    aid = draft(client, prov)
    ok(client.post(f"/api/v1/applications/{aid}/submit", headers=prov))
    with worker(celery_app):
        def done() -> bool:
            return vetting(client, prov, aid)["run"]["status"] == "done"

        wait_for(done)
        wait_for(lambda: not queued_messages(settings))
    result = vetting(client, token_headers(client, "reviewer1"), aid)
    assert result["run"]["trigger"] == "submission" and len(result["findings"]) >= 11


# --- blocking findings and overrides ----------------------------------------------------------------


def test_blocking_findings_prevent_approval_until_each_is_overridden_with_a_reason(
        client: TestClient, ctx: Context, world: World) -> None:
    prov, rev1, decider = (token_headers(client, u) for u in ("provider", "reviewer1", "decider"))
    aid = draft(client, prov, categories=["体育艺术", "科普"], courses=[
        {"title": "奥数竞赛班", "category": "科普", "description": "趣味益智活动"},
        {"title": "篮球基础", "category": "体育艺术", "description": "运球与传球，报名即可免费试听一节"},
    ])
    ok(client.post(f"/api/v1/applications/{aid}/submit", headers=prov))
    [run] = runs(ctx, application_id=aid)
    jobs.vetting_run(run.id)
    found = blocks(vetting(client, prov, aid))
    assert sorted(f["rule"] for f in found) == ["academic_content", "promotion"], [(f["rule"], f["message"]) for f in found]
    academic = next(f for f in found if f["rule"] == "academic_content")
    assert "奥数" in academic["message"] and academic["evidence"]["course"] == "奥数竞赛班"
    assert academic["evidence"]["field"] == "title" and "奥数" in academic["evidence"]["words"]
    assert "学科" in academic["source"]
    promo = next(f for f in found if f["rule"] == "promotion")
    assert promo["evidence"]["field"] == "description" and "免费试听" in promo["evidence"]["words"]

    to_awaiting_decision(client, aid)
    body = err(client.post(f"/api/v1/applications/{aid}/approve", headers=decider, json={"reason": "同意"}), 409,
               "vetting_blocked")
    assert body["extra"] == {"blocks": 2}
    assert ok(client.get(f"/api/v1/applications/{aid}", headers=decider))["status"] == "awaiting_decision"
    latest = vetting(client, decider, aid)
    assert latest["run"]["trigger"] == "decision" and latest["run"]["block"] == 2  # kept for the reviewer
    assert {f["fingerprint"] for f in blocks(latest)} == {f["fingerprint"] for f in found}  # stable across runs
    assert whitelisted(client) == []

    path = f"/api/v1/applications/{aid}/vetting/overrides"
    first = {"fingerprint": academic["fingerprint"], "reason": "经实地核查为数学文化科普讲座，不涉及学科培训"}
    err(client.post(path, headers=rev1, json=first), 403, "decide_right_required")
    err(client.post(path, headers=prov, json=first), 403, "permission_denied")
    err(client.post(path, headers=token_headers(client, "other_decider"), json=first), 404, "application_not_found")
    err(client.post(path, headers=decider, json=first | {"reason": "  "}), 400, "reason_required")
    err(client.post(path, headers=decider, json={"fingerprint": "0" * 64, "reason": "x"}), 404, "finding_not_found")
    passing = next(f for f in latest["findings"] if f["verdict"] == "pass")
    err(client.post(path, headers=decider, json={"fingerprint": passing["fingerprint"], "reason": "x"}), 404,
        "finding_not_found")

    made = ok(client.post(path, headers=decider, json=first), 201)
    assert (made["rule"], made["reason"]) == ("academic_content", first["reason"])
    err(client.post(path, headers=decider, json=first), 409, "already_overridden")
    body = err(client.post(f"/api/v1/applications/{aid}/approve", headers=decider, json={}), 409, "vetting_blocked")
    assert body["extra"] == {"blocks": 1}  # one left
    shown = vetting(client, prov, aid)
    assert next(f for f in shown["findings"] if f["rule"] == "academic_content")["override"]["reason"] == first["reason"]
    assert next(f for f in shown["findings"] if f["rule"] == "promotion")["override"] is None

    ok(client.post(path, headers=decider, json={"fingerprint": promo["fingerprint"], "reason": "已删去试听表述并书面承诺"}), 201)
    approved = ok(client.post(f"/api/v1/applications/{aid}/approve", headers=decider, json={"reason": "阻止项已逐项核实"}))
    assert approved["status"] == "approved"
    assert whitelisted(client) == ["西湖青少年美术中心"]

    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(VettingOverride).where(VettingOverride.application_id == aid)) == 2
    trail = county_audit(client, decider, "application", aid)
    overrides = [r for r in trail if r["action"] == "vetting.override"]
    assert [(r["reason"], r["old"], r["new"]["verdict"], r["new"]["rule"]) for r in overrides] == [
        (first["reason"], {"verdict": "block"}, "overridden", "academic_content"),
        ("已删去试听表述并书面承诺", {"verdict": "block"}, "overridden", "promotion"),
    ]
    assert all(r["actor_id"] == world.users["decider"].id for r in overrides)
    assert overrides[0]["new"]["fingerprint"] == academic["fingerprint"] and "奥数" in overrides[0]["new"]["message"]
    actions = [r["action"] for r in trail]
    assert actions.index("admission.close_notice") < actions.index("vetting.override") < actions.index("admission.approve")
    approve_row = next(r for r in trail if r["action"] == "admission.approve")
    assert approve_row["old"] == {"status": "awaiting_decision"} and approve_row["new"]["status"] == "approved"


def test_a_renewal_is_vetted_against_the_period_it_would_grant(client: TestClient, ctx: Context, world: World) -> None:
    """Re-review (留库审查) extends the listing by another period: documents must last until its end."""
    add_provider(world, "renewing", body="52330106MJ0000009", name="西湖少儿武术馆", docs=False)
    prov, decider = token_headers(client, "renewing"), token_headers(client, "decider")
    first = draft(client, prov)
    docs_until = clock.today_local() + dt.timedelta(days=540)  # ~18 months: enough for one 12-month period
    add_documents(world, "renewing", valid_to=docs_until, accept=True)
    ok(client.post(f"/api/v1/applications/{first}/submit", headers=prov))
    to_awaiting_decision(client, first)
    ok(client.post(f"/api/v1/applications/{first}/approve", headers=decider, json={}))
    with ctx.db.read_session() as s:
        until = s.scalars(select(WhitelistEntry).where(
            WhitelistEntry.provider_id == world.provider_ids["renewing"])).one().valid_until
    assert until < docs_until

    renewal = draft(client, prov)
    assert ok(client.get(f"/api/v1/applications/{renewal}", headers=prov))["kind"] == "renewal"
    ok(client.post(f"/api/v1/applications/{renewal}/submit", headers=prov))
    [run] = runs(ctx, application_id=renewal)
    jobs.vetting_run(run.id)
    found = [f for f in blocks(vetting(client, prov, renewal)) if f["rule"] == "required_documents"]
    assert {f["evidence"]["doc_type"] for f in found} == {"non_enterprise_registration", "insurance", "safety_commitment"}
    assert all(f["evidence"]["value"] == str(docs_until) and "早于准入期结束日" in f["message"] for f in found)
    to_awaiting_decision(client, renewal)
    err(client.post(f"/api/v1/applications/{renewal}/approve", headers=decider, json={}), 409, "vetting_blocked")


# --- the nightly run and the expiry of a required document -------------------------------------------


def _upload_as(ctx: Context, world: World, key: str, doc_type: str, *, valid_to: dt.date | None, tag: str,
               staff_id: int | None = None, valid_from: dt.date | None = dt.date(2024, 1, 1)) -> int:
    with ctx.db.write_session() as s:
        meta = documents.DocumentInput(doc_type, number=f"{doc_type}-{tag}", issuer="杭州市西湖区民政局",
                                       valid_from=valid_from, valid_to=valid_to, scope_text=SCOPE, staff_id=staff_id)
        doc, created = documents.upload(ctx, s, world.actor(key), world.provider_ids[key], meta,
                                        filename=f"{doc_type}-{tag}.pdf", data=pdf(f"{key}-{doc_type}-{tag}"))
        assert created
        return doc.id


def _accept(client: TestClient, doc_id: int) -> dict[str, Any]:
    return ok(client.post(f"/api/v1/documents/{doc_id}/review", headers=token_headers(client, "reviewer1"),
                          json={"accepted": True}))


def _admit(client: TestClient, ctx: Context, key: str) -> int:
    """Apply, pass vetting (overriding whatever blocks, with a reason), and approve."""
    headers = token_headers(client, key)
    decider = token_headers(client, "decider")
    aid = draft(client, headers)
    ok(client.post(f"/api/v1/applications/{aid}/submit", headers=headers))
    to_awaiting_decision(client, aid)
    resp = client.post(f"/api/v1/applications/{aid}/approve", headers=decider, json={})
    if resp.status_code == 409:
        assert resp.json()["error"]["code"] == "vetting_blocked"
        for f in blocks(vetting(client, decider, aid)):
            ok(client.post(f"/api/v1/applications/{aid}/vetting/overrides", headers=decider,
                           json={"fingerprint": f["fingerprint"], "reason": "保险按年续保，机构已书面承诺到期前续保"}), 201)
        resp = client.post(f"/api/v1/applications/{aid}/approve", headers=decider, json={})
    assert ok(resp)["status"] == "approved"
    return aid


def test_nightly_vets_every_admitted_provider(client: TestClient, ctx: Context, world: World) -> None:
    _admit(client, ctx, "provider")
    add_provider(world, "second", body="52330106MJ0000006", name="西湖少儿合唱团")
    _admit(client, ctx, "second")
    add_provider(world, "applicant", body="52330106MJ0000007", name="西湖围棋社")
    draft(client, token_headers(client, "applicant"))  # applying, not admitted: not vetted nightly
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(WhitelistEntry)) == 2

    stats = jobs.vetting_nightly()
    assert stats["vetted"] == 2 and stats["suspended"] == 0 and stats["reinstated"] == 0
    nightly = runs(ctx, trigger="nightly")
    assert {r.provider_id for r in nightly} == {world.provider_ids["provider"], world.provider_ids["second"]}
    assert all(r.status == "done" and r.county_code == COUNTY and r.application_id is None for r in nightly)
    with ctx.db.read_session() as s:
        for r in nightly:
            found = list(s.scalars(select(VettingFinding).where(VettingFinding.run_id == r.id)))
            assert {f.rule for f in found} >= {"required_documents", "staff_documents", "blacklist"}
            assert all(f.verdict != "block" for f in found), [(f.rule, f.message) for f in found]
    with ctx.db.write_session() as s:  # the service itself, as the job calls it
        assert monitor.nightly(ctx, s)["vetted"] == 2
    assert len(runs(ctx, trigger="nightly")) == 4


def test_expiring_insurance_warns_once_suspends_and_a_reviewed_replacement_reinstates(
        client: TestClient, ctx: Context, world: World) -> None:
    add_provider(world, "insured", body="52330106MJ0000008", name="西湖少儿舞蹈团", docs=False)
    pid = world.provider_ids["insured"]
    with ctx.db.write_session() as s:
        colleague = accounts.create_user(s, world.actor("insured"), username="insured_b", display_name="舞蹈团二号",
                                         password=PASSWORD, role="provider", provider_id=pid)
    prov = token_headers(client, "insured")
    aid = draft(client, prov)  # so that 西湖区 reviewers may review its documents
    # every required document valid for years, but the insurance policy only for ~2 months
    insurance_until = clock.today_local() + dt.timedelta(days=75)
    ids = add_documents(world, "insured", accept=False)
    with ctx.db.read_session() as s:
        old_insurance = s.scalars(select(Document).where(Document.provider_id == pid, Document.doc_type == "insurance")).one()
    ok(client.post(f"/api/v1/documents/{old_insurance.id}/review", headers=token_headers(client, "reviewer1"),
                   json={"accepted": False, "note": "请上传本年度保单"}))
    insurance = _upload_as(ctx, world, "insured", "insurance", valid_to=insurance_until, tag="2026")
    for doc_id in [i for i in ids if i != old_insurance.id] + [insurance]:
        _accept(client, doc_id)
    ok(client.post(f"/api/v1/applications/{aid}/withdraw", headers=prov, json={"reason": "改用新保单重新申请"}))

    _admit(client, ctx, "insured")  # the short insurance blocks; the decider overrides it with a reason
    [override] = audit_rows(ctx, "vetting.override")
    assert override.new_values["rule"] == "required_documents" and "责任保险单" in override.new_values["message"]
    assert whitelisted(client) == ["西湖少儿舞蹈团"]
    with ctx.db.read_session() as s:
        entry = s.scalars(select(WhitelistEntry).where(WhitelistEntry.provider_id == pid)).one()
    assert entry.valid_until > insurance_until

    users = {world.users["insured"].id, colleague.id}
    warning = "证件即将到期：责任保险单"

    # 31 days before: nothing yet
    move_to(insurance_until - dt.timedelta(days=31))
    jobs.vetting_nightly()
    assert notifications(ctx, warning) == []
    # 30 days before: every user of the provider is warned, once
    move_days(1)
    assert jobs.vetting_nightly() == {"vetted": 1, "warned": 1, "suspended": 0, "reinstated": 0}
    sent = notifications(ctx, warning)
    assert {n.user_id for n in sent} == users and len(sent) == 2
    assert all(str(insurance_until) in n.body and n.link == f"/provider#doc-{insurance}" for n in sent)
    move_days(1)
    assert jobs.vetting_nightly()["warned"] == 0
    assert len(notifications(ctx, warning)) == 2  # not repeated the next night
    assert notifications(ctx, "证件即将到期：民办非企业") == []

    # the last valid day: still listed
    move_to(insurance_until)
    assert jobs.vetting_nightly()["suspended"] == 0
    assert whitelisted(client) == ["西湖少儿舞蹈团"]

    # expired: suspended, hidden from the whitelist, shown as suspended
    move_days(1)
    stats = jobs.vetting_nightly()
    assert stats["suspended"] == 1
    with ctx.db.read_session() as s:
        entry = s.get(WhitelistEntry, entry.id)
        assert entry.status == "suspended" and entry.status_reason == "证件过期：责任保险单"
    assert whitelisted(client) == []
    [shown] = suspended(client)
    assert (shown["provider_name"], shown["reason"]) == ("西湖少儿舞蹈团", "证件过期：责任保险单")
    page = client.get(f"/public/{COUNTY}")
    assert page.status_code == 200
    listed, _, rest = page.text.partition('id="suspended"')
    assert "西湖少儿舞蹈团" not in listed.split('id="whitelist"')[1]
    assert "暂停服务的机构" in page.text and "西湖少儿舞蹈团" in rest and "证件过期：责任保险单" in rest
    paused = notifications(ctx, "服务资格已暂停")
    assert {n.user_id for n in paused} == users and len(paused) == 2
    assert all(n.title == "西湖区服务资格已暂停" and "证件过期：责任保险单" in n.body for n in paused)
    [suspend] = audit_rows(ctx, "whitelist.suspend", entity_id=entry.id)
    assert (suspend.county_code, suspend.actor_role, suspend.reason) == (COUNTY, "system", "证件过期：责任保险单")
    assert suspend.old_values == {"status": "active"}
    assert suspend.new_values == {"status": "suspended", "lapsed": ["insurance"]}
    assert jobs.vetting_nightly()["suspended"] == 0  # not suspended twice
    assert len(audit_rows(ctx, "whitelist.suspend")) == 1

    # a replacement uploaded but still pending does not reinstate
    replacement_until = clock.today_local() + dt.timedelta(days=100)
    replacement = ok(upload(client, prov, pid, name="责任保险单（续保）.pdf", data=pdf("insured-insurance-2027"),
                            number="PA-2027", valid_from=str(clock.today_local()), valid_to=str(replacement_until)), 201)
    assert jobs.vetting_nightly()["reinstated"] == 0
    assert whitelisted(client) == [] and len(suspended(client)) == 1
    # a rejected one does not either
    expired_copy = _upload_as(ctx, world, "insured", "insurance", valid_to=insurance_until, tag="copy")
    ok(client.post(f"/api/v1/documents/{expired_copy}/review", headers=token_headers(client, "reviewer1"),
                   json={"accepted": False, "note": "已过期"}))
    assert whitelisted(client) == []

    # the reviewer accepts the valid replacement: reinstated at once, listed again
    assert _accept(client, replacement["id"])["status"] == "accepted"
    with ctx.db.read_session() as s:
        entry = s.get(WhitelistEntry, entry.id)
        assert entry.status == "active" and entry.status_reason == ""
        assert s.get(Document, insurance).status == "replaced"
    assert whitelisted(client) == ["西湖少儿舞蹈团"] and suspended(client) == []
    assert "暂停服务的机构" not in client.get(f"/public/{COUNTY}").text
    [reinstate] = audit_rows(ctx, "whitelist.reinstate", entity_id=entry.id)
    assert reinstate.old_values == {"status": "suspended", "reason": "证件过期：责任保险单"}
    assert reinstate.new_values == {"status": "active"} and reinstate.actor_role == "system"
    assert {n.user_id for n in notifications(ctx, "西湖区服务资格已恢复")} == users
    assert jobs.vetting_nightly() == {"vetted": 1, "warned": 0, "suspended": 0, "reinstated": 0}

    # the document trail: uploads and reviews with old and new status
    [review] = audit_rows(ctx, "document.review", entity_id=replacement["id"])
    assert (review.county_code, review.old_values, review.new_values) == (
        COUNTY, {"status": "pending"}, {"status": "accepted", "replaced": [insurance]})
    [rejected] = audit_rows(ctx, "document.review", entity_id=expired_copy)
    assert rejected.reason == "已过期" and rejected.new_values["status"] == "rejected"
    assert audit_rows(ctx, "document.upload", entity_id=replacement["id"])[0].new_values["valid_to"] == str(
        replacement_until)

    # when the replacement lapses in turn, the provider is suspended and told again
    move_to(replacement_until + dt.timedelta(days=1))
    assert jobs.vetting_nightly()["suspended"] == 1
    assert whitelisted(client) == []
    assert len(audit_rows(ctx, "whitelist.suspend", entity_id=entry.id)) == 2
    paused = notifications(ctx, "西湖区服务资格已暂停")
    assert sorted(n.user_id for n in paused) == sorted([*users, *users])  # a second message each

