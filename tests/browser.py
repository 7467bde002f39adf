"""Run the real app on a loopback port and drive Debian chromium through Playwright
(no browser download: Playwright launches /usr/bin/chromium)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def require_chromium() -> None:
    if os.environ.get("KEHOU_TEST_SKIP_BROWSER"):  # .ci/run: the pages are driven in its SQLite pass only
        pytest.skip("browser tests run in the SQLite pass (KEHOU_TEST_SKIP_BROWSER is set)")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium fonts-noto-cjk)")
        pytest.skip("Debian chromium not installed (apt-get install chromium fonts-noto-cjk)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def login(page: Any, base: str, username: str, next_path: str = "") -> None:
    """Log ``username`` in on the login page (test password), then to ``next_path`` if given."""
    from tests.factories import PASSWORD

    page.goto(f"{base}/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_load_state()


def answer_confirmations(browser: Any) -> None:
    """Consequential actions ask "确定…吗？" first: every page of ``browser`` answers yes, and the questions
    asked are kept in ``browser.dialogs`` for tests to check. Whatever the Content-Security-Policy blocked is
    kept in ``browser.policy_violations``; a browser test fails on any."""
    browser.dialogs = []
    browser.policy_violations = []

    def answer(dialog: Any) -> None:
        browser.dialogs.append(dialog.message)
        dialog.accept()

    def watch(page: Any) -> None:
        page.on("dialog", answer)
        page.on("console", lambda m: browser.policy_violations.append(m.text) if "Content Security Policy" in m.text else None)

    real_context, real_page = browser.new_context, browser.new_page

    def new_context(**kw: Any) -> Any:
        context = real_context(**kw)
        context.on("page", watch)
        return context

    def new_page(**kw: Any) -> Any:
        page = real_page(**kw)
        watch(page)
        return page

    browser.new_context, browser.new_page = new_context, new_page


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        answer_confirmations(browser)
        try:
            yield browser
            assert not browser.policy_violations, browser.policy_violations  # the page policy blocked something
        finally:
            browser.close()
