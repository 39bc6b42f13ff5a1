"""Several worker processes on one database, as in production: conflicting workflow actions sent
to two workers have exactly one winner and the audit chain stays valid; a change made through one
worker is seen by the next search on the other; the background jobs (due revisions, the e-mail
outbox) run once across workers, also when the worker running them is killed in the middle of a
batch."""

from __future__ import annotations

import asyncio
import datetime
import subprocess
from collections import Counter
from pathlib import Path

import httpx
import pytest

import workflows.audit
from catalogue.tables import AppUser, Resource
from tests.conftest import resource_body
from tests.test_workflow_concurrency_audit import MIXES
from tests.test_workflow_support import PROBLEM, Flow, etag_of
from tests.workers import CATALOGUE, Mailbox, SmtpServer, start_worker, wait_until, worker_env
from workflows.tables import Case, Notification


@pytest.fixture
def two_workers(api, settings):
    workers = [start_worker(settings, "a"), start_worker(settings, "b")]
    yield workers
    for worker in workers:
        worker.stop()


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_conflicting_actions_sent_to_two_workers_have_exactly_one_winner(api, two_workers, mix):
    flow = Flow(api)
    case_id = flow.to_state("pedagogical_review")
    before = flow.case(case_id)
    etag = etag_of(before)
    events_before = len(flow.history(case_id)["events"])
    who = {"mentor": flow.mentor, "sector": flow.sector}

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=120) as client:
            calls = []
            for i in range(40):
                actor, body = MIXES[mix][i % len(MIXES[mix])]
                worker = two_workers[i % 2]
                calls.append(client.post(f"{worker.url}/api/v1/cases/{case_id}/actions",
                                         json={**body, "reason": f"{body['reason']} ({i})"},
                                         headers={**who[actor], "If-Match": etag}))
            return await asyncio.gather(*calls)

    responses = asyncio.run(race())
    unexpected = [(r.status_code, r.text[:300]) for r in responses if r.status_code not in (200, 409, 412)]
    assert not unexpected, unexpected
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 1, codes
    assert all(r.headers["content-type"].startswith(PROBLEM) for r in responses if r.status_code != 200)
    winner = next(r for r in responses if r.status_code == 200).json()
    after = flow.case(case_id)
    assert after["version"] == before["version"] + 1
    assert after["state"] == winner["state"] != "pedagogical_review"
    history = flow.history(case_id)
    assert len(history["events"]) == events_before + 1
    assert len([a for a in history["audit"] if a["data"].get("from") == "pedagogical_review"]) == 1
    result = api.run(workflows.audit.verify)
    assert result.ok, result


def _names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_a_change_through_one_worker_is_seen_by_the_next_search_on_the_other(api, two_workers):
    first, second = two_workers
    editor = api.headers("sector_reviewer")
    with httpx.Client(timeout=30, headers=editor) as client:
        def search(worker, words: str) -> list[str]:
            return _names(client.get(f"{worker.url}/api/v1/resources", params={"q": words}))

        # both workers have kept the empty answer before the change
        assert search(first, "fuglekikking") == [] and search(second, "fuglekikking") == []
        created = client.post(f"{first.url}/api/v1/resources", json=resource_body(
            name="Fuglekikking for småtrinnet", description="Kjenn igjen fugler på lyd og utseende."))
        assert created.status_code == 201, created.text
        assert search(second, "fuglekikking") == ["Fuglekikking for småtrinnet"]
        assert search(first, "fuglekikking") == ["Fuglekikking for småtrinnet"]

        # and the other way: renamed through the second worker, no longer found by the first
        resource_id = created.json()["id"]
        current = client.get(f"{second.url}/api/v1/resources/{resource_id}")
        renamed = client.patch(f"{second.url}/api/v1/resources/{resource_id}",
                               json={"name": "Fuglelyder", "description": "Lyder i skogen."},
                               headers={"If-Match": current.headers["etag"]})
        assert renamed.status_code == 200, renamed.text
        assert search(first, "fuglekikking") == []
        assert search(first, "fuglelyder") == ["Fuglelyder"]


# --- background jobs ----------------------------------------------------------------------------

DUE_RESOURCES = 4
MAILS = 8


async def _seed_jobs(resource_ids: list[int]) -> tuple[list[int], set[int]]:
    """Resources whose revision is due, and outbox rows waiting to be e-mailed."""
    from catalogue.users import ensure_user

    await Resource.update({Resource.next_revision_date: datetime.date(2020, 1, 1)}).where(
        Resource.id.is_in(resource_ids))
    now = datetime.datetime.now(datetime.timezone.utc)
    notification_ids = set()
    for i in range(MAILS):
        user_id = await ensure_user("local", f"mottaker{i}", f"Mottaker {i}")
        await AppUser.update({AppUser.email: f"mottaker{i}@fjordvik.kommune.no"}).where(AppUser.id == user_id)
        rows = await Notification.insert(Notification(
            recipient=user_id, email=f"mottaker{i}@fjordvik.kommune.no", kind="case_step",
            subject=f"Varsel {i}", body="Noe venter på deg.", link="/varsler", created_at=now,
            delivery="pending", attempts=0, next_attempt_at=now)).returning(Notification.id)
        notification_ids.add(rows[0]["id"])
    return resource_ids, notification_ids


async def _open_cases(resource_ids: list[int]) -> Counter:
    rows = await Case.select(Case.resource).where(Case.resource.is_in(resource_ids) & (Case.kind == "revision"))
    return Counter(r["resource"] for r in rows)


async def _deliveries(ids: set[int]) -> set[str]:
    rows = await Notification.select(Notification.delivery).where(Notification.id.is_in(list(ids)))
    return {r["delivery"] for r in rows}


def _due_resources(api) -> list[int]:
    editor = api.headers("sector_reviewer")
    ids = []
    for i in range(DUE_RESOURCES):
        response = api.post("/api/v1/resources", json=resource_body(name=f"Forfalt ressurs {i}"), headers=editor)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def _message_ids(ids: set[int]) -> set[str]:
    return {f"<notification-{i}@fjordvik.kommune.no>" for i in ids}


def _jobs_env(smtp: SmtpServer) -> dict[str, str]:
    # a held message waits for the kill, not for the client's timeout
    return dict(SCHEDULER_INTERVAL_SECONDS="1", SMTP_TIMEOUT_SECONDS="300", **smtp.env())


def test_two_workers_open_each_due_revision_once_and_send_each_notification_once(api, settings):
    resource_ids, notification_ids = api.run(_seed_jobs, _due_resources(api))
    with SmtpServer(Mailbox()) as smtp:
        workers = [start_worker(settings, "a", **_jobs_env(smtp)), start_worker(settings, "b", **_jobs_env(smtp))]
        try:
            assert smtp.mailbox.wait_for(MAILS), smtp.mailbox.accepted
            wait_until(lambda: sum(api.run(_open_cases, resource_ids).values()) == DUE_RESOURCES,
                       what="the revision cases")
            wait_until(lambda: api.run(_deliveries, notification_ids) == {"sent"}, what="the outbox")
            logs = [w.output() for w in workers]
            # cron's commands leave the jobs to the worker that holds the lock
            for command in (["notifications", "send"], ["revisions", "run"]):
                done = subprocess.run([CATALOGUE, *command], env=worker_env(settings, **_jobs_env(smtp)),
                                      capture_output=True, text=True, timeout=120)
                assert done.returncode == 0 and "holds the jobs lock" in done.stdout, done.stdout + done.stderr
        finally:
            for worker in workers:
                worker.stop()
    assert api.run(_open_cases, resource_ids) == Counter({r: 1 for r in resource_ids})
    assert Counter(smtp.mailbox.accepted) == Counter({m: 1 for m in _message_ids(notification_ids)})
    # one of the two ran the jobs the whole time
    assert sum("runs the background jobs" in log for log in logs) == 1, logs


def test_a_worker_killed_in_the_middle_of_a_batch_leaves_nothing_unsent_and_nothing_sent_twice(api, settings):
    resource_ids, notification_ids = api.run(_seed_jobs, _due_resources(api))
    with SmtpServer(Mailbox(hold_at=3)) as smtp:
        first = start_worker(settings, "a", **_jobs_env(smtp))
        second = None
        try:
            assert smtp.mailbox.held.wait(60), first.output()  # the first worker is sending its third mail
            # a stuck SMTP server holds up no request: the worker that waits for it answers
            assert httpx.get(f"{first.url}/ready", timeout=30).status_code == 200
            second = start_worker(settings, "b", **_jobs_env(smtp))
            assert len(smtp.mailbox.accepted) == 2
            first.kill()
            assert smtp.mailbox.wait_for(MAILS), (smtp.mailbox.accepted, second.output())
            wait_until(lambda: api.run(_deliveries, notification_ids) == {"sent"}, what="the outbox")
        finally:
            first.stop()
            if second is not None:
                second.stop()
    assert Counter(smtp.mailbox.accepted) == Counter({m: 1 for m in _message_ids(notification_ids)})
    assert api.run(_open_cases, resource_ids) == Counter({r: 1 for r in resource_ids})
    assert "handed back to the outbox" in second.output()


def test_serve_with_two_workers_sums_their_metrics(api, settings):
    """`catalogue serve --workers 2`: one socket, two processes, one /metrics for both."""
    served = start_worker(settings, "pair", workers=2, METRICS_NETWORKS="127.0.0.1/32")
    try:
        for _ in range(40):  # a new connection each: the two processes take turns accepting them
            assert httpx.get(f"{served.url}/health", timeout=30).status_code == 200
        text = httpx.get(f"{served.url}/metrics", timeout=30).text
        files = {path.name for path in (Path(settings.var_dir) / "metrics").glob("*.db")}
    finally:
        served.stop()
    total = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                if line.startswith('catalogue_http_requests_total{') and 'route="/health"' in line)
    assert total >= 40  # every worker's requests, whichever worker answered the scrape
    assert files  # the figures live in files the workers share, not in one process's memory
