"""Acceptance tests of revision and phase-out: the scheduler opens one revision per due resource
(however often it runs), a revision renews the resource or decides to phase it out, and the
phase-out case completes only when its checklist is confirmed by the right roles."""

from __future__ import annotations

import asyncio
import datetime
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import resource_body
from tests.test_workflow_support import (
    PEDAGOGICAL_FORM,
    PROBLEM,
    Flow,
    add_months,
    etag_of,
    privacy_form,
    privacy_record,
    today,
)
from workflows import scheduler

CATALOGUE = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "catalogue"
FAR = (today() + datetime.timedelta(days=3 * 365)).isoformat()


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def publish(flow: Flow, name: str = "Brøkbyggeren", **overrides) -> dict:
    """A published resource entered by an admin, with a licence far from expiring."""
    body = resource_body(name=name, **{"licence_expires": FAR, "next_revision_date": FAR, **overrides})
    response = flow.api.post("/api/v1/resources", json=body, headers=flow.admin)
    assert response.status_code == 201, response.text
    return response.json()


def patch(flow: Flow, resource: dict, **changes) -> dict:
    response = flow.api.patch(f"/api/v1/resources/{resource['id']}", json=changes,
                              headers={**flow.admin, "If-Match": f'"resource:{resource["id"]}:{resource["version"]}"'})
    assert response.status_code == 200, response.text
    return response.json()


def cases(flow: Flow, **query) -> list[dict]:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    response = flow.api.get(f"/api/v1/cases?limit=100&{params}", headers=flow.admin)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def names(actions: list[dict]) -> set[str]:
    return {a["name"] for a in actions}


def run_scheduler(flow: Flow, settings, day: datetime.date | None = None):
    return flow.api.run(scheduler.run_once, settings, day) if day else flow.api.run(scheduler.run_once, settings)


def open_revision(flow: Flow, settings, name: str = "Brøkbyggeren") -> tuple[dict, int]:
    resource = publish(flow, name)
    patch(flow, resource, next_revision_date=(today() - datetime.timedelta(days=1)).isoformat())
    report = run_scheduler(flow, settings)
    assert len(report.opened) == 1, report
    return resource, report.opened[0]


def test_a_due_revision_opens_exactly_one_case_however_often_the_scheduler_runs(flow, settings):
    due = publish(flow, "Brøkbyggeren")
    later = publish(flow, "Tallinja")
    draft = publish(flow, "Utkastet", status="draft")
    yesterday = (today() - datetime.timedelta(days=1)).isoformat()
    patch(flow, due, next_revision_date=yesterday)
    patch(flow, draft, next_revision_date=yesterday)

    first = run_scheduler(flow, settings)
    second = run_scheduler(flow, settings)
    assert len(first.opened) == 1 and second.opened == []
    revisions = cases(flow, kind="revision")
    assert [c["id"] for c in revisions] == first.opened
    case = flow.case(first.opened[0])
    assert case["resource_id"] == due["id"] and case["state"] == "privacy_review"
    assert case["step_role"] == "privacy_reviewer" and case["proposer"] is None and case["closed_at"] is None
    assert case["step_due"] == (today() + datetime.timedelta(days=14)).isoformat()
    assert "revisjonsdato" in case["justification"]["reason"]
    assert later["id"] not in [c["resource_id"] for c in revisions]
    assert draft["id"] not in [c["resource_id"] for c in revisions]
    # the resource stays in use while it is revised
    assert flow.api.get(f"/api/v1/resources/{due['id']}", headers=flow.staff).status_code == 200
    # privacy reviewers have it in their inbox and were told
    assert case["id"] in flow.tasks(flow.privacy)
    assert case["id"] not in flow.tasks(flow.sector)
    told = [n for n in flow.notifications(flow.privacy) if n["case_id"] == case["id"]]
    assert len(told) == 1 and told[0]["kind"] == "task"
    history = flow.history(case["id"])
    assert [e["action"] for e in history["events"]] == ["open"]
    assert [a["action"] for a in history["audit"]] == ["case.open_revision"]


@pytest.mark.parametrize("expiring", ["licence", "dpa"])
def test_a_licence_or_dpa_expiring_within_the_lead_days_opens_a_revision(flow, settings, expiring):
    soon = (today() + datetime.timedelta(days=settings.revision_lead_days - 5)).isoformat()
    not_yet = (today() + datetime.timedelta(days=settings.revision_lead_days + 30)).isoformat()
    if expiring == "licence":
        due = publish(flow, "Brøkbyggeren", licence_expires=soon)
        publish(flow, "Tallinja", licence_expires=not_yet)
        phrase = "lisensen utløper"
    else:
        due = publish(flow, "Brøkbyggeren", privacy={**resource_body()["privacy"], "dpa_expires": soon})
        publish(flow, "Tallinja", privacy={**resource_body()["privacy"], "dpa_expires": not_yet})
        phrase = "databehandleravtalen utløper"
    first = run_scheduler(flow, settings)
    assert run_scheduler(flow, settings).opened == []
    assert len(first.opened) == 1
    case = flow.case(first.opened[0])
    assert case["resource_id"] == due["id"] and case["state"] == "privacy_review"
    assert phrase in case["justification"]["reason"]


def test_a_revision_is_renewed_after_privacy_and_pedagogical_review(flow, settings):
    resource, case_id = open_revision(flow, settings)
    # the revision's steps are in order: the sector office cannot renew before the privacy review
    early = flow.post_action(case_id, flow.sector, "renew", reason="OK", form=PEDAGOGICAL_FORM)
    assert early.status_code == 409 and early.json()["allowed_actions"] == []
    assert flow.post_action(case_id, flow.sector, "approve", reason="OK", form=privacy_form()).status_code == 403
    assert names(flow.case(case_id, flow.privacy)["allowed_actions"]) == {
        "approve", "approve_with_restrictions", "phase_out", "request_dpo_advice"}

    record = privacy_record(dpa_reference="DBA-2026-REV", dpa_expires=FAR)
    after = flow.act(case_id, flow.privacy, "approve", reason="Avtalen er fornyet.", form=privacy_form(record))
    assert after["state"] == "pedagogical_review" and after["step_role"] == "sector_reviewer"
    assert case_id in flow.tasks(flow.sector) and case_id not in flow.tasks(flow.privacy)
    assert names(flow.case(case_id, flow.sector)["allowed_actions"]) == {
        "renew", "renew_with_restrictions", "back_to_privacy", "phase_out", "start_consultation"}

    incomplete = flow.post_action(case_id, flow.sector, "renew", reason="OK", form={"curriculum_fit": ""})
    assert incomplete.status_code == 422
    renewed = flow.act(case_id, flow.sector, "renew", reason="Fortsatt i bruk på alle skoler.", form=PEDAGOGICAL_FORM)
    assert renewed["state"] == "renewed" and renewed["outcome"] == "renewed" and renewed["closed_at"] is not None

    stored = flow.resource(case_id)
    assert stored["status"] == "published"
    assert stored["next_revision_date"] == add_months(today(), 12).isoformat()
    assert stored["privacy"]["dpa_reference"] == "DBA-2026-REV"
    assert flow.api.get(f"/api/v1/resources/{resource['id']}", headers=flow.staff).status_code == 200
    # renewed: not due any more
    assert run_scheduler(flow, settings).opened == []
    events = [e["action"] for e in flow.history(case_id)["events"]]
    assert events == ["open", "approve", "renew"]


def test_a_revision_sent_back_to_privacy_and_renewed_with_restrictions(flow, settings):
    resource, case_id = open_revision(flow, settings)
    flow.act(case_id, flow.privacy, "approve", reason="OK", form=privacy_form())
    back = flow.act(case_id, flow.sector, "back_to_privacy", reason="Sjekk underleverandørene.")
    assert back["state"] == "privacy_review"
    flow.act(case_id, flow.privacy, "approve_with_restrictions", reason="OK", restrictions="Ikke lydopptak.",
             form=privacy_form())
    missing = flow.post_action(case_id, flow.sector, "renew_with_restrictions", reason="OK", form=PEDAGOGICAL_FORM)
    assert missing.status_code == 422 and "restrictions" in [e["field"] for e in missing.json()["errors"]]
    flow.act(case_id, flow.sector, "renew_with_restrictions", reason="OK", restrictions="Kun 8.–10. trinn.",
             form=PEDAGOGICAL_FORM)
    stored = flow.resource(case_id)
    assert stored["status"] == "published"
    assert "Ikke lydopptak." in stored["restrictions"] and "Kun 8.–10. trinn." in stored["restrictions"]


@pytest.mark.parametrize("decided_in", ["privacy_review", "pedagogical_review"])
def test_a_revision_ending_in_phase_out_opens_a_phase_out_case_gated_by_its_checklist(flow, settings, decided_in):
    resource, revision_id = open_revision(flow, settings)
    if decided_in == "pedagogical_review":
        flow.act(revision_id, flow.privacy, "approve", reason="OK", form=privacy_form())
        decider = flow.sector
    else:
        decider = flow.privacy
    missing = flow.post_action(revision_id, decider, "phase_out")
    assert missing.status_code == 422 and {"reason", "end_date"} <= {e["field"] for e in missing.json()["errors"]}
    end = (today() + datetime.timedelta(days=60)).isoformat()
    revision = flow.act(revision_id, decider, "phase_out", reason="Leverandøren legger ned tjenesten.", end_date=end)
    assert revision["state"] == "phasing_out_decided" and revision["outcome"] == "phase_out"
    assert revision["closed_at"] is not None and revision["resource_status"] == "phasing_out"

    phase_outs = cases(flow, kind="phase_out")
    assert len(phase_outs) == 1 and phase_outs[0]["resource_id"] == resource["id"]
    case_id = phase_outs[0]["id"]
    case = flow.case(case_id, flow.sector)
    assert case["state"] == "phasing_out" and case["step_role"] == "sector_reviewer" and case["end_date"] == end
    assert [i["item"] for i in case["checklist"]] == ["vendor_data_deleted", "feide_access_removed", "licence_ended"]
    assert not any(i["confirmed"] for i in case["checklist"])
    assert case["allowed_actions"] == []  # complete is not offered before the checklist is done
    # the scheduler opens no revision while the phase-out runs, and none for the phased-out resource
    assert flow.api.get(f"/api/v1/resources/{resource['id']}", headers=flow.admin).json()["status"] == "phasing_out"
    assert run_scheduler(flow, settings).opened == []

    def complete():
        return flow.post_action(case_id, flow.sector, "complete")

    def confirm(headers, item, etag=None):
        return flow.api.post(f"/api/v1/cases/{case_id}/checklist", json={"item": item, "note": "Bekreftet."},
                             headers={**headers, "If-Match": etag or etag_of(flow.case(case_id))})

    refused = complete()
    assert refused.status_code == 409 and refused.headers["content-type"].startswith(PROBLEM)
    assert refused.json()["allowed_actions"] == []
    # wrong roles for each item
    for headers, item in ((flow.sector, "vendor_data_deleted"), (flow.tech, "vendor_data_deleted"),
                          (flow.privacy, "feide_access_removed"), (flow.privacy, "licence_ended"),
                          (flow.dpo, "licence_ended"), (flow.admin, "licence_ended")):
        assert confirm(headers, item).status_code == 403, (item, headers)
    assert flow.case(case_id)["version"] == case["version"]
    assert case_id in flow.tasks(flow.privacy) and case_id in flow.tasks(flow.tech)
    assert flow.case(case_id, flow.privacy)["confirmable_items"] == ["vendor_data_deleted"]

    ok = confirm(flow.privacy, "vendor_data_deleted")
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == case["version"] + 1
    assert confirm(flow.privacy, "vendor_data_deleted").status_code == 409
    stale = confirm(flow.tech, "feide_access_removed", etag=etag_of(case))
    assert stale.status_code == 412
    assert confirm(flow.tech, "feide_access_removed").status_code == 200
    assert complete().status_code == 409
    assert flow.resource(case_id)["status"] == "phasing_out"
    assert confirm(flow.tech, "licence_ended").status_code == 200
    ready = flow.case(case_id, flow.sector)
    assert all(i["confirmed"] and i["confirmed_by"] for i in ready["checklist"])
    assert names(ready["allowed_actions"]) == {"complete"}
    assert flow.post_action(case_id, flow.tech, "complete").status_code == 403

    done = flow.act(case_id, flow.sector, "complete")
    assert done["state"] == "phased_out" and done["outcome"] == "phased_out" and done["closed_at"] is not None
    stored = flow.resource(case_id)
    assert stored["status"] == "phased_out" and stored["in_base_package"] is False and stored["units"] == []

    # gone from the staff catalogue, still readable by reviewers and in the history
    assert flow.api.get(f"/api/v1/resources/{resource['id']}", headers=flow.staff).status_code == 404
    listed = flow.api.get("/api/v1/resources?limit=100", headers=flow.staff).json()["items"]
    assert resource["id"] not in [i["id"] for i in listed]
    for who in (flow.sector, flow.privacy, flow.dpo):
        read = flow.api.get(f"/api/v1/resources/{resource['id']}", headers=who)
        assert read.status_code == 200 and read.json()["status"] == "phased_out"
    events = [e["action"] for e in flow.history(case_id, flow.dpo)["events"]]
    assert events == ["open", "confirm", "confirm", "confirm", "complete"]
    assert [e["action"] for e in flow.history(revision_id, flow.dpo)["events"]][-1] == "phase_out"
    assert run_scheduler(flow, settings).opened == []


def test_schedulers_running_at_once_open_one_revision_and_flag_a_step_once(flow, settings, api):
    """Two workers (or the in-app scheduler and cron) may run at the same moment."""
    resource = publish(flow, "Brøkbyggeren")
    patch(flow, resource, next_revision_date=(today() - datetime.timedelta(days=1)).isoformat())

    async def together(fn, *args):
        return await asyncio.gather(*[fn(settings, *args) for _ in range(3)])

    reports = api.run(together, scheduler.open_due_revisions)
    assert sorted(len(opened) for opened in reports) == [0, 0, 1]
    revisions = cases(flow, kind="revision")
    assert len(revisions) == 1 and revisions[0]["resource_id"] == resource["id"]

    flagged = api.run(together, scheduler.flag_overdue, today() + datetime.timedelta(days=30))
    assert sorted(len(ids) for ids in flagged) == [0, 0, 1]
    overdue = [n for n in flow.notifications(flow.privacy) if n["kind"] == "overdue"]
    assert len(overdue) == 1 and overdue[0]["case_id"] == revisions[0]["id"]


def _cli(settings, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "SIGNING_KEY", "SIGNING_KEY_FILE", "DEMO_MODE", "VAR_DIR", "SMTP_HOST"}}
    env.update(DATABASE_URL=settings.database_url, SIGNING_KEY=settings.signing_key_pem, VAR_DIR=str(tmp_path))
    return subprocess.run([str(CATALOGUE), *args], env=env, capture_output=True, text=True, timeout=120)


def test_revisions_run_command_is_safe_to_run_twice(flow, settings, tmp_path):
    resource = publish(flow, "Brøkbyggeren")
    patch(flow, resource, next_revision_date=(today() - datetime.timedelta(days=3)).isoformat())
    first = _cli(settings, tmp_path, "revisions", "run")
    assert first.returncode == 0, first.stderr
    opened = cases(flow, kind="revision")
    assert len(opened) == 1 and opened[0]["resource_id"] == resource["id"]
    assert f"Opened 1 revision case(s): {opened[0]['id']}." in first.stdout
    second = _cli(settings, tmp_path, "revisions", "run")
    assert second.returncode == 0, second.stderr
    assert "Opened 0 revision case(s)." in second.stdout
    assert len(cases(flow, kind="revision")) == 1
