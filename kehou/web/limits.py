"""Fail fast under a crowd: each worker works on at most ``limit`` requests at once.

Beyond that, up to ``queue`` requests wait (first come, first served) for at most ``wait_s`` seconds; a
request that finds the queue full, or waits too long, is answered at once with ``503 server_busy`` and
``Retry-After`` instead of piling onto the thread pool and the database pool, where it would wait for a
connection and hold everything behind it. ``limit`` defaults to what the worker's database pool can serve
(see :func:`default_limit`), so a request admitted here never waits long for a connection. ``/healthz`` and
static files are never held back.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from typing import Any

from kehou.errors import ServiceBusy

ASGIApp = Callable[..., Any]
EXEMPT = ("/healthz", "/readyz", "/metrics", "/static/")
HTML = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
        "content=\"width=device-width, initial-scale=1\"><meta http-equiv=\"refresh\" content=\"{s}\">"
        "<title>请稍候</title></head><body><p>{m}</p><p>页面将在{s}秒后自动刷新。</p></body></html>")


def default_limit(pool_capacity: int, threads: int = 40) -> int:
    """Leave two connections for ``/healthz`` and the odd background use; never more than the threads."""
    return max(1, min(pool_capacity - 2, threads - 2))


class Limiter:
    def __init__(self, *, limit: int, queue: int, wait_s: float) -> None:
        self.limit, self.queue, self.wait_s = limit, queue, wait_s
        self.active = 0
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.refused = 0

    def wrap(self, app: ASGIApp) -> ASGIApp:
        async def limited(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
                await app(scope, receive, send)
                return
            if not await self._acquire():
                self.refused += 1
                await _busy(scope, send)
                return
            try:
                await app(scope, receive, send)
            finally:
                self._release()

        return limited

    async def _acquire(self) -> bool:
        if self.active < self.limit and not self.waiters:
            self.active += 1
            return True
        if len(self.waiters) >= self.queue:
            return False
        slot: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(slot)
        try:
            await asyncio.wait_for(slot, self.wait_s)  # resolved by _release, which hands over its slot
            return True
        except TimeoutError:
            return False
        finally:
            if not slot.done() or slot.cancelled():
                try:
                    self.waiters.remove(slot)
                except ValueError:
                    pass

    def _release(self) -> None:
        while self.waiters:
            slot = self.waiters.popleft()
            if not slot.done():
                slot.set_result(None)  # the slot passes to the next in line; ``active`` stays the same
                return
        self.active -= 1


async def _busy(scope: dict[str, Any], send: Any) -> None:
    err = ServiceBusy()
    retry = str(err.retry_after_s)
    if scope["path"].startswith("/api/"):
        body = json.dumps({"error": err.to_dict()}, ensure_ascii=False).encode()
        kind = b"application/json"
    else:
        body = HTML.format(m=err.message, s=retry).encode()
        kind = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": err.status_code,
                "headers": [(b"content-type", kind), (b"retry-after", retry.encode()),
                            (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})
