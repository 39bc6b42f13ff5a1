"""Signing in and out: the identity provider's login, the demo login, logout, and a bearer token
for the signed-in user."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Optional

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template

from catalogue.demo import DEMO_ISSUER, DEMO_USERS
from catalogue.domain import ROLE_LABELS, Role
from catalogue.problems import Problem
from catalogue.security.access import PUBLIC, SESSION_COOKIE, SIGNED_IN, rule
from catalogue.security.headers import served_over_https
from catalogue.security.oidc import LoginRefused, ProviderUnavailable, pkce_pair
from catalogue.security.ratelimit import rate_limit_guard
from catalogue.security.sessions import (
    create_login_request,
    revoke_session,
    safe_return_to,
    start_session,
    take_login_request,
)
from catalogue.tables import AppUser
from catalogue.users import ensure_user
from frontend.pages import page_context

log = logging.getLogger("catalogue.auth")
LOGIN_COOKIE = "lk_login"


def _session_cookie(request: Request, token: str | None) -> Cookie:
    settings = request.app.state.settings
    return Cookie(key=SESSION_COOKIE, value=token or "", path="/", httponly=True, samesite="lax",
                  secure=served_over_https(request.scope, settings), max_age=settings.session_ttl_seconds if token else 0)


async def _sign_in(request: Request, user_id: int, return_to: str) -> Response:
    settings = request.app.state.settings
    session_id = await start_session(user_id, settings.session_ttl_seconds)
    token = request.app.state.tokens.issue(str(user_id), session_id=session_id,
                                           ttl_seconds=settings.session_ttl_seconds)
    response = Redirect(path=safe_return_to(return_to), status_code=303)
    response.set_cookie(_session_cookie(request, token))
    response.delete_cookie(LOGIN_COOKIE, path="/auth")
    return response


def _refused(request: Request, message: str, status: int) -> Template:
    return Template(template_name="login_failed.html", status_code=status,
                    context=page_context(request, message=message))


@get("/auth/login", opt={**rule(PUBLIC), "rate_limit": "login"}, guards=[rate_limit_guard],
     include_in_schema=False)
async def login(
    request: Request,
    return_to: Annotated[Optional[str], QueryParameter(name="return_to", required=False, max_length=500)] = None,
) -> Response:
    """Start a login at the identity provider, or show the demo login when no provider is set up."""
    settings = request.app.state.settings
    oidc = request.app.state.oidc
    if oidc is None:
        if settings.demo_mode:
            return Redirect(path=f"/auth/demo?return_to={safe_return_to(return_to)}", status_code=303)
        return _refused(request, "Innlogging er ikke satt opp for denne tjenesten ennå.", 503)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair()
    try:
        url = await oidc.authorization_url(state, nonce, challenge)
    except ProviderUnavailable as exc:
        log.warning("identity provider unavailable at login: %s", exc)
        return _refused(request, "Innloggingstjenesten svarer ikke akkurat nå. Prøv igjen om litt.", 503)
    browser_secret = await create_login_request(state, nonce, verifier, safe_return_to(return_to))
    response = Redirect(path=url, status_code=303)
    response.set_cookie(Cookie(key=LOGIN_COOKIE, value=browser_secret, path="/auth", httponly=True,
                               samesite="lax", secure=served_over_https(request.scope, settings), max_age=600))
    return response


@get("/auth/callback", opt={**rule(PUBLIC), "rate_limit": "callback"}, guards=[rate_limit_guard],
     include_in_schema=False)
async def callback(
    request: Request,
    code: Annotated[Optional[str], QueryParameter(name="code", required=False, max_length=4096)] = None,
    login_state: Annotated[Optional[str], QueryParameter(name="state", required=False, max_length=200)] = None,
    error: Annotated[Optional[str], QueryParameter(name="error", required=False, max_length=200)] = None,
) -> Response:
    """The identity provider sends the browser back here with a code."""
    oidc = request.app.state.oidc
    if oidc is None:
        raise Problem(404, "No identity provider is configured.")
    pending = await take_login_request(login_state or "", request.cookies.get(LOGIN_COOKIE))
    if error or not code or pending is None:
        return _refused(request, "Innloggingen ble avbrutt eller er utløpt. Prøv å logge inn på nytt.", 400)
    try:
        identity = await oidc.finish_login(code, pending["code_verifier"], pending["nonce"])
    except ProviderUnavailable as exc:
        log.warning("identity provider unavailable at callback: %s", exc)
        return _refused(request, "Innloggingstjenesten svarer ikke akkurat nå. Prøv igjen om litt.", 503)
    except LoginRefused as exc:
        log.info("login refused: %s", exc)
        return _refused(request, exc.message_nb, 403)
    user_id = await ensure_user(identity.issuer, identity.subject, identity.name, identity.email,
                                default_role=Role.STAFF.value)
    active = await AppUser.select(AppUser.active).where(AppUser.id == user_id).first()
    if not active or not active["active"]:
        return _refused(request, "Kontoen din er deaktivert i Læremiddelkatalogen.", 403)
    return await _sign_in(request, user_id, pending["return_to"])


async def _demo_users() -> list[dict]:
    rows = await AppUser.select(AppUser.id, AppUser.subject, AppUser.display_name).where(
        AppUser.issuer == DEMO_ISSUER)
    by_subject = {r["subject"]: r for r in rows}
    users = []
    for subject, name, roles, units in DEMO_USERS:
        if subject in by_subject:
            users.append({"subject": subject, "name": name, "role": ROLE_LABELS[roles[-1]],
                          "roles": ", ".join(ROLE_LABELS[r] for r in roles), "units": units})
    return users


@get("/auth/demo", opt=rule(PUBLIC), include_in_schema=False)
async def demo_login_page(
    request: Request,
    return_to: Annotated[Optional[str], QueryParameter(name="return_to", required=False, max_length=500)] = None,
) -> Template:
    if not request.app.state.settings.demo_mode:
        raise Problem(404, "Demo login is only available in demo mode.")
    return Template(template_name="demo_login.html", context=page_context(
        request, users=await _demo_users(), return_to=safe_return_to(return_to)))


@post("/auth/demo", opt={**rule(PUBLIC), "rate_limit": "login"}, guards=[rate_limit_guard],
      include_in_schema=False)
async def demo_login(
    request: Request,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response:
    if not request.app.state.settings.demo_mode:
        raise Problem(404, "Demo login is only available in demo mode.")
    subject = data.get("user", "")
    if subject not in {s for s, *_ in DEMO_USERS}:
        raise Problem(400, "Choose one of the demo users.", errors=[{"field": "user", "message": "unknown demo user"}])
    row = await AppUser.select(AppUser.id).where(
        (AppUser.issuer == DEMO_ISSUER) & (AppUser.subject == subject) & (AppUser.active == True)  # noqa: E712
    ).first()
    if row is None:
        raise Problem(400, "That demo user does not exist here.", errors=[{"field": "user", "message": "not loaded"}])
    return await _sign_in(request, row["id"], data.get("return_to", "/"))


@post("/auth/logout", opt=rule(PUBLIC), include_in_schema=False)
async def logout(request: Request) -> Response:
    """End the session on the server as well as in the browser."""
    claims = request.auth if isinstance(request.auth, dict) else {}
    if claims.get("sid"):
        await revoke_session(str(claims["sid"]))
    response = Redirect(path="/", status_code=303)
    response.set_cookie(_session_cookie(request, None))
    return response


@post("/auth/token", opt={**rule(SIGNED_IN), "rate_limit": "token"}, guards=[rate_limit_guard],
      status_code=200, tags=["auth"], summary="A short-lived API bearer token for the signed-in user")
async def api_token(request: Request) -> dict[str, object]:
    """Exchange a page session (cookie plus CSRF token) for an API bearer token. The token carries
    the session, so logging out (or the session running out) ends the token too."""
    principal = request.user
    tokens = request.app.state.tokens
    claims = request.auth if isinstance(request.auth, dict) else {}
    if not claims.get("sid"):
        raise Problem(403, "Only a signed-in browser session can be exchanged for a token.",
                      type_slug="session-required")
    token = tokens.issue(str(principal.user_id), roles=sorted(principal.roles), name=principal.name,
                         session_id=str(claims["sid"]))
    return {"access_token": token, "token_type": "Bearer", "expires_in": tokens.ttl_seconds}


auth_handlers = [login, callback, demo_login_page, demo_login, logout, api_token]
