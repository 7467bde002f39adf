"""The HTTP protocol uvicorn serves Kehou with.

With ``--workers N`` uvicorn binds the listening socket itself (protocol number 0), so asyncio does
not set ``TCP_NODELAY`` on accepted connections, and every keep-alive response then waits about
40 ms for Nagle's algorithm and the client's delayed ACK (uvicorn issue #3149). This protocol sets
it on each connection.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
