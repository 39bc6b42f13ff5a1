"""Restrictions on use as a history (each added, changed or lifted by a decision with a reason),
staff who follow a resource, and each user's e-mail address (verified by a link) and choice of
immediate mail or a daily digest. The restrictions a resource already had become its first
history entries."""

import datetime

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-02T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "restriction history, followers, e-mail settings"

SQLITE = [
    'CREATE TABLE "resource_restriction" ("id" INTEGER PRIMARY KEY NOT NULL,'
    ' "resource" INTEGER NOT NULL REFERENCES "resource" ("id") ON DELETE CASCADE,'
    ' "text" TEXT NOT NULL, "added_at" TIMESTAMPTZ NOT NULL, "added_by" VARCHAR(200) NOT NULL DEFAULT \'\','
    ' "added_reason" TEXT NOT NULL DEFAULT \'\', "added_case" INTEGER DEFAULT null, "replaces" INTEGER DEFAULT null,'
    ' "lifted_at" TIMESTAMPTZ DEFAULT null, "lifted_by" VARCHAR(200) DEFAULT null, "lift_reason" TEXT DEFAULT null,'
    ' "lifted_case" INTEGER DEFAULT null, "replaced_by" INTEGER DEFAULT null)',
    'CREATE TABLE "resource_follower" ("id" INTEGER PRIMARY KEY NOT NULL,'
    ' "resource" INTEGER NOT NULL REFERENCES "resource" ("id") ON DELETE CASCADE,'
    ' "user" INTEGER NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE,'
    ' "created_at" TIMESTAMPTZ NOT NULL)',
    'ALTER TABLE app_user ADD COLUMN "email_source" VARCHAR(8) DEFAULT null',
    'ALTER TABLE app_user ADD COLUMN "email_pending" VARCHAR(320) DEFAULT null',
    'ALTER TABLE app_user ADD COLUMN "email_token_hash" VARCHAR(64) DEFAULT null',
    'ALTER TABLE app_user ADD COLUMN "email_token_expires" TIMESTAMPTZ DEFAULT null',
    'ALTER TABLE app_user ADD COLUMN "notification_mode" VARCHAR(16) NOT NULL DEFAULT \'immediate\'',
    'ALTER TABLE app_user ADD COLUMN "digest_sent_on" DATE DEFAULT null',
]

POSTGRES = [
    'CREATE TABLE "resource_restriction" ("id" SERIAL PRIMARY KEY,'
    ' "resource" INTEGER NOT NULL REFERENCES "resource" ("id") ON DELETE CASCADE,'
    ' "text" TEXT NOT NULL, "added_at" TIMESTAMP WITH TIME ZONE NOT NULL,'
    ' "added_by" VARCHAR(200) NOT NULL DEFAULT \'\', "added_reason" TEXT NOT NULL DEFAULT \'\','
    ' "added_case" INTEGER DEFAULT null, "replaces" INTEGER DEFAULT null,'
    ' "lifted_at" TIMESTAMP WITH TIME ZONE DEFAULT null, "lifted_by" VARCHAR(200) DEFAULT null,'
    ' "lift_reason" TEXT DEFAULT null, "lifted_case" INTEGER DEFAULT null, "replaced_by" INTEGER DEFAULT null)',
    'CREATE TABLE "resource_follower" ("id" SERIAL PRIMARY KEY,'
    ' "resource" INTEGER NOT NULL REFERENCES "resource" ("id") ON DELETE CASCADE,'
    ' "user" INTEGER NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE,'
    ' "created_at" TIMESTAMP WITH TIME ZONE NOT NULL)',
    'ALTER TABLE app_user ADD COLUMN "email_source" VARCHAR(8) DEFAULT null',
    'ALTER TABLE app_user ADD COLUMN "email_pending" VARCHAR(320) DEFAULT null',
    'ALTER TABLE app_user ADD COLUMN "email_token_hash" VARCHAR(64) DEFAULT null',
    'ALTER TABLE app_user ADD COLUMN "email_token_expires" TIMESTAMP WITH TIME ZONE DEFAULT null',
    'ALTER TABLE app_user ADD COLUMN "notification_mode" VARCHAR(16) NOT NULL DEFAULT \'immediate\'',
    'ALTER TABLE app_user ADD COLUMN "digest_sent_on" DATE DEFAULT null',
]

COMMON = [
    'CREATE INDEX ix_resource_restriction_resource ON resource_restriction (resource)',
    'CREATE UNIQUE INDEX uq_resource_follower ON resource_follower (resource, "user")',
    'CREATE INDEX ix_resource_follower_user ON resource_follower ("user")',
    'CREATE UNIQUE INDEX uq_app_user_email_token ON app_user (email_token_hash)',
    # an address that came with a login is the identity provider's; one set here was verified by a link
    "UPDATE app_user SET email_source = 'idp' WHERE email IS NOT NULL",
]


async def _backfill(engine) -> None:
    """Each line of a resource's restrictions text becomes a restriction in force."""
    rows = await engine.run_querystring(QueryString(
        "SELECT id, restrictions FROM resource WHERE restrictions IS NOT NULL"))
    stamp = datetime.datetime.now(datetime.timezone.utc)
    for row in rows:
        lines = dict.fromkeys(line.strip() for line in (row["restrictions"] or "").split("\n") if line.strip())
        for line in lines:
            await engine.run_querystring(QueryString(
                "INSERT INTO resource_restriction (resource, text, added_at, added_by, added_reason)"
                " VALUES ({}, {}, {}, {}, {})", row["id"], line, stamp, "migrering",
                "Gjaldt før historikken for begrensninger ble ført."))


async def _apply() -> None:
    engine = engine_finder()
    for statement in (SQLITE if engine.engine_type == "sqlite" else POSTGRES) + COMMON:
        await engine.run_ddl(statement)
    await _backfill(engine)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
