"""Schemathesis over the service's own OpenAPI document: every operation, as every role and as
nobody, with valid and invalid input. No answer may be a 5xx, and every answer must be one the
document declares (status, media type and body). A request the document allows must not be refused
for its shape: no 400 or 428, and no 422 from the validator (an error with a ``source``); a 422
about the data itself (a code that does not exist, text that says nothing) is the service's to give.

A live server (uvicorn in a subprocess) on the test's database serves the requests, so the app
runs on one event loop with its own pool, as in production. ``FUZZ_EXAMPLES`` (default 2) bounds
the examples per operation and mode, each sent as a role drawn at random (or as nobody)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from catalogue.domain import ALL_ROLES

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = [None, *sorted(ALL_ROLES)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(app, settings, signing_pem, tmp_path):
    """The app served by uvicorn on the test's database, and a token per role."""
    from litestar.testing import TestClient

    from tests.conftest import Api

    with TestClient(app) as client:  # makes the users, then leaves the database to the server
        api = Api(client)
        admin = api.headers("admin")
        api.post("/api/v1/units", json={"code": "fuzz-skole", "name": "Fuzzskolen", "kind": "skole"}, headers=admin)
        tokens = {role: api.token(role, units=("fuzz-skole",) if role == "ict_mentor" else ())
                  for role in ROLES if role}
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "VAR_DIR": str(tmp_path),
           "SIGNING_KEY": signing_pem, "DEMO_MODE": "false", "SCHEDULER_INTERVAL_SECONDS": "0",
           "DB_POOL_SIZE": "4", "LOG_LEVEL": "WARNING", "RATE_LIMIT_AUTH": "100000/60"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "catalogue.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server did not start: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.1)
    try:
        yield base, tokens
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _refused_for_shape(response) -> str | None:
    """Why a schema-valid request was refused as malformed, if it was."""
    if response.status_code in (400, 428):
        return response.json().get("detail", "")
    if response.status_code == 422:
        errors = [e for e in response.json().get("errors") or [] if isinstance(e, dict) and "source" in e]
        if errors:
            return "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return None


def _fuzz(base: str, tokens: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
    problems: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            # each example is sent as one of the roles (or nobody), so every role meets every operation
            # over the examples of both modes and engines without multiplying the run by the roles
            @given(case=strategy, role=st.sampled_from(ROLES))
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def run(case, role) -> None:
                headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
                response = case.call(base_url=base, headers=headers, timeout=30)
                refused = _refused_for_shape(response) if mode is GenerationMode.POSITIVE else None
                if refused is not None:
                    problems.append(f"{role or 'anonymous'}: {operation.label} [{mode.value}] "
                                    f"{response.status_code}: a request the document allows was refused: {refused[:300]}")
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        problems.append(f"{role or 'anonymous'}: {operation.label} [{mode.value}] "
                                        f"{response.status_code}: {failure.title}: {str(failure.message)[:300]}")
                except AssertionError as exc:
                    problems.append(f"{role or 'anonymous'}: {operation.label} [{mode.value}] "
                                    f"{response.status_code}: {str(exc)[:300]}")

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (an operation without input)
                continue
    return problems


def test_no_operation_fails_or_breaks_its_schema_for_any_role(server):
    base, tokens = server
    problems = sorted(set(_fuzz(base, tokens)))
    assert not problems, "\n".join(problems[:80]) + f"\n({len(problems)} in all)"
