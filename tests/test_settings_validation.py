"""Settings are validated at start: an unknown KEHOU_* name, a boolean that is not one, a number that does
not parse or is out of range are refused with a message naming the variable and what it accepts; an empty
value means the default; the ``kehou`` command says so and exits 2, without a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kehou.cli.main import main
from kehou.settings import (
    TOOLING_NAMES,
    TOOLING_PREFIXES,
    SettingsError,
    is_accepted_name,
    load_settings,
    setting_names,
)

ROOT = Path(__file__).resolve().parent.parent
KEHOU_NAME = re.compile(r"\bKEHOU_[A-Z0-9_]*[A-Z0-9]_?")


def refused(environ: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as info:
        load_settings(environ)
    return str(info.value)


# --- unknown names -------------------------------------------------------------


def test_an_unknown_name_is_refused_with_the_closest_setting() -> None:
    message = refused({"KEHOU_SECURE_COOKIE": "true"})
    assert "KEHOU_SECURE_COOKIE is not a Kehou setting (did you mean KEHOU_SECURE_COOKIES?)" in message
    assert "Accepted names: " in message and "KEHOU_DATABASE_URL" in message and "KEHOU_TEST_*" in message


def test_an_unknown_name_without_a_close_one() -> None:
    message = refused({"KEHOU_FROBNICATE": "1"})
    assert "KEHOU_FROBNICATE is not a Kehou setting" in message and "did you mean" not in message


def test_the_value_of_an_unknown_name_is_not_shown() -> None:
    """A misspelt secret must not end up in a log."""
    message = refused({"KEHOU_SECRETKEY": "hunter2-very-secret"})
    assert "KEHOU_SECRETKEY" in message and "KEHOU_SECRET_KEY?" in message
    assert "hunter2" not in message


def test_other_variables_are_not_kehous_business() -> None:
    load_settings({"PATH": "/bin", "kehou_debug": "whatever", "XKEHOU_DEBUG": "x", "WEB_CONCURRENCY": "4"})


@pytest.mark.parametrize("name", ["KEHOU_ADMIN_PASSWORD", "KEHOU_TEST_DATABASE_URL", "KEHOU_TEST_WORKERS",
                                  "KEHOU_BENCH_DATABASE_URL", "KEHOU_BENCH_OUTCOME_URL", "KEHOU_BENCH_PG_URL",
                                  "KEHOU_PRODCHECK_REDIS"])
def test_names_read_by_tooling_are_accepted(name: str) -> None:
    load_settings({name: "postgresql+psycopg://u@h/db"})


def _names_the_repository_uses() -> dict[str, set[str]]:
    """KEHOU_* names written in the repository's scripts, docs, code and tests (a name ending in "_" is a
    prefix, as in ``KEHOU_LOGIN_*``)."""
    files = [ROOT / "dev", ROOT / "Dockerfile", ROOT / "docker-compose.yml", ROOT / ".env.example", ROOT / "README.md"]
    files += [p for p in (ROOT / ".ci").iterdir() if p.is_file()]
    files += [p for p in (ROOT / "docker").iterdir() if p.is_file()]
    files += sorted((ROOT / "docs").rglob("*.md")) + sorted((ROOT / "benchmarks").rglob("*.py"))
    files += sorted((ROOT / "kehou").rglob("*.py"))
    found: dict[str, set[str]] = {}
    for path in files:
        for name in KEHOU_NAME.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    # In tests, only names set or read as strings or keywords (tests also hold Python names like KEHOU_NAME).
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name == Path(__file__).name:
            continue
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"[\"'](KEHOU_[A-Z0-9_]+)[\"']|\b(KEHOU_[A-Z0-9_]+)=", text):
            found.setdefault(name[0] or name[1], set()).add(str(path.relative_to(ROOT)))
    return found


#: The typo docs/deployment.md uses as its example of a refused name.
DOCUMENTED_TYPOS = {"KEHOU_SECURE_COOKIE"}


def test_every_name_the_repository_uses_is_accepted() -> None:
    """dev, CI, the Dockerfile, compose, the docs, the benchmarks and the tests set or mention no KEHOU_* name
    that load_settings would refuse."""
    known = setting_names()
    found = _names_the_repository_uses()
    assert {"KEHOU_TEST_DATABASE_URL", "KEHOU_TEST_WORKERS", "KEHOU_BENCH_DATABASE_URL", "KEHOU_PRODCHECK_REDIS",
            "KEHOU_ADMIN_PASSWORD", "KEHOU_DATA_DIR"} <= set(found)
    refused_names = {}
    for name, where in found.items():
        if name in DOCUMENTED_TYPOS:
            continue
        if name.endswith("_"):  # a prefix: some setting or tooling name must start with it
            ok = any(n.startswith(name) for n in known | TOOLING_NAMES) or name in TOOLING_PREFIXES
        else:
            ok = is_accepted_name(name, known)
        if not ok:
            refused_names[name] = sorted(where)
    assert not refused_names, f"names load_settings would refuse: {refused_names}"


def test_the_environment_this_suite_runs_in_is_accepted() -> None:
    load_settings()  # os.environ: whatever ./dev test, .ci/run or the developer set


# --- booleans ------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("TRUE", True), (" Yes ", True), ("on", True),
                                            ("0", False), ("false", False), ("No", False), ("OFF", False)])
def test_booleans_accept_the_documented_words(raw: str, value: bool) -> None:
    assert load_settings({"KEHOU_SECURE_COOKIES": raw}).security.secure_cookies is value
    assert load_settings({"KEHOU_MINIO_SECURE": raw}).storage.minio_secure is value


@pytest.mark.parametrize("raw", ["ture", "flase", "2", "y", "n", "enabled", "true!"])
def test_a_boolean_typo_is_refused_naming_the_variable(raw: str) -> None:
    message = refused({"KEHOU_SECURE_COOKIES": raw})
    assert f"KEHOU_SECURE_COOKIES={raw!r} is not a boolean" in message
    assert "accepted values: 1, 0, true, false, yes, no, on, off" in message


# --- numbers -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "raw"), [("KEHOU_DATABASE_POOL_SIZE", "ten"), ("KEHOU_DATABASE_POOL_SIZE", "1.5"),
                                           ("KEHOU_SESSION_MAX_AGE", "8h"), ("KEHOU_PORT", "80a"),
                                           ("KEHOU_ARGON2_MEMORY_KIB", "64MiB")])
def test_a_bad_integer_is_refused(name: str, raw: str) -> None:
    message = refused({name: raw})
    assert f"{name}={raw!r} is not an integer; accepted values: a whole number from" in message


@pytest.mark.parametrize(("name", "raw"), [("KEHOU_DATABASE_POOL_SIZE", "0"), ("KEHOU_DATABASE_POOL_SIZE", "-5"),
                                           ("KEHOU_PORT", "70000"), ("KEHOU_LOGIN_MAX_FAILURES", "0"),
                                           ("KEHOU_REQUEST_QUEUE", "-1")])
def test_an_integer_out_of_range_is_refused(name: str, raw: str) -> None:
    assert f"{name}={raw!r} is out of range" in refused({name: raw})


@pytest.mark.parametrize(("raw", "what"), [("five", "is not a number"), ("5s", "is not a number"),
                                           ("nan", "is not a finite number"), ("inf", "is not a finite number"),
                                           ("-1", "is out of range")])
def test_a_bad_number_is_refused(raw: str, what: str) -> None:
    message = refused({"KEHOU_AUTH_CACHE_SECONDS": raw})
    assert f"KEHOU_AUTH_CACHE_SECONDS={raw!r} {what}; accepted values: a number" in message


def test_numbers_that_parse_are_used() -> None:
    s = load_settings({"KEHOU_DATABASE_POOL_SIZE": " 7 ", "KEHOU_AUTH_CACHE_SECONDS": "0.5", "KEHOU_REQUEST_QUEUE_WAIT": "0",
                       "KEHOU_PORT": "8080", "KEHOU_MAX_ACTIVE_REQUESTS": "0"})
    assert (s.database.pool_size, s.security.auth_cache_s, s.server.request_queue_wait_s) == (7, 0.5, 0.0)
    assert s.server.port == 8080 and s.server.base_url == "http://127.0.0.1:8080"


def test_argon2_memory_must_fit_the_lanes() -> None:
    message = refused({"KEHOU_ARGON2_MEMORY_KIB": "16", "KEHOU_ARGON2_PARALLELISM": "4"})
    assert "KEHOU_ARGON2_MEMORY_KIB=16 is too small for KEHOU_ARGON2_PARALLELISM=4" in message


# --- choices and URLs -----------------------------------------------------------


def test_storage_backend_is_local_or_minio() -> None:
    assert "KEHOU_STORAGE_BACKEND='s3' is not one of the accepted values: local, minio" in refused(
        {"KEHOU_STORAGE_BACKEND": "s3"})
    assert load_settings({"KEHOU_STORAGE_BACKEND": " MinIO ", "KEHOU_MINIO_ENDPOINT": "minio:9000"}).storage.backend == "minio"


def test_minio_needs_an_endpoint_without_a_scheme() -> None:
    assert "KEHOU_MINIO_ENDPOINT is empty but KEHOU_STORAGE_BACKEND=minio needs it" in refused(
        {"KEHOU_STORAGE_BACKEND": "minio"})
    assert "KEHOU_MINIO_ENDPOINT='http://minio:9000' is not host:port" in refused(
        {"KEHOU_STORAGE_BACKEND": "minio", "KEHOU_MINIO_ENDPOINT": "http://minio:9000"})


@pytest.mark.parametrize("raw", ["localhost:9000", "ftp://files.example.cn", "https://files.example.cn/kehou", "https://"])
def test_the_minio_public_url_is_a_base_url(raw: str) -> None:
    assert f"KEHOU_MINIO_PUBLIC_URL={raw!r} is not a base URL" in refused({"KEHOU_MINIO_PUBLIC_URL": raw})


def test_a_good_minio_public_url_is_used() -> None:
    for raw in ("http://localhost:9000", "https://files.example.gov.cn", "https://files.example.gov.cn/"):
        assert load_settings({"KEHOU_MINIO_PUBLIC_URL": raw}).storage.minio_public_url == raw


# --- several problems, empty values, the default environment ----------------------


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({"KEHOU_DEBUG": "ture", "KEHOU_PORT": "eighty", "KEHOU_NOPE": "1"})
    assert len(info.value.problems) == 3
    assert isinstance(info.value, ValueError)
    first_line = str(info.value).splitlines()[0]
    assert first_line == "invalid settings, 3 problems in the KEHOU_* environment variables:"


@pytest.mark.parametrize("empty", ["", "   ", "\t"])
def test_an_empty_value_means_the_default_for_every_setting(empty: str) -> None:
    """As documented in .env.example and docs/deployment.md (and what compose's ${NAME:-} passes)."""
    defaults = load_settings({})
    for name in sorted(setting_names()):
        assert load_settings({name: empty}) == defaults, name
    assert load_settings(dict.fromkeys(setting_names(), empty)) == defaults


def test_empty_booleans_take_their_default_not_false() -> None:
    s = load_settings({"KEHOU_MINIO_SECURE": "", "KEHOU_EMBEDDED_WORKER": ""})
    assert s.storage.minio_secure is True and s.tasks.embedded_worker is True


def test_load_settings_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEHOU_SESSION_MAX_AGE", "60")
    assert load_settings().security.session_max_age_s == 60
    monkeypatch.setenv("KEHOU_SESSION_MAX_AGE", "sixty")
    with pytest.raises(SettingsError, match="KEHOU_SESSION_MAX_AGE='sixty' is not an integer"):
        load_settings()


def test_setting_names_are_exactly_what_load_settings_reads() -> None:
    names = setting_names()
    assert {"KEHOU_SECURE_COOKIES", "KEHOU_STRIPE_SECRET_KEY", "KEHOU_MINIO_PUBLIC_URL", "KEHOU_TASKS_EAGER"} <= names
    assert all(n.startswith("KEHOU_") for n in names)
    assert not any(is_accepted_name(n, set()) for n in names)  # no setting hides behind a tooling prefix
    load_settings(dict.fromkeys(names, ""))


# --- the kehou command -------------------------------------------------------------


def test_main_prints_the_message_and_returns_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    monkeypatch.setenv("KEHOU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KEHOU_SECURE_COOKIES", "ture")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kehou: invalid settings, 1 problem")
    assert "KEHOU_SECURE_COOKIES='ture' is not a boolean" in err
    assert not (tmp_path / "data").exists()  # nothing was done


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHOU_")}
    env.update(KEHOU_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


@pytest.mark.parametrize(("extra", "expected"), [
    ({"KEHOU_SECURE_COOKIES": "ture"}, "KEHOU_SECURE_COOKIES='ture' is not a boolean; accepted values: 1, 0, true, false"),
    ({"KEHOU_DATABASE_POOL_SIZE": "twenty"}, "KEHOU_DATABASE_POOL_SIZE='twenty' is not an integer"),
    ({"KEHOU_SECURE_COOKIE": "true"}, "KEHOU_SECURE_COOKIE is not a Kehou setting (did you mean KEHOU_SECURE_COOKIES?)"),
])
def test_the_kehou_command_exits_non_zero_without_a_traceback(tmp_path: Path, extra: dict[str, str], expected: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "kehou", "migrate"], env=_clean_env(tmp_path, **extra), cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert not (tmp_path / "data").exists()


def test_every_setting_key_fits_the_audit_log() -> None:
    """A change of a setting is audited with "<scope>:<key>" as the entity id (PostgreSQL enforces its width)."""
    from kehou.platform.audit.models import AuditEntry
    from kehou.plugin_manager import build_plugin_manager

    width = AuditEntry.__table__.c.entity_id.type.length
    keys = [spec.key for answer in build_plugin_manager().hook.kehou_register_settings() for spec in answer]
    assert [k for k in keys if len(f"330106:{k}") > width] == []
