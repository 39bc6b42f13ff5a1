"""Consultations on the pages: the sector office sends a resource on consultation from the case
page, the invited answer on the consultation's page (errors in Norwegian), and the case shows the
summary once it is closed."""

from __future__ import annotations

import datetime

import pytest

from tests.test_workflow_support import NORD, Flow, today


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def _date(days: int) -> str:
    return (today() + datetime.timedelta(days=days)).strftime("%d.%m.%Y")


def test_a_consultation_from_the_case_page_to_the_answer_and_back(api, flow):
    case_id = flow.to_state("pedagogical_review")
    csrf = api.login_page("sector_reviewer", user="VKKO Side")
    page = api.get(f"/saker/{case_id}").text
    assert "Send på høring til ansatte" in page and "Hva skal de ansatte prøve?" in page
    version = flow.case(case_id)["version"]
    base = {"_csrf_token": csrf, "knapp": "beslutning", "action": "start_consultation", "steg": "pedagogical_review",
            "versjon": str(version)}
    missing = api.post(f"/saker/{case_id}/beslutning", data={**base, "hoering_frist": "31.02.2020"})
    assert missing.status_code == 422
    for text in ("Skriv hva de ansatte skal prøve.", "Skriv svarfristen som dd.mm.åååå.",
                 "Velg minst én enhet, ett trinn eller ett fag."):
        assert text in missing.text
    sent = api.post(f"/saker/{case_id}/beslutning", follow_redirects=False, data={
        **base, "hoering_sporsmal": "Prøv brøkoppgavene.", "hoering_frist": _date(10), "hoering_enheter": NORD,
        "hoering_trinn": ["5", "6"], "hoering_fag": "MAT", "hoering_kriterier": ["curriculum_fit", "ease_of_use"]})
    assert sent.status_code == 303, sent.text
    assert flow.case(case_id)["state"] == "consultation"
    consultation_id = api.get("/api/v1/consultations", headers=flow.staff).json()[0]["id"]
    assert "Se svarene så langt" in api.get(f"/saker/{case_id}").text
    summary = api.get(f"/horinger/{consultation_id}").text
    assert "Invitert: enheter Nordbyen skole; trinn 5. trinn, 6. trinn; fag Matematikk." in summary

    csrf = api.login_page("staff", user="Lærer Høring", units=(NORD,))
    # invited after the start: not invited, so the consultation does not exist for this person
    assert api.get(f"/horinger/{consultation_id}", headers={"Accept": "text/html"}).status_code == 404
    assert "ikke invitert" in api.get("/horinger").text


def test_the_invited_answer_on_the_page_with_errors_first(api, flow):
    case_id = flow.to_state("pedagogical_review")
    csrf = api.login_page("staff", user="Lærer Svar", units=(NORD,))
    flow.post_action(case_id, flow.sector, "start_consultation", consultation={
        "question": "Prøv det.", "units": [NORD], "deadline": (today() + datetime.timedelta(days=5)).isoformat(),
        "criteria": ["curriculum_fit", "ease_of_use"]})
    listing = api.get("/horinger").text
    assert "venter på svaret ditt" in listing
    consultation_id = api.get("/api/v1/consultations", headers=flow.staff).json()[0]["id"]
    page = api.get(f"/horinger/{consultation_id}")
    assert page.status_code == 200 and "Prøv det." in page.text and "5 – svært god" in page.text
    bad = api.post(f"/horinger/{consultation_id}", data={"_csrf_token": csrf, "r-curriculum_fit": "6"})
    assert bad.status_code == 422 and "Velg en vurdering fra 1 til 5" in bad.text
    good = api.post(f"/horinger/{consultation_id}", follow_redirects=False, data={
        "_csrf_token": csrf, "r-curriculum_fit": "4", "r-ease_of_use": "2", "kommentar": "Tungt å logge inn."})
    assert good.status_code == 303
    assert "Svaret ditt er lagret" in api.get(good.headers["location"]).text
    closed = flow.act(case_id, flow.sector, "close_consultation")
    assert closed["state"] == "pedagogical_review"
    late = api.post(f"/horinger/{consultation_id}", data={"_csrf_token": csrf, "r-curriculum_fit": "4",
                                                           "r-ease_of_use": "2"})
    assert late.status_code in (200, 409)
    api.login_page("sector_reviewer")
    case_page = api.get(f"/saker/{case_id}").text
    assert "1 av" in case_page and "Tungt å logge inn." in case_page and "gjennomsnitt 4.0 av 5" in case_page
