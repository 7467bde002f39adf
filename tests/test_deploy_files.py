"""The deployment files agree with kehou/settings.py.

- .env.example names every KEHOU_* variable settings.py reads, and no other;
- docker-compose.yml parses, has the expected services, and sets only
  KEHOU_* variables settings.py reads;
- the Dockerfile installs from the lock file (uv sync --frozen).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "kehou" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"

KEHOU_NAME = re.compile(r"\bKEHOU_[A-Z0-9_]+\b")
# Compose interpolation: ${NAME}, ${NAME:-default}, ${NAME:?message}, ... ("$$" is a literal "$").
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")

EXPECTED_SERVICES = {"web", "worker", "beat", "postgres", "redis", "minio", "minio-init"}


def settings_names() -> set[str]:
    """The KEHOU_* names settings.py reads, from its _env("NAME", ...) / _bool("NAME", ...) calls."""
    source = SETTINGS.read_text(encoding="utf-8")
    names = {f"KEHOU_{n}" for n in re.findall(r"\b_(?:env|bool)\(\s*[\"']([A-Z0-9_]+)[\"']", source)}
    assert len(names) >= 20, f"parsed too few names from settings.py: {sorted(names)}"
    return names


def env_example_assigned() -> set[str]:
    """Names given a value in .env.example, commented out (``# KEHOU_X=``) or not."""
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
    unknown = mentioned - known
    assert not unknown, f".env.example names KEHOU_* variables settings.py does not read: {sorted(unknown)}"


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
    for name in ("web", "worker", "beat"):
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
    for name in ("web", "postgres", "redis", "minio"):
        assert "healthcheck" in services[name], f"service {name} has no healthcheck"


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
