"""Keys and indexes of the equipment package: one link per kind and resource, one line per kind
and basis in a change, one approved change per revision of a unit type's standard (two approvals
at once cannot both become the same revision), and a covering index for the gap and plan sums."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T15:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "equipment keys and indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX uq_equipment_kind_resource ON equipment_kind_resource (kind, resource)",
    "CREATE UNIQUE INDEX uq_equipment_standard_line ON equipment_standard_line (change, kind, basis)",
    "CREATE UNIQUE INDEX uq_equipment_standard_revision ON equipment_standard_change (unit_type, revision)"
    " WHERE revision IS NOT NULL",
    "CREATE INDEX ix_equipment_holding_sums ON equipment_holding (unit, kind, acquired_year, funded_by, count)",
    "CREATE INDEX ix_equipment_holding_kind ON equipment_holding (kind)",
]


async def _apply() -> None:
    engine = engine_finder()
    for statement in STATEMENTS:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="equipment", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
