"""Request and response bodies of the equipment API (msgspec Structs; requests forbid unknown fields)."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal, Optional, Union

from msgspec import UNSET, Meta, Struct, UnsetType

from catalogue.schemas import Name, ShortText, Strict
from equipment import domain

KindCode = Annotated[str, Meta(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$",
                               description="lower-case letters, digits and hyphens")]
Category = Literal[tuple(domain.CATEGORIES)]  # type: ignore[valid-type]
Basis = Literal[tuple(domain.BASES)]  # type: ignore[valid-type]
UnitType = Literal[tuple(domain.UNIT_TYPES)]  # type: ignore[valid-type]
Funding = Literal[tuple(domain.FUNDING)]  # type: ignore[valid-type]
Lifetime = Annotated[int, Meta(ge=1, le=30, description="expected lifetime in years")]
Price = Annotated[int, Meta(ge=0, le=10_000_000, description="typical price in NOK")]
Count = Annotated[int, Meta(ge=0, le=1_000_000)]
DeviceCount = Annotated[int, Meta(ge=1, le=1_000_000)]
Model = Annotated[str, Meta(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class KindCreate(Struct, **Strict):
    code: KindCode
    name: Name
    category: Category
    lifetime_years: Lifetime
    typical_price_nok: Price
    description: ShortText = ""
    personal_pupil_device: bool = False


class KindPatch(Struct, **Strict):
    name: Union[Name, UnsetType] = UNSET
    category: Union[Category, UnsetType] = UNSET
    lifetime_years: Union[Lifetime, UnsetType] = UNSET
    typical_price_nok: Union[Price, UnsetType] = UNSET
    description: Union[ShortText, UnsetType] = UNSET
    personal_pupil_device: Union[bool, UnsetType] = UNSET
    active: Union[bool, UnsetType] = UNSET


class ResourceRef(Struct, kw_only=True):
    id: int
    name: str
    status: str


class KindRef(Struct, kw_only=True):
    code: str
    name: str


class KindOut(Struct, kw_only=True):
    code: str
    name: str
    category: str
    description: str
    lifetime_years: int
    typical_price_nok: int
    personal_pupil_device: bool
    active: bool
    version: int
    resources: list[ResourceRef] = []


class StandardLineBody(Struct, **Strict):
    """``quantity`` of the kind for every ``per_n`` of the basis (2 per department; 1 per 3 pupils)."""

    kind: KindCode
    basis: Basis
    quantity: Count
    per_n: Annotated[int, Meta(ge=1, le=10_000)] = 1


Lines = Annotated[list[StandardLineBody], Meta(max_length=200)]


class StandardChangeCreate(Struct, **Strict):
    valid_from: datetime.date
    rationale: ShortText
    lines: Lines
    title: Optional[Name] = None
    submit: bool = False


class StandardChangePatch(Struct, **Strict):
    valid_from: Union[datetime.date, UnsetType] = UNSET
    rationale: Union[ShortText, UnsetType] = UNSET
    lines: Union[Lines, UnsetType] = UNSET
    title: Union[Name, UnsetType] = UNSET


class StandardLineOut(Struct, kw_only=True):
    kind: str
    kind_name: str
    basis: str
    per_n: int
    quantity: int


class StandardOut(Struct, kw_only=True):
    """The standard of a unit type in force on ``date`` (``change_id`` None: none adopted yet)."""

    unit_type: str
    date: datetime.date
    revision: int
    change_id: Optional[int]
    valid_from: Optional[datetime.date]
    approved_at: Optional[datetime.datetime]
    lines: list[StandardLineOut]
    upcoming: list["StandardVersionOut"] = []


class StandardVersionOut(Struct, kw_only=True):
    change_id: int
    revision: int
    valid_from: datetime.date
    approved_at: Optional[datetime.datetime]
    title: str


class PersonRef(Struct, kw_only=True):
    id: Optional[int]
    name: str


class ActionOut(Struct, kw_only=True):
    name: str
    label_nb: str
    needs_reason: bool
    target: str


class StandardEventOut(Struct, kw_only=True):
    occurred_at: datetime.datetime
    actor: str
    action: str
    from_state: Optional[str]
    to_state: Optional[str]
    reason: Optional[str]


class StandardChangeOut(Struct, kw_only=True):
    id: int
    unit_type: str
    title: str
    rationale: str
    valid_from: datetime.date
    state: str
    state_label_nb: str
    outcome: Optional[str]
    step_role: Optional[str]
    base_revision: int
    revision: Optional[int]
    proposer: Optional[PersonRef]
    lines: list[StandardLineOut]
    allowed_actions: list[ActionOut]
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    approved_at: Optional[datetime.datetime]
    closed_at: Optional[datetime.datetime]


class StandardChangePage(Struct, kw_only=True):
    items: list[StandardChangeOut]
    total: int
    limit: int
    offset: int


class ChangeAction(Struct, **Strict):
    action: Annotated[str, Meta(min_length=1, max_length=40)]
    reason: ShortText = ""


class UnitCountsBody(Struct, **Strict):
    children: Count = 0
    pupils: Count = 0
    departments: Count = 0
    classrooms: Count = 0
    counted_on: Optional[datetime.date] = None


class UnitCountsOut(Struct, kw_only=True):
    unit: str
    children: int
    pupils: int
    departments: int
    classrooms: int
    counted_on: Optional[datetime.date]
    version: int


class HoldingCreate(Struct, **Strict):
    kind: KindCode
    count: DeviceCount
    acquired_on: datetime.date
    funded_by: Funding
    model: Model = ""
    note: ShortText = ""


class HoldingPatch(Struct, **Strict):
    kind: Union[KindCode, UnsetType] = UNSET
    count: Union[DeviceCount, UnsetType] = UNSET
    acquired_on: Union[datetime.date, UnsetType] = UNSET
    funded_by: Union[Funding, UnsetType] = UNSET
    model: Union[Model, UnsetType] = UNSET
    note: Union[ShortText, UnsetType] = UNSET


class HoldingOut(Struct, kw_only=True):
    id: int
    unit: str
    kind: str
    kind_name: str
    model: str
    count: int
    acquired_on: datetime.date
    funded_by: str
    note: str
    end_of_life_year: int
    version: int


class HoldingPage(Struct, kw_only=True):
    items: list[HoldingOut]
    total: int
    limit: int
    offset: int


# --- gap and plan ----------------------------------------------------------------------------


class KindGap(Struct, kw_only=True):
    kind: str
    kind_name: str
    required: int
    held: int
    within_lifetime: int
    past_lifetime: int
    gap: int
    surplus: int
    unit_price_nok: int
    gap_cost_nok: int


class YearPlan(Struct, kw_only=True):
    """One budget year: devices reaching the end of their lifetime (the first year also counts
    those already past it), and what must be bought to keep to the standard, with its cost."""

    year: int
    end_of_life: int
    gap_purchases: int
    replacement_purchases: int
    purchases: int
    gap_cost_nok: int
    replacement_cost_nok: int
    cost_nok: int


class Coverage(Struct, kw_only=True):
    """"Every pupil has their own device": personal pupil devices held against pupils."""

    pupils: int
    devices: int
    devices_within_lifetime: int
    ratio: Optional[float]
    one_to_one: bool


class UnitRef(Struct, kw_only=True):
    code: str
    name: str
    kind: str


class UnitPlanOut(Struct, kw_only=True):
    unit: UnitRef
    date: datetime.date
    counts: UnitCountsOut
    standard_revision: int
    standard_valid_from: Optional[datetime.date]
    kinds: list[KindGap]
    years: list[YearPlan]
    coverage: Optional[Coverage]
    held_by_funding: dict[str, int]
    gap: int
    gap_cost_nok: int
    plan_cost_nok: int


class UnitPlanSummary(Struct, kw_only=True):
    unit: UnitRef
    required: int
    held: int
    gap: int
    gap_cost_nok: int
    plan_cost_nok: int
    coverage: Optional[Coverage]
    counted: bool


class MunicipalityPlanOut(Struct, kw_only=True):
    date: datetime.date
    unit_type: Optional[str]
    units: list[UnitPlanSummary]
    kinds: list[KindGap]
    years: list[YearPlan]
    held_by_funding: dict[str, int]
    gap: int
    gap_cost_nok: int
    plan_cost_nok: int
    pupils: int
    pupil_devices: int
    schools_one_to_one: int
    schools: int


class AnnualFigures(Struct, kw_only=True):
    """The equipment figures of a year, for the annual quality report."""

    year: int
    as_of: datetime.date
    units: int
    units_counted: int
    devices_held: int
    devices_acquired: int
    acquired_cost_nok_by_funding: dict[str, int]
    acquired_by_funding: dict[str, int]
    gap: int
    gap_cost_nok: int
    planned_cost_nok_next_year: int
    pupils: int
    pupil_devices: int
    pupil_coverage: Optional[float]
    schools: int
    schools_one_to_one: int
    standard_changes_approved: int


# --- imports ---------------------------------------------------------------------------------


class ImportRowOut(Struct, kw_only=True):
    row: int
    kind: str
    model: str
    count: int
    acquired_on: datetime.date
    funded_by: str
    note: str


class ImportErrorOut(Struct, kw_only=True):
    row: int
    column: str
    message: str


class ImportOut(Struct, kw_only=True):
    id: int
    unit: str
    filename: str
    mode: str
    status: str
    rows: list[ImportRowOut]
    errors: list[ImportErrorOut]
    devices: int
    replaces: int
    created_at: datetime.datetime
    applied_at: Optional[datetime.datetime]
