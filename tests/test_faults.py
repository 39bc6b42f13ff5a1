"""Faults of the world around the service: PostgreSQL restarted under two running workers. While
the database is away every request is answered at once with a 503 problem (a page for a
browser) that says to try again, nothing half-done is saved, and the workers recover by
themselves when it is back: no worker dies or needs a restart."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlparse, urlunparse

import asyncpg
import httpx
import pytest

import workflows.audit
from tests.conftest import resource_body
from tests.workers import free_port, start_worker, wait_until

PROBLEM = "application/problem+json"


class RestartingPostgres:
    """A TCP relay between the workers and PostgreSQL that goes away as a restarting server does:
    ``down`` cuts every open connection and refuses new ones until ``up``."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); new connections are now refused
            listener.close()
            self._accepting.join(timeout=10)
        with self._lock:
            open_sockets, self._sockets = self._sockets, set()
        for sock in open_sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _through(url: str, port: int) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{port}" if parsed.username
                                      else f"127.0.0.1:{port}"))


@pytest.fixture
def relay(settings):
    relay = RestartingPostgres(urlparse(settings.database_url).port or 5432)
    relay.up()
    yield relay
    relay.down()


def _body(name: str) -> dict:
    slug = "".join(c for c in name.lower() if c.isascii() and c.isalnum())
    return resource_body(name=name, url=f"https://{slug}.example.no")


def _names(api, headers) -> set[str]:
    found = api.get("/api/v1/resources", params={"limit": 100, "sort": "newest"}, headers=headers)
    assert found.status_code == 200, found.text
    return {item["name"] for item in found.json()["items"]}


def _assert_unavailable(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:500])
    assert elapsed < 5, f"answered after {elapsed:.1f} s: a client must not wait for a database that is away"
    assert response.headers["content-type"].startswith(PROBLEM)
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["type"].endswith(":database-unreachable") and "Try again" in body["detail"]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_postgresql_restart_is_answered_503_at_once_and_both_workers_recover_by_themselves(api, settings, relay):
    proxied = _through(settings.database_url, relay.port)
    workers = [start_worker(settings, name, DATABASE_URL=proxied, SCHEDULER_INTERVAL_SECONDS="1")
               for name in ("a", "b")]
    try:
        reviewer, staff = api.headers("sector_reviewer"), api.headers("staff")
        created = httpx.post(f"{workers[0].url}/api/v1/resources", json=_body("Før omstarten"),
                             headers=reviewer, timeout=30)
        assert created.status_code == 201, created.text
        resource_id = created.json()["id"]
        pids = [w.process.pid for w in workers]
        holders = lambda: sum(w.output().count("runs the background jobs") for w in workers)  # noqa: E731
        wait_until(lambda: holders() == 1, timeout=60, what="one worker to take the jobs lock")

        relay.down()
        for worker in workers:
            for method, path, kwargs in (
                    ("GET", f"/api/v1/resources/{resource_id}", {"headers": staff}),
                    ("GET", "/api/v1/resources", {"params": {"q": "omstarten", "level": "5"}, "headers": staff}),
                    ("POST", "/api/v1/resources", {"json": _body(f"Under omstarten {worker.port}"),
                                                   "headers": reviewer})):
                started = time.monotonic()
                response = httpx.request(method, worker.url + path, timeout=30, **kwargs)
                _assert_unavailable(response, time.monotonic() - started)
            ready = httpx.get(f"{worker.url}/ready", timeout=30)
            assert ready.status_code == 503 and ready.json()["database"] == "unreachable", ready.text
            page = httpx.get(f"{worker.url}/ressurser/{resource_id}", headers={**staff, "Accept": "text/html"},
                             timeout=30)
            assert page.status_code == 503 and page.headers["content-type"].startswith("text/html"), page.text[:300]
            assert "Tjenesten er midlertidig utilgjengelig" in page.text and "Prøv igjen om litt" in page.text
            assert httpx.get(f"{worker.url}/health", timeout=30).status_code == 200  # the process lives

        relay.up()
        for worker in workers:
            wait_until(lambda: httpx.get(f"{worker.url}/ready", timeout=30).status_code == 200, timeout=60,
                       what="the worker to reach the database again by itself")
            again = httpx.get(f"{worker.url}/api/v1/resources/{resource_id}", headers=staff, timeout=30)
            assert again.status_code == 200 and again.json()["name"] == "Før omstarten"
            after = httpx.post(f"{worker.url}/api/v1/resources", json=_body(f"Etter omstarten {worker.port}"),
                               headers=reviewer, timeout=30)
            assert after.status_code == 201, after.text
        assert [w.process.pid for w in workers] == pids and all(w.process.poll() is None for w in workers)
        names = _names(api, reviewer)
        assert "Før omstarten" in names and not any(n.startswith("Under omstarten") for n in names)
        assert {f"Etter omstarten {w.port}" for w in workers} <= names
        # the background jobs went on: one worker holds their lock again (its connection was cut too)
        wait_until(lambda: holders() >= 2, timeout=60, what="a worker to take the jobs lock again")
        assert api.run(workflows.audit.verify).ok
        # and a client reading the API's document knows to expect it
        paths = api.get("/schema/openapi.json").json()["paths"]
        for path, method in (("/api/v1/resources/{resource_id}", "get"), ("/api/v1/resources", "post")):
            declared = paths[path][method]["responses"]["503"]
            assert PROBLEM in declared["content"] and "Retry-After" in declared["headers"]
    finally:
        for worker in workers:
            worker.stop()
        for worker in workers:  # a 503 is logged as one line; a 500 as an unhandled error
            assert "unhandled error" not in worker.output(), worker.output()[-3000:]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_sessions_ended_by_a_restarting_server_are_replaced_without_a_500(api, settings):
    """What a fast shutdown does to the server's sessions (FATAL 57P01 on each): the pooled
    connections are dropped and opened again; a request that met one is a 503, never a 500."""
    worker = start_worker(settings, "terminated")
    try:
        staff = api.headers("staff")
        statuses: list[int] = []

        async def terminate() -> None:
            connection = await asyncpg.connect(settings.database_url)
            try:
                await connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                         " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                                         " AND backend_type = 'client backend'")
            finally:
                await connection.close()

        for _ in range(3):
            assert httpx.get(f"{worker.url}/api/v1/resources", headers=staff, timeout=30).status_code == 200
            api.run(terminate)
            for _ in range(6):
                response = httpx.get(f"{worker.url}/api/v1/resources", params={"q": "brøk"}, headers=staff, timeout=30)
                statuses.append(response.status_code)
                assert response.status_code in (200, 503), response.text[:500]
            assert statuses[-1] == 200, statuses
        assert worker.process.poll() is None
    finally:
        worker.stop()
