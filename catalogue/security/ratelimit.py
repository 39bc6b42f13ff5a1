"""Rate limits for login, callback and token endpoints, counted in the database so every worker
shares one count. The client is the peer address, or the first untrusted X-Forwarded-For hop when
the peer is a configured trusted proxy."""

from __future__ import annotations

import ipaddress
import time

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from catalogue.problems import Problem
from catalogue.tables import RateLimitBucket

STATE_KEY = "rate_limit_headers"


def _in(address: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(connection: ASGIConnection, trusted_proxies: tuple[str, ...]) -> str:
    peer = connection.client.host if connection.client else "unknown"
    if not trusted_proxies or not _in(peer, trusted_proxies):
        return peer
    hops = [h.strip() for h in connection.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted_proxies):
            return hop[:64]
    return peer


async def hit(key: str, limit: int, window: int) -> tuple[int, int]:
    """Count one request against ``key``; returns (hits in this window, seconds until it resets)."""
    now = int(time.time())
    window_start = now - now % window
    rows = await RateLimitBucket.raw(
        "INSERT INTO rate_limit_bucket (bucket_key, window_start, hits) VALUES ({}, {}, 1)"
        " ON CONFLICT (bucket_key) DO UPDATE SET"
        " hits = CASE WHEN rate_limit_bucket.window_start = excluded.window_start"
        " THEN rate_limit_bucket.hits + 1 ELSE 1 END,"
        " window_start = excluded.window_start RETURNING hits",
        key[:200], window_start,
    )
    return int(rows[0]["hits"]), window_start + window - now


async def rate_limit_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Guard for endpoints that mint sessions or tokens: ``opt["rate_limit"]`` names the bucket."""
    settings = connection.app.state.settings
    limit, window = settings.rate_limit_auth
    bucket = handler.opt.get("rate_limit", "auth")
    key = f"{bucket}:{client_address(connection, settings.trusted_proxies)}"
    hits, reset = await hit(key, limit, window)
    headers = {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(0, limit - hits)),
        "RateLimit-Reset": str(reset),
        "RateLimit-Policy": f"{limit};w={window}",
    }
    connection.scope.setdefault("state", {})[STATE_KEY] = headers
    if hits > limit:
        raise Problem(429, "Too many attempts. Wait a little and try again.",
                      headers={**headers, "Retry-After": str(reset)})
