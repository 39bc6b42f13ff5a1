"""Piccolo tables of the equipment package: equipment kinds and their links to resources, the
standard (changes as workflow cases, their lines), unit counts, holdings and holdings imports."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Bytea, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from catalogue.tables import AppUser, Resource, Unit


class EquipmentKind(Table, tablename="equipment_kind"):
    """A kind of device the municipality standardises on (pupil tablet, interactive display, …)."""

    code = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    category = Varchar(length=32)
    description = Text(default="")
    lifetime_years = Integer()
    typical_price_nok = Integer()
    # counts towards "every pupil has their own device"
    personal_pupil_device = Boolean(default=False)
    active = Boolean(default=True)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class EquipmentKindResource(Table, tablename="equipment_kind_resource"):
    """A learning resource that needs a kind of equipment (Bee-Bot the resource ↔ floor robot the kind)."""

    kind = ForeignKey(references=EquipmentKind, on_delete=OnDelete.cascade, index=True)
    resource = ForeignKey(references=Resource, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz()
    created_by = Varchar(length=200, default="")


class StandardChange(Table, tablename="equipment_standard_change"):
    """One change of the standard for a unit type: a case of the ``standard_change`` workflow.
    Once approved it is the standard for that type from ``valid_from`` on, as revision
    ``revision`` (the count of approved changes of the type)."""

    unit_type = Varchar(length=16, index=True)
    valid_from = Date()
    title = Varchar(length=200)
    rationale = Text(default="")
    state = Varchar(length=32, index=True)
    outcome = Varchar(length=32, null=True, default=None)
    base_revision = Integer(default=0)
    revision = Integer(null=True, default=None)
    proposer = ForeignKey(references=AppUser, on_delete=OnDelete.set_null, null=True, default=None)
    returned_from = Varchar(length=32, null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    approved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class StandardLine(Table, tablename="equipment_standard_line"):
    """How many of a kind a unit of the change's type should have: ``quantity`` for every
    ``per_n`` of the basis (the unit, its departments, children, pupils or class rooms)."""

    change = ForeignKey(references=StandardChange, on_delete=OnDelete.cascade, index=True)
    kind = ForeignKey(references=EquipmentKind, on_delete=OnDelete.restrict, index=True)
    basis = Varchar(length=16)
    per_n = Integer(default=1)
    quantity = Integer()
    position = Integer(default=0)


class StandardEvent(Table, tablename="equipment_standard_event"):
    """What happened on a standard change, in order: creation, edits, decisions with reasons."""

    change = ForeignKey(references=StandardChange, on_delete=OnDelete.cascade, index=True)
    occurred_at = Timestamptz()
    actor = ForeignKey(references=AppUser, on_delete=OnDelete.set_null, null=True, default=None)
    actor_label = Varchar(length=200)
    action = Varchar(length=40)
    from_state = Varchar(length=32, null=True, default=None)
    to_state = Varchar(length=32, null=True, default=None)
    reason = Text(null=True, default=None)
    data = JSON(default="{}")


class UnitProfile(Table, tablename="equipment_unit_profile"):
    """The counts the standard is computed from, and the version of the unit's holdings (every
    holdings change gives ``holdings_version`` a new random stamp; an import applies only to the
    holdings it was checked against)."""

    unit = ForeignKey(references=Unit, on_delete=OnDelete.cascade, unique=True)
    children = Integer(default=0)
    pupils = Integer(default=0)
    departments = Integer(default=0)
    classrooms = Integer(default=0)
    counted_on = Date(null=True, default=None)
    version = Integer(default=1)
    holdings_version = Integer(default=1)
    updated_at = Timestamptz()
    updated_by = Varchar(length=200, default="")


class Holding(Table, tablename="equipment_holding"):
    """Devices a unit has: a kind, a model, how many, when acquired and who paid."""

    unit = ForeignKey(references=Unit, on_delete=OnDelete.cascade)
    kind = ForeignKey(references=EquipmentKind, on_delete=OnDelete.restrict)
    model = Varchar(length=200, default="")
    count = Integer()
    acquired_on = Date()
    acquired_year = Integer()
    funded_by = Varchar(length=16)
    note = Text(default="")
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    created_by = Varchar(length=200, default="")
    updated_by = Varchar(length=200, default="")


class HoldingImport(Table, tablename="equipment_import"):
    """An uploaded holdings spreadsheet: checked in a dry run, applied later from what was stored."""

    unit = ForeignKey(references=Unit, on_delete=OnDelete.cascade, index=True)
    filename = Varchar(length=255)
    sha256 = Varchar(length=64)
    mode = Varchar(length=16)
    content = Bytea()
    rows = JSON(default="[]")
    errors = JSON(default="[]")
    # in replace mode, the holdings the import took away (nothing is lost)
    replaced = JSON(default="[]")
    holdings_version = Integer()
    status = Varchar(length=16)
    uploaded_by = ForeignKey(references=AppUser, on_delete=OnDelete.set_null, null=True, default=None)
    uploaded_by_label = Varchar(length=200, default="")
    created_at = Timestamptz()
    applied_at = Timestamptz(null=True, default=None)


TABLES = (EquipmentKind, EquipmentKindResource, StandardChange, StandardLine, StandardEvent, UnitProfile,
          Holding, HoldingImport)
