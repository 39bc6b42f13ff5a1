"""The application factory."""

from __future__ import annotations

import logging

from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from catalogue import db
from catalogue.api.resources import ResourceController
from catalogue.api.system import health, jwks, ready
from catalogue.api.taxonomy import TaxonomyController, UnitController
from catalogue.problems import exception_to_problem
from catalogue.security.headers import add_security_headers
from catalogue.security.access import TokenAuthenticationMiddleware, access_guard, routes_without_rule
from catalogue.security.tokens import build_token_service
from catalogue.settings import Settings
from frontend.pages import page_handlers, static_files, template_config

def create_app(settings: Settings | None = None) -> Litestar:
    """Build the service for ``settings`` (read from the environment when not given)."""
    settings = settings or Settings.from_env()
    logging.getLogger("catalogue").setLevel(settings.log_level)
    engine = db.engine_from_url(settings.database_url, settings.sqlite_busy_timeout_seconds)
    tokens = build_token_service(settings)

    async def connect(app: Litestar) -> None:
        db.bind_tables(engine)
        await db.start(engine, settings.db_pool_size)

    async def disconnect(app: Litestar) -> None:
        await db.stop(engine)

    app = Litestar(
        route_handlers=[
            health, ready, jwks, ResourceController, TaxonomyController, UnitController,
            *page_handlers, static_files(),
        ],
        middleware=[DefineMiddleware(TokenAuthenticationMiddleware)],
        before_send=[add_security_headers],
        guards=[access_guard],
        exception_handlers={Exception: exception_to_problem},
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Læremiddelkatalogen API",
            version="1.0.0",
            description="The municipality's catalogue of digital learning resources.",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        template_config=template_config(),
        state=State({"settings": settings, "tokens": tokens}),
        on_startup=[connect],
        on_shutdown=[disconnect],
        debug=False,
    )
    missing = routes_without_rule(app)
    if missing:
        raise RuntimeError(f"routes without an access rule: {missing}")
    return app
