"""`catalogue serve` as `make run` starts it: migrations, demo data, HTTP, Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import _pg_admin, _pg_url_for
from tests.workers import wait_until

CATALOGUE = str(Path(sys.executable).parent / "catalogue")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def empty_database(backend, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'served.sqlite3'}"
        return
    name = f"lk_serve_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    yield _pg_url_for(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SIGNING_KEY", "DEMO_MODE", "HOST", "PORT"}}
    env.update(DATABASE_URL=database_url, VAR_DIR=str(var_dir), LOG_LEVEL="WARNING", **extra)
    return env


def test_serve_from_an_empty_database_answers_a_teacher_query_and_stops_on_ctrl_c(empty_database, tmp_path):
    port = _free_port()
    env = _env(empty_database, tmp_path, DEMO_MODE="true", PORT=str(port))
    server = subprocess.Popen([CATALOGUE, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.2)  # polling for readiness, not waiting out a race
        token = subprocess.run([CATALOGUE, "token", "--user", "kari", "--role", "staff"], env=env,
                               capture_output=True, text=True, check=True).stdout.strip()
        response = httpx.get(f"http://127.0.0.1:{port}/api/v1/resources",
                             params={"level": "5", "subject": "MAT"},
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] >= 3
        assert all(item["demo_data"] for item in page["items"])
        assert all("5" in item["levels"] and "MAT" in item["subjects"] for item in page["items"])
        home = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert "Demoversjon" in home.text and 'lang="nb"' in home.text
        assert "default-src 'self'" in home.headers["content-security-policy"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert server.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "catalogue token" in output


def test_demo_mode_refuses_a_public_address(tmp_path):
    env = _env(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path, DEMO_MODE="true")
    result = subprocess.run([CATALOGUE, "serve", "--host", "0.0.0.0", "--no-migrate"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "demo mode" in result.stderr.lower()


def test_an_idle_connection_is_closed_after_keep_alive_seconds(tmp_path):
    """The worker keeps an idle client connection KEEP_ALIVE_SECONDS (a proxy's own idle timeout
    must be shorter, or it sends requests on connections the worker has just closed)."""
    port = _free_port()
    env = _env(f"sqlite:///{tmp_path / 'idle.sqlite3'}", tmp_path, KEEP_ALIVE_SECONDS="1")
    server = subprocess.Popen([CATALOGUE, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def answers() -> bool:
        assert server.poll() is None, "the server stopped"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(answers, what="the server to answer")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                answer += sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 200")
            answered = time.monotonic()
            assert sock.recv(4096) == b""  # the worker closes it (uvicorn's own default is 5 s)
            idle = time.monotonic() - answered
        assert 0.5 <= idle < 4, idle
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
