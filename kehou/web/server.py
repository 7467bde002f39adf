"""How Kehou is served: uvicorn, one listening socket per worker, TCP_NODELAY on every connection.

With ``--workers N`` uvicorn binds the listening socket itself (protocol number 0), so asyncio does
not set ``TCP_NODELAY`` on accepted connections, and every keep-alive response then waits about
40 ms for Nagle's algorithm and the client's delayed ACK (uvicorn issue #3149). This protocol sets
it on each connection.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from kehou import logs

log = logging.getLogger(__name__)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def _serve_one(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    """One worker process: its own listening socket, bound with SO_REUSEPORT beside its siblings'."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    config = uvicorn.Config(app, factory=True, host=host, port=port, http=NoDelayH11Protocol, **options)
    uvicorn.Server(config).run(sockets=[sock])


def proxy_options(trusted: tuple[str, ...]) -> dict[str, Any]:
    """uvicorn's forwarded-header handling: only the given proxies' X-Forwarded-For/-Proto are believed, none when
    none are given (uvicorn's own default trusts 127.0.0.1, so anything on the machine could pick its address)."""
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(trusted)} if trusted else {"proxy_headers": False}


def serve(app: str, *, host: str, port: int, workers: int, log_level: str = "info",
          trusted_proxies: tuple[str, ...] = ()) -> None:
    """Serve ``app`` (an import string of an app factory) with ``workers`` processes.

    Several workers each listen on their own SO_REUSEPORT socket, so the kernel spreads new
    connections over them. With one shared socket (uvicorn's ``--workers``) the worker that wakes
    first accepts every pending connection, and long-lived keep-alive connections (a reverse proxy's,
    or selection day's many parents at once) then pile onto one process while the others idle.
    A worker that dies is replaced; SIGINT or SIGTERM stops them all gracefully.
    """
    # JSON log lines; the access log is written by the app's middleware (kehou.web.observe), with the request id
    options: dict[str, Any] = {"log_level": log_level, "log_config": logs.config(log_level), "access_log": False,
                               **proxy_options(trusted_proxies)}
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(app, factory=True, host=host, port=port, http=NoDelayH11Protocol, workers=max(workers, 1), **options)
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no obstacle
        try:  # without SO_REUSEPORT: fails if anything (a stale Kehou too) listens there already
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(f"无法监听 {host}:{port}：{exc}") from None
    spawn = multiprocessing.get_context("spawn")
    stopping = threading.Event()
    started: dict[int, float] = {}

    def start() -> multiprocessing.process.BaseProcess:
        proc = spawn.Process(target=_serve_one, args=(app, host, port, options), daemon=False)
        proc.start()
        started[id(proc)] = time.monotonic()
        return proc

    def stop(*_: Any) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs = [start() for _ in range(workers)]
    early_exits = 0
    try:
        while not stopping.wait(0.5):
            for i, proc in enumerate(procs):
                if proc.is_alive():
                    continue
                early_exits = early_exits + 1 if time.monotonic() - started.pop(id(proc), 0.0) < 10 else 0
                if early_exits >= 5:  # crashing at start-up (a bad setting, the port): do not spin
                    raise SystemExit("网站进程反复启动失败，已停止。")
                log.warning("web worker %s exited with %s; starting another", proc.pid, proc.exitcode)
                procs[i] = start()
    finally:
        for proc in procs:
            if proc.is_alive() and proc.pid is not None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.join(timeout=20)
            if proc.is_alive():
                proc.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
