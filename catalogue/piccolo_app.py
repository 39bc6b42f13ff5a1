"""The catalogue's Piccolo app: taxonomy, vendors, resources, users."""

from piccolo.conf.apps import AppConfig

from catalogue.settings import PROJECT_ROOT
from catalogue.dataio.tables import TABLES as DATAIO_TABLES
from catalogue.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="catalogue",
    migrations_folder_path=str(PROJECT_ROOT / "migrations" / "catalogue"),
    table_classes=[*TABLES, *DATAIO_TABLES],
    migration_dependencies=[],
    commands=[],
)
