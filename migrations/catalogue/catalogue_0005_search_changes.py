"""The search index's change counter: every index write bumps ``search_state.generation`` and
records the resources it changed in ``search_change``, in the writer's transaction, so each
worker can bring its facet bitmaps (catalogue.search.facets) up to date from the database."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T01:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search change counter"

STATEMENTS = [
    "CREATE TABLE search_state (id INTEGER PRIMARY KEY, generation BIGINT NOT NULL)",
    "INSERT INTO search_state (id, generation) VALUES (1, 1)",
    "CREATE TABLE search_change (generation BIGINT NOT NULL, resource INTEGER NOT NULL)",
    "CREATE INDEX ix_search_change_generation ON search_change (generation)",
    # resource 0: everything changed (a reindex); readers rebuild from scratch
    "INSERT INTO search_change (generation, resource) VALUES (1, 0)",
]


async def _apply() -> None:
    engine = engine_finder()
    for statement in STATEMENTS:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
