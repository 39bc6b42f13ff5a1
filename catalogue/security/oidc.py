"""Login with the municipality's identity provider: OpenID Connect authorization code flow with
PKCE (S256), state and nonce, against Feide or Microsoft Entra ID, chosen by configuration.

The provider's discovery document and JWKS are cached per process (they are public, and each
worker may fetch its own copy). When the provider cannot be reached, cached keys serve until
their lifetime ends; after that login fails closed with 503."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlencode

import httpx

from catalogue.security.tokens import IdTokenError, verify_id_token
from catalogue.settings import Settings

log = logging.getLogger("catalogue.oidc")


class ProviderUnavailable(Exception):
    """The identity provider (discovery, JWKS or token endpoint) cannot be reached."""


class LoginRefused(Exception):
    """The identity provider vouched for someone this service does not let in (wrong realm,
    tenant or affiliation), or the login response is not valid."""

    def __init__(self, reason: str, message_nb: str) -> None:
        super().__init__(reason)
        self.message_nb = message_nb


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    name: str
    email: str | None
    claims: dict[str, Any]


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class _Cached:
    """One document fetched over HTTP, kept for ``ttl`` seconds, refreshed at most every ``min_interval``."""

    def __init__(self) -> None:
        self.value: Any = None
        self.fetched_at: float | None = None
        self.last_attempt: float | None = None
        self.lock = asyncio.Lock()


class OidcClient:
    """The service's relying party for one configured identity provider."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.http = http
        self.clock = clock
        self.issuer = settings.issuer_url
        self._metadata = _Cached()
        self._jwks = _Cached()

    @property
    def redirect_uri(self) -> str:
        return f"{self.settings.public_base_url}/auth/callback"

    # --- discovery and keys -----------------------------------------------------------

    def _fresh(self, cached: _Cached) -> bool:
        return cached.fetched_at is not None and self.clock() - cached.fetched_at < self.settings.jwks_cache_seconds

    async def _get_json(self, url: str, access_token: str | None = None) -> Any:
        headers = {"Accept": "application/json"}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        try:
            response = await self.http.get(url, timeout=self.settings.http_timeout_seconds, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"{type(exc).__name__} fetching {url}") from None
        if response.status_code != 200:
            raise ProviderUnavailable(f"HTTP {response.status_code} from {url}")
        try:
            return response.json()
        except ValueError:
            raise ProviderUnavailable(f"invalid JSON from {url}") from None

    async def metadata(self) -> dict[str, Any]:
        cached = self._metadata
        if self._fresh(cached):
            return cached.value
        async with cached.lock:
            if self._fresh(cached):
                return cached.value
            try:
                document = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            except ProviderUnavailable:
                raise
            if not isinstance(document, dict) or document.get("issuer") != self.issuer:
                raise ProviderUnavailable("discovery document names another issuer")
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not str(document.get(name, "")).startswith("https://"):
                    raise ProviderUnavailable(f"discovery document lacks an https {name}")
            cached.value, cached.fetched_at = document, self.clock()
            return document

    async def _refresh_jwks(self) -> None:
        cached = self._jwks
        cached.last_attempt = self.clock()
        metadata = await self.metadata()
        document = await self._get_json(metadata["jwks_uri"])
        keys = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
                continue
            if jwk.get("use", "sig") != "sig" or jwk.get("kty") not in ("RSA", "EC"):
                continue
            if "alg" in jwk and jwk["alg"] not in self.settings.oidc_algorithms:
                continue
            keys[jwk["kid"]] = {k: v for k, v in jwk.items() if k in ("kty", "kid", "alg", "use", "n", "e", "crv", "x", "y")}
        cached.value, cached.fetched_at = keys, self.clock()

    async def key_for_kid(self, kid: str) -> dict[str, Any] | None:
        """The provider's key for ``kid``. An unknown kid refreshes the JWKS at most once per
        ``jwks_min_refresh_seconds``; an unreachable JWKS fails closed once the cache has expired."""
        cached = self._jwks
        async with cached.lock:
            if self._fresh(cached):
                if kid in cached.value:
                    return cached.value[kid]
                if cached.last_attempt is not None and \
                        self.clock() - cached.last_attempt < self.settings.jwks_min_refresh_seconds:
                    return None
                try:
                    await self._refresh_jwks()
                except ProviderUnavailable as exc:
                    log.warning("JWKS refresh failed, keeping cached keys: %s", exc)
                    return None
                return cached.value.get(kid)
            await self._refresh_jwks()  # expired or never fetched: no keys without the provider
            return cached.value.get(kid)

    # --- the flow -------------------------------------------------------------------------

    async def authorization_url(self, state: str, nonce: str, code_challenge: str) -> str:
        metadata = await self.metadata()
        params = {
            "response_type": "code",
            "client_id": self.settings.oidc_client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{metadata['authorization_endpoint']}?{urlencode(params)}"

    async def _exchange_code(self, code: str, code_verifier: str) -> dict[str, Any]:
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": code_verifier,
            "client_id": self.settings.oidc_client_id,
            "client_secret": self.settings.oidc_client_secret,
        }
        try:
            response = await self.http.post(metadata["token_endpoint"], data=form,
                                            timeout=self.settings.http_timeout_seconds,
                                            headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"{type(exc).__name__} at the token endpoint") from None
        if response.status_code >= 500:
            raise ProviderUnavailable(f"HTTP {response.status_code} from the token endpoint")
        if response.status_code != 200:
            raise LoginRefused("token endpoint refused the code",
                               "Innloggingen kunne ikke fullføres. Prøv å logge inn på nytt.")
        try:
            body = response.json()
        except ValueError:
            raise ProviderUnavailable("invalid JSON from the token endpoint") from None
        if not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
            raise LoginRefused("no ID token in the token response",
                               "Innloggingen kunne ikke fullføres. Prøv å logge inn på nytt.")
        return body

    async def finish_login(self, code: str, code_verifier: str, nonce: str) -> Identity:
        """Exchange the code, verify the ID token and apply the configured restrictions."""
        tokens = await self._exchange_code(code, code_verifier)
        access_token = tokens.get("access_token") if isinstance(tokens.get("access_token"), str) else None
        try:
            claims = await verify_id_token(
                tokens["id_token"], key_for_kid=self.key_for_kid, issuer=self.issuer,
                audience=self.settings.oidc_client_id, algorithms=self.settings.oidc_algorithms,
                nonce=nonce, access_token=access_token,
            )
        except IdTokenError as exc:
            raise LoginRefused(str(exc), "Innloggingen kunne ikke bekreftes. Prøv å logge inn på nytt.") from None
        await self._check_restrictions(claims, access_token)
        name = str(claims.get("name") or claims.get("preferred_username") or "")[:200]
        email = claims.get("email") if isinstance(claims.get("email"), str) else None
        return Identity(issuer=self.issuer, subject=claims["sub"], name=name, email=email, claims=claims)

    async def _check_restrictions(self, claims: dict[str, Any], access_token: str | None) -> None:
        settings = self.settings
        if settings.oidc_provider == "entra":
            if claims.get("tid") != settings.oidc_entra_tenant_id:
                raise LoginRefused("another Entra tenant", "Kontoen tilhører ikke kommunens organisasjon.")
            return
        if settings.oidc_provider != "feide":
            return
        userinfo: dict[str, Any] | None = None
        if settings.oidc_feide_realms:
            principal_name = claims.get("https://n.feide.no/claims/eduPersonPrincipalName")
            if not isinstance(principal_name, str):
                userinfo = await self._feide_userinfo(access_token)
                principal_name = userinfo.get("eduPersonPrincipalName") or userinfo.get(
                    "https://n.feide.no/claims/eduPersonPrincipalName")
            realm = principal_name.rsplit("@", 1)[-1].lower() if isinstance(principal_name, str) and "@" in principal_name else None
            if realm not in {r.lower() for r in settings.oidc_feide_realms}:
                raise LoginRefused("Feide realm not allowed", "Feide-kontoen tilhører ikke kommunens organisasjon.")
        if settings.oidc_feide_affiliations:
            if settings.oidc_feide_affiliation_source == "groups":
                affiliations = await self._feide_group_affiliations(access_token)
            else:
                userinfo = userinfo or await self._feide_userinfo(access_token)
                raw = userinfo.get("eduPersonAffiliation") or userinfo.get(
                    "https://n.feide.no/claims/eduPersonAffiliation") or []
                affiliations = {raw} if isinstance(raw, str) else {a for a in raw if isinstance(a, str)}
            if not affiliations & set(settings.oidc_feide_affiliations):
                raise LoginRefused("affiliation not allowed", "Tjenesten er bare for ansatte.")

    async def _authorised_get(self, url: str, access_token: str | None) -> Any:
        if not access_token:
            raise LoginRefused("no access token for userinfo", "Innloggingen mangler nødvendige opplysninger.")
        return await self._get_json(url, access_token)

    async def _feide_userinfo(self, access_token: str | None) -> dict[str, Any]:
        body = await self._authorised_get(self.settings.oidc_feide_userinfo_url, access_token)
        return body if isinstance(body, dict) else {}

    async def _feide_group_affiliations(self, access_token: str | None) -> set[str]:
        body = await self._authorised_get(self.settings.oidc_feide_groups_url, access_token)
        affiliations: set[str] = set()
        for group in body if isinstance(body, list) else []:
            if not isinstance(group, dict) or group.get("type") != "fc:org":
                continue
            membership = group.get("membership") or {}
            value = membership.get("affiliation") if isinstance(membership, dict) else None
            if isinstance(value, str):
                affiliations.add(value)
            elif isinstance(value, list):
                affiliations.update(a for a in value if isinstance(a, str))
        return affiliations
