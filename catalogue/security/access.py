"""Who is calling, and what each route allows.

Every route handler declares an access rule in ``opt["access"]`` (see :func:`rule`); one app-wide
guard enforces it, and the app refuses to start if any route lacks a rule, so an unguarded route
cannot ship."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Iterable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from catalogue.domain import ALL_ROLES
from catalogue.security.tokens import TokenError

PUBLIC = "public"
SIGNED_IN = "signed_in"
MAX_AUTHORIZATION_HEADER = 8192 + 16


@dataclass(frozen=True)
class Principal:
    """The caller: a signed-in user with roles and units, or anonymous."""

    user_id: int | None = None
    name: str = ""
    roles: frozenset[str] = frozenset()
    unit_codes: frozenset[str] = frozenset()
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def has_any(self, roles: Iterable[str]) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def label(self) -> str:
        return self.name or (f"user:{self.user_id}" if self.user_id else "anonymous")


ANONYMOUS = Principal()


def rule(access: str | Iterable[str]) -> dict[str, Any]:
    """The ``opt`` of a route handler: ``PUBLIC``, ``SIGNED_IN`` or a set of role codes."""
    if access in (PUBLIC, SIGNED_IN):
        return {"access": access}
    roles = frozenset(access)
    unknown = roles - ALL_ROLES
    if not roles or unknown:
        raise ValueError(f"unknown roles in access rule: {sorted(unknown)}")
    return {"access": roles}


def handler_rule(handler: BaseRouteHandler) -> str | frozenset[str] | None:
    access = handler.opt.get("access")
    if access is None and _is_schema_handler(handler):
        return PUBLIC
    return access


def _is_schema_handler(handler: BaseRouteHandler) -> bool:
    """Handlers the framework makes itself: the OpenAPI document and automatic OPTIONS answers."""
    module = getattr(handler.fn, "__module__", "") or ""
    if module.startswith("litestar._openapi"):
        return True
    return module == "litestar.routes.http" and handler.fn.__name__ == "options_handler"


def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The one guard every route passes through."""
    access = handler_rule(handler)
    if access is None:  # start-up refuses this; fail closed all the same
        raise PermissionDeniedException("route has no access rule")
    if access == PUBLIC:
        return
    principal: Principal = connection.user
    if principal.is_anonymous:
        raise NotAuthorizedException("Sign in to use this.", headers={"WWW-Authenticate": "Bearer"})
    if access == SIGNED_IN:
        return
    if not principal.has_any(access):
        from catalogue.problems import Problem

        # a distinct type: the route is closed to the role, not just this object to this person
        raise Problem(403, "Your role does not allow this.", type_slug="role-not-allowed")


def routes_without_rule(app) -> list[str]:
    """Paths and methods of route handlers that declare no access rule."""
    missing = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler_rule(handler) is None:
                missing.append(f"{','.join(sorted(getattr(handler, 'http_methods', []) or ['*']))} {route.path}")
    return missing


# Why a token was refused, said so that whoever holds it can put it right (the reasons tell
# nothing about what the service holds).
_REFUSALS = {
    "unknown key": "it is signed with a key this service does not have (made with another SIGNING_KEY or VAR_DIR?)",
    "unknown or inactive user": "it names a user this service does not have or who is no longer active"
                                " (made against another database?)",
    "token rejected: ExpiredSignatureError": "it has expired",
    # our own token seen after the server's clock stepped back (or a token made with a wrong clock)
    "issued in the future": "it was issued later than this service's clock says it is now (was the clock"
                            " set back?); sign in again or make a new token",
    "not valid yet": "it is not valid yet by this service's clock (was the clock set back?); sign in again"
                     " or make a new token",
}


def _unauthorized(reason: str) -> NotAuthorizedException:
    said = _REFUSALS.get(reason, reason)
    return NotAuthorizedException(
        f"The access token is missing, invalid or expired: {said}.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


class TokenAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Reads a bearer token (API) or the session cookie (pages). No credentials means anonymous;
    bad credentials mean 401, whatever the route."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        headers = connection.headers.getall("authorization", [])
        if len(headers) > 1:  # a proxy that reads the other one would decide differently
            raise _unauthorized("more than one Authorization header")
        header = headers[0] if headers else None
        token = None
        if header is not None:
            if len(header) > MAX_AUTHORIZATION_HEADER:
                raise _unauthorized("header too long")
            scheme, _, value = header.strip().partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise _unauthorized("not a bearer token")
            token = value.strip()
        elif not connection.url.path.startswith("/api/"):
            # The session cookie serves pages only, so the API is never open to cross-site requests.
            token = connection.cookies.get(SESSION_COOKIE) or None
        if token is None:
            return AuthenticationResult(user=ANONYMOUS, auth=None)
        from_cookie = header is None
        tokens = connection.app.state.tokens
        try:
            claims = tokens.verify(token)
        except TokenError as exc:
            if from_cookie:  # an expired page session: carry on as a visitor, the page asks for login
                return AuthenticationResult(user=ANONYMOUS, auth=None)
            raise _unauthorized(str(exc)) from None
        if from_cookie and "sid" not in claims:
            return AuthenticationResult(user=ANONYMOUS, auth=None)
        principal = await load_principal(claims)
        if principal is None:
            if from_cookie:
                return AuthenticationResult(user=ANONYMOUS, auth=None)
            raise _unauthorized("unknown or inactive user")
        return AuthenticationResult(user=principal, auth=claims)


SESSION_COOKIE = "lk_session"


async def load_principal(claims: dict[str, Any]) -> Principal | None:
    """The user named by the token, with roles and units as the database has them now. A token
    that lists roles is narrowed to those roles (scripts can hold less than their user)."""
    from catalogue.search.sql import execute

    try:
        user_id = int(claims["sub"])
    except (KeyError, ValueError, TypeError):
        return None
    session_id = claims.get("sid")
    sql = (
        "SELECT 'user' AS k, display_name AS v FROM app_user WHERE id = {} AND active = {}"
        " UNION ALL SELECT 'role' AS k, role AS v FROM user_role WHERE \"user\" = {}"
        " UNION ALL SELECT 'unit' AS k, unit.code AS v FROM user_unit"
        " JOIN unit ON unit.id = user_unit.unit WHERE user_unit.\"user\" = {}"
    )
    args: list[Any] = [user_id, True, user_id, user_id]
    if session_id is not None:
        # a browser session's token is only as good as its session: logout ends it
        sql += (" UNION ALL SELECT 'session' AS k, session_id AS v FROM user_session"
                " WHERE session_id = {} AND \"user\" = {} AND revoked_at IS NULL AND expires_at > {}")
        args += [str(session_id), user_id, datetime.datetime.now(datetime.timezone.utc)]
    rows = await execute(sql, *args)  # not Table.raw: its argument handling cost more than the query
    if session_id is not None and not any(r["k"] == "session" for r in rows):
        return None
    names = [r["v"] for r in rows if r["k"] == "user"]
    if not names:
        return None
    roles = frozenset(r["v"] for r in rows if r["k"] == "role")
    if isinstance(claims.get("roles"), list):
        roles = roles.intersection(claims["roles"])
    units = frozenset(r["v"] for r in rows if r["k"] == "unit")
    return Principal(user_id=user_id, name=names[0], roles=roles, unit_codes=units, claims=claims)
