"""Celery jobs of the course catalogue. Each opens its own session."""

from __future__ import annotations


def promote_waitlists() -> int:
    """Give free seats to waitlisted children (a sweep behind the promotion that follows each quit)."""
    from kehou.plugins.course_catalogue import enrolment
    from kehou.tasks.app import get_context

    return enrolment.promote_all(get_context())


def close_windows() -> int:
    """Flag undersized classes of menus whose selection window has closed."""
    from kehou.plugins.course_catalogue import classes
    from kehou.tasks.app import get_context

    ctx = get_context()
    with ctx.db.write_session() as session:
        return classes.close_windows(ctx, session)


def allocate_closed() -> int:
    """Allocate each ranked-lottery menu whose window has closed and that has no allocation yet: a draft for the
    school to review and publish (the school may also run it itself)."""
    from kehou.plugins.course_catalogue.lottery import runs
    from kehou.tasks.app import get_context

    ctx = get_context()
    with ctx.db.write_session() as session:
        return runs.allocate_due(ctx, session)


def no_show_sweep() -> dict[str, int]:
    """Where the county releases the seats of children who do not come: release the seats whose families did not
    explain by the deadline, warn the families newly due, and give freed seats to the waitlists."""
    from kehou.plugins.course_catalogue import noshow
    from kehou.tasks.app import get_context

    return noshow.sweep(get_context())


def provider_exited(provider_id: int, county_code: str, effective: str) -> dict[str, int]:
    """Enqueued by ``kehou_provider_exited``: close the provider's classes and tell families and schools."""
    import datetime as dt

    from kehou.plugins.course_catalogue import exits
    from kehou.tasks.app import get_context

    with get_context().db.write_session() as session:
        return exits.end_provider(session, provider_id, county_code, dt.date.fromisoformat(effective))
