"""Login limits a stranger can neither dodge nor abuse: failures count per (account, address), per address and,
much higher, per account; forwarded headers are believed only from configured proxies; the public development
keys are refused unless the server listens on loopback."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kehou.errors import NotAuthenticated, TooManyRequests
from kehou.platform.accounts import services
from kehou.platform.context import Context
from kehou.settings import DEV_PII_KEY, DEV_SECRET, InsecureSettings, check_production_keys, is_loopback, load_settings
from kehou.web.server import proxy_options
from tests.factories import PASSWORD, World

ROOT = Path(__file__).resolve().parent.parent


def attempt(ctx: Context, username: str, password: str, ip: str) -> str:
    with ctx.db.write_session() as s:
        try:
            services.login(s, ctx.settings.security, username=username, password=password, ip=ip)
        except NotAuthenticated:
            return "wrong"
        except TooManyRequests:
            return "throttled"
    return "ok"


def test_wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere(ctx: Context, world: World) -> None:
    sec = ctx.settings.security
    stranger, owner = "203.0.113.9", "198.51.100.20"
    assert [attempt(ctx, "provider", "wrong-password-1", stranger) for _ in range(sec.login_max_failures)] == \
        ["wrong"] * sec.login_max_failures
    assert attempt(ctx, "provider", PASSWORD, stranger) == "throttled"  # the stranger's address is stopped
    assert attempt(ctx, "provider", PASSWORD, owner) == "ok"  # the owner, elsewhere, logs in


def test_a_guessing_run_spread_over_many_addresses_still_stops(ctx: Context, world: World) -> None:
    ctx.settings = dataclasses.replace(ctx.settings, security=dataclasses.replace(
        ctx.settings.security, login_account_max_failures=12))
    outcomes = [attempt(ctx, "provider", "wrong-password-1", f"203.0.113.{n}") for n in range(12)]
    assert outcomes == ["wrong"] * 12
    assert attempt(ctx, "provider", PASSWORD, "198.51.100.20") == "throttled"
    assert attempt(ctx, "reviewer1", PASSWORD, "198.51.100.20") == "ok"  # other accounts are not affected


def test_the_development_keys_only_on_loopback() -> None:
    dev = load_settings({"KEHOU_DATABASE_URL": "sqlite:///x.db"})
    assert dev.security.secret_key == DEV_SECRET and dev.security.pii_key == DEV_PII_KEY
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_production_keys(dev, host)
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.gov.cn"):
        assert not is_loopback(host)
        with pytest.raises(InsecureSettings, match="KEHOU_SECRET_KEY"):
            check_production_keys(dev, host)
    with pytest.raises(InsecureSettings):  # the configured address counts when none is given
        check_production_keys(load_settings({"KEHOU_DATABASE_URL": "sqlite:///x.db", "KEHOU_HOST": "0.0.0.0"}))
    keyed = load_settings({"KEHOU_DATABASE_URL": "sqlite:///x.db", "KEHOU_SECRET_KEY": "s" * 40, "KEHOU_PII_KEY": "p" * 40})
    check_production_keys(keyed, "0.0.0.0")


def test_kehou_serve_refuses_a_public_address_with_the_development_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHOU_")}
    env |= {"KEHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}", "KEHOU_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "kehou", "serve", "--no-worker", "--host", "0.0.0.0", "--port", "1"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "KEHOU_SECRET_KEY" in out.stderr + out.stdout


def test_forwarded_headers_are_believed_only_from_configured_proxies() -> None:
    assert proxy_options(()) == {"proxy_headers": False}
    assert proxy_options(("10.0.0.0/8", "172.16.0.0/12")) == {"proxy_headers": True,
                                                               "forwarded_allow_ips": "10.0.0.0/8,172.16.0.0/12"}
    settings = load_settings({"KEHOU_TRUSTED_PROXIES": " 10.0.0.5 , 172.16.0.0/12,"})
    assert settings.server.trusted_proxies == ("10.0.0.5", "172.16.0.0/12")
    assert load_settings({}).server.trusted_proxies == ()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _token(port: int, forwarded_for: str) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/token", method="POST",
                                 data=json.dumps({"username": "nobody", "password": "wrong-password-1"}).encode(),
                                 headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_rotated_x_forwarded_for_does_not_escape_the_limit_on_the_real_server(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHOU_")}
    env |= {"KEHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}", "KEHOU_DATA_DIR": str(tmp_path),
            "KEHOU_EMBEDDED_WORKER": "false", "KEHOU_LOGIN_MAX_FAILURES": "3"}
    subprocess.run([sys.executable, "-m", "kehou", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=120)
    proc = subprocess.Popen([sys.executable, "-m", "kehou", "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=(tmp_path / "server.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.2)
        statuses = [_token(port, f"198.51.100.{n}") for n in range(5)]
        assert statuses == [401, 401, 401, 429, 429], statuses
    finally:
        proc.terminate()
        proc.wait(timeout=30)
