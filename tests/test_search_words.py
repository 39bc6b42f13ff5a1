"""What the search makes of a teacher's words, through the API and on the catalogue page: partial
matches said as such, level ranges in the text used as the level filter, levels outside the
catalogue named, spellings without æ, ø and å, typos and compounds followed through every write."""

from __future__ import annotations

import re
from html import unescape

from tests.conftest import resource_body

HTML = {"Accept": "text/html"}


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def make(api, **overrides) -> dict:
    response = api.post("/api/v1/resources", json=resource_body(**overrides), headers=api.headers("admin"))
    assert response.status_code == 201, response.text
    return {**response.json(), "etag": response.headers["etag"]}


def search(api, q: str, **params) -> dict:
    response = api.get("/api/v1/resources", params={"q": q, **params}, headers=api.headers("staff"))
    assert response.status_code == 200, response.text
    return response.json()


def names(page: dict) -> list[str]:
    return [item["name"] for item in page["items"]]


def test_a_word_nobody_has_leaves_the_best_partial_matches_and_the_page_says_so(api):
    make(api)  # Brøkbyggeren
    make(api, name="Tallinja", url="https://tallinja.example.no", description="Tallinja for desimaltall.")
    page = search(api, "brøk desimaltall kvantefysikk")
    assert page["notices"] == ["partial"]
    assert names(page) == ["Brøkbyggeren", "Tallinja"]  # two of the words before one
    assert search(api, "brøk desimaltall")["notices"] == []
    assert search(api, "kvantefysikk")["total"] == 0  # one word that matches nothing: nothing
    html = text_of(api.get("/ressurser", params={"q": "brøk desimaltall kvantefysikk"}, headers=HTML).text)
    assert "Ingen treff på alle ordene; viser treff på noen av dem" in html
    assert "Brøkbyggeren" in html
    assert "Ingen treff på alle ordene" not in text_of(api.get("/ressurser", params={"q": "brøk"}, headers=HTML).text)


def test_a_range_in_the_words_is_the_level_filter_unless_one_is_chosen(api):
    make(api, name="Brøk for mellomtrinnet", levels=["5", "6", "7"])
    make(api, name="Brøk for ungdomstrinnet", url="https://u.example.no", levels=["8", "9", "10"])
    page = search(api, "brøk 5-7")
    assert names(page) == ["Brøk for mellomtrinnet"]
    assert page["levels_from_query"] == ["5", "6", "7"]
    assert names(search(api, "brøk 8 - 10")) == ["Brøk for ungdomstrinnet"]
    assert names(search(api, "brøk 5-7", band="8-10")) == ["Brøk for ungdomstrinnet"]  # the chosen filter wins
    html = text_of(api.get("/ressurser", params={"q": "brøk 5-7"}, headers=HTML).text)
    assert "Viser læremidler for 5.–7. trinn" in html


def test_levels_outside_the_catalogue_are_named_not_searched(api):
    make(api)
    assert search(api, "vgs")["total"] == 0
    page = search(api, "brøk vgs")
    assert names(page) == ["Brøkbyggeren"] and page["notices"] == ["level_not_covered"]
    html = text_of(api.get("/ressurser", params={"q": "vgs"}, headers=HTML).text)
    assert "Katalogen dekker barnehage og 1.–10. trinn" in html


def test_spellings_typos_and_compounds_follow_every_write(api):
    resource = make(api, name="Kroppsøving ute", url="https://ute.example.no",
                    description="Leikar og løsningsforslag for programmering ute.", subjects=["KRO"])
    for q in ("kroppsoving", "losningsforslag", "programering", "kroppsøving ute"):
        assert names(search(api, q)) == ["Kroppsøving ute"], q
    patched = api.patch(f"/api/v1/resources/{resource['id']}", headers={
        **api.headers("admin"), "If-Match": resource["etag"]}, json={"description": "Ballspill i skolegården."})
    assert patched.status_code == 200, patched.text
    assert search(api, "losningsforslag")["total"] == 0
    assert names(search(api, "balspill")) == ["Kroppsøving ute"]
    assert names(search(api, "ballspill skolegarden")) == ["Kroppsøving ute"]
    assert names(search(api, "ballspillskolegården")) == ["Kroppsøving ute"]


def test_exact_spellings_rank_above_folded_ones_and_typos(api):
    make(api, name="Spill med lås", url="https://laas.example.no", description="Brettspill.")
    make(api, name="Tegnspill", url="https://las.example.no", description="Brettspill med las.")
    make(api, name="Programmeringsspill", url="https://prog.example.no", description="Brettspill.")
    make(api, name="Programeringsspill", url="https://progr.example.no", description="Brettspill.")
    # the word as typed first, though the other's name comes first and matches in the name
    assert names(search(api, "las")) == ["Tegnspill", "Spill med lås"]
    assert names(search(api, "lås")) == ["Spill med lås"]
    assert names(search(api, "programeringsspill")) == ["Programeringsspill", "Programmeringsspill"]


def test_ascii_spellings_of_common_words_are_stop_words(api):
    make(api)
    for q in ("brøk pa mellomtrinnet", "brøk på mellomtrinnet", "brøk paa mellomtrinnet"):
        page = search(api, q)
        assert names(page) == ["Brøkbyggeren"] and page["notices"] == [], q
