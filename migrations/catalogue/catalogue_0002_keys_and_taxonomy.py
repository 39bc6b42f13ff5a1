"""Composite unique keys (as unique indexes, which SQLite and PostgreSQL both create) and the
taxonomy reference data: levels, subjects and kindergarten areas."""

import csv
import datetime
from pathlib import Path

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-29T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys and taxonomy"

DATA = Path(__file__).resolve().parents[2] / "catalogue" / "data"

UNIQUE_INDEXES = [
    "CREATE UNIQUE INDEX uq_resource_facet_value ON resource_facet (resource, facet, value)",
    "CREATE INDEX ix_resource_facet_lookup ON resource_facet (facet, value, resource)",
    "CREATE UNIQUE INDEX uq_app_user_issuer_subject ON app_user (issuer, subject)",
    "CREATE UNIQUE INDEX uq_user_role ON user_role (\"user\", role)",
    "CREATE UNIQUE INDEX uq_user_unit ON user_unit (\"user\", unit)",
]


def _rows(name: str) -> list[dict]:
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def _apply() -> None:
    engine = engine_finder()
    for statement in UNIQUE_INDEXES:
        await engine.run_ddl(statement)

    async def insert(sql: str, *values) -> None:
        await engine.run_querystring(QueryString(sql, *values))

    for row in _rows("levels.csv"):
        await insert(
            "INSERT INTO level (code, name_nb, band, sort_order) VALUES ({}, {}, {}, {})",
            row["code"], row["name_nb"], row["band"], int(row["sort_order"]),
        )
    for row in _rows("kindergarten_areas.csv"):
        await insert(
            "INSERT INTO kindergarten_area (code, name_nb, sort_order) VALUES ({}, {}, {})",
            row["code"], row["name_nb"], int(row["sort_order"]),
        )
    for row in _rows("subjects.csv"):
        valid_from = row["curriculum_valid_from"]
        await insert(
            "INSERT INTO subject (code, name_nb, curriculum_code, previous_curriculum_code,"
            " curriculum_valid_from, curriculum_note, level_from, level_to, sort_order)"
            " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
            row["code"], row["name_nb"], row["curriculum_code"] or None,
            row["previous_curriculum_code"] or None,
            datetime.date.fromisoformat(valid_from) if valid_from else None,
            row["curriculum_note"], int(row["level_from"]), int(row["level_to"]),
            int(row["sort_order"]),
        )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
