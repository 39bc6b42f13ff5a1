"""Acceptance tests of wishes (staff ask their unit's ICT mentors for a resource) and of the
duplicate warnings shown before and when a resource is proposed."""

from __future__ import annotations

import pytest

from tests.conftest import resource_body
from tests.test_workflow_support import NORD, PROBLEM, SOR, Flow


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def send_wish(flow: Flow, headers: dict, **overrides) -> dict:
    body = {"name": "Matteboksen", "unit": NORD, "url": "https://matteboksen.example.no",
            "description": "Oppgaver med video.", "reason": "Elevene på 6. trinn trenger mengdetrening.", **overrides}
    response = flow.api.post("/api/v1/wishes", json=body, headers=headers)
    assert response.status_code == 201, response.text
    wish = response.json()
    assert response.headers["etag"] == f'"wish:{wish["id"]}:1"'
    return wish


def wish_notices(flow: Flow, headers: dict) -> list[dict]:
    return [n for n in flow.notifications(headers) if n["kind"] == "wish"]


def test_a_staff_wish_reaches_the_units_ict_mentors_who_decline_it_with_a_reason(flow):
    wish = send_wish(flow, flow.staff)
    assert wish["status"] == "open" and wish["unit"] == NORD and wish["requester"] == "laerer-nord"
    assert wish["case_id"] is None and wish["decline_reason"] is None

    # the ICT mentors of the unit are told; a mentor of another unit is not
    for mentor in (flow.mentor, flow.mentor_same_unit):
        notices = wish_notices(flow, mentor)
        assert len(notices) == 1 and "Matteboksen" in notices[0]["subject"]
        assert "mengdetrening" in notices[0]["body"]
    assert wish_notices(flow, flow.mentor_other_unit) == []

    # who sees the wish
    listed = flow.api.get("/api/v1/wishes", headers=flow.mentor).json()
    assert [w["id"] for w in listed] == [wish["id"]]
    assert [w["id"] for w in flow.api.get("/api/v1/wishes?status=open", headers=flow.mentor).json()] == [wish["id"]]
    assert flow.api.get("/api/v1/wishes?status=declined", headers=flow.mentor).json() == []
    assert flow.api.get("/api/v1/wishes", headers=flow.mentor_other_unit).json() == []
    assert flow.api.get(f"/api/v1/wishes/{wish['id']}", headers=flow.mentor_other_unit).status_code == 404
    assert flow.api.get(f"/api/v1/wishes/{wish['id']}", headers=flow.staff).status_code == 200
    other_staff = flow.api.headers("staff", user="laerer-nord-2", units=(NORD,))
    assert flow.api.get(f"/api/v1/wishes/{wish['id']}", headers=other_staff).status_code == 404

    # only the unit's ICT mentors answer, and only with a reason
    url = f"/api/v1/wishes/{wish['id']}/decline"
    assert flow.api.post(url, json={"reason": "Nei"}, headers=flow.staff).status_code == 403
    assert flow.api.post(url, json={"reason": "Nei"}, headers=flow.mentor_other_unit).status_code == 404
    no_reason = flow.api.post(url, json={"reason": ""}, headers=flow.mentor)
    assert no_reason.status_code in (400, 422) and no_reason.headers["content-type"].startswith(PROBLEM)
    assert "reason" in [e["field"] for e in no_reason.json()["errors"]]
    assert flow.api.post(url, json={"reason": "x"}, headers={**flow.mentor, "If-Match": '"wish:1:9"'}).status_code == 412

    declined = flow.api.post(url, json={"reason": "Grunnpakken har allerede Brøkbyggeren."}, headers=flow.mentor)
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert declined.json()["decline_reason"] == "Grunnpakken har allerede Brøkbyggeren."
    assert declined.json()["handled_by"] == "mentor-nord" and declined.json()["version"] == 2
    answer = wish_notices(flow, flow.staff)
    assert len(answer) == 1 and "Grunnpakken har allerede Brøkbyggeren." in answer[0]["body"]
    assert "Matteboksen" in answer[0]["subject"]

    again = flow.api.post(url, json={"reason": "Igjen"}, headers=flow.mentor_same_unit)
    assert again.status_code == 409
    # a declined wish cannot become a proposal
    refused = flow.api.post("/api/v1/cases", json={
        "resource": resource_body(name="Matteboksen", status="draft"),
        "justification": {"pedagogical_purpose": "Likevel", "units": [NORD], "wish_id": wish["id"]}},
        headers=flow.mentor)
    assert refused.status_code == 422 and "justification.wish_id" in [e["field"] for e in refused.json()["errors"]]


def test_wishes_go_to_the_senders_own_units(flow):
    response = flow.api.post("/api/v1/wishes", json={"name": "X", "unit": SOR, "reason": "Fordi"}, headers=flow.staff)
    assert response.status_code == 422 and "unit" in [e["field"] for e in response.json()["errors"]]
    response = flow.api.post("/api/v1/wishes", json={"name": "X", "unit": "finnes-ikke", "reason": "Fordi"},
                             headers=flow.staff)
    assert response.status_code == 422 and "unit" in [e["field"] for e in response.json()["errors"]]
    response = flow.api.post("/api/v1/wishes", json={"name": "X", "unit": NORD, "reason": ""}, headers=flow.staff)
    assert response.status_code in (400, 422)
    assert flow.api.get("/api/v1/wishes", headers=flow.admin).json() == []


def test_a_wish_turned_into_a_proposal_is_converted_and_the_requester_told(flow):
    wish = send_wish(flow, flow.staff)
    # a mentor of another unit cannot take it
    created = flow.api.post("/api/v1/cases", json={
        "resource": resource_body(name="Matteboksen", status="draft"),
        "justification": {"pedagogical_purpose": "Fra ønske", "units": [SOR], "wish_id": wish["id"]}},
        headers=flow.mentor_other_unit)
    assert created.status_code == 422 and "justification.wish_id" in [e["field"] for e in created.json()["errors"]]

    proposal = flow.propose("Matteboksen", url="https://matteboksen.example.no",
                            justification={"wish_id": wish["id"], "requested_by": "laerer-nord"})
    case = proposal["case"]
    assert case["justification"]["wish_id"] == wish["id"]
    stored = flow.api.get(f"/api/v1/wishes/{wish['id']}", headers=flow.staff).json()
    assert stored["status"] == "converted" and stored["case_id"] == case["id"]
    assert stored["handled_by"] == "mentor-nord"
    told = [n for n in wish_notices(flow, flow.staff) if n["case_id"] == case["id"]]
    assert len(told) == 1 and "Matteboksen" in told[0]["subject"]

    # the wish is used up
    twice = flow.api.post("/api/v1/cases", json={
        "resource": resource_body(name="Matteboksen 2", status="draft"),
        "justification": {"pedagogical_purpose": "Igjen", "units": [NORD], "wish_id": wish["id"]}},
        headers=flow.mentor_same_unit)
    assert twice.status_code == 422
    decline = flow.api.post(f"/api/v1/wishes/{wish['id']}/decline", json={"reason": "x"}, headers=flow.mentor)
    assert decline.status_code == 409


# --- duplicates -------------------------------------------------------------------------------


def check(flow: Flow, headers: dict | None = None, **body) -> list[dict]:
    response = flow.api.post("/api/v1/cases/duplicates", json=body, headers=headers or flow.mentor)
    assert response.status_code == 200, response.text
    return response.json()


def test_duplicate_warnings_by_name_url_and_vendor(flow):
    existing = flow.api.post("/api/v1/resources", json=resource_body(
        name="Brøkbyggeren", url="https://brokbyggeren.example.no/app",
        vendor={"name": "Tallverkstedet AS"}), headers=flow.admin).json()

    def found(**body) -> dict[int, list[str]]:
        return {d["resource_id"]: d["reasons"] for d in check(flow, **body)}

    assert found(name="Brøkbyggeren") == {existing["id"]: ["similar_name"]}
    assert found(name="brøkbyggeren pluss") == {existing["id"]: ["similar_name"]}
    assert found(name="Brøkbygeren") == {existing["id"]: ["similar_name"]}
    for url in ("https://brokbyggeren.example.no/app", "https://WWW.Brokbyggeren.example.no/App/",
                "http://www.brokbyggeren.example.no/app/"):
        assert found(name="Helt annet navn", url=url) == {existing["id"]: ["same_url"]}, url
    assert found(name="Helt annet navn", url="https://brokbyggeren.example.no/annet") == {}
    assert found(name="Helt annet navn", vendor="TALLVERKSTEDET as") == {existing["id"]: ["same_vendor"]}
    everything = found(name="Brøkbyggeren", url="https://brokbyggeren.example.no/app/", vendor="Tallverkstedet AS")
    assert everything == {existing["id"]: ["similar_name", "same_url", "same_vendor"]}
    assert found(name="Kodeklubben", url="https://kodeklubben.example.org", vendor="Annen Leverandør AS") == {}

    duplicate = check(flow, name="Brøkbyggeren")[0]
    assert duplicate["name"] == "Brøkbyggeren" and duplicate["status"] == "published"
    assert duplicate["vendor"] == "Tallverkstedet AS" and duplicate["open_case_id"] is None


def test_duplicate_warnings_include_resources_in_open_cases_and_the_proposal_lists_them(flow):
    first = flow.propose("Lesesnok", url="https://lesesnok.example.no", vendor={"name": "Leselyst AS"})
    assert first["duplicates"] == []
    in_case = check(flow, name="Lesesnok")
    assert len(in_case) == 1
    assert in_case[0]["resource_id"] == first["case"]["resource_id"]
    assert in_case[0]["open_case_id"] == first["case"]["id"] and in_case[0]["status"] == "draft"

    second = flow.propose("Lesesnok Plus", url="https://www.lesesnok.example.no/", vendor={"name": "Leselyst AS"},
                          headers=flow.mentor_same_unit)
    duplicates = second["duplicates"]
    assert [d["resource_id"] for d in duplicates] == [first["case"]["resource_id"]]  # never itself
    assert duplicates[0]["reasons"] == ["similar_name", "same_url", "same_vendor"]
    assert duplicates[0]["open_case_id"] == first["case"]["id"]

    # a withdrawn proposal is no duplicate any more
    flow.act(first["case"]["id"], flow.mentor, "withdraw", reason="Feil ressurs.")
    assert [d["resource_id"] for d in check(flow, name="Lesesnok")] == [second["case"]["resource_id"]]
    assert check(flow, name="Kodeklubben") == []
