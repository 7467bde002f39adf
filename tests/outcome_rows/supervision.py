"""Permission rows and page listings of outcome reporting's supervision area (merged into
tests/test_permissions.py and tests/test_html_pages.py). States handled here start with
``outcome_supervision``."""

from __future__ import annotations

from typing import Any

from tests.factories import World
from tests.permission_table import Case, PublicCase

CASES: list[Case] = []
PUBLIC: list[PublicCase] = []
# HTML pages: path (with placeholders) -> roles that may open it; POST routes; GET routes tested elsewhere
HTML_GET: dict[str, set[str]] = {}
HTML_OTHER_GET: set[str] = set()
HTML_POSTS: set[str] = set()
PLACEHOLDERS: dict[str, str] = {}  # "{x}" -> "{x_id:int}"


def prepare(world: World, state: str) -> dict[str, Any]:
    """Path-parameter values for a row's state; fill placeholders of HTML_GET with the same names."""
    raise AssertionError(f"unknown state {state}")
