"""Running the search's own SQL with little overhead.

Statements are written with ``{}`` placeholders, as Piccolo's raw queries are, and run on the
current transaction's connection when there is one. Unlike ``Table.raw`` this does not process
each argument in Python (Piccolo's QueryString costs tens of microseconds per argument, which
dominated bulk index writes of thousands of arguments and searches of a few dozen). Arguments
must be plain values: str, int, float, bool, None, date or datetime."""

from __future__ import annotations

from typing import Any

from catalogue.db import current_engine, is_sqlite


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
