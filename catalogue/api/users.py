"""/api/v1/users: who may do what. Admins assign roles and unit affiliations; every change is recorded."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Optional

import msgspec

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from catalogue import users as service
from catalogue.api.resource_filters import one_value
from catalogue.domain import Role
from catalogue.problems import Problem
from catalogue.schemas import (
    EmailVerification,
    Me,
    MePatch,
    RoleChangeOut,
    RoleGrant,
    UnitAffiliation,
    UserOut,
    UserPage,
    UserPatch,
)
from catalogue.security.access import PUBLIC, SIGNED_IN, Principal, rule
from catalogue.tables import AppUser, RoleChange

ADMIN = rule({Role.ADMIN.value})


def _dt(value: Any) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


async def _users(where_sql: str, args: list[Any], limit: int, offset: int) -> tuple[list[UserOut], int]:
    total = await AppUser.raw(f"SELECT COUNT(*) AS n FROM app_user u WHERE {where_sql}", *args)
    rows = await AppUser.raw(
        f"SELECT u.* FROM app_user u WHERE {where_sql} ORDER BY LOWER(u.display_name), u.id LIMIT {{}} OFFSET {{}}",
        *args, limit, offset)
    ids = [r["id"] for r in rows]
    roles: dict[int, list[str]] = {i: [] for i in ids}
    units: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        marks = ", ".join("{}" for _ in ids)
        for r in await AppUser.raw(
                f"SELECT \"user\" AS uid, role FROM user_role WHERE \"user\" IN ({marks}) ORDER BY role", *ids):
            roles[r["uid"]].append(r["role"])
        for r in await AppUser.raw(
                f"SELECT uu.\"user\" AS uid, unit.code FROM user_unit uu JOIN unit ON unit.id = uu.unit"
                f" WHERE uu.\"user\" IN ({marks}) ORDER BY unit.code", *ids):
            units[r["uid"]].append(r["code"])
    items = [UserOut(id=r["id"], display_name=r["display_name"], email=r["email"], email_pending=r["email_pending"],
                     notification_mode=r["notification_mode"] or "immediate", issuer=r["issuer"],
                     subject=r["subject"], active=bool(r["active"]), roles=roles[r["id"]], units=units[r["id"]],
                     created_at=_dt(r["created_at"]), last_seen_at=_dt(r["last_seen_at"])) for r in rows]
    return items, int(total[0]["n"])


async def me_of(principal: Principal) -> Me:
    row = await AppUser.select(AppUser.email, AppUser.email_pending, AppUser.notification_mode).where(
        AppUser.id == principal.user_id).first() or {}
    return Me(id=principal.user_id, display_name=principal.name, roles=sorted(principal.roles),
              units=sorted(principal.unit_codes), email=row.get("email"), email_pending=row.get("email_pending"),
              notification_mode=row.get("notification_mode") or "immediate")


async def _one(user_id: int) -> UserOut:
    items, _ = await _users("u.id = {}", [user_id], 1, 0)
    if not items:
        raise Problem(404, f"No user with id {user_id}.")
    return items[0]


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/me", opt=rule(SIGNED_IN), summary="The signed-in user, with roles, units and notification settings")
    async def me(self, request: Request) -> Me:
        return await me_of(request.user)

    @patch("/me", opt=rule(SIGNED_IN),
           summary="My e-mail address (used once I follow the link sent to it) and immediate mail or a daily digest")
    async def update_me(self, request: Request, data: JSONBody[MePatch]) -> Me:
        principal: Principal = request.user
        if data.email is not msgspec.UNSET:
            await service.request_email(principal.user_id, data.email, principal, request.app.state.settings)
        if data.notification_mode is not msgspec.UNSET:
            await service.set_notification_mode(principal.user_id, data.notification_mode, principal)
        return await me_of(principal)

    @post("/email-verification", opt=rule(PUBLIC), status_code=200,
          summary="Follow the link sent to a new e-mail address (the token from the link); works once")
    async def verify_email(self, data: JSONBody[EmailVerification]) -> dict[str, bool]:
        await service.verify_email(data.token)
        return {"verified": True}

    @get("/", opt=ADMIN, summary="List users (search by name, filter by role)")
    async def list_users(
        self,
        q: Annotated[Optional[str], QueryParameter(name="q", max_length=100, required=False)] = None,
        role: Annotated[Optional[str], QueryParameter(name="role", required=False,
                                                      schema_extra=one_value({"enum": sorted(r.value for r in Role)}))] = None,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(name="offset", ge=0, le=1_000_000)] = 0,
    ) -> UserPage:
        clauses, args = ["1 = 1"], []
        if q:
            clauses.append("LOWER(u.display_name) LIKE {}")
            args.append("%" + q.lower().replace("%", "").replace("_", "") + "%")
        if role:
            if role not in {r.value for r in Role}:
                raise Problem(400, f"Unknown role {role!r}.", errors=[{"field": "role", "message": "unknown role"}])
            clauses.append("EXISTS (SELECT 1 FROM user_role r WHERE r.\"user\" = u.id AND r.role = {})")
            args.append(role)
        items, total = await _users(" AND ".join(clauses), args, limit, offset)
        return UserPage(items=items, total=total, limit=limit, offset=offset)

    @get("/{user_id:int}", opt=ADMIN, summary="One user")
    async def get_user(self, user_id: FromPath[int]) -> UserOut:
        return await _one(user_id)

    @patch("/{user_id:int}", opt=ADMIN,
           summary="Deactivate or reactivate a user (ends their sessions); set their e-mail (a link is sent to it)")
    async def update_user(self, request: Request, user_id: FromPath[int], data: JSONBody[UserPatch]) -> UserOut:
        await _one(user_id)
        if data.active is msgspec.UNSET and data.email is msgspec.UNSET:
            raise Problem(422, "The update changes nothing.", errors=[{"field": "body", "message": "no fields given"}])
        if data.active is not msgspec.UNSET:
            await service.set_active(user_id, data.active, request.user)
        if data.email is not msgspec.UNSET:
            await service.request_email(user_id, data.email, request.user, request.app.state.settings)
        return await _one(user_id)

    @post("/{user_id:int}/roles", opt=ADMIN, status_code=200, summary="Grant a role")
    async def grant_role(self, request: Request, user_id: FromPath[int], data: JSONBody[RoleGrant]) -> UserOut:
        await _one(user_id)
        await service.grant_role(user_id, data.role, request.user.label)
        return await _one(user_id)

    @delete("/{user_id:int}/roles/{role:str}", opt=ADMIN, status_code=200, summary="Remove a role")
    async def revoke_role(self, request: Request, user_id: FromPath[int], role: FromPath[str]) -> UserOut:
        await _one(user_id)
        if not await service.revoke_role(user_id, role, request.user.label):
            raise Problem(404, f"The user does not hold the role {role!r}.")
        return await _one(user_id)

    @post("/{user_id:int}/units", opt=ADMIN, status_code=200, summary="Add a unit affiliation")
    async def add_unit(self, request: Request, user_id: FromPath[int], data: JSONBody[UnitAffiliation]) -> UserOut:
        await _one(user_id)
        try:
            await service.add_unit(user_id, data.unit, request.user.label)
        except ValueError:
            raise Problem(422, f"Unknown unit {data.unit!r}.", errors=[{"field": "unit", "message": "unknown unit"}])
        return await _one(user_id)

    @delete("/{user_id:int}/units/{code:str}", opt=ADMIN, status_code=200, summary="Remove a unit affiliation")
    async def remove_unit(self, request: Request, user_id: FromPath[int], code: FromPath[str]) -> UserOut:
        await _one(user_id)
        if not await service.remove_unit(user_id, code, request.user.label):
            raise Problem(404, f"The user is not affiliated with {code!r}.")
        return await _one(user_id)

    @get("/{user_id:int}/role-changes", opt=ADMIN, summary="Who changed this user's roles and units, and when")
    async def role_changes(self, user_id: FromPath[int]) -> list[RoleChangeOut]:
        await _one(user_id)
        rows = await RoleChange.select().where(RoleChange.user == user_id).order_by(RoleChange.id)
        return [RoleChangeOut(action=r["action"], role=r["role"], unit_code=r["unit_code"],
                              changed_by=r["changed_by"], changed_at=_dt(r["changed_at"])) for r in rows]
