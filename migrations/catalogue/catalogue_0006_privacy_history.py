"""The history of privacy records (catalogue.privacy_docs.history): one row per change of what the
record of processing and the parent pages show about a resource. Existing resources get the
history the audit log and the case events can rebuild (catalogue.privacy_docs.backfill), then
their state as it is now."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "history of privacy records"

COLUMNS = (" resource INTEGER NOT NULL, valid_from TIMESTAMPTZ NOT NULL, recorded_by VARCHAR(200) NOT NULL,"
           " source VARCHAR(40) NOT NULL, digest VARCHAR(64) NOT NULL, snapshot TEXT NOT NULL)")
SQLITE = ["CREATE TABLE privacy_history (id INTEGER PRIMARY KEY AUTOINCREMENT," + COLUMNS]
POSTGRESQL = ["CREATE TABLE privacy_history (id BIGSERIAL PRIMARY KEY," + COLUMNS]
COMMON = [
    "CREATE INDEX ix_privacy_history_resource ON privacy_history (resource, valid_from)",
    "CREATE INDEX ix_privacy_history_valid_from ON privacy_history (valid_from)",
]


async def _apply() -> None:
    engine = engine_finder()
    for statement in (SQLITE if engine.engine_type == "sqlite" else POSTGRESQL) + COMMON:
        await engine.run_ddl(statement)
    from catalogue.privacy_docs.backfill import backfill

    async with engine.transaction():
        await backfill()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
