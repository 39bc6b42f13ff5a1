"""What each unit has: its counts (children, pupils, departments, class rooms) and its holdings
(kind, model, count, acquired date, who paid). The unit's ICT mentors and the technology
department register them; every change bumps the unit's holdings version in the same transaction."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

import msgspec

from catalogue.db import write_transaction
from catalogue.domain import Role
from catalogue.etags import expected_version, stale
from catalogue.problems import FieldErrors, Problem
from catalogue.security.access import Principal
from catalogue.tables import Unit
from equipment import domain
from equipment.common import as_date, now, today
from equipment.kinds import kind_ids
from equipment.schemas import HoldingCreate, HoldingOut, HoldingPatch, UnitCountsBody, UnitCountsOut
from equipment.tables import Holding, UnitProfile
from workflows import audit


def counts_etag(code: str, version: int) -> str:
    return f'"unit-counts:{code}:{version}"'


def holding_etag(holding_id: int, version: int) -> str:
    return f'"holding:{holding_id}:{version}"'


# --- who may see and change a unit's equipment ------------------------------------------------


def serves(principal: Principal, unit_code: str) -> bool:
    return unit_code in principal.unit_codes


def may_see_unit(principal: Principal, unit_code: str) -> bool:
    return principal.has_any(domain.PLANNERS) or (Role.ICT_MENTOR.value in principal.roles
                                                  and serves(principal, unit_code))


def may_edit_holdings(principal: Principal, unit_code: str) -> bool:
    return principal.has_any({Role.TECH_APPROVER.value, Role.ADMIN.value}) or (
        Role.ICT_MENTOR.value in principal.roles and serves(principal, unit_code))


def may_edit_counts(principal: Principal, unit_code: str) -> bool:
    return principal.has_any(domain.PLANNERS) or may_edit_holdings(principal, unit_code)


def not_served(unit_code: str) -> Problem:
    return Problem(403, f"You do not serve the unit {unit_code!r}: its ICT mentors and the technology department "
                   "keep its equipment.", type_slug="unit-not-served",
                   errors=[{"field": "unit", "message": "not one of your units"}])


async def unit_row(code: str) -> dict[str, Any]:
    row = await Unit.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.active).where(Unit.code == code).first()
    if row is None:
        raise Problem(404, f"No unit with code {code!r}.")
    return row


async def seen_unit(code: str, principal: Principal) -> dict[str, Any]:
    """The unit, if the caller has a view of its equipment (403 for an ICT mentor of other units)."""
    row = await unit_row(code)
    if not may_see_unit(principal, code):
        raise not_served(code)
    return row


async def visible_units(principal: Principal) -> list[dict[str, Any]]:
    """Active units whose equipment the caller sees: all of them for the planners, else their own."""
    query = Unit.select(Unit.id, Unit.code, Unit.name, Unit.kind).where(Unit.active == True)  # noqa: E712
    if not principal.has_any(domain.PLANNERS):
        if not principal.unit_codes:
            return []
        query = query.where(Unit.code.is_in(sorted(principal.unit_codes)))
    return list(await query)


# --- counts ----------------------------------------------------------------------------------


async def ensure_profile(unit_id: int) -> None:
    """Make the unit's profile row if it has none, not yet counted (version 0), inside the caller's
    transaction; safe when two writers make it at once."""
    await UnitProfile.raw(
        "INSERT INTO equipment_unit_profile (unit, children, pupils, departments, classrooms, version,"
        " holdings_version, updated_at, updated_by) VALUES ({}, 0, 0, 0, 0, 0, {}, {}, '')"
        " ON CONFLICT (unit) DO NOTHING", unit_id, new_stamp(), now())


def _counts_out(code: str, row: dict[str, Any] | None) -> UnitCountsOut:
    if row is None:
        return UnitCountsOut(unit=code, children=0, pupils=0, departments=0, classrooms=0, counted_on=None, version=0)
    return UnitCountsOut(unit=code, children=row["children"], pupils=row["pupils"], departments=row["departments"],
                         classrooms=row["classrooms"], counted_on=as_date(row["counted_on"]), version=row["version"])


async def counts(unit: dict[str, Any]) -> UnitCountsOut:
    row = await UnitProfile.select().where(UnitProfile.unit == unit["id"]).first()
    return _counts_out(unit["code"], row)


async def set_counts(code: str, body: UnitCountsBody, if_match: str | None, principal: Principal) -> UnitCountsOut:
    """Set the unit's counts; If-Match with the counts' ETag (version 0 before the first count)."""
    expected = expected_version("unit-counts", code, if_match)
    if body.counted_on is not None and body.counted_on > today():
        raise Problem(422, "counted_on: cannot be in the future",
                      errors=[{"field": "counted_on", "message": "cannot be in the future"}])
    async with write_transaction():
        unit = await unit_row(code)
        if not may_edit_counts(principal, code):
            raise not_served(code)
        await ensure_profile(unit["id"])
        current = (await UnitProfile.select(UnitProfile.version).where(UnitProfile.unit == unit["id"]).first())["version"]
        if expected is not None and expected != current:
            raise stale("unit counts")
        updated = await UnitProfile.update({
            UnitProfile.children: body.children, UnitProfile.pupils: body.pupils,
            UnitProfile.departments: body.departments, UnitProfile.classrooms: body.classrooms,
            UnitProfile.counted_on: body.counted_on or today(), UnitProfile.version: current + 1,
            UnitProfile.updated_at: now(), UnitProfile.updated_by: principal.label,
        }).where((UnitProfile.unit == unit["id"]) & (UnitProfile.version == current)).returning(UnitProfile.id)
        if not updated:
            raise stale("unit counts")
        await audit.append("unit_counts.update", "unit", code, msgspec.to_builtins(body), actor=principal.label,
                           actor_user_id=principal.user_id)
    return await counts(unit)


# --- holdings ----------------------------------------------------------------------------------


def new_stamp() -> int:
    """A new holdings version: random rather than counted, so that the plans a worker keeps
    (equipment.plan) never mistake one database's unit for another's with the same id."""
    return secrets.randbelow(2**31 - 2) + 2


async def _bump_holdings(unit_id: int) -> None:
    await ensure_profile(unit_id)
    await UnitProfile.raw("UPDATE equipment_unit_profile SET holdings_version = {} WHERE unit = {}",
                          new_stamp(), unit_id)


def check_acquired(acquired_on: datetime.date, errors: FieldErrors, field: str = "acquired_on") -> None:
    if acquired_on > today():
        errors.add(field, "the acquired date cannot be in the future")
    elif acquired_on.year < 1990:
        errors.add(field, "not a plausible date")


def _holding_out(row: dict[str, Any], unit_code: str) -> HoldingOut:
    return HoldingOut(id=row["id"], unit=unit_code, kind=row["kind_code"], kind_name=row["kind_name"],
                      model=row["model"], count=row["count"], acquired_on=as_date(row["acquired_on"]),
                      funded_by=row["funded_by"], note=row["note"],
                      end_of_life_year=row["acquired_year"] + row["lifetime_years"], version=row["version"])


_SELECT = ("SELECT h.id AS id, h.model AS model, h.count AS count, h.acquired_on AS acquired_on,"
           " h.acquired_year AS acquired_year, h.funded_by AS funded_by, h.note AS note, h.version AS version,"
           " h.unit AS unit, k.code AS kind_code, k.name AS kind_name, k.lifetime_years AS lifetime_years"
           " FROM equipment_holding h JOIN equipment_kind k ON k.id = h.kind")


async def list_holdings(unit: dict[str, Any], *, kind: str | None = None, limit: int = 50,
                        offset: int = 0) -> tuple[list[HoldingOut], int]:
    where, args = " WHERE h.unit = {}", [unit["id"]]
    if kind:
        where += " AND k.code = {}"
        args.append(kind)
    total = await Holding.raw("SELECT COUNT(*) AS n FROM equipment_holding h JOIN equipment_kind k ON k.id = h.kind"
                              + where, *args)
    rows = await Holding.raw(_SELECT + where + " ORDER BY k.name, h.acquired_on DESC, h.id DESC LIMIT {} OFFSET {}",
                             *args, limit, offset)
    return [_holding_out(r, unit["code"]) for r in rows], int(total[0]["n"])


async def holding_row(holding_id: int) -> dict[str, Any]:
    rows = await Holding.raw(_SELECT + " WHERE h.id = {}", holding_id)
    if not rows:
        raise Problem(404, f"No holding with id {holding_id}.")
    return rows[0]


async def _unit_code(unit_id: int) -> str:
    row = await Unit.select(Unit.code).where(Unit.id == unit_id).first()
    return row["code"]


async def get_holding(holding_id: int, principal: Principal) -> HoldingOut:
    row = await holding_row(holding_id)
    code = await _unit_code(row["unit"])
    if not may_see_unit(principal, code):
        raise Problem(404, f"No holding with id {holding_id}.")
    return _holding_out(row, code)


async def _kind_for(code: str, field: str, errors: FieldErrors) -> dict[str, Any] | None:
    kind = (await kind_ids([code])).get(code)
    if kind is None:
        errors.add(field, f"unknown equipment kind {code!r}")
    return kind


async def add_holding(code: str, body: HoldingCreate, principal: Principal) -> HoldingOut:
    unit = await unit_row(code)
    if not may_edit_holdings(principal, code):
        raise not_served(code)
    errors = FieldErrors()
    kind = await _kind_for(body.kind, "kind", errors)
    check_acquired(body.acquired_on, errors)
    errors.raise_if_any()
    async with write_transaction():
        stamp = now()
        inserted = await Holding.insert(Holding(
            unit=unit["id"], kind=kind["id"], model=body.model.strip(), count=body.count,
            acquired_on=body.acquired_on, acquired_year=body.acquired_on.year, funded_by=body.funded_by,
            note=body.note, version=1, created_at=stamp, updated_at=stamp, created_by=principal.label,
            updated_by=principal.label)).returning(Holding.id)
        holding_id = inserted[0]["id"]
        await _bump_holdings(unit["id"])
        await audit.append("holding.create", "holding", holding_id, {"unit": code, **msgspec.to_builtins(body)},
                           actor=principal.label, actor_user_id=principal.user_id)
    return await get_holding(holding_id, principal)


async def _editable(holding_id: int, principal: Principal) -> tuple[dict[str, Any], str]:
    row = await holding_row(holding_id)
    code = await _unit_code(row["unit"])
    if not may_see_unit(principal, code):
        raise Problem(404, f"No holding with id {holding_id}.")
    if not may_edit_holdings(principal, code):
        raise not_served(code)
    return row, code


async def update_holding(holding_id: int, body: HoldingPatch, if_match: str | None,
                         principal: Principal) -> HoldingOut:
    expected = expected_version("holding", holding_id, if_match)
    given = {k: getattr(body, k) for k in body.__struct_fields__ if getattr(body, k) is not msgspec.UNSET}
    if not given:
        raise Problem(422, "The update changes nothing.", errors=[{"field": "body", "message": "no fields given"}])
    errors = FieldErrors()
    columns: dict[Any, Any] = {}
    if "kind" in given:
        kind = await _kind_for(given["kind"], "kind", errors)
        if kind:
            columns[Holding.kind] = kind["id"]
    if "acquired_on" in given:
        check_acquired(given["acquired_on"], errors)
        columns[Holding.acquired_on] = given["acquired_on"]
        columns[Holding.acquired_year] = given["acquired_on"].year
    errors.raise_if_any()
    for name in ("count", "funded_by", "model", "note"):
        if name in given:
            columns[getattr(Holding, name)] = given[name].strip() if name == "model" else given[name]
    async with write_transaction():
        row, code = await _editable(holding_id, principal)
        version = row["version"] if expected is None else expected
        columns.update({Holding.version: version + 1, Holding.updated_at: now(), Holding.updated_by: principal.label})
        updated = await Holding.update(columns).where(
            (Holding.id == holding_id) & (Holding.version == version)).returning(Holding.id)
        if not updated:
            raise stale("holding")
        await _bump_holdings(row["unit"])
        await audit.append("holding.update", "holding", holding_id,
                           {"unit": code, "version": version + 1, "changed": msgspec.to_builtins(given)},
                           actor=principal.label, actor_user_id=principal.user_id)
    return await get_holding(holding_id, principal)


async def delete_holding(holding_id: int, if_match: str | None, principal: Principal) -> None:
    """Remove devices that are gone (discarded, lost); the audit entry keeps what the row said."""
    expected = expected_version("holding", holding_id, if_match)
    async with write_transaction():
        row, code = await _editable(holding_id, principal)
        version = row["version"] if expected is None else expected
        deleted = await Holding.delete().where((Holding.id == holding_id) & (Holding.version == version)).returning(
            Holding.id)
        if not deleted:
            raise stale("holding")
        await _bump_holdings(row["unit"])
        await audit.append("holding.delete", "holding", holding_id,
                           {"unit": code, "kind": row["kind_code"], "model": row["model"], "count": row["count"],
                            "acquired_on": as_date(row["acquired_on"]), "funded_by": row["funded_by"],
                            "note": row["note"]},
                           actor=principal.label, actor_user_id=principal.user_id)


async def holdings_version(unit_id: int) -> int:
    row = await UnitProfile.select(UnitProfile.holdings_version).where(UnitProfile.unit == unit_id).first()
    return row["holdings_version"] if row else 1

