"""The per-worker request limit (kehou/web/limits.py): at most ``limit`` at once, the next ones wait in
arrival order, a full queue or a long wait is answered at once with 503 and Retry-After, and /healthz is
never held back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kehou.web.limits import Limiter, default_limit


def _scope(path: str) -> dict[str, Any]:
    return {"type": "http", "path": path, "method": "GET", "headers": []}


async def _call(app: Any, path: str) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(_scope(path), None, send)
    start = sent[0]
    return start["status"], {k.decode(): v.decode() for k, v in start.get("headers", [])}, sent[-1].get("body", b"")


def test_default_limit_leaves_room_for_healthz_and_threads() -> None:
    assert default_limit(40) == 38 and default_limit(20) == 18 and default_limit(200) == 38 and default_limit(2) == 1


def test_waiting_in_order_then_busy_when_the_queue_is_full_or_the_wait_too_long() -> None:
    async def scenario() -> None:
        release = asyncio.Event()
        order: list[str] = []

        async def handler(scope: dict[str, Any], receive: Any, send: Any) -> None:
            order.append(scope["path"])
            if scope["path"].startswith("/api/slow"):
                await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        limiter = Limiter(limit=1, queue=2, wait_s=0.3)
        app = limiter.wrap(handler)
        first = asyncio.create_task(_call(app, "/api/slow/1"))
        await asyncio.sleep(0.01)
        queued = [asyncio.create_task(_call(app, f"/api/slow/{i}")) for i in (2, 3)]
        await asyncio.sleep(0.01)
        status, headers, body = await _call(app, "/api/refused")  # the queue of 2 is full: answered at once
        assert status == 503 and headers["retry-after"] == "2"
        assert json.loads(body)["error"]["code"] == "server_busy" and "稍后重试" in json.loads(body)["error"]["message"]
        status, _, page = await _call(app, "/desk")  # a page gets a page that refreshes itself
        assert status == 503 and "请稍后重试".encode() in page and b"http-equiv=\"refresh\"" in page
        assert (await _call(app, "/healthz"))[0] == 200  # never held back
        release.set()
        assert [(await t)[0] for t in [first, *queued]] == [200, 200, 200]
        assert order[:3] == ["/api/slow/1", "/healthz", "/api/slow/2"] and order[3] == "/api/slow/3"
        assert limiter.active == 0 and not limiter.waiters
        # a wait longer than wait_s: 503, and the slot is not lost
        release.clear()
        held = asyncio.create_task(_call(app, "/api/slow/4"))
        await asyncio.sleep(0.01)
        assert (await _call(app, "/api/late"))[0] == 503
        release.set()
        assert (await held)[0] == 200 and limiter.active == 0 and not limiter.waiters
        assert (await _call(app, "/api/after"))[0] == 200
        assert limiter.refused == 3

    asyncio.run(scenario())
