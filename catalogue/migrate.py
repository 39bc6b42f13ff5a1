"""Apply Piccolo migrations: safe to run again, and safe when several processes start at once."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import AsyncIterator

import asyncpg
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration

from catalogue import db
from catalogue.settings import Settings

_LOCK_KEY = 0x4C4B_0001  # one advisory lock id for schema changes and demo loading


@contextlib.asynccontextmanager
async def exclusive(settings: Settings) -> AsyncIterator[None]:
    """Serialise schema work between processes: a PostgreSQL advisory lock, or nothing on SQLite
    (where every writer already queues on the database lock)."""
    if settings.is_sqlite:
        yield
        return
    connection = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        yield
    finally:
        try:
            await connection.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        finally:
            await connection.close()


async def applied_migrations() -> list[str]:
    if not await Migration.table_exists():
        return []
    rows = await Migration.select(Migration.name).order_by(Migration.name)
    return [r["name"] for r in rows]


_MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
_up_to_date = False


def known_migrations() -> set[str]:
    """The ids of the migrations this version of the service ships (each file's ``ID``)."""
    import re

    found = set()
    for path in _MIGRATIONS.glob("*/*.py"):
        match = re.search(r'^ID = "([^"]+)"', path.read_text(encoding="utf-8"), re.MULTILINE)
        if match:
            found.add(match.group(1))
    return found


async def pending_migrations() -> list[str]:
    """This version's migrations that the database has not applied (none, once seen up to date)."""
    global _up_to_date
    if _up_to_date:
        return []
    pending = sorted(known_migrations() - set(await applied_migrations()))
    _up_to_date = not pending
    return pending


async def migrate(settings: Settings) -> list[str]:
    """Bring the schema up to date; returns the ids of migrations applied now."""
    engine = db.engine_from_url(settings.database_url, settings.sqlite_busy_timeout_seconds)
    if settings.is_sqlite:
        Path(db.sqlite_path(settings.database_url)).parent.mkdir(parents=True, exist_ok=True)
    db.bind_tables(engine)
    if settings.is_sqlite:
        # WAL lets readers work while one writer writes; the mode is stored in the file.
        await engine.run_ddl("PRAGMA journal_mode=WAL")
    async with exclusive(settings):
        before = set(await applied_migrations())
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            result = await run_forwards("all")
        if not result.success:
            raise RuntimeError(f"migration failed: {result.message}\n{output.getvalue()}")
        after = await applied_migrations()
    return [m for m in after if m not in before]
