"""Users and their roles and units, as this service's own database holds them."""

from __future__ import annotations

import datetime
from typing import Any

from catalogue.db import write_transaction
from catalogue.domain import ALL_ROLES, Role
from catalogue.problems import Problem
from catalogue.tables import AppUser, RoleChange, Unit, UserRole, UserUnit
from catalogue.security.sessions import revoke_user_sessions
from workflows import audit

LOCAL_ISSUER = "local"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


async def ensure_user(issuer: str, subject: str, display_name: str = "", email: str | None = None,
                      default_role: str | None = None) -> int:
    """The id of the user (issuer, subject), created on first sight with ``default_role``.
    Users are never matched by e-mail, and two identity providers never share an account."""
    row = await AppUser.select(AppUser.id).where(
        (AppUser.issuer == issuer) & (AppUser.subject == subject)
    ).first()
    if row:
        changes: dict[Any, Any] = {AppUser.last_seen_at: _now()}
        if display_name:
            changes[AppUser.display_name] = display_name
        if email:
            changes[AppUser.email] = email
        await AppUser.update(changes).where(AppUser.id == row["id"])
        return row["id"]
    async with write_transaction():
        inserted = await AppUser.insert(
            AppUser(issuer=issuer, subject=subject, display_name=display_name or subject, email=email,
                    created_at=_now(), last_seen_at=_now())
        ).returning(AppUser.id)
        user_id = inserted[0]["id"]
        if default_role:
            await grant_role(user_id, default_role, "first login")
    return user_id


async def _record(user_id: int, action: str, changed_by: str, role: str | None = None,
                  unit_code: str | None = None) -> None:
    """Record a role or unit change, in the change's own transaction, and in the audit chain."""
    await RoleChange.insert(RoleChange(user=user_id, action=action, role=role, unit_code=unit_code,
                                       changed_by=changed_by, changed_at=_now()))
    await audit.append(f"user.{action}", "user", user_id, {"role": role, "unit": unit_code}, actor=changed_by)


async def grant_role(user_id: int, role: str, granted_by: str) -> bool:
    """Give ``role`` to the user and record who did it; False if they already held it."""
    if role not in ALL_ROLES:
        raise ValueError(f"unknown role {role!r}")
    async with write_transaction():
        if await UserRole.exists().where((UserRole.user == user_id) & (UserRole.role == role)):
            return False
        await UserRole.insert(UserRole(user=user_id, role=role, granted_by=granted_by, granted_at=_now()))
        await _record(user_id, "grant_role", granted_by, role=role)
    return True


async def revoke_role(user_id: int, role: str, revoked_by: str) -> bool:
    """Take ``role`` from the user; the last active admin keeps theirs (409)."""
    async with write_transaction():
        if not await UserRole.exists().where((UserRole.user == user_id) & (UserRole.role == role)):
            return False
        if role == Role.ADMIN.value:
            admins = await UserRole.raw(
                "SELECT COUNT(*) AS n FROM user_role JOIN app_user ON app_user.id = user_role.\"user\""
                " WHERE user_role.role = {} AND app_user.active = {}", Role.ADMIN.value, True)
            if int(admins[0]["n"]) <= 1:
                raise Problem(409, "The last admin cannot lose the admin role.",
                              errors=[{"field": "role", "message": "last admin"}])
        await UserRole.delete().where((UserRole.user == user_id) & (UserRole.role == role))
        await _record(user_id, "revoke_role", revoked_by, role=role)
    return True


async def add_unit(user_id: int, unit_code: str, changed_by: str = "system") -> bool:
    unit = await Unit.select(Unit.id).where(Unit.code == unit_code).first()
    if unit is None:
        raise ValueError(f"unknown unit {unit_code!r}")
    async with write_transaction():
        if await UserUnit.exists().where((UserUnit.user == user_id) & (UserUnit.unit == unit["id"])):
            return False
        await UserUnit.insert(UserUnit(user=user_id, unit=unit["id"]))
        await _record(user_id, "add_unit", changed_by, unit_code=unit_code)
    return True


async def remove_unit(user_id: int, unit_code: str, changed_by: str) -> bool:
    unit = await Unit.select(Unit.id).where(Unit.code == unit_code).first()
    if unit is None:
        return False
    async with write_transaction():
        if not await UserUnit.exists().where((UserUnit.user == user_id) & (UserUnit.unit == unit["id"])):
            return False
        await UserUnit.delete().where((UserUnit.user == user_id) & (UserUnit.unit == unit["id"]))
        await _record(user_id, "remove_unit", changed_by, unit_code=unit_code)
    return True


async def roles_of(user_id: int) -> list[str]:
    rows = await UserRole.select(UserRole.role).where(UserRole.user == user_id).order_by(UserRole.role)
    return [r["role"] for r in rows]


async def find_user(reference: str) -> int | None:
    """A user by id, by ``issuer|subject``, or by subject when that is unambiguous."""
    if reference.isdigit():
        row = await AppUser.select(AppUser.id).where(AppUser.id == int(reference)).first()
        return row["id"] if row else None
    if "|" in reference:
        issuer, subject = reference.split("|", 1)
        row = await AppUser.select(AppUser.id).where(
            (AppUser.issuer == issuer) & (AppUser.subject == subject)).first()
        return row["id"] if row else None
    rows = await AppUser.select(AppUser.id).where(AppUser.subject == reference)
    if len(rows) > 1:
        raise ValueError(f"{reference!r} names {len(rows)} users; use issuer|subject or the id")
    return rows[0]["id"] if rows else None


async def set_active(user_id: int, active: bool, actor) -> bool:
    """Deactivate (ending every session at once) or reactivate a user, audited in the same
    transaction, as the API does. False when nothing changed; 409 for one's own account."""
    if not active and user_id == actor.user_id:
        raise Problem(409, "You cannot deactivate yourself.", errors=[{"field": "active", "message": "own account"}])
    async with write_transaction():
        row = await AppUser.select(AppUser.active).where(AppUser.id == user_id).first()
        if row is None:
            raise Problem(404, f"No user with id {user_id}.")
        if bool(row["active"]) == active:
            return False
        await AppUser.update({AppUser.active: active}).where(AppUser.id == user_id)
        if not active:
            await revoke_user_sessions(user_id)
        await audit.append("user.activate" if active else "user.deactivate", "user", user_id, {},
                           actor=actor.label, actor_user_id=actor.user_id)
    return True
