"""Security headers on every response, errors included."""

from __future__ import annotations

from litestar.types import Message, Scope

from catalogue.security.ratelimit import _in

HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NO_STORE = (b"cache-control", b"no-store")

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
_ENCODED = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: Litestar calls it for every response, including 404s for unknown
    paths that never reach a route's middleware."""
    if message["type"] == "http.response.start":
        present = {name.lower() for name, _ in message.get("headers", [])}
        extra = [(k, v) for k, v in _ENCODED if k not in present]
        # rate-limit counters a guard left for this response (see catalogue.security.ratelimit)
        for name, value in (scope.get("state", {}).get("rate_limit_headers") or {}).items():
            if name.lower().encode() not in present:
                extra.append((name.lower().encode(), value.encode()))
        settings = scope["app"].state.get("settings") if scope.get("app") is not None else None
        if settings is not None and served_over_https(scope, settings) and HSTS[0] not in present:
            extra.append(HSTS)
        # an answer made for the caller (a token, a session) is theirs alone: no cache keeps it
        if b"cache-control" not in present and (scope.get("auth") is not None
                                                 or scope.get("path", "").startswith("/auth/token")):
            extra.append(NO_STORE)
        message["headers"] = [*message.get("headers", []), *extra]


def served_over_https(scope: Scope, settings) -> bool:
    """Whether the visitor reached the service over https: its public address says so, the server
    itself speaks TLS, or a trusted proxy in front of it says it does (X-Forwarded-Proto)."""
    if settings.public_base_url.startswith("https://") or scope.get("scheme") == "https":
        return True
    client = scope.get("client")
    if not settings.trusted_proxies or not client or not _in(client[0], settings.trusted_proxies):
        return False
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-proto":
            return value.decode("latin-1").split(",")[0].strip().lower() == "https"
    return False
