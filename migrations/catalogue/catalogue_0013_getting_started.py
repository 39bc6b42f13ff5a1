"""Getting started with a resource: the sector office's guide (access, logging in, the first
lesson, the vendor's own guides) and the ICT mentors' notes for their own units (catalogue.guides)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "getting-started guides per resource and unit notes"


def _statements(sqlite: bool) -> list[str]:
    key = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "SERIAL PRIMARY KEY"
    stamp = "TIMESTAMPTZ" if sqlite else "TIMESTAMP WITH TIME ZONE"
    return [
        f"CREATE TABLE resource_guide (id {key},"
        " resource INTEGER NOT NULL UNIQUE REFERENCES resource (id) ON DELETE CASCADE,"
        " access TEXT NOT NULL DEFAULT '', access_html TEXT NOT NULL DEFAULT '',"
        " login TEXT NOT NULL DEFAULT '', login_html TEXT NOT NULL DEFAULT '',"
        " first_lesson TEXT NOT NULL DEFAULT '', first_lesson_html TEXT NOT NULL DEFAULT '',"
        " links TEXT NOT NULL DEFAULT '[]', version INTEGER NOT NULL DEFAULT 1,"
        f" updated_by VARCHAR(200) NOT NULL DEFAULT '', updated_at {stamp} NOT NULL)",
        f"CREATE TABLE resource_unit_note (id {key},"
        " resource INTEGER NOT NULL REFERENCES resource (id) ON DELETE CASCADE,"
        " unit INTEGER NOT NULL REFERENCES unit (id) ON DELETE CASCADE,"
        " body TEXT NOT NULL, body_html TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1,"
        f" updated_by VARCHAR(200) NOT NULL DEFAULT '', updated_at {stamp} NOT NULL)",
        "CREATE UNIQUE INDEX ux_resource_unit_note ON resource_unit_note (resource, unit)",
        "CREATE INDEX ix_resource_unit_note_unit ON resource_unit_note (unit)",
    ]


async def _apply() -> None:
    engine = engine_finder()
    for statement in _statements(engine.engine_type == "sqlite"):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
