"""Levels, subjects, kindergarten areas and units: the reference data resources are filed under."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from catalogue.db import write_transaction
from catalogue.etags import expected_version, stale
from catalogue.problems import FieldErrors, Problem
from catalogue.resources import dedupe, now
from catalogue.schemas import (
    KindergartenAreaOut,
    LevelOut,
    SubjectOut,
    SubjectPatch,
    UnitCreate,
    UnitOut,
    UnitPatch,
    VendorOut,
)
from catalogue.tables import KindergartenArea, Level, Subject, Unit, Vendor
from catalogue.visibility import LEVEL_CODES
from workflows import audit


async def levels() -> list[LevelOut]:
    rows = await Level.select(Level.code, Level.name_nb, Level.band).order_by(Level.sort_order)
    return [LevelOut(**r) for r in rows]


async def kindergarten_areas() -> list[KindergartenAreaOut]:
    rows = await KindergartenArea.select(KindergartenArea.code, KindergartenArea.name_nb).order_by(
        KindergartenArea.sort_order)
    return [KindergartenAreaOut(**r) for r in rows]


def _subject_out(row: dict[str, Any]) -> SubjectOut:
    return msgspec.convert({k: row[k] for k in SubjectOut.__struct_fields__}, SubjectOut, strict=False)


async def subjects() -> list[SubjectOut]:
    rows = await Subject.select().order_by(Subject.sort_order)
    return [_subject_out(r) for r in rows]


async def subject(code: str) -> SubjectOut:
    row = await Subject.select().where(Subject.code == code).first()
    if row is None:
        raise Problem(404, f"No subject with code {code!r}.")
    return _subject_out(row)


async def update_subject(code: str, body: SubjectPatch, actor) -> SubjectOut:
    given = {k: getattr(body, k) for k in body.__struct_fields__ if getattr(body, k) is not msgspec.UNSET}
    if not given:
        raise Problem(422, "The update changes nothing.", errors=[{"field": "body", "message": "no fields given"}])
    async with write_transaction():
        updated = await Subject.update({getattr(Subject, k): v for k, v in given.items()}).where(
            Subject.code == code).returning(Subject.id)
        if not updated:
            raise Problem(404, f"No subject with code {code!r}.")
        await audit.append("subject.update", "subject", code, msgspec.to_builtins(body),
                           actor=actor.label, actor_user_id=actor.user_id)
    return await subject(code)


_NORWEGIAN_ORDER = str.maketrans({"æ": "{", "ø": "|", "å": "}"})  # after z, in the order æ, ø, å


def norwegian_sort_key(text: str) -> str:
    """Case-insensitive key that sorts æ, ø, å after z, as Norwegian readers expect."""
    return text.casefold().translate(_NORWEGIAN_ORDER)


def _unit_out(row: dict[str, Any]) -> UnitOut:
    levels_value = row["levels"]
    return UnitOut(code=row["code"], name=row["name"], kind=row["kind"],
                   levels=json.loads(levels_value) if isinstance(levels_value, str) else list(levels_value or []),
                   address=row["address"], active=bool(row["active"]), version=row["version"],
                   pupil_count=row.get("pupil_count"))


async def units(include_inactive: bool = False) -> list[UnitOut]:
    query = Unit.select()
    if not include_inactive:
        query = query.where(Unit.active == True)  # noqa: E712 (Piccolo builds SQL from ==)
    units_out = [_unit_out(r) for r in await query]
    # sorted in Python so the order is the same on both engines, Norwegian letters included
    return sorted(units_out, key=lambda u: (u.kind, norwegian_sort_key(u.name), u.code))


async def unit(code: str) -> UnitOut:
    row = await Unit.select().where(Unit.code == code).first()
    if row is None:
        raise Problem(404, f"No unit with code {code!r}.")
    return _unit_out(row)


def _check_unit_levels(levels_value: list[str], errors: FieldErrors) -> None:
    for index, code in enumerate(levels_value):
        if code not in LEVEL_CODES:
            errors.add(f"levels[{index}]", f"unknown level {code!r}")


async def create_unit(body: UnitCreate, actor) -> UnitOut:
    errors = FieldErrors()
    _check_unit_levels(body.levels, errors)
    errors.raise_if_any()
    async with write_transaction():
        if await Unit.exists().where(Unit.code == body.code):
            raise Problem(409, f"A unit with code {body.code!r} already exists.",
                          errors=[{"field": "code", "message": "already in use"}])
        stamp = now()
        await Unit.insert(Unit(code=body.code, name=body.name, kind=body.kind, levels=json.dumps(dedupe(body.levels)),
                               address=body.address, pupil_count=body.pupil_count, active=True, version=1,
                               created_at=stamp, updated_at=stamp))
        await audit.append("unit.create", "unit", body.code, msgspec.to_builtins(body),
                           actor=actor.label, actor_user_id=actor.user_id)
    return await unit(body.code)


async def update_unit(code: str, body: UnitPatch, if_match: str | None, actor) -> UnitOut:
    expected = expected_version("unit", code, if_match)
    given = {k: getattr(body, k) for k in body.__struct_fields__ if getattr(body, k) is not msgspec.UNSET}
    if not given:
        raise Problem(422, "The update changes nothing.", errors=[{"field": "body", "message": "no fields given"}])
    errors = FieldErrors()
    if "levels" in given:
        _check_unit_levels(given["levels"], errors)
        given["levels"] = json.dumps(dedupe(given["levels"]))
    errors.raise_if_any()
    async with write_transaction():
        current = await Unit.select(Unit.version).where(Unit.code == code).first()
        if current is None:
            raise Problem(404, f"No unit with code {code!r}.")
        version = current["version"] if expected is None else expected
        columns = {getattr(Unit, k): v for k, v in given.items()}
        columns.update({Unit.version: version + 1, Unit.updated_at: now()})
        updated = await Unit.update(columns).where((Unit.code == code) & (Unit.version == version)).returning(Unit.id)
        if not updated:
            raise stale("unit")
        await audit.append("unit.update", "unit", code, {"version": version + 1, "changed": msgspec.to_builtins(body)},
                           actor=actor.label, actor_user_id=actor.user_id)
    return await unit(code)


async def vendors() -> list[VendorOut]:
    rows = await Vendor.select(Vendor.id, Vendor.name, Vendor.organisation_number, Vendor.country).order_by(Vendor.name)
    return [VendorOut(**r) for r in rows]
