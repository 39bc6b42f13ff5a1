"""The equipment package's Piccolo app: kinds, the standard and its changes, unit counts, holdings."""

from piccolo.conf.apps import AppConfig

from catalogue.settings import PROJECT_ROOT
from equipment.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="equipment",
    migrations_folder_path=str(PROJECT_ROOT / "migrations" / "equipment"),
    table_classes=list(TABLES),
    migration_dependencies=["workflows.piccolo_app"],
    commands=[],
)
