"""Users and their roles and units, as this service's own database holds them."""

from __future__ import annotations

import datetime

from catalogue.domain import ALL_ROLES
from catalogue.tables import AppUser, Unit, UserRole, UserUnit

LOCAL_ISSUER = "local"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


async def ensure_user(issuer: str, subject: str, display_name: str = "") -> int:
    """The id of the user (issuer, subject), created on first sight. Never matched by e-mail."""
    row = await AppUser.select(AppUser.id).where(
        (AppUser.issuer == issuer) & (AppUser.subject == subject)
    ).first()
    if row:
        if display_name:
            await AppUser.update({AppUser.display_name: display_name}).where(AppUser.id == row["id"])
        return row["id"]
    inserted = await AppUser.insert(
        AppUser(issuer=issuer, subject=subject, display_name=display_name or subject, created_at=_now())
    ).returning(AppUser.id)
    return inserted[0]["id"]


async def grant_role(user_id: int, role: str, granted_by: str) -> bool:
    """Give ``role`` to the user; False if they already held it."""
    if role not in ALL_ROLES:
        raise ValueError(f"unknown role {role!r}")
    exists = await UserRole.exists().where((UserRole.user == user_id) & (UserRole.role == role))
    if exists:
        return False
    await UserRole.insert(UserRole(user=user_id, role=role, granted_by=granted_by, granted_at=_now()))
    return True


async def add_unit(user_id: int, unit_code: str) -> None:
    unit = await Unit.select(Unit.id).where(Unit.code == unit_code).first()
    if unit is None:
        raise ValueError(f"unknown unit {unit_code!r}")
    if not await UserUnit.exists().where((UserUnit.user == user_id) & (UserUnit.unit == unit["id"])):
        await UserUnit.insert(UserUnit(user=user_id, unit=unit["id"]))


async def roles_of(user_id: int) -> list[str]:
    rows = await UserRole.select(UserRole.role).where(UserRole.user == user_id).order_by(UserRole.role)
    return [r["role"] for r in rows]
