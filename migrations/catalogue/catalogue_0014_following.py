"""Following what is new: the subjects, levels and units a person follows, each resource's last
known standing in the base package, the changes to the base package (the public feed and the
notifications read them), and each person's visits of the search page ("Nytt siden sist")."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "followed topics, base package changes, search visits"


def _statements(sqlite: bool) -> list[str]:
    key = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "SERIAL PRIMARY KEY"
    stamp = "TIMESTAMPTZ" if sqlite else "TIMESTAMP WITH TIME ZONE"
    true = "1" if sqlite else "TRUE"
    return [
        f'CREATE TABLE follow_topic (id {key},'
        ' "user" INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,'
        " kind VARCHAR(8) NOT NULL CHECK (kind IN ('subject', 'level', 'unit')),"
        f" code VARCHAR(64) NOT NULL, created_at {stamp} NOT NULL)",
        'CREATE UNIQUE INDEX ux_follow_topic ON follow_topic ("user", kind, code)',
        "CREATE INDEX ix_follow_topic_code ON follow_topic (kind, code)",
        "CREATE TABLE base_package_state (resource INTEGER PRIMARY KEY REFERENCES resource (id) ON DELETE CASCADE,"
        " in_package BOOLEAN NOT NULL, status VARCHAR(16) NOT NULL)",
        f"CREATE TABLE base_package_change (id {key},"
        " resource INTEGER NOT NULL REFERENCES resource (id) ON DELETE CASCADE,"
        " change VARCHAR(8) NOT NULL CHECK (change IN ('entered', 'left')),"
        f" reason VARCHAR(16) NOT NULL, name VARCHAR(200) NOT NULL, occurred_at {stamp} NOT NULL)",
        "CREATE INDEX ix_base_package_change_resource ON base_package_change (resource)",
        'CREATE TABLE search_visit ("user" INTEGER PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,'
        f" seen_change INTEGER NOT NULL, latest_change INTEGER NOT NULL, last_request_at {stamp} NOT NULL)",
        # what each resource is now, so the first change after this migration is told as a change
        "INSERT INTO base_package_state (resource, in_package, status) SELECT id,"
        f" CASE WHEN status = 'published' AND in_base_package = {true} THEN {true} ELSE {'0' if sqlite else 'FALSE'} END,"
        " status FROM resource",
    ]


async def _apply() -> None:
    engine = engine_finder()
    for statement in _statements(engine.engine_type == "sqlite"):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
