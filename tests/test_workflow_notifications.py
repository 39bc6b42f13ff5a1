"""Acceptance tests of notifications: the in-app list, marking read, and e-mail delivery from the
outbox to a real SMTP server (aiosmtpd) with retries and backoff when the server is down.

The app under test is configured with an SMTP server that is not running: actions must succeed
all the same, because they only write to the outbox."""

from __future__ import annotations

import dataclasses
import datetime
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from catalogue.users import ensure_user
from tests.conftest import _settings
from tests.test_workflow_support import Flow
from workflows.notify import deliver_pending
from workflows.tables import Notification


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


DEAD_PORT = free_port()  # nothing listens here


@pytest.fixture
def settings(database_url, tmp_path, signing_pem):
    return _settings(database_url, tmp_path, signing_pem, smtp_host="127.0.0.1", smtp_port=DEAD_PORT,
                     smtp_starttls=False, smtp_from="katalog@fjordvik.example.no", notify_max_attempts=3,
                     http_timeout_seconds=5.0)


@pytest.fixture
def flow(api) -> Flow:
    flow = Flow(api)
    api.run(ensure_user, "local", "mentor-nord", "", "mentor@nord.example.no")
    api.run(ensure_user, "local", "vkko", "", "vkko@fjordvik.example.no")
    return flow


class Collector:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield collector, controller.port
    finally:
        controller.stop()


async def outbox() -> list[dict]:
    return await Notification.select().order_by(Notification.id)


async def make_due(notification_id: int) -> None:
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    await Notification.update({Notification.next_attempt_at: past}).where(Notification.id == notification_id)


def _aware(value) -> datetime.datetime:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def test_notifications_are_listed_to_their_recipient_and_marked_read(flow):
    case_id = flow.to_state("pedagogical_review")
    tasks = [n for n in flow.notifications(flow.sector) if n["case_id"] == case_id]
    assert [n["kind"] for n in tasks] == ["task"] and tasks[0]["read"] is False
    assert "Brøkbyggeren" in tasks[0]["subject"]

    flow.act(case_id, flow.sector, "return", reason="Beskriv hvilke trinn som skal bruke det.")
    mine = flow.notifications(flow.mentor)
    returned = [n for n in mine if n["kind"] == "return"]
    assert len(returned) == 1
    notice = returned[0]
    assert notice["case_id"] == case_id
    assert notice["subject"] == "Sendt tilbake til forslagsstilleren: Brøkbyggeren"
    assert "Beskriv hvilke trinn som skal bruke det." in notice["body"]
    assert notice["delivery"] == "pending"  # the mentor has an e-mail address
    assert all(n["id"] != notice["id"] for n in flow.notifications(flow.sector))

    # another user's notification does not exist for them
    assert flow.api.post(f"/api/v1/notifications/{notice['id']}/read", headers=flow.sector).status_code == 404
    assert flow.api.post("/api/v1/notifications/999999/read", headers=flow.mentor).status_code == 404
    assert flow.api.post(f"/api/v1/notifications/{notice['id']}/read").status_code == 401

    marked = flow.api.post(f"/api/v1/notifications/{notice['id']}/read", headers=flow.mentor)
    assert marked.status_code == 204
    after = {n["id"]: n for n in flow.notifications(flow.mentor)}
    assert after[notice["id"]]["read"] is True
    unread = flow.api.get("/api/v1/notifications?unread=true", headers=flow.mentor).json()
    assert notice["id"] not in [n["id"] for n in unread]
    # still unread for the sector reviewer
    assert flow.notifications(flow.sector)[0]["read"] is False


def test_notifications_are_delivered_by_email(flow, settings, smtp_server, api):
    collector, port = smtp_server
    smtp = dataclasses.replace(settings, smtp_port=port)
    case_id = flow.to_state("pedagogical_review")
    flow.act(case_id, flow.sector, "return", reason="Mangler lisensopplysninger.")
    pending = [n for n in api.run(outbox) if n["delivery"] == "pending"]
    # the mentor (return notice) and the sector reviewer with e-mail (task notice); the rest are in-app only
    assert sorted(n["email"] for n in pending) == ["mentor@nord.example.no", "vkko@fjordvik.example.no"]

    report = api.run(deliver_pending, smtp)
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    assert len(collector.messages) == 2
    by_to = {m["To"]: m for m in collector.messages}
    returned = by_to["mentor@nord.example.no"]
    assert returned["Subject"] == "Sendt tilbake til forslagsstilleren: Brøkbyggeren"
    assert returned["From"] == "katalog@fjordvik.example.no"
    assert "Mangler lisensopplysninger." in returned.get_content()
    assert by_to["vkko@fjordvik.example.no"]["Subject"] == "Ny oppgave: Brøkbyggeren"
    assert sorted(e.rcpt_tos[0] for e in collector.envelopes) == ["mentor@nord.example.no",
                                                                   "vkko@fjordvik.example.no"]

    rows = {n["id"]: n for n in api.run(outbox)}
    for n in pending:
        row = rows[n["id"]]
        assert row["delivery"] == "sent" and row["sent_at"] is not None and row["attempts"] == 1
    assert all(r["delivery"] == "in_app_only" for r in rows.values() if r["email"] is None)
    assert [n["delivery"] for n in flow.notifications(flow.mentor) if n["kind"] == "return"] == ["sent"]

    # nothing is sent twice
    again = api.run(deliver_pending, smtp)
    assert (again.sent, again.retried, again.failed) == (0, 0, 0)
    assert len(collector.messages) == 2


def test_delivery_retries_with_backoff_then_fails_and_never_blocks_the_action(flow, settings, api):
    case_id = flow.to_state("pedagogical_review")
    # the app's SMTP server is down: the action succeeds and only writes to the outbox
    returned = flow.act(case_id, flow.sector, "return", reason="Ufullstendig.")
    assert returned["state"] == "returned"
    notice = next(n for n in api.run(outbox) if n["kind"] == "return")
    assert notice["delivery"] == "pending" and notice["attempts"] == 0

    started = datetime.datetime.now(datetime.timezone.utc)
    report = api.run(deliver_pending, settings)
    assert report.sent == 0 and report.retried == 2 and report.failed == 0
    row = next(n for n in api.run(outbox) if n["id"] == notice["id"])
    assert row["delivery"] == "pending" and row["attempts"] == 1 and row["last_error"]
    delay = _aware(row["next_attempt_at"]) - started
    assert datetime.timedelta(seconds=55) <= delay <= datetime.timedelta(seconds=120)

    # not due yet: a second run right away leaves it alone
    assert api.run(deliver_pending, settings).retried == 0
    assert next(n for n in api.run(outbox) if n["id"] == notice["id"])["attempts"] == 1

    # each later attempt waits twice as long
    api.run(make_due, notice["id"])
    started = datetime.datetime.now(datetime.timezone.utc)
    assert api.run(deliver_pending, settings).retried == 1
    row = next(n for n in api.run(outbox) if n["id"] == notice["id"])
    assert row["delivery"] == "pending" and row["attempts"] == 2
    delay = _aware(row["next_attempt_at"]) - started
    assert datetime.timedelta(seconds=115) <= delay <= datetime.timedelta(seconds=180)

    # after notify_max_attempts (3) it is given up, and stays visible in the app
    api.run(make_due, notice["id"])
    final = api.run(deliver_pending, settings)
    assert final.failed == 1
    row = next(n for n in api.run(outbox) if n["id"] == notice["id"])
    assert row["delivery"] == "failed" and row["attempts"] == 3 and row["sent_at"] is None
    api.run(make_due, notice["id"])
    assert api.run(deliver_pending, settings).failed == 0
    assert next(n for n in api.run(outbox) if n["id"] == notice["id"])["attempts"] == 3
    listed = [n for n in flow.notifications(flow.mentor) if n["id"] == notice["id"]]
    assert listed[0]["delivery"] == "failed"

    # the proposer carries on regardless
    assert flow.act(case_id, flow.mentor, "resubmit")["state"] == "pedagogical_review"


def test_a_line_break_in_a_resource_name_neither_blocks_delivery_nor_adds_headers(flow, settings, smtp_server, api):
    """A name sent through the API with a line break is either refused, or its notices are mailed
    with the break flattened; it must never add a header nor leave the mail undeliverable."""
    collector, port = smtp_server
    name = "Brøkbyggeren\r\nBcc: spion@example.com"
    body = {"resource": {"name": name, "vendor": {"name": "Tallverkstedet AS"},
                         "url": "https://brokbyggeren.example.no", "kind": "practice_tool"},
            "justification": {"pedagogical_purpose": "Brøk", "units": ["nord-skole"]}, "submit": True}
    response = flow.api.post("/api/v1/cases", json=body, headers=flow.mentor)
    if response.status_code == 422:
        assert "resource.name" in [e["field"] for e in response.json()["errors"]]
        return
    assert response.status_code == 201, response.text
    report = api.run(deliver_pending, dataclasses.replace(settings, smtp_port=port))
    assert (report.sent, report.retried, report.failed) == (1, 0, 0), [
        (n["subject"], n["last_error"]) for n in api.run(outbox)]
    message = collector.messages[0]
    assert message["To"] == "vkko@fjordvik.example.no" and message["Bcc"] is None
    assert "\n" not in message["Subject"] and "Brøkbyggeren" in message["Subject"]
    assert [e.rcpt_tos for e in collector.envelopes] == [["vkko@fjordvik.example.no"]]
