"""The launcher (`kehou serve` / `kehou up`, so `./dev up`) as a real process: stopping it by SIGTERM or
SIGINT, or its server ending by itself, stops the embedded Celery worker and its beat too; and a
stopped `kehou serve --workers N` can start again on the same port at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) from /proc, or None if there is no such process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1]), int(fields[19])


def _descendants(pid: int) -> dict[int, int]:
    """Every process below ``pid``: pid → start time (to tell a reused pid apart)."""
    children: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            children.setdefault(st[1], []).append(int(entry))
            starts[int(entry)] = st[2]
    out: dict[int, int] = {}
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out[child] = starts[child]
            todo.append(child)
    return out


def _running(procs: dict[int, int]) -> list[int]:
    """Those of ``procs`` still running (a zombie has stopped; its reaping is init's business)."""
    return [pid for pid, start in procs.items() if (st := _stat(pid)) is not None and st[2] == start and st[0] != "Z"]


def _celery(procs: dict[int, int]) -> list[int]:
    out = []
    for pid in procs:
        try:
            if b"celery" in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.append(pid)
        except OSError:
            continue
    return out


def _healthz(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
            return data.startswith(b"HTTP/1.1 200 ")
    except OSError:
        return False


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHOU_")}
    env.update(KEHOU_DATABASE_URL=f"sqlite:///{tmp_path / 'k.db'}", KEHOU_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


def _serve(tmp_path: Path, port: int, *args: str, env: dict[str, str] | None = None,
           log: str = "server.log") -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "kehou", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning", *args], cwd=ROOT, env=env or _env(tmp_path),
                            stdout=(tmp_path / log).open("ab"), stderr=subprocess.STDOUT)


def _kill_all(proc: subprocess.Popen[bytes], procs: dict[int, int]) -> None:
    for pid in _running(procs):
        os.kill(pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _wait_for_worker_and_beat(proc: subprocess.Popen[bytes], port: int, log: Path) -> dict[int, int]:
    deadline = time.monotonic() + 90
    while True:
        family = _descendants(proc.pid)
        if len(_celery(family)) >= 2 and _healthz(port):  # the worker and the beat process it forks
            return family
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.3)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_the_launcher_stops_its_worker_and_beat(tmp_path: Path, signum: int) -> None:
    port = _free_port()
    proc = _serve(tmp_path, port, env=_env(tmp_path, KEHOU_EMBEDDED_WORKER="true"))
    family: dict[int, int] = {}
    try:
        family = _wait_for_worker_and_beat(proc, port, tmp_path / "server.log")
        proc.send_signal(signum)
        code = proc.wait(timeout=30)
        deadline = time.monotonic() + 5
        while _running(family) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(family), f"left running after {signum!r}: {_running(family)}"
        assert code == 0, (tmp_path / "server.log").read_text(errors="replace")[-3000:]
    finally:
        _kill_all(proc, family)


def test_a_server_that_ends_by_itself_stops_the_worker_too(tmp_path: Path) -> None:
    """The port is taken: uvicorn gives up, and the launcher stops the worker it had started."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = int(squatter.getsockname()[1])
        proc = _serve(tmp_path, port, env=_env(tmp_path, KEHOU_EMBEDDED_WORKER="true"))
        family: dict[int, int] = {}
        try:
            deadline = time.monotonic() + 90
            worker_seen = False
            while proc.poll() is None and time.monotonic() < deadline:
                family.update(_descendants(proc.pid))
                worker_seen = worker_seen or bool(_celery(family))
                time.sleep(0.1)
            assert proc.wait(timeout=30) != 0
            assert worker_seen, "the worker was started"
            time.sleep(0.5)
            assert not _running(family)
        finally:
            _kill_all(proc, family)


def _time_wait_on(port: int) -> bool:
    """A TCP connection on local ``port`` in TIME_WAIT (state 06), as /proc/net/tcp shows it."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if int(local.split(":")[1], 16) == port and state == "06":
            return True
    return False


def test_serve_starts_again_at_once_on_the_port_it_just_left(tmp_path: Path) -> None:
    """Connections the server closed stay in TIME_WAIT for a minute; the restart must not care."""
    port = _free_port()
    args = ("--no-worker", "--workers", "2")
    env = _env(tmp_path, KEHOU_EMBEDDED_WORKER="false")
    first = _serve(tmp_path, port, *args, env=env, log="first.log")
    family: dict[int, int] = {}
    try:
        deadline = time.monotonic() + 60
        while not _healthz(port):  # each answer closed by the server: its side waits in TIME_WAIT
            assert first.poll() is None and time.monotonic() < deadline, (tmp_path / "first.log").read_text()
            time.sleep(0.2)
        family = _descendants(first.pid)
        kept = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
        for sock in kept:  # keep-alive connections, open when the server stops (it closes them)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
        for _ in range(4):
            assert _healthz(port)
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
        for sock in kept:
            sock.close()
    finally:
        _kill_all(first, family)
    assert _time_wait_on(port), "the scenario needs connections in TIME_WAIT on the port"
    second = _serve(tmp_path, port, *args, env=env, log="second.log")
    family = {}
    try:
        deadline = time.monotonic() + 60
        while not _healthz(port):
            assert second.poll() is None, (tmp_path / "second.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, (tmp_path / "second.log").read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        family = _descendants(second.pid)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        _kill_all(second, family)
