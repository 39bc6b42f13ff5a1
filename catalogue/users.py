"""Users and their roles and units, as this service's own database holds them."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from catalogue.db import write_transaction
from catalogue.domain import ALL_ROLES, Role
from catalogue.problems import Problem
from catalogue.tables import AppUser, RoleChange, Unit, UserRole, UserUnit
from catalogue.security.sessions import revoke_user_sessions
from workflows import audit, notify
from workflows.tables import Notification

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
        await AppUser.update(changes).where(AppUser.id == row["id"])
        if email:
            # the identity provider's address, unless the person verified one of their own here
            await AppUser.update({AppUser.email: email, AppUser.email_source: "idp"}).where(
                (AppUser.id == row["id"]) & (AppUser.email_source.is_null() | (AppUser.email_source == "idp")))
        return row["id"]
    async with write_transaction():
        inserted = await AppUser.insert(
            AppUser(issuer=issuer, subject=subject, display_name=display_name or subject, email=email,
                    email_source="idp" if email else None, created_at=_now(), last_seen_at=_now())
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


# --- e-mail address and how notifications arrive ----------------------------------------------

EMAIL_LINK_HOURS = 48
VERIFY_PAGE = "/epost/bekreft"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def request_email(user_id: int, address: str | None, actor, settings) -> None:
    """Set a user's e-mail address (the user, or an admin for them). A new address is used once
    the link sent to it is followed, so mail never goes to an address nobody checked; None
    removes the address at once."""
    async with write_transaction():
        row = await AppUser.select(AppUser.email).where(AppUser.id == user_id).first()
        if row is None:
            raise Problem(404, f"No user with id {user_id}.")
        if address is None:
            await AppUser.update({AppUser.email: None, AppUser.email_source: None, AppUser.email_pending: None,
                                  AppUser.email_token_hash: None, AppUser.email_token_expires: None}).where(
                AppUser.id == user_id)
            await audit.append("user.email_remove", "user", user_id, {}, actor=actor.label,
                               actor_user_id=actor.user_id)
            return
        if not settings.smtp_host:
            raise Problem(409, "The service sends no e-mail (SMTP_HOST is not set), so the address cannot be verified.",
                          errors=[{"field": "email", "message": "no e-mail delivery configured"}])
        token = secrets.token_urlsafe(32)
        await AppUser.update({
            AppUser.email_pending: address, AppUser.email_token_hash: _token_hash(token),
            AppUser.email_token_expires: _now() + datetime.timedelta(hours=EMAIL_LINK_HOURS),
        }).where(AppUser.id == user_id)
        link = f"{VERIFY_PAGE}?token={token}"
        await notify.enqueue_email(
            user_id, address, "email_verification", "Bekreft e-postadressen din i Læremiddelkatalogen",
            f"{'Du' if actor.user_id == user_id else actor.label} har bedt om at varsler fra Læremiddelkatalogen "
            f"sendes til {address}.\nFølg lenken for å bekrefte adressen. Lenken gjelder i {EMAIL_LINK_HOURS} timer.\n"
            "Har du ikke bedt om dette, kan du se bort fra e-posten.", link)
        await audit.append("user.email_request", "user", user_id, {"address": address}, actor=actor.label,
                           actor_user_id=actor.user_id)


async def pending_for_token(token: str) -> dict[str, Any] | None:
    """The user and address a verification link is for, while the link is valid."""
    row = await AppUser.select(AppUser.id, AppUser.display_name, AppUser.email_pending,
                               AppUser.email_token_expires).where(AppUser.email_token_hash == _token_hash(token)).first()
    if row is None or row["email_pending"] is None:
        return None
    expires = row["email_token_expires"]
    if isinstance(expires, str):
        expires = datetime.datetime.fromisoformat(expires)
    if expires is None or (expires if expires.tzinfo else expires.replace(tzinfo=datetime.timezone.utc)) < _now():
        return None
    return row


async def verify_email(token: str) -> int:
    """Follow a verification link: the pending address becomes the user's address. The link works once."""
    async with write_transaction():
        row = await pending_for_token(token)
        if row is None:
            raise Problem(404, "The link is unknown, used or expired. Ask for a new one.",
                          errors=[{"field": "token", "message": "unknown, used or expired"}])
        await AppUser.update({AppUser.email: row["email_pending"], AppUser.email_source: "verified",
                              AppUser.email_pending: None, AppUser.email_token_hash: None,
                              AppUser.email_token_expires: None}).where(AppUser.id == row["id"])
        await audit.append("user.email_verify", "user", row["id"], {"address": row["email_pending"]},
                           actor=row["display_name"] or f"user:{row['id']}", actor_user_id=row["id"])
    return row["id"]


async def set_notification_mode(user_id: int, mode: str, actor) -> None:
    """Immediate mail, one digest a day or one a week. Notifications waiting for a digest go out now when the
    user goes back to immediate mail."""
    async with write_transaction():
        await AppUser.update({AppUser.notification_mode: mode}).where(AppUser.id == user_id)
        if mode == "immediate":
            await Notification.update({Notification.delivery: "pending"}).where(
                (Notification.recipient == user_id) & (Notification.delivery == "digest"))
        await audit.append("user.notification_mode", "user", user_id, {"mode": mode}, actor=actor.label,
                           actor_user_id=actor.user_id)
