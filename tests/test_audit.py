"""The audit log is append-only and hash-chained per county.

The application cannot change or remove an entry (an ORM guard, and database
triggers below it). A DBA who bypasses both — drops or disables the triggers
and edits with raw SQL — is caught by ``kehou audit verify``, which names the
kind of tampering and the sequence number.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, Table, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateTable

from kehou.cli.main import main as kehou_main
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.audit.models import AuditEntry, AuditHead
from kehou.platform.context import Context
from kehou.settings import Settings
from tests.conftest import PG_URL
from tests.factories import COUNTY, OTHER_COUNTY, World, review_documents

CLERK = Actor(user_id=7, username="clerk", display_name="经办人", role="county_staff", county_code=COUNTY, ip="10.0.0.7")
COLUMNS = [c.name for c in AuditEntry.__table__.columns if c.name != "id"]


# --- helpers ------------------------------------------------------------------


def append(ctx: Context, county: str, n: int, *, start: int = 1) -> None:
    """``n`` entries on ``county``'s chain, through the service, in one transaction."""
    with ctx.db.write_session() as s:
        for i in range(start, start + n):
            audit.record(s, CLERK, county_code=county, action="test.step", entity_type="thing", entity_id=i,
                         reason=f"第{i}步", old={"n": i - 1}, new={"n": i, "day": dt.date(2025, 9, 1), "score": 1.5})
        s.commit()


def chain(ctx: Context, county: str) -> list[AuditEntry]:
    with ctx.db.read_session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.county_code == county).order_by(AuditEntry.id)))


@contextmanager
def dba(ctx: Context, *, how: str = "disable") -> Iterator[Connection]:
    """A DBA bypassing the application: triggers off, raw SQL, one transaction.

    On PostgreSQL the triggers are switched off inside the transaction (and on
    again before it commits), so nothing leaks into the shared test database.
    """
    with ctx.db.engine.begin() as conn:
        if PG_URL:
            if how == "replica":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
                conn.execute(text("ALTER TABLE audit_head DISABLE TRIGGER USER"))
        else:
            for trigger in ("audit_entry_no_update", "audit_entry_no_delete", "audit_head_forward_only",
                            "audit_head_no_delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        yield conn
        if PG_URL and how != "replica":
            conn.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER USER"))
            conn.execute(text("ALTER TABLE audit_head ENABLE TRIGGER USER"))


def row_id(ctx: Context, county: str, seq: int) -> int:
    with ctx.db.read_session() as s:
        return s.scalars(select(AuditEntry.id).where(AuditEntry.county_code == county, AuditEntry.seq == seq)).one()


def forged(prev: AuditEntry, seq: int, **changes: object) -> dict[str, object]:
    """Column values of a well-formed entry following ``prev`` (the hash algorithm is no secret)."""
    entry = AuditEntry(
        county_code=prev.county_code, seq=seq, at=prev.at + dt.timedelta(seconds=1), actor_id=CLERK.user_id,
        actor_name="经办人", actor_role="county_staff", action="whitelist.admit", entity_type="whitelist",
        entity_id="999", reason="伪造", old_values=None, new_values={"status": "active"}, ip="10.0.0.99",
        prev_hash=prev.hash,
    )
    for key, value in changes.items():
        setattr(entry, key, value)
    entry.hash = audit.entry_hash(entry)
    return {c: getattr(entry, c) for c in COLUMNS}


def swap_contents(conn: Connection, id_a: int, id_b: int) -> None:
    """Swap every column but ``id`` of two rows (keeping (county, seq) unique at every step)."""
    conn.execute(text("CREATE TEMP TABLE swap_src AS SELECT * FROM audit_entry WHERE id IN (:a, :b)"),
                 {"a": id_a, "b": id_b})
    conn.execute(text("UPDATE audit_entry SET seq = -seq WHERE id IN (:a, :b)"), {"a": id_a, "b": id_b})
    sets = ", ".join(
        f"{c} = (SELECT s.{c} FROM swap_src s WHERE s.id = CASE WHEN audit_entry.id = :a THEN :b ELSE :a END)"
        for c in COLUMNS
    )
    conn.execute(text(f"UPDATE audit_entry SET {sets} WHERE id IN (:a, :b)"), {"a": id_a, "b": id_b})
    conn.execute(text("DROP TABLE swap_src"))


PROBLEM_LINE = re.compile(r"^\[(\w+)\] (\w+) seq=(\d+|None) id=(\d+|None): (.+)$", re.M)


def kehou_verify(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: Settings,
                 tmp_path: Path) -> tuple[int, str, set[tuple[str, str, int | None]]]:
    """Run ``kehou audit verify`` against the test database; (exit code, stdout, {(chain, kind, seq)})."""
    monkeypatch.setenv("KEHOU_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("KEHOU_DATA_DIR", str(tmp_path / "cli"))
    capsys.readouterr()
    code = kehou_main(["audit", "verify"])
    out = capsys.readouterr().out
    found = {(m[1], m[2], None if m[3] == "None" else int(m[3])) for m in PROBLEM_LINE.finditer(out)}
    return code, out, found


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: Settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    return lambda: kehou_verify(monkeypatch, capsys, settings, tmp_path)


@pytest.fixture(autouse=True)
def _triggers_back_on(ctx: Context) -> Iterator[None]:
    """PostgreSQL is shared between tests: no test may leave the triggers off."""
    yield
    if PG_URL:
        with ctx.db.engine.connect() as conn:
            states = dict(conn.execute(text(
                "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_entry'::regclass AND NOT tgisinternal")).all())
        assert states == {"audit_entry_append_only": "O", "audit_entry_no_truncate": "O"}
        with ctx.db.engine.connect() as conn:
            heads = dict(conn.execute(text(
                "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_head'::regclass AND NOT tgisinternal")).all())
        assert heads == {"audit_head_forward_only": "O", "audit_head_no_truncate": "O"}


# --- (a) append-only ------------------------------------------------------------


def test_record_builds_a_chain(ctx: Context) -> None:
    append(ctx, COUNTY, 3)
    append(ctx, OTHER_COUNTY, 2)
    rows = chain(ctx, COUNTY)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == audit.GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert all(audit.entry_hash(r) == r.hash for r in rows)
    assert rows[0].new_values == {"n": 1, "day": "2025-09-01", "score": "1.5"}
    assert [r.seq for r in chain(ctx, OTHER_COUNTY)] == [1, 2]
    with ctx.db.read_session() as s:
        head = s.get(AuditHead, COUNTY)
        assert head is not None and (head.last_seq, head.last_hash) == (3, rows[-1].hash)
        assert audit.verify(s) == (5, [])


def test_orm_modify_and_flush_is_refused(ctx: Context) -> None:
    append(ctx, COUNTY, 2)
    with ctx.db.write_session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.seq == 1)).one()
        entry.reason = "改过了"
        with pytest.raises(audit.AuditTamperingRefused):
            s.flush()
        s.rollback()
    with ctx.db.write_session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.seq == 2)).one()
        entry.new_values = {"n": 99}
        with pytest.raises(audit.AuditTamperingRefused):
            s.commit()
    assert [r.reason for r in chain(ctx, COUNTY)] == ["第1步", "第2步"]


def test_orm_delete_is_refused(ctx: Context) -> None:
    append(ctx, COUNTY, 2)
    with ctx.db.write_session() as s:
        s.delete(s.scalars(select(AuditEntry).where(AuditEntry.seq == 2)).one())
        with pytest.raises(audit.AuditTamperingRefused):
            s.flush()
    assert len(chain(ctx, COUNTY)) == 2


@pytest.mark.parametrize("statement", [
    pytest.param(lambda s: s.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(reason="x")), id="orm-update"),
    pytest.param(lambda s: s.execute(delete(AuditEntry).where(AuditEntry.seq == 1)), id="orm-delete"),
    pytest.param(lambda s: s.execute(update(AuditEntry), [{"id": 1, "reason": "x"}]), id="orm-bulk-update-by-pk"),
    pytest.param(lambda s: s.query(AuditEntry).filter(AuditEntry.seq == 1).update({"reason": "x"}), id="query-update"),
    pytest.param(lambda s: s.query(AuditEntry).delete(), id="query-delete"),
    pytest.param(lambda s: s.execute(update(AuditEntry.__table__).values(reason="x")), id="core-table-update"),
    pytest.param(lambda s: s.execute(delete(AuditEntry.__table__)), id="core-table-delete"),
    pytest.param(lambda s: s.bulk_update_mappings(AuditEntry, [{"id": 1, "reason": "x"}]), id="bulk-update-mappings"),
])
def test_bulk_statements_are_refused(ctx: Context, statement) -> None:  # type: ignore[no-untyped-def]
    append(ctx, COUNTY, 2)
    with ctx.db.write_session() as s:
        with pytest.raises(audit.AuditTamperingRefused):
            statement(s)
            s.flush()
    with ctx.db.engine.connect() as conn:  # core statements on a plain connection too
        with pytest.raises(audit.AuditTamperingRefused):
            conn.execute(update(AuditEntry.__table__).values(reason="x"))
    assert [r.reason for r in chain(ctx, COUNTY)] == ["第1步", "第2步"]


def test_head_cannot_be_deleted_or_rewound_through_the_orm(ctx: Context) -> None:
    append(ctx, COUNTY, 2)
    with ctx.db.write_session() as s:
        s.delete(s.get(AuditHead, COUNTY))
        with pytest.raises(audit.AuditTamperingRefused):
            s.flush()
    with ctx.db.write_session() as s:
        head = s.get(AuditHead, COUNTY)
        assert head is not None
        head.last_seq = 1
        with pytest.raises(audit.AuditTamperingRefused):
            s.flush()
    with ctx.db.write_session() as s:
        with pytest.raises(audit.AuditTamperingRefused):
            s.execute(update(AuditHead).values(last_seq=0))
        with pytest.raises(audit.AuditTamperingRefused):
            s.execute(delete(AuditHead))


@pytest.mark.parametrize("sql", [
    "UPDATE audit_entry SET reason = 'x' WHERE seq = 1",
    "UPDATE audit_entry SET seq = seq + 100",
    "DELETE FROM audit_entry WHERE seq = 2",
    "DELETE FROM audit_entry",
])
def test_raw_sql_is_refused_by_the_database(ctx: Context, sql: str) -> None:
    append(ctx, COUNTY, 2)
    with pytest.raises(DBAPIError, match="append-only"):
        with ctx.db.engine.begin() as conn:
            conn.execute(text(sql))
    with pytest.raises(DBAPIError, match="append-only"):  # through a session too
        with ctx.db.write_session() as s:
            s.execute(text(sql))
    assert [r.reason for r in chain(ctx, COUNTY)] == ["第1步", "第2步"]


@pytest.mark.skipif(not PG_URL, reason="TRUNCATE is PostgreSQL only")
def test_truncate_is_refused_on_postgresql(ctx: Context) -> None:
    append(ctx, COUNTY, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        with ctx.db.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_entry"))
    assert len(chain(ctx, COUNTY)) == 1


# --- (b) kehou audit verify -----------------------------------------------------


def test_verify_ok_after_the_real_workflow(ctx: Context, world: World, cli) -> None:  # type: ignore[no-untyped-def]
    from kehou.platform.admission import services as admission

    with ctx.db.write_session() as s:
        aid = admission.create(ctx, s, world.actor("provider"), county_code=COUNTY, categories=["阅读"], statement="读书会").id
        admission.submit(s, world.actor("provider"), aid)
    review_documents(world, "provider")
    with ctx.db.write_session() as s:
        admission.accept_materials(s, world.actor("reviewer1"), aid)
    with ctx.db.read_session() as s:
        total = s.query(AuditEntry).count()
        assert {c for (c,) in s.execute(select(AuditEntry.county_code).distinct())} >= {"", COUNTY}
    code, out, problems = cli()
    assert (code, problems) == (0, set()), out
    assert f"审计日志完整：共{total}条，哈希链全部一致（尚无签名检查点）。" in out


def test_verify_ok_on_an_empty_log(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, problems = cli()
    assert code == 0 and "共0条" in out


@pytest.mark.parametrize("how", ["disable", "replica"] if PG_URL else ["drop"])
def test_verify_detects_an_edited_row(ctx: Context, cli, how: str) -> None:  # type: ignore[no-untyped-def]
    append(ctx, COUNTY, 6)
    append(ctx, OTHER_COUNTY, 3)
    with dba(ctx, how=how) as conn:
        conn.execute(text("UPDATE audit_entry SET reason = '已按规定处理' WHERE county_code = :c AND seq = 3"), {"c": COUNTY})
    code, out, problems = cli()
    assert code == 1, out
    assert problems == {(COUNTY, "edited", 3)}, out
    assert "审计日志校验失败：1处问题（共检查9条）。" in out


def test_verify_detects_edited_values_and_actor(ctx: Context, cli) -> None:  # type: ignore[no-untyped-def]
    append(ctx, COUNTY, 6)
    with dba(ctx) as conn:
        conn.execute(text("UPDATE audit_entry SET actor_name = '别人' WHERE county_code = :c AND seq = 2"), {"c": COUNTY})
        conn.execute(text("UPDATE audit_entry SET at = (SELECT at FROM audit_entry WHERE county_code = :c AND seq = 1) "
                          "WHERE county_code = :c AND seq = 5"), {"c": COUNTY})
    code, out, problems = cli()
    assert code == 1 and problems == {(COUNTY, "edited", 2), (COUNTY, "edited", 5)}, out


def test_verify_detects_an_edit_with_recomputed_hash(ctx: Context, cli) -> None:  # type: ignore[no-untyped-def]
    """A DBA who knows the algorithm rewrites a row and its hash: the next row's link breaks."""
    append(ctx, COUNTY, 6)
    rows = chain(ctx, COUNTY)
    for target in (3, 6):  # in the middle (the next row's link) and at the end (the chain head)
        row = rows[target - 1]
        row.reason = "已按规定处理"
        with dba(ctx) as conn:
            conn.execute(text("UPDATE audit_entry SET reason = :r, hash = :h WHERE id = :id"),
                         {"r": row.reason, "h": audit.entry_hash(row), "id": row.id})
    code, out, problems = cli()
    assert code == 1 and problems == {(COUNTY, "edited", 3), (COUNTY, "edited", 6)}, out


def test_verify_names_both_rows_when_a_link_and_a_row_were_rewritten(ctx: Context, cli) -> None:  # type: ignore[no-untyped-def]
    append(ctx, COUNTY, 6)
    rows = chain(ctx, COUNTY)
    nxt = rows[3]
    nxt.prev_hash = "f" * 64
    with dba(ctx) as conn:
        conn.execute(text("UPDATE audit_entry SET reason = '改' WHERE id = :id"), {"id": rows[2].id})
        conn.execute(text("UPDATE audit_entry SET prev_hash = :p, hash = :h WHERE id = :id"),
                     {"p": nxt.prev_hash, "h": audit.entry_hash(nxt), "id": nxt.id})
    code, out, problems = cli()
    assert code == 1 and problems == {(COUNTY, "edited", 3), (COUNTY, "edited", 4)}, out


@pytest.mark.parametrize("how", ["disable", "replica"] if PG_URL else ["drop"])
def test_verify_detects_a_deleted_row_in_the_middle(ctx: Context, cli, how: str) -> None:  # type: ignore[no-untyped-def]
    append(ctx, COUNTY, 6)
    append(ctx, OTHER_COUNTY, 3)
    with dba(ctx, how=how) as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE county_code = :c AND seq = 3"), {"c": COUNTY})
    code, out, problems = cli()
    assert code == 1 and problems == {(COUNTY, "deleted", 3)}, out
    assert "序号3的记录缺失" in out


def test_verify_detects_deleted_runs_and_the_first_row(ctx: Context, cli) -> None:  # type: ignore[no-untyped-def]
    append(ctx, COUNTY, 8)
    with dba(ctx) as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE county_code = :c AND seq IN (1, 4, 5)"), {"c": COUNTY})
    code, out, problems = cli()
    assert code == 1 and problems == {(COUNTY, "deleted", 1), (COUNTY, "deleted", 4)}, out
    assert "序号4至5的记录缺失" in out


def test_verify_detects_deleted_rows_at_the_tail(ctx: Context, cli) -> None:  # type: ignore[no-untyped-def]
    append(ctx, COUNTY, 6)
    append(ctx, OTHER_COUNTY, 3)
    with dba(ctx) as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE county_code = :c AND seq = 6"), {"c": COUNTY})
        conn.execute(text("DELETE FROM audit_entry WHERE county_code = :c AND seq >= 2"), {"c": OTHER_COUNTY})
    code, out, problems = cli()
    assert code == 1 and problems == {(COUNTY, "deleted", 6), (OTHER_COUNTY, "deleted", 2)}, out
    assert "序号2至3的记录缺失" in out


def test_verify_detects_a_whole_chain_deleted(ctx: Context, cli) -> None:  # type: ignore[no-untyped-def]
    append(ctx, COUNTY, 3)
    with dba(ctx) as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE county_code = :c"), {"c": COUNTY})
    code, out, problems = cli()
    assert code == 1 and problems == {(COUNTY, "deleted", 1)}, out


def test_verify_detects_a_deleted_head(ctx: Context, cli) -> None:  # type: ignore[no-untyped-def]
    append(ctx, COUNTY, 3)
    with dba(ctx) as conn:  # the database refuses it otherwise (tests/test_audit_anchor.py)
        conn.execute(text("DELETE FROM audit_head WHERE county_code = :c"), {"c": COUNTY})
    code, out, problems = cli()
    assert code == 1 and problems == {(COUNTY, "head", None)}, out


def test_verify_detects_a_row_inserted_at_the_end(ctx: Context, cli) -> None:  # type: ignore[no-untyped-def]
    """A forged entry appended with raw SQL, correctly chained and hashed, but past the chain head."""
    append(ctx, COUNTY, 6)
    last = chain(ctx, COUNTY)[-1]
    with dba(ctx) as conn:
        conn.execute(insert(AuditEntry.__table__).values(**forged(last, 7)))
    code, out, problems = cli()
    assert code == 1 and problems == {(COUNTY, "inserted", 7)}, out


def _drop_unique_seq(conn: Connection) -> None:
    """The DBA rebuilds audit_entry without its (county_code, seq) unique constraint."""
    if PG_URL:
        conn.execute(text("ALTER TABLE audit_entry DROP CONSTRAINT uq_audit_entry_county_code"))
        return
    from sqlalchemy import MetaData

    bare = Table("audit_entry", MetaData(), *[c._copy() for c in AuditEntry.__table__.columns])
    conn.execute(text("ALTER TABLE audit_entry RENAME TO audit_entry_old"))
    conn.execute(CreateTable(bare))
    conn.execute(text("INSERT INTO audit_entry SELECT * FROM audit_entry_old"))
    conn.execute(text("DROP TABLE audit_entry_old"))


@pytest.mark.parametrize("seq", [1, 4, 6])
def test_verify_detects_a_row_inserted_in_the_middle(ctx: Context, cli, seq: int) -> None:  # type: ignore[no-untyped-def]
    """A forged entry squeezed in beside a genuine one with the same seq and the same predecessor."""
    append(ctx, COUNTY, 6)
    rows = chain(ctx, COUNTY)
    prev = rows[seq - 2] if seq > 1 else None
    values = (forged(prev, seq) if prev else
              forged(rows[0], 1, prev_hash=audit.GENESIS, at=rows[0].at - dt.timedelta(seconds=1)))
    with dba(ctx) as conn:
        _drop_unique_seq(conn)
        forged_id = conn.execute(insert(AuditEntry.__table__).values(**values).returning(AuditEntry.id)).scalar_one()
    try:
        code, out, problems = cli()
        assert code == 1 and problems == {(COUNTY, "inserted", seq)}, out
        assert f"inserted seq={seq} id={forged_id}:" in out
    finally:
        if PG_URL:  # the database is shared between tests: put the constraint back
            with dba(ctx) as conn:
                conn.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": forged_id})
                conn.execute(text("ALTER TABLE audit_entry ADD CONSTRAINT uq_audit_entry_county_code "
                                  "UNIQUE (county_code, seq)"))


@pytest.mark.parametrize("pair", [(3, 4), (2, 5), (1, 6)])
def test_verify_detects_a_reordered_pair(ctx: Context, cli, pair: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    append(ctx, COUNTY, 6)
    append(ctx, OTHER_COUNTY, 3)
    a, b = pair
    id_a, id_b = row_id(ctx, COUNTY, a), row_id(ctx, COUNTY, b)
    with dba(ctx) as conn:
        swap_contents(conn, id_a, id_b)
    assert row_id(ctx, COUNTY, a) == id_b and row_id(ctx, COUNTY, b) == id_a
    code, out, problems = cli()
    assert code == 1 and problems == {(COUNTY, "reordered", a), (COUNTY, "reordered", b)}, out


def test_verify_reports_every_kind_at_once(ctx: Context, cli) -> None:  # type: ignore[no-untyped-def]
    append(ctx, COUNTY, 10)
    append(ctx, OTHER_COUNTY, 4)
    with dba(ctx) as conn:
        conn.execute(text("UPDATE audit_entry SET entity_id = '1' WHERE county_code = :c AND seq = 2"), {"c": COUNTY})
        conn.execute(text("DELETE FROM audit_entry WHERE county_code = :c AND seq = 5"), {"c": COUNTY})
        swap_contents(conn, row_id(ctx, COUNTY, 7), row_id(ctx, COUNTY, 8))
        conn.execute(text("DELETE FROM audit_entry WHERE county_code = :c AND seq = 10"), {"c": COUNTY})
    last = chain(ctx, OTHER_COUNTY)[-1]
    with ctx.db.engine.begin() as conn:  # inserting needs no trigger bypass
        conn.execute(insert(AuditEntry.__table__).values(**forged(last, 5)))
    code, out, problems = cli()
    assert code == 1
    assert problems == {
        (COUNTY, "edited", 2), (COUNTY, "deleted", 5), (COUNTY, "reordered", 7), (COUNTY, "reordered", 8),
        (COUNTY, "deleted", 10), (OTHER_COUNTY, "inserted", 5),
    }, out
    assert "审计日志校验失败：6处问题" in out


def test_platform_chain_is_named(ctx: Context, cli) -> None:  # type: ignore[no-untyped-def]
    append(ctx, "", 3)
    with dba(ctx) as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE county_code = '' AND seq = 2"))
    code, out, problems = cli()
    assert code == 1 and problems == {("platform", "deleted", 2)}, out


# --- concurrency ----------------------------------------------------------------


def _hammer(ctx: Context, county: str, threads: int, per_thread: int) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with ctx.db.write_session() as s:
                    audit.record(s, CLERK, county_code=county, action="test.concurrent", entity_type="thing",
                                 entity_id=f"{n}-{i}", new={"thread": n, "i": i})
                    s.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "appenders did not finish"
    return errors


def test_concurrent_appenders_make_one_gap_free_chain(ctx: Context, cli) -> None:  # type: ignore[no-untyped-def]
    errors = _hammer(ctx, COUNTY, threads=8, per_thread=10)  # the head does not exist yet: creating it races too
    assert errors == []
    rows = chain(ctx, COUNTY)
    assert [r.seq for r in rows] == list(range(1, 81))  # in id order too: appends are serialised per county
    assert len({r.entity_id for r in rows}) == 80
    with ctx.db.read_session() as s:
        assert audit.verify(s) == (80, [])
        head = s.get(AuditHead, COUNTY)
        assert head is not None and (head.last_seq, head.last_hash) == (80, rows[-1].hash)
    code, out, _ = cli()
    assert code == 0, out


def test_verify_is_consistent_while_appenders_run(ctx: Context) -> None:
    """verify() reads the heads and the entries from one snapshot, so live appends are not tampering."""
    append(ctx, COUNTY, 1)
    stop = threading.Event()
    errors: list[BaseException] = []

    def appender(county: str) -> None:
        try:
            while not stop.is_set():
                with ctx.db.write_session() as s:
                    audit.record(s, CLERK, county_code=county, action="test.live", entity_type="thing", entity_id=1)
                    s.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=appender, args=(c,)) for c in (COUNTY, COUNTY, OTHER_COUNTY)]
    for w in workers:
        w.start()
    try:
        for _ in range(25):
            with ctx.db.read_session() as s:
                checked, problems = audit.verify(s)
            assert problems == [], problems
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=60)
    assert errors == []
    with ctx.db.read_session() as s:
        assert audit.verify(s)[1] == []


def test_a_long_lived_session_does_not_append_from_a_stale_head(ctx: Context) -> None:
    """Sessions keep objects after commit; the head must be re-read under the lock, not taken from memory."""
    append(ctx, COUNTY, 1)
    with ctx.db.write_session() as mine:
        audit.record(mine, CLERK, county_code=COUNTY, action="test.mine", entity_type="thing", entity_id=1)
        held = mine.get(AuditHead, COUNTY)  # stays in the identity map after commit while anything refers to it
        mine.commit()
        assert held is not None and held.last_seq == 2
        append(ctx, COUNTY, 2, start=10)  # someone else appends seq 3 and 4
        entry = audit.record(mine, CLERK, county_code=COUNTY, action="test.mine", entity_type="thing", entity_id=2)
        mine.commit()
        assert entry.seq == 5
    with ctx.db.read_session() as s:
        assert audit.verify(s) == (5, [])
