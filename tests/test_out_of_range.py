"""An id or number beyond what the database can store is a clear 400, never a 500, on SQLite and on
PostgreSQL (where 2,147,483,648 overflows an INTEGER column)."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.factories import World
from tests.helpers import err, token_headers

HUGE = [2**31, 2**63]


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_in_paths_are_refused_clearly(client: TestClient, world: World, number: int) -> None:
    county = token_headers(client, "reviewer1")
    parent = token_headers(client, "parent")
    for path, headers in ((f"/api/v1/applications/{number}", county), (f"/api/v1/bills/{number}", parent),
                          (f"/api/v1/children/{number}/courses", parent), (f"/api/v1/documents/{number}/download", county)):
        resp = client.get(path, headers=headers)
        assert resp.status_code in (400, 404), (path, resp.status_code, resp.text)
        if resp.status_code == 400:
            err(resp, 400, "value_out_of_range")


def test_a_huge_id_in_a_body_is_refused_clearly(client: TestClient, world: World) -> None:
    parent = token_headers(client, "parent")
    resp = client.post("/api/v1/children/1/enrolments", headers=parent, json={"entry_id": 2**31})
    assert resp.status_code in (400, 404), resp.text


@pytest.mark.parametrize("who", ["admin", "reviewer1", "provider", "school_admin", "parent"])
def test_no_api_operation_answers_500_to_a_huge_path_integer(client: TestClient, world: World, who: str) -> None:
    headers = token_headers(client, who)
    tried = 0
    for route in client.app.routes:
        if not route.path.startswith("/api/") or ":int}" not in route.path:
            continue
        path = route.path
        while ":int}" in path:
            start = path.index("{")
            path = path[:start] + str(2**31) + path[path.index("}", start) + 1:]
        path = path.replace("{", "").replace("}", "")
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            resp = client.request(method, path, headers=headers, json={} if method != "GET" else None)
            assert resp.status_code < 500, (who, method, route.path, resp.status_code, resp.text[:200])
            tried += 1
    assert tried > 50  # every operation with an integer in its path
