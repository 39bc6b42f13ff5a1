"""Notifications: rows in an outbox written in the same transaction as the change, delivered by
e-mail later (never blocking the action), and shown in the app.

Delivery is safe with several workers: a worker claims a row by moving it from ``pending`` to
``sending`` in one UPDATE; a row left ``sending`` by a worker that died is claimed again after
the claim expires."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Iterable

import aiosmtplib

from catalogue.settings import Settings
from catalogue.tables import AppUser, UserRole
from workflows.tables import Notification

log = logging.getLogger("catalogue.notify")
CLAIM_SECONDS = 600
BACKOFF_BASE_SECONDS = 60


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


async def users_with_role(role: str) -> list[int]:
    rows = await UserRole.raw(
        "SELECT r.\"user\" AS id FROM user_role r JOIN app_user u ON u.id = r.\"user\""
        " WHERE r.role = {} AND u.active = {}", role, True)
    return [r["id"] for r in rows]


async def enqueue(recipients: Iterable[int | None], kind: str, subject: str, body: str,
                  case_id: int | None = None) -> int:
    """Write one outbox row per recipient; call inside the transaction of the change."""
    ids = sorted({r for r in recipients if r})
    if not ids:
        return 0
    marks = ", ".join("{}" for _ in ids)
    emails = {r["id"]: r["email"] for r in await AppUser.raw(
        f"SELECT id, email FROM app_user WHERE id IN ({marks}) AND active = {{}}", *ids, True)}
    stamp = _now()
    rows = [Notification(recipient=user_id, email=emails.get(user_id), kind=kind, case=case_id,
                         subject=subject[:300], body=body, created_at=stamp,
                         delivery="pending" if emails.get(user_id) else "in_app_only",
                         attempts=0, next_attempt_at=stamp)
            for user_id in ids if user_id in emails]
    if rows:
        await Notification.insert(*rows)
    return len(rows)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # a header is one line, whatever a name contains
    message.set_content(body + "\n\n-- \nLæremiddelkatalogen, " + settings.municipality_name + "\n")
    return message


async def deliver_pending(settings: Settings, limit: int = 100) -> DeliveryReport:
    """Send what is due. Each failure backs off exponentially; after the last attempt the row is
    marked failed (and stays visible in the app)."""
    report = DeliveryReport()
    if not settings.smtp_host:
        return report
    now = _now()
    due = await Notification.select(Notification.id).where(
        Notification.delivery.is_in(["pending", "sending"]) & (Notification.next_attempt_at <= now)
    ).order_by(Notification.id).limit(limit)
    for row in due:
        claimed = await Notification.update({
            Notification.delivery: "sending",
            Notification.attempts: Notification.attempts + 1,
            Notification.next_attempt_at: now + datetime.timedelta(seconds=CLAIM_SECONDS),
        }).where(
            (Notification.id == row["id"]) & Notification.delivery.is_in(["pending", "sending"])
            & (Notification.next_attempt_at <= now)
        ).returning(Notification.id, Notification.email, Notification.subject, Notification.body,
                    Notification.attempts)
        if not claimed:
            continue  # another worker has it
        item = claimed[0]
        try:
            await aiosmtplib.send(
                _message(settings, item["email"], item["subject"], item["body"]),
                hostname=settings.smtp_host, port=settings.smtp_port,
                username=settings.smtp_username or None, password=settings.smtp_password or None,
                start_tls=settings.smtp_starttls and not settings.smtp_tls, use_tls=settings.smtp_tls,
                timeout=settings.http_timeout_seconds,
            )
        except Exception as exc:  # any delivery failure is retried later; the action is long done
            attempts = item["attempts"]
            final = attempts >= settings.notify_max_attempts
            await Notification.update({
                Notification.delivery: "failed" if final else "pending",
                Notification.next_attempt_at: _now() + datetime.timedelta(
                    seconds=BACKOFF_BASE_SECONDS * 2 ** (attempts - 1)),
                Notification.last_error: f"{type(exc).__name__}: {exc}"[:500],
            }).where(Notification.id == item["id"])
            if final:
                report.failed += 1
                log.warning("notification %s failed for good after %s attempts", item["id"], attempts)
            else:
                report.retried += 1
            continue
        await Notification.update({Notification.delivery: "sent", Notification.sent_at: _now(),
                                   Notification.last_error: None}).where(Notification.id == item["id"])
        report.sent += 1
    return report
