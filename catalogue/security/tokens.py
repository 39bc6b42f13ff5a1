"""The only module that touches JWTs (python-jose).

Narrow API: sign our own access tokens, verify our own access tokens, publish our public keys.
The verifier never trusts the token's header for anything but choosing one of *our* keys by
``kid``: the algorithm is pinned, keys from the token (``jwk``, ``jku``, ``x5u``) are refused,
and ``exp``, ``iat``, ``iss``, ``aud`` and ``sub`` are required.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt
from jose.exceptions import JOSEError

ALGORITHM = "RS256"
ACCESS_TOKEN_TYPE = "at+jwt"
MAX_TOKEN_LENGTH = 8192
LEEWAY_SECONDS = 30
VERIFIED_KEPT = 4096  # verified tokens kept per process (see TokenService.verify)
SCRIPT_TOKEN_MAX_SECONDS = 86400  # the longest `catalogue token --ttl` may ask for
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_LOCAL_SUBJECT = re.compile(r"[1-9][0-9]{0,18}")
_FORBIDDEN_HEADERS = ("jwk", "jku", "x5u", "x5c", "crit")
_REQUIRED = {
    "require_exp": True,
    "require_iat": True,
    "require_iss": True,
    "require_aud": True,
    "require_sub": True,
    "verify_at_hash": False,
    "leeway": LEEWAY_SECONDS,
}
# our access tokens: nbf is checked with iat in TokenService._check_times, for kept tokens too
_ACCESS_OPTIONS = {**_REQUIRED, "verify_nbf": False}


class TokenError(Exception):
    """The token is not one of ours, or not valid now. The message is safe to log."""


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: bytes
    public_jwk: dict[str, str]

    @classmethod
    def from_pem(cls, pem: bytes) -> "SigningKey":
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
            raise ValueError("the signing key must be an RSA private key of at least 2048 bits")
        numbers = key.public_key().public_numbers()
        n, e = _b64url_uint(numbers.n), _b64url_uint(numbers.e)
        # RFC 7638 thumbprint as the key id: stable, and derived from the key alone.
        thumbprint_input = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
        kid = base64.urlsafe_b64encode(hashlib.sha256(thumbprint_input.encode()).digest()).rstrip(b"=").decode()
        jwk = {"kty": "RSA", "use": "sig", "alg": ALGORITHM, "kid": kid, "n": n, "e": e}
        return cls(kid=kid, private_pem=pem, public_jwk=jwk)


def generate_private_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_or_create_key_file(path: Path) -> bytes:
    """Read the signing key, creating it (mode 0600) on first run. Safe when several workers
    start at once: the file appears atomically and the first writer wins."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = generate_private_pem()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
    return path.read_bytes()


class TokenService:
    """Signs and verifies this service's own access tokens."""

    def __init__(self, current: SigningKey, previous: list[SigningKey] | None = None, *,
                 issuer: str, audience: str, ttl_seconds: int, session_ttl_seconds: int | None = None) -> None:
        self.current = current
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        # the longest lifetime the service itself ever gives a token: a page session's, or a script's
        self.max_session_seconds = max(ttl_seconds, session_ttl_seconds or ttl_seconds)
        self.max_script_seconds = max(ttl_seconds, SCRIPT_TOKEN_MAX_SECONDS)
        self._verification_keys = {k.kid: k.public_jwk for k in [current, *(previous or [])]}
        # token → its claims, for tokens that passed every check below: a client sends the same
        # token with each request until it expires, and checking its RSA signature costs more
        # than the rest of a typical request's work. A kept token is still refused once expired.
        self._verified: dict[str, dict[str, Any]] = {}

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": list(self._verification_keys.values())}

    def issue(self, subject: str, *, roles: list[str] | None = None, name: str = "",
              ttl_seconds: int | None = None, session_id: str | None = None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + (ttl_seconds or self.ttl_seconds),
            "jti": secrets.token_urlsafe(16),
            "token_use": "access",
        }
        if roles is not None:
            claims["roles"] = sorted(set(roles))
        if name:
            claims["name"] = name
        if session_id:
            claims["sid"] = session_id
        return jwt.encode(claims, self.current.private_pem.decode(), algorithm=ALGORITHM,
                          headers={"kid": self.current.kid, "typ": ACCESS_TOKEN_TYPE})

    def verify(self, token: str) -> dict[str, Any]:
        """Return the claims of a valid access token of ours, else raise TokenError."""
        kept = self._verified.get(token) if isinstance(token, str) else None
        if kept is not None:
            if time.time() < kept["exp"] and self._times_hold(kept):
                return dict(kept)
            self._verified.pop(token, None)  # expired, or the clock was set back: checked afresh below
        claims = self._verify(token)
        if isinstance(claims.get("exp"), (int, float)):
            self._verified[token] = dict(claims)
            while len(self._verified) > VERIFIED_KEPT:
                self._verified.pop(next(iter(self._verified)))
        return claims

    def _verify(self, token: str) -> dict[str, Any]:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise TokenError("token missing or too long")
        if token.count(".") != 2:
            raise TokenError("not a signed JWT")
        if not all(_canonical_segment(part) for part in token.split(".")):
            raise TokenError("segments are not unpadded base64url")
        try:
            header = jwt.get_unverified_header(token)
        except (JOSEError, ValueError, TypeError, UnicodeError):
            raise TokenError("malformed token header") from None
        if not isinstance(header, dict):
            raise TokenError("malformed token header")
        if header.get("alg") != ALGORITHM:
            raise TokenError("algorithm not allowed")
        if header.get("typ") != ACCESS_TOKEN_TYPE:
            raise TokenError("not an access token")
        if any(name in header for name in _FORBIDDEN_HEADERS):
            raise TokenError("token carries key references")
        kid = header.get("kid")
        if not isinstance(kid, str) or len(kid) > 128:
            raise TokenError("unknown key")
        key = self._verification_keys.get(kid)
        if key is None:
            raise TokenError("unknown key")
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=self.audience,
                                issuer=self.issuer, options=_ACCESS_OPTIONS)
        except (JOSEError, ValueError, TypeError, KeyError, UnicodeError) as exc:
            raise TokenError(f"token rejected: {type(exc).__name__}") from None
        if not isinstance(claims, dict):
            raise TokenError("claims are not an object")
        self._check_times(claims)
        if claims.get("aud") != self.audience:  # exactly ours, not a list that contains it
            raise TokenError("wrong audience")
        if claims.get("token_use") != "access":
            raise TokenError("not an access token")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not _LOCAL_SUBJECT.fullmatch(subject):
            raise TokenError("bad subject")
        sid = claims.get("sid")
        if sid is not None and (not isinstance(sid, str) or not sid or len(sid) > 128):
            raise TokenError("bad session claim")
        roles = claims.get("roles")
        if roles is not None and not (isinstance(roles, list) and all(isinstance(r, str) for r in roles)):
            raise TokenError("bad roles claim")
        return claims

    def _times_hold(self, claims: dict[str, Any]) -> bool:
        try:
            self._check_times(claims)
        except TokenError:
            return False
        return True

    def _check_times(self, claims: dict[str, Any]) -> None:
        """Integer times only, valid by the clock now, and no token living longer than the service
        would ever have given. A token kept from before the clock was set back fails here too, as
        it would on a worker that never saw it."""
        now = time.time()
        for name in ("exp", "iat", "nbf"):
            value = claims.get(name)
            if name == "nbf" and value is None:
                continue
            if type(value) is not int:
                raise TokenError(f"{name} is not an integer")
        exp, iat = claims["exp"], claims["iat"]
        longest = self.max_session_seconds if claims.get("sid") is not None else self.max_script_seconds
        if iat > now + LEEWAY_SECONDS:
            raise TokenError("issued in the future")
        if claims.get("nbf") is not None and claims["nbf"] > now + LEEWAY_SECONDS:
            raise TokenError("not valid yet")
        if exp - iat > longest:
            raise TokenError("lives longer than allowed")
        if exp > now + longest + LEEWAY_SECONDS or iat < now - longest - LEEWAY_SECONDS:
            raise TokenError("lives longer than allowed")


def _canonical_segment(part: str) -> bool:
    """A JWS segment in base64url without padding, written the one way that decodes to its bytes."""
    if not _SEGMENT.fullmatch(part) or len(part) % 4 == 1:
        return False
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") == part


def build_token_service(settings) -> TokenService:
    """The token service for these settings: key from SIGNING_KEY, else the key file (made on first run)."""
    if settings.signing_key_pem:
        pem = settings.signing_key_pem.encode()
    else:
        pem = load_or_create_key_file(settings.signing_key_file)
    previous = []
    for extra in (os.environ.get("SIGNING_KEYS_PREVIOUS_FILES") or "").split(os.pathsep):
        if extra.strip():
            previous.append(SigningKey.from_pem(Path(extra.strip()).read_bytes()))
    return TokenService(SigningKey.from_pem(pem), previous, issuer=settings.token_issuer,
                        audience=settings.token_audience, ttl_seconds=settings.token_ttl_seconds,
                        session_ttl_seconds=settings.session_ttl_seconds)


class IdTokenError(TokenError):
    """An identity provider's ID token that must not be accepted."""


async def verify_id_token(token: str, *, key_for_kid, issuer: str, audience: str, algorithms: tuple[str, ...],
                          nonce: str, access_token: str | None = None) -> dict[str, Any]:
    """Verify an OpenID Connect ID token from the configured identity provider.

    ``key_for_kid`` is an async callable returning the provider's JWK dict for a ``kid`` (from its
    pinned JWKS), or None. The token's own header never supplies a key or a key location."""
    if not isinstance(token, str) or not token or len(token) > 16384 or token.count(".") != 2:
        raise IdTokenError("malformed ID token")
    try:
        header = jwt.get_unverified_header(token)
    except (JOSEError, ValueError, TypeError, UnicodeError):
        raise IdTokenError("malformed ID token header") from None
    if not isinstance(header, dict) or header.get("alg") not in algorithms:
        raise IdTokenError("algorithm not allowed")
    if any(name in header for name in _FORBIDDEN_HEADERS):
        raise IdTokenError("ID token carries key references")
    if header.get("typ") == ACCESS_TOKEN_TYPE:
        raise IdTokenError("an access token is not an ID token")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 128:
        raise IdTokenError("unknown key")
    key = await key_for_kid(kid)
    if key is None:
        raise IdTokenError("unknown key")
    try:
        claims = jwt.decode(token, key, algorithms=list(algorithms), audience=audience, issuer=issuer,
                            access_token=access_token,
                            options={**_REQUIRED, "verify_at_hash": access_token is not None})
    except (JOSEError, ValueError, TypeError, KeyError, UnicodeError) as exc:
        raise IdTokenError(f"ID token rejected: {type(exc).__name__}") from None
    if not isinstance(claims, dict):
        raise IdTokenError("claims are not an object")
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or iat > time.time() + LEEWAY_SECONDS:
        raise IdTokenError("issued in the future")
    if claims.get("token_use") == "access":
        raise IdTokenError("an access token is not an ID token")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise IdTokenError("bad subject")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"], nonce):
        raise IdTokenError("nonce does not match")
    return claims
