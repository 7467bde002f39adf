"""Outcome reporting's permission rows and page listings, one module per area, each owned with its area."""

from __future__ import annotations

from typing import Any

from tests.factories import World
from tests.outcome_rows import evaluation, reports, supervision, surveys

AREAS = {"supervision": supervision, "surveys": surveys, "evaluation": evaluation, "reports": reports}
CASES = [case for area in AREAS.values() for case in area.CASES]
PUBLIC = [case for area in AREAS.values() for case in area.PUBLIC]
HTML_GET = {path: roles for area in AREAS.values() for path, roles in area.HTML_GET.items()}
HTML_OTHER_GET = {path for area in AREAS.values() for path in area.HTML_OTHER_GET}
HTML_POSTS = {path for area in AREAS.values() for path in area.HTML_POSTS}
PLACEHOLDERS = {k: v for area in AREAS.values() for k, v in area.PLACEHOLDERS.items()}


def prepare(world: World, state: str) -> dict[str, Any]:
    """``outcome_{area}...`` states are prepared by their area's module."""
    area = state.split("_")[1]
    return AREAS[area].prepare(world, state)


def page_values(world: World, path: str) -> dict[str, str]:
    """For an HTML page of an area: its placeholders' values (the area's ``prepare`` with state ``outcome_{area}_page``)."""
    for name, area in AREAS.items():
        if path in area.HTML_GET:
            return {k: str(v) for k, v in area.prepare(world, f"outcome_{name}_page").items()} if "{" in path else {}
    return {}
