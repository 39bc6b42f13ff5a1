"""What operators rely on: /metrics open only to operators and counting what they watch, a request
id in every response and request log line (the proxy's when it is trusted), and /ready telling the
truth about the database and its migrations."""

from __future__ import annotations

import asyncio
import logging
import re

import httpx
import pytest

import catalogue.migrate
from catalogue.app import create_app
from tests.conftest import _settings, resource_body
from tests.test_workflow_support import Flow, etag_of

PROBLEM = "application/problem+json"


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_need_an_admin_token_and_count_requests_actions_search_hits_and_the_outbox(api):
    anonymous = api.get("/metrics")
    assert anonymous.status_code == 403 and anonymous.headers["content-type"].startswith(PROBLEM)
    assert api.get("/metrics", headers=api.headers("sector_reviewer")).status_code == 403
    flow = Flow(api)
    case_id = flow.to_state("pedagogical_review")
    case = flow.case(case_id)
    action = {"action": "return", "reason": "Retur."}
    first = api.post(f"/api/v1/cases/{case_id}/actions", json=action, headers={**flow.sector, "If-Match": etag_of(case)})
    assert first.status_code == 200, first.text
    stale = api.post(f"/api/v1/cases/{case_id}/actions", json=action, headers={**flow.sector, "If-Match": etag_of(case)})
    assert stale.status_code in (409, 412), stale.text
    staff = api.headers("staff")
    for _ in range(3):
        assert api.get("/api/v1/resources", params={"q": "brøk"}, headers=staff).status_code == 200
    resource_id = api.post("/api/v1/resources", json=resource_body(), headers=api.headers("sector_reviewer")).json()["id"]
    assert api.get(f"/api/v1/resources/{resource_id}", headers=staff).status_code == 200

    response = api.get("/metrics", headers=api.headers("admin"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    # per route template, never per concrete path
    assert _sample(text, "catalogue_http_requests_total", method="GET", route="/api/v1/resources/{resource_id}",
                   status="200") >= 1
    assert f"/api/v1/resources/{resource_id}\"" not in text
    assert _sample(text, "catalogue_http_request_duration_seconds_count", method="GET",
                   route="/api/v1/resources") >= 3
    assert _sample(text, "catalogue_workflow_actions_total", action="submit", outcome="ok") >= 1
    assert _sample(text, "catalogue_workflow_actions_total", action="return", outcome="ok") >= 1
    assert _sample(text, "catalogue_workflow_actions_total", action="return", outcome="conflict") >= 1
    assert _sample(text, "catalogue_search_cache_total", result="hit") >= 2
    # the proposal's step notified the sector office: rows in the outbox (in the app only, no e-mail)
    assert "catalogue_outbox_notifications" in text
    assert case["state"] == "pedagogical_review"


@pytest.fixture
def networked(settings):
    """The app with a trusted proxy at 10.0.0.1 and metrics open to 10.9.0.0/16."""
    app = create_app(_settings(settings.database_url, settings.var_dir, settings.signing_key_pem,
                               trusted_proxies=("10.0.0.1/32",), metrics_networks=("10.9.0.0/16",)))

    def call(peer: str, path: str, headers: dict | None = None) -> httpx.Response:
        async def go() -> httpx.Response:
            async with app.lifespan():
                transport = httpx.ASGITransport(app=app, client=(peer, 40000))
                async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                    return await client.get(path, headers=headers or {})
        return asyncio.run(go())

    return call


def test_metrics_answer_a_configured_network_and_not_the_world_through_the_proxy(networked):
    assert networked("10.9.3.4", "/metrics").status_code == 200
    assert networked("10.8.3.4", "/metrics").status_code == 403
    # through the trusted proxy, the client's own address decides
    assert networked("10.0.0.1", "/metrics", {"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert networked("10.0.0.1", "/metrics", {"X-Forwarded-For": "10.9.0.7"}).status_code == 200


def test_the_request_id_is_the_trusted_proxys_or_a_new_one(networked, caplog):
    caplog.set_level(logging.INFO, logger="catalogue.requests")
    from_proxy = networked("10.0.0.1", "/health", {"X-Request-ID": "proxy-abc-123"})
    assert from_proxy.headers["x-request-id"] == "proxy-abc-123"
    from_outside = networked("198.51.100.7", "/health", {"X-Request-ID": "forged-id"})
    assert from_outside.headers["x-request-id"] not in ("forged-id", "")
    assert re.fullmatch(r"[0-9a-f]{32}", from_outside.headers["x-request-id"])
    # a header that is not an id is replaced, even from the proxy
    odd = networked("10.0.0.1", "/health", {"X-Request-ID": "a b\tc"})
    assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["x-request-id"])
    logged = [r.msg for r in caplog.records if r.name == "catalogue.requests" and isinstance(r.msg, dict)]
    ids = {entry.get("request_id") for entry in logged}
    assert {"proxy-abc-123", from_outside.headers["x-request-id"]} <= ids
    entry = next(e for e in logged if e.get("request_id") == "proxy-abc-123")
    assert entry["route"] == "/health" and entry["status"] == 200 and entry["latency_ms"] >= 0


def test_the_request_log_names_the_user_by_id_and_never_the_token(api, caplog):
    caplog.set_level(logging.INFO, logger="catalogue.requests")
    headers = api.headers("staff", user="Kari Nordmann")
    token = headers["Authorization"].split()[1]
    response = api.get("/api/v1/users/me", headers=headers)
    assert response.status_code == 200
    user_id = response.json()["id"]
    logged = [r.msg for r in caplog.records if r.name == "catalogue.requests" and isinstance(r.msg, dict)]
    mine = [e for e in logged if e.get("route") == "/api/v1/users/me"]
    assert mine and mine[-1]["user_id"] == user_id and mine[-1]["status"] == 200
    assert mine[-1]["request_id"] == response.headers["x-request-id"]
    text = "\n".join(map(str, logged))
    assert token not in text and "Kari Nordmann" not in text


def test_ready_reports_a_database_with_migrations_missing(api, monkeypatch):
    assert api.get("/ready").json() == {"status": "ok", "database": "ok", "migrations": "ok", "search": "ok"}
    from piccolo.apps.migrations.tables import Migration

    async def forget_one() -> None:
        newest = await Migration.select(Migration.name).order_by(Migration.name, ascending=False).first()
        await Migration.delete().where(Migration.name == newest["name"])

    api.run(forget_one)
    monkeypatch.setattr(catalogue.migrate, "_up_to_date", False)
    response = api.get("/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "migrations": "1 pending", "search": None}
    assert api.get("/health").status_code == 200  # the process itself is fine
