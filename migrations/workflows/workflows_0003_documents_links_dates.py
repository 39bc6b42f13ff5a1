"""What each attachment is (DPA, DPIA, accessibility statement, other), the page each
notification links to, the end date a phase-out case carries, and the reminder sent before a
returned case falls due."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T12:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "attachment kinds, notification links, phase-out end date, reminders"

STATEMENTS = [
    "ALTER TABLE case_attachment ADD COLUMN document_kind VARCHAR(32) NOT NULL DEFAULT 'other'",
    "ALTER TABLE notification ADD COLUMN link VARCHAR(500) DEFAULT null",
    "ALTER TABLE workflow_case ADD COLUMN end_date DATE DEFAULT null",
    "ALTER TABLE workflow_case ADD COLUMN reminded_step VARCHAR(64) DEFAULT null",
    "UPDATE notification SET link = '/saker/' || CAST(\"case\" AS VARCHAR(20)) WHERE \"case\" IS NOT NULL",
]


async def _apply() -> None:
    engine = engine_finder()
    for statement in STATEMENTS:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workflows", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
