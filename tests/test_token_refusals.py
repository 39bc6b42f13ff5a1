"""Tokens across workers: a token made by one worker (or by `catalogue token`) is accepted by every
other worker on the same database and key, for reads and writes alike; a token that cannot be
accepted is refused with a 401 that says why."""

from __future__ import annotations

from litestar.testing import TestClient

from catalogue.security.tokens import generate_private_pem
from tests.conftest import Api, _settings, resource_body


def test_a_token_from_one_worker_writes_through_another(api, settings, tmp_path):
    from catalogue.app import create_app

    token = api.token("sector_reviewer")
    other = create_app(_settings(settings.database_url, tmp_path / "other", settings.signing_key_pem))
    with TestClient(other, raise_server_exceptions=False) as client:
        second = Api(client)
        headers = {"Authorization": f"Bearer {token}"}
        created = second.post("/api/v1/resources", json=resource_body(), headers=headers)
        assert created.status_code == 201, created.text
        assert second.get("/api/v1/resources", params={"q": "brøkbyggeren"}, headers=headers).json()["total"] == 1
    assert api.get(f"/api/v1/resources/{created.json()['id']}", headers={"Authorization": f"Bearer {token}"}
                   ).status_code == 200


def test_refused_tokens_say_why(api, settings, tmp_path):
    from catalogue.app import create_app

    unknown_user = api.client.app.state.tokens.issue("987654", roles=["sector_reviewer"])
    refused = api.post("/api/v1/resources", json=resource_body(), headers={"Authorization": f"Bearer {unknown_user}"})
    assert refused.status_code == 401
    assert "another database" in refused.json()["detail"]
    assert refused.headers["www-authenticate"].startswith("Bearer")

    elsewhere = create_app(_settings(settings.database_url, tmp_path / "elsewhere", generate_private_pem().decode()))
    with TestClient(elsewhere, raise_server_exceptions=False) as client:
        foreign = Api(client).token("sector_reviewer")
    refused = api.post("/api/v1/resources", json=resource_body(), headers={"Authorization": f"Bearer {foreign}"})
    assert refused.status_code == 401
    assert "SIGNING_KEY" in refused.json()["detail"]
    assert api.get("/api/v1/resources", headers={"Authorization": f"Bearer {foreign}"}).status_code == 401
