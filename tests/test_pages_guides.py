"""«Kom i gang» on the pages: the guide and the notes only for signed-in staff (their own units'
notes), the sector office's form and the mentors' note form with errors in Norwegian, and the
competence overview under «Erfaringsdeling»."""

from __future__ import annotations

import pytest

from tests.conftest import resource_body

GUIDE = {"access": "Bestill **lisens** hos IKT-veilederen.", "login": "Logg inn med Feide.",
         "first_lesson": "Start med en felles oppgave.",
         "links": [{"title": "Leverandørens startside", "url": "https://hjelp.example.no/start"}]}


@pytest.fixture
def resource_id(api):
    admin = api.headers("admin")
    for code, name in (("side-nord", "Nordsiden skole"), ("side-sor", "Sørsiden skole")):
        api.post("/api/v1/units", json={"code": code, "name": name, "kind": "skole"}, headers=admin)
    rid = api.post("/api/v1/resources", json=resource_body(), headers=admin).json()["id"]
    api.put(f"/api/v1/resources/{rid}/guide", json=GUIDE, headers=admin)
    for code, text in (("side-nord", "Klassekodene får du av Ola."), ("side-sor", "Sør bruker egne koder.")):
        api.put(f"/api/v1/resources/{rid}/unit-notes/{code}", json={"body": text}, headers=admin)
    return rid


def test_the_guide_is_not_on_the_public_page_and_staff_see_their_own_units_note(api, resource_id):
    public = api.get(f"/ressurser/{resource_id}")
    assert public.status_code == 200 and 'id="kom-i-gang"' not in public.text and "Bestill" not in public.text
    assert "Klassekodene" not in public.text and "hjelp.example.no" not in public.text
    api.login_page("staff", units=("side-nord",))
    page = api.get(f"/ressurser/{resource_id}").text
    assert "Kom i gang" in page and "Bestill <strong>lisens</strong>" in page and "Slik logger du inn" in page
    assert '<a href="https://hjelp.example.no/start" rel="noopener noreferrer">Leverandørens startside</a>' in page
    assert "Klassekodene får du av Ola." in page and "Fra Nordsiden skole" in page
    assert "Sør bruker egne koder." not in page  # another unit's note
    assert "Endre veiledningen" not in page and "Endre notatet" not in page


def test_the_sector_office_writes_the_guide_on_a_form_with_errors_first(api):
    admin = api.headers("admin")
    rid = api.post("/api/v1/resources", json=resource_body(name="Nyverktøyet"), headers=admin).json()["id"]
    csrf = api.login_page("sector_reviewer", user="Siri Side")
    page = api.get(f"/ressurser/{rid}").text
    assert "ikke skrevet en veiledning" in page and f'href="/ressurser/{rid}/kom-i-gang"' in page
    form = api.get(f"/ressurser/{rid}/kom-i-gang")
    assert form.status_code == 200 and "Slik får du tilgang" in form.text and 'name="lenke-1-adresse"' in form.text
    bad = api.post(f"/ressurser/{rid}/kom-i-gang", data={
        "_csrf_token": csrf, "versjon": "0", "tilgang": "Via Feide", "lenke-1-tittel": "Farlig",
        "lenke-1-adresse": "javascript:alert(1)", "lenke-2-tittel": "", "lenke-2-adresse": "https://ok.example.no"})
    assert bad.status_code == 422 and "Skjemaet må rettes" in bad.text
    assert 'href="#f-lenke-1-adresse"' in bad.text and 'href="#f-lenke-2-tittel"' in bad.text
    assert 'value="javascript:alert(1)"' in bad.text  # what was typed is kept to put right
    empty = api.post(f"/ressurser/{rid}/kom-i-gang", data={"_csrf_token": csrf, "versjon": "0"})
    assert empty.status_code == 422 and 'href="#f-tilgang"' in empty.text
    too_long = api.post(f"/ressurser/{rid}/kom-i-gang", data={"_csrf_token": csrf, "versjon": "0",
                                                              "innlogging": "x" * 100_000})
    assert too_long.status_code == 422 and "høyst 4000 tegn" in too_long.text
    sent = api.post(f"/ressurser/{rid}/kom-i-gang", follow_redirects=False, data={
        "_csrf_token": csrf, "versjon": "0", "tilgang": "Via *Feide*", "forste-time": "Lag en klasse",
        "lenke-1-tittel": "Hjelp", "lenke-1-adresse": "https://hjelp.example.no"})
    assert sent.status_code == 303
    shown = api.get(sent.headers["location"]).text
    assert "«Kom i gang» er lagret." in shown and "Via <em>Feide</em>" in shown and "Endre veiledningen" in shown
    # a second form opened before the change no longer matches
    stale = api.post(f"/ressurser/{rid}/kom-i-gang", data={"_csrf_token": csrf, "versjon": "0", "tilgang": "Eldre"})
    assert stale.status_code == 409 and "endret et annet sted" in stale.text
    assert "Via <em>Feide</em>" in api.get(f"/ressurser/{rid}").text


def test_an_ict_mentor_writes_and_deletes_the_note_of_their_unit_only(api, resource_id):
    csrf = api.login_page("ict_mentor", user="Ola Side", units=("side-nord",))
    page = api.get(f"/ressurser/{resource_id}").text
    assert f'href="/ressurser/{resource_id}/kom-i-gang/enheter/side-nord">Endre notatet' in page
    assert api.get(f"/ressurser/{resource_id}/kom-i-gang").status_code == 403  # the guide is the office's
    assert api.get(f"/ressurser/{resource_id}/kom-i-gang/enheter/side-sor").status_code == 404
    form = api.get(f"/ressurser/{resource_id}/kom-i-gang/enheter/side-nord")
    assert form.status_code == 200 and "Klassekodene får du av Ola." in form.text
    version = form.text.split('name="versjon" value="', 1)[1].split('"', 1)[0]
    empty = api.post(f"/ressurser/{resource_id}/kom-i-gang/enheter/side-nord",
                     data={"_csrf_token": csrf, "versjon": version, "notat": " "})
    assert empty.status_code == 422 and 'href="#f-notat"' in empty.text
    saved = api.post(f"/ressurser/{resource_id}/kom-i-gang/enheter/side-nord", follow_redirects=False,
                     data={"_csrf_token": csrf, "versjon": version, "notat": "Spør <b>meg</b> om koder"})
    assert saved.status_code == 303
    shown = api.get(saved.headers["location"]).text
    assert "Notatet for enheten er lagret." in shown and "Spør &lt;b&gt;meg&lt;/b&gt; om koder" in shown
    foreign = api.post(f"/ressurser/{resource_id}/kom-i-gang/enheter/side-sor/slett", data={"_csrf_token": csrf})
    assert foreign.status_code == 403
    deleted = api.post(f"/ressurser/{resource_id}/kom-i-gang/enheter/side-nord/slett", follow_redirects=False,
                       data={"_csrf_token": csrf})
    assert deleted.status_code == 303
    after = api.get(deleted.headers["location"]).text
    assert "Notatet for enheten er slettet." in after and "Skriv et notat for Nordsiden skole" in after


def test_staff_open_neither_form(api, resource_id):
    api.login_page("staff", units=("side-nord",))
    assert api.get(f"/ressurser/{resource_id}/kom-i-gang").status_code == 403
    assert api.get(f"/ressurser/{resource_id}/kom-i-gang/enheter/side-nord").status_code == 403
    assert api.get("/erfaringer/kompetanse").status_code == 403


def test_the_competence_page_shows_the_units_resources_and_who_shares_tips(api, resource_id):
    kari = api.headers("staff", user="Kari Kompetanse", units=("side-nord",))
    api.post(f"/api/v1/resources/{resource_id}/tips", json={"body": "Stasjoner fungerer."}, headers=kari)
    api.login_page("ict_mentor", units=("side-nord",))
    moderation = api.get("/erfaringer").text
    assert 'href="/erfaringer/kompetanse"' in moderation
    page = api.get("/erfaringer/kompetanse")
    assert page.status_code == 200 and "Kompetanseheving: Nordsiden skole" in page.text
    assert "Kari Kompetanse" in page.text and "Brøkbyggeren" in page.text and "Basispakken" in page.text
    assert api.get("/erfaringer/kompetanse?enhet=side-sor").status_code == 403
    api.login_page("sector_reviewer")
    office = api.get("/erfaringer/kompetanse?enhet=side-sor")
    assert office.status_code == 200 and "Kompetanseheving: Sørsiden skole" in office.text
    assert "Kari Kompetanse" not in office.text and 'id="f-enhet"' in office.text
    assert api.get("/erfaringer/kompetanse?enhet=finnes-ikke").status_code == 404
    api.client.cookies.clear()
    assert api.get("/erfaringer/kompetanse").status_code == 401


def test_a_mentor_without_a_unit_is_told_so(api):
    api.login_page("ict_mentor")
    page = api.get("/erfaringer/kompetanse")
    assert page.status_code == 200 and "ikke knyttet til en enhet" in page.text
