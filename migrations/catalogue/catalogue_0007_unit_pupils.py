"""Units get an optional number of pupils or children (the annual report's cost per pupil)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T14:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "pupil count of units"


async def _apply() -> None:
    await engine_finder().run_ddl("ALTER TABLE unit ADD COLUMN pupil_count INTEGER")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
