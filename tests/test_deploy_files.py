"""The deployment files agree with kehou/settings.py.

- .env.example names every KEHOU_* variable settings.py reads, and no other
  (but the few names tooling reads, which settings.py lets through);
- docker-compose.yml parses, has the expected services, sets only KEHOU_*
  variables settings.py reads, passes every setting production uses to web,
  worker and beat (the secrets required with ${NAME:?...}), and what it passes
  loads without a settings error; docs/deployment.md's table of what compose
  passes matches the file;
- the Dockerfile installs from the lock file (uv sync --frozen).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

from kehou.settings import SettingsError, is_accepted_name, load_settings, setting_names

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "kehou" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"

KEHOU_NAME = re.compile(r"\bKEHOU_[A-Z0-9_]+\b")
# Compose interpolation: ${NAME}, ${NAME:-default}, ${NAME:?message}, ... ("$$" is a literal "$").
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")

EXPECTED_SERVICES = {"web", "worker", "beat", "migrate", "postgres", "redis", "minio", "minio-init"}
APP_SERVICES = ("web", "worker", "beat")
#: Settings compose does not pass: they do not apply in the image (uvicorn always on 0.0.0.0:8000, MinIO
#: instead of local files) or are for tests only. Everything else production may need to set is passed.
NOT_PASSED_BY_COMPOSE = {"KEHOU_HOST", "KEHOU_PORT", "KEHOU_STORAGE_ROOT", "KEHOU_TASKS_EAGER", "KEHOU_STRIPE_API_BASE"}
#: Secrets compose must refuse to start without (``${NAME:?message}``).
REQUIRED_BY_COMPOSE = {"KEHOU_SECRET_KEY", "KEHOU_PII_KEY", "KEHOU_MINIO_SECRET_KEY"}


def settings_names() -> set[str]:
    """The KEHOU_* names settings.py reads (load_settings records each name it reads)."""
    names = set(setting_names())
    assert len(names) >= 20, f"settings.py reads too few names: {sorted(names)}"
    # Every name it reads is also spelt out in its source (no name built at run time escapes review).
    source = SETTINGS.read_text(encoding="utf-8")
    assert all(f'"{n.removeprefix("KEHOU_")}"' in source for n in names)
    return names


def env_example_assigned() -> set[str]:
    """Names given a value in .env.example, on lines commented out or not."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    return set(re.findall(r"^[ \t]*(?:#[ \t]*)?(KEHOU_[A-Z0-9_]+)=", text, flags=re.MULTILINE))


def env_example_assignments() -> list[tuple[str, str]]:
    """(name, value) for every uncommented assignment in .env.example."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    return re.findall(r"^[ \t]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$", text, flags=re.MULTILINE)


def load_compose() -> dict[str, Any]:
    if importlib.util.find_spec("yaml") is None:
        pytest.skip("PyYAML is not installed in this environment, so docker-compose.yml cannot be parsed")
    import yaml

    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


def service_environment(service: dict[str, Any]) -> dict[str, str | None]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["NAME=value", "NAME"]
        out: dict[str, str | None] = {}
        for item in env:
            name, sep, value = str(item).partition("=")
            out[name] = value if sep else None
        return out
    assert isinstance(env, dict), f"environment must be a list or mapping, got {type(env).__name__}"
    return {str(k): (None if v is None else str(v)) for k, v in env.items()}


# --- .env.example ------------------------------------------------------------


def test_env_example_lists_every_setting() -> None:
    missing = settings_names() - env_example_assigned()
    assert not missing, f".env.example lacks variables settings.py reads: {sorted(missing)}"


def test_env_example_names_nothing_settings_does_not_read() -> None:
    known = settings_names()
    mentioned = set(KEHOU_NAME.findall(ENV_EXAMPLE.read_text(encoding="utf-8")))
    # The names tooling reads (KEHOU_ADMIN_PASSWORD, KEHOU_TEST_*, ...) may be mentioned, never assigned.
    unknown = {n for n in mentioned if not is_accepted_name(n, known)}
    assert not unknown, f".env.example names KEHOU_* variables settings.py does not read: {sorted(unknown)}"
    assert env_example_assigned() <= known


def test_env_example_documents_the_checks_and_empty_values() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    flat = " ".join(line.lstrip("# ").strip() for line in text.splitlines())
    assert "used as-is" not in flat and "anything else means false" not in flat
    assert "unset, empty or only blanks means its default" in flat
    assert "1/0, true/false, yes/no or on/off" in flat
    assert "http://localhost:9000" in flat  # compose's default for KEHOU_MINIO_PUBLIC_URL


def test_env_example_sets_nothing_by_default() -> None:
    """Every line is commented out: copying the file as is changes no default
    (and, in particular, sets no variable to an empty value)."""
    assert env_example_assignments() == []


def test_env_example_comments_every_setting() -> None:
    """Each variable's first line is preceded by a comment block saying what it is and its default."""
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    seen: set[str] = set()
    for i, line in enumerate(lines):
        m = re.match(r"^#[ \t]*(KEHOU_[A-Z0-9_]+)=", line)
        if not m or m.group(1) in seen:
            continue
        seen.add(m.group(1))
        block: list[str] = []
        j = i - 1
        while j >= 0 and lines[j].startswith("#") and not re.match(r"^#[ \t]*[A-Z][A-Z0-9_]*=", lines[j]):
            block.append(lines[j])
            j -= 1
        assert any("Default:" in b for b in block), f"{m.group(1)} in .env.example has no comment giving its default"


def test_env_example_warns_about_production_secrets() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert "postgresql+psycopg://" in text
    assert "redis://" in text
    assert "KEHOU_STORAGE_BACKEND=minio" in text
    assert "unreadable" in text.lower()  # losing KEHOU_PII_KEY


# --- docker-compose.yml --------------------------------------------------------


def test_compose_parses_and_has_the_services() -> None:
    data = load_compose()
    services = data.get("services")
    assert isinstance(services, dict)
    missing = EXPECTED_SERVICES - set(services)
    assert not missing, f"docker-compose.yml lacks services: {sorted(missing)}"
    for name, service in services.items():
        assert isinstance(service, dict), name
        assert "image" in service or "build" in service, f"service {name} has neither image nor build"


def test_compose_sets_only_kehou_variables_settings_reads() -> None:
    known = settings_names()
    services = load_compose()["services"]
    for name, service in services.items():
        unknown = {k for k in service_environment(service) if k.startswith("KEHOU_")} - known
        assert not unknown, f"service {name} sets KEHOU_* variables settings.py does not read: {sorted(unknown)}"
    # Also interpolations and any other mention anywhere in the file.
    unknown = set(KEHOU_NAME.findall(COMPOSE.read_text(encoding="utf-8"))) - known
    assert not unknown, f"docker-compose.yml names KEHOU_* variables settings.py does not read: {sorted(unknown)}"


def test_compose_interpolated_variables_are_documented() -> None:
    """Every ${NAME} compose reads from .env is listed in .env.example."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?[ \t]*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    used = set(INTERPOLATION.findall(COMPOSE.read_text(encoding="utf-8")))
    assert used, "docker-compose.yml interpolates nothing from .env"
    undocumented = used - documented
    assert not undocumented, f".env.example does not document {sorted(undocumented)}"


def test_compose_app_services_use_production_backends() -> None:
    services = load_compose()["services"]
    for name in APP_SERVICES:
        env = service_environment(services[name])
        assert (env.get("KEHOU_DATABASE_URL") or "").startswith("postgresql+psycopg://"), name
        assert (env.get("KEHOU_BROKER_URL") or "").startswith("redis://"), name
        assert (env.get("KEHOU_RESULT_BACKEND") or "").startswith("redis://"), name
        assert env.get("KEHOU_STORAGE_BACKEND") == "minio", name
        assert env.get("KEHOU_EMBEDDED_WORKER") == "false", name
        assert env.get("KEHOU_DEBUG") in (None, "false"), name
    assert services["worker"]["command"][:4] == ["celery", "-A", "kehou.tasks.worker", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "kehou.tasks.worker", "beat"]
    web_deps = services["web"]["depends_on"]
    assert web_deps["postgres"]["condition"] == "service_healthy"
    assert web_deps["redis"]["condition"] == "service_healthy"
    assert web_deps["minio-init"]["condition"] == "service_completed_successfully"
    for name in ("web", "worker", "postgres", "redis", "minio"):
        assert "healthcheck" in services[name], f"service {name} has no healthcheck"


def test_compose_migrates_first_and_nothing_waits_for_web_readiness() -> None:
    """web is ready only when the outbox keeps up, and worker and beat sweep the outbox: they must not
    wait for web's health (a deadlock after an outage), only for the one-shot migration."""
    services = load_compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["kehou", "migrate"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in APP_SERVICES:
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert "web" not in deps, f"{name} waits for web"
    assert services["worker"]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"


def test_compose_healthchecks_use_readiness_and_a_worker_ping() -> None:
    services = load_compose()["services"]
    web = services["web"]["healthcheck"]
    assert "http://127.0.0.1:8000/readyz" in " ".join(web["test"]) and "timeout=" in " ".join(web["test"])
    worker = services["worker"]["healthcheck"]
    assert worker["test"][0] == "CMD-SHELL"  # the shell expands $HOSTNAME
    ping = worker["test"][1]
    assert ping.startswith("celery -A kehou.tasks.worker inspect ping -d celery@$$HOSTNAME --timeout "), ping
    for check in (web, worker):
        assert {"interval", "timeout", "retries", "start_period"} <= set(check)


def _seconds(duration: str) -> int:
    m = re.fullmatch(r"(\d+)s", str(duration))
    assert m, duration
    return int(m.group(1))


def test_compose_worker_ping_fits_its_healthcheck_timeout() -> None:
    worker = load_compose()["services"]["worker"]["healthcheck"]
    ping_timeout = float(re.search(r"--timeout (\d+(?:\.\d+)?)", worker["test"][1]).group(1))  # type: ignore[union-attr]
    # Importing the app and connecting to the broker take seconds on top of the ping's own wait.
    assert ping_timeout + 5 <= _seconds(worker["timeout"])


# --- compose passes what production needs ------------------------------------


def app_environments() -> dict[str, dict[str, str | None]]:
    services = load_compose()["services"]
    return {name: service_environment(services[name]) for name in APP_SERVICES}


def compose_interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation of ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?msg}, ${NAME?msg}
    and "$$", from ``env`` (what .env holds)."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.group("name"), m.group("op") or "", m.group("arg") or ""
        value = env.get(name)
        if op in (":?", "?") and (value is None or (op == ":?" and value == "")):
            raise AssertionError(f"compose would refuse to start: {name}: {arg}")
        if op == ":-" and not value:
            return arg
        if op == "-" and value is None:
            return arg
        return value or ""

    pattern = r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    return re.sub(pattern, one, value)


REQUIRED_DOTENV = {
    "POSTGRES_PASSWORD": "pgpass1234", "MINIO_ROOT_PASSWORD": "rootpass1234",
    "KEHOU_SECRET_KEY": "s" * 48, "KEHOU_PII_KEY": "p" * 48, "KEHOU_MINIO_SECRET_KEY": "m" * 16,
}


def test_compose_passes_every_production_setting_to_web_worker_and_beat() -> None:
    expected = settings_names() - NOT_PASSED_BY_COMPOSE
    assert {"KEHOU_STRIPE_SECRET_KEY", "KEHOU_STRIPE_WEBHOOK_SECRET", "KEHOU_MINIO_PUBLIC_URL"} <= expected
    for name, env in app_environments().items():
        passed = {k for k in env if k.startswith("KEHOU_")}
        missing = expected - passed
        assert not missing, f"service {name} is not given {sorted(missing)}"
        extra = passed & NOT_PASSED_BY_COMPOSE
        assert not extra, f"service {name} is given {sorted(extra)}, which do not apply in the image"
        # A bare "NAME:" would pass the shell's value only, depending on the compose version: interpolate instead.
        bare = sorted(k for k, v in env.items() if v is None)
        assert not bare, f"service {name} passes {bare} without a value or ${{...}}"


def test_compose_requires_the_secrets() -> None:
    for name, env in app_environments().items():
        for secret in REQUIRED_BY_COMPOSE:
            assert re.fullmatch(rf"\$\{{{secret}:\?[^}}]+\}}", env[secret] or ""), (name, secret, env[secret])
        required = {k for k, v in env.items() if k.startswith("KEHOU_") and ":?" in (v or "")}
        assert required - {"KEHOU_DATABASE_URL"} == REQUIRED_BY_COMPOSE, name
    with pytest.raises(AssertionError, match="KEHOU_PII_KEY"):
        compose_interpolate(app_environments()["web"]["KEHOU_PII_KEY"] or "", {})


def test_what_compose_passes_loads_and_reaches_a_browser() -> None:
    """With only the required values in .env, every app service's environment is accepted by load_settings;
    download links are signed for a URL a browser reaches, the bucket's port is published on 127.0.0.1."""
    services = load_compose()["services"]
    for name, env in app_environments().items():
        resolved = {k: compose_interpolate(v or "", REQUIRED_DOTENV) for k, v in env.items()}
        settings = load_settings({k: v for k, v in resolved.items() if k.startswith("KEHOU_")})
        assert settings.storage.backend == "minio" and settings.storage.minio_endpoint == "minio:9000", name
        assert settings.storage.minio_public_url == "http://localhost:9000", name
        assert settings.security.secure_cookies is True, name
        assert settings.security.secret_key == REQUIRED_DOTENV["KEHOU_SECRET_KEY"], name
        assert settings.database.url == "postgresql+psycopg://kehou:pgpass1234@postgres:5432/kehou", name
        # Stripe is off unless both keys are set in .env; set, they reach the container.
        assert settings.payments.stripe_secret_key == "" and settings.payments.stripe_methods == ("wechat_pay", "alipay", "card")
        with_stripe = {**REQUIRED_DOTENV, "KEHOU_STRIPE_SECRET_KEY": "sk_live_x", "KEHOU_STRIPE_WEBHOOK_SECRET": "whsec_y",
                       "KEHOU_SESSION_MAX_AGE": "3600"}
        resolved = {k: compose_interpolate(v or "", with_stripe) for k, v in env.items() if k.startswith("KEHOU_")}
        settings = load_settings(resolved)
        assert (settings.payments.stripe_secret_key, settings.payments.stripe_webhook_secret) == ("sk_live_x", "whsec_y")
        assert settings.security.session_max_age_s == 3600
        # A typo in .env reaches Kehou, which refuses it.
        broken = {**REQUIRED_DOTENV, "KEHOU_SECURE_COOKIES": "ture"}
        with pytest.raises(SettingsError, match="KEHOU_SECURE_COOKIES"):
            load_settings({k: compose_interpolate(v or "", broken) for k, v in env.items() if k.startswith("KEHOU_")})
    assert "127.0.0.1:9000:9000" in services["minio"]["ports"]


def _doc_table_row(label: str) -> set[str]:
    text = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith(f"| {label}")]
    assert len(rows) == 1, f"docs/deployment.md has no single table row starting with {label!r}"
    return set(KEHOU_NAME.findall(rows[0]))


def test_deployment_doc_matches_what_compose_passes() -> None:
    env = app_environments()["web"]
    passed = {k for k in env if k.startswith("KEHOU_")}
    fixed = {k for k, v in env.items() if k.startswith("KEHOU_") and "${" not in (v or "")} | {"KEHOU_DATABASE_URL"}
    required = {k for k, v in env.items() if k.startswith("KEHOU_") and ":?" in (v or "")} - {"KEHOU_DATABASE_URL"}
    doc_fixed = _doc_table_row("Fixed by the compose file")
    doc_required = _doc_table_row("Required")
    doc_defaulted = _doc_table_row("Defaulted by compose")
    doc_optional = _doc_table_row("Optional, passed on")
    doc_not_passed = _doc_table_row("Not passed")
    assert doc_fixed == fixed
    assert doc_required == required == REQUIRED_BY_COMPOSE
    assert doc_fixed | doc_required | doc_defaulted | doc_optional == passed
    assert not (doc_defaulted & doc_optional) and not ((doc_defaulted | doc_optional) & (doc_fixed | doc_required))
    assert doc_not_passed == settings_names() - passed == NOT_PASSED_BY_COMPOSE
    text = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    assert "used as is" not in text and "used as-is" not in text
    assert "/readyz" in text and "inspect ping" in text


def test_compose_bucket_is_never_public() -> None:
    services = load_compose()["services"]
    init = services["minio-init"]
    script = " ".join(map(str, init.get("command") or [])) + " " + str(init.get("entrypoint") or "")
    assert "mc mb" in script
    assert "anonymous set none" in script
    for public in ("anonymous set public", "anonymous set download", "anonymous set upload", "policy set public"):
        assert public not in script


# --- Dockerfile ----------------------------------------------------------------


def test_dockerfile_installs_from_the_lock_file() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, flags=re.MULTILINE)
    assert "uv sync --frozen --no-dev --no-install-project" in text
    syncs = re.findall(r"\buv sync\b[^\n]*", text)
    assert syncs and all("--frozen" in s for s in syncs), syncs
    # Dependencies are installed from pyproject.toml + uv.lock before the source is copied.
    assert text.index("COPY pyproject.toml uv.lock") < text.index("--no-install-project") < text.index("COPY . .")


def test_dockerfile_runs_unprivileged_and_migrates_first() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    users = re.findall(r"^USER[ \t]+(\S+)", text, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r"^EXPOSE[ \t]+8000\b", text, flags=re.MULTILINE)
    script = ENTRYPOINT.read_text(encoding="utf-8")
    assert script.index("kehou migrate") < script.index("kehou serve --no-worker --host 0.0.0.0 --port 8000")
    assert ENTRYPOINT.stat().st_mode & 0o111, "docker/entrypoint.sh is not executable"
