"""The LK20 competence aims that resources are tagged with, as the curriculum import reads them
from Udir's Grep (catalogue.curriculum)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T11:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "competence aims of the curricula"


def _statements(sqlite: bool) -> list[str]:
    key = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "SERIAL PRIMARY KEY"
    stamp = "TIMESTAMPTZ" if sqlite else "TIMESTAMP WITH TIME ZONE"
    return [
        f"CREATE TABLE competence_aim (id {key},"
        " code VARCHAR(16) NOT NULL UNIQUE,"
        " subject VARCHAR(16) NOT NULL,"
        " curriculum VARCHAR(32) NOT NULL,"
        " trinn VARCHAR(16) NOT NULL,"
        " levels TEXT NOT NULL DEFAULT '[]',"
        " text_nb TEXT NOT NULL DEFAULT '',"
        " text_nn TEXT NOT NULL DEFAULT '',"
        " is_current BOOLEAN NOT NULL DEFAULT true,"
        " replaced_by VARCHAR(16),"
        " sort_order INTEGER NOT NULL DEFAULT 0,"
        f" updated_at {stamp} NOT NULL)",
        "CREATE INDEX ix_competence_aim_subject ON competence_aim (subject, is_current, sort_order)",
        "CREATE INDEX ix_competence_aim_curriculum ON competence_aim (curriculum)",
    ]


async def _apply() -> None:
    engine = engine_finder()
    for statement in _statements(engine.engine_type == "sqlite"):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
