"""Notifications: rows in an outbox written in the same transaction as the change, delivered by
e-mail later (never blocking the action), and shown in the app.

Every notification names the page where its recipient acts (``link``, a path; the e-mail gives it
in full with PUBLIC_BASE_URL). A user who chose the daily digest gets their notifications in one
e-mail a day (after DIGEST_HOUR, Norwegian time) instead of one each; the weekly digest comes on
Mondays (after DIGEST_HOUR).

Delivery is safe with several workers: a worker claims a row by moving it from ``pending`` to
``sending`` in one UPDATE; a row left ``sending`` by a worker that died is claimed again after
the claim expires (at once, when the worker that takes over the jobs lock finds it: see
workflows.jobs_lock). A digest is claimed by moving the user's ``digest_sent_on`` to today.

A wall clock that is set back (an NTP step, a wrong clock corrected) holds nothing back: an
attempt planned further ahead than any delay the service plans is due at once (see
``longest_delay``), and a digest day after today is not today's. Only the jobs lock holder sends,
so a claim that expires early when the clock jumps forward is not taken by another sender."""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Iterable

import aiosmtplib

from catalogue.db import write_transaction
from catalogue.observability import NOTIFICATIONS
from catalogue.settings import Settings
from catalogue.tables import AppUser, UserRole
from workflows.tables import Notification

log = logging.getLogger("catalogue.notify")
CLAIM_SECONDS = 600
BACKOFF_BASE_SECONDS = 60
OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
# sent by e-mail only: a digest repeats what the list shows, a verification link proves the mailbox
EMAIL_ONLY_KINDS = ("digest", "email_verification")
# modes that collect notifications into one e-mail: every day, or every Monday (WEEKLY_DAY)
DIGEST_MODES = ("digest", "weekly")
WEEKLY_DAY = 0  # Monday


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


async def users_with_role(role: str) -> list[int]:
    rows = await UserRole.raw(
        "SELECT r.\"user\" AS id FROM user_role r JOIN app_user u ON u.id = r.\"user\""
        " WHERE r.role = {} AND u.active = {}", role, True)
    return [r["id"] for r in rows]


def _delivery(email: str | None, mode: str | None) -> str:
    if not email:
        return "in_app_only"
    return "digest" if mode in DIGEST_MODES else "pending"


async def enqueue(recipients: Iterable[int | None], kind: str, subject: str, body: str,
                  case_id: int | None = None, link: str | None = None) -> int:
    """Write one outbox row per recipient; call inside the transaction of the change. ``link`` is
    the page where the recipient acts (the case, by default, when there is one)."""
    ids = sorted({r for r in recipients if r})
    if not ids:
        return 0
    marks = ", ".join("{}" for _ in ids)
    users = {r["id"]: r for r in await AppUser.raw(
        f"SELECT id, email, notification_mode FROM app_user WHERE id IN ({marks}) AND active = {{}}", *ids, True)}
    stamp = _now()
    link = link or (f"/saker/{case_id}" if case_id else "/varsler")
    rows = [Notification(recipient=user_id, email=users[user_id]["email"], kind=kind, case=case_id,
                         subject=subject[:300], body=body, link=link[:500], created_at=stamp,
                         delivery=_delivery(users[user_id]["email"], users[user_id]["notification_mode"]),
                         attempts=0, next_attempt_at=stamp)
            for user_id in ids if user_id in users]
    if rows:
        await Notification.insert(*rows)
    return len(rows)


async def enqueue_email(user_id: int, address: str, kind: str, subject: str, body: str, link: str) -> None:
    """An e-mail to one address that need not be the user's own yet (a verification link)."""
    stamp = _now()
    await Notification.insert(Notification(recipient=user_id, email=address, kind=kind, subject=subject[:300],
                                           body=body, link=link[:500], created_at=stamp, delivery="pending",
                                           attempts=0, next_attempt_at=stamp))


def absolute(settings: Settings, link: str | None) -> str:
    """The address of a page for an e-mail: PUBLIC_BASE_URL and the path."""
    link = link or "/varsler"
    if link.startswith(("http://", "https://")):
        return link
    base = settings.public_base_url or f"http://{settings.host}:{settings.port}"
    return base.rstrip("/") + link


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _message(settings: Settings, to: str, subject: str, body: str, link: str | None,
             notification_id: int | None = None) -> EmailMessage:
    message = EmailMessage()
    if notification_id is not None:
        # the same Message-ID on every attempt, so a receiving server can drop a repeat
        domain = settings.smtp_from.rpartition("@")[2] or "localhost"
        message["Message-ID"] = f"<notification-{notification_id}@{domain}>"
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # a header is one line, whatever a name contains
    message.set_content(body + f"\n\nÅpne i Læremiddelkatalogen: {absolute(settings, link)}"
                        + "\n\n-- \nLæremiddelkatalogen, " + settings.municipality_name + "\n"
                        + f"Velg e-post for hvert varsel, én gang om dagen eller én gang i uken: {absolute(settings, SETTINGS_PAGE)}\n")
    return message


SETTINGS_PAGE = "/varsler/innstillinger"


def _backoff(attempts: int) -> datetime.timedelta:
    """How long to wait before trying again after ``attempts`` failed attempts."""
    return datetime.timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))


def longest_delay(settings: Settings) -> datetime.timedelta:
    """The furthest ahead deliver_pending ever plans an attempt: a claim, or the backoff after the
    last attempt but one. An attempt planned further ahead than this can only have been planned by
    a clock that has since been set back, so it is due now (not in 400 days)."""
    return max(datetime.timedelta(seconds=CLAIM_SECONDS), _backoff(max(1, settings.notify_max_attempts - 1)))


async def deliver_pending(settings: Settings, limit: int = 100) -> DeliveryReport:
    """Send what is due. Each failure backs off exponentially; after the last attempt the row is
    marked failed (and stays visible in the app)."""
    report = DeliveryReport()
    if not settings.smtp_host:
        return report
    now = _now()
    due_now = (Notification.next_attempt_at <= now) | (Notification.next_attempt_at > now + longest_delay(settings))
    due = await Notification.select(Notification.id).where(
        Notification.delivery.is_in(["pending", "sending"]) & due_now
    ).order_by(Notification.id).limit(limit)
    for row in due:
        claimed = await Notification.update({
            Notification.delivery: "sending",
            Notification.attempts: Notification.attempts + 1,
            Notification.next_attempt_at: now + datetime.timedelta(seconds=CLAIM_SECONDS),
        }).where(
            (Notification.id == row["id"]) & Notification.delivery.is_in(["pending", "sending"]) & due_now
        ).returning(Notification.id, Notification.email, Notification.subject, Notification.body,
                    Notification.link, Notification.attempts)
        if not claimed:
            continue  # another worker has it
        item = claimed[0]
        try:
            await aiosmtplib.send(
                _message(settings, item["email"], item["subject"], item["body"], item["link"], item["id"]),
                hostname=settings.smtp_host, port=settings.smtp_port,
                username=settings.smtp_username or None, password=settings.smtp_password or None,
                start_tls=settings.smtp_starttls and not settings.smtp_tls, use_tls=settings.smtp_tls,
                timeout=settings.smtp_timeout_seconds,
            )
        except Exception as exc:  # any delivery failure is retried later; the action is long done
            attempts = item["attempts"]
            final = attempts >= settings.notify_max_attempts
            await Notification.update({
                Notification.delivery: "failed" if final else "pending",
                Notification.next_attempt_at: _now() + _backoff(attempts),
                Notification.last_error: f"{type(exc).__name__}: {exc}"[:500],
            }).where(Notification.id == item["id"])
            NOTIFICATIONS.labels("failed" if final else "retry").inc()
            if final:
                report.failed += 1
                log.warning("notification %s failed for good after %s attempts", item["id"], attempts)
            else:
                report.retried += 1
            continue
        await Notification.update({Notification.delivery: "sent", Notification.sent_at: _now(),
                                   Notification.last_error: None}).where(Notification.id == item["id"])
        report.sent += 1
        NOTIFICATIONS.labels("sent").inc()
    return report


def _local_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(OSLO).date()


async def send_digests(settings: Settings, moment: datetime.datetime | None = None) -> int:
    """Once a day, after DIGEST_HOUR (Norwegian time), put each digest reader's waiting
    notifications into one e-mail (delivered from the outbox like any other). Returns how many
    digests were made; safe to run often and from several workers (one claims each user's day)."""
    moment = moment or _now()
    if moment.astimezone(OSLO).hour < settings.digest_hour:
        return 0
    day = _local_day(moment)
    waiting = await Notification.raw(
        "SELECT DISTINCT n.recipient, u.notification_mode FROM notification n JOIN app_user u ON u.id = n.recipient"
        " WHERE n.delivery = {}", "digest")
    made = 0
    for user_id, mode in sorted((r["recipient"], r["notification_mode"]) for r in waiting):
        weekly = mode == "weekly"
        if weekly and day.weekday() != WEEKLY_DAY:
            continue  # the weekly digest goes out on Mondays; the rest wait for it
        async with write_transaction():
            # a day after today was claimed by a clock since set back: it is not today's digest
            claimed = await AppUser.update({AppUser.digest_sent_on: day}).where(
                (AppUser.id == user_id) & (AppUser.digest_sent_on.is_null() | (AppUser.digest_sent_on != day))
            ).returning(AppUser.email, AppUser.active)
            if not claimed:
                continue  # today's digest is made (here or by another worker); the rest wait for tomorrow
            items = await Notification.update({Notification.delivery: "in_digest"}).where(
                (Notification.recipient == user_id) & (Notification.delivery == "digest")
            ).returning(Notification.id, Notification.subject, Notification.body, Notification.link)
            email = claimed[0]["email"]
            if not items or not email or not claimed[0]["active"]:
                continue
            items.sort(key=lambda r: r["id"])
            parts = [f"Du har {len(items)} nye varsler i Læremiddelkatalogen:"]
            for item in items:
                parts.append(f"* {item['subject']}\n{item['body']}\n{absolute(settings, item['link'])}")
            stamp = _now()
            await Notification.insert(Notification(
                recipient=user_id, email=email, kind="digest",
                subject=f"{'Ukens' if weekly else 'Dagens'} varsler fra Læremiddelkatalogen ({len(items)})",
                body="\n\n".join(parts), link="/varsler", created_at=stamp, delivery="pending", attempts=0,
                next_attempt_at=stamp))
            made += 1
    return made
