"""The forms people fill in: what is being judged above the case's form, which fields are needed and
when, duplicates shown while a name is typed, no preset licence model, one way to write dates."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.test_pages_workflow import HTML, as_mentor, page, send
from tests.test_workflow_support import NORD, Flow


@pytest.fixture
def flow(api) -> Flow:
    return Flow(api)


def _label_of(html: str, field: str) -> str:
    found = re.search(r'<label for="f-%s">(.*?)</label>' % re.escape(field.replace(".", "-")), html, re.S)
    assert found, field
    return unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def test_the_case_page_shows_the_resource_and_background_before_the_form(api, flow):
    case_id = flow.to_state("privacy_review")
    api.login_page("privacy_reviewer", user="personvern")
    html = page(api, f"/saker/{case_id}")
    positions = [html.index(marker) for marker in ('id="laeremiddel-tittel"', 'id="begrunnelse-tittel"',
                                                   'id="vurdering"')]
    assert positions == sorted(positions)
    assert 'class="case-work with-forms"' in html


def test_the_privacy_form_marks_required_fields_and_hides_what_does_not_apply(api, flow):
    case_id = flow.to_state("privacy_review")
    api.login_page("privacy_reviewer", user="personvern")
    html = page(api, f"/saker/{case_id}")
    assert "Alle feltene må være fylt ut" not in html
    assert "Felt merket «må fylles ut» må være fylt ut før du kan godkjenne." in unescape(html)
    assert _label_of(html, "form.record.dpia_status") == "Status for DPIA (må fylles ut)"
    assert _label_of(html, "form.record.transfer_basis") == "Overføringsgrunnlag (må fylles ut)"
    assert _label_of(html, "form.record.processor") == "Databehandler"
    assert re.search(r"<legend>Behandler læremidlet personopplysninger\? <span class=\"required\">\(må fylles ut\)",
                     html)
    # shown only with the answer they depend on (every field stays in the page without JavaScript)
    assert re.search(r'<div class="field" data-shown-when="form.record.transfers_outside_eea=ja">\s*'
                     r'<label for="f-form-record-transfer_basis">', html)
    assert re.search(r'<div class="field" data-shown-when="form.record.feide_attributes=groups-edu">\s*'
                     r'<label for="f-feide_reason-groups-edu" class="sub-label">', html)
    assert 'data-shown-when="form.record.dpa_status=signed|in_progress"' in html
    assert re.search(r'<script src="/static/forms\.[0-9a-f]{12}\.js" defer>', html)


def test_the_procurement_form_asks_for_licences_only_when_they_are_bought(api, flow):
    case_id = flow.to_state("procurement")
    api.login_page("tech_approver", user="teknologi")
    html = page(api, f"/saker/{case_id}")
    assert _label_of(html, "form.licence_count") == "Antall lisenser (må fylles ut)"  # licence model per unit
    assert "Enheter som får læremidlet <span class=\"required\">(må fylles ut)</span>" in html
    assert 'data-shown-when="form.target=units"' in html


def test_the_proposal_form_presets_no_licence_model_and_marks_required_groups(api, flow):
    as_mentor(api)
    html = page(api, "/forslag/ny")
    select = re.search(r'<select id="f-licence_model".*?</select>', html, re.S).group(0)
    assert '<option value="">Velg lisensmodell</option>' in select and "selected" not in select
    assert re.search(r"<legend>Enheter som ønsker læremidlet <span class=\"required\">\(må fylles ut", html)
    assert 'id="lignende-status"' in html and 'role="status"' in html
    assert 'data-duplicate-check="/forslag/lignende"' in html


def test_likely_duplicates_are_found_while_the_name_is_typed(api, flow):
    flow.to_state("approved", name="Brøkbyggeren")
    as_mentor(api)
    found = api.get("/forslag/lignende", params={"name": "Brøkbygger", "url": "", "vendor.name": ""}, headers=HTML)
    assert found.status_code == 200
    assert 'data-count="1"' in found.text and "Finnes læremidlet allerede?" in found.text
    assert "Brøkbyggeren" in found.text and "Lignende navn" in found.text
    assert 'name="ikke_duplikat"' in found.text
    assert 'data-count="0"' in api.get("/forslag/lignende", params={"name": "Br"}, headers=HTML).text
    assert 'data-count="0"' in api.get("/forslag/lignende", params={"name": "Helt annet verktøy"}, headers=HTML).text
    api.login_page("staff", user="laerer", units=(NORD,))
    assert api.get("/forslag/lignende", params={"name": "Brøkbygger"}, headers=HTML).status_code == 403


def test_subject_dates_are_written_and_shown_as_dd_mm_yyyy(api):
    token = api.login_page("admin", user="Anne Admin")
    html = page(api, "/admin/fag")
    assert "ÅÅÅÅ-MM-DD" not in html and 'type="date"' not in html
    assert "Skriv datoen som dd.mm.åååå, for eksempel 01.08.2026." in unescape(html)
    send(api, "/admin/fag/MAT", token, {"MAT-curriculum_code": "MAT01-06", "MAT-previous_curriculum_code": "MAT01-05",
                                        "MAT-curriculum_valid_from": "01.08.2026", "MAT-curriculum_note": ""})
    subject = api.get("/api/v1/subjects/MAT", headers=api.headers("admin")).json()
    assert subject["curriculum_valid_from"] == "2026-08-01"
    again = page(api, "/admin/fag")
    assert 'name="MAT-curriculum_valid_from" value="01.08.2026"' in again
    bad = send(api, "/admin/fag/MAT", token, {"MAT-curriculum_valid_from": "31.02.2026"}, status=422)
    assert "Skriv en gyldig dato som dd.mm.åååå, for eksempel 01.08.2026." in unescape(bad.text)


def test_the_inbox_explains_itself_in_a_list_and_names_have_no_nested_brackets(api, flow):
    flow.to_state("pedagogical_review")
    api.login_page("sector_reviewer", user="Siri Sektor (demo)")
    html = unescape(page(api, "/oppgaver"))
    assert "<li>saker som er tildelt deg</li>" in html
    assert "Sektorkontoret for oppvekst (VKKO), ikke tildelt" in html
    who = re.search(r'<span class="who">(.*?)</span>\s*<form', html, re.S).group(1)
    flat = re.sub(r"<[^>]+>", "", who)
    assert not re.search(r"\([^)]*\(", flat), flat
