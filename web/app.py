"""The Litestar application: pages, JSON API, health, static files; webhooks are mounted by the root."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler
from redis.asyncio import Redis

from router.core.domain import Domain
from router.privacy.access import ROLE_NAMES, may_do
from web.csrf import SessionBoundCsrf
from web.headers import SecurityHeaders
from web.paths import TEMPLATES_DIR
from web.problems import EXCEPTION_HANDLERS, problem_details_plugin, with_request_ids
from web.routes import ROUTE_HANDLERS
from web.sessions import BreakGlassEnded, break_glass_ended
from web.template_helpers import install_template_helpers

CSRF_EXEMPT = ["/webhooks/", "/healthz", "/readyz", "/schema", "/static/"]
"""Machine-to-machine endpoints authenticate by signature, not by cookie, so CSRF does not apply."""


def _template_globals(engine: JinjaTemplateEngine, domain: Domain) -> None:
    """What every page may ask: whether the viewer may do an action, a role or code in plain words,
    and a time in the location's zone (web/template_helpers.py).
    """
    engine.engine.globals["may"] = may_do
    engine.engine.globals["role_name"] = lambda role: ROLE_NAMES.get(role, role)
    install_template_helpers(engine.engine, domain.clock)


def create_app(
    domain: Domain,
    redis: Redis,
    *,
    route_handlers: Sequence[ControllerRouterHandler] = (),
    on_startup: Sequence[Callable[[], Any]] = (),
    on_shutdown: Sequence[Callable[[], Any]] = (),
    debug: bool = False,
) -> Litestar:
    """The web app around one domain; connectors' webhook controllers come in `route_handlers`."""
    app = Litestar(
        route_handlers=[*ROUTE_HANDLERS, *route_handlers],
        dependencies={
            "domain": Provide(lambda: domain, use_cache=True, sync_to_thread=False),
            "redis": Provide(lambda: redis, use_cache=True, sync_to_thread=False),
        },
        template_config=TemplateConfig(
            directory=TEMPLATES_DIR,
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: _template_globals(engine, domain),
        ),
        # The JSON and YAML documents only: the documentation UIs load their scripts from a CDN.
        openapi_config=OpenAPIConfig(
            title="Lead Router", version="1.0.0", render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()]
        ),
        middleware=[
            DefineMiddleware(
                SecurityHeaders, always_tls=domain.settings.intake.public_url.startswith("https://")
            ),
            DefineMiddleware(SessionBoundCsrf, domain=domain, exempt=CSRF_EXEMPT),
        ],
        plugins=[problem_details_plugin()],
        exception_handlers={**EXCEPTION_HANDLERS, BreakGlassEnded: break_glass_ended},
        request_max_body_size=domain.settings.intake.max_body_bytes,
        # The process configures logging once (level from LEADROUTER_LOG_LEVEL); Litestar's own default
        # would add a second handler at INFO and print every message twice in another format.
        logging_config=None,
        on_startup=list(on_startup),
        on_shutdown=list(on_shutdown),
        debug=debug,
    )
    # Outermost, so that errors answered by Litestar's own handlers (404, 500) carry the id too.
    app.asgi_handler = with_request_ids(app.asgi_handler)
    return app
