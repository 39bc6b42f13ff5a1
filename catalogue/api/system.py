"""Health, readiness and the public keys of our tokens."""

from __future__ import annotations

from litestar import Request, Response, get

from catalogue.schemas import Health
from catalogue.security.access import PUBLIC, rule
from catalogue.migrate import pending_migrations
from catalogue.tables import Level


@get("/health", opt=rule(PUBLIC), tags=["system"], summary="The process is up")
async def health() -> Health:
    return Health(status="ok")


@get("/ready", opt=rule(PUBLIC), tags=["system"],
     summary="The database answers, its schema is the one this version of the service expects, and the"
             " search is in memory")
async def ready(request: Request) -> Response[Health]:
    try:
        await Level.raw("SELECT 1 AS ok")
    except Exception:  # any failure to reach the database means not ready
        return Response(Health(status="unavailable", database="unreachable"), status_code=503)
    try:
        pending = await pending_migrations()
    except Exception:
        return Response(Health(status="unavailable", database="unreachable"), status_code=503)
    if pending:
        return Response(Health(status="unavailable", database="ok", migrations=f"{len(pending)} pending"),
                        status_code=503)
    warm = request.app.state.get("search_warm")
    if warm is not None and not warm.done():  # a proxy sends nothing here until the search is fast
        return Response(Health(status="unavailable", database="ok", migrations="ok", search="warming"),
                        status_code=503)
    return Response(Health(status="ok", database="ok", migrations="ok", search="ok"))


@get("/.well-known/jwks.json", opt=rule(PUBLIC), tags=["system"], summary="Public keys of our tokens")
async def jwks(request: Request) -> dict:
    return request.app.state.tokens.jwks()
