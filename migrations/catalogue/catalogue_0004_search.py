"""The search index: SQLite FTS5 on the embedded engine, a tsvector with a GIN index on PostgreSQL,
the Norwegian sort key of names, and the vocabulary of names for typo tolerance. Existing
resources are indexed at once (catalogue.search.index.reindex)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search index"

# The words of names with one letter deleted, for typo tolerance (catalogue.search.analysis).
VOCABULARY = ("CREATE TABLE search_vocab (key TEXT NOT NULL, word TEXT NOT NULL, lexeme TEXT NOT NULL,"
              " PRIMARY KEY (key, word))")

SQLITE = [
    "CREATE TABLE resource_search (resource INTEGER PRIMARY KEY REFERENCES resource (id) ON DELETE CASCADE,"
    " name_key TEXT NOT NULL)",
    "CREATE INDEX ix_resource_search_name_key ON resource_search (name_key)",
    # Lexemes come analysed from Python; the ascii tokenizer only splits them at spaces (every
    # non-ASCII character is a token character) and keeps the "_" of reversed lexemes.
    # detail=column: no phrase queries, which the search does not use, for a smaller index.
    "CREATE VIRTUAL TABLE resource_fts USING fts5 (name, meta, taxonomy, body, tokenize = \"ascii tokenchars '_'\","
    " detail = column)",
    VOCABULARY + " WITHOUT ROWID",
]

POSTGRESQL = [
    # COLLATE "C": names sort byte-wise, as on SQLite, so both engines give the same order.
    "CREATE TABLE resource_search (resource INTEGER PRIMARY KEY REFERENCES resource (id) ON DELETE CASCADE,"
    " name_key TEXT COLLATE \"C\" NOT NULL, document tsvector NOT NULL)",
    "CREATE INDEX ix_resource_search_name_key ON resource_search (name_key)",
    "CREATE INDEX ix_resource_search_document ON resource_search USING GIN (document)",
    VOCABULARY,
]


async def _apply() -> None:
    engine = engine_finder()
    for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRESQL:
        await engine.run_ddl(statement)
    from catalogue.search.index import reindex

    await reindex(record=False)  # the change counter comes in catalogue_0005


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
