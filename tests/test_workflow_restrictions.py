"""Acceptance tests of restrictions on use: a renewal keeps those in force; they are added, changed
or lifted only by a decision with a reason, and each resource shows their history (API and the
resource page); the public privacy page shows them. Also: duplicate warnings never show another
unit's unsubmitted draft."""

from __future__ import annotations

import datetime
import re

import pytest

from tests.conftest import resource_body
from tests.test_pages_workflow import page, send
from tests.test_workflow_support import NORD, PEDAGOGICAL_FORM, SOR, Flow, privacy_form, today
from workflows import scheduler

R1 = "Ingen bilder av elever."
R2 = "Bare i skoletiden."


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def published_with_restriction(flow: Flow) -> tuple[int, int]:
    """A proposal approved with R1 in the privacy review and published; (case id, resource id)."""
    case_id = flow.to_state("privacy_review")
    flow.act(case_id, flow.privacy, "approve_with_restrictions", reason="Bilder er ikke vurdert.",
             restrictions=R1, form=privacy_form())
    flow.approve(case_id, "procurement")
    return case_id, flow.case(case_id)["resource_id"]


def open_revision(flow: Flow, settings, resource_id: int) -> int:
    resource = flow.api.get(f"/api/v1/resources/{resource_id}", headers=flow.admin)
    yesterday = (today() - datetime.timedelta(days=1)).isoformat()
    patched = flow.api.patch(f"/api/v1/resources/{resource_id}", json={"next_revision_date": yesterday},
                             headers={**flow.admin, "If-Match": resource.headers["etag"]})
    assert patched.status_code == 200, patched.text
    report = flow.api.run(scheduler.run_once, settings)
    assert len(report.opened) == 1
    return report.opened[0]


def history(flow: Flow, resource_id: int, headers=None) -> list[dict]:
    response = flow.api.get(f"/api/v1/resources/{resource_id}/restrictions", headers=headers or flow.staff)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_renewal_keeps_the_restrictions_and_changes_them_only_with_a_reason(flow, settings):
    proposal_id, resource_id = published_with_restriction(flow)
    assert flow.api.get(f"/api/v1/resources/{resource_id}", headers=flow.staff).json()["restrictions"] == R1

    revision_id = open_revision(flow, settings, resource_id)
    flow.act(revision_id, flow.privacy, "approve", reason="Uendret.", form=privacy_form())
    flow.act(revision_id, flow.sector, "renew_with_restrictions", reason="Brukes mye i timene.",
             restrictions=R2, form=PEDAGOGICAL_FORM)
    # the rule from the first review is still there after the routine yearly review
    resource = flow.api.get(f"/api/v1/resources/{resource_id}", headers=flow.staff).json()
    assert resource["restrictions"] == f"{R1}\n{R2}"
    items = history(flow, resource_id)
    assert [(i["text"], i["status"], i["added_case_id"]) for i in items] == [
        (R1, "active", proposal_id), (R2, "active", revision_id)]
    assert items[0]["added_reason"] == "Bilder er ikke vurdert." and items[0]["added_by"] == "personvern"
    assert items[1]["added_reason"] == "Brukes mye i timene." and items[1]["added_by"] == "vkko"

    # the next renewal lifts R2 and rewords R1, each with its reason; a change without one is refused
    second = open_revision(flow, settings, resource_id)
    flow.act(second, flow.privacy, "approve", reason="Uendret.", form=privacy_form())
    r1, r2 = items[0]["id"], items[1]["id"]
    no_reason = flow.post_action(second, flow.sector, "renew", reason="OK", form=PEDAGOGICAL_FORM,
                                 restriction_changes=[{"restriction_id": r2, "action": "lift", "reason": ""}])
    assert no_reason.status_code == 422
    assert "restriction_changes[0].reason" in [e["field"] for e in no_reason.json()["errors"]]
    foreign = flow.post_action(second, flow.sector, "renew", reason="OK", form=PEDAGOGICAL_FORM,
                               restriction_changes=[{"restriction_id": 999999, "action": "lift", "reason": "x"}])
    assert foreign.status_code == 422
    assert "restriction_changes[0].restriction_id" in [e["field"] for e in foreign.json()["errors"]]
    flow.act(second, flow.sector, "renew", reason="Fortsatt i bruk.", form=PEDAGOGICAL_FORM, restriction_changes=[
        {"restriction_id": r2, "action": "lift", "reason": "Brukes nå også i SFO."},
        {"restriction_id": r1, "action": "change", "reason": "Gjelder også video.",
         "text": "Ingen bilder eller video av elever."}])
    items = history(flow, resource_id)
    by_text = {i["text"]: i for i in items}
    assert by_text[R1]["status"] == "changed" and by_text[R1]["lift_reason"] == "Gjelder også video."
    assert by_text[R2]["status"] == "lifted" and by_text[R2]["lifted_case_id"] == second
    new = by_text["Ingen bilder eller video av elever."]
    assert new["status"] == "active" and new["replaces"] == r1 and by_text[R1]["replaced_by"] == new["id"]
    assert flow.api.get(f"/api/v1/resources/{resource_id}", headers=flow.staff).json()["restrictions"] == \
        "Ingen bilder eller video av elever."


def test_the_sector_office_decides_restrictions_directly_and_the_page_shows_their_history(api, flow):
    created = flow.api.post("/api/v1/resources", json=resource_body(restrictions=R1), headers=flow.admin).json()
    url = f"/api/v1/resources/{created['id']}/restrictions"
    # only with a reason, only the sector office, and a PATCH cannot overwrite them
    assert flow.api.post(url, json={"text": R2, "reason": ""}, headers=flow.sector).status_code == 422
    assert flow.api.post(url, json={"text": R2, "reason": "Fordi"}, headers=flow.staff).status_code == 403
    assert flow.api.post(url, json={"text": R2, "reason": "Fordi"}, headers=flow.privacy).status_code == 403
    added = flow.api.post(url, json={"text": R2, "reason": "Avtalt med rektorene."}, headers=flow.sector)
    assert added.status_code == 201, added.text
    assert flow.api.post(url, json={"text": R2, "reason": "Igjen"}, headers=flow.sector).status_code == 409
    first = history(flow, created["id"])[0]
    assert first["text"] == R1 and first["added_reason"] == "Registrert da læremidlet ble lagt inn."
    lifted = flow.api.post(f"{url}/{first['id']}/lift", json={"reason": "Leverandøren tar ikke bilder."},
                           headers=flow.sector)
    assert lifted.status_code == 200 and lifted.json()["status"] == "lifted"
    assert flow.api.post(f"{url}/{first['id']}/lift", json={"reason": "Igjen"}, headers=flow.sector).status_code == 409
    assert flow.api.post(f"{url}/999999/lift", json={"reason": "x"}, headers=flow.sector).status_code == 404
    assert flow.api.get(f"/api/v1/resources/{created['id']}", headers=flow.staff).json()["restrictions"] == R2

    # the resource page: the restriction in force for everyone, the history with reasons for staff
    public = page(api, f"/ressurser/{created['id']}")
    assert R2 in public and "Leverandøren tar ikke bilder." not in public
    api.login_page("staff", user="laerer-side")
    shown = page(api, f"/ressurser/{created['id']}")
    assert "Leverandøren tar ikke bilder." in shown and "Avtalt med rektorene." in shown and "Opphevet" in shown
    assert "Legg til begrensningen" not in shown
    # the sector office changes one through the page, and is told what is missing first
    token = api.login_page("sector_reviewer", user="vkko-side")
    current = history(flow, created["id"])[-1]
    key = f"b{current['id']}-"
    refused = send(api, f"/ressurser/{created['id']}/begrensninger/{current['id']}", token,
                   {"valg": "endre", key + "tekst": "Bare i timene.", key + "begrunnelse": ""}, status=422)
    assert f'href="#f-{key}begrunnelse"' in refused.text
    send(api, f"/ressurser/{created['id']}/begrensninger/{current['id']}", token,
         {"valg": "endre", key + "tekst": "Bare i timene.", key + "begrunnelse": "Gjelder ikke lekser."})
    send(api, f"/ressurser/{created['id']}/begrensninger", token,
         {"ny-tekst": "Ikke lydopptak.", "ny-begrunnelse": "Appen har mikrofon."})
    texts = [(i["text"], i["status"]) for i in history(flow, created["id"])]
    assert texts[-3:] == [(R2, "changed"), ("Bare i timene.", "active"), ("Ikke lydopptak.", "active")]
    assert "Gjelder ikke lekser." in page(api, f"/ressurser/{created['id']}")


def test_the_public_privacy_page_shows_each_resources_restrictions(api, flow):
    flow.api.post("/api/v1/resources", json=resource_body(name="Bildeboka", restrictions=R1), headers=flow.admin)
    text = page(api, "/personvern")
    row = re.search(r"<tr>\s*<th scope=\"row\"><a href=\"/ressurser/\d+\">Bildeboka</a>.*?</tr>", text, re.S)
    assert row and R1 in row.group(0), text[-3000:]
    assert "Begrensninger for bruk" in text


def test_duplicate_warnings_show_another_units_draft_only_once_it_is_submitted(flow):
    draft = flow.propose("Skrivehjelpen", url="https://skrivehjelpen.example.no")["case"]

    def found(headers) -> list[int]:
        response = flow.api.post("/api/v1/cases/duplicates", json={
            "name": "Skrivehjelpen", "url": "https://skrivehjelpen.example.no"}, headers=headers)
        assert response.status_code == 200, response.text
        return [d["resource_id"] for d in response.json()]

    # the draft, its name, vendor, URL and case are hidden from another unit's mentor, as the case is
    assert found(flow.mentor_other_unit) == []
    assert flow.api.get(f"/api/v1/cases/{draft['id']}", headers=flow.mentor_other_unit).status_code == 404
    assert found(flow.mentor_same_unit) == [draft["resource_id"]] == found(flow.sector)
    other = flow.api.post("/api/v1/cases", json={
        "resource": resource_body(name="Skrivehjelpen", url="https://skrivehjelpen.example.no", status="draft"),
        "justification": {"pedagogical_purpose": "Skriving", "units": [SOR]}}, headers=flow.mentor_other_unit)
    assert other.status_code == 201 and other.json()["duplicates"] == []
    # submitted: shown across units as a likely duplicate
    flow.submit(draft["id"])
    assert draft["resource_id"] in found(flow.mentor_other_unit)
    assert NORD in flow.case(draft["id"])["proposer_units"]


def test_the_renewal_page_keeps_each_restriction_unless_it_is_changed_or_lifted_with_a_reason(api, flow, settings):
    _, resource_id = published_with_restriction(flow)
    revision_id = open_revision(flow, settings, resource_id)
    flow.act(revision_id, flow.privacy, "approve", reason="Uendret.", form=privacy_form())
    restriction = history(flow, resource_id)[0]
    key = f"begrensning-{restriction['id']}-"
    token = api.login_page("sector_reviewer", user="vkko-side")
    text = page(api, f"/saker/{revision_id}")
    assert "Begrensninger som gjelder nå" in text and f'name="{key}valg" value="behold" checked' in text
    fields = {f"form.{k}": v for k, v in (("curriculum_fit", PEDAGOGICAL_FORM["curriculum_fit"]),
                                          ("criteria_notes", ""), ("overlap", ""))}
    fields.update({f"form.criteria.{k}": "ja" for k in PEDAGOGICAL_FORM["criteria"]})

    def post(status: int, **extra):
        return send(api, f"/saker/{revision_id}/beslutning", token, {
            **fields, "action": "renew", "reason": "Fortsatt i bruk.", "knapp": "beslutning",
            "steg": "pedagogical_review", "versjon": str(flow.case(revision_id)["version"]), **extra}, status=status)

    missing = post(422, **{key + "valg": "opphev"})
    assert f'href="#f-{key}begrunnelse"' in missing.text
    # a phase-out date with a renewal is a mistake the page points out
    dated = post(422, end_date="01.08.2030")
    assert 'href="#f-end_date"' in dated.text
    post(303, **{key + "valg": "opphev", key + "begrunnelse": "Elevene lager nå film med samtykke."})
    lifted = history(flow, resource_id)[0]
    assert lifted["status"] == "lifted" and lifted["lift_reason"] == "Elevene lager nå film med samtykke."
    assert flow.case(revision_id)["state"] == "renewed"
