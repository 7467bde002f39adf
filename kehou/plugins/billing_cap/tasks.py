"""Celery jobs of billing. Each opens its own session."""

from __future__ import annotations

import datetime as dt


def issue_after_windows() -> int:
    """Bill every school whose selection window has closed and that has not billed yet (hourly)."""
    from kehou.plugins.billing_cap import bills
    from kehou.tasks.app import get_context

    ctx = get_context()
    with ctx.db.write_session() as session:
        return bills.issue_due(ctx, session)


def monthly_settlements() -> int:
    """Draft last month's provider settlements for every school of the counties that use billing."""
    from kehou.plugins.billing_cap import settlement
    from kehou.tasks.app import get_context

    ctx = get_context()
    with ctx.db.write_session() as session:
        return settlement.draft_due(ctx, session)


def exit_refunds(provider_id: int, county_code: str, effective: str) -> int:
    """Enqueued by ``kehou_provider_exited``: credit families with the fees of undelivered lessons."""
    from kehou.platform.actor import Actor
    from kehou.plugins.billing_cap import statement
    from kehou.tasks.app import get_context

    with get_context().db.write_session() as session:
        return statement.exit_refunds(session, Actor.system("billing"), provider_id, county_code,
                                      dt.date.fromisoformat(effective))
