"""CORS is closed unless origins are configured; allowed hosts are enforced when configured."""

from __future__ import annotations

import dataclasses

from litestar.testing import TestClient

from catalogue.app import create_app


def test_cors_is_closed_by_default(api):
    response = api.options("/api/v1/resources", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in response.headers
    plain = api.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in plain.headers


def test_cors_allows_only_configured_origins(settings):
    app = create_app(dataclasses.replace(settings, cors_origins=("https://portal.kommune.no",)))
    with TestClient(app) as client:
        allowed = client.options("/api/v1/resources", headers={
            "Origin": "https://portal.kommune.no", "Access-Control-Request-Method": "GET"})
        assert allowed.headers.get("access-control-allow-origin") == "https://portal.kommune.no"
        refused = client.options("/api/v1/resources", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
        assert refused.headers.get("access-control-allow-origin") != "https://evil.example"


def test_allowed_hosts_refuse_other_host_headers(settings):
    app = create_app(dataclasses.replace(settings, allowed_hosts=("laeremidler.kommune.no",)))
    with TestClient(app, base_url="http://laeremidler.kommune.no") as client:
        assert client.get("/health").status_code == 200
        assert client.get("/health", headers={"Host": "evil.example"}).status_code == 400
