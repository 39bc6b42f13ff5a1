"""Acceptance tests of concurrency and the audit chain: one winner among concurrent actions on a
case, an audit row for every case action in the same transaction as the change, the hash chain
verified by `catalogue audit verify`, tampering detected, and the append-only triggers."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import httpx
import pytest

import workflows.audit
from catalogue.db import current_engine, is_sqlite
from tests.test_workflow_support import FORMS, PEDAGOGICAL_FORM, PROBLEM, Flow, etag_of
from workflows.tables import AuditEntry, Notification

CATALOGUE = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "catalogue"


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def verify(api):
    return api.run(workflows.audit.verify)


async def _sql(statement: str, *args) -> list[dict]:
    return await AuditEntry.raw(statement, *args)


async def _audit_ids() -> list[int]:
    return [r["id"] for r in await AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id)]


async def _notification_count() -> int:
    return await Notification.count()


def _cli(settings, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "SIGNING_KEY", "SIGNING_KEY_FILE", "DEMO_MODE", "VAR_DIR"}}
    env.update(DATABASE_URL=settings.database_url, SIGNING_KEY=settings.signing_key_pem, VAR_DIR=str(tmp_path))
    return subprocess.run([str(CATALOGUE), *args], env=env, capture_output=True, text=True, timeout=120)


# --- 13. concurrency -----------------------------------------------------------------------------


MIXES = {
    # whichever wins, the case leaves the step: the other decisions are out of turn, the
    # proposer's withdrawal is stale
    "returns_rejections_withdrawals": [
        ("mentor", {"action": "withdraw", "reason": "Trekker forslaget."}),
        ("sector", {"action": "return", "reason": "Retur."}),
        ("sector", {"action": "reject", "reason": "Avslag."}),
    ],
    # the winner moves the case on to the privacy review; the other approvals are stale
    "approvals": [
        ("sector", {"action": "approve", "reason": "Godkjent.", "form": PEDAGOGICAL_FORM}),
        ("sector", {"action": "approve_with_restrictions", "reason": "Vilkår.", "restrictions": "Begrensning.",
                    "form": PEDAGOGICAL_FORM}),
    ],
}


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_fifty_concurrent_conflicting_actions_on_one_case_have_exactly_one_winner(flow, api, mix):
    case_id = flow.to_state("pedagogical_review")
    before = flow.case(case_id)
    etag = etag_of(before)
    events_before = len(flow.history(case_id)["events"])
    url = f"/api/v1/cases/{case_id}/actions"
    who = {"mentor": flow.mentor, "sector": flow.sector}

    async def race() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=api.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=120) as client:
            calls = []
            for i in range(50):
                actor, body = MIXES[mix][i % len(MIXES[mix])]
                calls.append(client.post(url, json={**body, "reason": f"{body['reason']} ({i})"},
                                         headers={**who[actor], "If-Match": etag}))
            return await asyncio.gather(*calls)

    responses = api.run(race)
    codes = [r.status_code for r in responses]
    unexpected = [(r.status_code, r.text[:300]) for r in responses if r.status_code not in (200, 409, 412)]
    assert not unexpected, unexpected
    assert codes.count(200) == 1, codes
    for response in responses:
        if response.status_code != 200:
            assert response.headers["content-type"].startswith(PROBLEM)

    winner = next(r for r in responses if r.status_code == 200).json()
    after = flow.case(case_id)
    assert after["version"] == before["version"] + 1
    assert after["state"] == winner["state"] and after["state"] != "pedagogical_review"
    history = flow.history(case_id)
    assert len(history["events"]) == events_before + 1
    decisions = [a for a in history["audit"] if a["data"].get("from") == "pedagogical_review"]
    assert len(decisions) == 1
    result = verify(api)
    assert result.ok, result


def test_a_stale_if_match_is_a_conflict_even_when_the_step_has_moved_on(flow):
    """Two sector reviewers open the same case; the first approves. The second's approval, sent
    with the ETag both read, is a conflict (412 or 409), not a 403 'only the privacy reviewer may'."""
    second = flow.api.headers("sector_reviewer", user="vkko-2")
    case_id = flow.to_state("pedagogical_review")
    read = etag_of(flow.case(case_id))
    first = flow.post_action(case_id, flow.sector, "approve", if_match=read, reason="OK", form=PEDAGOGICAL_FORM)
    assert first.status_code == 200
    for action, extra in (("approve", {}), ("approve_with_restrictions", {"restrictions": "Kun 7. trinn."})):
        late = flow.post_action(case_id, second, action, if_match=read, reason="Også OK", form=PEDAGOGICAL_FORM,
                                **extra)
        assert late.status_code in (409, 412), late.text
    after = flow.case(case_id)
    assert after["state"] == "privacy_review" and after["version"] == first.json()["version"]


# --- 14. audit -------------------------------------------------------------------------------------


def test_every_case_action_appends_an_audit_row(flow, api):
    chain_before = verify(api).entries
    case_id = flow.propose("Brøkbyggeren")["case"]["id"]
    flow.submit(case_id)
    saved = flow.api.put(f"/api/v1/cases/{case_id}/form", json={"form": PEDAGOGICAL_FORM},
                         headers={**flow.sector, "If-Match": etag_of(flow.case(case_id))})
    assert saved.status_code == 200
    flow.act(case_id, flow.sector, "approve", reason="Faglig god.")
    assert flow.api.post(f"/api/v1/cases/{case_id}/comments", json={"text": "Husk DPIA."},
                         headers=flow.dpo).status_code == 201
    privacy_id = flow.user_id(flow.privacy)
    assigned = flow.api.post(f"/api/v1/cases/{case_id}/assign", json={"user_id": privacy_id},
                             headers={**flow.privacy, "If-Match": etag_of(flow.case(case_id))})
    assert assigned.status_code == 200
    flow.act(case_id, flow.privacy, "return", reason="Mangler avtale.")
    edited = flow.api.put(f"/api/v1/cases/{case_id}/resource", json={"description": "Oppdatert."},
                          headers={**flow.mentor, "If-Match": etag_of(flow.case(case_id))})
    assert edited.status_code == 200
    flow.act(case_id, flow.mentor, "resubmit")
    flow.attach(case_id, "dpa")
    flow.attach(case_id, "dpia")
    flow.approve(case_id, "privacy_review")
    flow.act(case_id, flow.tech, "approve_with_restrictions", reason="OK", restrictions="Kun skoletid.",
             form=FORMS["procurement"])

    history = flow.history(case_id)
    events = [e["action"] for e in history["events"]]
    assert events == ["create", "submit", "save_form", "approve", "comment", "assign", "return", "edit",
                      "resubmit", "approve", "approve_with_restrictions"]
    audit = history["audit"]
    # one audit row per event, in the same order; the documents attached are audited too
    assert [a["action"] for a in audit] == [f"case.{e}" for e in events[:9]] + ["case.attach", "case.attach"] + [
        f"case.{e}" for e in events[9:]]
    assert [a["id"] for a in audit] == sorted(a["id"] for a in audit)
    assert len({a["entry_hash"] for a in audit}) == len(audit)
    decision = next(a for a in audit if a["action"] == "case.return")
    assert decision["data"] == {"from": "privacy_review", "to": "returned", "decision": "return",
                                "reason": "Mangler avtale.", "restrictions": None}
    assert decision["actor"] == "personvern"
    last = audit[-1]["data"]
    assert last["to"] == "approved" and last["restrictions"] == "Kun skoletid."
    result = verify(api)
    assert result.ok and result.entries > chain_before + len(events)


def test_audit_verify_command_prints_the_count_and_exits_zero(flow, api, settings, tmp_path):
    flow.to_state("privacy_review")
    entries = verify(api).entries
    assert entries > 0
    result = _cli(settings, tmp_path, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert f"The audit chain is intact: {entries} entries." in result.stdout


def _disable_triggers(api) -> None:
    sqlite = api.run(_is_sqlite)
    if sqlite:
        api.run(_sql, "DROP TRIGGER audit_log_no_update")
        api.run(_sql, "DROP TRIGGER audit_log_no_delete")
    else:
        api.run(_sql, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")


async def _is_sqlite() -> bool:
    return is_sqlite(current_engine())


@pytest.mark.parametrize("tampering", ["altered", "middle_deleted", "newest_deleted", "altered_hash_too"])
def test_tampering_with_the_audit_log_is_detected(flow, api, settings, tmp_path, tampering):
    case_id = flow.to_state("procurement")
    flow.act(case_id, flow.tech, "reject", reason="For dyrt.")
    assert verify(api).ok
    ids = api.run(_audit_ids)
    assert len(ids) > 10
    middle = ids[len(ids) // 2]
    _disable_triggers(api)

    if tampering == "altered":
        api.run(_sql, "UPDATE audit_log SET data = {} WHERE id = {}", '{"reason":"Godkjent likevel."}', middle)
        expected_id, words = middle, "altered"
    elif tampering == "altered_hash_too":
        # whoever rewrites a row and its own hash still breaks the link to the next row
        row = api.run(_sql, "SELECT * FROM audit_log WHERE id = {}", middle)[0]
        new_data = '{"reason":"Godkjent likevel."}'
        new_hash = workflows.audit.entry_hash(row["prev_hash"], row["occurred_at"], row["actor"],
                                              row["actor_user_id"], row["action"], row["object_type"],
                                              row["object_id"], new_data)
        api.run(_sql, "UPDATE audit_log SET data = {}, entry_hash = {} WHERE id = {}", new_data, new_hash, middle)
        expected_id, words = ids[ids.index(middle) + 1], "does not link"
    elif tampering == "middle_deleted":
        api.run(_sql, "DELETE FROM audit_log WHERE id = {}", middle)
        expected_id, words = ids[ids.index(middle) + 1], "does not link"
    else:
        api.run(_sql, "DELETE FROM audit_log WHERE id = {}", ids[-1])
        expected_id, words = ids[-1], "newest entries were deleted"

    result = verify(api)
    assert not result.ok
    assert result.broken_at == expected_id, result
    assert words in result.problem
    cli = _cli(settings, tmp_path, "audit", "verify")
    assert cli.returncode == 1, (cli.stdout, cli.stderr)
    assert f"BROKEN at entry {expected_id}" in cli.stderr


def test_the_append_only_triggers_refuse_update_and_delete(flow, api):
    flow.to_state("pedagogical_review")
    ids = api.run(_audit_ids)
    statements = [
        ("UPDATE audit_log SET actor = {} WHERE id = {}", "noen andre", ids[0]),
        ("UPDATE audit_log SET data = {}", "{}"),
        ("DELETE FROM audit_log WHERE id = {}", ids[-1]),
        ("DELETE FROM audit_log",),
    ]
    if not api.run(_is_sqlite):
        statements.append(("TRUNCATE audit_log",))
    for statement, *args in statements:
        with pytest.raises(Exception, match="append-only"):
            api.run(_sql, statement, *args)
    assert api.run(_audit_ids) == ids
    result = verify(api)
    assert result.ok and result.entries == len(ids)


# --- 15. the change and its audit row commit or roll back together ---------------------------------


@pytest.mark.parametrize("step,action", [("draft", "submit"), ("pedagogical_review", "approve"),
                                         ("procurement", "approve")])
def test_a_failure_writing_the_audit_row_rolls_back_the_whole_action(flow, api, monkeypatch, step, action):
    case_id = flow.to_state(step)
    before = flow.case(case_id)
    resource_before = flow.resource(case_id)
    events_before = flow.history(case_id)["events"]
    notifications_before = api.run(_notification_count)
    chain_before = verify(api)
    real_append = workflows.audit.append

    async def failing_append(action_name, *args, **kwargs):
        if action_name.startswith("case."):
            raise RuntimeError("the audit log is unavailable")
        return await real_append(action_name, *args, **kwargs)

    monkeypatch.setattr(workflows.audit, "append", failing_append)
    body = {"reason": "Vurdert."}
    if step in FORMS:
        body["form"] = FORMS[step]
    headers = flow.mentor if step == "draft" else flow.reviewer_of[step]
    response = flow.post_action(case_id, headers, action, if_match=etag_of(before), **body)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"].endswith(":internal-error")
    assert "audit log is unavailable" not in response.text

    after = flow.case(case_id)
    assert (after["state"], after["version"], after["step_data"], after["closed_at"]) == \
        (before["state"], before["version"], before["step_data"], before["closed_at"])
    resource_after = flow.resource(case_id)
    assert (resource_after["status"], resource_after["version"], resource_after["in_base_package"],
            resource_after["next_revision_date"]) == (resource_before["status"], resource_before["version"],
                                                      resource_before["in_base_package"],
                                                      resource_before["next_revision_date"])
    assert flow.history(case_id)["events"] == events_before
    assert api.run(_notification_count) == notifications_before
    result = verify(api)
    assert result.ok and result.entries == chain_before.entries

    # with the audit log back, the same request (same If-Match) succeeds
    monkeypatch.setattr(workflows.audit, "append", real_append)
    retried = flow.post_action(case_id, headers, action, if_match=etag_of(before), **body)
    assert retried.status_code == 200, retried.text
    assert verify(api).ok
