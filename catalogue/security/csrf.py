"""CSRF tokens bound to the browser session.

A signed-in browser's token is an HMAC of its session id: a token read from one session is
worthless in another, and logging out (a new session on the next login) gives a new token. Before
signing in (the login forms) the token is a signed random value kept in the ``lk_csrf`` cookie and
posted back with the form. Forms post the token as ``_csrf_token``; scripts send ``X-CSRFToken``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.datastructures.cookie import Cookie
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

COOKIE_NAME = "lk_csrf"
HEADER_NAME = "x-csrftoken"
FORM_FIELD = "_csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXCLUDE = re.compile(r"^/api/|^/health$|^/ready$|^/static/")


def _sign(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


class SessionCsrfMiddleware(ASGIMiddleware):
    """Runs after authentication, so it knows the session the request belongs to."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, secret: str, secure: Any) -> None:
        self.secret = secret.encode()
        self.secure = secure  # a callable (scope) -> bool: Secure cookies when served over https

    def _session_token(self, session_id: str) -> str:
        return _sign(self.secret, "session:" + session_id)

    def _visitor_token(self, nonce: str) -> str:
        return nonce + _sign(self.secret, "visitor:" + nonce)

    def _valid_visitor_token(self, token: str | None) -> bool:
        if not token or len(token) != 32 + 64:
            return False
        return hmac.compare_digest(token, self._visitor_token(token[:32]))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if EXCLUDE.match(scope.get("path", "")):
            await next_app(scope, receive, send)
            return
        request = scope["litestar_app"].request_class(scope=scope, receive=receive)
        claims = scope.get("auth")
        session_id = claims.get("sid") if isinstance(claims, dict) else None
        cookie = request.cookies.get(COOKIE_NAME)
        if not self._valid_visitor_token(cookie):
            cookie = None
        expected = self._session_token(str(session_id)) if session_id else cookie
        state = ScopeState.from_scope(scope)
        if request.method in SAFE_METHODS:
            new_cookie = None
            if cookie is None:
                new_cookie = self._visitor_token(secrets.token_hex(16))
                if expected is None:
                    expected = new_cookie
            state.csrf_token = expected
            await next_app(scope, receive, self._setting_cookie(send, new_cookie, scope) if new_cookie else send)
            return
        sent = request.headers.get(HEADER_NAME)
        if not sent:
            content_type, _ = request.content_type
            if content_type in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
                sent = (await request.form()).get(FORM_FIELD)
        if not isinstance(sent, str) or expected is None or not hmac.compare_digest(sent, expected):
            raise PermissionDeniedException("CSRF token verification failed")
        state.csrf_token = expected
        await next_app(scope, receive, send)

    def _setting_cookie(self, send: Send, value: str, scope: Scope) -> Send:
        secure = bool(self.secure(scope))

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                cookie = Cookie(key=COOKIE_NAME, value=value, path="/", secure=secure, httponly=True,
                                samesite="lax")
                headers.add("set-cookie", cookie.to_header(header=""))
            await send(message)

        return wrapped
