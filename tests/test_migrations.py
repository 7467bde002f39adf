"""The schema comes from the Alembic history, and the models match it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from kehou.models import Base

ROOT = Path(__file__).resolve().parent.parent


def test_alembic_check_passes(settings) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "check"], cwd=ROOT, capture_output=True, text=True,
        env={"KEHOU_DATABASE_URL": settings.database.url, "PATH": "/usr/bin:/bin"}, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_every_model_table_exists_in_the_migrated_schema(ctx) -> None:  # type: ignore[no-untyped-def]
    tables = set(inspect(ctx.db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_core_does_not_import_plugins() -> None:
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
