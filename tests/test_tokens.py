"""Our own access tokens: what the verifier accepts and what it refuses."""

from __future__ import annotations

import base64
import json
import stat
import time

import pytest
from jose import jwt

from catalogue.security.tokens import (
    SigningKey,
    TokenError,
    TokenService,
    generate_private_pem,
    load_or_create_key_file,
)

ISSUER = "laeremiddelkatalogen-test"
AUDIENCE = "laeremiddelkatalogen-api"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.from_pem(generate_private_pem())


@pytest.fixture(scope="module")
def service(key) -> TokenService:
    return TokenService(key, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=600)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides):
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "7", "iat": now, "nbf": now, "exp": now + 300,
              "token_use": "access"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(key: SigningKey, claims: dict, **headers) -> str:
    header = {"kid": key.kid, "typ": "at+jwt", **headers}
    return jwt.encode(claims, key.private_pem.decode(), algorithm="RS256", headers=header)


def test_issued_token_verifies_with_its_claims(service):
    token = service.issue("42", roles=["staff", "dpo"], name="Kari")
    claims = service.verify(token)
    assert claims["sub"] == "42" and claims["roles"] == ["dpo", "staff"] and claims["name"] == "Kari"
    assert claims["exp"] - claims["iat"] == 600
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == service.current.kid


def test_jwks_publishes_only_public_parts(service):
    keys = service.jwks()["keys"]
    assert len(keys) == 1 and keys[0]["kid"] == service.current.kid
    assert set(keys[0]) == {"kty", "use", "alg", "kid", "n", "e"}


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_unsigned_tokens_are_refused(service, alg):
    header = _b64(json.dumps({"alg": alg, "typ": "at+jwt", "kid": service.current.kid}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    with pytest.raises(TokenError):
        service.verify(f"{header}.{payload}.")


def test_hs256_signed_with_the_public_key_is_refused(service, key):
    public_json = json.dumps(key.public_jwk)
    forged = jwt.encode(_claims(), public_json, algorithm="HS256", headers={"kid": key.kid, "typ": "at+jwt"})
    with pytest.raises(TokenError):
        service.verify(forged)


def test_token_signed_by_another_key_is_refused(service, key):
    other = SigningKey.from_pem(generate_private_pem())
    with pytest.raises(TokenError):
        service.verify(_sign(other, _claims()))
    # the same foreign key posing under our kid
    forged = jwt.encode(_claims(), other.private_pem.decode(), algorithm="RS256",
                        headers={"kid": key.kid, "typ": "at+jwt"})
    with pytest.raises(TokenError):
        service.verify(forged)


@pytest.mark.parametrize("header", [{"jku": "https://evil.example/jwks"}, {"x5u": "https://evil.example/c"},
                                    {"jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}])
def test_tokens_carrying_key_references_are_refused(service, key, header):
    with pytest.raises(TokenError):
        service.verify(_sign(key, _claims(), **header))


@pytest.mark.parametrize("kid", ["../../dev/null", "' OR 1=1 --", "k" * 10_000, ""])
def test_strange_key_ids_are_refused(service, key, kid):
    token = jwt.encode(_claims(), key.private_pem.decode(), algorithm="RS256", headers={"kid": kid, "typ": "at+jwt"})
    with pytest.raises(TokenError):
        service.verify(token)


@pytest.mark.parametrize("missing", ["exp", "iat", "iss", "aud", "sub"])
def test_required_claims(service, key, missing):
    with pytest.raises(TokenError):
        service.verify(_sign(key, _claims(**{missing: None})))


@pytest.mark.parametrize("overrides", [
    {"exp": int(time.time()) - 3600},
    {"nbf": int(time.time()) + 3600},
    {"iat": int(time.time()) + 3600},
    {"iss": "someone-else"},
    {"aud": "another-api"},
    {"exp": "tomorrow"},
    {"token_use": "id"},
])
def test_invalid_claims_are_refused(service, key, overrides):
    with pytest.raises(TokenError):
        service.verify(_sign(key, _claims(**overrides)))


def test_id_token_type_is_refused_as_access_token(service, key):
    with pytest.raises(TokenError):
        service.verify(_sign(key, _claims(), typ="JWT"))


@pytest.mark.parametrize("token", ["a.b", "a.b.c.d", "a.b.c.d.e", "!!!.@@@.###", "", "x" * 70_000,
                                   _b64(b"[1,2]") + "." + _b64(b"[]") + ".sig"])
def test_malformed_tokens_are_refused(service, token):
    with pytest.raises(TokenError):
        service.verify(token)


def test_previous_key_still_verifies_after_rotation(key):
    new_key = SigningKey.from_pem(generate_private_pem())
    old_service = TokenService(key, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=600)
    token = old_service.issue("5")
    rotated = TokenService(new_key, [key], issuer=ISSUER, audience=AUDIENCE, ttl_seconds=600)
    assert rotated.verify(token)["sub"] == "5"
    assert {k["kid"] for k in rotated.jwks()["keys"]} == {key.kid, new_key.kid}


def test_key_file_is_created_private_once(tmp_path):
    path = tmp_path / "var" / "signing-key.pem"
    first = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key_file(path) == first


def test_the_api_answers_bad_tokens_with_401_never_500(api, key):
    forged = _sign(SigningKey.from_pem(generate_private_pem()), _claims())
    for value in [f"Bearer {forged}", "Bearer", "Bearer a.b.c", "Token abc", "Bearer " + "A" * 65_000]:
        response = api.get("/api/v1/resources", headers={"Authorization": value})
        assert response.status_code in (401, 431), value[:30]
        assert response.headers["content-type"].startswith("application/problem+json")


def test_a_token_for_a_deleted_or_unknown_user_is_refused(api):
    token = api.client.app.state.tokens.issue("999999")
    assert api.get("/api/v1/resources", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_token_accepted_before_is_refused_once_it_expires(key, monkeypatch):
    service = TokenService(key, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=600)
    token = service.issue("8", ttl_seconds=60)
    assert service.verify(token)["sub"] == "8"
    claims = service.verify(token)  # answered from what the first check kept
    claims["sub"] = "9"  # a caller changing its copy changes nothing kept
    assert service.verify(token)["sub"] == "8"
    import datetime as dt

    import jose.jwt

    class Later(dt.datetime):  # the clock of python-jose's claim checks, 91 s on
        @classmethod
        def now(cls, tz=None):
            return dt.datetime.now(tz) + dt.timedelta(seconds=91)

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 91)  # past exp and the leeway
    monkeypatch.setattr(jose.jwt, "datetime", Later)
    with pytest.raises(TokenError):
        service.verify(token)
    with pytest.raises(TokenError):
        service.verify(token)


def test_a_refused_token_stays_refused(service, key):
    forged = _sign(SigningKey.from_pem(generate_private_pem()), _claims(), kid=key.kid)
    for _ in range(2):
        with pytest.raises(TokenError):
            service.verify(forged)
