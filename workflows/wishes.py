"""Wishes: a staff member asks the ICT mentors of their unit for a resource; a mentor turns the
wish into a proposal (see service.create_proposal) or declines it with a reason."""

from __future__ import annotations

import datetime
from typing import Any

from catalogue.db import write_transaction
from catalogue.domain import CATALOGUE_INSIDERS, Role
from catalogue.etags import stale
from catalogue.problems import Problem
from catalogue.resources import now
from catalogue.security.access import Principal
from catalogue.tables import Unit, UserUnit
from workflows import audit, notify
from workflows.schemas import WishCreate, WishOut
from workflows.tables import Wish


def _dt(value: Any) -> datetime.datetime:
    return value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(str(value))


def wish_out(row: dict[str, Any]) -> WishOut:
    return WishOut(id=row["id"], name=row["name"], unit=row["unit_code"], url=row["url"],
                   description=row["description"], reason=row["reason"], status=row["status"],
                   requester=row["requester_label"], handled_by=row["handled_by"],
                   decline_reason=row["decline_reason"], case_id=row["case"], version=row["version"],
                   created_at=_dt(row["created_at"]))


def can_see(row: dict[str, Any], principal: Principal) -> bool:
    if principal.has_any(CATALOGUE_INSIDERS) or row["requester"] == principal.user_id:
        return True
    return Role.ICT_MENTOR.value in principal.roles and row["unit_code"] in principal.unit_codes


async def mentors_of(unit_code: str) -> list[int]:
    rows = await UserUnit.raw(
        "SELECT uu.\"user\" AS id FROM user_unit uu JOIN unit ON unit.id = uu.unit"
        " JOIN user_role r ON r.\"user\" = uu.\"user\" AND r.role = {}"
        " JOIN app_user u ON u.id = uu.\"user\" AND u.active = {} WHERE unit.code = {}",
        Role.ICT_MENTOR.value, True, unit_code)
    return [r["id"] for r in rows]


async def create_wish(body: WishCreate, principal: Principal) -> WishOut:
    if not await Unit.exists().where((Unit.code == body.unit) & (Unit.active == True)):  # noqa: E712
        raise Problem(422, f"Unknown unit {body.unit!r}.", errors=[{"field": "unit", "message": "unknown unit"}])
    if Role.ADMIN.value not in principal.roles and body.unit not in principal.unit_codes and principal.unit_codes:
        raise Problem(422, "Send the wish to one of your own units.",
                      errors=[{"field": "unit", "message": "not one of your units"}])
    stamp = now()
    async with write_transaction():
        inserted = await Wish.insert(Wish(
            requester=principal.user_id, requester_label=principal.label, unit_code=body.unit, name=body.name,
            url=body.url, description=body.description, reason=body.reason, status="open", version=1,
            created_at=stamp, updated_at=stamp,
        )).returning(Wish.id)
        wish_id = inserted[0]["id"]
        await notify.enqueue(await mentors_of(body.unit), "wish", f"Nytt ønske: {body.name}",
                             f"{principal.label} ønsker seg «{body.name}».\nBegrunnelse: {body.reason}",
                             link="/forslag#onsker")
        await audit.append("wish.create", "wish", wish_id, {"unit": body.unit, "name": body.name},
                           actor=principal.label, actor_user_id=principal.user_id)
    return await get_wish(wish_id, principal)


async def get_wish(wish_id: int, principal: Principal) -> WishOut:
    row = await Wish.select().where(Wish.id == wish_id).first()
    if row is None or not can_see(row, principal):
        raise Problem(404, f"No wish with id {wish_id}.")
    return wish_out(row)


async def list_wishes(principal: Principal, status: str | None) -> list[WishOut]:
    query = Wish.select().order_by(Wish.id, ascending=False)
    if status:
        query = query.where(Wish.status == status)
    return [wish_out(r) for r in await query if can_see(r, principal)]


async def decline_wish(wish_id: int, reason: str, principal: Principal, expected_version: int | None) -> WishOut:
    async with write_transaction():
        row = await Wish.select().where(Wish.id == wish_id).first()
        if row is None or not can_see(row, principal):
            raise Problem(404, f"No wish with id {wish_id}.")
        mentor = Role.ICT_MENTOR.value in principal.roles and row["unit_code"] in principal.unit_codes
        if not (mentor or Role.ADMIN.value in principal.roles):
            raise Problem(403, "Only the ICT mentors of the wish's unit answer it.")
        if row["status"] != "open":
            raise Problem(409, f"The wish is already {row['status']}.", allowed_actions=[])
        if expected_version is not None and expected_version != row["version"]:
            raise stale("wish")
        updated = await Wish.update({
            Wish.status: "declined", Wish.decline_reason: reason.strip(), Wish.handled_by: principal.label,
            Wish.updated_at: now(), Wish.version: row["version"] + 1,
        }).where((Wish.id == wish_id) & (Wish.version == row["version"])).returning(Wish.id)
        if not updated:
            raise stale("wish")
        await notify.enqueue([row["requester"]], "wish", f"Svar på ønsket ditt: {row['name']}",
                             f"Ønsket «{row['name']}» ble ikke foreslått.\nBegrunnelse: {reason.strip()}",
                             link="/onsker")
        await audit.append("wish.decline", "wish", wish_id, {"reason": reason.strip()},
                           actor=principal.label, actor_user_id=principal.user_id)
    return await get_wish(wish_id, principal)


