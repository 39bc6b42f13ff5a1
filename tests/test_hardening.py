"""What an attacker or a fuzzer sends: numbers beyond 64 bits, deep JSON, tokens a key holder
might make by mistake, doubled headers, CSRF tokens from another session; and the headers,
cookies and logs a production service must get right. Everything through HTTP."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import time

import httpx
import pytest
from jose import jwt
from litestar.testing import TestClient

from tests.conftest import _settings, resource_body
from tests.test_workflow_support import Flow, etag_of

HUGE = "99999999999999999999"
PROBLEM = "application/problem+json"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


# --- numbers beyond 64 bits and deep JSON --------------------------------------------------


@pytest.mark.parametrize("method,path,status", [
    ("GET", f"/api/v1/resources/{HUGE}", 404),
    ("GET", f"/api/v1/cases/{HUGE}", 404),
    ("GET", f"/api/v1/wishes/{HUGE}", 404),
    ("GET", f"/api/v1/users/{HUGE}", 404),
    ("POST", f"/api/v1/notifications/{HUGE}/read", 404),
    ("POST", f"/api/v1/cases/{HUGE}/comments", 404),
    ("GET", f"/api/v1/cases/1/attachments/{HUGE}", 404),
    ("GET", f"/api/v1/equipment/holdings/{HUGE}", 404),
    ("GET", f"/api/v1/equipment/annual-figures/{HUGE}", 404),
    ("GET", f"/api/v1/resources/{HUGE}/restrictions", 404),
    ("GET", f"/api/v1/cases?offset={HUGE}", 400),
    ("GET", f"/api/v1/users?offset={HUGE}", 400),
    ("GET", f"/api/v1/resources?offset={HUGE}", 400),
    ("GET", f"/api/v1/cases?limit={HUGE}", 400),
    ("GET", f"/api/v1/public/privacy?offset={HUGE}", 400),
    ("GET", f"/api/v1/resources/-{HUGE}", 404),
])
def test_numbers_beyond_64_bits_are_refused_not_failed(api, method, path, status):
    response = api.request(method, path, headers=api.headers("admin"), json={"text": "x"} if method == "POST" else None)
    body = _problem(response, status)
    if status == 400:
        assert body["errors"][0]["field"] in ("offset", "limit")


def test_a_huge_id_on_a_public_page_is_not_found(api):
    response = api.get(f"/ressurser/{HUGE}")
    assert response.status_code == 404
    assert api.get(f"/ressurser/{HUGE}", headers={"accept": "text/html"}).status_code == 404


def test_a_large_but_64_bit_id_is_simply_unknown(api):
    _problem(api.get(f"/api/v1/resources/{2**63 - 1}", headers=api.headers("admin")), 404)
    _problem(api.get(f"/api/v1/resources/{2**63}", headers=api.headers("admin")), 404)


def test_a_number_in_free_text_is_not_bounded(api):
    response = api.get(f"/api/v1/resources?q={HUGE}", headers=api.headers("staff"))
    assert response.status_code == 200 and response.json()["total"] == 0


@pytest.mark.parametrize("method,path", [
    ("POST", "/api/v1/cases/duplicates"),
    ("PATCH", "/api/v1/users/me"),
    ("POST", "/api/v1/wishes"),
    ("POST", "/api/v1/resources"),
])
def test_json_nested_deeper_than_32_levels_is_bad_request(api, method, path):
    deep = "[" * 1000 + "]" * 1000
    headers = {**api.headers("admin"), "content-type": "application/json"}
    body = _problem(api.request(method, path, content=deep, headers=headers), 400)
    assert body["errors"][0]["field"] == "body"
    wrapped = '{"name": ' + "[" * 40 + "]" * 40 + "}"
    _problem(api.request(method, path, content=wrapped, headers=headers), 400)


def test_brackets_inside_strings_are_not_nesting(api):
    headers = api.headers("ict_mentor")
    response = api.post("/api/v1/cases/duplicates", json={"name": "\"" + "[" * 90 + "{" * 90}, headers=headers)
    assert response.status_code == 200, response.text


def test_the_nul_character_is_refused_wherever_it_is_sent(api):
    """PostgreSQL cannot store U+0000: a path, query, JSON string or form field holding it is a 400
    naming where it is, on both engines, and nothing is written."""
    headers = api.headers("admin")
    query = _problem(api.get("/api/v1/public/privacy", params={"unit": "nord\x00", "level": "5"}), 400)
    assert query["errors"][0] == {"field": "unit", "message": query["errors"][0]["message"], "source": "query"}
    _problem(api.get("/api/v1/resources", params={"q": "brøk\x00"}, headers=headers), 400)
    path = _problem(api.get("/api/v1/competence-aims/MAT%000512", headers=headers), 400)
    assert path["errors"][0]["source"] == "path"
    before = api.get("/api/v1/resources", headers=headers).json()["total"]
    body = _problem(api.post("/api/v1/resources", headers=headers, json={"name": "Brøk\x00bygger"}), 400)
    assert body["errors"][0]["field"] == "body"
    assert api.get("/api/v1/resources", headers=headers).json()["total"] == before
    # a backslash written before u0000 is text, not NUL
    text = api.post("/api/v1/cases/duplicates", json={"name": "C:\\u0000"}, headers=api.headers("ict_mentor"))
    assert text.status_code == 200, text.text
    csrf = api.login_page("staff")
    form = api.post("/onsker/ny", data={"_csrf_token": csrf, "navn": "Nul\x00"})
    assert form.status_code == 400


# --- the token verifier --------------------------------------------------------------------


def _raw_token(api, claims: dict, **header) -> str:
    tokens = api.client.app.state.tokens
    return jwt.encode(claims, tokens.current.private_pem.decode(), algorithm="RS256",
                      headers={"kid": tokens.current.kid, "typ": "at+jwt", **header})


@pytest.fixture
def staff_id(api) -> str:
    api.token("staff", user="kari")
    return str(api.run(_user_id, "kari"))


async def _user_id(name: str) -> int:
    from catalogue.tables import AppUser

    return (await AppUser.select(AppUser.id).where(AppUser.display_name == name).first())["id"]


def _claims(api, subject: str, **overrides):
    tokens = api.client.app.state.tokens
    now = int(time.time())
    claims = {"iss": tokens.issuer, "aud": tokens.audience, "sub": subject, "iat": now, "nbf": now,
              "exp": now + 300, "token_use": "access"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


TEN_YEARS = 10 * 365 * 86400


@pytest.mark.parametrize("name,overrides", [
    ("exp ten years ahead", lambda now, sub: {"exp": now + TEN_YEARS}),
    ("exp - iat longer than any lifetime", lambda now, sub: {"iat": now - 2 * 86400, "nbf": now - 2 * 86400,
                                                             "exp": now + 600}),
    ("iat ten years old", lambda now, sub: {"iat": now - TEN_YEARS, "nbf": now - TEN_YEARS}),
    ("iat in the future", lambda now, sub: {"iat": now + 3600, "nbf": now}),
    ("exp as a numeric string", lambda now, sub: {"exp": str(now + 300)}),
    ("iat as a numeric string", lambda now, sub: {"iat": str(now)}),
    ("exp as a float", lambda now, sub: {"exp": now + 300.5}),
    ("aud as a list with ours", lambda now, sub: {"aud": ["laeremiddelkatalogen-api", "other-api"]}),
    ("aud as a list of ours only", lambda now, sub: {"aud": ["laeremiddelkatalogen-api"]}),
    ("sub with a leading zero", lambda now, sub: {"sub": "0" + sub}),
    ("sub with a leading space", lambda now, sub: {"sub": " " + sub}),
    ("sub with a plus", lambda now, sub: {"sub": "+" + sub}),
    ("sub as a number", lambda now, sub: {"sub": int(sub)}),
    ("session-long lifetime without a session", lambda now, sub: {"exp": now + 2 * 86400}),
])
def test_tokens_a_key_holder_might_make_by_mistake_are_refused(api, staff_id, name, overrides):
    now = int(time.time())
    good = _raw_token(api, _claims(api, staff_id))
    assert api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    bad = _raw_token(api, _claims(api, staff_id, **overrides(now, staff_id)))
    response = api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {bad}"})
    assert response.status_code == 401, name
    assert response.headers["www-authenticate"].startswith("Bearer")


def _reencode(segment: str, alphabet: str) -> str:
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if alphabet == "standard":
        return base64.b64encode(raw).rstrip(b"=").decode()
    return base64.urlsafe_b64encode(raw).decode()  # padded


def test_segments_must_be_unpadded_base64url(api, staff_id):
    token = api.client.app.state.tokens.issue(staff_id)
    parts = token.split(".")
    assert api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    variants = []
    for index in range(3):
        for alphabet in ("standard", "padded"):
            changed = list(parts)
            changed[index] = _reencode(parts[index], alphabet)
            if changed[index] != parts[index]:
                variants.append(".".join(changed))
    assert any("+" in v or "/" in v for v in variants) and any("=" in v for v in variants)
    for variant in variants:
        assert api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {variant}"}).status_code == 401


def test_two_authorization_headers_are_refused(api):
    header = api.headers("staff")["Authorization"]
    response = api.get("/api/v1/users/me", headers=[("Authorization", header), ("Authorization", header)])
    assert _problem(response, 401)
    other = api.headers("admin")["Authorization"]
    assert api.get("/api/v1/users", headers=[("Authorization", header), ("Authorization", other)]).status_code == 401
    assert api.get("/api/v1/users/me", headers={"Authorization": header}).status_code == 200


def test_a_token_from_auth_token_ends_with_the_session(api):
    csrf = api.login_page("staff")
    issued = api.post("/auth/token", headers={"x-csrftoken": csrf})
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    token = issued.json()["access_token"]
    claims = jwt.get_unverified_claims(token)
    assert claims["sid"] and claims["exp"] - claims["iat"] == api.client.app.state.settings.token_ttl_seconds
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/users/me", headers=bearer).status_code == 200
    assert api.post("/auth/logout", data={"_csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert api.get("/api/v1/users/me", headers=bearer).status_code == 401


def test_a_script_token_cannot_be_exchanged_for_another(api):
    response = api.post("/auth/token", headers=api.headers("admin"))
    assert response.status_code == 403


# --- CSRF bound to the session -------------------------------------------------------------


def test_a_csrf_token_from_another_session_is_refused(api):
    # two browsers, one after the other on one client (the app's pool lives on one event loop)
    first_csrf = api.login_page("staff")
    first_cookies = dict(api.client.cookies)
    api.client.cookies.clear()
    second_csrf = api.login_page("staff")
    assert first_csrf != second_csrf
    # the visitor's cookie is shared, the session is not: the token is bound to the session
    api.client.cookies.set("lk_csrf", first_cookies["lk_csrf"])
    assert api.post("/auth/token", headers={"x-csrftoken": first_csrf}).status_code == 403
    assert api.post("/auth/logout", data={"_csrf_token": first_csrf}, follow_redirects=False).status_code == 403
    assert api.post("/auth/token", headers={"x-csrftoken": second_csrf}).status_code == 200
    # a new session after logging in again gets a new token; the old one is worthless
    api.client.cookies.clear()
    for name, value in first_cookies.items():
        api.client.cookies.set(name, value)
    assert api.post("/auth/logout", data={"_csrf_token": first_csrf}, follow_redirects=False).status_code == 303
    again = api.login_page("staff")
    assert again != first_csrf
    assert api.post("/auth/token", headers={"x-csrftoken": first_csrf}).status_code == 403
    assert api.post("/auth/token", headers={"x-csrftoken": again}).status_code == 200


def test_static_files_stay_free_of_cookies(api):
    api.client.cookies.clear()
    page = api.get("/")
    css = re.search(r'href="(/static/[^"]+\.css)"', page.text).group(1)
    api.client.cookies.clear()
    assert "set-cookie" not in api.get(css).headers


# --- access rules ----------------------------------------------------------------------------


def test_if_match_star_is_no_version(api):
    admin = api.headers("admin")
    created = api.post("/api/v1/resources", json=resource_body(), headers=admin)
    resource_id = created.json()["id"]
    for method, path, body in [("POST", f"/api/v1/resources/{resource_id}/archive", None),
                               ("PATCH", f"/api/v1/resources/{resource_id}", {"name": "Nytt navn"})]:
        refused = _problem(api.request(method, path, json=body, headers={**admin, "If-Match": "*"}), 428)
        assert refused["errors"][0]["field"] == "If-Match"
    assert api.get(f"/api/v1/resources/{resource_id}", headers=admin).json()["status"] == "published"


def test_assign_with_an_empty_body_names_the_field(api):
    flow = Flow(api)
    case_id = flow.to_state("pedagogical_review", name="Tildelingen")
    sector_id = flow.user_id(flow.sector)
    headers = {**flow.sector, "If-Match": etag_of(flow.case(case_id))}
    assert api.post(f"/api/v1/cases/{case_id}/assign", json={"user_id": sector_id}, headers=headers).status_code == 200
    headers = {**flow.sector, "If-Match": etag_of(flow.case(case_id))}
    body = _problem(api.post(f"/api/v1/cases/{case_id}/assign", json={}, headers=headers), 422)
    assert body["errors"][0]["field"] == "user_id"
    assert flow.case(case_id)["assigned_to"]["id"] == sector_id
    cleared = api.post(f"/api/v1/cases/{case_id}/assign", json={"user_id": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json()["assigned_to"] is None


def test_staff_see_the_resource_as_the_page_shows_it(api):
    admin = api.headers("admin")
    resource_id = api.post("/api/v1/resources", json=resource_body(), headers=admin).json()["id"]
    for role in ("staff", "ict_mentor"):
        seen = api.get(f"/api/v1/resources/{resource_id}", headers=api.headers(role)).json()
        assert seen["annual_cost_nok"] is None and seen["licence_count"] is None
        assert seen["privacy"]["dpa_reference"] is None and seen["privacy"]["dpo_advice"] is None
        assert seen["privacy"]["dpa_status"] == "signed"  # what the page says in plain words stays
    for role in ("sector_reviewer", "privacy_reviewer", "dpo", "tech_approver", "admin"):
        seen = api.get(f"/api/v1/resources/{resource_id}", headers=api.headers(role)).json()
        assert seen["annual_cost_nok"] == 45000 and seen["licence_count"] == 1200
        assert seen["privacy"]["dpa_reference"] == "DBA-2025-004"
    api.login_page("staff")
    page = api.get(f"/ressurser/{resource_id}").text
    assert "DBA-2025-004" not in page and "45 000" not in page


def test_duplicates_check_is_closed_to_staff_and_decline_open_to_admin(api):
    refused = _problem(api.post("/api/v1/cases/duplicates", json={"name": "Noe"}, headers=api.headers("staff")), 403)
    assert refused["type"].endswith(":role-not-allowed")
    for role in ("ict_mentor", "sector_reviewer", "privacy_reviewer", "dpo", "tech_approver", "admin"):
        assert api.post("/api/v1/cases/duplicates", json={"name": "Noe"}, headers=api.headers(role)).status_code == 200
    admin = api.headers("admin")
    api.post("/api/v1/units", json={"code": "ost-skole", "name": "Østskolen", "kind": "skole"}, headers=admin)
    wish = api.post("/api/v1/wishes", json={"name": "Noe", "unit": "ost-skole", "reason": "Fordi"},
                    headers=api.headers("staff", units=("ost-skole",))).json()
    for role in ("sector_reviewer", "privacy_reviewer", "dpo", "tech_approver"):
        headers = api.headers(role)
        assert [w["id"] for w in api.get("/api/v1/wishes", headers=headers).json()] == [wish["id"]]
        refused = api.post(f"/api/v1/wishes/{wish['id']}/decline", json={"reason": "Nei"}, headers=headers)
        assert refused.status_code == 403
    assert api.get("/api/v1/wishes", headers=api.headers("staff")).json() == []
    declined = api.post(f"/api/v1/wishes/{wish['id']}/decline", json={"reason": "Finnes allerede"}, headers=admin)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"


def test_405_names_the_allowed_methods(api):
    response = api.delete("/api/v1/users/me", headers=api.headers("staff"))
    assert response.status_code == 405
    assert set(m.strip() for m in response.headers["allow"].split(",")) >= {"GET", "PATCH"}


# --- headers, cookies, logs -----------------------------------------------------------------


@pytest.fixture
def https_app(database_url, tmp_path, signing_pem):
    from catalogue.app import create_app

    return create_app(_settings(database_url, tmp_path, signing_pem, public_base_url="https://laeremidler.example.no"))


def test_hsts_and_secure_cookies_over_https(https_app):
    with TestClient(https_app, raise_server_exceptions=False) as client:
        page = client.get("/")
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert "secure" in page.headers["set-cookie"].lower()
        assert client.get("/health").headers["strict-transport-security"]


def test_no_hsts_over_plain_http_unless_a_trusted_proxy_says_https(database_url, tmp_path, signing_pem):
    from catalogue.app import create_app

    with TestClient(create_app(_settings(database_url, tmp_path, signing_pem)), raise_server_exceptions=False) as c:
        assert "strict-transport-security" not in c.get("/health").headers
        assert "strict-transport-security" not in c.get("/health", headers={"x-forwarded-proto": "https"}).headers
    proxied = create_app(_settings(database_url, tmp_path, signing_pem, trusted_proxies=("10.0.0.0/8",)))

    async def through(peer: str, proto: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=proxied, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://laeremidler.example.no") as client:
            return await client.get("/", headers={"x-forwarded-proto": proto})

    with TestClient(proxied, raise_server_exceptions=False) as c:  # runs the app's start-up
        page = c.blocking_portal.call(through, "10.0.0.1", "https")
        assert page.status_code == 200 and page.headers["strict-transport-security"]
        assert "secure" in page.headers["set-cookie"].lower()
        untrusted = c.blocking_portal.call(through, "192.0.2.1", "https")
        assert "strict-transport-security" not in untrusted.headers
        assert "secure" not in untrusted.headers["set-cookie"].lower()


@pytest.mark.parametrize("path", ["/api/v1/users/me", "/api/v1/notifications", "/api/v1/tasks", "/api/v1/wishes"])
def test_personal_answers_are_not_stored(api, path):
    response = api.get(path, headers=api.headers("staff"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_public_answers_keep_their_caching(api):
    assert "no-store" not in api.get("/api/v1/public/units").headers.get("cache-control", "")


def test_redacted_access_log_line_is_still_written(api):
    from uvicorn.logging import AccessFormatter

    stream, errors = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    logger = logging.getLogger("uvicorn.access")
    # the service writes its own request log instead of uvicorn's access log; an operator who turns
    # uvicorn's back on (or runs uvicorn with its own logging) still gets whole, redacted lines
    old_level, old_propagate, old_disabled = logger.level, logger.propagate, logger.disabled
    logger.disabled = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    import sys

    real_stderr, sys.stderr = sys.stderr, errors  # logging reports a failed record on stderr
    try:
        logger.info('%s - "%s %s HTTP/%s" %d', "10.0.0.7:5123", "GET",
                    "/auth/callback?code=SECRETCODE&state=SECRETSTATE", "1.1", 303)
        logger.info('%s - "%s %s HTTP/%s" %d', "10.0.0.7:5123", "POST",
                    "/api/v1/users/email-verification?token=SECRETTOKEN", "1.1", 200)
    finally:
        sys.stderr = real_stderr
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate, logger.disabled = old_propagate, old_disabled
    written = stream.getvalue()
    assert "Logging error" not in errors.getvalue(), errors.getvalue()
    assert 'GET /auth/callback?code=[redacted]&state=[redacted] HTTP/1.1" 303' in written
    assert "email-verification?token=[redacted]" in written
    assert "SECRET" not in written


def test_a_secret_inside_a_message_is_still_redacted(api, caplog):
    with caplog.at_level(logging.INFO, logger="catalogue.test"):
        logging.getLogger("catalogue.test").info("callback %s", "/auth/callback?code=abc123&x=1")
        logging.getLogger("catalogue.test").info("Authorization: Bearer %s", "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl")
    text = caplog.text
    assert "abc123" not in text and "eyJzdWIiOi" not in text
    assert "code=[redacted]" in text


def test_problem_bodies_are_json(api):
    body = _problem(api.get(f"/api/v1/cases/{HUGE}", headers=api.headers("staff")), 404)
    assert json.loads(json.dumps(body))["status"] == 404


# --- the README's role claims agree with the route matrix ------------------------------------


def _readme_api_rules() -> dict[tuple[str, str], object]:
    """(method, path) → rule for each row of the README's API table whose role column is a plain
    rule: "anyone", "signed in", or a list of role codes."""
    from pathlib import Path

    from catalogue.domain import ALL_ROLES
    from catalogue.security.access import PUBLIC, SIGNED_IN

    text = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text(encoding="utf-8")
    table = text[text.index("| method and path | role |"):]
    table = table[:table.index("\n\n")]
    rules: dict[tuple[str, str], object] = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) < 2:
            continue
        words = re.sub(r"\([^)]*\)", "", cells[1]).strip()
        if words == "anyone":
            rule = PUBLIC
        elif words == "signed in":
            rule = SIGNED_IN
        else:
            roles = {w.strip() for w in words.split(",")}
            if not roles <= ALL_ROLES:
                continue  # "as above", "the step's role": decided per object, not by the route
            rule = frozenset(roles)
        pending: list[str] = []
        for item in re.findall(r"`([^`]+)`", cells[0]):
            method, _, path = item.partition(" ")
            if method.isupper() and not path:
                pending.append(method)
                continue
            if method.isupper() and path.startswith(("/api/", "/health", "/ready", "/.well-known/")):
                for each in [*pending, method]:
                    rules[(each, re.sub(r"\{\w+\}", "{}", path.split("?")[0]))] = rule
            pending = []
    return rules


def test_the_readme_role_table_says_what_the_route_matrix_says():
    from tests.test_route_matrix import SPEC

    spec = {(method, re.sub(r"\{\w+\}", "{}", path)): rule for (method, path), rule in SPEC.items()}
    claims = _readme_api_rules()
    assert len(claims) > 40
    for key, rule in claims.items():
        assert key in spec, f"the README names {key}, which the service does not have"
        assert spec[key] == rule, (key, "README:", rule, "route matrix:", spec[key])


@pytest.mark.parametrize("path", ["/api/v1/cases/3000000000", "/api/v1/cases/1/attachments/3000000000",
                                  "/api/v1/wishes/2147483648", "/api/v1/users/9223372036854775807"])
def test_ids_beyond_the_id_columns_are_not_found(api, path):
    _problem(api.get(path, headers=api.headers("admin")), 404)


def test_ids_in_bodies_are_bounded_by_the_schema(api):
    admin = api.headers("admin")
    body = _problem(api.post("/api/v1/users/1/hand-over", json={"to_user_id": 3000000000}, headers=admin), 422)
    assert body["errors"][0]["field"] == "to_user_id"
