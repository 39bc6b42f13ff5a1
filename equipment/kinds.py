"""Equipment kinds: the register of device kinds with lifetime and typical price, and their links
to the learning resources that need them (both ways)."""

from __future__ import annotations

from typing import Any

import msgspec

from catalogue.db import write_transaction
from catalogue.etags import expected_version, stale
from catalogue.problems import Problem
from catalogue.resources import get_resource
from catalogue.security.access import Principal
from catalogue.tables import Resource
from catalogue.taxonomy import norwegian_sort_key
from catalogue.visibility import IN_USE_STATUSES, can_see_unpublished
from equipment.common import now
from equipment.schemas import KindCreate, KindOut, KindPatch, KindRef, ResourceRef
from equipment.tables import EquipmentKind, EquipmentKindResource
from workflows import audit


def _out(row: dict[str, Any], resources: list[ResourceRef]) -> KindOut:
    return KindOut(code=row["code"], name=row["name"], category=row["category"], description=row["description"],
                   lifetime_years=row["lifetime_years"], typical_price_nok=row["typical_price_nok"],
                   personal_pupil_device=bool(row["personal_pupil_device"]), active=bool(row["active"]),
                   version=row["version"], resources=resources)


async def _linked_resources(kind_ids: list[int], principal: Principal) -> dict[int, list[ResourceRef]]:
    """The resources linked to each kind that the caller may see."""
    if not kind_ids:
        return {}
    marks = ", ".join("{}" for _ in kind_ids)
    sql = (f"SELECT l.kind AS kind, r.id AS id, r.name AS name, r.status AS status FROM equipment_kind_resource l"
           f" JOIN resource r ON r.id = l.resource WHERE l.kind IN ({marks})")
    args: list[Any] = list(kind_ids)
    if not can_see_unpublished(principal):  # a draft's name stays with the insiders
        sql += f" AND r.status IN ({', '.join('{}' for _ in IN_USE_STATUSES)})"
        args.extend(IN_USE_STATUSES)
    found: dict[int, list[ResourceRef]] = {}
    for row in await EquipmentKind.raw(sql, *args):
        found.setdefault(row["kind"], []).append(ResourceRef(id=row["id"], name=row["name"], status=row["status"]))
    for refs in found.values():
        refs.sort(key=lambda r: norwegian_sort_key(r.name))
    return found


async def list_kinds(principal: Principal, include_inactive: bool = False) -> list[KindOut]:
    query = EquipmentKind.select()
    if not include_inactive:
        query = query.where(EquipmentKind.active == True)  # noqa: E712
    rows = await query
    links = await _linked_resources([r["id"] for r in rows], principal)
    kinds = [_out(r, links.get(r["id"], [])) for r in rows]
    return sorted(kinds, key=lambda k: (norwegian_sort_key(k.name), k.code))


async def kind_row(code: str) -> dict[str, Any]:
    row = await EquipmentKind.select().where(EquipmentKind.code == code).first()
    if row is None:
        raise Problem(404, f"No equipment kind with code {code!r}.")
    return row


async def get_kind(code: str, principal: Principal) -> KindOut:
    row = await kind_row(code)
    return _out(row, (await _linked_resources([row["id"]], principal)).get(row["id"], []))


async def kind_ids(codes: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Kinds by code (all of them, or those named)."""
    query = EquipmentKind.select(EquipmentKind.id, EquipmentKind.code, EquipmentKind.name, EquipmentKind.active,
                                 EquipmentKind.lifetime_years, EquipmentKind.typical_price_nok)
    if codes is not None:
        if not codes:
            return {}
        query = query.where(EquipmentKind.code.is_in(sorted(set(codes))))
    return {r["code"]: r for r in await query}


async def create_kind(body: KindCreate, principal: Principal) -> KindOut:
    async with write_transaction():
        if await EquipmentKind.exists().where(EquipmentKind.code == body.code):
            raise Problem(409, f"An equipment kind with code {body.code!r} already exists.",
                          errors=[{"field": "code", "message": "already in use"}])
        stamp = now()
        await EquipmentKind.insert(EquipmentKind(
            code=body.code, name=body.name, category=body.category, description=body.description,
            lifetime_years=body.lifetime_years, typical_price_nok=body.typical_price_nok,
            personal_pupil_device=body.personal_pupil_device, active=True, version=1,
            created_at=stamp, updated_at=stamp))
        await audit.append("equipment_kind.create", "equipment_kind", body.code, msgspec.to_builtins(body),
                           actor=principal.label, actor_user_id=principal.user_id)
    return await get_kind(body.code, principal)


async def update_kind(code: str, body: KindPatch, if_match: str | None, principal: Principal) -> KindOut:
    expected = expected_version("equipment-kind", code, if_match)
    given = {k: getattr(body, k) for k in body.__struct_fields__ if getattr(body, k) is not msgspec.UNSET}
    if not given:
        raise Problem(422, "The update changes nothing.", errors=[{"field": "body", "message": "no fields given"}])
    async with write_transaction():
        row = await kind_row(code)
        version = row["version"] if expected is None else expected
        columns = {getattr(EquipmentKind, k): v for k, v in given.items()}
        columns.update({EquipmentKind.version: version + 1, EquipmentKind.updated_at: now()})
        updated = await EquipmentKind.update(columns).where(
            (EquipmentKind.code == code) & (EquipmentKind.version == version)).returning(EquipmentKind.id)
        if not updated:
            raise stale("equipment kind")
        await audit.append("equipment_kind.update", "equipment_kind", code,
                           {"version": version + 1, "changed": given},
                           actor=principal.label, actor_user_id=principal.user_id)
    return await get_kind(code, principal)


async def _resource(resource_id: int) -> dict[str, Any]:
    row = await Resource.select(Resource.id, Resource.name, Resource.status).where(Resource.id == resource_id).first()
    if row is None:
        raise Problem(404, f"No resource with id {resource_id}.")
    return row


async def link_resource(code: str, resource_id: int, principal: Principal) -> bool:
    """Say that a resource needs this kind; False when the link was there already."""
    async with write_transaction():
        kind = await kind_row(code)
        await _resource(resource_id)
        if await EquipmentKindResource.exists().where(
                (EquipmentKindResource.kind == kind["id"]) & (EquipmentKindResource.resource == resource_id)):
            return False
        await EquipmentKindResource.insert(EquipmentKindResource(kind=kind["id"], resource=resource_id,
                                                                 created_at=now(), created_by=principal.label))
        await audit.append("equipment_kind.link_resource", "equipment_kind", code, {"resource_id": resource_id},
                           actor=principal.label, actor_user_id=principal.user_id)
    return True


async def unlink_resource(code: str, resource_id: int, principal: Principal) -> bool:
    async with write_transaction():
        kind = await kind_row(code)
        removed = await EquipmentKindResource.delete().where(
            (EquipmentKindResource.kind == kind["id"]) & (EquipmentKindResource.resource == resource_id)
        ).returning(EquipmentKindResource.id)
        if not removed:
            return False
        await audit.append("equipment_kind.unlink_resource", "equipment_kind", code, {"resource_id": resource_id},
                           actor=principal.label, actor_user_id=principal.user_id)
    return True


async def kinds_for_resource(resource_id: int, principal: Principal, *, seen: bool = False) -> list[KindRef]:
    """The equipment a resource needs (the other direction of the link). 404 for a resource the
    caller may not see; ``seen``: the caller has just been shown the resource."""
    if not seen:
        if can_see_unpublished(principal):
            await _resource(resource_id)
        else:
            await get_resource(resource_id, principal)  # 404 for what the caller may not see, by the catalogue's rules
    rows = await EquipmentKind.raw(
        "SELECT k.code AS code, k.name AS name FROM equipment_kind_resource l JOIN equipment_kind k ON k.id = l.kind"
        " WHERE l.resource = {}", resource_id)
    return sorted((KindRef(code=r["code"], name=r["name"]) for r in rows), key=lambda k: norwegian_sort_key(k.name))
