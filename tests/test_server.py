"""`kehou serve --workers N`: each worker listens on its own SO_REUSEPORT socket, so keep-alive
connections opened at once spread over the workers; SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """The web workers started by ``pid`` (not multiprocessing's resource tracker)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in Path(f"/proc/{entry}/cmdline").read_bytes():
                out.append(int(entry))
    return out


def _sockets(pid: int) -> int:
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            continue
    return n


def _get(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"}"):
        chunk = sock.recv(4096)
        assert chunk, data
        data += chunk
    return data


def test_workers_share_the_port_and_keep_alive_connections_spread_over_them(tmp_path: Path) -> None:
    port = _free_port()
    env = dict(os.environ, KEHOU_DATABASE_URL=f"sqlite:///{tmp_path / 'k.db'}", KEHOU_DATA_DIR=str(tmp_path),
               KEHOU_EMBEDDED_WORKER="false")
    proc = subprocess.Popen([sys.executable, "-m", "kehou", "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "2", "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=(tmp_path / "server.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as probe:
                    assert b" 200 " in _get(probe)
                if len(_children(proc.pid)) == 2:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        workers = _children(proc.pid)
        time.sleep(0.5)  # the probes' connections are closed
        before = {w: _sockets(w) for w in workers}
        conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(16)]
        try:
            for c in conns:
                assert b" 200 " in _get(c)
            gained = {w: _sockets(w) - before[w] for w in workers}
            assert sum(gained.values()) == 16
            assert all(n >= 1 for n in gained.values()), gained  # both workers serve (1 in 32,768 to fail by chance)
            for c in conns:  # and keep serving on the same connections
                assert b" 200 " in _get(c)
        finally:
            for c in conns:
                c.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not [w for w in workers if Path(f"/proc/{w}").exists() and "zombie" not in Path(f"/proc/{w}/status").read_text()]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
