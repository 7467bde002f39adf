"""A schema fuzz run over the JSON API (schemathesis against the app's own OpenAPI document): every operation,
with examples generated from its schema (valid and invalid ones) and a fixed seed, sent as a county reviewer and
as a provider; no answer may be a server error. The operations are split into two shards so both test workers
share the run. The figures of each run (operations, calls, status codes) are appended to
``test-artifacts/fuzz-<worker>.jsonl``; ``python -m benchmarks.fuzz_summary`` adds them up.
``KEHOU_TEST_FUZZ_EXAMPLES`` sets the examples per operation and mode (default 6)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.factories import World
from tests.helpers import token_headers

EXAMPLES = int(os.environ.get("KEHOU_TEST_FUZZ_EXAMPLES", "6"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SHARDS = 2


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_operation_answers_a_server_error(shard: int, world: World, client) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_dict(client.get("/schema/openapi.json").json())
    operations = sorted((r.ok() for r in schema.get_all_operations()), key=lambda op: op.label)
    assert len(operations) > 100  # the whole API is in the document
    failures: list[tuple[Any, ...]] = []
    figures: list[dict[str, Any]] = []
    for operation in operations[shard::SHARDS]:
        figures.append({"operation": operation.label, "statuses": _fuzz(client, operation, failures)})
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / f"fuzz-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.jsonl").open("a") as out:
        out.writelines(json.dumps(row) + "\n" for row in figures)
    assert sum(sum(row["statuses"].values()) for row in figures) >= len(figures) * 2  # every operation was called
    assert not failures, "\n".join(map(repr, failures))


def _fuzz(client, operation, failures: list[tuple[Any, ...]]) -> Counter[int]:  # type: ignore[no-untyped-def]
    """Sends the operation's examples as each user; returns the status codes, adds each server error to failures."""
    statuses: Counter[int] = Counter()
    # fresh tokens for each operation: an earlier one may have been a logout
    logins = {user: token_headers(client, user) for user in ("reviewer1", "provider")}

    @given(case=_cases(operation))
    @settings(max_examples=EXAMPLES * 2, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        for user, headers in logins.items():
            response = send(client, case, headers)
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append((user, case.method, case.formatted_path, case.query, case.body, response.text[:300]))

    run()
    return statuses


def _cases(operation):  # type: ignore[no-untyped-def]
    """Valid cases, and invalid ones where the schema leaves room for them."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    try:
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    except Exception:  # an operation with nothing to get wrong has no negative cases
        pass
    return st.one_of(strategies)


def send(client, case, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """The case exactly as schemathesis would send it with ``requests`` (its body, multipart included, encoded by
    ``requests``), then sent through the httpx test client."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=headers)
    cookies = kwargs.pop("cookies", None)
    for key in ("timeout", "verify", "allow_redirects", "stream", "cert", "proxies"):
        kwargs.pop(key, None)
    prepared = requests.Request(**kwargs).prepare()
    client.cookies.clear()
    if cookies:
        client.cookies.update(cookies)
    assert prepared.method is not None and prepared.url is not None
    return client.request(prepared.method, prepared.url, headers=dict(prepared.headers), content=prepared.body)
