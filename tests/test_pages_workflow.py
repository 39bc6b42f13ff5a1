"""The approval pages, driven as a browser would: session cookie, CSRF token, urlencoded forms,
Post/Redirect/Get. Data is set up through the API (tests.test_workflow_support.Flow); the outcome
of what the pages do is checked through the API too. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from tests.conftest import resource_body
from tests.test_workflow_support import NORD, PEDAGOGICAL_FORM, SOR, Flow, privacy_record

HTML = {"Accept": "text/html"}


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


# --- helpers ------------------------------------------------------------------------------------


def page(api, path: str, status: int = 200) -> str:
    response = api.get(path, headers=HTML)
    assert response.status_code == status, (path, response.status_code, response.text[:2000])
    if status == 200:
        assert response.headers["content-type"].startswith("text/html")
        assert '<html lang="nb">' in response.text
    return response.text


def send(api, path: str, token: str | None, data: dict[str, Any] | None = None, status: int = 303, **kwargs):
    """POST a form as the browser does; returns the response after checking its status."""
    body = dict(data or {})
    if token is not None:
        body["_csrf_token"] = token
    response = api.post(path, data=body, headers=HTML, follow_redirects=False, **kwargs)
    assert response.status_code == status, (path, response.status_code, response.text[:3000])
    return response


def as_mentor(api) -> str:
    return api.login_page("ict_mentor", user="mentor-nord", units=(NORD,))


def as_sector(api) -> str:
    return api.login_page("sector_reviewer", user="vkko")


def case_version(flow: Flow, case_id: int) -> str:
    return str(flow.case(case_id)["version"])


def proposal_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "Tallstigen",
        "vendor.name": "Stigeforlaget AS",
        "vendor.organisation_number": "974760673",
        "url": "https://tallstigen.example.no",
        "kind": "practice_tool",
        "description": "Øving i tallforståelse.",
        "levels": ["3", "4"],
        "subjects": ["MAT"],
        "platforms": ["web", "ipad"],
        "logins": ["feide"],
        "languages": ["nb", "nn"],
        "licence_model": "per_unit",
        "justification.pedagogical_purpose": "Tilpasset mengdetrening i tallforståelse.",
        "justification.units": [NORD],
        "justification.requested_by": "Lærerne på 3. trinn",
        "justification.estimated_cost_nok": "12 000",
        "handling": "send",
    }
    form.update(overrides)
    return form


def pedagogical_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "form.curriculum_fit": PEDAGOGICAL_FORM["curriculum_fit"],
        **{f"form.criteria.{name}": "ja" for name in PEDAGOGICAL_FORM["criteria"]},
        "form.criteria_notes": "Godt egnet.",
        "form.overlap": "",
    }
    fields.update(overrides)
    return fields


def case_id_from(response) -> int:
    match = re.fullmatch(r"/saker/(\d+)\?melding=[a-z-]+(#.*)?", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


# --- who may use which page --------------------------------------------------------------------


def test_pages_render_for_the_roles_that_use_them(api, flow):
    case_id = flow.to_state("pedagogical_review")
    as_mentor(api)
    for path, text in (("/forslag/ny", "Foreslå et læremiddel"), ("/forslag", "Mine forslag"),
                       ("/onsker/ny", "Ønsk deg et læremiddel"), ("/onsker", "Mine ønsker"),
                       ("/oppgaver", "Oppgaver"), ("/varsler", "Varsler"), (f"/saker/{case_id}", "Brøkbyggeren")):
        assert text in page(api, path)
    as_sector(api)
    tasks = page(api, "/oppgaver")
    assert f'href="/saker/{case_id}"' in tasks and "Pedagogisk vurdering" in tasks
    assert "Registrer beslutning" in page(api, f"/saker/{case_id}")
    api.login_page("admin", user="systemeier")
    assert "Foreslå et læremiddel" in page(api, "/forslag/ny")
    assert "Brøkbyggeren" in page(api, "/forslag")

    api.login_page("staff", user="laerer-nord", units=(NORD,))
    assert "Enheten din" in page(api, "/onsker/ny")
    assert "Du har ikke sendt noen ønsker" in page(api, "/onsker")
    for path in ("/forslag/ny", "/forslag", "/oppgaver"):
        assert "Ingen tilgang" in page(api, path, 403)
    assert "Fant ikke siden" in page(api, f"/saker/{case_id}", 404)
    api.login_page("ict_mentor", user="mentor-sor", units=(SOR,))
    page(api, f"/saker/{case_id}", 404)
    page(api, f"/saker/{case_id}/endre", 404)
    page(api, "/saker/999999", 404)

    api.cookies.clear()
    for path in ("/forslag/ny", "/forslag", "/onsker/ny", "/onsker", "/oppgaver", "/varsler", f"/saker/{case_id}"):
        page(api, path, 401)


def test_every_post_without_a_csrf_token_is_refused(api, flow):
    case_id = flow.to_state("pedagogical_review")
    token = as_sector(api)
    paths = ["/forslag/ny", "/onsker/ny", "/onsker/1/avslaa", f"/saker/{case_id}/beslutning",
             f"/saker/{case_id}/endre", f"/saker/{case_id}/sjekkliste", f"/saker/{case_id}/tildel",
             f"/saker/{case_id}/kommentar", "/varsler/1/lest"]
    for path in paths:
        send(api, path, None, {"kommentar": "Hei", "action": "reject", "reason": "Nei"}, status=403)
    send(api, f"/saker/{case_id}/vedlegg", None, files={"fil": ("a.txt", b"tekst", "text/plain")}, status=403)
    send(api, f"/saker/{case_id}/kommentar", "not-the-token", {"kommentar": "Hei"}, status=403)
    assert flow.case(case_id)["state"] == "pedagogical_review"
    assert not [e for e in flow.history(case_id)["events"] if e["action"] == "comment"]
    send(api, f"/saker/{case_id}/kommentar", token, {"kommentar": "Hei"})


# --- proposals ------------------------------------------------------------------------------------


def test_a_proposal_made_through_the_form_becomes_a_case(api, flow):
    token = as_mentor(api)
    form = page(api, "/forslag/ny")
    assert 'name="_csrf_token"' in form and "Nordbyen skole (din enhet)" in form
    response = send(api, "/forslag/ny", token, proposal_form())
    case_id = case_id_from(response)
    assert response.headers["location"].endswith("melding=forslag-sendt")
    case = flow.case(case_id)
    assert case["state"] == "pedagogical_review" and case["title"] == "Tallstigen"
    assert case["justification"]["estimated_cost_nok"] == 12000
    assert case["proposer_units"] == [NORD]
    shown = page(api, response.headers["location"])
    assert 'role="status"' in shown and "Forslaget er sendt inn til vurdering." in shown
    assert "Tallstigen" in shown and "Stigeforlaget AS" in shown and "Pedagogisk vurdering" in shown
    assert "Tallstigen" in page(api, "/forslag")

    draft = send(api, "/forslag/ny", token, proposal_form(name="Ordjakten", url="https://ordjakten.example.no",
                                                         handling="utkast", **{"vendor.name": "Ordverk AS",
                                                                               "vendor.organisation_number": ""}))
    draft_id = case_id_from(draft)
    assert flow.case(draft_id)["state"] == "draft"
    shown = page(api, f"/saker/{draft_id}")
    assert "Send inn" in shown and "Trekk forslaget" in shown and f'href="/saker/{draft_id}/endre"' in shown


def test_the_proposal_form_tells_what_is_missing_and_keeps_what_was_typed(api, flow):
    token = as_mentor(api)
    response = send(api, "/forslag/ny", token, proposal_form(
        name="", url="ftp://galt", **{"justification.units": [], "vendor.organisation_number": "123",
                                      "justification.pedagogical_purpose": "Mye øving <b>nå</b>"}), status=422)
    text = response.text
    assert "Skjemaet må rettes" in text
    for field in ("f-name", "f-url", "f-vendor-organisation_number", "f-justification-units"):
        assert f'href="#{field}"' in text and f'id="{field}"' in text
    assert "Mye øving &lt;b&gt;nå&lt;/b&gt;" in text and 'value="Stigeforlaget AS"' in text
    assert 'value="ipad" checked' in text
    assert flow.api.get("/api/v1/cases", headers=flow.admin).json()["total"] == 0


def test_a_likely_duplicate_is_shown_and_blocks_creation_until_confirmed(api, flow):
    created = api.post("/api/v1/resources", json=resource_body(), headers=flow.admin)
    assert created.status_code == 201, created.text
    token = as_mentor(api)
    form = proposal_form(name="Brøkbyggeren", url="https://brokbyggeren.example.no/")
    response = send(api, "/forslag/ny", token, form, status=422)
    text = response.text
    assert "Finnes læremidlet allerede?" in text
    assert f'href="/ressurser/{created.json()["id"]}"' in text
    assert "Lignende navn" in text and "Samme nettadresse" in text
    assert "Jeg har sjekket at dette ikke er et duplikat" in text and 'href="#f-ikke_duplikat"' in text
    assert api.get("/api/v1/cases", headers=flow.admin).json()["total"] == 0

    response = send(api, "/forslag/ny", token, {**form, "ikke_duplikat": "ja"})
    assert flow.case(case_id_from(response))["title"] == "Brøkbyggeren"
    # a second proposal of the same: its twin is in an open case
    again = send(api, "/forslag/ny", token, form, status=422)
    assert "ligger i en åpen sak" in again.text


def test_a_script_in_a_name_is_shown_as_text(api, flow):
    name = "<script>alert(1)</script>"
    case_id = flow.propose(name, url="https://skript.example.no")["case"]["id"]
    as_mentor(api)
    for path in (f"/saker/{case_id}", "/forslag"):
        text = page(api, path)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "<script>alert(1)" not in text


def test_the_proposer_edits_submits_and_withdraws_through_the_case_page(api, flow):
    case_id = flow.to_state("draft")
    token = as_mentor(api)
    edit = page(api, f"/saker/{case_id}/endre")
    assert 'value="Brøkbyggeren"' in edit
    send(api, f"/saker/{case_id}/endre", token, proposal_form(name="", versjon=case_version(flow, case_id)),
         status=422)
    response = send(api, f"/saker/{case_id}/endre", token,
                    proposal_form(name="Brøkbyggeren 2", versjon=case_version(flow, case_id)))
    assert response.headers["location"] == f"/saker/{case_id}?melding=endret"
    assert flow.case(case_id)["title"] == "Brøkbyggeren 2"
    assert flow.resource(case_id)["licence_model"] == "per_unit"

    send(api, f"/saker/{case_id}/beslutning", token,
         {"action": "submit", "versjon": case_version(flow, case_id), "steg": "draft"})
    assert flow.case(case_id)["state"] == "pedagogical_review"
    assert "kan bare endres" in page(api, page_location(api, f"/saker/{case_id}/endre"))

    missing = send(api, f"/saker/{case_id}/beslutning", token,
                   {"action": "withdraw", "trekk_begrunnelse": "", "versjon": case_version(flow, case_id),
                    "steg": "pedagogical_review"}, status=422)
    assert 'href="#f-trekk_begrunnelse"' in missing.text
    send(api, f"/saker/{case_id}/beslutning", token,
         {"action": "withdraw", "trekk_begrunnelse": "Fant et bedre alternativ.",
          "versjon": case_version(flow, case_id), "steg": "pedagogical_review"})
    assert flow.case(case_id)["state"] == "withdrawn"
    closed = page(api, f"/saker/{case_id}")
    assert "Trukket" in closed and "Fant et bedre alternativ." in closed and 'name="action"' not in closed

    as_sector(api)
    page(api, f"/saker/{case_id}/endre", 403)


def page_location(api, path: str) -> str:
    response = api.get(path, headers=HTML, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


# --- reviews --------------------------------------------------------------------------------------


def test_a_decision_through_the_case_page_moves_the_case(api, flow):
    case_id = flow.to_state("pedagogical_review")
    token = as_sector(api)
    text = page(api, f"/saker/{case_id}")
    for label in ("Registrer beslutning", "Lagre skjemaet", "Godkjenn med begrensninger", "Avslå",
                  "Finnes på både bokmål og nynorsk", 'name="versjon"'):
        assert label in text
    response = send(api, f"/saker/{case_id}/beslutning", token, {
        **pedagogical_fields(), "action": "approve", "reason": "Dekker læreplanen godt.", "knapp": "beslutning",
        "versjon": case_version(flow, case_id), "steg": "pedagogical_review"})
    assert response.headers["location"] == f"/saker/{case_id}?melding=beslutning"
    case = flow.case(case_id)
    assert case["state"] == "privacy_review"
    assert case["step_data"]["pedagogical"]["criteria"]["feide_login"] is True
    shown = page(api, response.headers["location"])
    assert "Beslutningen er registrert." in shown and "Dekker læreplanen godt." in shown
    assert "Registrer beslutning" not in shown  # the next step is not the sector office's


def test_approving_an_incomplete_form_shows_every_error_and_keeps_the_typed_values(api, flow):
    case_id = flow.to_state("pedagogical_review")
    token = as_sector(api)
    version = case_version(flow, case_id)
    response = send(api, f"/saker/{case_id}/beslutning", token, {
        "form.curriculum_fit": "Passer til «brøk» & desimaltall", "form.criteria.privacy": "nei",
        "action": "approve", "reason": "Min begrunnelse", "knapp": "beslutning", "versjon": version,
        "steg": "pedagogical_review"}, status=422)
    text = response.text
    assert "Skjemaet må rettes" in text and "Svar på alle kvalitetskriteriene." in text
    assert 'href="#f-form-criteria-bokmal_nynorsk"' in text and 'id="f-form-criteria-bokmal_nynorsk"' in text
    assert 'href="#f-form-criteria-privacy"' not in text
    assert "Passer til «brøk» &amp; desimaltall" in text and "Min begrunnelse" in text
    assert 'name="form.criteria.privacy" value="nei" checked' in text
    assert 'value="approve" checked' in text
    assert flow.case(case_id)["state"] == "pedagogical_review"

    response = send(api, f"/saker/{case_id}/beslutning", token, {
        "action": "reject", "reason": "  ", "knapp": "beslutning", "versjon": version,
        "steg": "pedagogical_review"}, status=422)
    assert 'href="#f-reason"' in response.text and "Skriv en begrunnelse" in response.text
    response = send(api, f"/saker/{case_id}/beslutning", token, {
        **pedagogical_fields(), "action": "approve_with_restrictions", "reason": "Ok.", "knapp": "beslutning",
        "versjon": version, "steg": "pedagogical_review"}, status=422)
    assert 'href="#f-restrictions"' in response.text
    response = send(api, f"/saker/{case_id}/beslutning", token, {
        **pedagogical_fields(), "action": "approve", "reason": "Ok.", "restrictions": "Bare på 7. trinn.",
        "knapp": "beslutning", "versjon": version, "steg": "pedagogical_review"}, status=422)
    assert 'href="#f-restrictions"' in response.text and "Bare på 7. trinn." in response.text
    response = send(api, f"/saker/{case_id}/beslutning", token, {
        "knapp": "beslutning", "versjon": version, "steg": "pedagogical_review"}, status=422)
    assert 'href="#f-action"' in response.text
    assert flow.case(case_id)["version"] == int(version)


def test_saving_the_form_keeps_it_without_deciding(api, flow):
    case_id = flow.to_state("pedagogical_review")
    token = as_sector(api)
    send(api, f"/saker/{case_id}/beslutning", token, {
        "form.curriculum_fit": "Halvferdig vurdering", "form.criteria.universal_design": "ja", "knapp": "lagre",
        "action": "approve", "versjon": case_version(flow, case_id), "steg": "pedagogical_review"})
    case = flow.case(case_id)
    assert case["state"] == "pedagogical_review"
    assert case["step_data"]["pedagogical"]["curriculum_fit"] == "Halvferdig vurdering"
    assert case["step_data"]["pedagogical"]["criteria"]["universal_design"] is True
    text = page(api, f"/saker/{case_id}")
    assert "Halvferdig vurdering" in text
    assert 'name="form.criteria.universal_design" value="ja" checked' in text


def test_a_stale_page_is_told_the_case_changed_instead_of_overwriting(api, flow):
    case_id = flow.to_state("pedagogical_review")
    token = as_sector(api)
    stale = case_version(flow, case_id)
    flow.api.post(f"/api/v1/cases/{case_id}/comments", json={"text": "Mellomkommentar"}, headers=flow.sector)
    api.post(f"/api/v1/cases/{case_id}/assign", json={"user_id": flow.user_id(flow.sector)},
             headers={**flow.sector, "If-Match": f'"case:{case_id}:{stale}"'})
    assert case_version(flow, case_id) != stale
    response = send(api, f"/saker/{case_id}/beslutning", token, {
        **pedagogical_fields(**{"form.curriculum_fit": "Min tekst"}), "action": "approve", "reason": "Ok.",
        "knapp": "beslutning", "versjon": stale, "steg": "pedagogical_review"}, status=409)
    assert "Saken er endret av noen andre" in response.text and "Min tekst" in response.text
    assert flow.case(case_id)["state"] == "pedagogical_review"


def test_privacy_and_procurement_reviews_through_the_pages_publish_the_resource(api, flow):
    case_id = flow.to_state("privacy_review")
    token = api.login_page("privacy_reviewer", user="personvern")
    text = page(api, f"/saker/{case_id}")
    # prefilled from the resource's privacy record
    assert 'value="DBA-2025-004"' in text and "Feide-navn" in text and "Pedagogisk vurdering" in text
    record = privacy_record()
    fields = {
        "form.record.processes_personal_data": "ja", "form.record.data_subjects": record["data_subjects"],
        "form.record.data_categories": record["data_categories"], "form.record.special_categories": "nei",
        "form.record.feide_attributes": ["userid-feide"],
        "feide_reason.userid-feide": "Knytter resultater til eleven.",
        "form.record.legal_basis": record["legal_basis"], "form.record.processor": record["processor"],
        "form.record.dpa_status": "signed", "form.record.dpa_date": "15.01.2026",
        "form.record.dpa_reference": record["dpa_reference"], "form.record.dpa_expires": "2028-01-15",
        "form.screening.children_data": "ja", "form.screening.new_technology": "nei",
        "form.screening.systematic_monitoring": "nei", "form.screening.large_scale": "nei",
        "form.record.dpia_status": "completed", "form.record.dpia_date": "2026-02-01",
        "form.record.dpia_risk_level": "low", "form.record.dpia_approved_by": "Personvernrådgiveren",
        "form.record.data_location": "eea", "form.record.transfers_outside_eea": "nei",
        "form.record.transfer_basis": "", "form.record.transfer_countries": "",
        "form.record.retention": record["retention"], "form.record.security_measures": record["security_measures"],
        "form.notes": "Vurdert i møte.", "steg": "privacy_review", "knapp": "beslutning",
    }
    wrong = send(api, f"/saker/{case_id}/beslutning", token, {
        **fields, "form.record.dpa_reference": "", "form.record.dpa_date": "31.02.2026", "action": "approve",
        "reason": "Ok.", "versjon": case_version(flow, case_id)}, status=422)
    assert 'href="#f-form-record-dpa_date"' in wrong.text and 'href="#f-form-record-dpa_reference"' in wrong.text
    assert "Skriv en gyldig dato som dd.mm.åååå" in wrong.text and 'value="31.02.2026"' in wrong.text
    # the record names a DPA and a DPIA: approval waits for the documents, and says which
    missing = send(api, f"/saker/{case_id}/beslutning", token, {
        **fields, "action": "approve", "reason": "Ok.", "versjon": case_version(flow, case_id)}, status=422)
    assert "Last opp databehandleravtalen som vedlegg" in missing.text and "Last opp DPIA-en som vedlegg" in missing.text
    assert 'href="#f-form-record-dpa_reference"' in missing.text and 'href="#f-form-record-dpia_status"' in missing.text
    for kind, name in (("dpa", "databehandleravtale.pdf"), ("dpia", "dpia.pdf")):
        send(api, f"/saker/{case_id}/vedlegg", token, {"dokumenttype": kind},
             files={"fil": (name, b"%PDF-1.4\n%" + kind.encode(), "application/pdf")})
    shown = page(api, f"/saker/{case_id}")
    assert "databehandleravtale.pdf</a> (Databehandleravtale)" in shown
    send(api, f"/saker/{case_id}/beslutning", token, {
        **fields, "action": "approve", "reason": "Personvernet er ivaretatt.", "versjon": case_version(flow, case_id)})
    case = flow.case(case_id)
    assert case["state"] == "procurement"
    assert case["step_data"]["privacy"]["record"]["dpa_date"] == "2026-01-15"
    assert case["step_data"]["privacy"]["record"]["feide_attributes"] == [
        {"attribute": "userid-feide", "reason": "Knytter resultater til eleven."}]

    token = api.login_page("tech_approver", user="teknologi")
    text = page(api, f"/saker/{case_id}")
    assert 'name="form.annual_cost_nok" value="45000"' in text
    send(api, f"/saker/{case_id}/beslutning", token, {
        "form.annual_cost_nok": "52 000", "form.licence_count": "1500", "form.licence_from": "2026-08-01",
        "form.licence_to": "2027-07-31", "form.budget_owner": "Kommuneområde oppvekst",
        "form.device_management": "done", "form.feide_activation": "done",
        "form.technical_fit": "Fungerer på iPad og Chromebook.", "form.target": "units", "form.units": [NORD],
        "action": "approve_with_restrictions", "reason": "Innkjøpt.", "restrictions": "Bare fra 5. trinn.",
        "knapp": "beslutning", "versjon": case_version(flow, case_id), "steg": "procurement"})
    assert flow.case(case_id)["state"] == "approved"
    resource = flow.resource(case_id)
    assert resource["status"] == "published" and resource["units"] == [NORD]
    assert resource["annual_cost_nok"] == 52000 and resource["restrictions"] == "Bare fra 5. trinn."
    assert resource["privacy"]["dpa_expires"] == "2028-01-15"
    shown = page(api, f"/saker/{case_id}")
    assert f'href="/ressurser/{resource["id"]}"' in shown and "Bare fra 5. trinn." in shown


def test_the_dpo_comments_but_sees_no_decision_buttons(api, flow):
    case_id = flow.to_state("privacy_review")
    token = api.login_page("dpo", user="personvernombud")
    text = page(api, f"/saker/{case_id}")
    assert "Registrer beslutning" not in text and "Lagre skjemaet" not in text
    assert 'name="action"' not in text and "Tildel" not in text
    assert "Ny kommentar" in text
    empty = send(api, f"/saker/{case_id}/kommentar", token, {"kommentar": " "}, status=422)
    assert 'href="#f-kommentar"' in empty.text
    send(api, f"/saker/{case_id}/kommentar", token, {"kommentar": "Husk å sjekke underleverandørene."})
    assert "Husk å sjekke underleverandørene." in page(api, f"/saker/{case_id}")
    send(api, f"/saker/{case_id}/beslutning", token, {
        "action": "approve", "reason": "Nei", "versjon": case_version(flow, case_id), "steg": "privacy_review",
        "knapp": "beslutning"}, status=403)
    send(api, f"/saker/{case_id}/beslutning", token, {
        "knapp": "lagre", "versjon": case_version(flow, case_id), "steg": "privacy_review"}, status=403)
    assert flow.case(case_id)["state"] == "privacy_review"


def test_assignment_lists_the_holders_of_the_steps_role(api, flow):
    case_id = flow.to_state("pedagogical_review")
    colleague = flow.user_id(api.headers("sector_reviewer", user="vkko-2"))
    token = as_sector(api)
    text = page(api, f"/saker/{case_id}")
    assert f'<option value="{colleague}">vkko-2</option>' in text
    assert "personvern</option>" not in text
    send(api, f"/saker/{case_id}/tildel", token, {"tildelt": str(colleague), "versjon": case_version(flow, case_id)})
    assert flow.case(case_id)["assigned_to"]["id"] == colleague
    wrong = send(api, f"/saker/{case_id}/tildel", token,
                 {"tildelt": str(flow.user_id(flow.privacy)), "versjon": case_version(flow, case_id)}, status=422)
    assert 'href="#f-tildelt"' in wrong.text
    send(api, f"/saker/{case_id}/tildel", token, {"tildelt": "", "versjon": case_version(flow, case_id)})
    assert flow.case(case_id)["assigned_to"] is None
    assert "Tildelt vkko-2" in page(api, f"/saker/{case_id}")


def test_the_inbox_flags_overdue_cases_in_words(api, flow):
    case_id = flow.to_state("pedagogical_review")
    from workflows.tables import Case

    async def overdue() -> None:
        await Case.update({Case.step_due: datetime.date.today() - datetime.timedelta(days=3)}).where(Case.id == case_id)

    api.run(overdue)
    as_sector(api)
    text = page(api, "/oppgaver")
    assert "Forfalt" in text and "1 sak har passert fristen." in text and 'class="table-scroll"' in text
    assert "Forfalt" in page(api, f"/saker/{case_id}")
    api.login_page("privacy_reviewer", user="personvern")
    assert "Ingen saker venter på deg nå." in page(api, "/oppgaver")


def test_phase_out_checklist_is_confirmed_by_the_role_that_answers_for_each_item(api, flow):
    from catalogue.db import write_transaction
    from workflows import service

    case_id = flow.to_state("approved")
    resource_id = flow.case(case_id)["resource_id"]
    settings = api.app.state.settings

    async def phase_out() -> int:
        async with write_transaction():
            return await service.open_case("phase_out", resource_id, "Brøkbyggeren", None, settings,
                                           reason="Lisensen fornyes ikke.", proposer_units=[NORD])

    phase_id = api.run(phase_out)
    token = api.login_page("privacy_reviewer", user="personvern")
    text = page(api, f"/saker/{phase_id}")
    assert "Sjekkliste for utfasing" in text and "Lisensen fornyes ikke." in text
    assert text.count('name="punkt"') == 1  # only the item the privacy role answers for
    send(api, f"/saker/{phase_id}/sjekkliste", token,
         {"punkt": "vendor_data_deleted", "merknad": "Bekreftet på e-post.", "versjon": case_version(flow, phase_id)})
    checklist = {i["item"]: i["confirmed"] for i in flow.case(phase_id)["checklist"]}
    assert checklist == {"vendor_data_deleted": True, "feide_access_removed": False, "licence_ended": False}
    assert "Bekreftet: Leverandøren har bekreftet sletting av data" in page(api, f"/saker/{phase_id}")


# --- attachments -----------------------------------------------------------------------------------


def test_attachments_upload_download_and_wrong_files(api, flow):
    case_id = flow.to_state("privacy_review")
    token = api.login_page("privacy_reviewer", user="personvern")
    url = f"/saker/{case_id}/vedlegg"
    response = send(api, url, token, files={"fil": ("DBA signert.txt", "Avtalen er signert.".encode(), "text/plain")})
    assert response.headers["location"] == f"/saker/{case_id}?melding=vedlegg#vedlegg"
    text = page(api, f"/saker/{case_id}")
    match = re.search(rf'href="/saker/{case_id}/vedlegg/(\d+)"', text)
    assert match and "DBA signert.txt" in text
    download = api.get(f"/saker/{case_id}/vedlegg/{match.group(1)}")
    assert download.status_code == 200 and download.content == "Avtalen er signert.".encode()
    assert download.headers["content-disposition"].startswith("attachment;")
    wrong = send(api, url, token, files={"fil": ("program.exe", b"MZ\x00\x01binary", "application/octet-stream")},
                 status=415)
    assert "Filtypen er ikke tillatt" in wrong.text and 'href="#f-fil"' in wrong.text
    empty = send(api, url, token, files={"fil": ("tom.txt", b"", "text/plain")}, status=422)
    assert "Filen er tom" in empty.text
    limit = api.app.state.settings.attachment_max_bytes
    large = send(api, url, token, files={"fil": ("stor.txt", b"a" * (limit + 1), "text/plain")}, status=413)
    assert "Filen er for stor" in large.text and 'href="#f-fil"' in large.text
    assert len(re.findall(rf'href="/saker/{case_id}/vedlegg/\d+"', page(api, f"/saker/{case_id}"))) == 1
    api.login_page("staff", user="laerer-nord", units=(NORD,))
    assert api.get(f"/saker/{case_id}/vedlegg/{match.group(1)}", headers=HTML).status_code == 404


# --- wishes and notifications ------------------------------------------------------------------------


def test_a_wish_goes_to_the_units_mentors_who_propose_or_decline_it(api, flow):
    token = api.login_page("staff", user="laerer-nord", units=(NORD,))
    missing = send(api, "/onsker/ny", token, {"name": "", "unit": NORD, "reason": "", "url": "nettside"}, status=422)
    for field in ("f-name", "f-reason", "f-url"):
        assert f'href="#{field}"' in missing.text
    send(api, "/onsker/ny", token, {"name": "Lesehesten", "unit": NORD, "reason": "Lesetrening på 2. trinn.",
                                    "url": "https://lesehesten.example.no", "description": ""})
    send(api, "/onsker/ny", token, {"name": "Skrivestua", "unit": NORD, "reason": "Skriving.", "url": ""})
    assert "Venter på svar" in page(api, "/onsker")
    wish_ids = [w["id"] for w in api.get("/api/v1/wishes", headers=flow.staff).json()]
    lesehesten, skrivestua = sorted(wish_ids)

    token = as_mentor(api)
    text = page(api, "/forslag")
    assert f'href="/forslag/ny?onske={lesehesten}"' in text and "Lesetrening på 2. trinn." in text
    prefilled = page(api, f"/forslag/ny?onske={lesehesten}")
    assert 'value="Lesehesten"' in prefilled and f'name="justification.wish_id" value="{lesehesten}"' in prefilled
    response = send(api, "/forslag/ny", token, proposal_form(
        name="Lesehesten", url="https://lesehesten.example.no", **{"justification.wish_id": str(lesehesten)}))
    assert flow.case(case_id_from(response))["justification"]["wish_id"] == lesehesten

    empty = send(api, f"/onsker/{skrivestua}/avslaa", token, {"begrunnelse": ""}, status=422)
    assert f'href="#f-begrunnelse-{skrivestua}"' in empty.text
    send(api, f"/onsker/{skrivestua}/avslaa", token, {"begrunnelse": "Vi har Skriveverket allerede."})
    assert "Ingen åpne ønsker" in page(api, "/forslag")

    api.login_page("staff", user="laerer-nord", units=(NORD,))
    text = page(api, "/onsker")
    assert "Gjort om til forslag" in text and "Ikke foreslått" in text and "Vi har Skriveverket allerede." in text
    api.login_page("ict_mentor", user="mentor-sor", units=(SOR,))
    page(api, f"/forslag/ny?onske={lesehesten}", 404)


def test_notifications_are_listed_newest_first_and_marked_read(api, flow):
    case_id = flow.to_state("pedagogical_review")
    flow.act(case_id, flow.sector, "return", reason="Mangler opplysninger om lisens.")
    token = as_mentor(api)
    text = page(api, "/varsler")
    assert "Mangler opplysninger om lisens." in text and "Ulest" in text
    notes = flow.notifications(flow.mentor)
    newest = notes[0]["id"]
    assert text.index(notes[0]["subject"]) < text.index(notes[-1]["subject"]) or len(notes) == 1
    assert f'href="/saker/{case_id}"' in text
    send(api, f"/varsler/{newest}/lest", token)
    assert [n["read"] for n in flow.notifications(flow.mentor) if n["id"] == newest] == [True]
    assert "Varselet er merket som lest." in page(api, "/varsler?melding=lest")
    returned = page(api, f"/saker/{case_id}")
    assert "Send inn på nytt" in returned and "Mangler opplysninger om lisens." in returned

    api.login_page("staff", user="laerer-nord", units=(NORD,))
    send(api, f"/varsler/{newest}/lest", api.csrf_token(), status=404)
