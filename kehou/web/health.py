"""Liveness and readiness for load balancers and compose healthchecks."""

from __future__ import annotations

from typing import Any

from litestar import get
from sqlalchemy import text

from kehou.web.deps import DB


@get("/healthz", sync_to_thread=True, include_in_schema=False, cache=False)
def healthz(db: DB) -> dict[str, Any]:
    db.execute(text("SELECT 1"))
    return {"status": "ok"}
