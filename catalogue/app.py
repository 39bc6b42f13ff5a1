"""The application factory."""

from __future__ import annotations

import asyncio
import hashlib
import logging

import httpx
from litestar import Litestar
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from catalogue import db
from catalogue.api.competence_aims import competence_aim_handlers
from catalogue.api.privacy_docs import privacy_doc_api_handlers
from catalogue.api.metrics import metrics
from catalogue.api.public_privacy import public_privacy_handlers
from catalogue.api.reports import report_api_handlers
from catalogue.api.resources import ResourceController
from catalogue.api.system import health, jwks, ready
from catalogue.api.taxonomy import TaxonomyController, UnitController
from catalogue.api.tips import tip_api_handlers
from catalogue.api.follows import follow_api_handlers
from catalogue.api.guides import guide_api_handlers
from catalogue.api.users import UserController
from catalogue.bounds import bounds_guard
from catalogue.dataio.api import dataio_api_handlers
from catalogue.logging_filters import install_log_redaction
from catalogue.observability import RequestObservation, configure_logging
from catalogue.openapi_docs import openapi_guard
from catalogue.problems import exception_handler
from catalogue.search import listing
from catalogue.security.access import TokenAuthenticationMiddleware, access_guard, routes_without_rule
from catalogue.security.csrf import SessionCsrfMiddleware
from catalogue.security.headers import add_security_headers, served_over_https
from catalogue.security.oidc import OidcClient
from catalogue.security.tokens import build_token_service
from catalogue.settings import Settings
from equipment.api import equipment_handlers
from frontend.admin_pages import admin_page_handlers
from catalogue.api.search_synonyms import search_synonym_api_handlers
from frontend.synonym_pages import search_synonym_page_handlers
from frontend.auth import auth_handlers
from frontend.catalogue_pages import catalogue_page_handlers
from frontend.curriculum_pages import curriculum_page_handlers
from frontend.dataio_pages import dataio_page_handlers
from frontend.equipment import equipment_page_handlers
from frontend.info_pages import info_page_handlers
from frontend.pages import error_page, page_handlers, template_config
from frontend.parent_pages import parent_page_handlers
from frontend.privacy_doc_pages import privacy_doc_page_handlers
from frontend.report_pages import report_page_handlers
from frontend.static_assets import static_file
from frontend.tip_pages import tip_page_handlers
from frontend.guide_pages import guide_page_handlers
from frontend.following_pages import following_page_handlers
from frontend.workflow.consultation_pages import consultation_page_handlers
from frontend.workflow import workflow_page_handlers
from workflows.api import workflow_handlers
from workflows.consultation_api import consultation_api_handlers
from workflows.scheduler import running as scheduler_running


async def request_guard(connection, handler) -> None:
    """Every route's checks, in order: its access rule, the bounds of what was sent, and (for the
    OpenAPI document) the document's own parts. One coroutine: the framework copies the handler for
    each guard, and runs a guard that is a plain function on a worker thread."""
    access_guard(connection, handler)
    await bounds_guard(connection, handler)
    await openapi_guard(connection, handler)


def create_app(settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None) -> Litestar:
    """Build the service for ``settings`` (read from the environment when not given).
    ``http_transport`` replaces the network for outbound calls (tests use httpx.MockTransport)."""
    settings = settings or Settings.from_env()
    tokens = build_token_service(settings)
    state = State()

    async def connect(app: Litestar) -> None:
        settings = app.state.settings
        engine = app.state.engine = db.engine_from_url(settings.database_url, settings.sqlite_busy_timeout_seconds)
        db.bind_tables(engine)
        await db.start(engine, settings.db_pool_size)
        http = httpx.AsyncClient(transport=http_transport, timeout=settings.http_timeout_seconds,
                                 follow_redirects=False)
        app.state.http = http
        if settings.oidc_provider:
            app.state.oidc = OidcClient(settings, http)
        app.state.scheduler = scheduler_running(settings)
        await app.state.scheduler.__aenter__()
        app.state.search_warm = asyncio.create_task(listing.warm())

    async def disconnect(app: Litestar) -> None:
        warm = app.state.get("search_warm")
        if warm is not None:  # let it finish: a query of it may be running on the database's thread
            await warm
        if app.state.get("scheduler") is not None:
            await app.state.scheduler.__aexit__(None, None, None)
        if app.state.http is not None:
            await app.state.http.aclose()
        await db.stop(app.state.engine)

    # Every worker derives the same CSRF secret from the shared signing key.
    csrf_secret = hashlib.sha256(tokens.current.private_pem + b"|csrf").hexdigest()
    app = Litestar(
        route_handlers=[
            health, ready, jwks, ResourceController, TaxonomyController, UnitController, UserController,
            *workflow_handlers, *equipment_handlers,
            *page_handlers, *auth_handlers, *catalogue_page_handlers, *workflow_page_handlers,
            *admin_page_handlers, *equipment_page_handlers, *info_page_handlers, *privacy_doc_api_handlers,
            *privacy_doc_page_handlers, *public_privacy_handlers, *parent_page_handlers, *report_api_handlers,
            *report_page_handlers, static_file,
            *dataio_api_handlers, *dataio_page_handlers,
            *tip_api_handlers, *tip_page_handlers, *consultation_api_handlers,
            *consultation_page_handlers,
            *follow_api_handlers, *following_page_handlers,
            *search_synonym_api_handlers, *search_synonym_page_handlers,
            *guide_api_handlers, *guide_page_handlers,
            *competence_aim_handlers, *curriculum_page_handlers,
            metrics,
        ],
        middleware=[DefineMiddleware(TokenAuthenticationMiddleware),
                    SessionCsrfMiddleware(csrf_secret, lambda scope: served_over_https(scope, scope["app"].state.settings))],
        guards=[request_guard],
        before_send=[add_security_headers],
        exception_handlers={Exception: exception_handler(error_page)},
        request_max_body_size=settings.max_body_bytes,
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins), allow_credentials=False,
                               allow_methods=["GET", "POST", "PATCH", "DELETE"],
                               allow_headers=["Authorization", "Content-Type", "If-Match"],
                               expose_headers=["ETag", "Location"]) if settings.cors_origins else None,
        allowed_hosts=AllowedHostsConfig(allowed_hosts=list(settings.allowed_hosts)) if settings.allowed_hosts else None,
        openapi_config=OpenAPIConfig(
            title="Læremiddelkatalogen API",
            version="1.0.0",
            description="The municipality's catalogue of digital learning resources.",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        template_config=template_config(),
        state=state,
        on_startup=[connect],
        on_shutdown=[disconnect],
        debug=False,
        logging_config=None,  # logging is catalogue.observability's (structlog, one handler on the root)
    )
    app.asgi_handler = RequestObservation(app.asgi_handler, settings)
    missing = routes_without_rule(app)
    if missing:
        raise RuntimeError(f"routes without an access rule: {missing}")
    bind_settings(app, settings, tokens)
    return app


def fixed_by_construction(settings: Settings) -> tuple:
    """What create_app builds into the app itself (the CSRF secret from the signing key, body and
    host limits, CORS); everything else is read from ``app.state`` while the app runs."""
    return (settings.signing_key_pem, settings.signing_key_file if not settings.signing_key_pem else None,
            settings.max_body_bytes, tuple(settings.cors_origins), tuple(settings.allowed_hosts))


def bind_settings(app: Litestar, settings: Settings, tokens=None) -> None:
    """Give a built app (not running) its settings: the database it connects to when it starts, its
    token service, logging and the search's kept answers. create_app calls it; an app may be given
    other settings that share ``fixed_by_construction`` before it is started again."""
    if app.state.get("settings") is not None and \
            fixed_by_construction(app.state.settings) != fixed_by_construction(settings):
        raise ValueError("these settings differ in what the app was built with; build a new app")
    logging.getLogger("catalogue").setLevel(settings.log_level)
    install_log_redaction()
    configure_logging(settings.log_level, settings.log_format)
    listing.set_cache_size(settings.search_cache_size)
    for key in list(app.state.dict()):
        del app.state[key]
    app.state.update({"settings": settings, "tokens": tokens or build_token_service(settings), "oidc": None,
                      "http": None})
    app.asgi_handler.settings = settings
