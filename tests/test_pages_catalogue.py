"""The public pages as people read them: one level filter, a way back to the search, Norwegian dates
and wording on the resource page, and the service's own statements and API documentation."""

from __future__ import annotations

import re
from html import unescape

from tests.conftest import resource_body

HTML = {"Accept": "text/html"}


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def make_resource(api, **overrides) -> dict:
    response = api.post("/api/v1/resources", json=resource_body(**overrides), headers=api.headers("admin"))
    assert response.status_code == 201, response.text
    return response.json()


def test_levels_and_bands_are_one_filter(api):
    make_resource(api)
    html = api.get("/ressurser?band=5-7", headers=HTML).text
    legends = re.findall(r"<legend>([^<]+)</legend>", html)
    assert "Trinn" in legends and "Skoletrinn" not in legends
    assert legends.count("Trinn") == 1
    levels = html[html.index("<legend>Trinn</legend>"):]
    levels = levels[:levels.index("</fieldset>")]
    # the band and, beneath it, its levels; kindergarten once
    assert re.search(r'name="band" value="5-7" checked.*?<ul>.*?name="level" value="5".*?name="level" value="7"',
                     levels, re.S)
    assert 'name="band" value="barnehage"' not in levels
    assert "Mellomtrinnet, 5.–7. trinn" in unescape(levels)


def test_a_resource_page_links_back_to_the_search_it_came_from(api):
    resource = make_resource(api)
    search = api.get("/ressurser?q=br%C3%B8k&level=5&sortering=name", headers=HTML).text
    link = re.search(r'href="(/ressurser/%d\?sok=[^"]+)"' % resource["id"], search)
    assert link, search[:2000]
    page = api.get(unescape(link.group(1)), headers=HTML).text
    back = re.search(r'<a href="([^"]+)">Tilbake til søket</a>', page)
    assert back and unescape(back.group(1)) == "/ressurser?q=br%C3%B8k&sortering=name&level=5"
    # only the search's own parameters come back, and only to the search page
    forged = api.get(f"/ressurser/{resource['id']}?sok=https%3A%2F%2Fevil.example%2F%3Fx%3D1%26q%3Da",
                     headers=HTML).text
    assert re.search(r'<a href="([^"]+)">Tilbake til søket</a>', forged).group(1) == "/ressurser?q=a"
    plain = api.get(f"/ressurser/{resource['id']}", headers=HTML).text
    assert '<a href="/ressurser">Finn læremidler</a>' in plain and "Tilbake til søket" not in plain


def test_the_resource_page_shows_norwegian_dates_and_plain_privacy_words(api):
    privacy = {**resource_body()["privacy"], "data_subjects": ["pupils", "staff"], "data_location": "outside_eea",
               "transfers_outside_eea": True, "transfer_countries": ["US"], "transfer_basis": "scc",
               "dpa_expires": "2028-07-31"}
    resource = make_resource(api, privacy=privacy, accessibility={"claimed_conformance": "partial",
                                                                  "assessed_on": "2026-03-01"})
    api.login_page("sector_reviewer")
    html = api.get(f"/ressurser/{resource['id']}", headers=HTML).text
    words = text_of(html)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", words), re.findall(r"\b\d{4}-\d{2}-\d{2}\b", words)
    assert "gjelder til 31.07.2027" in words and "vurdert 01.03.2026" in words and "utløper 31.07.2028" in words
    assert "Databehandleravtale Inngått 01.08.2025" in words
    assert "Databehandleravtale inngått" not in words
    assert "Ja, om elever og ansatte" in words
    assert "Overføring ut av EU/EØS Ja, til USA. Grunnlag: standard personvernbestemmelser (SCC)." in words
    assert "(US)" not in words


def test_the_footer_leads_to_the_statements_contact_and_readable_api_documentation(api):
    footer = api.get("/", headers=HTML).text
    footer = footer[footer.index('<footer'):]
    links = dict((text, href) for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', footer))
    assert links == {"Tilgjengelighetserklæring": "/tilgjengelighet", "Personvernerklæring": "/personvernerklaering",
                     "Kontakt oss": "/kontakt", "API-dokumentasjon": "/api-dokumentasjon"}
    statement = text_of(api.get("/tilgjengelighet", headers=HTML).text)
    for words in ("WCAG 2.1 på nivå A og AA", "Kjente avvik", "Tilsynet for universell utforming av IKT",
                  "Digitaliseringsdirektoratet", "postmottak@fjordvik.kommune.no", "etter 8 timer"):
        assert words in statement, words
    privacy = text_of(api.get("/personvernerklaering", headers=HTML).text)
    assert "behandlingsansvarlig" in privacy and "lk_session" in privacy and "Datatilsynet" in privacy
    # with no DPO_EMAIL set, the contact page sends questions about privacy to the municipality's address
    assert "Personvernombudet: postmottak@fjordvik.kommune.no" in text_of(api.get("/kontakt", headers=HTML).text)
    docs = api.get("/api-dokumentasjon", headers=HTML)
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert "<script" not in docs.text
    words = text_of(docs.text)
    assert "GET /api/v1/resources" in words and "POST /api/v1/cases" in words
    assert "Search and list resources, with facet counts" in words
    assert re.search(r'<h3 id="schema-SearchPage">SearchPage</h3>', docs.text)


def test_contact_addresses_come_from_the_settings(app, settings):
    from catalogue.app import create_app
    from litestar.testing import TestClient

    other = create_app(settings.__class__(**{**settings.__dict__, "contact_email": "uu@kommune.example",
                                             "dpo_email": "pvo@kommune.example"}))
    with TestClient(other) as client:
        page = client.get("/kontakt").text
        assert "uu@kommune.example" in page and "pvo@kommune.example" in page
