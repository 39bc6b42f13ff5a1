"""SIGKILL in the middle of the work, on both engines: a burst of proposals sent to a worker, and a
bulk import. After a restart every case's state is the one its history ends in, the audit chain
verifies, an import shows whole batches only, and the outbox sends what was committed, once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import httpx

import workflows.audit
from catalogue.tables import Resource
from tests.conftest import resource_body
from tests.workers import Mailbox, SmtpServer, start_worker, wait_until, worker_env
from workflows.tables import Case, CaseEvent, Notification

ROOT = Path(__file__).resolve().parents[1]


async def _cases_and_history() -> list[tuple[int, str, str | None]]:
    cases = await Case.select(Case.id, Case.state)
    events = await CaseEvent.select(CaseEvent.case, CaseEvent.to_state).where(
        CaseEvent.to_state.is_not_null()).order_by(CaseEvent.id)
    last = {}
    for event in events:
        last[event["case"]] = event["to_state"]
    return [(c["id"], c["state"], last.get(c["id"])) for c in cases]


async def _orphans() -> dict[str, int]:
    """Rows a half-written proposal would leave: a proposed resource without its case."""
    rows = await Resource.raw(
        "SELECT COUNT(*) AS n FROM resource r WHERE r.name LIKE {} "
        "AND NOT EXISTS (SELECT 1 FROM workflow_case c WHERE c.resource = r.id)", "Krasjforslag %")
    return {"resources_without_case": rows[0]["n"]}


async def _outbox() -> set[int]:
    rows = await Notification.select(Notification.id).where(Notification.email.is_not_null())
    return {r["id"] for r in rows}


async def _deliveries() -> set[str]:
    rows = await Notification.select(Notification.delivery).where(Notification.email.is_not_null())
    return {r["delivery"] for r in rows}


async def _give_email(user_id: int) -> None:
    from catalogue.tables import AppUser

    await AppUser.update({AppUser.email: f"saksbehandler{user_id}@fjordvik.kommune.no"}).where(AppUser.id == user_id)


def test_a_worker_killed_in_a_burst_of_proposals_leaves_every_case_whole(api, settings):
    admin = api.headers("admin")
    assert api.post("/api/v1/units", json={"code": "krasj-skole", "name": "Krasjskolen", "kind": "skole"},
                    headers=admin).status_code == 201
    reviewer = api.headers("sector_reviewer")  # the sector office is told of each submitted proposal
    api.run(_give_email, api.get("/api/v1/users/me", headers=reviewer).json()["id"])
    proposer = api.headers("ict_mentor", units=("krasj-skole",))
    worker = start_worker(settings, "burst")
    answered: list[httpx.Response | Exception] = []

    def burst() -> None:
        async def go() -> None:
            async with httpx.AsyncClient(base_url=worker.url, timeout=120) as client:
                async def one(i: int) -> None:
                    body = {"resource": resource_body(name=f"Krasjforslag {i}", status="draft",
                                                      url=f"https://krasj{i}.example.no"),
                            "justification": {"pedagogical_purpose": "Trengs.", "units": ["krasj-skole"]},
                            "submit": True}
                    try:
                        answered.append(await client.post("/api/v1/cases", json=body, headers=proposer))
                    except httpx.HTTPError as exc:
                        answered.append(exc)
                await asyncio.gather(*(one(i) for i in range(30)))
        asyncio.run(go())

    thread = threading.Thread(target=burst)
    thread.start()
    try:
        wait_until(lambda: len(answered) >= 3, what="the first answers")
        worker.kill()  # in the middle: some proposals answered, others in flight or not begun
    finally:
        thread.join(timeout=180)
        worker.stop()
    committed = [r.json()["case"]["id"] for r in answered if isinstance(r, httpx.Response) and r.status_code == 201]
    assert len(committed) >= 3, [r.status_code if isinstance(r, httpx.Response) else repr(r) for r in answered][:5] + [getattr(answered[0], "text", "")[:300]]
    assert not [r for r in answered if isinstance(r, httpx.Response) and r.status_code >= 500]

    with SmtpServer(Mailbox()) as smtp:
        restarted = start_worker(settings, "after", SCHEDULER_INTERVAL_SECONDS="1",
                                 SMTP_TIMEOUT_SECONDS="120", **smtp.env())
        try:
            outbox = api.run(_outbox)
            assert outbox, "the committed proposals notified the sector office"
            assert smtp.mailbox.wait_for(len(outbox)), smtp.mailbox.accepted
            wait_until(lambda: api.run(_deliveries) == {"sent"}, what="the outbox")
        finally:
            restarted.stop()
    assert Counter(smtp.mailbox.accepted) == Counter({f"<notification-{i}@fjordvik.kommune.no>": 1 for i in outbox})

    cases = api.run(_cases_and_history)
    ids = {case_id for case_id, _, _ in cases}
    assert set(committed) <= ids
    assert all(state == last for _, state, last in cases), cases
    assert api.run(_orphans) == {"resources_without_case": 0}
    result = api.run(workflows.audit.verify)
    assert result.ok, result


async def _import_state() -> dict[str, int]:
    resources = (await Resource.raw("SELECT COUNT(*) AS n FROM resource"))[0]["n"]
    indexed = (await Resource.raw("SELECT COUNT(DISTINCT resource) AS n FROM resource_facet"))[0]["n"]
    batches = (await Resource.raw("SELECT COUNT(*) AS n FROM audit_log WHERE action = {}", "resource.import"))[0]["n"]
    return {"resources": resources, "indexed": indexed, "batches": batches}


def test_a_bulk_import_killed_in_the_middle_shows_whole_batches_only(api, settings):
    env = worker_env(settings)
    importer = subprocess.Popen([sys.executable, "-m", "bench.load", "--n", "3000", "--batch-size", "250"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: api.run(_import_state)["batches"] >= 1 or importer.poll() is not None,
                   timeout=180, what="the first batch")
        importer.kill()
        importer.wait(timeout=30)
    finally:
        if importer.poll() is None:
            importer.kill()
    state = api.run(_import_state)
    assert state["batches"] >= 1
    assert state["resources"] == 250 * state["batches"] < 3000, state
    assert state["indexed"] == state["resources"], state  # each visible resource is searchable
    result = api.run(workflows.audit.verify)
    assert result.ok, result
    # the service starts on what is left and answers
    worker = start_worker(settings, "after-import")
    try:
        staff = api.headers("staff")
        response = httpx.get(f"{worker.url}/api/v1/resources", params={"limit": 1}, headers=staff, timeout=60)
        assert response.status_code == 200, response.text
    finally:
        worker.stop()
