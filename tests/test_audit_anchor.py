"""Signed checkpoints catch what the hash chain alone cannot: a cut tail with the head rewound, and a chain
rewritten end to end with its head (kehou/platform/audit/anchor.py). The heads are guarded by the database too."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kehou.cli.main import main as kehou_main
from kehou.platform.audit import anchor
from kehou.platform.audit import services as audit
from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context
from kehou.settings import Settings
from tests.factories import COUNTY, OTHER_COUNTY
from tests.test_audit import append, chain, dba, forged, kehou_verify


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: Settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    """``kehou audit checkpoint`` and ``kehou audit verify`` against the test database, one data dir (the key file)."""
    def checkpoint() -> str:
        monkeypatch.setenv("KEHOU_DATABASE_URL", settings.database.url)
        monkeypatch.setenv("KEHOU_DATA_DIR", str(tmp_path / "cli"))
        monkeypatch.setenv("KEHOU_AUDIT_ANCHOR_DIR", str(tmp_path / "anchor"))
        capsys.readouterr()
        assert kehou_main(["audit", "checkpoint"]) == 0
        return capsys.readouterr().out

    def verify():  # type: ignore[no-untyped-def]
        monkeypatch.setenv("KEHOU_AUDIT_ANCHOR_DIR", str(tmp_path / "anchor"))
        return kehou_verify(monkeypatch, capsys, settings, tmp_path)

    return checkpoint, verify


def rewind_head(conn, county: str, seq: int, digest: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("UPDATE audit_head SET last_seq = :s, last_hash = :h WHERE county_code = :c"),
                 {"s": seq, "h": digest, "c": county})


def test_an_untouched_log_verifies_against_its_checkpoint(ctx: Context, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    checkpoint, verify = run
    append(ctx, COUNTY, 3)
    out = checkpoint()
    assert "已签署审计检查点" in out and "2条链" not in out
    assert len(list((tmp_path / "anchor").glob("*.json"))) == 1
    append(ctx, COUNTY, 2, start=4)  # entries after the checkpoint are fine
    code, out, problems = verify()
    assert (code, problems) == (0, set()) and "签名检查点一致" in out, out


def test_a_truncated_tail_with_the_head_rewound_is_reported(ctx: Context, run) -> None:  # type: ignore[no-untyped-def]
    checkpoint, verify = run
    append(ctx, COUNTY, 6)
    append(ctx, OTHER_COUNTY, 2)
    checkpoint()
    rows = chain(ctx, COUNTY)
    with dba(ctx) as conn:  # two statements, no hashing: delete the newest entries and rewind the head
        conn.execute(text("DELETE FROM audit_entry WHERE county_code = :c AND seq >= 5"), {"c": COUNTY})
        rewind_head(conn, COUNTY, 4, rows[3].hash)
    with ctx.db.read_session() as s:
        assert audit.verify(s)[1] == []  # the chain alone cannot tell
    code, out, problems = verify()
    assert code == 1 and problems == {(COUNTY, "truncated", 6)}, out
    assert "链尾被截断" in out and "现在链头只到序号4" in out


def test_a_chain_rewritten_end_to_end_is_reported(ctx: Context, run) -> None:  # type: ignore[no-untyped-def]
    checkpoint, verify = run
    append(ctx, COUNTY, 4)
    checkpoint()
    rows = chain(ctx, COUNTY)
    with dba(ctx) as conn:  # rewrite entry 3 and recompute 3 and 4 and the head: a consistent new chain
        third = forged(rows[1], 3, reason="改写后的理由")
        conn.execute(text("DELETE FROM audit_entry WHERE county_code = :c AND seq >= 3"), {"c": COUNTY})
        conn.execute(AuditEntry.__table__.insert(), [third])
        prev = AuditEntry(**dict(third))
        fourth = forged(prev, 4)
        conn.execute(AuditEntry.__table__.insert(), [fourth])
        rewind_head(conn, COUNTY, 4, str(fourth["hash"]))
    with ctx.db.read_session() as s:
        assert audit.verify(s)[1] == []
    code, out, problems = verify()
    assert code == 1 and problems == {(COUNTY, "rewritten", 4)}, out


def test_a_checkpoint_not_signed_by_the_platform_key_is_reported(ctx: Context, run, settings: Settings,
                                                               tmp_path: Path) -> None:
    checkpoint, verify = run
    append(ctx, COUNTY, 2)
    checkpoint()
    [path] = (tmp_path / "anchor").glob("*.json")
    cp = anchor.Checkpoint.from_json(path.read_bytes())
    fake = anchor.Checkpoint(cp.at, {COUNTY: (1, "0" * 64)}, 1, cp.key, cp.signature)  # altered, old signature
    (tmp_path / "anchor" / "zz-forged.json").write_bytes(fake.to_json())
    code, out, problems = verify()
    assert code == 1 and ("", "checkpoint", None) in {(c if c != "platform" else "", k, s) for c, k, s in problems}, out
    assert "签名无效" in out


@pytest.mark.parametrize("sql", [
    "UPDATE audit_head SET last_seq = 1",
    "UPDATE audit_head SET county_code = '999999'",
    "DELETE FROM audit_head",
])
def test_the_database_refuses_rewinding_or_deleting_a_head(ctx: Context, sql: str) -> None:
    append(ctx, COUNTY, 3)
    with pytest.raises(DBAPIError, match="only moves forward"):
        with ctx.db.engine.begin() as conn:
            conn.execute(text(sql))
    append(ctx, COUNTY, 1, start=4)  # the application still moves it forward
    assert [r.seq for r in chain(ctx, COUNTY)] == [1, 2, 3, 4]
