"""Acceptance tests of the proposal workflow over HTTP: the full path to publication, every decision
at every review step, return and resubmission, withdrawal, illegal transitions, roles and
visibility, and the rules a review form must meet before approval."""

from __future__ import annotations

import datetime

import pytest

from tests.test_workflow_support import (
    FORMS,
    NORD,
    PEDAGOGICAL_FORM,
    PROBLEM,
    SOR,
    Flow,
    add_months,
    etag_of,
    privacy_form,
    privacy_record,
    procurement_form,
    today,
)

REVIEW_STEPS = ["pedagogical_review", "privacy_review", "procurement"]
NEXT_STEP = {"pedagogical_review": "privacy_review", "privacy_review": "procurement", "procurement": "approved"}


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def names(actions: list[dict]) -> set[str]:
    return {a["name"] for a in actions}


def staff_list_ids(flow: Flow) -> list[int]:
    response = flow.api.get("/api/v1/resources?limit=100", headers=flow.staff)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == status
    named = [e["field"] for e in problem.get("errors") or []]
    for field in fields:
        assert field in named, (field, problem)
    return problem


# --- 1. the full path ------------------------------------------------------------------------


def test_proposal_full_path_publishes_the_resource_into_the_base_package(flow):
    created = flow.propose("Brøkbyggeren")
    case = created["case"]
    case_id, resource_id = case["id"], case["resource_id"]
    assert case["kind"] == "proposal" and case["state"] == "draft" and case["version"] == 1
    assert case["proposer_units"] == [NORD] and case["resource_status"] == "draft"
    assert names(case["allowed_actions"]) == {"submit", "withdraw"}
    assert created["duplicates"] == []
    assert flow.resource(case_id)["status"] == "draft"
    # staff do not see a proposal's draft resource yet
    assert flow.api.get(f"/api/v1/resources/{resource_id}", headers=flow.staff).status_code == 404

    case = flow.submit(case_id)
    assert case["state"] == "pedagogical_review" and case["resource_status"] == "in_review"
    assert case["step_role"] == "sector_reviewer" and case["step_form"] == "pedagogical"
    assert case["step_due"] == (today() + datetime.timedelta(days=14)).isoformat()

    sector_view = flow.case(case_id, flow.sector)
    assert names(sector_view["allowed_actions"]) == {"approve", "approve_with_restrictions", "return", "reject",
                                                    "start_consultation"}

    case = flow.approve(case_id, "pedagogical_review")
    assert case["state"] == "privacy_review" and case["step_role"] == "privacy_reviewer"
    assert case["step_data"]["pedagogical"]["curriculum_fit"] == PEDAGOGICAL_FORM["curriculum_fit"]
    case = flow.approve(case_id, "privacy_review")
    assert case["state"] == "procurement" and case["step_role"] == "tech_approver"
    case = flow.approve(case_id, "procurement")
    assert case["state"] == "approved" and case["outcome"] == "approved"
    assert case["closed_at"] is not None and case["allowed_actions"] == [] and case["step_due"] is None

    resource = flow.resource(case_id)
    assert resource["status"] == "published"
    assert resource["in_base_package"] is True
    assert resource["units"] == [NORD]
    assert resource["next_revision_date"] == add_months(today(), 12).isoformat()
    assert resource["annual_cost_nok"] == 52000 and resource["licence_count"] == 1500
    assert resource["restrictions"] is None
    # the privacy record holds what the privacy review said
    record = privacy_record()
    for field in ("dpa_reference", "dpa_date", "dpia_status", "dpia_date", "data_location", "retention",
                  "security_measures", "legal_basis", "processor"):
        assert resource["privacy"][field] == record[field], field

    staff_read = flow.api.get(f"/api/v1/resources/{resource_id}", headers=flow.staff)
    assert staff_read.status_code == 200 and staff_read.json()["status"] == "published"
    assert resource_id in staff_list_ids(flow)

    history = flow.history(case_id)
    assert [e["action"] for e in history["events"]] == ["create", "submit", "approve", "approve", "approve"]
    assert [(e["from_state"], e["to_state"]) for e in history["events"][1:]] == [
        ("draft", "pedagogical_review"), ("pedagogical_review", "privacy_review"),
        ("privacy_review", "procurement"), ("procurement", "approved")]
    assert [e["actor_role"] for e in history["events"][2:]] == ["sector_reviewer", "privacy_reviewer", "tech_approver"]
    assert history["events"][4]["data"]["form"]["budget_owner"] == "Kommuneområde oppvekst"


def test_privacy_approval_puts_the_reviewed_record_on_the_resource(flow):
    """What the privacy reviewer recorded is the resource's privacy record from the approval on,
    so the procurement step (and everyone reading the resource) sees the reviewed record."""
    case_id = flow.to_state("privacy_review")
    record = privacy_record(dpa_reference="DBA-2026-900", dpa_expires="2030-01-31",
                            retention="Slettes etter skoleåret.", dpo_advice="Begrens loggingen.")
    flow.approve(case_id, "privacy_review", form=privacy_form(record))
    privacy = flow.resource(case_id)["privacy"]
    assert privacy["dpa_reference"] == "DBA-2026-900"
    assert privacy["dpa_expires"] == "2030-01-31"
    assert privacy["retention"] == "Slettes etter skoleåret."
    assert privacy["dpo_advice"] == "Begrens loggingen."


@pytest.mark.parametrize("expiry", ["dpa", "licence", "both"])
def test_next_revision_date_comes_earlier_when_the_dpa_or_the_licence_expires_sooner(flow, expiry):
    dpa_expires = today() + datetime.timedelta(days=100)
    licence_to = today() + datetime.timedelta(days=60)
    case_id = flow.to_state("privacy_review")
    record = privacy_record(dpa_expires=dpa_expires.isoformat()) if expiry in ("dpa", "both") else privacy_record()
    flow.approve(case_id, "privacy_review", form=privacy_form(record))
    form = procurement_form(licence_from=today().isoformat(), licence_to=licence_to.isoformat()) \
        if expiry in ("licence", "both") else procurement_form()
    flow.approve(case_id, "procurement", form=form)
    resource = flow.resource(case_id)
    expected = {"dpa": dpa_expires, "licence": licence_to, "both": licence_to}[expiry]
    assert resource["status"] == "published"
    assert resource["next_revision_date"] == expected.isoformat()
    if expiry != "dpa":
        assert resource["licence_expires"] == licence_to.isoformat()


def test_target_units_publishes_for_the_named_units_only(flow):
    case_id = flow.to_state("procurement")
    missing = flow.post_action(case_id, flow.tech, "approve", reason="OK", form=procurement_form(target="units"))
    assert_problem(missing, 422, "form.units")
    assert flow.case(case_id)["state"] == "procurement"
    flow.approve(case_id, "procurement", form=procurement_form(target="units", units=[SOR]))
    resource = flow.resource(case_id)
    assert resource["status"] == "published"
    assert resource["in_base_package"] is False
    assert resource["units"] == [SOR]


def test_procurement_units_must_be_units_of_the_municipality(flow):
    """Like everywhere else a unit code is given (resources, proposals), an unknown one is refused
    instead of being published as a unit that does not exist."""
    case_id = flow.to_state("procurement")
    unknown = flow.post_action(case_id, flow.tech, "approve", reason="OK",
                               form=procurement_form(target="units", units=[SOR, "finnes-ikke"]))
    assert_problem(unknown, 422, "form.units[1]")
    assert flow.case(case_id)["state"] == "procurement"
    assert flow.resource(case_id)["status"] == "in_review"


# --- 2. every decision at every step ---------------------------------------------------------


@pytest.mark.parametrize("step", REVIEW_STEPS)
def test_every_decision_at_every_review_step(flow, step):
    reviewer = flow.reviewer_of[step]
    form = FORMS[step]

    # approve
    approved = flow.to_state(step, name=f"Godkjent {step}")
    assert flow.act(approved, reviewer, "approve", reason="Ser bra ut.", form=form)["state"] == NEXT_STEP[step]

    # approve with restrictions: the text is required, kept on the case and on the published resource
    restricted = flow.to_state(step, name=f"Begrenset {step}")
    before = flow.case(restricted)
    missing = flow.post_action(restricted, reviewer, "approve_with_restrictions", reason="Ja, men.", form=form)
    assert_problem(missing, 422, "restrictions")
    blank = flow.post_action(restricted, reviewer, "approve_with_restrictions", reason="Ja, men.", form=form,
                             restrictions="   ")
    assert_problem(blank, 422, "restrictions")
    assert flow.case(restricted)["version"] == before["version"]
    text = f"Kun for elever på 5.–7. trinn ({step})."
    after = flow.act(restricted, reviewer, "approve_with_restrictions", reason="Ja, med vilkår.", form=form,
                     restrictions=text)
    assert after["state"] == NEXT_STEP[step] and text in after["restrictions"]
    for later in REVIEW_STEPS[REVIEW_STEPS.index(step) + 1:]:
        flow.approve(restricted, later)
    resource = flow.resource(restricted)
    assert resource["status"] == "published"
    assert text in (resource["restrictions"] or "")
    listed = flow.api.get("/api/v1/resources?limit=100", headers=flow.staff).json()["items"]
    assert text in (next(i for i in listed if i["id"] == resource["id"])["restrictions"] or "")

    # return: the reason is required; the case goes back to the proposer
    returned = flow.to_state(step, name=f"Returnert {step}")
    before = flow.case(returned)
    assert_problem(flow.post_action(returned, reviewer, "return"), 422, "reason")
    assert_problem(flow.post_action(returned, reviewer, "return", reason=" \n "), 422, "reason")
    assert flow.case(returned)["version"] == before["version"]
    after = flow.act(returned, reviewer, "return", reason="Beskriv bruken bedre.")
    assert after["state"] == "returned" and after["returned_from"] == step and after["closed_at"] is None
    assert after["step_role"] is None
    assert names(flow.case(returned, flow.mentor)["allowed_actions"]) == {"resubmit", "withdraw"}

    # reject: the resource is rejected and the case closed
    rejected = flow.to_state(step, name=f"Avslått {step}")
    assert_problem(flow.post_action(rejected, reviewer, "reject"), 422, "reason")
    after = flow.act(rejected, reviewer, "reject", reason="Dekkes allerede av grunnpakken.")
    assert after["state"] == "rejected" and after["outcome"] == "rejected" and after["closed_at"] is not None
    assert after["resource_status"] == "rejected"
    assert flow.resource(rejected)["status"] == "rejected"
    decision = flow.history(rejected)["events"][-1]
    assert decision["action"] == "reject" and decision["reason"] == "Dekkes allerede av grunnpakken."
    assert decision["data"]["decision"] == "reject"


# --- 3. return and resubmit ------------------------------------------------------------------


def test_return_from_privacy_review_edit_and_resubmit_goes_back_to_the_step_that_returned_it(flow):
    case_id = flow.to_state("privacy_review")
    # the proposer cannot edit while the case is under review
    in_review = flow.api.put(f"/api/v1/cases/{case_id}/resource", json={"description": "Ny"},
                             headers={**flow.mentor, "If-Match": etag_of(flow.case(case_id))})
    assert_problem(in_review, 409)

    returned = flow.act(case_id, flow.privacy, "return", reason="Legg ved databehandleravtalen.")
    assert returned["state"] == "returned" and returned["returned_from"] == "privacy_review"
    assert case_id in flow.tasks(flow.mentor)

    url = f"/api/v1/cases/{case_id}/resource"
    # If-Match is the case's ETag; stale or missing ones are refused
    assert flow.api.put(url, json={"description": "x"}, headers=flow.mentor).status_code == 428
    stale = flow.api.put(url, json={"description": "x"},
                         headers={**flow.mentor, "If-Match": f'"case:{case_id}:1"'})
    assert stale.status_code == 412
    # fields decided in the review cannot be set by the proposer
    forbidden = flow.api.put(url, json={"in_base_package": True, "status": "published"},
                             headers={**flow.mentor, "If-Match": etag_of(returned)})
    assert_problem(forbidden, 422, "in_base_package", "status")
    # only the proposer edits
    other = flow.api.put(url, json={"description": "x"}, headers={**flow.mentor_same_unit, "If-Match": etag_of(returned)})
    assert other.status_code == 403
    assert flow.case(case_id)["version"] == returned["version"]

    edited = flow.api.put(url, json={"description": "Med databehandleravtale datert januar.", "name": "Brøkbyggeren 2"},
                          headers={**flow.mentor, "If-Match": etag_of(returned)})
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == returned["version"] + 1 and edited.json()["title"] == "Brøkbyggeren 2"
    assert edited.headers["etag"] == etag_of(edited.json())
    resource = flow.resource(case_id)
    assert resource["description"] == "Med databehandleravtale datert januar." and resource["name"] == "Brøkbyggeren 2"

    resubmitted = flow.act(case_id, flow.mentor, "resubmit")
    assert resubmitted["state"] == "privacy_review" and resubmitted["step_role"] == "privacy_reviewer"
    assert case_id not in flow.tasks(flow.mentor) and case_id in flow.tasks(flow.privacy)

    flow.approve(case_id, "privacy_review")
    flow.approve(case_id, "procurement")
    events = flow.history(case_id, flow.mentor)["events"]
    assert [e["action"] for e in events] == ["create", "submit", "approve", "return", "edit", "resubmit",
                                             "approve", "approve"]
    assert [e["to_state"] for e in events if e["to_state"]] == [
        "draft", "pedagogical_review", "privacy_review", "returned", "privacy_review", "procurement", "approved"]
    assert events[3]["reason"] == "Legg ved databehandleravtalen." and events[3]["actor_role"] == "privacy_reviewer"
    times = [e["occurred_at"] for e in events]
    assert times == sorted(times)


# --- 4. withdrawal -----------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "returned", "privacy_review"])
def test_the_proposer_withdraws_while_not_decided_and_nobody_else_may(flow, state):
    case_id = flow.to_state(state)
    before = flow.case(case_id)
    for who in (flow.sector, flow.privacy, flow.tech, flow.admin, flow.mentor_same_unit):
        refused = flow.post_action(case_id, who, "withdraw", reason="Trenger det ikke.")
        assert_problem(refused, 403)
    assert flow.case(case_id)["version"] == before["version"]
    assert_problem(flow.post_action(case_id, flow.mentor, "withdraw"), 422, "reason")

    after = flow.act(case_id, flow.mentor, "withdraw", reason="Skolen har funnet en annen løsning.")
    assert after["state"] == "withdrawn" and after["outcome"] == "withdrawn" and after["closed_at"] is not None
    assert after["allowed_actions"] == []
    resource = flow.resource(case_id)
    assert resource["status"] == "archived" and resource["archived_at"] is not None
    again = flow.post_action(case_id, flow.mentor, "withdraw", reason="Igjen.")
    assert assert_problem(again, 409)["allowed_actions"] == []


@pytest.mark.parametrize("outcome", ["approved", "rejected"])
def test_no_withdrawal_after_a_final_decision(flow, outcome):
    if outcome == "approved":
        case_id = flow.to_state("approved")
    else:
        case_id = flow.to_state("privacy_review")
        flow.act(case_id, flow.privacy, "reject", reason="Uakseptabel risiko.")
    before = flow.case(case_id)
    refused = flow.post_action(case_id, flow.mentor, "withdraw", reason="For sent.")
    problem = assert_problem(refused, 409)
    assert problem["allowed_actions"] == []
    after = flow.case(case_id)
    assert (after["state"], after["version"]) == (before["state"], before["version"])
    assert flow.resource(case_id)["status"] == ("published" if outcome == "approved" else "rejected")


# --- 5. illegal transitions, wrong roles, visibility -------------------------------------------


def _unchanged(flow: Flow, case_id: int, before: dict) -> None:
    after = flow.case(case_id)
    assert (after["state"], after["version"], after["resource_status"]) == \
        (before["state"], before["version"], before["resource_status"])
    assert len(flow.history(case_id)["events"]) == before["_events"]


def _snapshot(flow: Flow, case_id: int) -> dict:
    return {**flow.case(case_id), "_events": len(flow.history(case_id)["events"])}


def test_illegal_transitions_are_409_with_the_allowed_actions_and_change_nothing(flow):
    draft = flow.to_state("draft")
    before = _snapshot(flow, draft)
    problem = assert_problem(flow.post_action(draft, flow.mentor, "approve", reason="Selvgodkjent"), 409)
    assert problem["type"].endswith(":action-not-allowed")
    assert sorted(problem["allowed_actions"]) == ["submit", "withdraw"]
    problem = assert_problem(flow.post_action(draft, flow.sector, "approve", reason="For tidlig",
                                              form=PEDAGOGICAL_FORM), 409)
    assert problem["allowed_actions"] == []
    assert_problem(flow.post_action(draft, flow.mentor, "resubmit"), 409)
    assert_problem(flow.post_action(draft, flow.mentor, "renew", reason="x"), 409)
    assert_problem(flow.post_action(draft, flow.mentor, "no_such_action"), 409)
    # If-Match is required, and must be this case's
    url = f"/api/v1/cases/{draft}/actions"
    assert_problem(flow.api.post(url, json={"action": "submit"}, headers=flow.mentor), 428, "If-Match")
    other = flow.propose("Annet forslag")["case"]
    assert_problem(flow.api.post(url, json={"action": "submit"},
                                 headers={**flow.mentor, "If-Match": etag_of(other)}), 412)
    _unchanged(flow, draft, before)

    # submit twice: the second is refused (with a stale If-Match it may also be a 412)
    submitted = flow.submit(draft)
    before = _snapshot(flow, draft)
    problem = assert_problem(flow.post_action(draft, flow.mentor, "submit", if_match=etag_of(submitted)), 409)
    assert problem["allowed_actions"] == ["withdraw"]
    # `*` is no version: refused as if none were sent
    assert_problem(flow.post_action(draft, flow.mentor, "submit", if_match="*"), 428, "If-Match")
    assert flow.post_action(draft, flow.mentor, "submit", if_match=f'"case:{draft}:1"').status_code in (409, 412)
    _unchanged(flow, draft, before)

    # a review step's own actions out of turn
    problem = assert_problem(flow.post_action(draft, flow.privacy, "approve", reason="x",
                                              form=FORMS["privacy_review"]), 403)
    _unchanged(flow, draft, before)

    # nothing is possible on a closed case, for anyone
    closed = flow.to_state("approved", name="Ferdig sak")
    before = _snapshot(flow, closed)
    for who, action in ((flow.tech, "approve"), (flow.tech, "reject"), (flow.sector, "return"),
                        (flow.mentor, "resubmit"), (flow.mentor, "submit"), (flow.admin, "approve")):
        problem = assert_problem(flow.post_action(closed, who, action, reason="x"), 409)
        assert problem["allowed_actions"] == []
    _unchanged(flow, closed, before)


def test_wrong_roles_are_403_and_the_dpo_advises_but_does_not_decide(flow):
    case_id = flow.to_state("pedagogical_review")
    before = _snapshot(flow, case_id)
    for who in (flow.privacy, flow.tech, flow.dpo, flow.mentor, flow.mentor_same_unit):
        for action in ("approve", "approve_with_restrictions", "return", "reject"):
            response = flow.post_action(case_id, who, action, reason="Jeg bestemmer.", restrictions="Noe",
                                        form=PEDAGOGICAL_FORM)
            problem = assert_problem(response, 403)
            assert "allowed_actions" in problem
    # the form cannot be saved by someone else either
    saved = flow.api.put(f"/api/v1/cases/{case_id}/form", json={"form": PEDAGOGICAL_FORM},
                         headers={**flow.privacy, "If-Match": etag_of(flow.case(case_id))})
    assert saved.status_code == 403
    _unchanged(flow, case_id, before)

    dpo_view = flow.case(case_id, flow.dpo)
    assert dpo_view["allowed_actions"] == [] and dpo_view["can_comment"] is True
    comment = flow.api.post(f"/api/v1/cases/{case_id}/comments",
                            json={"text": "Vurder om resultatdata trengs."}, headers=flow.dpo)
    assert comment.status_code == 201, comment.text
    events = flow.history(case_id)["events"]
    assert events[-1]["action"] == "comment" and events[-1]["actor_role"] == "dpo"
    assert events[-1]["reason"] == "Vurder om resultatdata trengs."
    assert flow.case(case_id)["state"] == "pedagogical_review"

    # the right role may act
    assert flow.approve(case_id, "pedagogical_review")["state"] == "privacy_review"


def test_cases_are_404_to_those_who_may_not_see_them(flow):
    case_id = flow.to_state("pedagogical_review")
    etag = etag_of(flow.case(case_id))
    for who in (flow.staff, flow.mentor_other_unit):
        assert flow.api.get(f"/api/v1/cases/{case_id}", headers=who).status_code == 404
        assert flow.api.get(f"/api/v1/cases/{case_id}/history", headers=who).status_code == 404
        assert flow.api.get(f"/api/v1/cases/{case_id}/resource", headers=who).status_code == 404
        acted = flow.api.post(f"/api/v1/cases/{case_id}/actions", json={"action": "withdraw", "reason": "x"},
                              headers={**who, "If-Match": etag})
        assert_problem(acted, 404)
        commented = flow.api.post(f"/api/v1/cases/{case_id}/comments", json={"text": "hei"}, headers=who)
        assert commented.status_code == 404
        assert case_id not in [c["id"] for c in flow.api.get("/api/v1/cases", headers=who).json()["items"]]
    assert flow.case(case_id)["version"] == 1 + 1  # created, submitted; nothing else happened

    # an ICT mentor of the same unit sees the case and its history, but is not its proposer
    same = flow.case(case_id, flow.mentor_same_unit)
    assert same["id"] == case_id and same["allowed_actions"] == []
    assert flow.api.get(f"/api/v1/cases/{case_id}/history", headers=flow.mentor_same_unit).status_code == 200
    assert case_id in [c["id"] for c in flow.api.get("/api/v1/cases", headers=flow.mentor_same_unit).json()["items"]]
    # every reviewer and the DPO see it
    for who in (flow.sector, flow.privacy, flow.tech, flow.dpo, flow.admin):
        assert flow.api.get(f"/api/v1/cases/{case_id}", headers=who).status_code == 200


def test_a_proposal_can_be_submitted_as_it_is_created(flow):
    created = flow.propose("Lesesnok", submit=True)["case"]
    assert created["state"] == "pedagogical_review" and created["version"] == 2
    assert created["resource_status"] == "in_review"
    assert [e["action"] for e in flow.history(created["id"])["events"]] == ["create", "submit"]
    assert created["id"] in flow.tasks(flow.sector)


def test_only_ict_mentors_and_admins_propose_and_only_for_their_own_units(flow):
    body = {"resource": {"name": "X", "vendor": {"name": "Y"}, "url": "https://x.example.no", "kind": "practice_tool"},
            "justification": {"pedagogical_purpose": "Fordi", "units": [NORD]}}
    for who in (flow.staff, flow.sector, flow.privacy, flow.dpo, flow.tech):
        assert flow.api.post("/api/v1/cases", json=body, headers=who).status_code == 403
    other = flow.api.post("/api/v1/cases", json=body, headers=flow.mentor_other_unit)
    assert_problem(other, 422, "justification.units")
    no_purpose = {**body, "justification": {"pedagogical_purpose": "", "units": [NORD]}}
    assert flow.api.post("/api/v1/cases", json=no_purpose, headers=flow.mentor).status_code in (400, 422)
    assert flow.api.get("/api/v1/cases", headers=flow.admin).json()["total"] == 0


# --- 6. review form rules ----------------------------------------------------------------------

PRIVACY_REFUSALS = [
    ("pupils data without a signed DPA",
     privacy_record(dpa_status="in_progress", dpa_reference=None, dpa_date=None), {}, "form.record.dpa_reference"),
    ("kindergarten children's data without a DPA",
     privacy_record(data_subjects=["children"], dpa_status="missing", dpa_reference=None, dpa_date=None), {},
     "form.record.dpa_reference"),
    ("pupils data without a DPIA decision",
     privacy_record(dpia_status="not_assessed", dpia_date=None, dpia_risk_level=None), {}, "form.record.dpia_status"),
    ("pupils data with a DPIA still in progress",
     privacy_record(dpia_status="in_progress", dpia_date=None, dpia_risk_level=None), {}, "form.record.dpia_status"),
    ("children's data and new technology without a completed DPIA",
     privacy_record(dpia_status="not_required", dpia_date=None, dpia_risk_level=None), {"new_technology": True},
     "form.record.dpia_status"),
    ("a transfer outside the EEA with no basis (none)",
     privacy_record(data_location="outside_eea", transfers_outside_eea=True, transfer_basis="none",
                    transfer_countries=["US"]), {}, "form.record.transfer_basis"),
    ("a transfer outside the EEA with no basis (null)",
     privacy_record(data_location="outside_eea", transfers_outside_eea=True, transfer_basis=None,
                    transfer_countries=["US"]), {}, "form.record.transfer_basis"),
    ("an unanswered screening",
     privacy_record(), {"children_data": None}, "form.screening.children_data"),
]


def test_privacy_review_rules_refuse_approval_naming_the_field(flow):
    case_id = flow.to_state("privacy_review")
    before = _snapshot(flow, case_id)
    for label, record, screening, field in PRIVACY_REFUSALS:
        for action in ("approve", "approve_with_restrictions"):
            response = flow.post_action(case_id, flow.privacy, action, reason="Vurdert.", restrictions="Noe",
                                        form=privacy_form(record, **screening))
            assert_problem(response, 422, field)
        assert flow.case(case_id)["state"] == "privacy_review", label
    _unchanged(flow, case_id, before)

    # the same record with a transfer basis, or processing no personal data at all, is fine
    other = flow.to_state("privacy_review", name="Tallinja")
    record = privacy_record(data_location="outside_eea", transfers_outside_eea=True, transfer_basis="scc",
                            transfer_countries=["US"])
    assert flow.approve(other, "privacy_review", form=privacy_form(record))["state"] == "procurement"
    third = flow.to_state("privacy_review", name="Fargeleggeren")
    no_data = {"record": {"processes_personal_data": False, "dpa_status": "not_required"},
               "screening": {"children_data": False, "new_technology": False}}
    assert flow.approve(third, "privacy_review", form=no_data)["state"] == "procurement"
    # the completed DPIA that the screening requires is accepted
    fourth = flow.to_state("privacy_review", name="Lesesnok")
    assert flow.approve(fourth, "privacy_review", form=privacy_form(new_technology=True))["state"] == "procurement"


def test_a_saved_form_is_used_when_approving_and_other_steps_rules_name_their_fields(flow):
    case_id = flow.to_state("pedagogical_review")
    incomplete = {"curriculum_fit": "", "criteria": {"bokmal_nynorsk": True}}
    response = flow.post_action(case_id, flow.sector, "approve", reason="OK", form=incomplete)
    assert_problem(response, 422, "form.curriculum_fit", "form.criteria.universal_design")
    unknown = flow.post_action(case_id, flow.sector, "approve", reason="OK", form={"nonsense": 1})
    assert_problem(unknown, 422)
    # work in progress is saved without deciding, then approved without sending the form again
    saved = flow.api.put(f"/api/v1/cases/{case_id}/form", json={"form": PEDAGOGICAL_FORM},
                         headers={**flow.sector, "If-Match": etag_of(flow.case(case_id))})
    assert saved.status_code == 200, saved.text
    assert saved.json()["state"] == "pedagogical_review"
    assert saved.json()["step_data"]["pedagogical"]["curriculum_fit"] == PEDAGOGICAL_FORM["curriculum_fit"]
    assert flow.act(case_id, flow.sector, "approve", reason="OK")["state"] == "privacy_review"

    flow.approve(case_id, "privacy_review")
    response = flow.post_action(case_id, flow.tech, "approve", reason="OK",
                                form=procurement_form(budget_owner=None, annual_cost_nok=None, licence_count=None,
                                                      technical_fit=""))
    assert_problem(response, 422, "form.budget_owner", "form.annual_cost_nok", "form.licence_count",
                   "form.technical_fit")
    response = flow.post_action(case_id, flow.tech, "approve", reason="OK",
                                form=procurement_form(licence_from="2027-01-01", licence_to="2026-01-01"))
    assert_problem(response, 422, "form.licence_to")
    assert flow.case(case_id)["state"] == "procurement"
