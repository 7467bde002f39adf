"""Start the web server and, on embedded defaults, a real Celery worker (with beat)
as a child process consuming the filesystem broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from kehou.settings import Settings


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.setdefault("KEHOU_DATA_DIR", str(settings.data_dir))
    cmd = [sys.executable, "-m", "celery", "-A", "kehou.tasks.worker", "worker", "--beat", "--pool=solo",
           "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(cmd, env=env)


def serve(settings: Settings, *, host: str | None, port: int | None, worker: bool = True, workers: int = 1,
          log_level: str = "info") -> int:
    from kehou.web import server

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    child = start_worker(settings) if worker and settings.tasks.embedded_worker else None
    host = host or settings.server.host
    port = port or settings.server.port
    print(f"课后服务平台已启动：http://{host}:{port}/  （API 文档：/schema/swagger）", flush=True)
    try:
        server.serve("kehou.app:asgi", host=host, port=port, workers=workers, log_level=log_level)
    finally:
        if child is not None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0
