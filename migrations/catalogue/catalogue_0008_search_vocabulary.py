"""The search's vocabulary holds the words of every field, not only of names (spellings without
æ, ø and å, typos and compounds in queries), and the analysis changed: the index is rebuilt."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search vocabulary of every field"


async def _apply() -> None:
    from catalogue.search.index import reindex

    await reindex()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
