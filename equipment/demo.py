"""Demo data of the equipment package: kinds (linked to demo resources), an approved standard per
unit type, counts and holdings for the demo units, and a change under review. Loaded once."""

from __future__ import annotations

import datetime
import json
from importlib import resources as package_files

import msgspec

from catalogue.db import write_transaction
from catalogue.security.access import Principal
from catalogue.tables import AppMeta, AppUser, Resource, Unit
from equipment import kinds, standards
from equipment.common import now
from equipment.holdings import new_stamp
from equipment.schemas import ChangeAction, KindCreate, StandardChangeCreate, StandardLineBody
from equipment.tables import EquipmentKind, Holding, StandardChange, StandardLine, UnitProfile
from workflows import audit

MARKER = "equipment_demo_loaded"
SEEDER = Principal(user_id=0, name="demodata")


def _load() -> dict:
    return json.loads(package_files.files("catalogue").joinpath("data", "demo", "equipment.json").read_text("utf-8"))


async def seed_equipment_demo(demo_issuer: str) -> bool:
    """Load the equipment demo data unless it is there; True when loaded now (one transaction).
    The demo users are those of ``demo_issuer``."""
    data = _load()
    async with write_transaction():
        if await AppMeta.exists().where(AppMeta.key == MARKER):
            return False
        resources = {r["name"]: r["id"] for r in await Resource.select(Resource.id, Resource.name)}
        for item in data["kinds"]:
            linked = item.pop("resources")
            if not await EquipmentKind.exists().where(EquipmentKind.code == item["code"]):
                await kinds.create_kind(msgspec.convert(item, KindCreate), SEEDER)
            for name in linked:
                if name in resources:
                    await kinds.link_resource(item["code"], resources[name], SEEDER)
        kind_ids = {r["code"]: r["id"] for r in await EquipmentKind.select(EquipmentKind.id, EquipmentKind.code)}
        for item in data["standards"]:
            await _approved_standard(item, kind_ids)
        units = {r["code"]: r["id"] for r in await Unit.select(Unit.id, Unit.code)}
        stamp = now()
        for code, values in data["counts"].items():
            if code in units:
                await UnitProfile.insert(UnitProfile(
                    unit=units[code], children=values.get("children", 0), pupils=values.get("pupils", 0),
                    departments=values.get("departments", 0), classrooms=values.get("classrooms", 0),
                    counted_on=datetime.date(2025, 10, 1), version=1, holdings_version=new_stamp(),
                    updated_at=stamp, updated_by=SEEDER.label))
        rows = []
        for item in data["holdings"]:
            if item["unit"] in units and item["count"] > 0:
                acquired = datetime.date.fromisoformat(item["acquired_on"])
                rows.append(Holding(unit=units[item["unit"]], kind=kind_ids[item["kind"]], model=item["model"],
                                    count=item["count"], acquired_on=acquired, acquired_year=acquired.year,
                                    funded_by=item["funded_by"], note=item["note"], version=1, created_at=stamp,
                                    updated_at=stamp, created_by=SEEDER.label, updated_by=SEEDER.label))
        if rows:
            await Holding.insert(*rows)
        await audit.append("equipment.demo_loaded", "equipment", "demo", {"holdings": len(rows)},
                           actor=SEEDER.label)
        await _open_change(data["open_change"], demo_issuer)
        await AppMeta.insert(AppMeta(key=MARKER, value=stamp.isoformat()))
    return True


async def _approved_standard(item: dict, kind_ids: dict[str, int]) -> None:
    """A standard adopted before the service came: written as an approved change, and audited."""
    revision = (await standards.load_standards()).revision(item["unit_type"]) + 1
    approved_at = datetime.datetime.fromisoformat(item["approved_at"])
    inserted = await StandardChange.insert(StandardChange(
        unit_type=item["unit_type"], valid_from=datetime.date.fromisoformat(item["valid_from"]), title=item["title"],
        rationale=item["rationale"], state="approved", outcome="approved", base_revision=revision - 1,
        revision=revision, version=1, created_at=approved_at, updated_at=approved_at, approved_at=approved_at,
        closed_at=approved_at)).returning(StandardChange.id)
    change_id = inserted[0]["id"]
    await StandardLine.insert(*[StandardLine(change=change_id, kind=kind_ids[kind], basis=basis, quantity=quantity,
                                             per_n=per_n, position=index)
                                for index, (kind, basis, quantity, per_n) in enumerate(item["lines"])])
    await audit.append("standard_change.demo_approved", "standard_change", change_id,
                       {"unit_type": item["unit_type"], "revision": revision}, actor=SEEDER.label)


async def _open_change(item: dict, demo_issuer: str) -> None:
    """The sector office's demo user proposes a change that waits for the technology department."""
    user = await AppUser.select(AppUser.id, AppUser.display_name).where(
        (AppUser.issuer == demo_issuer) & (AppUser.subject == "demo-sector-reviewer")).first()
    if user is None:
        return
    proposer = Principal(user_id=user["id"], name=user["display_name"], roles=frozenset({"sector_reviewer"}))
    current = await standards.standard(item["unit_type"])
    changed = item["lines_changed"]
    lines = [StandardLineBody(kind=line.kind, basis=changed[line.kind][0] if line.kind in changed else line.basis,
                              quantity=changed[line.kind][1] if line.kind in changed else line.quantity,
                              per_n=changed[line.kind][2] if line.kind in changed else line.per_n)
             for line in current.lines]
    today = datetime.date.today()
    valid_from = datetime.date(today.year + (1 if today >= datetime.date(today.year, 8, 1) else 0), 8, 1)
    change_id = await standards.create_change(
        item["unit_type"], StandardChangeCreate(valid_from=valid_from, rationale=item["rationale"], lines=lines,
                                                title=item["title"]),
        standards.standard_etag(item["unit_type"], current.revision), proposer)
    row = await standards.change_row(change_id)
    await standards.apply_action(change_id, ChangeAction(action="submit"),
                                 standards.change_etag(change_id, row["version"]), proposer)
