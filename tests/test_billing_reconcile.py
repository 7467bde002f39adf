"""``kehou billing reconcile`` finds what does not add up. These tests tamper with the ledger on
purpose, so they do not end on the ledger invariant the other billing tests end on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kehou.cli.main import main
from kehou.platform.context import Context
from kehou.plugins.billing_cap import ledger
from kehou.plugins.billing_cap.models import Bill, LedgerAccount, LedgerEntry, LedgerTxn
from kehou.plugins.billing_cap.payments import find_bill, record_payment
from kehou.timeutil import utcnow
from tests import billing_setup as bs
from tests.factories import COUNTY, World


@pytest.fixture
def cli_env(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEHOU_DATABASE_URL", ctx.settings.database.url)
    monkeypatch.setenv("KEHOU_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("KEHOU_SECRET_KEY", ctx.settings.security.secret_key)  # required off SQLite
    monkeypatch.setenv("KEHOU_PII_KEY", ctx.settings.security.pii_key)


def paid_bill(world: World) -> int:
    cat = bs.courses(world, {"书法": 30000})
    bs.enrol(world, cat.students["xiaoming"], cat.entries["书法"])
    bs.issue(world, cat.menu_id)
    with world.ctx.db.write_session() as s:
        bill = find_bill(s, bill_id=s.scalars(select(Bill.id)).one())
        record_payment(s, world.actor("school_admin"), bill, gateway="offline", external_id="ICBC-0001", amount_fen=32000)
        s.commit()
        return bill.id


def test_reconcile_passes_on_a_clean_ledger_and_finds_a_tampered_bill(ctx: Context, world: World, cli_env: None,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    bill_id = paid_bill(world)
    assert main(["billing", "reconcile", "--county", COUNTY]) == 0
    assert "对账一致：2笔分录借贷平衡，1张账单、1笔收款" in capsys.readouterr().out
    with ctx.db.write_session() as s:
        s.get(Bill, bill_id).paid_fen += 100  # someone edits a bill by hand
        s.commit()
    assert main(["billing", "reconcile"]) == 1
    out = capsys.readouterr().out
    assert "已缴 32100 分，收款记录合计 32000 分" in out and "对账失败：1处问题" in out


def test_reconcile_finds_an_unbalanced_transaction(ctx: Context, world: World, cli_env: None,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    paid_bill(world)
    with ctx.db.write_session() as s:  # a one-sided entry slipped in outside the ledger module
        txn = LedgerTxn(county_code=COUNTY, kind="adjustment", key="forged:1", memo="手工调整", created_at=utcnow())
        s.add(txn)
        s.flush()
        cash = s.scalars(select(LedgerAccount).where(LedgerAccount.code.startswith("cash:"))).one()
        s.add(LedgerEntry(txn_id=txn.id, account_id=cash.id, amount_fen=500))
        s.commit()
        assert ledger.unbalanced(s) == [("forged:1", 500)]
    assert main(["billing", "reconcile"]) == 1
    out = capsys.readouterr().out
    assert "分录不平衡：forged:1 合计 500 分" in out and "总账不平衡：借贷合计 500 分" in out
