"""One open case per resource (a partial unique index both engines support), and the audit log
made append-only by triggers on each engine."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T02:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "open-case key and append-only audit log"

COMMON = [
    "CREATE UNIQUE INDEX uq_workflow_case_open ON workflow_case (resource) WHERE closed_at IS NULL",
    "CREATE INDEX ix_workflow_case_state ON workflow_case (state, closed_at)",
    "CREATE INDEX ix_notification_outbox ON notification (delivery, next_attempt_at)",
]

SQLITE = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]

POSTGRES = [
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log"
    " FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
]


async def _apply() -> None:
    engine = engine_finder()
    statements = COMMON + (SQLITE if engine.engine_type == "sqlite" else POSTGRES)
    for statement in statements:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workflows", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
