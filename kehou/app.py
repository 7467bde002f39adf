"""create_app(): assembles the Litestar application. Nothing else lives here."""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from kehou.platform.context import Context, build_context
from kehou.settings import Settings, load_settings
from kehou.web import deps, errors, filters
from kehou.web.headers import security_headers
from kehou.web.limits import Limiter, default_limit
from kehou.web.observe import observe
from kehou.web.routes import core_routes

WEB = Path(__file__).parent / "web"
SWAGGER = "/static/vendor/swagger-ui-5.35.0"


def plugin_template_dirs(ctx: Context) -> list[Path]:
    """A plugin's pages live in a ``templates/`` folder beside its plugin module (found by convention, as
    datasette does). The core's folder comes first, so a plugin keeps its templates in a subfolder of its own
    (``catalogue/menu.html``) and cannot replace a core page by accident."""
    dirs: set[Path] = set()
    for plugin in ctx.pm.get_plugins():
        module = plugin if inspect.ismodule(plugin) else inspect.getmodule(plugin)
        source = getattr(module, "__file__", None)
        if source and (Path(source).parent / "templates").is_dir():
            dirs.add(Path(source).parent / "templates")
    return sorted(dirs)


def create_app(settings: Settings | None = None, *, context: Context | None = None) -> Litestar:
    settings = settings or load_settings()
    ctx = context or build_context(settings)
    sec = settings.security
    session_key = hashlib.sha256(("session:" + sec.secret_key).encode()).digest()
    plugin_routes = [r for answer in ctx.pm.hook.kehou_register_routes() for r in answer]
    server = settings.server
    capacity = 15 if ctx.db.is_sqlite else 2 * settings.database.pool_size  # QueuePool: size + overflow
    limiter = Limiter(limit=server.max_active_requests or default_limit(capacity), queue=server.request_queue,
                      wait_s=server.request_queue_wait_s)

    def _engine_callback(engine: JinjaTemplateEngine) -> None:
        filters.install(engine.engine)

    return Litestar(
        route_handlers=[
            *core_routes(),
            *plugin_routes,
            create_static_files_router(path="/static", directories=[WEB / "static"], include_in_schema=False),
        ],
        state=State({"ctx": ctx}),
        dependencies={
            "ctx": Provide(deps.provide_ctx, sync_to_thread=False),
            "db": Provide(deps.provide_db),
            "actor": Provide(deps.provide_actor, sync_to_thread=True),
        },
        exception_handlers={Exception: errors.handle},
        middleware=[
            observe,  # request id, access log, HTTP metrics: outermost, so refusals by the limiter count too
            security_headers(settings.storage.minio_public_url if settings.storage.backend == "minio" else "",
                             https=settings.security.secure_cookies),
            limiter.wrap,
            CookieBackendConfig(
                secret=session_key, key="kehou_session", max_age=sec.session_max_age_s, secure=sec.secure_cookies,
                httponly=True, samesite="lax",
            ).middleware
        ],
        csrf_config=CSRFConfig(
            secret=sec.secret_key, cookie_name="kehou_csrf", cookie_secure=sec.secure_cookies, cookie_samesite="lax",
            exclude=["/api", "/schema"], header_name="x-csrftoken",
        ),
        template_config=TemplateConfig(directory=[WEB / "templates", *plugin_template_dirs(ctx)], engine=JinjaTemplateEngine,
                                       engine_callback=_engine_callback),
        openapi_config=OpenAPIConfig(
            title="Kehou 课后服务第三方机构管理平台 API",
            version="1",
            path="/schema",
            render_plugins=[
                SwaggerRenderPlugin(
                    js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                    css_url=f"{SWAGGER}/swagger-ui.css",
                    standalone_preset_js_url=f"{SWAGGER}/swagger-ui-standalone-preset.js",
                    path="/swagger",
                    favicon="<link rel='icon' type='image/svg+xml' href='/static/favicon.svg'>",
                )
            ],
        ),
        on_shutdown=[lambda: None if context is not None else ctx.close()],
        debug=settings.server.debug,
        request_max_body_size=64 * 1024 * 1024,  # documents: the county limit (default 20 MB) is checked per upload
    )


def asgi() -> Any:
    """Factory for ``uvicorn --factory kehou.app:asgi``."""
    return create_app()
