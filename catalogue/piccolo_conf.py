"""Piccolo's configuration: the engine comes from DATABASE_URL."""

from piccolo.conf.apps import AppRegistry

from catalogue.db import engine_from_url
from catalogue.settings import Settings

_settings = Settings.from_env()
DB = engine_from_url(_settings.database_url, _settings.sqlite_busy_timeout_seconds)

APP_REGISTRY = AppRegistry(apps=["catalogue.piccolo_app", "workflows.piccolo_app"])
