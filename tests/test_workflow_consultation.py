"""The consultation step (høring) of the pedagogical review: staff of chosen units are invited,
answer with ratings 1–5 and a comment by the deadline, the answers are summarised in the case, and
the consultation closes itself at its deadline through the same engine."""

from __future__ import annotations

import datetime

import pytest

from tests.conftest import resource_body
from tests.test_workflow_support import NORD, SOR, Flow, make_users, today

PROBLEM = "urn:laeremiddelkatalogen:problem:"
RATINGS = {"curriculum_fit": 4, "ease_of_use": 5}


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def _start(flow: Flow, case_id: int, **overrides):
    consultation = {"question": "Prøv brøkoppgavene med en klasse.", "units": [NORD],
                    "deadline": (today() + datetime.timedelta(days=14)).isoformat(),
                    "criteria": ["curriculum_fit", "ease_of_use"], **overrides}
    return flow.post_action(case_id, flow.sector, "start_consultation", consultation=consultation)


def _consultation_id(flow: Flow, headers) -> int:
    mine = flow.api.get("/api/v1/consultations", headers=headers).json()
    assert mine, "no consultation for this person"
    return mine[0]["id"]


def test_a_consultation_invites_the_units_staff_summarises_the_answers_and_returns_to_the_review(api, flow):
    users = make_users(api, [("second", "laerer-nord-2", ("staff",), (NORD,)),
                             ("south", "laerer-sor", ("staff",), (SOR,))])
    case_id = flow.to_state("pedagogical_review")
    assert "start_consultation" in [a["name"] for a in flow.case(case_id, flow.sector)["allowed_actions"]]
    started = _start(flow, case_id)
    assert started.status_code == 200, started.text
    assert started.json()["state"] == "consultation"
    assert [a["name"] for a in started.json()["allowed_actions"]] == ["close_consultation"]

    # the invited (staff and mentors of the unit) get a notification and a task; the other unit's staff do not
    assert any(n["kind"] == "consultation" for n in flow.notifications(flow.staff))
    assert api.get("/api/v1/consultations", headers=users["south"]).json() == []
    consultation_id = _consultation_id(flow, flow.staff)
    seen = api.get(f"/api/v1/consultations/{consultation_id}", headers=flow.staff).json()
    assert seen["may_answer"] is True and seen["resource_name"] == "Brøkbyggeren"
    assert seen["invited_count"] is None  # the summary is the sector office's

    url = f"/api/v1/consultations/{consultation_id}/answer"
    answered = api.put(url, json={"ratings": RATINGS, "comment": "Elevene likte det."}, headers=flow.staff)
    assert answered.status_code == 200, answered.text
    api.put(url, json={"ratings": {"curriculum_fit": 2, "ease_of_use": 3}}, headers=users["second"])
    changed = api.put(url, json={"ratings": {"curriculum_fit": 5, "ease_of_use": 5}, "comment": "Enda bedre."},
                      headers=flow.staff)
    assert changed.json()["my_answer"]["ratings"] == {"curriculum_fit": 5, "ease_of_use": 5}

    summary = api.get(f"/api/v1/consultations/{consultation_id}", headers=flow.sector).json()
    assert summary["answered_count"] == 2 and summary["invited_count"] >= 3  # two staff and the unit's mentors
    averages = {c["criterion"]: c["average"] for c in summary["criteria"]}
    assert averages == {"curriculum_fit": 3.5, "ease_of_use": 4.0}
    assert [c["comment"] for c in summary["comments"]] == ["Enda bedre."]

    closed = flow.act(case_id, flow.sector, "close_consultation")
    assert closed["state"] == "pedagogical_review"
    kept = closed["step_data"]["consultations"][0]
    assert kept["answered"] == 2 and kept["criteria"][0]["average"] == 3.5
    late = api.put(url, json={"ratings": RATINGS}, headers=users["second"])
    assert late.status_code == 409 and late.json()["type"] == PROBLEM + "consultation-closed"
    # the review goes on: the sector office approves as before
    assert flow.approve(case_id, "pedagogical_review")["state"] == "privacy_review"


def test_bad_answers_and_foreign_consultations_are_refused_and_nothing_is_lost(api, flow):
    users = make_users(api, [("south", "laerer-sor", ("staff",), (SOR,))])
    case_id = flow.to_state("pedagogical_review")
    assert _start(flow, case_id).status_code == 200
    consultation_id = _consultation_id(flow, flow.staff)
    url = f"/api/v1/consultations/{consultation_id}/answer"
    for bad in (0, 6):
        refused = api.put(url, json={"ratings": {"curriculum_fit": bad, "ease_of_use": 3}}, headers=flow.staff)
        assert refused.status_code == 422, refused.text
        assert "ratings" in refused.json()["errors"][0]["field"]
    missing = api.put(url, json={"ratings": {"curriculum_fit": 3}}, headers=flow.staff)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "ratings.ease_of_use"
    not_asked = api.put(url, json={"ratings": {**RATINGS, "bokmal_nynorsk": 3}}, headers=flow.staff)
    assert not_asked.status_code == 422 and not_asked.json()["errors"][0]["field"] == "ratings.bokmal_nynorsk"
    foreign = api.put(url, json={"ratings": RATINGS}, headers=users["south"])
    assert foreign.status_code == 404
    assert api.get(f"/api/v1/consultations/{consultation_id}", headers=users["south"]).status_code == 404
    summary = api.get(f"/api/v1/consultations/{consultation_id}", headers=flow.sector).json()
    assert summary["answered_count"] == 0


def test_the_request_to_start_a_consultation_is_checked_field_by_field(api, flow):
    case_id = flow.to_state("pedagogical_review")
    missing = flow.post_action(case_id, flow.sector, "start_consultation")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "consultation"
    past = _start(flow, case_id, deadline=today().isoformat(), units=["finnes-ikke"])
    assert past.status_code == 422
    assert {e["field"] for e in past.json()["errors"]} == {"consultation.deadline", "consultation.units[0]"}
    elsewhere = flow.post_action(case_id, flow.sector, "approve", reason="Ok", consultation={
        "question": "x", "units": [NORD], "deadline": (today() + datetime.timedelta(days=3)).isoformat()})
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["field"] == "consultation"
    not_theirs = _start(flow, case_id) if False else flow.post_action(
        case_id, flow.privacy, "start_consultation", consultation={
            "question": "x", "units": [NORD], "deadline": (today() + datetime.timedelta(days=3)).isoformat()})
    assert not_theirs.status_code == 403
    assert flow.case(case_id)["state"] == "pedagogical_review"


def test_a_consultation_invites_by_level_and_by_subject_as_well_as_by_unit(api, flow):
    """A level invites the staff of every unit that has it and those who follow it; a subject,
    those who follow it; nobody else is asked."""
    api.post("/api/v1/units", headers=flow.admin, json={"code": "ung-skole", "name": "Ungdomsskolen", "kind": "skole",
                                                         "levels": ["8", "9", "10"]})
    api.post("/api/v1/units", headers=flow.admin, json={"code": "mellom-skole", "name": "Mellomskolen",
                                                         "kind": "skole", "levels": ["5", "6", "7"]})
    users = make_users(api, [("eighth", "laerer-ung", ("staff",), ("ung-skole",)),
                             ("middle", "laerer-mellom", ("staff",), ("mellom-skole",)),
                             ("follows_level", "folger-trinn", ("staff",), ()),
                             ("follows_subject", "folger-fag", ("staff",), ()),
                             ("follows_other", "folger-annet", ("staff",), ())])
    assert api.put("/api/v1/users/me/follows/level/9", headers=users["follows_level"]).status_code in (200, 201, 204)
    assert api.put("/api/v1/users/me/follows/subject/MAT", headers=users["follows_subject"]).status_code in (200, 201, 204)
    assert api.put("/api/v1/users/me/follows/subject/NOR", headers=users["follows_other"]).status_code in (200, 201, 204)
    case_id = flow.to_state("pedagogical_review")
    started = _start(flow, case_id, units=[], levels=["9"], subjects=["MAT"])
    assert started.status_code == 200, started.text
    invited = {key for key in users if api.get("/api/v1/consultations", headers=users[key]).json()}
    assert invited == {"eighth", "follows_level", "follows_subject"}
    consultation_id = _consultation_id(flow, users["eighth"])
    seen = api.get(f"/api/v1/consultations/{consultation_id}", headers=flow.sector).json()
    assert seen["units"] == [] and seen["levels"] == ["9"] and seen["subjects"] == ["MAT"]
    assert seen["invited_count"] == 3


def test_a_consultation_must_invite_someone_and_only_known_levels_and_subjects(api, flow):
    case_id = flow.to_state("pedagogical_review")
    nobody = _start(flow, case_id, units=[])
    assert nobody.status_code == 422 and [e["field"] for e in nobody.json()["errors"]] == ["consultation.units"]
    unknown = _start(flow, case_id, units=[], levels=["vg1"], subjects=["MAT", "XYZ"])
    assert unknown.status_code == 422
    assert {e["field"] for e in unknown.json()["errors"]} == {"consultation.levels[0]", "consultation.subjects[1]"}
    assert flow.case(case_id)["state"] == "pedagogical_review"


def test_a_consultation_closes_itself_when_its_deadline_has_passed(api, flow):
    from workflows.scheduler import run_once

    case_id = flow.to_state("pedagogical_review")
    assert _start(flow, case_id).status_code == 200
    consultation_id = _consultation_id(flow, flow.staff)
    api.put(f"/api/v1/consultations/{consultation_id}/answer", json={"ratings": RATINGS}, headers=flow.staff)
    settings = api.client.app.state.settings
    assert api.run(run_once, settings, today() + datetime.timedelta(days=14)).consultations_closed == []
    report = api.run(run_once, settings, today() + datetime.timedelta(days=15))
    assert report.consultations_closed == [case_id]
    case = flow.case(case_id)
    assert case["state"] == "pedagogical_review" and case["step_data"]["consultations"][0]["answered"] == 1
    assert api.run(run_once, settings, today() + datetime.timedelta(days=16)).consultations_closed == []
    events = [e["action"] for e in flow.history(case_id)["events"]]
    assert events[-1] == "close_consultation"


def test_a_revision_can_send_the_resource_on_consultation_too(api, flow):
    from workflows.definitions import WORKFLOWS

    assert "start_consultation" in WORKFLOWS["revision"].states["pedagogical_review"].actions
    assert WORKFLOWS["revision"].states["consultation"].actions["close_consultation"].consultation == "close"


def test_the_annual_report_counts_tips_consultations_and_their_response_rate(api, flow):
    case_id = flow.to_state("pedagogical_review")
    assert _start(flow, case_id).status_code == 200
    consultation_id = _consultation_id(flow, flow.staff)
    api.put(f"/api/v1/consultations/{consultation_id}/answer", json={"ratings": RATINGS}, headers=flow.staff)
    published = api.post("/api/v1/resources", json=resource_body(
        name="Tipsmål", url="https://tipsmal.example.no"), headers=flow.admin).json()
    api.post(f"/api/v1/resources/{published['id']}/tips", json={"body": "Godt"}, headers=flow.staff)
    api.post(f"/api/v1/resources/{published['id']}/tips", json={"body": "Også godt"}, headers=flow.mentor)
    report = api.get("/api/v1/annual-report", params={"year": today().year}, headers=flow.sector).json()
    part = report["participation"]
    assert part["tips"] == 2 and part["tip_authors"] == 2 and part["consultations"] == 1
    assert part["answered"] == 1 and part["invited"] >= 2
    assert part["response_rate"] == round(1 / part["invited"], 3)
    unit = api.get("/api/v1/annual-report", params={"year": today().year, "unit": SOR}, headers=flow.sector).json()
    assert unit["participation"]["tips"] == 0 and unit["participation"]["consultations"] == 0
