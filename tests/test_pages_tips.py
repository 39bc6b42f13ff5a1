"""Experience sharing on the pages: tips only for signed-in people, writing with errors shown in
Norwegian, useful marks, reports and the moderators' page."""

from __future__ import annotations

import re

import pytest

from tests.conftest import resource_body


@pytest.fixture
def resource_id(api):
    admin = api.headers("admin")
    api.post("/api/v1/units", json={"code": "side-skole", "name": "Sideskolen", "kind": "skole"}, headers=admin)
    return api.post("/api/v1/resources", json=resource_body(), headers=admin).json()["id"]


def test_tips_are_never_on_the_public_page(api, resource_id):
    kari = api.headers("staff", user="Kari Tips")
    api.post(f"/api/v1/resources/{resource_id}/tips", json={"body": "Hemmelig klassetips"}, headers=kari)
    public = api.get(f"/ressurser/{resource_id}")
    assert public.status_code == 200 and "Hemmelig klassetips" not in public.text and "Erfaringer" not in public.text
    assert api.get(f"/api/v1/resources/{resource_id}/tips").status_code == 401
    public_api = api.get("/api/v1/public/privacy").text
    assert "Hemmelig klassetips" not in public_api
    api.login_page("staff")
    signed_in = api.get(f"/ressurser/{resource_id}")
    assert "Hemmelig klassetips" in signed_in.text and "Kari Tips" in signed_in.text


def test_a_tip_is_written_on_the_page_with_errors_first_and_markdown_shown_safely(api, resource_id):
    csrf = api.login_page("staff", user="Lærer Side")
    form = api.get(f"/ressurser/{resource_id}/tips/ny")
    assert form.status_code == 200 and "Hvordan brukte du læremidlet?" in form.text
    empty = api.post(f"/ressurser/{resource_id}/tips", data={"_csrf_token": csrf, "tekst": " ", "trinn": "5"})
    assert empty.status_code == 422 and "Skjemaet må rettes" in empty.text
    assert 'href="#f-tekst"' in empty.text and 'value="5" checked' in empty.text
    too_long = api.post(f"/ressurser/{resource_id}/tips", data={"_csrf_token": csrf, "tekst": "x" * 100_000})
    assert too_long.status_code == 422 and "høyst 5000 tegn" in too_long.text
    sent = api.post(f"/ressurser/{resource_id}/tips", follow_redirects=False, data={
        "_csrf_token": csrf, "tekst": "Bruk **par** <script>alert(1)</script>", "fungerte": "Motivasjon",
        "trinn": ["5", "6"], "fag": "MAT", "kompetansemaal": "mat0512"})
    assert sent.status_code == 303
    page = api.get(sent.headers["location"]).text
    assert "Tipset ditt er delt" in page and "<strong>par</strong>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Kompetansemål MAT0512" in page and "Dette fungerte" in page
    assert "Slett tipset ditt" in page and "Nyttig<span" not in page  # one's own tip is not marked useful


def test_useful_marks_and_reports_from_the_page(api, resource_id):
    author = api.headers("staff", user="Forfatter", units=("side-skole",))
    tip = api.post(f"/api/v1/resources/{resource_id}/tips", json={"body": "Godt tips"}, headers=author).json()
    csrf = api.login_page("staff", user="Leser")
    page = api.get(f"/ressurser/{resource_id}").text
    assert f'action="/tips/{tip["id"]}/nyttig"' in page
    marked = api.post(f"/tips/{tip['id']}/nyttig", data={"_csrf_token": csrf, "nyttig": "ja"}, follow_redirects=False)
    assert marked.status_code == 303
    page = api.get(marked.headers["location"]).text
    assert "1 synes tipset er nyttig" in page and "Fjern «nyttig»" in page
    twice = api.post(f"/tips/{tip['id']}/nyttig", data={"_csrf_token": csrf, "nyttig": "ja"}, follow_redirects=False)
    assert "melding=tips-allerede" in twice.headers["location"]
    report_form = api.get(f"/tips/{tip['id']}/meld")
    assert report_form.status_code == 200 and "Godt tips" in report_form.text
    empty = api.post(f"/tips/{tip['id']}/meld", data={"_csrf_token": csrf, "begrunnelse": ""})
    assert empty.status_code == 422 and "Skriv hva som er galt" in empty.text
    sent = api.post(f"/tips/{tip['id']}/meld", data={"_csrf_token": csrf, "begrunnelse": "Feil om Feide"},
                    follow_redirects=False)
    assert sent.status_code == 303 and "tips-meldt" in sent.headers["location"]
    again = api.post(f"/tips/{tip['id']}/meld", data={"_csrf_token": csrf, "begrunnelse": "Igjen"})
    assert again.status_code == 409 and "allerede meldt" in again.text


def test_the_mentor_of_the_authors_unit_hides_a_reported_tip_with_a_reason(api, resource_id):
    author = api.headers("staff", user="Forfatter B", units=("side-skole",))
    tip = api.post(f"/api/v1/resources/{resource_id}/tips", json={"body": "Reklame for noe"}, headers=author).json()
    api.post(f"/api/v1/tips/{tip['id']}/reports", json={"reason": "Reklame"}, headers=api.headers("staff"))
    csrf = api.login_page("ict_mentor", user="Mentor Side", units=("side-skole",))
    page = api.get("/erfaringer")
    assert page.status_code == 200 and "Reklame for noe" in page.text and "Erfaringsdeling" in page.text
    missing = api.post(f"/tips/{tip['id']}/skjul", data={"_csrf_token": csrf, f"t{tip['id']}-begrunnelse": ""})
    assert missing.status_code == 422 and "Skriv hvorfor tipset skjules" in missing.text
    hidden = api.post(f"/tips/{tip['id']}/skjul", follow_redirects=False,
                      data={"_csrf_token": csrf, f"t{tip['id']}-begrunnelse": "Reklame hører ikke hjemme her"})
    assert hidden.status_code == 303
    page = api.get(hidden.headers["location"]).text
    assert "Tipset er skjult" in page and "Skjult tips fra Forfatter B" in page
    shown = api.get(f"/api/v1/resources/{resource_id}/tips", headers=author).json()["items"][0]
    assert shown["hidden_reason"] == "Reklame hører ikke hjemme her"


def test_a_mentor_of_another_unit_cannot_moderate_and_staff_have_no_moderation_page(api, resource_id):
    author = api.headers("staff", units=("side-skole",))
    tip = api.post(f"/api/v1/resources/{resource_id}/tips", json={"body": "Et tips"}, headers=author).json()
    api.post("/api/v1/units", json={"code": "annen-skole", "name": "Annen skole", "kind": "skole"},
             headers=api.headers("admin"))
    csrf = api.login_page("ict_mentor", units=("annen-skole",))
    refused = api.post(f"/tips/{tip['id']}/skjul", data={"_csrf_token": csrf, f"t{tip['id']}-begrunnelse": "Nei"},
                       headers={"Accept": "text/html"})
    assert refused.status_code == 403
    api.login_page("staff")
    assert api.get("/erfaringer", headers={"Accept": "text/html"}).status_code == 403
    nav = api.get("/ressurser").text
    assert not re.search(r'href="/erfaringer"', nav)


def test_the_resource_page_shows_the_most_useful_tips_and_links_to_all_of_them_a_page_at_a_time(api, resource_id):
    authors = [api.headers("staff", user=f"Forfatter {n}") for n in range(3)]
    ids = []
    for n in range(25):
        body = {"body": f"Tips nummer {n:02d}", "levels": ["5"] if n % 2 else ["6"], "subjects": ["MAT"]}
        ids.append(api.post(f"/api/v1/resources/{resource_id}/tips", json=body, headers=authors[n % 3]).json()["id"])
    # the last tip written is the most useful one
    for reader in range(2):
        api.post(f"/api/v1/tips/{ids[-1]}/useful", headers=api.headers("staff", user=f"Leser {reader}"))
    api.login_page("staff", user="Leser på siden")
    page = api.get(f"/ressurser/{resource_id}").text
    shown = re.findall(r"Tips nummer (\d\d)", page)
    assert len(shown) == 10 and shown[0] == "24"
    assert "25 tips; de 10 mest nyttige vises her" in page
    assert f'href="/ressurser/{resource_id}/tips">Se alle 25 tipsene' in page

    first = api.get(f"/ressurser/{resource_id}/tips")
    assert first.status_code == 200 and "Side 1 av 2" in first.text and "viser 1–20" in first.text
    second = api.get(f"/ressurser/{resource_id}/tips?side=2").text
    on_both = re.findall(r"Tips nummer (\d\d)", first.text) + re.findall(r"Tips nummer (\d\d)", second)
    assert sorted(on_both) == [f"{n:02d}" for n in range(25)]  # every tip once, none twice
    assert 'rel="prev"' in second and "viser 21–25" in second

    filtered = api.get(f"/ressurser/{resource_id}/tips?tips_trinn=5").text
    assert len(re.findall(r"Tips nummer (\d\d)", filtered)) == 12 and "12 tips med dette utvalget" in filtered
    assert "Side 1 av" not in filtered  # twelve fit on one page
    on_resource = api.get(f"/ressurser/{resource_id}?tips_trinn=5").text
    assert f'href="/ressurser/{resource_id}/tips?tips_trinn=5">Se alle 12 tipsene med dette utvalget' in on_resource
    # a page past the end or an odd page number lists nothing rather than failing
    assert api.get(f"/ressurser/{resource_id}/tips?side=99").status_code == 200
    assert api.get(f"/ressurser/{resource_id}/tips?side=-1").status_code == 200
    api.client.cookies.clear()
    assert api.get(f"/ressurser/{resource_id}/tips", follow_redirects=False).status_code in (302, 303, 401)
