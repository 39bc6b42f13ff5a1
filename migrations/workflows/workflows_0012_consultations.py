"""Consultations (høringer) in the pedagogical review: staff of chosen units try a proposed
resource and answer by a deadline (workflows.consultations)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T12:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "consultations, invitations and answers"


def _statements(sqlite: bool) -> list[str]:
    key = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "SERIAL PRIMARY KEY"
    stamp = "TIMESTAMPTZ" if sqlite else "TIMESTAMP WITH TIME ZONE"
    return [
        f'CREATE TABLE consultation (id {key},'
        ' "case" INTEGER NOT NULL REFERENCES workflow_case (id) ON DELETE CASCADE,'
        ' resource INTEGER NOT NULL REFERENCES resource (id) ON DELETE CASCADE,'
        " state VARCHAR(16) NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),"
        " question TEXT NOT NULL, deadline DATE NOT NULL, criteria TEXT NOT NULL, units TEXT NOT NULL,"
        f" opened_by VARCHAR(200) NOT NULL, opened_at {stamp} NOT NULL, closed_by VARCHAR(200),"
        f" closed_at {stamp})",
        'CREATE INDEX ix_consultation_case ON consultation ("case")',
        "CREATE INDEX ix_consultation_open ON consultation (state, deadline)",
        "CREATE UNIQUE INDEX ux_consultation_open_case ON consultation (\"case\") WHERE state = 'open'",
        f'CREATE TABLE consultation_invite (id {key},'
        ' consultation INTEGER NOT NULL REFERENCES consultation (id) ON DELETE CASCADE,'
        ' "user" INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,'
        f' invited_at {stamp} NOT NULL)',
        'CREATE UNIQUE INDEX ux_consultation_invite ON consultation_invite (consultation, "user")',
        'CREATE INDEX ix_consultation_invite_user ON consultation_invite ("user")',
        f'CREATE TABLE consultation_answer (id {key},'
        ' consultation INTEGER NOT NULL REFERENCES consultation (id) ON DELETE CASCADE,'
        ' "user" INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,'
        f" ratings TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', answered_at {stamp} NOT NULL,"
        f" updated_at {stamp} NOT NULL)",
        'CREATE UNIQUE INDEX ux_consultation_answer ON consultation_answer (consultation, "user")',
    ]


async def _apply() -> None:
    engine = engine_finder()
    for statement in _statements(engine.engine_type == "sqlite"):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workflows", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
