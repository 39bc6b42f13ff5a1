"""Staff share experience: tips on resources, the marks of those who found a tip useful, and
reports of tips to the moderators (catalogue.tips)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tips on resources, useful marks, reports"


def _statements(sqlite: bool) -> list[str]:
    key = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "SERIAL PRIMARY KEY"
    stamp = "TIMESTAMPTZ" if sqlite else "TIMESTAMP WITH TIME ZONE"
    return [
        f'CREATE TABLE resource_tip (id {key},'
        ' resource INTEGER NOT NULL REFERENCES resource (id) ON DELETE CASCADE,'
        ' author INTEGER REFERENCES app_user (id) ON DELETE SET NULL,'
        " body TEXT NOT NULL, body_html TEXT NOT NULL, worked TEXT NOT NULL DEFAULT '',"
        " worked_html TEXT NOT NULL DEFAULT '', watch_out TEXT NOT NULL DEFAULT '',"
        " watch_out_html TEXT NOT NULL DEFAULT '', levels TEXT NOT NULL DEFAULT '[]',"
        " subjects TEXT NOT NULL DEFAULT '[]', competence_aims TEXT NOT NULL DEFAULT '[]',"
        " status VARCHAR(16) NOT NULL DEFAULT 'visible' CHECK (status IN ('visible', 'hidden')),"
        f" hidden_reason TEXT, hidden_by VARCHAR(200), hidden_at {stamp},"
        " useful_count INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 1,"
        f" created_at {stamp} NOT NULL, updated_at {stamp} NOT NULL)",
        "CREATE INDEX ix_resource_tip_resource ON resource_tip (resource, status, useful_count)",
        "CREATE INDEX ix_resource_tip_author ON resource_tip (author)",
        f'CREATE TABLE tip_useful (id {key},'
        ' tip INTEGER NOT NULL REFERENCES resource_tip (id) ON DELETE CASCADE,'
        ' "user" INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,'
        f' created_at {stamp} NOT NULL)',
        'CREATE UNIQUE INDEX ux_tip_useful ON tip_useful (tip, "user")',
        'CREATE INDEX ix_tip_useful_user ON tip_useful ("user")',
        f'CREATE TABLE tip_report (id {key},'
        ' tip INTEGER NOT NULL REFERENCES resource_tip (id) ON DELETE CASCADE,'
        ' reporter INTEGER REFERENCES app_user (id) ON DELETE SET NULL,'
        " reason TEXT NOT NULL,"
        " status VARCHAR(16) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'upheld')),"
        f" created_at {stamp} NOT NULL, handled_by VARCHAR(200), handled_at {stamp})",
        "CREATE UNIQUE INDEX ux_tip_report_open ON tip_report (tip, reporter) WHERE status = 'open'",
        "CREATE INDEX ix_tip_report_status ON tip_report (status, tip)",
    ]


async def _apply() -> None:
    engine = engine_finder()
    for statement in _statements(engine.engine_type == "sqlite"):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
