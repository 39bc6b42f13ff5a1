"""A consultation may invite by level and subject as well as by unit: the levels and subjects the
sector office chose are kept beside its units (workflows.consultations)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T15:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "consultations invite by levels and subjects"

STATEMENTS = [
    "ALTER TABLE consultation ADD COLUMN levels TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE consultation ADD COLUMN subjects TEXT NOT NULL DEFAULT '[]'",
]


async def _apply() -> None:
    engine = engine_finder()
    for statement in STATEMENTS:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workflows", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
