"""Prometheus metrics for operators: /metrics answers a bearer token with the admin role, or a
scraper on a network in METRICS_NETWORKS (loopback by default; the address seen through a trusted
proxy is the client's, so the proxy itself does not open it to everyone)."""

from __future__ import annotations

from litestar import Request, Response, get

from catalogue.domain import Role
from catalogue.observability import render_metrics
from catalogue.problems import Problem
from catalogue.security.access import PUBLIC, rule
from catalogue.security.ratelimit import _in, client_address


def may_read_metrics(request: Request) -> bool:
    settings = request.app.state.settings
    if request.user.has_any({Role.ADMIN.value}):
        return True
    return bool(settings.metrics_networks) and _in(client_address(request, settings.trusted_proxies),
                                                   settings.metrics_networks)


@get("/metrics", opt=rule(PUBLIC), tags=["system"], summary="Prometheus metrics (operators only)",
     include_in_schema=False)
async def metrics(request: Request) -> Response[bytes]:
    if not may_read_metrics(request):
        raise Problem(403, "The metrics are for operators: use an admin's token or scrape from a network "
                      "in METRICS_NETWORKS.", type_slug="metrics-not-allowed", title="Not allowed")
    body, content_type = await render_metrics()
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
