"""The whole database as one file, to move an instance between machines or engines (SQLite ⇄
PostgreSQL) without losing a row.

The file is JSON Lines (gzip-compressed when the name ends in ``.gz``; reading detects gzip by
its magic bytes). The first line describes the export (format, version, applied migrations, the
tables and their columns with a portable kind); then, per table, a line naming it, one JSON
array per row and a closing line with the row count and a SHA-256 of the row lines; the last line
repeats every table's count and checksum and carries a SHA-256 of all lines before it. Values are
written in one form whatever the engine (timestamps in UTC with microseconds, dates ISO, booleans,
bytes as base64, JSON columns as their stored text), so an export from SQLite and one from
PostgreSQL of the same data are the same line for line, and the audit chain's hashes stay valid.

Derived tables (the search index, its typo vocabulary and change counter, Piccolo's migration
table) are not carried: the target has run the same migrations and rebuilds its search index.

Importing reads the whole file once to check it (a cut or altered file is refused before anything
is written), then writes every table in one transaction, in foreign-key order. A database that
holds anything beyond what the migrations put there is refused unless ``replace`` is asked for."""

from __future__ import annotations

import base64
import datetime
import gzip
import hashlib
import io
import json
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from catalogue.db import current_engine, is_sqlite, write_transaction

FORMAT = "laeremiddelkatalogen-database"
VERSION = 1
BATCH = 2000
DERIVED = frozenset({"migration", "resource_search", "search_vocab", "search_change", "search_state"})
DERIVED_PREFIXES = ("resource_fts", "sqlite_")
# Rows the migrations themselves put in (the taxonomy): their presence does not make a database
# "not empty", and an import replaces them with the file's.
SEEDED = frozenset({"level", "subject", "kindergarten_area"})
SEEDED = SEEDED | {"search_synonym"}  # the search's synonyms start as catalogue/data/search_synonyms.csv
AUDIT_TABLE = "audit_log"

Progress = Callable[[str, int, int], None]  # (table, rows done in it, rows in it)


class TransferError(Exception):
    """The file or the target database cannot be used; the message says why, for a person."""


@dataclass
class TableSummary:
    name: str
    rows: int
    sha256: str


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------
# Portable column kinds and values

_PG_KINDS = {
    "integer": "int", "bigint": "int", "smallint": "int", "boolean": "bool",
    "character varying": "text", "text": "text", "character": "text", "json": "json", "jsonb": "json",
    "date": "date", "timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp",
    "bytea": "bytes", "double precision": "float", "real": "float", "numeric": "decimal",
}


def _sqlite_kind(declared: str) -> str:
    name = re.sub(r"\(.*\)", "", (declared or "").upper()).strip()
    if name in {"INTEGER", "BIGINT", "SMALLINT", "INT"}:
        return "int"
    if name in {"VARCHAR", "TEXT", "CHAR", "CHARACTER VARYING"}:
        return "text"
    if name in {"JSON", "JSONB"}:
        return "json"
    return {"BOOLEAN": "bool", "DATE": "date", "TIMESTAMPTZ": "timestamptz", "TIMESTAMP": "timestamp",
            "BLOB": "bytes", "BYTEA": "bytes", "REAL": "float", "DOUBLE PRECISION": "float",
            "NUMERIC": "decimal"}.get(name, "text")


_UTC = datetime.timezone.utc


def to_portable(kind: str, value: Any) -> Any:
    """A value read from either engine, in the file's one form."""
    if value is None:
        return None
    if kind == "bool":
        return value in ("1", "t", "true") if isinstance(value, str) else bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "decimal":
        return str(value)
    if kind in ("timestamptz", "timestamp"):
        moment = value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(str(value))
        if kind == "timestamptz":
            moment = (moment.replace(tzinfo=_UTC) if moment.tzinfo is None else moment).astimezone(_UTC)
        return moment.isoformat(timespec="microseconds")
    if kind == "date":
        return value.isoformat() if isinstance(value, datetime.date) else str(value)[:10]
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def from_portable(kind: str, value: Any) -> Any:
    """A file value as the Python value both engines' drivers take; ValueError when it is not one."""
    if value is None:
        return None
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected a whole number")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("expected a number")
        return float(value)
    if not isinstance(value, str):
        raise ValueError("expected text")
    if kind == "timestamptz":
        moment = datetime.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("expected a time with its UTC offset")
        return moment
    if kind == "timestamp":
        return datetime.datetime.fromisoformat(value)
    if kind == "date":
        return datetime.date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value.encode("ascii"), validate=True)
    if kind == "decimal":
        import decimal

        return decimal.Decimal(value)
    return value


# ---------------------------------------------------------------------------------------------
# The database side, on the connection of the current transaction


class _Connection:
    def __init__(self) -> None:
        engine = current_engine()
        transaction = engine.current_transaction.get()
        if transaction is None:
            raise RuntimeError("whole-database transfers run inside a transaction")
        self.raw = transaction.connection
        self.sqlite = is_sqlite(engine)

    async def fetch(self, sql: str) -> list[dict[str, Any]]:
        if self.sqlite:
            return list(await self.raw.execute_fetchall(sql))
        return [dict(r) for r in await self.raw.fetch(sql)]

    async def execute(self, sql: str) -> None:
        if self.sqlite:
            await self.raw.execute(sql)
        else:
            await self.raw.execute(sql)

    async def insert(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.sqlite:
            names = ", ".join(_quote(c) for c in columns)
            marks = ", ".join("?" for _ in columns)
            await self.raw.executemany(f"INSERT INTO {_quote(table)} ({names}) VALUES ({marks})", rows)
        else:
            await self.raw.copy_records_to_table(table, columns=columns, records=rows)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_derived(table: str) -> bool:
    return table in DERIVED or table.startswith(DERIVED_PREFIXES)


async def _schema(conn: _Connection) -> dict[str, list[tuple[str, str]]]:
    """The carried tables in foreign-key order (referenced tables first), each with its columns
    (name and portable kind) sorted by name, so both engines list them alike."""
    if conn.sqlite:
        names = [r["name"] for r in await conn.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        names = [n for n in names if not _is_derived(n)]
        columns, references = {}, {}
        for name in names:
            info = await conn.fetch(f"PRAGMA table_info({_quote(name)})")
            columns[name] = sorted((r["name"], _sqlite_kind(r["type"])) for r in info)
            keys = await conn.fetch(f"PRAGMA foreign_key_list({_quote(name)})")
            references[name] = {r["table"] for r in keys}
    else:
        names = [r["table_name"] for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' ORDER BY table_name")]
        names = [n for n in names if not _is_derived(n)]
        rows = await conn.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema()")
        columns = {n: [] for n in names}
        for r in rows:
            if r["table_name"] in columns:
                columns[r["table_name"]].append((r["column_name"], _PG_KINDS.get(r["data_type"], "text")))
        for name in names:
            columns[name].sort()
        keys = await conn.fetch(
            "SELECT tc.table_name AS source, ccu.table_name AS target"
            " FROM information_schema.table_constraints tc"
            " JOIN information_schema.constraint_column_usage ccu"
            "   ON tc.constraint_name = ccu.constraint_name AND tc.table_schema = ccu.table_schema"
            " WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()")
        references = {n: set() for n in names}
        for r in keys:
            if r["source"] in references:
                references[r["source"]].add(r["target"])
    ordered: list[str] = []
    waiting = {n: {t for t in references[n] if t != n and t in references} for n in names}
    while waiting:
        ready = sorted(n for n, needs in waiting.items() if not needs - set(ordered))
        if not ready:  # a cycle of foreign keys: keep the names' order for the rest
            ready = sorted(waiting)
        for n in ready:
            ordered.append(n)
            del waiting[n]
    return {n: columns[n] for n in ordered}


async def _migrations(conn: _Connection) -> list[str]:
    return [r["name"] for r in await conn.fetch('SELECT name FROM "migration" ORDER BY name')]


async def _count(conn: _Connection, table: str) -> int:
    return int((await conn.fetch(f"SELECT COUNT(*) AS n FROM {_quote(table)}"))[0]["n"])


async def _rows(conn: _Connection, table: str, columns: list[tuple[str, str]]) -> Any:
    names = [c for c, _ in columns]
    select = ", ".join(_quote(c) for c in names)
    if "id" not in names:
        order = ", ".join(_quote(c) for c in names)
        for row in await conn.fetch(f"SELECT {select} FROM {_quote(table)} ORDER BY {order}"):
            yield row
        return
    last = None
    while True:
        where = f" WHERE id > {int(last)}" if last is not None else ""
        batch = await conn.fetch(f"SELECT {select} FROM {_quote(table)}{where} ORDER BY id LIMIT {BATCH}")
        if not batch:
            return
        for row in batch:
            yield row
        last = batch[-1]["id"]


# ---------------------------------------------------------------------------------------------
# Export


async def export_all(path: Path, progress: Progress | None = None) -> list[TableSummary]:
    """Write every carried table to ``path`` from one consistent snapshot; returns the summary.
    The file appears only when complete (written beside it, then renamed)."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    engine = current_engine()
    summaries: list[TableSummary] = []
    async with engine.transaction():
        conn = _Connection()
        if not conn.sqlite:
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        schema = await _schema(conn)
        counts = {t: await _count(conn, t) for t in schema}
        header = {
            "format": FORMAT, "version": VERSION,
            "exported_at": datetime.datetime.now(_UTC).isoformat(timespec="seconds"),
            "source_engine": "sqlite" if conn.sqlite else "postgresql",
            "migrations": await _migrations(conn),
            "tables": [{"name": t, "columns": [list(c) for c in cols], "rows": counts[t]}
                       for t, cols in schema.items()],
        }
        raw = gzip.open(partial, "wb", compresslevel=6) if path.name.endswith(".gz") else open(partial, "wb")
        overall = hashlib.sha256()
        try:
            def emit(line: bytes) -> None:
                overall.update(line)
                raw.write(line)

            emit((canonical(header) + "\n").encode("utf-8"))
            for table, cols in schema.items():
                emit((canonical({"table": table}) + "\n").encode("utf-8"))
                digest, count = hashlib.sha256(), 0
                kinds = [(c, k) for c, k in cols]
                async for row in _rows(conn, table, cols):
                    line = (canonical([to_portable(k, row[c]) for c, k in kinds]) + "\n").encode("utf-8")
                    digest.update(line)
                    emit(line)
                    count += 1
                    if progress and count % BATCH == 0:
                        progress(table, count, counts[table])
                if progress:
                    progress(table, count, counts[table])
                summaries.append(TableSummary(table, count, digest.hexdigest()))
                emit((canonical({"end": table, "rows": count, "sha256": digest.hexdigest()}) + "\n").encode())
            trailer = {"end_of_export": True, "tables": {s.name: {"rows": s.rows, "sha256": s.sha256}
                                                         for s in summaries}}
            trailer["sha256"] = overall.hexdigest()
            raw.write((canonical(trailer) + "\n").encode("utf-8"))
        except BaseException:
            raw.close()
            partial.unlink(missing_ok=True)
            raise
        raw.close()
    os.replace(partial, path)
    return summaries


# ---------------------------------------------------------------------------------------------
# Reading and checking a file


def _open(path: Path) -> io.BufferedIOBase:
    try:
        with open(path, "rb") as probe:
            magic = probe.read(2)
    except OSError as exc:
        raise TransferError(f"Cannot read {path}: {exc.strerror or exc}") from None
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


@dataclass
class _Item:
    kind: str  # "header", "table", "row", "end"
    value: Any
    line: int


def _items(path: Path) -> Iterator[_Item]:
    """The file's lines, checked as they are read: structure, row widths, every table's checksum
    and the whole file's; raises TransferError at the first fault."""
    overall = hashlib.sha256()
    header: dict[str, Any] | None = None
    columns: dict[str, int] = {}
    table: str | None = None
    digest = hashlib.sha256()
    count = 0
    done: dict[str, dict[str, Any]] = {}
    number = 0
    try:
        with _open(path) as stream:
            for number, line in enumerate(stream, start=1):
                try:
                    value = json.loads(line)
                except (ValueError, UnicodeDecodeError):
                    if number == 1:
                        raise TransferError(f"{path.name} is not a database export of this service.") from None
                    raise TransferError(f"Line {number} is not valid JSON: the file was altered or cut short."
                                        ) from None
                if not line.endswith(b"\n"):
                    raise TransferError(f"Line {number} is incomplete: the file was cut short.")
                if header is None:
                    if not isinstance(value, dict) or value.get("format") != FORMAT:
                        raise TransferError(f"{path.name} is not a database export of this service.")
                    if value.get("version") != VERSION:
                        raise TransferError(f"The export's format version {value.get('version')!r} is not "
                                            f"{VERSION}, the one this version of the service reads.")
                    header = value
                    columns = {t["name"]: len(t["columns"]) for t in header["tables"]}
                    overall.update(line)
                    yield _Item("header", header, number)
                    continue
                if isinstance(value, list):
                    if table is None:
                        raise TransferError(f"Line {number}: a row outside any table (the file was altered).")
                    if len(value) != columns[table]:
                        raise TransferError(f"Line {number}: a row of {table} has {len(value)} values, "
                                            f"not {columns[table]} (the file was altered).")
                    digest.update(line)
                    overall.update(line)
                    count += 1
                    yield _Item("row", value, number)
                    continue
                if not isinstance(value, dict):
                    raise TransferError(f"Line {number} is neither a row nor a marker (the file was altered).")
                if "table" in value:
                    name = value["table"]
                    if table is not None or name not in columns or name in done:
                        raise TransferError(f"Line {number}: table {name!r} is out of place (the file was altered).")
                    table, digest, count = name, hashlib.sha256(), 0
                    overall.update(line)
                    yield _Item("table", name, number)
                elif "end" in value:
                    if value["end"] != table:
                        raise TransferError(f"Line {number}: the end of {value['end']!r} is out of place "
                                            "(the file was altered).")
                    if value.get("rows") != count or value.get("sha256") != digest.hexdigest():
                        raise TransferError(f"Table {table}: the rows do not match the count and checksum "
                                            "recorded for them (the file was altered).")
                    done[table] = {"rows": count, "sha256": digest.hexdigest()}
                    overall.update(line)
                    yield _Item("end", TableSummary(table, count, digest.hexdigest()), number)
                    table = None
                elif value.get("end_of_export") is True:
                    if table is not None or set(done) != set(columns):
                        missing = sorted(set(columns) - set(done))
                        raise TransferError(f"The export lacks table(s) {', '.join(missing)} (the file was altered).")
                    if value.get("tables") != done or value.get("sha256") != overall.hexdigest():
                        raise TransferError("The file's checksum does not match its content (the file was altered).")
                    extra = stream.read(1)
                    if extra.strip():
                        raise TransferError("There is data after the export's last line (the file was altered).")
                    return
                else:
                    raise TransferError(f"Line {number} is not part of the format (the file was altered).")
    except (EOFError, gzip.BadGzipFile, OSError, zlib.error) as exc:
        raise TransferError(f"The file cannot be read to its end ({exc}): it was cut short or is damaged."
                            ) from None
    if header is None:
        raise TransferError(f"{path.name} is empty.")
    raise TransferError(f"The file ends after line {number}, before its last line: it was cut short.")


def check_file(path: Path) -> tuple[dict[str, Any], list[TableSummary]]:
    """Read the whole file and check it; returns its header and the summary of its tables."""
    header: dict[str, Any] = {}
    summaries = []
    for item in _items(Path(path)):
        if item.kind == "header":
            header = item.value
        elif item.kind == "end":
            summaries.append(item.value)
    return header, summaries


# ---------------------------------------------------------------------------------------------
# Import


async def _empty_tables(conn: _Connection, schema: dict[str, list[tuple[str, str]]], sqlite: bool) -> None:
    """Delete every row of the carried tables, the append-only audit log too (its guards are
    lifted for this and restored in the same transaction)."""
    triggers: list[str] = []
    if AUDIT_TABLE in schema:
        if sqlite:
            rows = await conn.fetch("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                                    f" AND tbl_name = '{AUDIT_TABLE}'")
            for r in rows:
                await conn.execute(f"DROP TRIGGER {_quote(r['name'])}")
            triggers = [r["sql"] for r in rows]
        else:
            await conn.execute(f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER USER")
    for table in reversed(list(schema)):
        await conn.execute(f"DELETE FROM {_quote(table)}")
    if AUDIT_TABLE in schema:
        if sqlite:
            for sql in triggers:
                await conn.execute(sql)
        else:
            await conn.execute(f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER USER")


async def import_all(path: Path, replace: bool = False, progress: Progress | None = None,
                     reindex: bool = True) -> list[TableSummary]:
    """Load an export into this database in one transaction; returns the summary of what was
    written. Raises TransferError (nothing written) when the file or the database is not fit."""
    import asyncio

    path = Path(path)
    header, _ = await asyncio.to_thread(check_file, path)
    file_columns = {t["name"]: [tuple(c) for c in t["columns"]] for t in header["tables"]}
    file_rows = {t["name"]: int(t.get("rows", 0)) for t in header["tables"]}
    summaries: list[TableSummary] = []
    async with write_transaction():
        conn = _Connection()
        sqlite = conn.sqlite
        here = await _migrations(conn)
        if here != header["migrations"]:
            missing = sorted(set(header["migrations"]) - set(here))
            newer = sorted(set(here) - set(header["migrations"]))
            parts = []
            if missing:
                parts.append(f"the export has migration(s) this database lacks: {', '.join(missing)}")
            if newer:
                parts.append(f"this database has migration(s) the export lacks: {', '.join(newer)}")
            raise TransferError("The export was made by another version of the service (" + "; ".join(parts)
                                + "). Import it with the same version, then upgrade.")
        schema = await _schema(conn)
        if set(schema) != set(file_columns):
            raise TransferError("The export's tables differ from this database's: "
                                + ", ".join(sorted(set(schema) ^ set(file_columns))))
        for table, cols in file_columns.items():
            if sorted(cols) != sorted(schema[table]):
                raise TransferError(f"The columns of {table} differ between the export and this database.")
        busy = [t for t in schema if t not in SEEDED and await _count(conn, t)]
        if busy and not replace:
            raise TransferError("The database is not empty (rows in " + ", ".join(busy[:6])
                                + (", …" if len(busy) > 6 else "") + "). Import into a new database, or ask "
                                "for its content to be replaced (--replace) to delete everything in it first.")
        await _empty_tables(conn, schema, sqlite)
        table: str | None = None
        names: list[str] = []
        kinds: list[str] = []
        batch: list[tuple] = []
        count = 0
        items = iter(_items(path))
        while True:
            chunk = await asyncio.to_thread(_take, items, BATCH)
            if not chunk:
                break
            for item in chunk:
                if item.kind == "table":
                    table, count, batch = item.value, 0, []
                    names = [c for c, _ in file_columns[table]]
                    kinds = [k for _, k in file_columns[table]]
                elif item.kind == "row":
                    try:
                        batch.append(tuple(from_portable(k, v) for k, v in zip(kinds, item.value)))
                    except (ValueError, TypeError) as exc:
                        raise TransferError(f"Line {item.line}: a value of {table} is not of its column's "
                                            f"kind ({exc}).") from None
                elif item.kind == "end":
                    summaries.append(item.value)
                if batch and (len(batch) >= BATCH or item.kind == "end"):
                    await _insert(conn, table, names, batch, item.line)
                    count += len(batch)
                    batch = []
                    if progress:
                        progress(table, count, file_rows[table])
                elif item.kind == "end" and progress:
                    progress(table, count, file_rows[table])
        if not sqlite:
            for table, cols in schema.items():
                if ("id", "int") in cols:
                    await conn.execute(
                        f"SELECT setval(s, COALESCE((SELECT MAX(id) FROM {_quote(table)}), 1),"
                        f" (SELECT MAX(id) FROM {_quote(table)}) IS NOT NULL)"
                        f" FROM pg_get_serial_sequence('{_quote(table)}', 'id') AS s WHERE s IS NOT NULL")
    if reindex:
        from catalogue.search.index import reindex as rebuild

        await rebuild()
    return summaries


def _take(items: Iterator[_Item], size: int) -> list[_Item]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            break
    return chunk


async def _insert(conn: _Connection, table: str, names: list[str], batch: list[tuple], line: int) -> None:
    try:
        await conn.insert(table, names, batch)
    except Exception as exc:  # a constraint of the target refused a row: say which table
        raise TransferError(f"Table {table} (rows before line {line}) could not be written: "
                            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}.") from None
