"""The search index: one document per resource, recomputed from the tables on every write.

Each document has four fields (name, meta, taxonomy, body) of lexemes from
catalogue.search.analysis. SQLite keeps them in the FTS5 table ``resource_fts``; PostgreSQL in
``resource_search.document``, a tsvector whose weights A, B, C and D are the fields. ``resource_search`` also holds the Norwegian
sort key of the name, and ``search_vocab`` the words of names for typo tolerance.

Every resource is indexed, whatever its status: visibility is decided when searching (from the
facet bitmaps, themselves read from the resource table, and checked again on the rows of the
page). Every index write also bumps the change counter (record_change) that tells each worker's
bitmaps what to refresh."""

from __future__ import annotations

import contextlib
import dataclasses
import contextvars
import importlib
import json
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable

from catalogue import domain
from catalogue.db import current_engine, is_sqlite, write_transaction
from catalogue.search import analysis
from catalogue.search.sql import execute

# The tables migrations catalogue_0004_search and catalogue_0005_search_changes make (FTS5 keeps its index in shadow tables).
INDEX_TABLES = {
    "sqlite": frozenset({"resource_search", "search_vocab", "search_state", "search_change", "resource_fts",
                         "resource_fts_data", "resource_fts_idx", "resource_fts_content", "resource_fts_docsize",
                         "resource_fts_config"}),
    "postgresql": frozenset({"resource_search", "search_vocab", "search_state", "search_change"}),
}
PG_MAX_POSITION = 16383

# Words that other parts of the service add to a resource's document. Each module named here defines
# ``async def search_text(ids: list[int]) -> dict[int, dict[str, list[str]]]``: for each resource id, texts
# for the fields "meta" (weighted as vendor and tags) and "body" (weighted as the description). A module
# that owns such text re-indexes the resources whose text it changes (index_resources).
TEXT_SOURCE_MODULES: tuple[str, ...] = (
    "catalogue.tips",
    "catalogue.curriculum.aims",
)
TextSource = Callable[[list[int]], Awaitable[dict[int, dict[str, list[str]]]]]


def _text_sources() -> list[TextSource]:
    return [importlib.import_module(name).search_text for name in TEXT_SOURCE_MODULES]
_CHUNK = 200  # resources per batch of reads and writes


@dataclass
class Document:
    resource_id: int
    name_key: str
    name: list[str]  # the resource's name
    meta: list[str]  # vendor, kind, tags, competence aims
    taxonomy: list[str]  # subjects, levels and their bands, kindergarten areas, platforms, logins
    body: list[str]  # description, languages
    vocabulary: list[tuple[str, str]]  # (word of the name, its lexeme)
    # (word of any field, its lexeme): ASCII spellings, typos and compounds of query words
    words: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def fields(self) -> tuple[list[str], list[str], list[str], list[str]]:
        return self.name, self.meta, self.taxonomy, self.body


def build_document(row: dict, facets: dict[str, list[str]], labels: dict[tuple[str, str], str],
                   extra: dict[str, list[str]] | None = None) -> Document:
    """The document of one resource from its row, its facet values and the taxonomy:
    ``labels[("subject"|"area", code)]`` is a name, ``labels[("band", level)]`` a level's band;
    ``extra`` holds the texts of the text sources by field."""
    extra = extra or {}
    meta = [row.get("vendor_name") or "", domain.RESOURCE_KINDS.get(row["kind"], "")]
    meta.extend(_json_list(row["tags"]))
    meta.extend(_json_list(row["competence_aims"]))
    taxonomy: list[str] = []
    bands = set()
    for level in facets.get("level", []):
        taxonomy.append("barnehage" if level == "barnehage" else f"{level}. trinn")
        if ("band", level) in labels:
            bands.add(labels[("band", level)])
    taxonomy.extend(analysis.BAND_WORDS.get(b, "") for b in sorted(bands))
    for code in facets.get("subject", []):
        taxonomy.append(labels.get(("subject", code), ""))
        taxonomy.append(analysis.SUBJECT_ALIASES.get(code, ""))
    taxonomy.extend(labels.get(("area", code), "") for code in facets.get("area", []))
    taxonomy.extend(domain.PLATFORMS.get(p, "") for p in facets.get("platform", []))
    taxonomy.extend(domain.LOGINS.get(p, "") for p in facets.get("login", []))
    meta.extend(extra.get("meta", ()))
    body = [row["description"] or ""]
    body.extend(domain.LANGUAGES.get(lang, "") for lang in facets.get("language", []))
    body.extend(extra.get("body", ()))

    seen: dict[str, None] = {}

    def analysed(parts: list[str]) -> list[str]:
        found = analysis.words(" \n ".join(parts))
        seen.update(dict.fromkeys(w for w in found if analysis.vocabulary_word(w)))
        return analysis.with_reversed(dict.fromkeys(analysis.stem(w) for w in found))

    return Document(
        resource_id=row["id"],
        name_key=analysis.name_key(row["name"]),
        name=analysed([row["name"]]),
        meta=analysed(meta),
        taxonomy=analysed(taxonomy),
        body=analysed(body),
        vocabulary=[(w, analysis.stem(w)) for w in analysis.name_words(row["name"])],
        words=[(w, analysis.stem(w)) for w in seen],
    )


def _json_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(v) for v in json.loads(value)]


def tsvector_literal(document: Document) -> str:
    """The document as PostgreSQL tsvector input: every lexeme with a position whose weight is
    its field (A name, B meta, C taxonomy, D body). Lexemes hold only letters, digits and ``_``."""
    positions: dict[str, list[str]] = {}
    position = 0
    for weight, lexemes in zip("ABCD", document.fields()):
        for lexeme in lexemes:
            position = min(position + 1, PG_MAX_POSITION)
            positions.setdefault(lexeme, []).append(f"{position}{weight}")
    return " ".join(f"'{_quote(lexeme)}':{','.join(p)}" for lexeme, p in positions.items())


def _quote(lexeme: str) -> str:
    return lexeme.replace("\\", "\\\\").replace("'", "''")


def _placeholders(count: int) -> str:
    return ", ".join("{}" for _ in range(count))


async def _raw(sql: str, *args: Any) -> list[dict]:
    return await execute(sql, *args)


async def _labels() -> dict[tuple[str, str], str]:
    rows = await _raw("SELECT 'subject' AS k, code, name_nb FROM subject"
                      " UNION ALL SELECT 'area' AS k, code, name_nb FROM kindergarten_area"
                      " UNION ALL SELECT 'band' AS k, code, band AS name_nb FROM level")
    return {(r["k"], r["code"]): r["name_nb"] for r in rows}


async def load_documents(ids: list[int]) -> tuple[list[Document], list[int]]:
    """Documents of the resources ``ids`` that exist, and the ids that do not."""
    if not ids:
        return [], []
    marks = _placeholders(len(ids))
    rows = await _raw(
        "SELECT r.id, r.name, r.description, r.kind, r.tags, r.competence_aims, v.name AS vendor_name"
        f" FROM resource r LEFT JOIN vendor v ON v.id = r.vendor WHERE r.id IN ({marks})", *ids)
    facet_rows = await _raw(
        f"SELECT resource, facet, value FROM resource_facet WHERE resource IN ({marks})"
        " ORDER BY resource, facet, position, value", *ids)
    facets: dict[int, dict[str, list[str]]] = {}
    for f in facet_rows:
        facets.setdefault(f["resource"], {}).setdefault(f["facet"], []).append(f["value"])
    labels = await _labels()
    extra: dict[int, dict[str, list[str]]] = {}
    for source in _text_sources():
        for resource_id, fields in (await source(ids)).items():
            for field, texts in fields.items():
                extra.setdefault(resource_id, {}).setdefault(field, []).extend(texts)
    documents = [build_document(row, facets.get(row["id"], {}), labels, extra.get(row["id"])) for row in rows]
    found = {d.resource_id for d in documents}
    return documents, [i for i in ids if i not in found]


async def _write(documents: list[Document], missing: list[int]) -> None:
    sqlite = is_sqlite(current_engine())
    gone = [d.resource_id for d in documents] + missing
    if sqlite and gone:
        await _raw(f"DELETE FROM resource_fts WHERE rowid IN ({_placeholders(len(gone))})", *gone)
    if missing:
        await _raw(f"DELETE FROM resource_search WHERE resource IN ({_placeholders(len(missing))})", *missing)
    if not documents:
        return
    if sqlite:
        args: list[Any] = []
        for d in documents:
            args += [d.resource_id, *(" ".join(f) for f in d.fields())]
        await _raw("INSERT INTO resource_fts (rowid, name, meta, taxonomy, body) VALUES "
                   + ", ".join("({}, {}, {}, {}, {})" for _ in documents), *args)
        args = []
        for d in documents:
            args += [d.resource_id, d.name_key]
        await _raw("INSERT INTO resource_search (resource, name_key) VALUES "
                   + ", ".join("({}, {})" for _ in documents)
                   + " ON CONFLICT (resource) DO UPDATE SET name_key = excluded.name_key", *args)
    else:
        args = []
        for d in documents:
            args += [d.resource_id, d.name_key, tsvector_literal(d)]
        await _raw("INSERT INTO resource_search (resource, name_key, document) VALUES "
                   + ", ".join("({}, {}, {}::tsvector)" for _ in documents)
                   + " ON CONFLICT (resource) DO UPDATE SET name_key = EXCLUDED.name_key,"
                   " document = EXCLUDED.document", *args)
    vocabulary = sorted({(key, word, lexeme) for d in documents for word, lexeme in d.vocabulary
                         for key in analysis.deletion_keys(word)}
                        | {(key, word, lexeme) for word, lexeme in {p for d in documents for p in d.words}
                           for key in analysis.vocabulary_keys(word)})
    for start in range(0, len(vocabulary), 1000):
        chunk = vocabulary[start:start + 1000]
        await _raw("INSERT INTO search_vocab (key, word, lexeme) VALUES "
                   + ", ".join("({}, {}, {})" for _ in chunk) + " ON CONFLICT DO NOTHING",
                   *[value for row in chunk for value in row])


# While a bulk import runs, index_resource only notes the ids; the import indexes them together,
# still inside its transaction (see deferred_indexing).
_deferred: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("search_deferred", default=None)


async def index_resources(ids: Iterable[int]) -> None:
    """Recompute the index entries of ``ids`` from the tables (removing those of resources that no
    longer exist). Runs in the caller's transaction when there is one, else in its own."""
    ids = list(dict.fromkeys(int(i) for i in ids))
    deferred = _deferred.get()
    if deferred is not None:
        deferred.extend(ids)
        return
    if not ids:
        return
    async with write_transaction():
        for start in range(0, len(ids), _CHUNK):
            await _write(*await load_documents(ids[start:start + _CHUNK]))
        await record_change(ids)
        from catalogue.base_package import track

        await track(ids)  # entries into and exits from the base package, in the same transaction


# Keep this many generations of search_change; a worker further behind rebuilds its bitmaps.
CHANGES_KEPT = 20_000


async def record_change(ids: list[int]) -> None:
    """Bump the index generation and name the resources changed (0: all of them). The UPDATE locks
    the counter row until the transaction ends, so generations commit in order. The audit chain's
    lock is taken first: a change that appends to the audit log and changes the index, in either
    order, then always locks the two in the same order (else two such writers deadlock)."""
    from workflows.audit import lock_chain

    await lock_chain()
    rows = await _raw("UPDATE search_state SET generation = generation + 1 WHERE id = 1 RETURNING generation")
    generation = int(rows[0]["generation"])
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        await _raw("INSERT INTO search_change (generation, resource) VALUES "
                   + ", ".join("({}, {})" for _ in chunk), *[v for i in chunk for v in (generation, i)])
    if generation % 1000 == 0:
        await _raw("DELETE FROM search_change WHERE generation < {}", generation - CHANGES_KEPT)


async def index_resource(resource_id: int) -> None:
    """Recompute the index entry of one resource from the tables; safe inside a caller's
    transaction (and meant to run there, so the index commits or rolls back with the change)."""
    await index_resources([resource_id])


@contextlib.asynccontextmanager
async def deferred_indexing() -> AsyncIterator[None]:
    """Collect index_resource calls made inside the block and index them all at its end, in
    batches. The caller must hold a transaction around the block."""
    ids: list[int] = []
    token = _deferred.set(ids)
    try:
        yield
    finally:
        _deferred.reset(token)
    await index_resources(ids)


async def reindex(batch_size: int = 500, record: bool = True) -> int:
    """Rebuild the whole index (and the typo vocabulary) from the tables; returns the number of
    resources indexed. One transaction, so searches see the old index until it is done.
    ``record=False`` only before migration catalogue_0005 has made the change counter."""
    async with write_transaction():
        sqlite = is_sqlite(current_engine())
        await _raw("DELETE FROM resource_fts" if sqlite else "DELETE FROM resource_search")
        if sqlite:
            await _raw("DELETE FROM resource_search")
        await _raw("DELETE FROM search_vocab")
        last, count = 0, 0
        while True:
            rows = await _raw("SELECT id FROM resource WHERE id > {} ORDER BY id LIMIT {}", last, batch_size)
            if not rows:
                break
            ids = [r["id"] for r in rows]
            for start in range(0, len(ids), _CHUNK):
                await _write(*await load_documents(ids[start:start + _CHUNK]))
            count += len(ids)
            last = ids[-1]
        if sqlite:
            await _raw("INSERT INTO resource_fts (resource_fts) VALUES ('optimize')")
        if record:
            await _raw("DELETE FROM search_change")
            await record_change([0])
    await refresh_statistics()
    return count


async def refresh_statistics() -> None:
    """Let the query planner see the tables as they now are: after a large import, PostgreSQL's
    estimates are those of the empty tables until autovacuum comes round (measured: facet reads
    three times slower in between)."""
    if is_sqlite(current_engine()):
        await _raw("PRAGMA optimize")
    else:
        await _raw("ANALYZE resource, resource_facet, resource_search, search_vocab, vendor")
