"""Celery jobs of the course catalogue. Each opens its own session."""

from __future__ import annotations


def close_windows() -> int:
    """Flag undersized classes of menus whose selection window has closed."""
    from kehou.plugins.course_catalogue import classes
    from kehou.tasks.app import get_context

    ctx = get_context()
    with ctx.db.write_session() as session:
        return classes.close_windows(ctx, session)
