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
    resource_body(
        name="Språkløyper", vendor={"name": "Lesesenteret, Universitetet i Stavanger"}, url="https://sprakloyper.example.no",
        kind="reference_work", levels=["barnehage", "1", "2", "3", "4"], subjects=["NOR"], platforms=["web"],
        description="Kompetanseutvikling for barnehager og skoler i språk, lesing og skriving, med filmer og "
                    "oppgaver til samtaler i personalet.", tags=["kompetanseutvikling", "språkutvikling"]),
    resource_body(
        name="Smart Læring", vendor={"name": "Tallverket AS"}, url="https://smartlaering.example.no",
        kind="practice_tool", levels=["8", "9", "10"], subjects=["MAT"], platforms=["web", "chromebook"],
        description="Oppgaver i algebra og funksjoner med løsningsforslag som viser hvert steg.",
        tags=["løsningsforslag", "likninger"]),
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
    ("DELETE FROM resource", [], 0),
    ("gloser", [], 0),  # only a resource in review has it
    # æ, ø and å typed as ae/oe/aa or a/o
    ("brok", ["Brøkbyggeren"], 1),
    ("losningsforslag", ["Smart Læring"], 1),
    ("kroppsoving", ["Aunivers", "NRK Skole"], 3),
    ("laeringsplattform", ["Microsoft Teams og OneNote for skole", "Google Workspace for Education og Classroom"], 5),
    ("Smart Laering", ["Smart Læring"], 1),
    ("sprak barnehage", ["Polylino", "Språkkista", "Språkløyper"], 4),
    ("Spraakloyper", ["Språkløyper"], 1),
    ("spraakloeyper", ["Språkløyper"], 1),
    ("laeringsressurser", ["Læringsressursbanken", "NDLA"], 2),
    ("idemyldring", ["Padlet"], 1),
    ("ordboker", ["Ordbøkene.no", "Lexin", "Ordnett"], 3),
    ("bildeboker", ["Polylino", "Book Creator"], 2),
    ("hoytlesning", ["Lesemester", "Polylino"], 2),
    ("fremmedsprak", ["Lingright", "Ordnett"], 5),
    ("sprakstimulering", ["Polylino", "Språkkista"], 2),
    ("oppslagsverk pa nett", ["Store norske leksikon"], 2),
    ("smart laering algebra", ["Smart Læring"], 1),
    ("lese forstaelse", ["Logos"], 1),
    ("aerfugl", ["Ærfugl og ørret"], 1),
    ("orret fjaera", ["Ærfugl og ørret"], 1),
    # compounds in the query, written together or apart
    ("matematikkspill", ["Matematikk.org", "Matemania"], 3),
    ("barnehagebarn", ["Polylino", "Språkkista"], 11),
    # the compound first; resources whose competence aims speak of reading and understanding follow
    ("lese forståelse", ["Logos"], 3),
    ("leseforståelse", ["Logos"], 1),
    ("skrive støtte", ["IntoWords", "Lingdys", "Lingright"], 4),
    ("kilde kritikk", ["NRK Skole", "Store norske leksikon"], 2),
    ("blokk programmering", ["Scratch", "micro:bit med MakeCode"], 4),
    ("programmeringsoppgaver", ["Lær Kidsa Koding – oppgavesamling"], 1),
    ("læringsplattformen ungdomstrinnet", ["Microsoft Teams og OneNote for skole"], 1),
    # hyphens
    ("lese-og skrivestøtte", ["IntoWords", "Lingdys"], 2),
    ("lese-og skrivevansker", ["IntoWords", "Lingdys"], 2),
    ("3d-print", ["Tinkercad"], 1),
    ("stop motion-film", ["Stop Motion Studio"], 1),
    ("tale-til-tekst", ["IntoWords"], 1),
    # levels
    ("matte 5-7", ["Matemania", "Matematikk.org", "Brøkbyggeren"], 20),
    ("naturfag 8-10", ["NDLA", "Viten.no"], 3),
    ("lesing 1-4", ["Kartleggingsprøver og læringsstøttende prøver (PAS)", "Lesemester"], 3),
    ("matematikk vgs", ["Matematikk.org"], 3),
    ("vgs", [], 0),
    ("videregående", [], 0),
    ("ungdomsskole programmering", ["Scratch"], 5),
    ("barneskole læringsplattform", ["Google Workspace for Education og Classroom"], 1),
    # nynorsk
    ("oppgåver", ["Lær Kidsa Koding – oppgavesamling"], 1),
    ("kjeldekritikk", ["NRK Skole", "Store norske leksikon"], 2),
    ("leik", ["Bee-Bot og Blue-Bot"], 2),
    ("teikneserie", ["Creaza"], 1),
    ("forteljingar", ["Book Creator", "Puppet Pals HD"], 3),
    ("rekning", ["Kartleggingsprøver og læringsstøttende prøver (PAS)"], 1),
    ("fuglar", ["Ærfugl og ørret"], 1),
    ("born barnehage musikk", ["GarageBand", "Chrome Music Lab"], 3),
    # abbreviations and everyday words
    ("udir", ["Kartleggingsprøver og læringsstøttende prøver (PAS)"], 1),
    ("krle", ["NRK Skole", "Store norske leksikon", "Salaby"], 10),
    ("nat", ["NDLA", "Viten.no"], 2),
    ("matte", ["Matematikk.org", "Kikora", "Matemania"], 6),
    ("gym", ["NRK Skole", "Aunivers"], 3),
    ("koding", ["Scratch", "Lær Kidsa Koding – oppgavesamling"], 5),
    ("nettbrett", ["Bee-Bot og Blue-Bot", "Showbie"], 5),
    ("talesyntese", ["Lingdys"], 1),
    ("lesevansker", ["Logos", "Lingdys", "IntoWords"], 3),
    # one typo in ordinary words
    ("programering", ["Scratch", "Lær Kidsa Koding – oppgavesamling"], 6),
    ("matematik", ["Matematikk.org", "Kikora"], 6),
    ("kartleging", ["Kartleggingsprøver og læringsstøttende prøver (PAS)", "Logos"], 3),
    ("innlevring", ["Showbie", "Microsoft Teams og OneNote for skole"], 4),
    ("tilbakemeling", ["Kikora", "Showbie"], 4),
    ("presentasjn", ["Mentimeter", "Canva for Education"], 5),
    ("animasjn", ["Puppet Pals HD", "Stop Motion Studio"], 5),
    ("simulerigner", ["Viten.no"], 1),
    # words that match nothing among others: the best partial matches
    ("geogebra brøk kvantefysikk", ["GeoGebra", "Brøkbyggeren"], 2),
    ("scratch python javascript", ["Lær Kidsa Koding – oppgavesamling", "Scratch"], 2),
    ("musikk komponering orkester", ["GarageBand"], 1),
    ("kahoot quiz fotball", ["Kahoot!"], 1),
    ("padlet oppslagstavle whiteboard", ["Padlet"], 1),
    ("ordbok tysk latin", ["Ordnett"], 1),
    ("podkast radio", ["GarageBand"], 1),
    ("dysleksi lesestøtte fotball", ["IntoWords", "Lingdys"], 2),
    # singular and plural, definite forms
    ("robot", ["Bee-Bot og Blue-Bot"], 1),
    ("roboter", ["Bee-Bot og Blue-Bot"], 1),
    ("tegneserier", ["Creaza"], 1),
    ("tegneserie", ["Creaza"], 1),
    ("videoer", ["Campus Inkrement", "iMovie", "NRK Skole"], 5),
    ("apper", ["GarageBand", "Språkkista"], 8),
    ("app", ["GarageBand", "Språkkista"], 8),
    ("ordbøker nynorsk", ["Ordbøkene.no"], 1),
    ("simuleringer", ["Viten.no"], 1),
    ("simulering", ["Viten.no"], 1),
    ("leksikonet", ["Store norske leksikon"], 1),
    # topics and tools
    ("stop motion", ["Stop Motion Studio"], 1),
    ("mikrokontroller", ["micro:bit med MakeCode"], 1),
    ("klima", ["Viten.no"], 1),
    ("kosthold", ["Matvaretabellen"], 1),
    ("yrkesvalg", ["Utdanning.no"], 1),
    ("avstemning", ["Mentimeter"], 1),
    ("infografikk", ["Canva for Education"], 1),
    ("tankekart", ["Creaza"], 1),
    ("podkast", ["GarageBand"], 1),
    ("symbolstøtte", ["Widgit Online"], 1),
    ("nrk", ["NRK Skole"], 1),
    ("microsoft", ["Microsoft Teams og OneNote for skole"], 1),
    ("google", ["Google Workspace for Education og Classroom"], 1),
    ("kompetanseutvikling språk", ["Språkløyper"], 1),
    ("løsningsforslag algebra", ["Smart Læring"], 1),
]

# Queries that must find the same resources (the order may differ)
SAME_HITS = [
    ("matematikkspill", "matematikk spill"),
    ("barnehagebarn", "barnehage barn"),
    ("ressurs", "ressurser"),
    ("robot", "roboter"),
    ("oppgåver", "oppgaver"),
    ("kjeldekritikk", "kildekritikk"),
    ("Spraakloyper", "Språkløyper"),
    ("kroppsoving", "kroppsøving"),
    ("lese-og skrivestøtte", "lese- og skrivestøtte"),
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
                for q in [c[0] for c in CASES] + [q for pair in SAME_HITS for q in pair]:
                    response = api.get("/api/v1/resources", params={"q": q, "limit": 100}, headers=staff)
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


@pytest.mark.parametrize("one,other", SAME_HITS, ids=[f"{a}={b}" for a, b in SAME_HITS])
def test_spellings_and_compounds_find_the_same_resources(results, one, other):
    for backend in BACKENDS:
        first, second = results[backend][one], results[backend][other]
        assert first["total"] > 0
        assert {i["name"] for i in first["items"]} == {i["name"] for i in second["items"]}, backend


@pytest.mark.parametrize("q", ["geogebra brøk kvantefysikk", "musikk komponering orkester", "kahoot quiz fotball"])
def test_partial_matches_say_so_and_rank_by_the_words_they_match(results, q):
    for backend in BACKENDS:
        page = results[backend][q]
        assert page["notices"] == ["partial"]
        assert page["total"] > 0
    for q in ("ressurs", "brok", "programering", "lese forståelse"):
        assert "partial" not in results["sqlite"][q]["notices"]


def test_the_level_words_and_ranges_are_understood(results):
    for backend in BACKENDS:
        page = results[backend]["matte 5-7"]
        assert page["levels_from_query"] == ["5", "6", "7"] and "levels_from_query" in page["notices"]
        assert page["items"] and all({"5", "6", "7"} & set(item["levels"]) for item in page["items"])
        without = results[backend]["matte"]
        assert page["total"] < without["total"]
        assert "level_not_covered" in results[backend]["matematikk vgs"]["notices"]
        assert results[backend]["vgs"]["total"] == 0


def test_the_test_set_is_large_enough():
    assert len(CASES) >= 120
    assert sum(1 for _, expected, _ in CASES if not expected) >= 3
