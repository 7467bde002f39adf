"""The embedded broker never hands a worker a message that is still being written."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from kombu import Connection
from kombu.transport import filesystem

from kehou.tasks import fsbroker

MESSAGES = 200


@pytest.fixture
def slow_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer preempted between creating a message file and filling it, as under load."""
    def encode(text: str) -> bytes:
        time.sleep(0.002)
        return text.encode()

    monkeypatch.setattr(filesystem, "str_to_bytes", encode)
    monkeypatch.setattr(fsbroker, "str_to_bytes", encode)


def race(url: str, folder: Path) -> tuple[list[object], list[Exception]]:
    """One thread puts messages while another polls the folder as a worker does."""
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "processed_folder": str(folder / "done")}
    (folder / "done").mkdir()
    got: list[object] = []
    errors: list[Exception] = []
    done = threading.Event()

    def read() -> None:
        with Connection(url, transport_options=options) as conn:
            channel = conn.default_channel
            while not done.is_set() or channel._size("q"):
                try:
                    got.append(channel._get("q"))
                except filesystem.Empty:
                    pass
                except Exception as exc:  # what the worker's consumer would die on
                    errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    with Connection(url, transport_options=options) as conn:
        channel = conn.default_channel
        for n in range(MESSAGES):
            channel._put("q", {"n": n, "body": "x" * 2000})
    done.set()
    reader.join(timeout=60)
    return got, errors


@pytest.mark.usefixtures("slow_writer")
def test_the_kehou_transport_delivers_every_message_whole(tmp_path: Path) -> None:
    got, errors = race(fsbroker.broker_url("filesystem://"), tmp_path)
    assert errors == []
    assert sorted(m["n"] for m in got) == list(range(MESSAGES))  # type: ignore[index]
    assert not list(tmp_path.glob(".*.part"))


def test_filesystem_urls_are_routed_to_it_and_others_are_left_alone() -> None:
    assert fsbroker.broker_url("filesystem://") == "kehoufs://"
    assert fsbroker.broker_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert Connection("kehoufs://").transport_cls == "kehoufs"
    assert isinstance(Connection("kehoufs://").transport, fsbroker.Transport)


@pytest.mark.usefixtures("slow_writer")
def test_the_stock_transport_reads_a_message_before_it_is_written(tmp_path: Path) -> None:
    """Why fsbroker exists: the worker takes the empty file, fails to decode it, and the task is lost."""
    got, errors = race("filesystem://", tmp_path)
    assert errors and len(got) < MESSAGES
