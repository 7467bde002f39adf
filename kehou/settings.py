"""Settings from ``KEHOU_*`` environment variables.

Frozen dataclasses, read when ``load_settings()`` is called (never cached at
import), so tests and the launcher can build several apps with different
settings. Every variable is listed in ``.env.example``.

``load_settings()`` checks the environment before anything starts and raises
:class:`SettingsError`, naming each offending variable and what it accepts, for

- a ``KEHOU_*`` name it does not read (a typo such as ``KEHOU_SECURE_COOKIE``),
  except the few names tooling reads (:data:`TOOLING_NAMES`, :data:`TOOLING_PREFIXES`);
- a boolean other than 1/0, true/false, yes/no, on/off (any case), so ``ture`` is refused, not false;
- an integer or number that does not parse, or is out of range;
- a storage backend other than ``local`` or ``minio``, and a malformed MinIO endpoint or public URL.

A variable that is unset, empty or only blanks means its default, for every kind of setting.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PREFIX = "KEHOU_"
#: ``KEHOU_*`` names read by something other than ``load_settings()``; the unknown-name check lets them
#: through: ``kehou create-admin``'s password, and the test suite's, the benchmarks' and CI's own variables.
TOOLING_NAMES = frozenset({"KEHOU_ADMIN_PASSWORD"})
TOOLING_PREFIXES = ("KEHOU_TEST_", "KEHOU_BENCH_", "KEHOU_PRODCHECK_")

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
BOOLEAN_WORDS = "1, 0, true, false, yes, no, on, off, in any case"
STORAGE_BACKENDS = ("local", "minio")


class SettingsError(ValueError):
    """The ``KEHOU_*`` environment cannot be used; the message names every problem found."""

    def __init__(self, problems: list[str], hint: str = "") -> None:
        self.problems = list(problems)
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        lines = [f"invalid settings, {count} in the KEHOU_* environment variables:"]
        lines += [f"  - {p}" for p in problems]
        if hint:
            lines.append(hint)
        lines.append("Unset a variable, or set it to an empty value, to use its default; .env.example lists every setting.")
        super().__init__("\n".join(lines))


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")


class _Reader:
    """Reads ``KEHOU_<name>`` from ``environ``, remembers every name it was asked for, and collects the
    problems instead of stopping at the first one."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.names: set[str] = set()
        self.problems: list[str] = []

    def raw(self, name: str) -> str | None:
        """The value, or None when unset, empty or only blanks (all of which mean the default)."""
        key = PREFIX + name
        self.names.add(key)
        value = self.environ.get(key)
        return None if value is None or not value.strip() else value

    def text(self, name: str, default: str) -> str:
        raw = self.raw(name)
        return default if raw is None else raw

    def flag(self, name: str, default: bool) -> bool:
        raw = self.raw(name)
        if raw is None:
            return default
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.problems.append(f"{PREFIX}{name}={_shown(raw)} is not a boolean; accepted values: {BOOLEAN_WORDS}"
                             f" (default {'true' if default else 'false'})")
        return default

    def integer(self, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.raw(name)
        if raw is None:
            return default
        accepted = f"a whole number from {minimum}" + (f" to {maximum}" if maximum is not None else " up")
        try:
            value = int(raw.strip())
        except ValueError:
            self.problems.append(f"{PREFIX}{name}={_shown(raw)} is not an integer; accepted values: {accepted}"
                                 f" (default {default})")
            return default
        if value < minimum or (maximum is not None and value > maximum):
            self.problems.append(f"{PREFIX}{name}={_shown(raw)} is out of range; accepted values: {accepted}"
                                 f" (default {default})")
            return default
        return value

    def number(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        raw = self.raw(name)
        if raw is None:
            return default
        accepted = f"a number (decimals allowed) from {minimum:g} up"
        try:
            value = float(raw.strip())
        except ValueError:
            self.problems.append(f"{PREFIX}{name}={_shown(raw)} is not a number; accepted values: {accepted}"
                                 f" (default {default:g})")
            return default
        if not math.isfinite(value) or value < minimum:
            what = "out of range" if math.isfinite(value) else "not a finite number"
            self.problems.append(f"{PREFIX}{name}={_shown(raw)} is {what}; accepted values: {accepted}"
                                 f" (default {default:g})")
            return default
        return value

    def choice(self, name: str, default: str, choices: Collection[str]) -> str:
        raw = self.raw(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value not in choices:
            self.problems.append(f"{PREFIX}{name}={_shown(raw)} is not one of the accepted values: {', '.join(choices)}"
                                 f" (default {default})")
            return default
        return value

    def check(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)

    def unknown_names(self) -> list[str]:
        return sorted(k for k in self.environ if k.startswith(PREFIX) and not is_accepted_name(k, self.names))


def is_accepted_name(name: str, settings: Collection[str]) -> bool:
    return name in settings or name in TOOLING_NAMES or name.startswith(TOOLING_PREFIXES)


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    pool_size: int = 20
    echo: bool = False


@dataclass(frozen=True)
class SecuritySettings:
    secret_key: str
    pii_key: str
    secure_cookies: bool = False
    session_max_age_s: int = 8 * 3600
    login_max_failures: int = 5
    login_window_s: int = 15 * 60
    login_ip_max_failures: int = 30
    # failures of one account from all addresses together: far above the per-(account, address) limit, so a
    # stranger cannot lock a user out, yet a spread-out guessing run still stops
    login_account_max_failures: int = 50
    # the Ed25519 key that signs audit checkpoints (not in the database; empty: <data dir>/keys/audit-ed25519.pem,
    # made on first use) and a directory that receives every checkpoint as a new file (a write-once mount)
    audit_key_file: str = ""
    audit_anchor_dir: str = ""
    # argon2id cost for new password hashes; production defaults are argon2-cffi's (RFC 9106 low-memory).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # How long one process trusts a token it has looked up (revocation elsewhere takes effect within it).
    auth_cache_s: float = 5.0


@dataclass(frozen=True)
class TaskSettings:
    broker_url: str
    result_backend: str
    embedded_worker: bool = True
    eager: bool = False


@dataclass(frozen=True)
class StorageSettings:
    backend: str  # "local" or "minio"
    local_root: Path
    minio_endpoint: str = ""
    minio_access_key: str = ""
    minio_secret_key: str = ""
    minio_bucket: str = "kehou"
    minio_secure: bool = True
    minio_public_url: str = ""  # where browsers reach the S3 API (presigned links are signed for it)


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    debug: bool = False
    # Requests one worker works on at once (0: what its database pool can serve), how many more may wait
    # for a turn, and for how long, before the answer is 503 with Retry-After (kehou/web/limits.py).
    max_active_requests: int = 0
    request_queue: int = 1000
    request_queue_wait_s: float = 10.0
    # reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks); none by
    # default, so a client cannot pick the address the login limits count
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaymentSettings:
    """Gateway keys. Without a Stripe secret key and webhook secret the Stripe gateway is off."""

    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""  # only for tests against a local fake Stripe server
    stripe_methods: tuple[str, ...] = ("wechat_pay", "alipay", "card")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database: DatabaseSettings
    security: SecuritySettings
    tasks: TaskSettings
    storage: StorageSettings
    server: ServerSettings = field(default_factory=ServerSettings)
    payments: PaymentSettings = field(default_factory=PaymentSettings)
    timezone: str = "Asia/Shanghai"


DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"
DEV_PII_KEY = "dev-only-pii-key-change-me-0123456789abcdef"


class InsecureSettings(RuntimeError):
    pass


def is_loopback(host: str) -> bool:
    """Whether a bind address is reachable from this machine only."""
    if host.strip("[]").lower() in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_production_keys(settings: Settings, host: str | None = None) -> None:
    """Refuse the development keys anywhere but the embedded SQLite default listening on loopback only
    (``host``: the address actually bound, when it differs from the settings')."""
    dev_keys = settings.security.secret_key == DEV_SECRET or settings.security.pii_key == DEV_PII_KEY
    if not dev_keys:
        return
    if not settings.database.url.startswith("sqlite"):
        raise InsecureSettings("KEHOU_SECRET_KEY and KEHOU_PII_KEY must be set when KEHOU_DATABASE_URL is not SQLite")
    bind = host or settings.server.host
    if not is_loopback(bind):
        raise InsecureSettings(f"KEHOU_SECRET_KEY and KEHOU_PII_KEY must be set when listening on {bind} "
                               "(the development keys are public: only 127.0.0.1 may use them)")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings in ``environ`` (default: ``os.environ``).

    Raises :class:`SettingsError`, listing every problem at once, when a ``KEHOU_*`` name is unknown or a
    value does not parse (see the module docstring). Unset, empty and blank values mean the default."""
    env = _Reader(os.environ if environ is None else environ)
    settings = _read(env)
    problems = list(env.problems)
    unknown = env.unknown_names()
    known = sorted(env.names)
    for name in unknown:
        close = difflib.get_close_matches(name, known + sorted(TOOLING_NAMES), n=1, cutoff=0.8)
        problems.append(f"{name} is not a Kehou setting" + (f" (did you mean {close[0]}?)" if close else ""))
    if problems:
        problems.sort()
        hint = ""
        if unknown:
            tooling = sorted(TOOLING_NAMES) + [p + "*" for p in TOOLING_PREFIXES]
            hint = f"Accepted names: {', '.join(known)}; and, read by tooling: {', '.join(tooling)}."
        raise SettingsError(problems, hint)
    return settings


def setting_names() -> frozenset[str]:
    """Every ``KEHOU_*`` name :func:`load_settings` reads."""
    env = _Reader({})
    _read(env)
    return frozenset(env.names)


def _read(env: _Reader) -> Settings:
    data_dir = Path(env.text("DATA_DIR", "var")).resolve()
    host = env.text("HOST", "127.0.0.1")
    port = env.integer("PORT", 8000, minimum=1, maximum=65535)
    storage = StorageSettings(
        backend=env.choice("STORAGE_BACKEND", "local", STORAGE_BACKENDS),
        local_root=Path(env.text("STORAGE_ROOT", str(data_dir / "files"))).resolve(),
        minio_endpoint=env.text("MINIO_ENDPOINT", ""),
        minio_access_key=env.text("MINIO_ACCESS_KEY", ""),
        minio_secret_key=env.text("MINIO_SECRET_KEY", ""),
        minio_bucket=env.text("MINIO_BUCKET", "kehou"),
        minio_secure=env.flag("MINIO_SECURE", True),
        minio_public_url=env.text("MINIO_PUBLIC_URL", ""),
    )
    env.check(storage.backend != "minio" or bool(storage.minio_endpoint.strip()),
              "KEHOU_MINIO_ENDPOINT is empty but KEHOU_STORAGE_BACKEND=minio needs it; accepted values: host:port,"
              " e.g. minio.internal:9000")
    env.check(not storage.minio_endpoint or ("://" not in storage.minio_endpoint and "/" not in storage.minio_endpoint),
              f"KEHOU_MINIO_ENDPOINT={_shown(storage.minio_endpoint)} is not host:port; accepted values: host:port"
              " without http:// or https:// and without a path, e.g. minio.internal:9000")
    if storage.minio_public_url:
        parts = urlsplit(storage.minio_public_url)
        env.check(parts.scheme in {"http", "https"} and bool(parts.netloc) and not parts.path.strip("/")
                  and not parts.query and not parts.fragment,
                  f"KEHOU_MINIO_PUBLIC_URL={_shown(storage.minio_public_url)} is not a base URL; accepted values:"
                  " http:// or https:// with host[:port] and no path, e.g. https://files.example.gov.cn")
    security = SecuritySettings(
        secret_key=env.text("SECRET_KEY", DEV_SECRET),
        pii_key=env.text("PII_KEY", DEV_PII_KEY),
        secure_cookies=env.flag("SECURE_COOKIES", False),
        session_max_age_s=env.integer("SESSION_MAX_AGE", 8 * 3600, minimum=1),
        login_max_failures=env.integer("LOGIN_MAX_FAILURES", 5, minimum=1),
        login_window_s=env.integer("LOGIN_WINDOW_SECONDS", 900, minimum=1),
        login_ip_max_failures=env.integer("LOGIN_IP_MAX_FAILURES", 30, minimum=1),
        login_account_max_failures=env.integer("LOGIN_ACCOUNT_MAX_FAILURES", 50, minimum=1),
        audit_key_file=env.text("AUDIT_KEY_FILE", ""),
        audit_anchor_dir=env.text("AUDIT_ANCHOR_DIR", ""),
        argon2_time_cost=env.integer("ARGON2_TIME_COST", 3, minimum=1),
        argon2_memory_kib=env.integer("ARGON2_MEMORY_KIB", 65536, minimum=8),
        argon2_parallelism=env.integer("ARGON2_PARALLELISM", 4, minimum=1),
        auth_cache_s=env.number("AUTH_CACHE_SECONDS", 5.0),
    )
    env.check(security.argon2_memory_kib >= 8 * security.argon2_parallelism,
              f"KEHOU_ARGON2_MEMORY_KIB={security.argon2_memory_kib} is too small for"
              f" KEHOU_ARGON2_PARALLELISM={security.argon2_parallelism}; accepted values: at least 8 KiB per lane"
              f" ({8 * security.argon2_parallelism} here)")
    return Settings(
        data_dir=data_dir,
        database=DatabaseSettings(
            url=env.text("DATABASE_URL", f"sqlite:///{data_dir / 'kehou.db'}"),
            pool_size=env.integer("DATABASE_POOL_SIZE", 20, minimum=1),
            echo=env.flag("DATABASE_ECHO", False),
        ),
        security=security,
        tasks=TaskSettings(
            broker_url=env.text("BROKER_URL", "filesystem://"),
            result_backend=env.text("RESULT_BACKEND", f"file://{data_dir / 'results'}"),
            embedded_worker=env.flag("EMBEDDED_WORKER", True),
            eager=env.flag("TASKS_EAGER", False),
        ),
        storage=storage,
        server=ServerSettings(
            host=host,
            port=port,
            base_url=env.text("BASE_URL", f"http://{host}:{port}"),
            debug=env.flag("DEBUG", False),
            max_active_requests=env.integer("MAX_ACTIVE_REQUESTS", 0),
            request_queue=env.integer("REQUEST_QUEUE", 1000),
            request_queue_wait_s=env.number("REQUEST_QUEUE_WAIT", 10.0),
            trusted_proxies=tuple(p.strip() for p in env.text("TRUSTED_PROXIES", "").split(",") if p.strip()),
        ),
        payments=PaymentSettings(
            stripe_secret_key=env.text("STRIPE_SECRET_KEY", ""),
            stripe_webhook_secret=env.text("STRIPE_WEBHOOK_SECRET", ""),
            stripe_api_base=env.text("STRIPE_API_BASE", ""),
            stripe_methods=tuple(m.strip() for m in env.text("STRIPE_METHODS", "wechat_pay,alipay,card").split(",")
                                 if m.strip()),
        ),
    )
