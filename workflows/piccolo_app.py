"""The workflow's Piccolo app: cases, events, wishes, attachments, notifications, audit log."""

from piccolo.conf.apps import AppConfig

from catalogue.settings import PROJECT_ROOT
from workflows.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="workflows",
    migrations_folder_path=str(PROJECT_ROOT / "migrations" / "workflows"),
    table_classes=list(TABLES),
    migration_dependencies=["catalogue.piccolo_app"],
    commands=[],
)
