"""`catalogue backup FILE` and `catalogue restore FILE`.

SQLite: SQLite's online backup API copies the database page by page while the service keeps
serving; readers and writers are not stopped, and the copy is one consistent state of the database
(a write that lands during the copy makes SQLite start the copy of the changed pages again).

PostgreSQL: ``pg_dump --format=custom``, which reads everything in one snapshot while the service
writes; ``pg_restore`` loads it. Both must be on PATH and of the server's major version or newer
(Debian: the ``postgresql-client`` package).

A restore goes into an empty database only (a fresh SQLite file, or a PostgreSQL database made
with CREATE DATABASE), then the audit chain is verified; the service can then be started on it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from catalogue.db import sqlite_path
from catalogue.settings import Settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done, with what to do about it."""


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found on PATH. Install PostgreSQL's client tools of the server's major "
                          f"version (Debian/Ubuntu: apt-get install postgresql-client), or dump the database with "
                          f"the server's own {name}.")
    return found


def _pg_url(settings: Settings) -> str:
    return settings.database_url.replace("postgres://", "postgresql://", 1)


def backup(settings: Settings, target: Path) -> str:
    """Write a backup of the database to ``target``; returns a line for the operator."""
    target = target.resolve()
    if target.exists():
        raise BackupError(f"{target} exists; a backup never overwrites a file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        if settings.is_sqlite:
            source_path = Path(sqlite_path(settings.database_url))
            if not source_path.exists():
                raise BackupError(f"there is no database at {source_path}")
            source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
            destination = sqlite3.connect(partial)
            try:
                source.backup(destination)  # one step: one read snapshot (WAL lets writers go on)
                destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                destination.close()
                source.close()
        else:
            result = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                                     f"--file={partial}", f"--dbname={_pg_url(settings)}"],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        os.chmod(partial, 0o600)  # the backup holds everything the database holds
        os.replace(partial, target)  # the file appears only when complete
    finally:
        partial.unlink(missing_ok=True)
    return f"Backup written to {target} ({target.stat().st_size} bytes)."


async def _is_empty(settings: Settings) -> bool:
    if settings.is_sqlite:
        path = Path(sqlite_path(settings.database_url))
        if not path.exists() or path.stat().st_size == 0:
            return True
        with sqlite3.connect(path) as connection:
            return connection.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
    import asyncpg

    connection = await asyncpg.connect(_pg_url(settings))
    try:
        return await connection.fetchval(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'") == 0
    finally:
        await connection.close()


async def restore(settings: Settings, source: Path) -> str:
    """Load the backup ``source`` into the (empty) database of ``settings``."""
    source = source.resolve()
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    head = source.open("rb").read(16)
    if settings.is_sqlite and head != SQLITE_MAGIC:
        raise BackupError(f"{source} is not an SQLite backup (DATABASE_URL names an SQLite database)")
    if not settings.is_sqlite and not head.startswith(PG_MAGIC):
        raise BackupError(f"{source} is not a pg_dump backup (DATABASE_URL names a PostgreSQL database)")
    if not await _is_empty(settings):
        raise BackupError("the database in DATABASE_URL is not empty; restore into a new one (a new SQLite file, "
                          "or CREATE DATABASE for PostgreSQL) and point the service at it")
    if settings.is_sqlite:
        path = Path(sqlite_path(settings.database_url))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        try:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup_db:
                destination = sqlite3.connect(partial)
                try:
                    backup_db.backup(destination)
                    if destination.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                        raise BackupError(f"{source} fails SQLite's integrity check")
                    destination.execute("PRAGMA journal_mode=WAL")
                finally:
                    destination.close()
            path.unlink(missing_ok=True)
            os.chmod(partial, 0o600)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    else:
        result = subprocess.run([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                                 "--single-transaction", f"--dbname={_pg_url(settings)}", str(source)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed (nothing was loaded): {result.stderr.strip()}")
    from catalogue.migrate import migrate
    from workflows.audit import verify

    await migrate(settings)  # a backup from an older version is brought up to this one's schema
    checked = await verify()
    if not checked.ok:
        raise BackupError(f"restored, but the audit chain is BROKEN at entry {checked.broken_at}: {checked.problem}")
    return f"Restored {source} into {_describe(settings)}; the audit chain is intact ({checked.entries} entries)."


def _describe(settings: Settings) -> str:
    """The database named without its password."""
    if settings.is_sqlite:
        return settings.database_url
    from urllib.parse import urlparse

    parsed = urlparse(settings.database_url)
    return f"postgresql://{parsed.hostname or ''}{':' + str(parsed.port) if parsed.port else ''}{parsed.path}"
