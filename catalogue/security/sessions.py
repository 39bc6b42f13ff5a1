"""Browser sessions and pending logins, kept in the database so any worker can serve any request."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from urllib.parse import urlsplit

from catalogue.db import write_transaction
from catalogue.tables import LoginRequest, UserSession

LOGIN_REQUEST_SECONDS = 600


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def safe_return_to(value: str | None) -> str:
    """A local path to return to after login; anything that could leave the site becomes '/'."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value):
        return "/"
    return value[:500]


async def create_login_request(state: str, nonce: str, code_verifier: str, return_to: str) -> str:
    """Record a login under way; returns the browser secret that must come back with the callback."""
    browser_secret = secrets.token_urlsafe(32)
    stamp = _now()
    async with write_transaction():
        await LoginRequest.delete().where(LoginRequest.expires_at < stamp)
        await LoginRequest.insert(LoginRequest(
            state=state, nonce=nonce, code_verifier=code_verifier, browser_hash=_hash(browser_secret),
            return_to=safe_return_to(return_to), created_at=stamp,
            expires_at=stamp + datetime.timedelta(seconds=LOGIN_REQUEST_SECONDS),
        ))
    return browser_secret


async def take_login_request(state: str, browser_secret: str | None) -> dict | None:
    """The pending login for ``state`` if it belongs to this browser and has not expired; it is
    consumed either way, so a state can be used once."""
    if not state or len(state) > 128 or not browser_secret:
        return None
    async with write_transaction():
        row = await LoginRequest.select().where(LoginRequest.state == state).first()
        if row is None:
            return None
        await LoginRequest.delete().where(LoginRequest.state == state)
    expires = row["expires_at"]
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=datetime.timezone.utc)
    if expires < _now() or not secrets.compare_digest(row["browser_hash"], _hash(browser_secret)):
        return None
    return row


async def start_session(user_id: int, ttl_seconds: int) -> str:
    session_id = secrets.token_urlsafe(32)
    stamp = _now()
    await UserSession.insert(UserSession(
        session_id=session_id, user=user_id, created_at=stamp,
        expires_at=stamp + datetime.timedelta(seconds=ttl_seconds),
    ))
    return session_id


async def revoke_session(session_id: str) -> None:
    await UserSession.update({UserSession.revoked_at: _now()}).where(
        (UserSession.session_id == session_id) & UserSession.revoked_at.is_null()
    )


async def revoke_user_sessions(user_id: int) -> None:
    await UserSession.update({UserSession.revoked_at: _now()}).where(
        (UserSession.user == user_id) & UserSession.revoked_at.is_null()
    )
