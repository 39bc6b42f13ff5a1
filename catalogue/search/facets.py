"""Facet bitmaps: for every facet value (level 5, subject MAT, status published, …) the set of
resources that have it, as a Python int used as a bitset (bit i = resource id i).

Filters, visibility, totals and facet counts then cost a few AND and popcount operations on
bitsets of N bits, whatever the number of matches, where counting facet rows in SQL cost time in
proportion to the matches (60–110 ms for one request over 10,000 resources, measured).

The bitmaps are a per-process cache of database state, never state of their own: each search
reads ``search_state.generation`` in its transaction and, when it moved, applies the resources
named in ``search_change`` since the cached generation (or rebuilds, after a reindex or when too
far behind). Every worker so answers from what is committed, like a query would."""

from __future__ import annotations

import asyncio
import bisect
import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from catalogue import domain
from catalogue.db import current_engine, is_sqlite
from catalogue.search.analysis import name_key as make_name_key
from catalogue.search.sql import execute, read_small
from catalogue.search import words as index_words
from catalogue.search.words import Words, bits_of
from catalogue.visibility import BANDS

Key = tuple[str, str]  # (facet, value): ("level", "5"), ("kind", "practice_tool"), ("base", "true")
MAX_INCREMENTAL = 2000  # more changed resources than this: rebuild instead
ORDER_STEPS = 64  # stretches of the name order whose resources are kept as bitsets (first_of_few_by_name)


_BITS_OF_BYTE = [tuple(b for b in range(8) if value >> b & 1) for value in range(256)]


_NONZERO = re.compile(rb"[^\x00]")


def ids_of(bits: int) -> list[int]:
    """The ids in a bitset, ascending. A sparse set's bytes are found by the regex engine, so it
    costs its members rather than its length."""
    out: list[int] = []
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    if bits.bit_count() * 16 < len(data):
        for found in _NONZERO.finditer(data):
            index = found.start()
            out.extend([(index << 3) + b for b in _BITS_OF_BYTE[data[index]]])
        return out
    for index, byte in enumerate(data):
        if byte:
            base = index << 3
            out.extend([base + b for b in _BITS_OF_BYTE[byte]])
    return out


@dataclass
class Counting:
    """The facet values of a snapshot (``values``, each facet's together, from ``spans[code][0]``
    to ``spans[code][1]``) and their bitmaps as the rows of ``matrix``, each in ``width`` 64-bit
    words."""

    values: list[str]
    spans: dict[str, tuple[int, int]]
    matrix: Any
    width: int

    def counts(self, bits: int) -> list[int]:
        """How many members of ``bits`` each row has: one AND and one population count per word
        of the matrix in numpy, where a Python loop did an AND of two long integers per value."""
        if bits.bit_length() > self.width * 64:  # members no facet value has: they count nowhere
            bits &= (1 << self.width * 64) - 1
        vector = np.frombuffer(bits.to_bytes(self.width * 8, "little"), dtype=np.uint64)
        return np.bitwise_count(self.matrix & vector).sum(axis=1).tolist()


@dataclass
class Snapshot:
    generation: int
    keys_of: dict[int, tuple[Key, ...]] = field(default_factory=dict)
    name_keys: dict[int, str] = field(default_factory=dict)
    bitmaps: dict[Key, int] = field(default_factory=dict)
    _order: list[int] | None = None
    _rank: list[int] | None = None
    _prefixes: list[int] | None = None
    # answers computed from exactly this generation (catalogue.search.listing), dropped with it
    results: OrderedDict[Any, bytes] = field(default_factory=OrderedDict)
    # each resource's row of a result page as the API's JSON, with its status and units (catalogue.search.listing):
    # read at this generation or later, carried to the next generation but for the resources it changed
    summaries: OrderedDict[int, tuple[str, tuple[str, ...], bytes]] = field(default_factory=OrderedDict)
    # the search_vocab rows of each key looked up at this generation (the table only grows between
    # rebuilds, so a key's rows stay true until the generation moves)
    vocabulary: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    # the query texts analysed at this generation, with the vocabulary's alternatives (a
    # catalogue.search.analysis.Query as MessagePack)
    queries: dict[str, bytes] = field(default_factory=dict)
    _bands: dict[str, int] | None = None
    _counting: "Counting | None" = None
    # the index's words (catalogue.search.words), of the same generation
    words: Words = field(default_factory=lambda: Words.of({}))

    def union(self, keys: Iterable[Key]) -> int:
        bits = 0
        for key in keys:
            bits |= self.bitmaps.get(key, 0)
        return bits

    def band(self, band: str) -> int:
        """The resources of any level of a band (5-7: levels 5, 6 and 7)."""
        if self._bands is None:
            self._bands = {name: self.union(("level", level) for level in levels) for name, levels in BANDS.items()}
        return self._bands.get(band, 0)

    def counting(self) -> "Counting":
        """Every facet value's bitmap (and each band's) as a row of one matrix, to count them all
        against a set at once (once per snapshot)."""
        if self._counting is None:
            by_code: dict[str, list[tuple[str, int]]] = {}
            for (code, value), bits in self.bitmaps.items():
                by_code.setdefault(code, []).append((value, bits))
            rows = [(code, value, bits) for code in COUNTED for value, bits in by_code.get(code, ())]
            rows += [("band", band, self.band(band)) for band in BANDS]
            width = max((bits.bit_length() for _, _, bits in rows), default=0) // 64 + 1  # 64-bit words
            matrix = np.frombuffer(b"".join(bits.to_bytes(width * 8, "little") for _, _, bits in rows),
                                   dtype=np.uint64).reshape(len(rows), width)
            spans: dict[str, tuple[int, int]] = {}
            for index, (code, _, _) in enumerate(rows):
                start, _ = spans.get(code, (index, index))
                spans[code] = (start, index + 1)
            self._counting = Counting([value for _, value, _ in rows], spans, matrix, width)
        return self._counting

    def order(self) -> list[int]:
        """Every resource in name order (Norwegian, then id)."""
        if self._order is None:
            self._order = sorted(self.name_keys, key=lambda i: (self.name_keys[i], i))
        return self._order

    def rank(self) -> list[int]:
        """Position of each resource in name order, by id (ids no resource has: after every position)."""
        if self._rank is None:
            order = self.order()
            rank = [len(order)] * (max(order, default=0) + 1)
            for position, resource_id in enumerate(order):
                rank[resource_id] = position
            self._rank = rank
        return self._rank

    def first_of_few_by_name(self, bits: int, count: int) -> list[int]:
        """As first_by_name, for a set too sparse to walk the name order for: the first stretch of
        the order holding ``count`` of its members is found with a few AND operations (on the
        bitsets of the resources in each stretch from the start, ORDER_STEPS of them), and only
        the members in it are sorted by position."""
        prefixes = self._prefixes
        order = self.order()
        if prefixes is None:
            step = max(1, -(-len(order) // ORDER_STEPS))
            buffer = bytearray(max(order, default=0) // 8 + 1)
            prefixes = []
            for position, resource_id in enumerate(order, 1):
                buffer[resource_id >> 3] |= 1 << (resource_id & 7)
                if position % step == 0 or position == len(order):
                    prefixes.append(int.from_bytes(buffer, "little"))
            self._prefixes = prefixes
        low, high = 0, len(prefixes) - 1
        while low < high:  # the shortest stretch from the start with ``count`` members
            middle = (low + high) // 2
            if (bits & prefixes[middle]).bit_count() >= count:
                high = middle
            else:
                low = middle + 1
        inside = bits & prefixes[low] if prefixes else 0
        rank = self.rank()
        return [order[position] for position in sorted(map(rank.__getitem__, ids_of(inside)))[:count]]

    def first_by_name(self, bits: int, count: int, descending: bool = False) -> list[int]:
        """The first ``count`` resources of ``bits`` in name order: walks the order, testing bits in
        a byte string (testing a bit of a large int directly costs its whole length)."""
        data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
        size = len(data) * 8
        out: list[int] = []
        for i in reversed(self.order()) if descending else self.order():
            if i < size and data[i >> 3] >> (i & 7) & 1:
                out.append(i)
                if len(out) == count:
                    break
        return out

    def apply(self, rows: dict[int, tuple[tuple[Key, ...], str]], removed: Iterable[int],
              order: list[int] | None = None) -> None:
        """Replace what is known of some resources (``rows``: id → (keys, name key)) and forget
        ``removed``. ``order``: the name order before the change, brought up to date here (sorting
        every resource again cost 11 ms at 10,000 on every change)."""
        changed = [*rows, *removed]
        if order is not None:
            order = list(order)
            for resource_id in changed:
                if resource_id in self.name_keys:
                    order.remove(resource_id)
        for resource_id in changed:
            old = self.keys_of.pop(resource_id, ())
            self.name_keys.pop(resource_id, None)
            mask = ~(1 << resource_id)
            for key in old:
                self.bitmaps[key] &= mask
        for resource_id, (keys, name_key) in rows.items():
            self.keys_of[resource_id] = keys
            self.name_keys[resource_id] = name_key
            bit = 1 << resource_id
            for key in keys:
                self.bitmaps[key] = self.bitmaps.get(key, 0) | bit
        if order is not None:
            for resource_id in rows:
                bisect.insort(order, resource_id, key=lambda i: (self.name_keys[i], i))
        self._order = order
        self._rank = self._prefixes = self._bands = self._counting = None


_CHUNK = 10_000  # resources read per statement when building from scratch


async def _load(ids: list[int] | None = None, after: int = 0, shared: dict[Key, Key] | None = None,
                ) -> dict[int, tuple[tuple[Key, ...], str]]:
    """Facet keys and name sort key of the resources ``ids``, or of the next _CHUNK resources
    after id ``after``. Facet values come aggregated, one string per resource, which keeps
    memory small when every resource is read, and in their stored order (a page of the search
    shows them from here)."""
    shared = {} if shared is None else shared  # one tuple per facet value, however many have it

    def ordered(where: str) -> str:
        if is_sqlite(current_engine()):  # group_concat follows the order of its input
            return ("SELECT resource, group_concat(f, '|') AS f FROM (SELECT resource, facet || ' ' || value AS f"
                    f" FROM resource_facet WHERE {where} ORDER BY resource, facet, position, value) GROUP BY resource")
        return ("SELECT resource, string_agg(facet || ' ' || value, '|' ORDER BY facet, position, value) AS f"
                f" FROM resource_facet WHERE {where} GROUP BY resource")

    if ids is not None:
        marks = ", ".join("{}" for _ in ids)
        rows = await execute("SELECT r.id, r.kind, r.status, r.in_base_package, r.competence_aims, r.name, s.name_key FROM resource r"
                             f" LEFT JOIN resource_search s ON s.resource = r.id WHERE r.id IN ({marks})", *ids)
        facet_rows = await execute(ordered(f"resource IN ({marks})"), *ids)
    else:
        rows = await execute("SELECT r.id, r.kind, r.status, r.in_base_package, r.competence_aims, r.name, s.name_key FROM resource r"
                             " LEFT JOIN resource_search s ON s.resource = r.id WHERE r.id > {}"
                             " ORDER BY r.id LIMIT {}", after, _CHUNK)
        if not rows:
            return {}
        facet_rows = await execute(ordered("resource > {} AND resource <= {}"), after, rows[-1]["id"])
    values = {r["resource"]: r["f"] for r in facet_rows}
    out = {}
    for r in rows:
        own = [tuple(pair.split(" ", 1)) for pair in values[r["id"]].split("|")] if values.get(r["id"]) else []
        own += [("kind", r["kind"]), ("status", r["status"]), ("base", "true" if r["in_base_package"] else "false")]
        own += [("aim", code) for code in _aim_codes(r["competence_aims"])]
        out[r["id"]] = (tuple(shared.setdefault(key, key) for key in own),
                        r["name_key"] if r["name_key"] is not None else make_name_key(r["name"]))
    return out


def _aim_codes(value: Any) -> list[str]:
    """The competence aims of a resource (a filter, not a counted facet)."""
    if not value or value == "[]":
        return []
    return [str(v) for v in (json.loads(value) if isinstance(value, str) else value)]


async def _build(generation: int) -> Snapshot:
    """Every resource's keys, read in chunks, with bitmaps set in byte arrays as they come."""
    snapshot = Snapshot(generation=generation)
    top = (await execute("SELECT MAX(id) AS n FROM resource"))[0]["n"] or 0
    arrays: dict[Key, bytearray] = {}
    shared: dict[Key, Key] = {}
    after = 0
    while True:
        rows = await _load(after=after, shared=shared)
        if not rows:
            break
        for resource_id, (keys, name_key) in rows.items():
            snapshot.keys_of[resource_id] = keys
            snapshot.name_keys[resource_id] = name_key
            byte, bit = resource_id >> 3, 1 << (resource_id & 7)
            for key in keys:
                array = arrays.get(key)
                if array is None:
                    array = arrays[key] = bytearray(top // 8 + 1)
                array[byte] |= bit
        after = max(rows)
    snapshot.bitmaps = {key: int.from_bytes(array, "little") for key, array in arrays.items()}
    snapshot.words = await index_words.load_all()
    return snapshot


# engine id → (engine, its latest snapshot); engines cannot be weakly referenced, so the few most
# recently used are kept (a process normally has one)
_snapshots: dict[int, tuple[Any, Snapshot]] = {}
ANSWERS_ONLY = -1  # search_change.resource of a change that moves no resource (catalogue.search.synonyms)
_locks: dict[tuple[int, int], asyncio.Lock] = {}


def _cached(engine: Any) -> Snapshot | None:
    entry = _snapshots.get(id(engine))
    return entry[1] if entry is not None and entry[0] is engine else None


def _keep(engine: Any, snapshot: Snapshot) -> None:
    _snapshots.pop(id(engine), None)
    _snapshots[id(engine)] = (engine, snapshot)
    while len(_snapshots) > 4:
        _snapshots.pop(next(iter(_snapshots)))
    while len(_locks) > 16:
        _locks.pop(next(iter(_locks)))


async def current_and_generation() -> tuple[Snapshot, int]:
    """The bitmaps as of the caller's transaction (call it inside the search's read transaction),
    and the generation that transaction sees (older than the bitmaps' own when another request has
    applied a newer change since it began)."""
    snapshot, generation, _ = await current_state()
    return snapshot, generation


async def current_state() -> tuple[Snapshot, int, int]:
    """As current_and_generation, and the generation at which the search's synonyms last changed
    (catalogue.search.synonyms), read in the same statement."""
    engine = current_engine()
    rows = await read_small("SELECT generation, synonyms_generation FROM search_state WHERE id = 1")
    generation, synonyms_generation = int(rows[0]["generation"]), int(rows[0]["synonyms_generation"])
    return (await _refreshed(engine, generation)), generation, synonyms_generation


async def _refreshed(engine: Any, generation: int) -> Snapshot:
    snapshot = _cached(engine)
    if snapshot is not None and snapshot.generation >= generation:
        return snapshot
    # one refresh at a time per engine and event loop; the others wait and reuse it
    lock = _locks.setdefault((id(engine), id(asyncio.get_running_loop())), asyncio.Lock())
    async with lock:
        snapshot = _cached(engine)
        if snapshot is not None and snapshot.generation >= generation:
            # (newer: this transaction began before a change another request has applied since;
            # the bitmaps differ from its view only in those resources, and rebuilding an older
            # state would cost far more than that difference is worth)
            return snapshot
        changes = [] if snapshot is None else await execute(
            "SELECT generation, resource FROM search_change WHERE generation > {} AND generation <= {}"
            " ORDER BY generation", snapshot.generation, generation)
        # a change of the synonyms names no resource (ANSWERS_ONLY): only the kept answers go
        changed = list(dict.fromkeys(int(c["resource"]) for c in changes if int(c["resource"]) != ANSWERS_ONLY))
        contiguous = bool(changes) and int(changes[0]["generation"]) == snapshot.generation + 1
        if snapshot is None or not contiguous or 0 in changed or len(changed) > MAX_INCREMENTAL:
            snapshot = await _build(generation)
        else:
            rows = await _load(changed) if changed else {}
            # a copy, so requests still reading the older snapshot are not disturbed
            previous = snapshot
            snapshot = Snapshot(generation, dict(snapshot.keys_of), dict(snapshot.name_keys), dict(snapshot.bitmaps))
            snapshot.apply(rows, [i for i in changed if i not in rows], previous._order)
            snapshot.words = previous.words.changed(await index_words.load(changed)) if changed else previous.words
            gone = set(changed)
            snapshot.summaries = OrderedDict((i, s) for i, s in previous.summaries.items() if i not in gone)
        _keep(engine, snapshot)
        return snapshot


FACET_CODES = {"level": "level", "subject": "subject", "kindergarten_area": "area", "platform": "platform",
               "login": "login", "language": "language", "unit": "unit", "kind": "kind", "status": "status",
               "in_base_package": "base"}
ALL_STATUSES = tuple(domain.RESOURCE_STATUSES)
COUNTED = tuple(dict.fromkeys(FACET_CODES.values()))  # the facet codes whose values are counted
