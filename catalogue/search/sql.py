"""Running the search's own SQL with little overhead.

Statements are written with ``{}`` placeholders, as Piccolo's raw queries are, and run on the
current transaction's connection when there is one. Unlike ``Table.raw`` this does not process
each argument in Python (Piccolo's QueryString costs tens of microseconds per argument, which
dominated bulk index writes of thousands of arguments and searches of a few dozen). Arguments
must be plain values: str, int, float, bool, None, date or datetime."""

from __future__ import annotations

from typing import Any

from catalogue.db import current_engine, is_sqlite, reads_in_place


def compile_postgres(sql: str) -> str:
    parts = sql.split("{}")
    return "".join(part + (f"${i + 1}" if i < len(parts) - 1 else "") for i, part in enumerate(parts))


async def execute(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run one statement and return its rows as dicts."""
    engine = current_engine()
    transaction = engine.current_transaction.get()
    if is_sqlite(engine):
        compiled = sql.replace("{}", "?")
        if transaction is not None:
            return await engine._run_in_existing_connection(transaction.connection, compiled, list(args))
        return await engine._run_in_new_connection(compiled, list(args))
    compiled = compile_postgres(sql)
    if transaction is not None:
        rows = await transaction.connection.fetch(compiled, *args)
    elif engine.pool:
        async with engine.pool.acquire() as connection:
            rows = await connection.fetch(compiled, *args)
    else:
        rows = await engine._run_in_new_connection(compiled, args)
    return [dict(row) for row in rows]


async def read_small(sql: str) -> list[dict[str, Any]]:
    """A statement that reads a row or two by key: inside a read_session on SQLite's pool, in the
    calling thread (catalogue.db.PooledSQLiteEngine.read_in_place); else as ``execute`` runs it."""
    engine = current_engine()
    if reads_in_place(engine):
        rows = engine.read_in_place(sql)
        if rows is not None:
            return rows
    return await execute(sql)
