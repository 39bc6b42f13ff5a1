"""Database engines: one URL picks SQLite (embedded) or PostgreSQL (production)."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from typing import Any, AsyncIterator, Optional
from urllib.parse import unquote, urlparse

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import (
    SQLiteEngine,
    SQLiteTransaction,
    TransactionType,
    dict_factory,
)


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:///path`` URL."""
    return unquote(url[len("sqlite:///"):])


IN_PLACE_BUSY_SECONDS = 0.05  # how long a read in the event loop's thread may wait for a busy database


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, keeping connections open between uses.

    Piccolo opens a new connection, and with it a new aiosqlite thread, for every query outside a
    transaction and for every transaction (about 2 ms each, measured), and makes four or five
    round trips to that thread per query (a PRAGMA, execute, fetch, close). This engine runs a
    query in one round trip and, between ``start`` and ``stop`` (the application's lifetime),
    keeps up to ``pool_size`` idle connections (foreign keys switched on once, when opened) and
    lends one to each query or transaction. A lent connection serves one query or one transaction
    at a time, as before; one left inside a transaction (a failed COMMIT) is closed, never pooled.
    Outside start/stop (migrations, commands) every connection is closed after use, as Piccolo
    does, so the last close checkpoints the WAL into the database file."""

    def __init__(self, path: str, pool_size: int = 10, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self.pool_size = pool_size
        self.pooling = False
        self._idle: list[aiosqlite.Connection] = []
        self._readers: dict[int, sqlite3.Connection] = {}  # read_in_place's, one per thread

    def start_pool(self, pool_size: int) -> None:
        self.pool_size = pool_size
        self.pooling = True

    def read_in_place(self, query: str) -> list[dict[str, Any]] | None:
        """A read of a row or two by key in the calling thread, on that thread's own connection,
        without the round trip to a connection's thread (which cost ten times the read): for a
        statement every search runs. Sees what is committed, as each statement of a read_session
        does. None when the database is busy for longer than a moment (a reader in WAL mode
        waits only in rare cases, such as the recovery after a crash): the caller then reads as
        usual, so the event loop is never held. Only between start_pool and close_pool."""
        reader = self._readers.get(threading.get_ident())
        if reader is None:
            reader = sqlite3.connect(self.connection_kwargs["database"], isolation_level=None,
                                     check_same_thread=False, timeout=IN_PLACE_BUSY_SECONDS)
            reader.row_factory = dict_factory
            self._readers[threading.get_ident()] = reader
        try:
            return reader.execute(query).fetchall()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return None
            raise

    async def get_connection(self) -> aiosqlite.Connection:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # An idle pooled connection must not keep the process alive at exit (aiosqlite's thread is
        # not a daemon): it holds no transaction, so nothing is lost when it is dropped.
        connection._thread.daemon = True
        await connection
        connection.row_factory = dict_factory
        await connection.execute_fetchall("PRAGMA foreign_keys = 1")
        return connection

    async def lease(self) -> aiosqlite.Connection:
        return self._idle.pop() if self._idle else await self.get_connection()

    async def release(self, connection: aiosqlite.Connection) -> None:
        if self.pooling and len(self._idle) < self.pool_size and connection._connection is not None \
                and not connection.in_transaction:
            self._idle.append(connection)
        else:
            await connection.close()

    async def close_pool(self) -> None:
        self.pooling = False
        readers, self._readers = self._readers, {}
        for reader in readers.values():
            reader.close()
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()

    async def _run_in_new_connection(self, query: str, args: Optional[list[Any]] = None,
                                     query_type: str = "generic", table: Any = None):
        connection = await self.lease()
        try:
            # autocommit (isolation_level None): the statement commits by itself
            return list(await connection.execute_fetchall(query, args or []))
        finally:
            await self.release(connection)

    async def _run_in_existing_connection(self, connection, query: str, args: Optional[list[Any]] = None,
                                          query_type: str = "generic", table: Any = None):
        return list(await connection.execute_fetchall(query, args or []))

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred,
                    allow_nested: bool = True) -> SQLiteTransaction:
        return PooledSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)


class PooledSQLiteTransaction(SQLiteTransaction):
    """A transaction on a connection lent by PooledSQLiteEngine and given back at its end."""

    async def get_connection(self) -> aiosqlite.Connection:
        return await self.engine.lease()

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            await self.begin()
        except BaseException:  # e.g. the write lock was not had within the busy timeout
            await self.engine.release(self.connection)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            self.engine.current_transaction.reset(self.context)
            await self.engine.release(self.connection)
        return exception is None


def engine_from_url(url: str, busy_timeout_seconds: int = 30, pool_size: int = 10) -> Engine:
    """Build a Piccolo engine for ``url`` without connecting (``pool_size``: idle SQLite
    connections kept open; PostgreSQL sizes its pool in ``start``)."""
    if url.startswith("sqlite:///"):
        # timeout is sqlite3's busy timeout: a writer waits for the lock instead of failing.
        return PooledSQLiteEngine(path=sqlite_path(url), pool_size=pool_size, timeout=busy_timeout_seconds)
    parsed = urlparse(url)
    if parsed.scheme in {"postgresql", "postgres"}:
        return PostgresEngine(config={"dsn": url.replace("postgres://", "postgresql://", 1)})
    raise ValueError(f"unsupported database URL scheme: {parsed.scheme!r}")


def is_sqlite(engine: Engine) -> bool:
    return engine.engine_type == "sqlite"


_bound: Engine | None = None


def bound_engine() -> Engine:
    """The engine the tables are bound to; before bind_tables, one for DATABASE_URL. Piccolo's
    own machinery (migrations, ``engine_finder``) reads it through catalogue.piccolo_conf."""
    global _bound
    if _bound is None:
        from catalogue.settings import Settings

        settings = Settings.from_env()
        _bound = engine_from_url(settings.database_url, settings.sqlite_busy_timeout_seconds)
    return _bound


def bind_tables(engine: Engine) -> None:
    """Point every table of this service (and Piccolo's migration table) at ``engine``."""
    from piccolo.apps.migrations.tables import Migration
    from piccolo.conf.apps import Finder

    global _bound
    _bound = engine
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
    if isinstance(engine.current_transaction.get(), _ReadSession):
        raise RuntimeError("a write inside read_session(): open the write transaction first")
    if is_sqlite(engine):
        async with engine.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with engine.transaction():
            yield


class _ReadSession:
    """Stands where Piccolo looks for the current transaction, so that every statement of a
    read_session runs on its connection."""

    __slots__ = ("connection",)

    def __init__(self, connection) -> None:
        self.connection = connection


@contextlib.asynccontextmanager
async def read_session() -> AsyncIterator[None]:
    """Reads that belong together, on one pooled connection without BEGIN and COMMIT: each
    statement sees what is committed when it runs (on PostgreSQL a transaction at READ COMMITTED
    would give each statement its own snapshot all the same; on SQLite each statement is its own
    read transaction), for two round trips fewer. Outside a pool (commands), a transaction; inside
    a transaction already, its connection. For reads only: write_transaction refuses to start
    inside one."""
    engine = current_engine()
    if engine.current_transaction.get() is not None or not _pooled(engine):
        async with engine.transaction():
            yield
        return
    async with _lent(engine) as connection:
        token = engine.current_transaction.set(_ReadSession(connection))
        try:
            yield
        finally:
            engine.current_transaction.reset(token)


def reads_in_place(engine: Engine) -> bool:
    """Whether a small read may run in the calling thread (PooledSQLiteEngine.read_in_place): on
    SQLite's pool inside a read_session; inside a transaction, never (its own writes only its
    connection sees)."""
    return isinstance(engine, PooledSQLiteEngine) and engine.pooling \
        and isinstance(engine.current_transaction.get(), _ReadSession)


def _pooled(engine: Engine) -> bool:
    if isinstance(engine, PooledSQLiteEngine):
        return engine.pooling
    return not is_sqlite(engine) and bool(engine.pool)


@contextlib.asynccontextmanager
async def _lent(engine: Engine) -> AsyncIterator[Any]:
    """A connection of the engine's pool, given back afterwards."""
    if isinstance(engine, PooledSQLiteEngine):
        connection = await engine.lease()
        try:
            yield connection
        finally:
            await engine.release(connection)
        return
    async with engine.pool.acquire() as connection:
        yield connection


async def _released(connection) -> None:
    """What a pooled PostgreSQL connection needs when it is given back, beyond the rollback of an
    open transaction that asyncpg always does: nothing. The service leaves no session state on a
    pooled connection (its advisory locks are per transaction, or on connections of their own;
    nothing is SET or LISTENed outside a transaction), and asyncpg's default reset is a statement
    of its own on every release: on pages of a dozen statements, half the round trips."""


async def start(engine: Engine, pool_size: int) -> None:
    if isinstance(engine, PostgresEngine):
        # a connection that cannot be made in 10 s is answered 503 (catalogue.problems), not waited for
        await engine.start_connection_pool(min_size=1, max_size=pool_size, reset=_released, timeout=10)
    elif isinstance(engine, PooledSQLiteEngine):
        engine.start_pool(pool_size)


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()
