"""Tagging a resource with competence aims on the pages: the sector office on any resource, the
proposer on their own proposal while it is a draft or returned; aims picked by subject and trinn or
found by words of their text, taken off by unticking, typed by code; unknown codes refused."""

from __future__ import annotations

import re

from catalogue.curriculum.recorded import recorded_transport
from tests.conftest import resource_body
from tests.test_curriculum import RECORDED, _import
from tests.test_workflow_support import NORD, Flow


def _aims_of(api, resource_id: int, headers) -> list[str]:
    return api.get(f"/api/v1/resources/{resource_id}", headers=headers).json()["competence_aims"]


def _version(page: str) -> str:
    return re.search(r'name="versjon" value="(\d+)"', page).group(1)


def test_the_sector_office_picks_aims_by_subject_and_trinn_and_words_and_takes_them_off(api):
    admin = api.headers("admin")
    _import(api, recorded_transport(RECORDED))
    resource_id = api.post("/api/v1/resources", json=resource_body(), headers=admin).json()["id"]
    csrf = api.login_page("sector_reviewer", user="VKKO Mål")
    resource_page = api.get(f"/ressurser/{resource_id}").text
    assert f'href="/ressurser/{resource_id}/kompetansemaal">Merk med kompetansemål' in resource_page

    first = api.get(f"/ressurser/{resource_id}/kompetansemaal")
    assert first.status_code == 200 and "ikke merket med kompetansemål ennå" in first.text
    by_trinn = api.get(f"/ressurser/{resource_id}/kompetansemaal", params={"fag": "MAT", "trinn": "7"}).text
    assert 'value="KM4010"' in by_trinn and 'value="KM4011"' in by_trinn
    by_words = api.get(f"/ressurser/{resource_id}/kompetansemaal", params={"ord": "programmere algoritmer"}).text
    assert 'value="KM4011"' in by_words and 'value="KM4010"' not in by_words

    saved = api.post(f"/ressurser/{resource_id}/kompetansemaal", follow_redirects=False, data={
        "_csrf_token": csrf, "versjon": _version(by_words), "maal": "KM4011", "koder": "km4010"})
    assert saved.status_code == 303, saved.text
    assert _aims_of(api, resource_id, admin) == ["KM4011", "KM4010"]
    shown = api.get(saved.headers["location"]).text
    assert "Kompetansemålene er lagret." in shown and "lage og programmere algoritmer" in shown

    again = api.get(f"/ressurser/{resource_id}/kompetansemaal").text
    assert again.count("checked") >= 2
    untick = api.post(f"/ressurser/{resource_id}/kompetansemaal", follow_redirects=False, data={
        "_csrf_token": csrf, "versjon": _version(again), "maal": "KM4010"})
    assert untick.status_code == 303 and _aims_of(api, resource_id, admin) == ["KM4010"]

    unknown = api.post(f"/ressurser/{resource_id}/kompetansemaal", data={
        "_csrf_token": csrf, "versjon": _version(api.get(f"/ressurser/{resource_id}/kompetansemaal").text),
        "maal": "KM4010", "koder": "XYZ9999"})
    assert unknown.status_code == 422 and 'href="#f-koder"' in unknown.text and "XYZ9999" in unknown.text
    assert _aims_of(api, resource_id, admin) == ["KM4010"]  # nothing lost, nothing half-saved
    stale = api.post(f"/ressurser/{resource_id}/kompetansemaal", data={
        "_csrf_token": csrf, "versjon": "1", "maal": "KM4011"})
    assert stale.status_code == 409 and "Noen andre har endret læremidlet" in stale.text
    assert _aims_of(api, resource_id, admin) == ["KM4010"]


def test_staff_may_not_tag_and_the_proposer_tags_only_while_the_proposal_is_theirs_to_change(api):
    flow = Flow(api)
    _import(api, recorded_transport(RECORDED))
    resource_id = api.post("/api/v1/resources", json=resource_body(), headers=flow.admin).json()["id"]
    api.login_page("staff")
    assert api.get(f"/ressurser/{resource_id}/kompetansemaal").status_code == 403
    assert "Merk med kompetansemål" not in api.get(f"/ressurser/{resource_id}").text

    proposer = api.headers("ict_mentor", user="Mentor Mål", units=(NORD,))
    created = flow.propose("Algoritmeløypa", headers=proposer)
    case_id, draft_id = created["case"]["id"], created["case"]["resource_id"]
    csrf = api.login_page("ict_mentor", user="Mentor Mål", units=(NORD,))
    case_page = api.get(f"/saker/{case_id}").text
    assert f'href="/ressurser/{draft_id}/kompetansemaal">Velg kompetansemål' in case_page
    picker = api.get(f"/ressurser/{draft_id}/kompetansemaal", params={"fag": "MAT", "trinn": "7"})
    assert picker.status_code == 200 and "Tilbake til forslaget" in picker.text
    saved = api.post(f"/ressurser/{draft_id}/kompetansemaal", follow_redirects=False, data={
        "_csrf_token": csrf, "versjon": _version(picker.text), "maal": ["KM4011"]})
    assert saved.status_code == 303 and saved.headers["location"].startswith(f"/saker/{case_id}")
    assert flow.resource(case_id)["competence_aims"] == ["KM4011"]
    assert any(e["action"] == "edit" and e["data"]["fields"] == ["competence_aims"]
               for e in flow.history(case_id)["events"])  # the case records it

    flow.act(case_id, proposer, "submit")
    assert api.get(f"/ressurser/{draft_id}/kompetansemaal").status_code == 403
    late = api.post(f"/ressurser/{draft_id}/kompetansemaal", data={"_csrf_token": csrf, "maal": ["KM4010"]})
    assert late.status_code == 403 and flow.resource(case_id)["competence_aims"] == ["KM4011"]
