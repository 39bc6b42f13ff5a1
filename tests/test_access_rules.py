"""Every route declares who may use it; a route without a rule cannot start."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar, get

from catalogue.security.access import PUBLIC, SIGNED_IN, handler_rule, routes_without_rule


def test_every_route_in_the_app_and_the_openapi_document_has_a_rule(app):
    assert routes_without_rule(app) == []
    rules = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                rules[(method, re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path))] = handler_rule(handler)
    schema = app.openapi_schema.to_schema()
    for path, operations in schema["paths"].items():
        for method in operations:
            if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                key = (method.upper(), path)
                assert key in rules, key
                assert rules[key] is not None


def test_an_unguarded_route_is_detected():
    @get("/open")
    async def open_route() -> str:
        return "open"

    assert "GET /open" in routes_without_rule(Litestar([open_route]))


@pytest.mark.parametrize("path,expected", [
    ("/api/v1/resources", {"staff": 200, "ict_mentor": 200, "sector_reviewer": 200, "privacy_reviewer": 200,
                           "dpo": 200, "tech_approver": 200, "admin": 200, None: 401}),
    ("/api/v1/units", {"staff": 200, "admin": 200, None: 401}),
    ("/api/v1/levels", {"staff": 200, None: 401}),
    ("/health", {None: 200, "staff": 200}),
    ("/schema/openapi.json", {None: 200}),
])
def test_read_matrix(api, path, expected):
    for role, status in expected.items():
        headers = api.headers(role) if role else {}
        assert api.get(path, headers=headers).status_code == status, (path, role)


def test_write_matrix_for_units(api):
    body = {"code": "ny-skole", "name": "Ny skole", "kind": "skole", "levels": ["1"]}
    for role in ["staff", "ict_mentor", "sector_reviewer", "privacy_reviewer", "dpo", "tech_approver"]:
        assert api.post("/api/v1/units", json=body, headers=api.headers(role)).status_code == 403, role
    assert api.post("/api/v1/units", json=body).status_code == 401
    assert api.post("/api/v1/units", json=body, headers=api.headers("admin")).status_code == 201


def test_security_headers_on_every_response(api):
    for path in ["/", "/health", "/api/v1/resources", "/finnes-ikke"]:
        response = api.get(path)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_pages_show_norwegian_error_pages(api):
    response = api.get("/finnes-ikke", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "Fant ikke siden" in response.text and 'lang="nb"' in response.text
    api_response = api.get("/api/v1/finnes-ikke", headers={"Accept": "text/html"})
    assert api_response.headers["content-type"].startswith("application/problem+json")


def test_health_and_ready(api):
    assert api.get("/health").json() == {"status": "ok", "database": None, "migrations": None, "search": None}
    assert api.get("/ready").json() == {"status": "ok", "database": "ok", "migrations": "ok", "search": "ok"}


def test_rules_reject_unknown_roles():
    from catalogue.security.access import rule

    with pytest.raises(ValueError):
        rule({"wizard"})
    assert rule(PUBLIC) == {"access": PUBLIC} and rule(SIGNED_IN) == {"access": SIGNED_IN}
