"""Settings from ``KEHOU_*`` environment variables.

Frozen dataclasses, read when ``load_settings()`` is called (never cached at
import), so tests and the launcher can build several apps with different
settings. Every variable is listed in ``.env.example``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str) -> str:
    """A set-but-empty variable means the default."""
    return os.environ.get(f"KEHOU_{name}") or default


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(f"KEHOU_{name}")
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


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


def check_production_keys(settings: Settings) -> None:
    """Refuse the development keys anywhere but the embedded SQLite default."""
    if settings.database.url.startswith("sqlite"):
        return
    if settings.security.secret_key == DEV_SECRET or settings.security.pii_key == DEV_PII_KEY:
        raise InsecureSettings("KEHOU_SECRET_KEY and KEHOU_PII_KEY must be set when KEHOU_DATABASE_URL is not SQLite")


def load_settings() -> Settings:
    data_dir = Path(_env("DATA_DIR", "var")).resolve()
    host = _env("HOST", "127.0.0.1")
    port = int(_env("PORT", "8000"))
    return Settings(
        data_dir=data_dir,
        database=DatabaseSettings(
            url=_env("DATABASE_URL", f"sqlite:///{data_dir / 'kehou.db'}"),
            pool_size=int(_env("DATABASE_POOL_SIZE", "20")),
            echo=_bool("DATABASE_ECHO", False),
        ),
        security=SecuritySettings(
            secret_key=_env("SECRET_KEY", DEV_SECRET),
            pii_key=_env("PII_KEY", DEV_PII_KEY),
            secure_cookies=_bool("SECURE_COOKIES", False),
            session_max_age_s=int(_env("SESSION_MAX_AGE", str(8 * 3600))),
            login_max_failures=int(_env("LOGIN_MAX_FAILURES", "5")),
            login_window_s=int(_env("LOGIN_WINDOW_SECONDS", "900")),
            login_ip_max_failures=int(_env("LOGIN_IP_MAX_FAILURES", "30")),
            argon2_time_cost=int(_env("ARGON2_TIME_COST", "3")),
            argon2_memory_kib=int(_env("ARGON2_MEMORY_KIB", "65536")),
            argon2_parallelism=int(_env("ARGON2_PARALLELISM", "4")),
            auth_cache_s=float(_env("AUTH_CACHE_SECONDS", "5")),
        ),
        tasks=TaskSettings(
            broker_url=_env("BROKER_URL", "filesystem://"),
            result_backend=_env("RESULT_BACKEND", f"file://{data_dir / 'results'}"),
            embedded_worker=_bool("EMBEDDED_WORKER", True),
            eager=_bool("TASKS_EAGER", False),
        ),
        storage=StorageSettings(
            backend=_env("STORAGE_BACKEND", "local"),
            local_root=Path(_env("STORAGE_ROOT", str(data_dir / "files"))).resolve(),
            minio_endpoint=_env("MINIO_ENDPOINT", ""),
            minio_access_key=_env("MINIO_ACCESS_KEY", ""),
            minio_secret_key=_env("MINIO_SECRET_KEY", ""),
            minio_bucket=_env("MINIO_BUCKET", "kehou"),
            minio_secure=_bool("MINIO_SECURE", True),
            minio_public_url=_env("MINIO_PUBLIC_URL", ""),
        ),
        server=ServerSettings(
            host=host,
            port=port,
            base_url=_env("BASE_URL", f"http://{host}:{port}"),
            debug=_bool("DEBUG", False),
            max_active_requests=int(_env("MAX_ACTIVE_REQUESTS", "0")),
            request_queue=int(_env("REQUEST_QUEUE", "1000")),
            request_queue_wait_s=float(_env("REQUEST_QUEUE_WAIT", "10")),
        ),
        payments=PaymentSettings(
            stripe_secret_key=_env("STRIPE_SECRET_KEY", ""),
            stripe_webhook_secret=_env("STRIPE_WEBHOOK_SECRET", ""),
            stripe_api_base=_env("STRIPE_API_BASE", ""),
            stripe_methods=tuple(m.strip() for m in _env("STRIPE_METHODS", "wechat_pay,alipay,card").split(",") if m.strip()),
        ),
    )
