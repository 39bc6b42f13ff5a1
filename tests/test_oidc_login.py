"""OpenID Connect login (Feide and Entra ID) end to end, against a fake identity provider.

The fake provider lives in this file and is reached only through ``httpx.MockTransport``: no
network, no sockets. It has its own RSA keys, serves a discovery document, a JWKS, a token endpoint
that checks the client, the redirect URI and PKCE (S256), and Feide's userinfo and groups APIs.
The browser's visit to the provider's authorization endpoint is played by the test: it reads the
parameters of the app's redirect and asks the fake provider for a code bound to them."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import types
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt
from litestar.testing import TestClient

from catalogue.app import create_app
from catalogue.demo import DEMO_USERS, seed_demo
from catalogue.logging_filters import redact
from catalogue.security import ratelimit
from catalogue.tables import AppUser, LoginRequest, UserSession
from tests.conftest import Api, _settings

BASE_URL = "https://katalog.example.no"
REDIRECT_URI = f"{BASE_URL}/auth/callback"
CLIENT_ID = "catalogue-client"
CLIENT_SECRET = "s3cret"
FEIDE_ISSUER = "https://auth.dataporten.no"
FEIDE_USERINFO = "https://api.dataporten.no/userinfo/v1/userinfo"
FEIDE_GROUPS = "https://groups-api.dataporten.no/groups/me/groups"
ENTRA_TENANT = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
OTHER_TENANT = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
ENTRA_ISSUER = f"https://login.microsoftonline.com/{ENTRA_TENANT}/v2.0"
EPPN = "https://n.feide.no/claims/eduPersonPrincipalName"

DELETE = object()  # a claims-override value that removes the claim

REFUSED_LOGIN_NB = "Innloggingen kunne ikke bekreftes"
UNAVAILABLE_NB = "Innloggingstjenesten svarer ikke akkurat nå"


# --- keys and JOSE helpers ------------------------------------------------------------------------


@lru_cache(maxsize=None)
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """One RSA key per name for the whole test session (2048-bit keys are slow to make)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": _uint(numbers.n), "e": _uint(numbers.e)}


def at_hash(access_token: str) -> str:
    """Left-most half of SHA-256 of the access token, base64url (OpenID Connect Core 3.1.3.6)."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


def unsigned_jwt(header: dict, claims: dict, signature: bytes | None = None,
                 hmac_key: bytes | None = None) -> str:
    """A JWT put together by hand, for algorithms python-jose refuses to sign with."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if hmac_key is not None:
        signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature or b'')}"


# --- the fake identity provider -------------------------------------------------------------------


class FakeIdP:
    """An OpenID Connect provider behind httpx.MockTransport, configurable per test."""

    def __init__(self, issuer: str = FEIDE_ISSUER, *, tenant_id: str | None = None) -> None:
        self.issuer = issuer
        self.tenant_id = tenant_id
        self.authorization_endpoint = f"{issuer}/oauth2/authorize"
        self.token_endpoint = f"{issuer}/oauth2/token"
        self.jwks_uri = f"{issuer}/oauth2/keys"
        self.userinfo_endpoint = f"{issuer}/oauth2/userinfo"
        self.userinfo_url = FEIDE_USERINFO
        self.groups_url = FEIDE_GROUPS
        # keys the JWKS publishes, by kid; which of them signs; what the header's kid says
        self.keys: dict[str, rsa.RSAPrivateKey] = {"idp-key-1": rsa_key("idp-1")}
        self.signing_kid = "idp-key-1"
        self.header_kid: str | None = None
        self.alg = "RS256"
        self.extra_headers: dict[str, Any] = {}
        self.claims_override: dict[str, Any] = {}
        # forge(claims, access_token) -> the id_token to hand out instead of a proper one
        self.forge: Callable[[dict, str], str] | None = None
        self.discovery_up = True
        self.jwks_up = True
        self.discovery_fetches = 0
        self.jwks_fetches = 0
        self.userinfo_body: Any = {}
        self.groups_body: Any = []
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: set[str] = set()
        self.issued: list[dict[str, str]] = []
        self.token_refusals: list[str] = []
        self.unexpected: list[str] = []

    # the browser's visit to the authorization endpoint, played by the test
    def authorize(self, params: dict[str, str], *, sub: str = "feide-kari-1",
                  name: str = "Kari Nordmann", email: str | None = "kari@fjordvik.kommune.no",
                  claims: dict[str, Any] | None = None) -> str:
        assert params["response_type"] == "code"
        assert params["client_id"] == CLIENT_ID
        assert params["redirect_uri"] == REDIRECT_URI
        assert params["code_challenge_method"] == "S256"
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", params["code_challenge"])
        assert "openid" in params["scope"].split()
        assert params["state"] and params["nonce"] and params["state"] != params["nonce"]
        code = secrets.token_urlsafe(24)
        user = {"sub": sub, "name": name, **({"email": email} if email else {}), **(claims or {})}
        self.codes[code] = {"challenge": params["code_challenge"], "nonce": params["nonce"],
                            "redirect_uri": params["redirect_uri"], "client_id": params["client_id"],
                            "user": user}
        return code

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.authorization_endpoint,
            "token_endpoint": self.token_endpoint,
            "jwks_uri": self.jwks_uri,
            "userinfo_endpoint": self.userinfo_endpoint,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }

    def sign(self, claims: dict[str, Any], *, key: rsa.RSAPrivateKey | None = None, kid: str | None = None,
             headers: dict[str, Any] | None = None) -> str:
        key = key or self.keys[self.signing_kid]
        header = {"kid": kid or self.header_kid or self.signing_kid, **self.extra_headers, **(headers or {})}
        return jwt.encode(claims, private_pem(key), algorithm=self.alg, headers=header)

    def _refuse(self, reason: str, error: str = "invalid_grant", status: int = 400) -> httpx.Response:
        self.token_refusals.append(reason)
        return httpx.Response(status, json={"error": error, "error_description": reason})

    def _token(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return self._refuse("not a form", "invalid_request")
        form = {k: v[0] for k, v in parse_qs(request.content.decode(), keep_blank_values=True).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
            return self._refuse("client authentication failed", "invalid_client", 401)
        if form.get("grant_type") != "authorization_code":
            return self._refuse("grant type", "unsupported_grant_type")
        grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if grant is None:
            return self._refuse("unknown or used code")
        if grant["client_id"] != client_id or form.get("redirect_uri") != grant["redirect_uri"]:
            return self._refuse("redirect_uri or client does not match the authorization request")
        verifier = form.get("code_verifier", "")
        if not re.fullmatch(r"[A-Za-z0-9._~-]{43,128}", verifier) or \
                b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
            return self._refuse("PKCE verification failed")
        access_token = secrets.token_urlsafe(32)
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                                  "nonce": grant["nonce"], "at_hash": at_hash(access_token)}
        if self.tenant_id:
            claims["tid"] = self.tenant_id
        claims.update(grant["user"])
        claims.update(self.claims_override)
        claims = {k: v for k, v in claims.items() if v is not DELETE}
        id_token = self.forge(claims, access_token) if self.forge else self.sign(claims)
        self.access_tokens.add(access_token)
        self.issued.append({"code": form["code"], "access_token": access_token, "id_token": id_token})
        return httpx.Response(200, json={"access_token": access_token, "id_token": id_token,
                                         "token_type": "Bearer", "expires_in": 3600, "scope": "openid profile email"})

    def _authorised(self, request: httpx.Request, body: Any) -> httpx.Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.access_tokens:
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(200, json=body)

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url.copy_with(query=None))
        if request.url.scheme != "https":
            self.unexpected.append(f"{request.method} {request.url}")
            raise httpx.ConnectError("only https here", request=request)
        if request.method == "GET" and url == f"{self.issuer}/.well-known/openid-configuration":
            self.discovery_fetches += 1
            if not self.discovery_up:
                raise httpx.ConnectError("discovery is down", request=request)
            return httpx.Response(200, json=self.discovery())
        if request.method == "GET" and url == self.jwks_uri:
            self.jwks_fetches += 1
            if not self.jwks_up:
                raise httpx.ConnectError("JWKS is down", request=request)
            return httpx.Response(200, json={"keys": [public_jwk(k, kid) for kid, k in self.keys.items()]})
        if request.method == "POST" and url == self.token_endpoint:
            return self._token(request)
        if request.method == "GET" and url == self.userinfo_url:
            return self._authorised(request, self.userinfo_body)
        if request.method == "GET" and url == self.groups_url:
            return self._authorised(request, self.groups_body)
        if request.method == "GET" and url == self.userinfo_endpoint:
            return self._authorised(request, {"sub": "unused"})
        self.unexpected.append(f"{request.method} {request.url}")
        return httpx.Response(404, json={"error": "not_found"})


# --- the app under test -------------------------------------------------------------------------


class FakeClock:
    def __init__(self, start: float = 100_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class PeerAddress:
    """ASGI wrapper that gives requests a peer IP address: Litestar's TestClient always says the
    peer is "testclient", which is no IP address and so can never be a trusted proxy."""

    def __init__(self, app, host: str) -> None:
        self.app, self.host = app, host

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": (self.host, 50000)}
        await self.app(scope, receive, send)


async def _session_count() -> int:
    return await UserSession.count()


async def _sessions() -> list[dict]:
    return await UserSession.select(UserSession.session_id, UserSession.user, UserSession.revoked_at)


async def _users() -> list[dict]:
    return await AppUser.select(AppUser.id, AppUser.issuer, AppUser.subject, AppUser.email).order_by(AppUser.id)


def set_cookie_header(response: httpx.Response, name: str) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    return None


def cookie_attributes(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


class Env:
    """One app with its fake provider and one browser (a TestClient with a cookie jar)."""

    def __init__(self, app, client: TestClient, idp: FakeIdP) -> None:
        self.app, self.client, self.idp = app, client, idp
        self.api = Api(client)
        self.clock: FakeClock | None = None

    def fake_clock(self) -> FakeClock:
        """Give the relying party a clock the test moves (before its first fetch)."""
        oidc = self.app.state.oidc
        clock = FakeClock()
        oidc.clock = clock
        self.clock = clock
        return clock

    def start(self, return_to: str | None = None, **headers: str) -> dict[str, str]:
        response = self.client.get("/auth/login", params={"return_to": return_to} if return_to else None,
                                   headers=headers)
        assert response.status_code == 303, response.text
        parts = urlsplit(response.headers["location"])
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.idp.authorization_endpoint
        return dict(parse_qsl(parts.query))

    def callback(self, **query: str) -> httpx.Response:
        return self.client.get("/auth/callback", params=query)

    def finish(self, params: dict[str, str], **user: Any) -> httpx.Response:
        code = self.idp.authorize(params, **user)
        return self.callback(code=code, state=params["state"])

    def login(self, return_to: str = "/", **user: Any) -> httpx.Response:
        response = self.finish(self.start(return_to), **user)
        assert response.status_code == 303, (response.status_code, response.text, self.idp.token_refusals)
        assert response.headers["location"] == return_to
        assert self.client.cookies.get("lk_session")
        return response

    def csrf(self) -> str:
        page = self.client.get("/")
        assert page.status_code == 200
        found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        return found.group(1) if found else self.client.cookies["lk_csrf"]

    def api_token(self) -> httpx.Response:
        return self.client.post("/auth/token", headers={"x-csrftoken": self.csrf()})

    def me(self, token: str) -> httpx.Response:
        return self.client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})

    def session_count(self) -> int:
        return self.api.run(_session_count)

    def users(self) -> list[dict]:
        return self.api.run(_users)


def oidc_settings(database_url, tmp_path, signing_pem, idp: FakeIdP, provider: str = "feide", **overrides):
    values: dict[str, Any] = dict(
        oidc_provider=provider,
        oidc_issuer=idp.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        public_base_url=BASE_URL,
        oidc_feide_userinfo_url=idp.userinfo_url,
        oidc_feide_groups_url=idp.groups_url,
        rate_limit_auth=(1000, 60),  # the rate-limit tests set their own
    )
    if provider == "entra":
        values["oidc_entra_tenant_id"] = ENTRA_TENANT
    values.update(overrides)
    settings = dataclasses.replace(_settings(database_url, tmp_path, signing_pem), **values)
    settings.validate()
    return settings


@pytest.fixture
def oidc_env(database_url, tmp_path, signing_pem):
    """Factory: ``oidc_env(idp=None, provider="feide", peer=None, **settings)`` -> Env."""
    with contextlib.ExitStack() as stack:

        def start(idp: FakeIdP | None = None, *, provider: str = "feide", peer: str | None = None,
                  **overrides: Any) -> Env:
            if idp is None:
                idp = FakeIdP(ENTRA_ISSUER, tenant_id=ENTRA_TENANT) if provider == "entra" else FakeIdP()
            settings = oidc_settings(database_url, tmp_path, signing_pem, idp, provider, **overrides)
            app = create_app(settings, http_transport=httpx.MockTransport(idp.handler))
            asgi = app if peer is None else PeerAddress(app, peer)
            client = stack.enter_context(TestClient(asgi, base_url=BASE_URL, raise_server_exceptions=False))
            client.follow_redirects = False
            assert app.state.oidc is not None
            return Env(app, client, idp)

        yield start


def assert_refused(env: Env, response: httpx.Response, statuses=(400, 403), sessions_before: int = 0) -> None:
    """A refused callback: 400 or 403 (never 500), a page in Norwegian, and no session anywhere."""
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("text/html")
    assert "Innloggingen" in response.text or "Kontoen" in response.text or "Feide" in response.text \
        or "Tjenesten" in response.text
    header = set_cookie_header(response, "lk_session")
    assert header is None, header
    if sessions_before == 0:
        assert "lk_session" not in env.client.cookies
    assert env.session_count() == sessions_before


# --- 1. Feide: the whole login ---------------------------------------------------------------


def test_feide_login_end_to_end(oidc_env):
    env = oidc_env()
    login = env.client.get("/auth/login", params={"return_to": "/ressurser?side=2"})
    assert login.status_code == 303
    login_cookie = set_cookie_header(login, "lk_login")
    assert login_cookie is not None
    assert {"httponly", "secure", "samesite=lax", "path=/auth"} <= cookie_attributes(login_cookie)
    parts = urlsplit(login.headers["location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == env.idp.authorization_endpoint
    params = dict(parse_qsl(parts.query))
    assert params["code_challenge_method"] == "S256"
    assert params["redirect_uri"] == REDIRECT_URI and params["client_id"] == CLIENT_ID

    response = env.finish(params)
    assert response.status_code == 303, (response.text, env.idp.token_refusals)
    assert response.headers["location"] == "/ressurser?side=2"
    session_cookie = set_cookie_header(response, "lk_session")
    assert session_cookie is not None
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= cookie_attributes(session_cookie)
    assert env.client.cookies.get("lk_session")
    assert "lk_login" not in env.client.cookies  # the pending login's cookie is cleared
    assert env.idp.token_refusals == [] and env.idp.unexpected == []
    assert env.idp.discovery_fetches == 1 and env.idp.jwks_fetches == 1

    # the API never reads the session cookie
    assert env.client.get("/api/v1/users/me").status_code == 401

    # but the page session buys a bearer token, with the CSRF token
    assert env.client.post("/auth/token").status_code == 403
    token_response = env.api_token()
    assert token_response.status_code == 200, token_response.text
    body = token_response.json()
    assert body["token_type"] == "Bearer" and body["access_token"]
    me = env.me(body["access_token"])
    assert me.status_code == 200, me.text
    assert me.json()["roles"] == ["staff"]
    assert me.json()["display_name"] == "Kari Nordmann"
    [user] = env.users()
    assert (user["issuer"], user["subject"], user["email"]) == (FEIDE_ISSUER, "feide-kari-1",
                                                               "kari@fjordvik.kommune.no")
    assert me.json()["id"] == user["id"]


def test_return_to_never_leaves_the_site(oidc_env):
    env = oidc_env()
    for target in ("https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com", "javascript:alert(1)"):
        env.client.cookies.clear()
        response = env.finish(env.start(return_to=target))
        assert response.status_code == 303
        assert response.headers["location"] == "/"


def test_users_are_matched_by_subject_never_by_email(oidc_env):
    env = oidc_env()
    env.login(sub="feide-kari-1", email="kari@fjordvik.kommune.no")
    first = env.me(env.api_token().json()["access_token"]).json()["id"]

    env.login(sub="feide-kari-1", email="kari@fjordvik.kommune.no")
    assert env.me(env.api_token().json()["access_token"]).json()["id"] == first

    env.login(sub="feide-someone-else", name="Kari Kopi", email="kari@fjordvik.kommune.no")
    other = env.me(env.api_token().json()["access_token"]).json()
    assert other["id"] != first
    assert other["roles"] == ["staff"]
    users = env.users()
    assert [u["subject"] for u in users] == ["feide-kari-1", "feide-someone-else"]
    assert env.session_count() == 3


# --- 2. Entra ID ------------------------------------------------------------------------------


def test_entra_login_with_the_municipality_tenant(oidc_env):
    env = oidc_env(provider="entra")
    assert env.app.state.oidc.issuer == ENTRA_ISSUER
    env.login(return_to="/", sub="entra-oid-1", name="Ola Nordmann", email="ola@fjordvik.kommune.no")
    assert env.me(env.api_token().json()["access_token"]).json()["roles"] == ["staff"]
    [user] = env.users()
    assert user["issuer"] == ENTRA_ISSUER and user["subject"] == "entra-oid-1"


def test_entra_login_from_another_tenant_is_refused(oidc_env):
    idp = FakeIdP(ENTRA_ISSUER, tenant_id=OTHER_TENANT)
    env = oidc_env(idp, provider="entra")
    response = env.finish(env.start())
    assert_refused(env, response, statuses=(403,))
    assert "Kontoen tilhører ikke kommunens organisasjon" in response.text
    assert env.users() == []


def test_entra_token_without_tenant_is_refused(oidc_env):
    idp = FakeIdP(ENTRA_ISSUER, tenant_id=None)
    env = oidc_env(idp, provider="entra")
    assert_refused(env, env.finish(env.start()), statuses=(403,))


# --- 3. Feide realms and affiliations ---------------------------------------------------------


@pytest.mark.parametrize("principal_name, allowed", [
    ("kari@fjordvik.kommune.no", True),
    ("Per@Fjordvik.Kommune.NO", True),
    ("ola@annen.no", False),
    ("eve@fjordvik.kommune.no.annen.no", False),
    ("fjordvik.kommune.no", False),
])
def test_feide_realm_restriction(oidc_env, principal_name, allowed):
    env = oidc_env(oidc_feide_realms=("fjordvik.kommune.no",))
    response = env.finish(env.start(), claims={EPPN: principal_name})
    if allowed:
        assert response.status_code == 303, response.text
        assert env.client.cookies.get("lk_session")
    else:
        assert_refused(env, response, statuses=(403,))
        assert "Feide-kontoen tilhører ikke kommunens organisasjon" in response.text
        assert env.users() == []


@pytest.mark.parametrize("userinfo, allowed", [
    ({"eduPersonPrincipalName": "kari@fjordvik.kommune.no"}, True),
    ({"eduPersonPrincipalName": "ola@annen.no"}, False),
    ({}, False),
])
def test_feide_realm_from_userinfo_when_the_id_token_lacks_it(oidc_env, userinfo, allowed):
    env = oidc_env(oidc_feide_realms=("fjordvik.kommune.no",))
    env.idp.userinfo_body = userinfo
    response = env.finish(env.start())
    if allowed:
        assert response.status_code == 303, response.text
    else:
        assert_refused(env, response, statuses=(403,))


@pytest.mark.parametrize("affiliations, allowed", [
    (["student", "member"], False),
    (["employee", "member"], True),
    ("faculty", True),
])
def test_feide_affiliation_from_userinfo(oidc_env, affiliations, allowed):
    env = oidc_env(oidc_feide_affiliations=("employee", "faculty"), oidc_feide_affiliation_source="userinfo")
    env.idp.userinfo_body = {"eduPersonAffiliation": affiliations}
    response = env.finish(env.start())
    if allowed:
        assert response.status_code == 303, response.text
        assert env.client.cookies.get("lk_session")
    else:
        assert_refused(env, response, statuses=(403,))
        assert "Tjenesten er bare for ansatte" in response.text
    assert env.idp.unexpected == []


@pytest.mark.parametrize("groups, allowed", [
    ([{"type": "fc:org", "membership": {"affiliation": ["employee"]}}], True),
    ([{"type": "fc:org", "membership": {"affiliation": "faculty", "primaryAffiliation": "faculty"}}], True),
    ([{"type": "fc:org", "membership": {"affiliation": ["student", "member"]}},
      {"type": "fc:adhoc", "membership": {"affiliation": ["employee"]}}], False),
    ([], False),
])
def test_feide_affiliation_from_groups(oidc_env, groups, allowed):
    env = oidc_env(oidc_feide_affiliations=("employee", "faculty"), oidc_feide_affiliation_source="groups")
    env.idp.groups_body = groups
    env.idp.userinfo_body = {"eduPersonAffiliation": ["employee"]}  # must not be what decides
    response = env.finish(env.start())
    if allowed:
        assert response.status_code == 303, response.text
    else:
        assert_refused(env, response, statuses=(403,))
    assert env.idp.unexpected == []


def test_feide_realm_and_affiliation_together(oidc_env):
    env = oidc_env(oidc_feide_realms=("fjordvik.kommune.no",), oidc_feide_affiliations=("employee",))
    env.idp.userinfo_body = {"eduPersonPrincipalName": "kari@fjordvik.kommune.no",
                             "eduPersonAffiliation": ["employee", "member"]}
    assert env.finish(env.start()).status_code == 303
    env.client.cookies.clear()
    env.idp.userinfo_body = {"eduPersonPrincipalName": "kari@fjordvik.kommune.no",
                             "eduPersonAffiliation": ["student"]}
    assert_refused(env, env.finish(env.start()), statuses=(403,), sessions_before=1)


# --- 4. callback refusals -----------------------------------------------------------------------


def _missing_state(env: Env) -> tuple[httpx.Response, int]:
    params = env.start()
    return env.callback(code=env.idp.authorize(params)), 0


def _unknown_state(env: Env) -> tuple[httpx.Response, int]:
    params = env.start()
    return env.callback(code=env.idp.authorize(params), state=secrets.token_urlsafe(32)), 0


def _state_reused(env: Env) -> tuple[httpx.Response, int]:
    params = env.start()
    login_cookie = env.client.cookies["lk_login"]
    first = env.finish(params)
    assert first.status_code == 303
    # replay with the same state, the same browser cookie and a fresh, valid code
    env.client.cookies.clear()
    env.client.cookies.set("lk_login", login_cookie, domain="katalog.example.no", path="/auth")
    return env.finish(params), 1


def _no_login_cookie(env: Env) -> tuple[httpx.Response, int]:
    params = env.start()
    env.client.cookies.delete("lk_login")
    return env.finish(params), 0


def _login_cookie_of_another_browser(env: Env) -> tuple[httpx.Response, int]:
    victim = env.start()
    env.start()  # this browser's own login replaces its lk_login cookie
    response = env.finish(victim)
    return response, 0


def _login_request_expired(env: Env) -> tuple[httpx.Response, int]:
    params = env.start()

    async def expire() -> None:
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
        await LoginRequest.update({LoginRequest.expires_at: past}).where(LoginRequest.state == params["state"])

    env.api.run(expire)
    return env.finish(params), 0


def _access_denied(env: Env) -> tuple[httpx.Response, int]:
    params = env.start()
    return env.callback(error="access_denied", error_description="The user cancelled", state=params["state"]), 0


def _error_with_code(env: Env) -> tuple[httpx.Response, int]:
    params = env.start()
    return env.callback(error="access_denied", code=env.idp.authorize(params), state=params["state"]), 0


def _code_not_issued(env: Env) -> tuple[httpx.Response, int]:
    params = env.start()
    return env.callback(code="not-a-code-the-provider-issued", state=params["state"]), 0


FLOW_REFUSALS = {
    "missing state": _missing_state,
    "unknown state": _unknown_state,
    "state used twice": _state_reused,
    "no lk_login cookie": _no_login_cookie,
    "lk_login cookie of another browser": _login_cookie_of_another_browser,
    "login request expired": _login_request_expired,
    "error=access_denied": _access_denied,
    "error with a code": _error_with_code,
    "code the provider refuses": _code_not_issued,
}


@pytest.mark.parametrize("case", list(FLOW_REFUSALS))
def test_callback_refuses_broken_flows(oidc_env, case):
    env = oidc_env()
    response, sessions_before = FLOW_REFUSALS[case](env)
    assert_refused(env, response, sessions_before=sessions_before)


def test_a_stolen_state_is_refused_and_the_browsers_own_login_still_works(oidc_env):
    """A state started elsewhere is refused here; this browser's own pending login is untouched."""
    env = oidc_env()
    victim = env.start()
    own = env.start()
    assert_refused(env, env.finish(victim), statuses=(400,))
    assert env.finish(own).status_code == 303


def _now() -> int:
    return int(time.time())


def _wrong(**changes: Any) -> Callable[[FakeIdP, dict, str], str]:
    def forge(idp: FakeIdP, claims: dict, access_token: str) -> str:
        claims = {**claims, **changes}
        return idp.sign({k: v for k, v in claims.items() if v is not DELETE})
    return forge


def _expired(idp: FakeIdP, claims: dict, access_token: str) -> str:
    return idp.sign({**claims, "iat": _now() - 1200, "exp": _now() - 600})


def _issued_in_future(idp: FakeIdP, claims: dict, access_token: str) -> str:
    return idp.sign({**claims, "iat": _now() + 600, "exp": _now() + 1200})


def _unknown_key_known_kid(idp: FakeIdP, claims: dict, access_token: str) -> str:
    return idp.sign(claims, key=rsa_key("attacker"), kid=idp.signing_kid)


def _hs256_with_public_pem(idp: FakeIdP, claims: dict, access_token: str) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": idp.signing_kid}
    return unsigned_jwt(header, claims, hmac_key=public_pem(idp.keys[idp.signing_kid]))


def _alg_none(idp: FakeIdP, claims: dict, access_token: str) -> str:
    return unsigned_jwt({"alg": "none", "typ": "JWT", "kid": idp.signing_kid}, claims)


def _kid_unknown(idp: FakeIdP, claims: dict, access_token: str) -> str:
    return idp.sign(claims, key=rsa_key("attacker"), kid="attacker-kid")


def _kid_unknown_real_key(idp: FakeIdP, claims: dict, access_token: str) -> str:
    return idp.sign(claims, kid="not-in-the-jwks")


def _header(**header: Any) -> Callable[[FakeIdP, dict, str], str]:
    def forge(idp: FakeIdP, claims: dict, access_token: str) -> str:
        # signed by the provider's real key, so only the header rule can refuse it
        return idp.sign(claims, headers=header)
    return forge


def _jwk_header_attacker_key(idp: FakeIdP, claims: dict, access_token: str) -> str:
    attacker = rsa_key("attacker")
    return idp.sign(claims, key=attacker, kid="attacker-kid",
                    headers={"jwk": public_jwk(attacker, "attacker-kid")})


def _at_hash_mismatch(idp: FakeIdP, claims: dict, access_token: str) -> str:
    return idp.sign({**claims, "at_hash": at_hash("some-other-access-token")})


def _tampered_payload(idp: FakeIdP, claims: dict, access_token: str) -> str:
    token = idp.sign(claims)
    header, _, signature = token.split(".")
    payload = b64url(json.dumps({**claims, "sub": "someone-else"}).encode())
    return f"{header}.{payload}.{signature}"


ID_TOKEN_ATTACKS = {
    "wrong nonce": _wrong(nonce="a-nonce-from-another-login"),
    "no nonce": _wrong(nonce=DELETE),
    "wrong aud": _wrong(aud="some-other-client"),
    "aud list without us": _wrong(aud=["some-other-client", "third-client"]),
    "wrong iss": _wrong(iss="https://evil.example.com"),
    "no sub": _wrong(sub=DELETE),
    "expired": _expired,
    "iat in the future": _issued_in_future,
    "unknown key, known kid": _unknown_key_known_kid,
    "payload tampered": _tampered_payload,
    "HS256 with the public key as HMAC secret": _hs256_with_public_pem,
    "alg none": _alg_none,
    "kid unknown": _kid_unknown,
    "kid unknown, provider's key": _kid_unknown_real_key,
    "jku header": _header(jku="https://evil.example.com/jwks.json"),
    "x5u header": _header(x5u="https://evil.example.com/cert.pem"),
    "jwk header": _header(jwk=public_jwk(rsa_key("attacker"), "attacker-kid")),
    "jwk header with the attacker's key": _jwk_header_attacker_key,
    "at_hash does not match": _at_hash_mismatch,
}


@pytest.mark.parametrize("attack", list(ID_TOKEN_ATTACKS))
def test_callback_refuses_bad_id_tokens(oidc_env, attack):
    env = oidc_env()
    forge = ID_TOKEN_ATTACKS[attack]
    env.idp.forge = lambda claims, access_token: forge(env.idp, claims, access_token)
    response = env.finish(env.start())
    assert_refused(env, response, statuses=(403,))
    assert REFUSED_LOGIN_NB in response.text
    assert env.idp.token_refusals == []  # the code exchange itself went through
    assert env.users() == []


def test_the_fake_provider_accepts_the_unforged_token(oidc_env):
    """The attacks above differ from this login only in the ID token."""
    env = oidc_env()
    env.idp.forge = lambda claims, access_token: env.idp.sign(claims)
    assert env.finish(env.start()).status_code == 303


def test_the_code_exchange_fails_with_a_wrong_client_secret(oidc_env):
    env = oidc_env(oidc_client_secret="not-the-secret")
    response = env.finish(env.start())
    assert_refused(env, response, statuses=(403,))
    assert env.idp.token_refusals == ["client authentication failed"]


# --- 5. JWKS caching and refresh ----------------------------------------------------------------


def test_cached_keys_serve_while_jwks_is_down_then_login_fails_closed(oidc_env):
    env = oidc_env(jwks_cache_seconds=3600)
    clock = env.fake_clock()
    env.login(sub="kari")
    assert env.idp.jwks_fetches == 1

    env.idp.jwks_up = False
    clock.advance(1800)
    env.client.cookies.clear()
    env.login(sub="kari")  # keys from the cache
    assert env.idp.jwks_fetches == 1

    clock.advance(1801)  # past the cache lifetime: no keys without the provider
    env.client.cookies.clear()
    response = env.finish(env.start())
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert UNAVAILABLE_NB in response.text
    assert set_cookie_header(response, "lk_session") is None
    assert env.session_count() == 2

    env.idp.discovery_up = False
    clock.advance(3601)
    response = env.client.get("/auth/login")
    assert response.status_code == 503
    assert UNAVAILABLE_NB in response.text

    env.idp.discovery_up = env.idp.jwks_up = True  # the provider is back: so is login
    env.login(sub="kari")
    assert env.session_count() == 3


def test_unknown_kid_refreshes_jwks_at_most_once_a_minute(oidc_env):
    env = oidc_env(jwks_cache_seconds=3600, jwks_min_refresh_seconds=60)
    clock = env.fake_clock()
    env.login()
    assert env.idp.jwks_fetches == 1

    # More than a minute after that fetch, tokens with a kid the JWKS lacks arrive.
    clock.advance(61)
    env.idp.header_kid = "kid-nobody-published"
    assert_refused(env, env.finish(env.start()), statuses=(403,), sessions_before=1)
    assert env.idp.jwks_fetches == 2
    clock.advance(30)
    assert_refused(env, env.finish(env.start()), statuses=(403,), sessions_before=1)
    assert env.idp.jwks_fetches == 2  # the second one within the minute: no refresh

    clock.advance(31)  # a minute after the refresh another one is allowed
    assert_refused(env, env.finish(env.start()), statuses=(403,), sessions_before=1)
    assert env.idp.jwks_fetches == 3

    # a real key rotation is picked up by such a refresh
    env.idp.keys["idp-key-2"] = rsa_key("idp-2")
    env.idp.signing_kid, env.idp.header_kid = "idp-key-2", None
    clock.advance(61)
    env.login()
    assert env.idp.jwks_fetches == 4
    assert env.session_count() == 2


def test_unknown_kid_while_jwks_is_down_is_refused_not_unavailable(oidc_env):
    env = oidc_env()
    clock = env.fake_clock()
    env.login()
    env.idp.jwks_up = False
    env.idp.header_kid = "kid-nobody-published"
    clock.advance(61)
    response = env.finish(env.start())
    assert_refused(env, response, statuses=(403,), sessions_before=1)
    assert env.idp.jwks_fetches == 2


# --- 6. discovery down --------------------------------------------------------------------------


def test_discovery_down_at_first_login_is_503_in_norwegian(oidc_env):
    env = oidc_env()
    env.idp.discovery_up = False
    response = env.client.get("/auth/login")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert UNAVAILABLE_NB in response.text
    assert '<html lang="nb"' in response.text or "lang=\"nb\"" in response.text
    assert set_cookie_header(response, "lk_login") is None
    assert env.idp.discovery_fetches == 1

    env.idp.discovery_up = True  # a failure is not cached
    env.login()


def test_discovery_naming_another_issuer_is_unavailable(oidc_env):
    env = oidc_env()
    real = env.idp.discovery
    env.idp.discovery = lambda: {**real(), "issuer": "https://evil.example.com"}
    assert env.client.get("/auth/login").status_code == 503


# --- 7. logout ----------------------------------------------------------------------------------


def test_logout_ends_the_session(oidc_env):
    env = oidc_env()
    env.login()
    old_cookie = env.client.cookies["lk_session"]
    csrf = env.csrf()
    assert env.me(old_cookie).status_code == 200  # the session's own token, while the session lives
    assert env.api_token().status_code == 200

    refused = env.client.post("/auth/logout", data={})
    assert refused.status_code == 403
    assert env.client.post("/auth/logout", data={"_csrf_token": "forged" * 20}).status_code == 403
    assert env.api_token().status_code == 200  # still signed in

    response = env.client.post("/auth/logout", data={"_csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cleared = set_cookie_header(response, "lk_session")
    assert cleared is not None and "max-age=0" in cookie_attributes(cleared)
    assert "lk_session" not in env.client.cookies
    [session] = env.api.run(_sessions)
    assert session["revoked_at"] is not None

    # the old cookie, replayed, is a visitor's
    env.client.cookies.set("lk_session", old_cookie, domain="katalog.example.no", path="/")
    replay = env.client.post("/auth/token", headers={"x-csrftoken": env.csrf()})
    assert replay.status_code == 401
    # and the session's token is worthless as a bearer token too
    assert env.me(old_cookie).status_code == 401


def test_logout_needs_the_csrf_token(oidc_env):
    env = oidc_env()
    env.login()
    env.csrf()
    assert env.client.post("/auth/logout").status_code == 403
    assert env.client.post("/auth/logout", headers={"x-csrftoken": "nonsense"}).status_code == 403
    [session] = env.api.run(_sessions)
    assert session["revoked_at"] is None


# --- 8. rate limits ----------------------------------------------------------------------------

WINDOW_START = 1_700_000_040  # a multiple of 60
FROZEN_NOW = WINDOW_START + 10


@pytest.fixture
def frozen_rate_limit_clock(monkeypatch):
    """Fix the rate limiter's wall clock so the fixed window cannot roll over mid-test."""
    now = {"t": float(FROZEN_NOW)}
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now["t"]))
    return now


def test_login_rate_limit_per_client(oidc_env, frozen_rate_limit_clock):
    env = oidc_env(rate_limit_auth=(3, 60))
    for remaining in ("2", "1", "0"):
        response = env.client.get("/auth/login")
        assert response.status_code == 303
        assert response.headers["RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Remaining"] == remaining
    limited = env.client.get("/auth/login")
    assert limited.status_code == 429
    assert limited.headers["RateLimit-Limit"] == "3"
    assert limited.headers["RateLimit-Remaining"] == "0"
    assert limited.headers["Retry-After"] == "50"
    assert env.idp.discovery_fetches == 1  # the limited request never reached the provider

    # with no trusted proxy, X-Forwarded-For is the client's own say-so and changes nothing
    for spoofed in ("198.51.100.7", "203.0.113.9, 198.51.100.8"):
        assert env.client.get("/auth/login", headers={"X-Forwarded-For": spoofed}).status_code == 429

    # the callback counts in its own bucket
    assert env.client.get("/auth/callback", params={"state": "x", "code": "y"}).status_code == 400

    frozen_rate_limit_clock["t"] += 60  # the next window
    response = env.client.get("/auth/login")
    assert response.status_code == 303
    assert response.headers["RateLimit-Remaining"] == "2"


def test_login_rate_limit_behind_a_trusted_proxy(oidc_env, frozen_rate_limit_clock):
    env = oidc_env(rate_limit_auth=(3, 60), peer="127.0.0.1", trusted_proxies=("127.0.0.1/32",))

    def login_from(forwarded_for: str | None) -> httpx.Response:
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        return env.client.get("/auth/login", headers=headers)

    for remaining in ("2", "1", "0"):
        response = login_from("198.51.100.7")
        assert response.status_code == 303
        assert response.headers["RateLimit-Remaining"] == remaining
    assert login_from("198.51.100.7").status_code == 429
    # the proxy appends the real client: a hop the client wrote itself does not reset the count
    assert login_from("203.0.113.99, 198.51.100.7").status_code == 429

    other = login_from("198.51.100.8")
    assert other.status_code == 303
    assert other.headers["RateLimit-Remaining"] == "2"
    assert login_from("198.51.100.7, 127.0.0.1").status_code == 429  # the trusted proxy's own hop is skipped
    direct = login_from(None)  # the proxy itself, with no forwarded client
    assert direct.status_code == 303
    assert direct.headers["RateLimit-Remaining"] == "2"


# --- 9. secrets stay out of the logs -----------------------------------------------------------


@pytest.fixture
def capture_all_logs(caplog):
    """caplog at DEBUG for every logger. Litestar's logging config replaces the root logger's
    handlers when the app is built, so the capture handler is attached again afterwards."""

    def start() -> None:
        root = logging.getLogger()
        if caplog.handler not in root.handlers:
            root.addHandler(caplog.handler)
        caplog.set_level(logging.DEBUG)
        for name in ("catalogue", "litestar", "httpx", "httpcore", "uvicorn", "uvicorn.access", "uvicorn.error",
                     "piccolo", "asyncio", "aiosqlite", "asyncpg"):
            caplog.set_level(logging.DEBUG, logger=name)

    yield start
    logging.getLogger().removeHandler(caplog.handler)


def test_tokens_never_reach_the_logs(oidc_env, caplog, capture_all_logs):
    env = oidc_env(log_level="DEBUG")
    capture_all_logs()

    env.login(return_to="/")
    session_token = env.client.cookies["lk_session"]
    api_token = env.api_token().json()["access_token"]
    assert env.me(api_token).status_code == 200
    assert env.me(session_token).status_code == 200
    # a refused login and a code the provider refuses log their reasons too
    env.idp.forge = _wrap_forge(env.idp, _wrong(nonce="stolen"))
    assert env.finish(env.start()).status_code == 403
    env.idp.forge = None
    params = env.start()
    assert env.callback(code="abc-not-a-code", state=params["state"]).status_code == 403

    assert "openid-configuration" in caplog.text  # the capture does see the outbound calls
    assert "login refused" in caplog.text
    assert len(env.idp.issued) == 2
    secrets_seen = [session_token, api_token, CLIENT_SECRET]
    for issued in env.idp.issued:
        secrets_seen += [issued["code"], issued["access_token"], issued["id_token"]]
    text = caplog.text + "\n".join(f"{r.msg} {r.args}" for r in caplog.records)
    for secret in secrets_seen:
        assert secret not in text
    for token in (session_token, api_token, *(i["id_token"] for i in env.idp.issued)):
        assert token.split(".")[1] not in text and token.split(".")[2] not in text


def test_app_log_output_is_redacted_for_every_logger(tmp_path, signing_pem, monkeypatch):
    """What the app's own log handlers receive, from its child loggers too (catalogue.auth,
    catalogue.oidc, catalogue.errors), has codes, bearer tokens and JWTs hidden."""
    create_app(_settings(f"sqlite:///{tmp_path / 'never-opened.sqlite3'}", tmp_path, signing_pem))
    handlers = {id(h): h for h in logging.getLogger().handlers}
    for name in ("litestar", "catalogue", "uvicorn.access", "httpx"):
        handlers.update({id(h): h for h in logging.getLogger(name).handlers})
    assert handlers, "the app leaves no log handler to check"
    emitted: list[str] = []
    for handler in handlers.values():
        monkeypatch.setattr(handler, "emit", lambda record: emitted.append(record.getMessage()))

    token = FakeIdP().sign({"iss": FEIDE_ISSUER, "sub": "kari", "aud": CLIENT_ID})
    names = ("catalogue.auth", "catalogue.oidc", "catalogue.errors", "catalogue", "litestar", "httpx")
    for name in names:
        logging.getLogger(name).warning("%s saw GET /auth/callback?code=%s&state=%s with Bearer %s",
                                        name, "the-secret-code", "the-secret-state", token)
    for name in names:
        assert any(line.startswith(f"{name} saw ") for line in emitted), name
    for line in emitted:
        assert "the-secret-code" not in line and "the-secret-state" not in line, line
        assert token not in line and token.split(".")[2] not in line, line


def _wrap_forge(idp: FakeIdP, forge):
    return lambda claims, access_token: forge(idp, claims, access_token)


def test_redact_hides_codes_and_bearer_tokens():
    line = "GET /auth/callback?code=abc&state=xyz HTTP/1.1"
    cleaned = redact(line)
    assert "abc" not in cleaned and "xyz" not in cleaned
    assert cleaned.startswith("GET /auth/callback?code=") and "[redacted]" in cleaned

    token = FakeIdP().sign({"iss": FEIDE_ISSUER, "sub": "kari", "aud": CLIENT_ID})
    for text in (f"Authorization: Bearer {token}", f"bearer {token}", f"id_token={token}", f"token in text {token}"):
        cleaned = redact(text)
        assert token not in cleaned
        assert token.split(".")[1] not in cleaned and token.split(".")[2] not in cleaned
    assert "Bearer [redacted]" in redact(f"Authorization: Bearer {token}")
    assert redact("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJrYXJpIn0.c2lnbmF0dXJl") == "Bearer [redacted]"
    assert redact("Bearer opaque-Access_Token.123~+/=") == "Bearer [redacted]"
    assert redact("nothing secret here") == "nothing secret here"


# --- 10. demo login -----------------------------------------------------------------------------


@pytest.fixture
def demo_api(database_url, tmp_path, signing_pem):
    settings = _settings(database_url, tmp_path, signing_pem, demo_mode=True)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.follow_redirects = False
        yield Api(client)


def test_demo_login(demo_api):
    demo_api.run(seed_demo)
    page = demo_api.get("/auth/demo")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for subject, name, _roles, _units in DEMO_USERS:
        assert f'value="{subject}"' in page.text
        assert name in page.text
    csrf = demo_api.client.cookies["lk_csrf"]
    assert f'name="_csrf_token" value="{csrf}"' in page.text

    assert demo_api.get("/auth/login", params={"return_to": "/ressurser"}).headers["location"] == \
        "/auth/demo?return_to=/ressurser"

    refused = demo_api.post("/auth/demo", data={"user": "demo-admin", "return_to": "/"})
    assert refused.status_code == 403
    assert "lk_session" not in demo_api.client.cookies
    assert demo_api.run(_session_count) == 0

    response = demo_api.post("/auth/demo", data={"_csrf_token": csrf, "user": "demo-admin",
                                                 "return_to": "/ressurser"})
    assert response.status_code == 303
    assert response.headers["location"] == "/ressurser"
    header = set_cookie_header(response, "lk_session")
    assert header is not None and {"httponly", "samesite=lax", "path=/"} <= cookie_attributes(header)
    assert demo_api.run(_session_count) == 1
    # signed in, the forms carry a token bound to the session instead of the visitor's
    assert demo_api.post("/auth/token", headers={"x-csrftoken": csrf}).status_code == 403
    session_csrf = re.search(r'name="_csrf_token" value="([^"]+)"', demo_api.get("/").text).group(1)
    assert session_csrf != csrf
    token = demo_api.post("/auth/token", headers={"x-csrftoken": session_csrf})
    assert token.status_code == 200
    me = demo_api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.json()["display_name"] == "Anne Systemeier (demo)"
    assert me.json()["roles"] == ["admin", "staff"]

    unknown = demo_api.post("/auth/demo", data={"_csrf_token": session_csrf, "user": "demo-nobody"})
    assert unknown.status_code == 400


def test_demo_login_is_absent_outside_demo_mode(api):
    assert api.get("/auth/demo").status_code == 404
    api.get("/")
    csrf = api.client.cookies["lk_csrf"]
    assert api.post("/auth/demo", data={"_csrf_token": csrf, "user": "demo-admin"}).status_code == 404
    # with neither demo mode nor an identity provider there is no login at all
    login = api.get("/auth/login")
    assert login.status_code == 503
    assert login.headers["content-type"].startswith("text/html")
    assert api.get("/auth/callback", params={"code": "x", "state": "y"}).status_code == 404
