"""Acceptance tests of the inbox: each role's tasks, assignment to a holder of the step's role,
and overdue steps (flagged once per step and due date)."""

from __future__ import annotations

import datetime

import pytest

from tests.test_workflow_support import FORMS, PROBLEM, Flow, etag_of, today
from workflows import scheduler
from workflows.tables import Case


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def assign(flow: Flow, case_id: int, headers: dict, user_id: int | None, if_match: str | None = None):
    return flow.api.post(f"/api/v1/cases/{case_id}/assign", json={"user_id": user_id},
                         headers={**headers, "If-Match": if_match or etag_of(flow.case(case_id))})


def of_kind(flow: Flow, headers: dict, kind: str, case_id: int) -> list[dict]:
    return [n for n in flow.notifications(headers) if n["kind"] == kind and n["case_id"] == case_id]


def test_each_role_sees_the_cases_waiting_for_it(flow):
    draft = flow.to_state("draft", name="Utkastet")
    pedagogical = flow.to_state("pedagogical_review", name="Pedagogisk")
    privacy = flow.to_state("privacy_review", name="Personvern")
    procurement = flow.to_state("procurement", name="Innkjøp")
    returned = flow.to_state("returned", name="Returnert")
    approved = flow.to_state("approved", name="Godkjent")

    assert flow.tasks(flow.sector) == [pedagogical]
    assert flow.tasks(flow.privacy) == [privacy]
    assert flow.tasks(flow.tech) == [procurement]
    assert sorted(flow.tasks(flow.mentor)) == sorted([draft, returned])
    for nobody in (flow.dpo, flow.staff, flow.mentor_same_unit, flow.mentor_other_unit, flow.admin):
        assert flow.tasks(nobody) == []
    assert approved not in flow.tasks(flow.tech)

    summary = flow.api.get("/api/v1/tasks", headers=flow.sector).json()[0]
    assert summary["state"] == "pedagogical_review" and summary["step_role"] == "sector_reviewer"
    assert summary["title"] == "Pedagogisk" and summary["overdue"] is False
    assert summary["step_due"] == (today() + datetime.timedelta(days=14)).isoformat()

    # a case moves from one inbox to the next
    flow.approve(pedagogical, "pedagogical_review")
    assert flow.tasks(flow.sector) == []
    assert sorted(flow.tasks(flow.privacy)) == sorted([privacy, pedagogical])


def test_assignment_to_a_holder_of_the_steps_role(flow):
    second = flow.api.headers("sector_reviewer", user="vkko-2")
    third = flow.api.headers("sector_reviewer", user="vkko-3")
    second_id = flow.user_id(second)
    case_id = flow.to_state("pedagogical_review")
    for who in (flow.sector, second, third):
        assert flow.tasks(who) == [case_id]
    before = flow.case(case_id)

    # someone without the role cannot be assigned, nor assign
    for user_id in (flow.user_id(flow.privacy), flow.user_id(flow.mentor), 999999):
        refused = assign(flow, case_id, flow.sector, user_id)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert "user_id" in [e["field"] for e in refused.json()["errors"]]
    assert assign(flow, case_id, flow.privacy, second_id).status_code == 403
    assert assign(flow, case_id, flow.staff, second_id).status_code == 404
    assert assign(flow, case_id, flow.sector, second_id, if_match=f'"case:{case_id}:1"').status_code == 412
    assert flow.case(case_id)["version"] == before["version"]
    assert of_kind(flow, second, "assignment", case_id) == []

    assigned = assign(flow, case_id, flow.sector, second_id)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assigned_to"]["id"] == second_id
    assert assigned.json()["version"] == before["version"] + 1
    assert flow.tasks(second) == [case_id]
    assert flow.tasks(flow.sector) == [] and flow.tasks(third) == []
    told = of_kind(flow, second, "assignment", case_id)
    assert len(told) == 1 and not told[0]["read"]
    assert of_kind(flow, third, "assignment", case_id) == []
    assert flow.history(case_id)["events"][-1]["action"] == "assign"

    # clearing the assignment puts it back in every holder's inbox
    cleared = assign(flow, case_id, second, None)
    assert cleared.status_code == 200 and cleared.json()["assigned_to"] is None
    for who in (flow.sector, second, third):
        assert flow.tasks(who) == [case_id]

    # the assignee decides; the next step is unassigned
    assign(flow, case_id, flow.sector, second_id)
    after = flow.act(case_id, second, "approve", reason="OK", form=FORMS["pedagogical_review"])
    assert after["state"] == "privacy_review" and after["assigned_to"] is None
    assert flow.tasks(second) == []

    # only review steps are assigned
    draft = flow.to_state("draft", name="Utkast")
    assert assign(flow, draft, flow.admin, second_id).status_code == 409
    closed = flow.to_state("approved", name="Ferdig")
    assert assign(flow, closed, flow.admin, second_id).status_code == 409


def test_overdue_steps_are_flagged_once_and_shown_in_the_inbox(flow, settings, api):
    second = flow.api.headers("sector_reviewer", user="vkko-2")
    second_id = flow.user_id(second)
    open_case = flow.to_state("pedagogical_review", name="Ikke tildelt")
    assigned_case = flow.to_state("pedagogical_review", name="Tildelt")
    assert assign(flow, assigned_case, flow.sector, second_id).status_code == 200

    later = today() + datetime.timedelta(days=30)
    first = api.run(scheduler.flag_overdue, settings, later)
    again = api.run(scheduler.flag_overdue, settings, later)
    assert sorted(first) == sorted([open_case, assigned_case]) and again == []
    # not yet due by the real today: no notice
    assert api.run(scheduler.flag_overdue, settings, today()) == []

    assert len(of_kind(flow, flow.sector, "overdue", open_case)) == 1
    assert len(of_kind(flow, second, "overdue", open_case)) == 1
    assert len(of_kind(flow, second, "overdue", assigned_case)) == 1
    assert of_kind(flow, flow.sector, "overdue", assigned_case) == []  # the assignee alone is told
    assert of_kind(flow, flow.privacy, "overdue", open_case) == []

    # the inbox shows overdue against today: move one step's due date into the past
    async def set_due(case_id: int, day: datetime.date) -> None:
        await Case.update({Case.step_due: day}).where(Case.id == case_id)

    api.run(set_due, open_case, today() - datetime.timedelta(days=1))
    inbox = {item["id"]: item for item in flow.api.get("/api/v1/tasks", headers=flow.sector).json()}
    assert inbox[open_case]["overdue"] is True
    assert flow.case(open_case)["overdue"] is True
    assert flow.case(assigned_case)["overdue"] is False
    listed = {c["id"]: c for c in flow.api.get("/api/v1/cases", headers=flow.admin).json()["items"]}
    assert listed[open_case]["overdue"] is True and listed[assigned_case]["overdue"] is False

    # a new due date is a new step deadline: flagged once more, once
    assert api.run(scheduler.flag_overdue, settings, today()) == [open_case]
    assert api.run(scheduler.flag_overdue, settings, today()) == []
    assert len(of_kind(flow, flow.sector, "overdue", open_case)) == 2

    # deciding moves the case on with a fresh due date
    after = flow.approve(open_case, "pedagogical_review")
    assert after["overdue"] is False
    assert after["step_due"] == (today() + datetime.timedelta(days=14)).isoformat()
