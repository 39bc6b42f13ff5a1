"""Search quality: Norwegian queries over the demo data plus a few fixtures, each with the resources
it must find near the top, run on SQLite and on PostgreSQL, which must agree on the top results."""

from __future__ import annotations

import asyncio
import shutil
import uuid

import pytest
from litestar.testing import TestClient

from tests.conftest import BACKENDS, Api, _pg_admin, _pg_url_for, _settings, resource_body

FIXTURES = [
    resource_body(),  # Brøkbyggeren: brøk og desimaltall på mellomtrinnet
    resource_body(
        name="Læringsressursbanken", vendor={"name": "Fjordvik kommune"}, url="https://ressurs.example.no",
        kind="reference_work", levels=[str(n) for n in range(1, 11)], subjects=[], in_base_package=False,
        description="Kommunens samling av digitale læringsressurser, sortert etter fag og trinn.",
        tags=["samling", "lenker"]),
    resource_body(
        name="Ærfugl og ørret", vendor={"name": "Fjæresteinen AS"}, url="https://fjaere.example.no",
        kind="learning_universe", levels=["1", "2", "3", "4"], subjects=["NAT"], platforms=["ipad"],
        description="Småtrinnet utforsker livet i fjæra: fugler, fisk og tang.", tags=["fjære", "dyreliv"]),
    resource_body(
        name="Xylofonia", vendor={"name": "Lydverket AS"}, url="https://xylofonia.example.no", status="draft",
        kind="creative_tool", subjects=["MUS"], description="Et utkast ingen ansatte skal finne."),
]

# (query, resources that must be among the first `top` hits); an empty list: nothing is found
CASES = [
    # singular, plural and definite forms; compound heads
    ("ressurs", ["Læringsressursbanken", "NDLA"], 3),
    ("ressurser", ["Læringsressursbanken", "NDLA"], 3),
    ("ressursene", ["Læringsressursbanken", "NDLA"], 3),
    ("læringsressurser", ["Læringsressursbanken", "NDLA"], 2),
    ("bøker", ["Lesemester", "Polylino"], 5),
    ("e-bøker", ["Lesemester"], 1),
    ("ordbok", ["Ordbøkene.no", "Lexin", "Ordnett"], 3),
    ("ordbøkene", ["Ordbøkene.no"], 1),
    ("brøker", ["Brøkbyggeren"], 1),
    ("spillene", ["Kahoot!", "Minecraft Education"], 5),
    # compounds and coordinated compounds
    ("skrivestøtte", ["Lingright", "Lingdys", "IntoWords"], 4),
    ("lesestøtte", ["Lingdys", "IntoWords"], 4),
    ("noe for lesestøtte på iPad", ["IntoWords"], 1),
    ("programmeringsspråk", ["Scratch"], 1),
    # æ, ø, å
    ("ærfugl", ["Ærfugl og ørret"], 1),
    ("ØRRET", ["Ærfugl og ørret"], 1),
    ("fjæra", ["Ærfugl og ørret"], 1),
    ("idémyldring", ["Padlet"], 1),
    ("språkstimulering barnehage", ["Polylino", "Språkkista"], 2),
    # typos in names (one wrong letter), and search as you type
    ("Kahot", ["Kahoot!"], 1),
    ("Kikroa", ["Kikora"], 1),
    ("Polilino", ["Polylino"], 1),
    ("Geogebraa", ["GeoGebra"], 1),
    ("brøkbygeren", ["Brøkbyggeren"], 1),
    ("kik", ["Kikora"], 1),
    ("scra", ["Scratch", "ScratchJr"], 2),
    ("micro:bit", ["micro:bit med MakeCode"], 1),
    # vendor names
    ("Gyldendal", ["Multi Smart Øving", "Salaby"], 2),
    ("Lingit", ["Lingdys", "Lingright"], 2),
    ("apple", ["GarageBand", "iMovie"], 2),
    # level and subject words
    ("hva har vi for 5. trinn matematikk", ["Matematikk.org", "Multi Smart Øving", "Kikora", "Matemania"], 6),
    ("mellomtrinnet matematikk", ["Matematikk.org", "Kikora", "Matemania"], 3),
    ("mellomtrinnet brøk", ["Brøkbyggeren"], 1),
    ("småtrinnet naturfag", ["Ærfugl og ørret", "Bee-Bot og Blue-Bot"], 10),
    ("ungdomstrinnet naturfag", ["NDLA", "Viten.no"], 2),
    ("dysleksi", ["IntoWords", "Lingdys", "Logos"], 3),
    ("kartlegging lesing", ["Kartleggingsprøver og læringsstøttende prøver (PAS)", "Logos"], 2),
    # queries that must find nothing
    ("kvantefysikk", [], 0),
    ("xylofonbygging", [], 0),
    ("Xylofonia", [], 0),  # a draft: staff do not see it
    ("Quizlet", [], 0),  # in review: staff do not see it
    ("kahoooot", [], 0),  # three letters wrong is no longer a typo
    ("DROP TABLE resource", [], 0),
]


@pytest.fixture(scope="module")
def results(templates, tmp_path_factory, signing_pem) -> dict[str, dict[str, dict]]:
    """Every query's first page, on each engine in turn (the tables are bound to one engine at a
    time): demo data plus the fixtures, searched by a staff member."""
    from catalogue.app import create_app
    from catalogue.demo import seed_demo

    pages: dict[str, dict[str, dict]] = {}
    for backend in BACKENDS:
        folder = tmp_path_factory.mktemp(f"quality-{backend}")
        database = None
        if backend == "sqlite":
            shutil.copyfile(templates["sqlite"], folder / "catalogue.sqlite3")
            url = f"sqlite:///{folder / 'catalogue.sqlite3'}"
        else:
            database = f"lk_quality_{uuid.uuid4().hex[:12]}"
            asyncio.run(_pg_admin(f'CREATE DATABASE "{database}" TEMPLATE "{templates["postgresql"]}"'))
            url = _pg_url_for(database)
        try:
            with TestClient(create_app(_settings(url, folder, signing_pem)), raise_server_exceptions=False) as client:
                api = Api(client)
                api.run(seed_demo)
                admin = api.headers("admin")
                for body in FIXTURES:
                    assert api.post("/api/v1/resources", json=body, headers=admin).status_code == 201
                staff = api.headers("staff")
                pages[backend] = {}
                for q, _, _ in CASES:
                    response = api.get("/api/v1/resources", params={"q": q, "limit": 10}, headers=staff)
                    assert response.status_code == 200, response.text
                    pages[backend][q] = response.json()
        finally:
            if database:
                asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    return pages


@pytest.mark.parametrize("q,expected,top", CASES, ids=[c[0] for c in CASES])
def test_query_finds_what_it_must_on_both_engines_alike(results, q, expected, top):
    for backend in BACKENDS:
        page = results[backend][q]
        names = [item["name"] for item in page["items"]]
        if not expected:
            assert page["total"] == 0, (backend, names)
            continue
        missing = [name for name in expected if name not in names[:top]]
        assert not missing, f"{backend}: {q!r} should find {missing} in the top {top}, found {names}"
    sqlite, postgresql = (results[b][q] for b in BACKENDS)
    assert [i["name"] for i in sqlite["items"]] == [i["name"] for i in postgresql["items"]]
    assert sqlite["total"] == postgresql["total"]
    assert sqlite["facets"] == postgresql["facets"]


def test_the_test_set_is_large_enough():
    assert len(CASES) >= 30
    assert sum(1 for _, expected, _ in CASES if not expected) >= 3
