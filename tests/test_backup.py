"""`catalogue backup` of a running instance under writes, and `catalogue restore` into a fresh one:
the restored database is one consistent moment of the original (every row as it was, the audit
log a prefix of the original's with its chain intact), and a restore never lands on data."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import threading
import uuid

import asyncpg
import httpx
import pytest

from catalogue.db import sqlite_path
from tests.conftest import _pg_admin, _pg_url_for, resource_body
from tests.workers import CATALOGUE, start_worker, wait_until, worker_env


def _rows(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as connection:
            return [tuple(r) for r in connection.execute(sql).fetchall()]

    async def fetch() -> list[tuple]:
        connection = await asyncpg.connect(url)
        try:
            return [tuple(r.values()) for r in await connection.fetch(sql)]
        finally:
            await connection.close()
    return asyncio.run(fetch())


@pytest.fixture
def fresh_database(backend, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'catalogue.sqlite3'}"
        return
    name = f"lk_restore_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    yield _pg_url_for(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _cli(settings, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([CATALOGUE, *args], env=worker_env(settings, **env), capture_output=True, text=True,
                          timeout=300)


def test_a_backup_taken_under_writes_restores_into_a_fresh_instance_with_everything_and_the_audit_chain(
        api, settings, fresh_database, tmp_path):
    editor = api.headers("sector_reviewer")
    worker = start_worker(settings, "backup")
    written: list[int] = []
    stop = threading.Event()
    failures: list[str] = []

    def write() -> None:
        with httpx.Client(base_url=worker.url, headers=editor, timeout=60) as client:
            i = 0
            while not stop.is_set():
                response = client.post("/api/v1/resources", json=resource_body(name=f"Sikkerhetskopi {i}"))
                if response.status_code != 201:
                    failures.append(response.text)
                    return
                written.append(response.json()["id"])
                i += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_until(lambda: len(written) >= 5 or failures, what="the first writes")
        before = len(written)
        backup_file = tmp_path / "backups" / "catalogue.backup"
        done = _cli(settings, "backup", str(backup_file))
        during = len(written)
    finally:
        stop.set()
        writer.join(timeout=120)
        worker.stop()
    assert not failures, failures
    assert done.returncode == 0, done.stderr
    assert backup_file.is_file() and oct(backup_file.stat().st_mode & 0o777) == "0o600"
    assert during > before  # the service went on writing while the backup ran... or at least before it ended

    again = _cli(settings, "backup", str(backup_file))
    assert again.returncode == 1 and "never overwrites" in again.stderr

    restored = _cli(settings, "restore", str(backup_file), DATABASE_URL=fresh_database)
    assert restored.returncode == 0, restored.stderr
    assert "the audit chain is intact" in restored.stdout

    original_url = settings.database_url
    names = "SELECT id, name, version FROM resource ORDER BY id"
    original_resources, restored_resources = _rows(original_url, names), _rows(fresh_database, names)
    assert len(restored_resources) >= before
    # one moment of the original: the first n resources, each as it was
    assert restored_resources == original_resources[:len(restored_resources)]
    audit = "SELECT id, action, object_id, entry_hash FROM audit_log ORDER BY id"
    original_audit, restored_audit = _rows(original_url, audit), _rows(fresh_database, audit)
    assert restored_audit and restored_audit == original_audit[:len(restored_audit)]
    verified = _cli(settings, "audit", "verify", DATABASE_URL=fresh_database)
    assert verified.returncode == 0, verified.stderr

    # a restore never lands on a database with data, and a backup of the other engine is refused
    twice = _cli(settings, "restore", str(backup_file), DATABASE_URL=fresh_database)
    assert twice.returncode == 1 and "not empty" in twice.stderr
    wrong = tmp_path / "wrong.backup"
    wrong.write_bytes(b"not a backup at all")
    refused = _cli(settings, "restore", str(wrong), DATABASE_URL=fresh_database)
    assert refused.returncode == 1 and "is not" in refused.stderr
