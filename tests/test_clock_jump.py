"""A wall clock that jumps (400 days ahead and back again, or an hour back as an NTP step may do):
nothing is lost and nothing is done twice. The revision scheduler opens one case per due
resource, workflow actions and the audit chain go on across the jump, the outbox delivers each
e-mail once and holds none for the length of the jump, consultations close once, and tokens get
a clear answer.

time-machine moves the clock of the whole process, so the app serving the test client sees it
too; the monotonic clock (asyncio's) runs on untouched. Each test starts at 10:00 UTC today (the
"real" time; 11:00 or 12:00 in Oslo, after the digest hour), and users sign in again after a
jump, as a client would once its token is refused."""

from __future__ import annotations

import dataclasses
import datetime
import threading

import pytest
import time_machine
from jose import jwt

from catalogue.users import ensure_user
from tests.conftest import _settings, resource_body
from tests.test_workflow_notifications import DEAD_PORT, outbox
from tests.test_workflow_revision import FAR, cases, patch, publish, run_scheduler
from tests.test_workflow_support import NORD, Flow, today
from tests.workers import Mailbox, SmtpServer
from workflows import audit, notify, scheduler
from workflows.jobs_lock import JobsLock

JUMP = datetime.timedelta(days=400)
STEP_BACK = datetime.timedelta(hours=1)
PROBLEM = "application/problem+json"
HTML = {"Accept": "text/html"}
RATINGS = {"curriculum_fit": 4, "ease_of_use": 5}


@pytest.fixture
def clock():
    """The process's wall clock, at 10:00 UTC today and ticking; shift it to jump."""
    start = datetime.datetime.now(datetime.timezone.utc).replace(hour=10, minute=0, second=0, microsecond=0)
    with time_machine.travel(start, tick=True) as traveller:
        yield traveller


@pytest.fixture
def settings(database_url, tmp_path, signing_pem):
    return _settings(database_url, tmp_path, signing_pem, smtp_host="127.0.0.1", smtp_port=DEAD_PORT,
                     smtp_starttls=False, smtp_from="katalog@fjordvik.example.no", http_timeout_seconds=5.0)


@pytest.fixture
def flow(clock, api) -> Flow:
    flow = Flow(api)
    api.run(ensure_user, "local", "mentor-nord", "", "mentor@nord.example.no")
    api.run(ensure_user, "local", "vkko", "", "vkko@fjordvik.example.no")
    return flow


@pytest.fixture
def mailbox():
    box = Mailbox()
    with SmtpServer(box) as server:
        yield box, server.port


def sign_in_again(flow: Flow) -> None:
    """Every user of the flow gets a new token by the clock as it is now (the same header dicts)."""
    tokens = flow.api.client.app.state.tokens
    for headers in (flow.admin, flow.mentor, flow.mentor_same_unit, flow.mentor_other_unit, flow.sector,
                    flow.privacy, flow.tech, flow.dpo, flow.staff):
        claims = jwt.get_unverified_claims(headers["Authorization"].removeprefix("Bearer "))
        headers["Authorization"] = f"Bearer {tokens.issue(claims['sub'], name=claims.get('name', ''))}"


def jump(flow: Flow, clock, delta: datetime.timedelta) -> None:
    clock.shift(delta)
    sign_in_again(flow)


def deliver(flow: Flow, settings, port: int = DEAD_PORT) -> notify.DeliveryReport:
    return flow.api.run(notify.deliver_pending, dataclasses.replace(settings, smtp_port=port))


def message_id(notification_id: int) -> str:
    return f"<notification-{notification_id}@fjordvik.example.no>"


def emailed(flow: Flow) -> list[dict]:
    return [n for n in flow.api.run(outbox) if n["email"] and n["kind"] != "digest"]


# --- the revision scheduler ----------------------------------------------------------------------


def test_a_forward_jump_past_revision_dates_opens_one_case_per_due_resource_and_none_again_after_the_jump_back(
        flow, clock, settings):
    soon = publish(flow, "Brøkbyggeren")
    later = publish(flow, "Tallinja")
    publish(flow, "Ordjakten")  # revised in three years: still not due 400 days ahead
    draft = publish(flow, "Utkastet", status="draft")
    patch(flow, soon, next_revision_date=(today() + datetime.timedelta(days=100)).isoformat())
    patch(flow, later, next_revision_date=(today() + datetime.timedelta(days=300)).isoformat())
    patch(flow, draft, next_revision_date=(today() + datetime.timedelta(days=100)).isoformat())
    assert run_scheduler(flow, settings).opened == []

    jump(flow, clock, JUMP)
    first = run_scheduler(flow, settings)
    assert len(first.opened) == 2
    assert run_scheduler(flow, settings).opened == []
    revisions = cases(flow, kind="revision")
    assert sorted(c["resource_id"] for c in revisions) == [soon["id"], later["id"]]

    jump(flow, clock, -JUMP)
    assert run_scheduler(flow, settings).opened == []
    after = cases(flow, kind="revision")
    assert sorted(c["id"] for c in after) == sorted(first.opened)
    for case_id in first.opened:
        case = flow.case(case_id)
        assert case["state"] == "privacy_review" and case["closed_at"] is None
        assert [e["action"] for e in flow.history(case_id)["events"]] == ["open"]
        told = [n for n in flow.notifications(flow.privacy) if n["case_id"] == case_id]
        assert [n["kind"] for n in told] == ["task"]
    # the next jump ahead finds the same cases open and opens nothing more either
    jump(flow, clock, JUMP)
    assert run_scheduler(flow, settings).opened == []
    assert len(cases(flow, kind="revision")) == 2


# --- workflow actions and the audit chain --------------------------------------------------------


def test_workflow_actions_go_on_across_a_jump_ahead_and_back_and_the_audit_chain_still_verifies(flow, clock):
    case_id = flow.to_state("pedagogical_review", licence_expires=FAR)

    jump(flow, clock, JUMP)
    assert flow.approve(case_id, "pedagogical_review")["state"] == "privacy_review"
    assert flow.approve(case_id, "privacy_review")["state"] == "procurement"

    jump(flow, clock, -JUMP)
    approved = flow.approve(case_id, "procurement")
    assert approved["state"] == "approved" and approved["closed_at"] is not None
    assert flow.resource(case_id)["status"] == "published"
    history = flow.history(case_id)
    assert [e["action"] for e in history["events"]] == ["create", "submit", "approve", "approve", "approve"]
    stamps = [entry["occurred_at"] for entry in history["audit"]]
    assert stamps[-1] < stamps[-2]  # the chain's time really went backwards here

    verified = flow.api.run(audit.verify)
    assert verified.ok, verified
    assert verified.entries >= len(history["audit"])


def test_a_step_opened_while_the_clock_was_ahead_falls_due_again_from_the_day_the_clock_is_right(
        flow, clock, settings):
    period = datetime.timedelta(days=settings.step_due_days)
    jump(flow, clock, JUMP)
    case_id = flow.to_state("pedagogical_review", licence_expires=FAR)
    assert flow.case(case_id)["step_due"] == (today() + period).isoformat()

    jump(flow, clock, -JUMP)  # the step is now due 400 days out
    run_scheduler(flow, settings)
    assert flow.case(case_id)["step_due"] == (today() + period).isoformat()
    assert case_id not in run_scheduler(flow, settings).overdue
    overdue = run_scheduler(flow, settings, today() + period + datetime.timedelta(days=1)).overdue
    assert case_id in overdue  # its overdue notice comes after the step's period, not 400 days later


# --- the e-mail outbox ---------------------------------------------------------------------------


def test_notifications_queued_while_the_clock_was_ahead_are_delivered_once_after_the_jump_back(
        flow, clock, settings, mailbox):
    box, port = mailbox
    jump(flow, clock, JUMP)
    case_id = flow.to_state("pedagogical_review", licence_expires=FAR)
    assert deliver(flow, settings).retried == 1  # the SMTP server is down: the task notice waits a minute
    flow.act(case_id, flow.sector, "return", reason="Mangler lisensopplysninger.")  # never tried before the jump
    waiting = emailed(flow)
    assert sorted(n["email"] for n in waiting) == ["mentor@nord.example.no", "vkko@fjordvik.example.no"]

    jump(flow, clock, -JUMP)
    report = deliver(flow, settings, port)
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    assert sorted(box.accepted) == sorted(message_id(n["id"]) for n in waiting)
    assert (deliver(flow, settings, port).sent, deliver(flow, settings, port).sent) == (0, 0)
    assert len(box.accepted) == 2
    assert all(n["delivery"] == "sent" for n in emailed(flow))


def test_a_retry_planned_before_the_clock_steps_back_an_hour_is_delivered_once_without_waiting_the_hour(
        flow, clock, settings, mailbox):
    box, port = mailbox
    flow.to_state("pedagogical_review", licence_expires=FAR)
    assert deliver(flow, settings).retried == 1
    assert deliver(flow, settings).retried == 0  # the backoff holds it as planned while the clock is steady
    [notice] = emailed(flow)
    assert notice["delivery"] == "pending" and notice["attempts"] == 1

    clock.shift(-STEP_BACK)
    assert deliver(flow, settings, port).sent == 1
    assert deliver(flow, settings, port).sent == 0
    assert box.accepted == [message_id(notice["id"])]


def test_a_delivery_cut_off_before_the_clock_steps_back_is_sent_once_without_waiting_for_its_claim(
        flow, clock, settings):
    box = Mailbox(hold_at=1)  # the first message is held unanswered, then refused
    with SmtpServer(box) as server:
        flow.to_state("pedagogical_review", licence_expires=FAR)
        stopped = threading.Event()

        async def sender() -> None:
            try:
                await notify.deliver_pending(dataclasses.replace(settings, smtp_port=server.port))
            finally:
                stopped.set()

        sending = flow.api.client.blocking_portal.start_task_soon(sender)
        assert box.held.wait(30)
        # the send is cut off after the claim (cancelled here; a failed database update does the
        # same), and this worker goes on holding the jobs lock: nobody hands the row back
        sending.cancel()
        assert stopped.wait(30)
        box.release.set()
        [notice] = emailed(flow)
        assert notice["delivery"] == "sending" and box.accepted == []

        clock.shift(-STEP_BACK)  # its claim now ends an hour and ten minutes from now
        assert deliver(flow, settings, server.port).sent == 1
        assert deliver(flow, settings, server.port).sent == 0
        assert box.accepted == [message_id(notice["id"])]


def test_a_delivery_in_flight_when_the_clock_jumps_ahead_is_sent_only_by_the_jobs_lock_holder(
        flow, clock, settings):
    holder, other = JobsLock(settings), JobsLock(settings)
    assert flow.api.run(holder.acquire)
    box = Mailbox(hold_at=1)
    try:
        with SmtpServer(box) as server:
            smtp = dataclasses.replace(settings, smtp_port=server.port)
            flow.to_state("pedagogical_review", licence_expires=FAR)
            sending = flow.api.client.blocking_portal.start_task_soon(notify.deliver_pending, smtp)
            assert box.held.wait(30)

            clock.shift(JUMP)  # the row's claim has run out by the clock while its message is on the wire
            [notice] = emailed(flow)
            assert notice["delivery"] == "sending"
            assert flow.api.run(other.acquire) is False  # so no other worker sends it meanwhile
            box.release.set()
            assert sending.result(30).retried == 1  # the server refused the held message

            clock.shift(datetime.timedelta(seconds=notify.BACKOFF_BASE_SECONDS))  # the retry's wait
            assert flow.api.run(notify.deliver_pending, smtp).sent == 1
            assert flow.api.run(notify.deliver_pending, smtp).sent == 0
            assert box.accepted == [message_id(notice["id"])]
    finally:
        flow.api.run(other.release)
        flow.api.run(holder.release)


def test_a_digest_made_while_the_clock_was_ahead_does_not_hold_the_next_for_the_length_of_the_jump(
        flow, clock, settings, mailbox):
    box, port = mailbox
    chosen = flow.api.patch("/api/v1/users/me", json={"notification_mode": "digest"}, headers=flow.mentor)
    assert chosen.status_code == 200, chosen.text

    jump(flow, clock, JUMP)
    flow.to_state("returned", licence_expires=FAR)
    assert flow.api.run(notify.send_digests, settings) == 1
    assert flow.api.run(notify.send_digests, settings) == 0

    jump(flow, clock, -JUMP)
    flow.to_state("returned", name="Tallinja", licence_expires=FAR)
    assert flow.api.run(notify.send_digests, settings) == 1
    assert flow.api.run(notify.send_digests, settings) == 0  # still once a day
    deliver(flow, settings, port)
    digests = [n for n in flow.api.run(outbox) if n["kind"] == "digest"]
    assert [n["subject"] for n in digests] == ["Dagens varsler fra Læremiddelkatalogen (1)"] * 2
    assert [box.accepted.count(message_id(n["id"])) for n in digests] == [1, 1]
    assert "Tallinja" in digests[1]["body"] and "Tallinja" not in digests[0]["body"]


# --- tokens and sessions -------------------------------------------------------------------------


def test_a_token_issued_just_before_the_clock_steps_back_an_hour_gets_a_clear_401_and_nothing_saved_is_lost(
        clock, api):
    used = {"Authorization": f"Bearer {api.token('sector_reviewer')}"}
    unused = {"Authorization": f"Bearer {api.token('sector_reviewer')}"}
    created = api.post("/api/v1/resources", json=resource_body(), headers=used)
    assert created.status_code == 201, created.text
    saved = created.json()
    api.login_page("staff", user="laerer-nord")
    assert api.get("/varsler").status_code == 200

    clock.shift(-STEP_BACK)
    for headers in (used, unused):  # one this worker has accepted before, one it has not seen
        refused = api.get(f"/api/v1/resources/{saved['id']}", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "clock" in refused.json()["detail"]
        write = api.patch(f"/api/v1/resources/{saved['id']}", json={"name": "Endret"},
                          headers={**headers, "If-Match": f'"resource:{saved["id"]}:{saved["version"]}"'})
        assert write.status_code == 401
    page = api.get("/varsler", headers=HTML)  # the browser's session: a visitor now, asked to sign in
    assert page.status_code == 401 and "Du må logge inn" in page.text

    fresh = {"Authorization": f"Bearer {api.token('sector_reviewer')}"}
    kept = api.get(f"/api/v1/resources/{saved['id']}", headers=fresh)
    assert kept.status_code == 200
    assert {k: kept.json()[k] for k in ("name", "version", "url")} == {k: saved[k] for k in ("name", "version", "url")}
    api.login_page("staff", user="laerer-nord")
    assert api.get("/varsler").status_code == 200

    clock.shift(STEP_BACK)  # once the clock has caught up, the first token is good again until it expires
    assert api.get(f"/api/v1/resources/{saved['id']}", headers=used).status_code == 200


def test_a_token_accepted_while_the_clock_was_ahead_is_refused_after_the_jump_back(clock, api):
    before = {"Authorization": f"Bearer {api.token('sector_reviewer')}"}
    created = api.post("/api/v1/resources", json=resource_body(), headers=before)
    assert created.status_code == 201, created.text
    resource = f"/api/v1/resources/{created.json()['id']}"

    clock.shift(JUMP)
    expired = api.get(resource, headers=before)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    ahead = {"Authorization": f"Bearer {api.token('sector_reviewer')}"}
    assert api.get(resource, headers=ahead).status_code == 200
    api.login_page("staff", user="laerer-nord")
    assert api.get("/varsler").status_code == 200

    clock.shift(-JUMP)  # neither the token nor the session made 400 days ahead lives on for 400 days
    refused = api.get(resource, headers=ahead)
    assert refused.status_code == 401 and refused.headers["content-type"].startswith(PROBLEM)
    assert "clock" in refused.json()["detail"]
    page = api.get("/varsler", headers=HTML)
    assert page.status_code == 401 and "Du må logge inn" in page.text
    fresh = {"Authorization": f"Bearer {api.token('sector_reviewer')}"}
    assert api.get(resource, headers=fresh).json()["name"] == "Brøkbyggeren"


# --- consultations -------------------------------------------------------------------------------


def test_a_forward_jump_past_a_consultation_deadline_closes_it_once_and_keeps_the_answers(flow, clock, settings):
    case_id = flow.to_state("pedagogical_review", licence_expires=FAR)
    started = flow.post_action(case_id, flow.sector, "start_consultation", consultation={
        "question": "Prøv brøkoppgavene med en klasse.", "units": [NORD],
        "deadline": (today() + datetime.timedelta(days=14)).isoformat(), "criteria": list(RATINGS)})
    assert started.status_code == 200, started.text
    consultation_id = flow.api.get("/api/v1/consultations", headers=flow.staff).json()[0]["id"]
    url = f"/api/v1/consultations/{consultation_id}"
    answered = flow.api.put(f"{url}/answer", json={"ratings": RATINGS, "comment": "Elevene likte det."},
                            headers=flow.staff)
    assert answered.status_code == 200, answered.text
    assert flow.api.run(scheduler.run_once, settings).consultations_closed == []

    jump(flow, clock, JUMP)
    assert flow.api.run(scheduler.run_once, settings).consultations_closed == [case_id]
    assert flow.api.run(scheduler.run_once, settings).consultations_closed == []

    jump(flow, clock, -JUMP)  # the deadline lies ahead again, but a closed consultation stays closed
    assert flow.api.run(scheduler.run_once, settings).consultations_closed == []
    case = flow.case(case_id)
    assert case["state"] == "pedagogical_review"
    [summary] = case["step_data"]["consultations"]
    assert summary["answered"] == 1 and [c["average"] for c in summary["criteria"]] == [4.0, 5.0]
    seen = flow.api.get(url, headers=flow.staff).json()
    assert seen["state"] == "closed" and seen["may_answer"] is False
    assert seen["my_answer"] == {"ratings": RATINGS, "comment": "Elevene likte det."}
    late = flow.api.put(f"{url}/answer", json={"ratings": RATINGS}, headers=flow.staff)
    assert late.status_code == 409
    assert [e["action"] for e in flow.history(case_id)["events"]].count("close_consultation") == 1
    assert flow.api.run(audit.verify).ok
