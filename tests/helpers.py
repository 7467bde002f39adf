from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.factories import PASSWORD


def token_headers(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert resp.status_code == 201, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def ok(resp: Any, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def err(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()["error"]
    assert body["code"] == code, body
    assert body["message"], body
    return body


def review_all(client: Any, headers: dict[str, str], provider_id: int, *, some: bool = True) -> None:
    """The reviewer accepts each pending document of the provider through the API (``some``: there must be one)."""
    docs = ok(client.get(f"/api/v1/providers/{provider_id}/documents", headers=headers))
    assert not some or any(d["status"] == "pending" for d in docs)
    for doc in docs:
        if doc["status"] == "pending":
            ok(client.post(f"/api/v1/documents/{doc['id']}/review", headers=headers, json={"accepted": True}))
