"""Uploaded catalogue spreadsheets: kept from the dry run until the person confirms the import."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "uploaded catalogue spreadsheets"

SQLITE = [
    'CREATE TABLE "resource_sheet_import" ("id" INTEGER PRIMARY KEY NOT NULL,'
    ' "filename" VARCHAR(255) NOT NULL DEFAULT \'\', "sha256" VARCHAR(64) NOT NULL DEFAULT \'\','
    ' "content" BLOB NOT NULL DEFAULT \'\', "in_use" BOOLEAN NOT NULL DEFAULT false,'
    ' "plan" JSON NOT NULL DEFAULT \'{}\', "status" VARCHAR(16) NOT NULL DEFAULT \'\','
    ' "uploaded_by" INTEGER REFERENCES "app_user" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null,'
    ' "uploaded_by_label" VARCHAR(200) NOT NULL DEFAULT \'\','
    ' "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "applied_at" TIMESTAMPTZ DEFAULT null)',
]
POSTGRESQL = [
    'CREATE TABLE "resource_sheet_import" ("id" SERIAL PRIMARY KEY,'
    ' "filename" VARCHAR(255) NOT NULL DEFAULT \'\', "sha256" VARCHAR(64) NOT NULL DEFAULT \'\','
    ' "content" BYTEA NOT NULL DEFAULT \'\', "in_use" BOOLEAN NOT NULL DEFAULT false,'
    ' "plan" JSON NOT NULL DEFAULT \'{}\', "status" VARCHAR(16) NOT NULL DEFAULT \'\','
    ' "uploaded_by" INTEGER REFERENCES "app_user" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null,'
    ' "uploaded_by_label" VARCHAR(200) NOT NULL DEFAULT \'\','
    ' "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "applied_at" TIMESTAMPTZ DEFAULT null)',
]


async def _apply() -> None:
    engine = engine_finder()
    for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRESQL:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
