"""Start the web server and, on embedded defaults, a real Celery worker (with beat)
as a child process consuming the filesystem broker.

The worker runs in a process group of its own and is the launcher's to stop: on SIGTERM, SIGINT
(Ctrl-C) or SIGHUP, and on a normal exit, the launcher asks it for Celery's warm shutdown (SIGTERM:
finish the task at hand, stop the embedded beat), waits up to ``STOP_TIMEOUT_S`` seconds, then kills
what is left of the group (worker and beat), so nothing outlives ``./dev up``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from kehou.settings import Settings, check_production_keys

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
STOP_TIMEOUT_S = 10.0


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.setdefault("KEHOU_DATA_DIR", str(settings.data_dir))
    cmd = [sys.executable, "-m", "celery", "-A", "kehou.tasks.worker", "worker", "--beat", "--pool=solo",
           "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    # its own process group: a terminal's Ctrl-C reaches the launcher only, which stops the worker once, and
    # the group is what is killed if the worker does not stop in time (the embedded beat is its child)
    return subprocess.Popen(cmd, env=env, process_group=0)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # nothing left in the group
        pass


def stop_worker(child: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> None:
    """Warm shutdown, ``timeout`` seconds' grace, then SIGKILL to the worker's whole process group."""
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(child.pid)
            child.wait()
    _kill_group(child.pid)  # a beat process the worker left behind


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(settings: Settings, *, host: str | None, port: int | None, worker: bool = True, workers: int = 1,
          log_level: str = "info") -> int:
    """Serve until stopped. SIGTERM, SIGINT and SIGHUP stop the server gracefully, then the worker.

    With one web process uvicorn handles these signals itself and raises them again once it has shut
    down; the launcher's handler then turns them into ``SystemExit`` so the worker is stopped before
    this process ends (Python's default SIGTERM handler would end it at once, orphaning the worker).
    """
    from kehou.web import server

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    host = host or settings.server.host
    port = port or settings.server.port
    check_production_keys(settings, host)  # the development keys only on loopback (raises InsecureSettings)
    previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {
        sig: signal.signal(sig, _exit_on_signal) for sig in STOP_SIGNALS if signal.getsignal(sig) != signal.SIG_IGN}
    child = None
    try:
        child = start_worker(settings) if worker and settings.tasks.embedded_worker else None
        print(f"课后服务平台已启动：http://{host}:{port}/  （API 文档：/schema/swagger）", flush=True)
        server.serve("kehou.app:asgi", host=host, port=port, workers=workers, log_level=log_level,
                     trusted_proxies=settings.server.trusted_proxies)
    finally:
        if child is not None:
            pgid = child.pid
            for sig in previous:  # asked again while stopping (a second Ctrl-C): do not wait any longer
                signal.signal(sig, lambda *_: _kill_group(pgid))
            stop_worker(child)
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
    return 0
