"""Database engines: one URL picks SQLite (embedded) or PostgreSQL (production)."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator
from urllib.parse import unquote, urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:///path`` URL."""
    return unquote(url[len("sqlite:///"):])


def engine_from_url(url: str, busy_timeout_seconds: int = 30) -> Engine:
    """Build a Piccolo engine for ``url`` without connecting."""
    if url.startswith("sqlite:///"):
        # timeout is sqlite3's busy timeout: a writer waits for the lock instead of failing.
        return SQLiteEngine(path=sqlite_path(url), timeout=busy_timeout_seconds)
    parsed = urlparse(url)
    if parsed.scheme in {"postgresql", "postgres"}:
        return PostgresEngine(config={"dsn": url.replace("postgres://", "postgresql://", 1)})
    raise ValueError(f"unsupported database URL scheme: {parsed.scheme!r}")


def is_sqlite(engine: Engine) -> bool:
    return engine.engine_type == "sqlite"


def bind_tables(engine: Engine) -> None:
    """Point every table of this service (and Piccolo's migration table) at ``engine``."""
    from piccolo.apps.migrations.tables import Migration
    from piccolo.conf.apps import Finder

    import catalogue.piccolo_conf as conf

    conf.DB = engine
    for table in [*Finder().get_table_classes(), Migration]:
        table._meta.db = engine


def current_engine() -> Engine:
    from catalogue.tables import Resource

    return Resource._meta.db


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for writes: IMMEDIATE on SQLite so concurrent writers queue on the lock
    instead of failing when they upgrade from a read lock."""
    engine = current_engine()
    if is_sqlite(engine):
        async with engine.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with engine.transaction():
            yield


async def start(engine: Engine, pool_size: int) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=pool_size)


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
