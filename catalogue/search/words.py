"""The search index's words in memory: for each field of the documents (name, meta, taxonomy,
body) and each lexeme, the set of resources whose document has it.

The documents themselves stay in the database (catalogue.search.index: FTS5's stored columns on
SQLite, a weighted tsvector on PostgreSQL) and are the source of truth. Each worker reads them once
into a Words object kept with its facet bitmaps (catalogue.search.facets), and, when the index
generation moves, reads again only the documents of the resources changed since. A word's
resources then cost a dictionary look-up (and, for a prefix, a walk over the sorted lexemes that
start with it) and a few OR operations on bitsets, the same on both engines, where asking the
engine cost a full-text scan per expression: on PostgreSQL each weighted expression rechecked
thousands of tsvectors (4–8 ms of the database's CPU each, up to a dozen per new query).

A lexeme's resources are a Python int used as a bitset (bit i = resource id i) when many have it,
a sorted array of ids when few do, and the one id negated when only one does: most lexemes (names,
descriptions) belong to one or two resources, and a bitset costs an eighth of a byte for every
resource id below its highest."""

from __future__ import annotations

import bisect
import sys
from array import array
from typing import Iterable

from catalogue.db import current_engine, is_sqlite
from catalogue.search.sql import execute

FIELDS = ("name", "meta", "taxonomy", "body")
FIELD_INDEX = {name: index for index, name in enumerate(FIELDS)}
ALL_FIELDS = (0, 1, 2, 3)
# A lexeme's resources are kept as a bitset once there are more of them than this, or than one in
# 64 of the resource ids (a sorted array of ids costs 4 bytes each, a bitset an eighth of a byte per id)
SPARSE = 48
_CHUNK = 1_000  # documents read per statement when reading them all (between them requests are served)

# An expression: clauses of (fields, ((lexeme, is_prefix), ...)); its resources are those with any
# of the lexemes (or, for a prefix, a lexeme starting with it) in any of the clause's fields.
Clause = tuple[tuple[int, ...], tuple[tuple[str, bool], ...]]
Expression = tuple[Clause, ...]
Document = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def bits_of(ids: Iterable[int]) -> int:
    """The bitset of ``ids``."""
    ids = list(ids)
    if not ids:
        return 0
    buffer = bytearray(max(ids) // 8 + 1)
    for i in ids:
        buffer[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buffer, "little")


class _Lexemes:
    """Every lexeme seen, numbered: a document is kept as an array of numbers (4 bytes per lexeme
    instead of a reference and a tuple's share). Only ever added to, so every Words shares one."""

    __slots__ = ("numbers", "names")

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.names: list[str] = []

    def number(self, lexeme: str) -> int:
        number = self.numbers.get(lexeme)
        if number is None:
            number = self.numbers[lexeme] = len(self.names)
            self.names.append(lexeme)
        return number


def _encoded(document: Document, table: _Lexemes) -> bytes:
    return array("I", [table.number(lexeme) << 2 | field for field, lexemes in enumerate(document)
                       for lexeme in lexemes]).tobytes()


def _one(resource_id: int) -> int:
    """The resources of a lexeme only one resource has: its id, negated (a bitset is never negative;
    an array of one id would cost three times the memory, and most lexemes are such)."""
    return -1 - resource_id


def _ids(value: int | array) -> Iterable[int]:
    return (-1 - value,) if isinstance(value, int) else value


class _Builder:
    """Words made from documents given one at a time (so that their strings need not all be held)."""

    def __init__(self) -> None:
        self.table = _Lexemes()
        self.collected: tuple[dict[str, int | array], ...] = ({}, {}, {}, {})
        self.documents: dict[int, bytes] = {}

    def add(self, resource_id: int, document: Document) -> None:
        """Add a document (resources in ascending order of id)."""
        for field, lexemes in enumerate(document):
            postings = self.collected[field]
            for lexeme in lexemes:
                ids = postings.get(lexeme)
                if ids is None:
                    postings[lexeme] = _one(resource_id)  # most lexemes stay so
                elif isinstance(ids, int):
                    postings[lexeme] = array("I", (-1 - ids, resource_id))
                else:
                    ids.append(resource_id)
        self.documents[resource_id] = _encoded(document, self.table)

    def words(self) -> "Words":
        dense_from = max(SPARSE, max(self.documents, default=0) // 64)
        for field in self.collected:  # in place, so that the arrays made dense go as they are replaced
            for lexeme, ids in field.items():
                if not isinstance(ids, int) and len(ids) > dense_from:
                    field[lexeme] = bits_of(ids)
        lexemes = sorted({lexeme for field in self.collected for lexeme in field})
        return Words(self.collected, lexemes, self.documents, self.table, dense_from)  # type: ignore[arg-type]


class Words:
    """The lexemes of every document, by field. Never changed once shared: ``changed`` makes a copy."""

    __slots__ = ("postings", "lexemes", "documents", "table", "dense_from")

    def __init__(self, postings: tuple[dict, dict, dict, dict], lexemes: list[str], documents: dict[int, bytes],
                 table: _Lexemes, dense_from: int) -> None:
        # per field: lexeme → bitset (an int ≥ 0), one resource (its id negated, < 0) or a sorted array of ids
        self.postings = postings
        self.lexemes = lexemes  # every lexeme of any field, sorted (prefixes are ranges of it)
        self.documents = documents  # resource id → its lexemes (numbered) with their fields, to take out again
        self.table = table
        self.dense_from = dense_from

    @classmethod
    def of(cls, documents: dict[int, Document]) -> "Words":
        builder = _Builder()
        for resource_id in sorted(documents):
            builder.add(resource_id, documents[resource_id])
        return builder.words()

    def changed(self, documents: dict[int, Document | None]) -> "Words":
        """A copy with the documents of some resources replaced (None: the resource is gone)."""
        postings = tuple(dict(field) for field in self.postings)
        own = dict(self.documents)
        names = self.table.names
        new_lexemes: set[str] = set()
        for resource_id, document in documents.items():
            old = own.pop(resource_id, None)
            if old is not None:
                mask = ~(1 << resource_id)
                codes = array("I")
                codes.frombytes(old)
                for code in codes:
                    field, lexeme = code & 3, names[code >> 2]
                    value = postings[field].get(lexeme)
                    if value is None:
                        continue
                    if isinstance(value, int) and value >= 0:
                        value &= mask
                    else:
                        rest = [i for i in _ids(value) if i != resource_id]
                        value = array("I", rest) if len(rest) > 1 else _one(rest[0]) if rest else 0
                    if value:
                        postings[field][lexeme] = value
                    else:
                        postings[field].pop(lexeme, None)
            if document is None:
                continue
            own[resource_id] = _encoded(document, self.table)
            for field, lexemes in enumerate(document):
                for lexeme in lexemes:
                    value = postings[field].get(lexeme)
                    if value is None:
                        postings[field][lexeme] = _one(resource_id)
                        new_lexemes.add(lexeme)
                    elif isinstance(value, int) and value >= 0:
                        postings[field][lexeme] = value | (1 << resource_id)
                    elif resource_id not in _ids(value):
                        ids = array("I", _ids(value))
                        bisect.insort(ids, resource_id)
                        postings[field][lexeme] = bits_of(ids) if len(ids) > self.dense_from else ids
        lexemes = self.lexemes
        missing = [lexeme for lexeme in new_lexemes if not _holds(lexemes, lexeme)]
        if missing:
            lexemes = sorted([*lexemes, *missing])
        return Words(postings, lexemes, own, self.table, self.dense_from)  # type: ignore[arg-type]

    def by_field(self, pairs: tuple[tuple[str, bool], ...], fields: tuple[int, ...] = ALL_FIELDS) -> list[int]:
        """For each of ``fields``, the resources with any of the (lexeme, is_prefix) ``pairs`` in
        it, as a bitset: the lexemes a prefix stands for are looked up once for every field."""
        found: list[str] = []
        lexemes = self.lexemes
        for lexeme, prefix in pairs:
            if prefix:
                start = index = bisect.bisect_left(lexemes, lexeme)
                while index < len(lexemes) and lexemes[index].startswith(lexeme):
                    index += 1
                found += lexemes[start:index]
            else:
                found.append(lexeme)
        out = []
        for field in fields:
            own = self.postings[field]
            bits = 0
            few: list[int] = []
            for word in found:
                value = own.get(word)
                if value is None:
                    continue
                if not isinstance(value, int):
                    few.extend(value)
                elif value >= 0:
                    bits |= value
                else:
                    few.append(-1 - value)
            out.append(bits | bits_of(few) if few else bits)
        return out

    def matching(self, expression: Expression) -> int:
        """The resources an expression matches, as a bitset."""
        bits = 0
        for fields, pairs in expression:
            for found in self.by_field(pairs, fields):
                bits |= found
        return bits


def _holds(ordered: list[str], lexeme: str) -> bool:
    index = bisect.bisect_left(ordered, lexeme)
    return index < len(ordered) and ordered[index] == lexeme


def _document(row: dict) -> Document:
    """A document's lexemes per field; each lexeme one shared string (a few thousand distinct words
    occur hundreds of thousands of times: 38 of 65 MB at 10,000 resources before they were shared)."""
    return tuple(tuple(dict.fromkeys(map(sys.intern, (row[name] or "").split()))) for name in FIELDS)  # type: ignore[return-value]


def _select(where: str) -> str:
    """The documents' lexemes as four space-separated columns, on either engine."""
    if is_sqlite(current_engine()):
        return f"SELECT rowid AS id, name, meta, taxonomy, body FROM resource_fts WHERE {where.format(id='rowid')}"
    columns = ", ".join(f"array_to_string(tsvector_to_array(ts_filter(document, '{{{weight}}}')), ' ') AS {name}"
                        for weight, name in zip("abcd", FIELDS))
    return f"SELECT resource AS id, {columns} FROM resource_search WHERE {where.format(id='resource')}"


async def load_all() -> Words:
    """Every document, read in chunks."""
    builder = _Builder()
    after = 0
    while True:
        rows = await execute(_select("{id} > {{}}") + " ORDER BY id LIMIT {}", after, _CHUNK)
        if not rows:
            break
        for row in rows:
            builder.add(int(row["id"]), _document(row))
        after = int(rows[-1]["id"])
    return builder.words()


async def load(ids: list[int]) -> dict[int, Document | None]:
    """The documents of ``ids`` (None for a resource that has none)."""
    out: dict[int, Document | None] = dict.fromkeys(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = await execute(_select("{id} IN (" + ", ".join("{{}}" for _ in chunk) + ")"), *chunk)
        for row in rows:
            out[int(row["id"])] = _document(row)
    return out
