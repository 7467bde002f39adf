"""No page or API gives a provider a guardian's phone number or a child's priority group (issue 20 part 3). Every
GET endpoint of the permission table is called as the provider in its own state, and every page the provider may
open, with the provider's enrolled child in a priority group and its guardian's phone on file; no answer may
contain the number, a group's code or its name."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from litestar.testing import TestClient

from kehou.platform.students import services as students
from kehou.platform.students.models import PRIORITY_LABELS, GuardianContact
from kehou.timeutil import clock, utcnow
from tests.factories import World
from tests.test_html_pages import PLACEHOLDERS, STAFF_GET, browser
from tests.test_permissions import CASES, cast, prepare, tokens, url  # noqa: F401 - fixtures

PHONE = "13957100104"
FORBIDDEN = [PHONE, *PRIORITY_LABELS, *PRIORITY_LABELS.values()]
BY_STATE: dict[str | None, list[str]] = defaultdict(list)
for case in CASES:
    if case.method == "GET":
        BY_STATE[case.state].append(case.route)
PROVIDER_PAGES = [path for path, who in STAFF_GET.items() if "provider" in who]


def with_family_data(world: World, values: dict[str, Any]) -> None:
    """The state's child (if any) in a priority group, its parent's phone on file."""
    ctx = world.ctx
    with ctx.db.write_session() as s:
        sealed = ctx.vault.seal(PHONE)
        s.add(GuardianContact(school_id=world.school_ids["school"], user_id=world.users["parent"].id,
                              phone_enc=sealed.ciphertext, phone_hash=sealed.keyed_hash, phone_last4=sealed.last4,
                              created_at=utcnow()))
        s.commit()
    if "student_id" in values:
        with ctx.db.write_session() as s:
            students.set_priority(s, world.actor("school_admin"), values["student_id"], "left_behind", reason="父母外出务工")


def leaks(text: str) -> list[str]:
    return [x for x in FORBIDDEN if x in text]


@pytest.mark.parametrize("state", sorted(BY_STATE, key=str), ids=str)
def test_no_api_answer_to_a_provider_holds_family_data(state: str | None, client: TestClient, cast: World,  # noqa: F811
                                                       tokens: dict[str, dict[str, str]]) -> None:  # noqa: F811
    try:
        values = prepare(cast, state)
        with_family_data(cast, values)
        found, called = {}, 0
        for route in BY_STATE[state]:
            try:
                path = url(route, values)
            except KeyError:
                continue
            resp = client.get(path, headers=tokens["provider"])
            called += resp.status_code == 200
            if leaks(resp.text):
                found[route] = leaks(resp.text)
        assert found == {}
        if any("provider" in c.allowed for c in CASES if c.method == "GET" and c.state == state):
            assert called, "the provider's own data was read"
    finally:
        clock.reset()


def test_no_page_a_provider_opens_holds_family_data(cast: World) -> None:  # noqa: F811
    try:
        values = prepare(cast, "billing_approved")
        with_family_data(cast, values)
        found, opened = {}, 0
        with browser(cast.ctx, "provider") as page:
            for path in PROVIDER_PAGES:
                for placeholder, param in PLACEHOLDERS.items():
                    path = path.replace(placeholder, param)
                try:
                    target = url(path, values)
                except KeyError:
                    continue
                resp = page.get(target)
                opened += resp.status_code == 200
                if leaks(resp.text):
                    found[path] = leaks(resp.text)
        assert opened >= 5 and found == {}
    finally:
        clock.reset()


def test_the_check_sees_what_the_school_may_see(cast: World) -> None:  # noqa: F811
    """The same search finds the group on the school's own roster: the walk above would notice a leak."""
    values = prepare(cast, "catalogue_enrolled")
    with_family_data(cast, values)
    with browser(cast.ctx, "school_admin") as page:
        assert "留守儿童" in leaks(page.get(f"/school/students/{values['student_id']}").text)
