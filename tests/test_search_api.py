"""The catalogue list as search: free text with filters, facets, sorting, pages, visibility, the
index kept in step with writes, and bad input. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import argparse

import pytest

from tests.conftest import resource_body

PROBLEM = "application/problem+json"


def create(api, headers, **overrides) -> dict:
    response = api.post("/api/v1/resources", json=resource_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json() | {"etag": response.headers["etag"]}


def search(api, headers, **params) -> dict:
    response = api.get("/api/v1/resources", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def names(page: dict) -> list[str]:
    return [item["name"] for item in page["items"]]


def facet(page: dict, name: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in page["facets"][name]}


def test_empty_query_lists_everything_visible_with_facets_and_restrictions(api):
    editor = api.headers("sector_reviewer")
    create(api, editor, name="Alfa", restrictions="Kun med klassekonto.")
    create(api, editor, name="Beta")
    create(api, editor, name="Utkast", status="draft")
    staff = api.headers("staff")
    for params in ({}, {"q": ""}, {"q": "   "}, {"q": "og på i"}):
        page = search(api, staff, **params)
        assert names(page) == ["Alfa", "Beta"] and page["total"] == 2, params
    page = search(api, staff)
    assert set(page) == {"items", "total", "limit", "offset", "facets", "notices", "levels_from_query"}
    assert set(page["facets"]) == {"level", "band", "subject", "kindergarten_area", "kind", "platform", "login",
                                   "language", "status", "in_base_package", "unit"}
    assert page["items"][0]["restrictions"] == "Kun med klassekonto."
    assert page["items"][1]["restrictions"] is None
    assert facet(page, "status") == {"published": 2}
    assert search(api, staff, facets="false")["facets"] == {}


def test_facet_counts_leave_out_only_their_own_filter(api):
    editor = api.headers("admin")
    create(api, editor, name="Brøk 5", levels=["5"], subjects=["MAT"], platforms=["ipad"])
    create(api, editor, name="Brøk 6", levels=["6", "7"], subjects=["MAT"], platforms=["web"])
    create(api, editor, name="Lesing 2", levels=["2"], subjects=["NOR"], platforms=["ipad"],
           description="Lesetrening med lydstøtte.")
    create(api, editor, name="Algebra 9", levels=["9"], subjects=["MAT"], platforms=["chromebook"],
           in_base_package=False, description="Likninger og funksjoner.")
    staff = api.headers("staff")

    page = search(api, staff, subject="MAT", platform="ipad")
    assert names(page) == ["Brøk 5"]
    # subject counts ignore the subject filter but keep the platform filter, and the other way round
    assert facet(page, "subject") == {"MAT": 1, "NOR": 1}
    assert facet(page, "platform") == {"ipad": 1, "web": 1, "chromebook": 1}
    assert facet(page, "level") == {"5": 1}
    assert [v["value"] for v in page["facets"]["level"]] == ["5"]

    page = search(api, staff, band="5-7")
    assert facet(page, "band") == {"1-4": 1, "5-7": 2, "8-10": 1}  # resources, not levels
    assert [v["value"] for v in page["facets"]["band"]] == ["1-4", "5-7", "8-10"]
    assert facet(page, "level") == {"2": 1, "5": 1, "6": 1, "7": 1, "9": 1}
    assert facet(page, "in_base_package") == {"true": 2}

    page = search(api, staff, q="brøk", level="9")
    assert page["total"] == 0 and names(page) == []
    assert facet(page, "level") == {"5": 1, "6": 1, "7": 1, "9": 0}  # the chosen value is still listed
    assert search(api, staff, q="lydstøtte", platform="ipad")["total"] == 1


def test_name_matches_rank_first_and_sort_can_be_chosen(api):
    editor = api.headers("sector_reviewer")
    create(api, editor, name="Algebraverkstedet", description="Oppgaver med brøk og likninger.")
    create(api, editor, name="Brøkstaven", description="Et verktøy for tallforståelse.")
    create(api, editor, name="Zebrabrøk", description="For de minste.")
    create(api, editor, name="Tallinja", description="Tallforståelse.", tags=["brøk"])
    create(api, editor, name="Mer om brøk", description="Tallforståelse.")
    staff = api.headers("staff")
    # the word itself in the name, then the name's compounds, then tags, then the description
    assert names(search(api, staff, q="brøk")) == [
        "Mer om brøk", "Brøkstaven", "Zebrabrøk", "Tallinja", "Algebraverkstedet"]
    assert names(search(api, staff, q="brøk", sort="name")) == [
        "Algebraverkstedet", "Brøkstaven", "Mer om brøk", "Tallinja", "Zebrabrøk"]
    assert names(search(api, staff, q="brøk", sort="newest"))[0] == "Mer om brøk"
    assert names(search(api, staff, sort="relevance"))[0] == "Algebraverkstedet"  # no words: by name


def test_pages_of_a_search_are_stable_and_cover_every_hit(api):
    editor = api.headers("admin")
    for name in ["Øvelse", "Ærlig", "ålesund", "Zulu", "eple", "Delta", "charlie"]:
        create(api, editor, name=name, description="Felles beskrivelse om geometri.")
    staff = api.headers("staff")
    seen = []
    for offset in range(0, 8, 3):
        page = search(api, staff, q="geometri", limit=3, offset=offset)
        assert page["total"] == 7
        seen += names(page)
    assert seen == ["charlie", "Delta", "eple", "Zulu", "Ærlig", "Øvelse", "ålesund"]  # Norwegian order
    assert names(search(api, staff, limit=10)) == seen


def test_the_index_follows_create_patch_and_archive(api):
    editor = api.headers("sector_reviewer")
    staff = api.headers("staff")
    created = create(api, editor, name="Gamlebyen", subjects=["SAF"], description="Lokalhistorie.")
    assert names(search(api, staff, q="gamlebyen")) == ["Gamlebyen"]
    url = f"/api/v1/resources/{created['id']}"
    patched = api.patch(url, json={"name": "Nybyen", "tags": ["kulturarv"]},
                        headers={**editor, "If-Match": created["etag"]})
    assert patched.status_code == 200, patched.text
    assert search(api, staff, q="gamlebyen")["total"] == 0
    assert names(search(api, staff, q="nybyen kulturarv")) == ["Nybyen"]
    stale = api.patch(url, json={"name": "Tredjebyen"}, headers={**editor, "If-Match": created["etag"]})
    assert stale.status_code == 412
    assert search(api, staff, q="tredjebyen")["total"] == 0
    archived = api.post(f"{url}/archive", headers={**editor, "If-Match": patched.headers["etag"]})
    assert archived.status_code == 200
    assert search(api, staff, q="nybyen")["total"] == 0
    assert search(api, editor, q="nybyen")["total"] == 0
    assert names(search(api, editor, q="nybyen", status="archived")) == ["Nybyen"]


def test_the_index_commits_and_rolls_back_with_the_change(api):
    from catalogue.db import write_transaction
    from catalogue.search import index_resource
    from catalogue.tables import Resource

    editor = api.headers("sector_reviewer")
    staff = api.headers("staff")
    resource_id = create(api, editor, name="Fjellvettreglene")["id"]

    async def rename_then_fail() -> None:
        async with write_transaction():
            await Resource.update({Resource.name: "Kystvettreglene"}).where(Resource.id == resource_id)
            await index_resource(resource_id)
            raise RuntimeError("the change fails after it was indexed")

    with pytest.raises(RuntimeError):
        api.run(rename_then_fail)
    assert search(api, staff, q="kystvettreglene")["total"] == 0
    assert names(search(api, staff, q="fjellvettreglene")) == ["Fjellvettreglene"]

    async def rename() -> None:  # as the workflow does: change, then index, in one transaction
        async with write_transaction():
            await Resource.update({Resource.name: "Kystvettreglene"}).where(Resource.id == resource_id)
            await index_resource(resource_id)

    api.run(rename)
    assert names(search(api, staff, q="kystvettreglene")) == ["Kystvettreglene"]
    api.run(index_resource, 999_999)  # a resource that does not exist: nothing to index, no error


def test_visibility_of_search_hits_follows_the_catalogue_rules(api):
    admin = api.headers("admin")
    assert api.post("/api/v1/units", json={"code": "nord-skole", "name": "Nord skole", "kind": "skole"},
                    headers=admin).status_code == 201
    create(api, admin, name="Planetene", description="Solsystemet.")
    created = create(api, admin, name="Planetarium", status="draft", units=["nord-skole"], description="Solsystemet.",
                     restrictions="Kun pilot.")
    api.patch(f"/api/v1/resources/{created['id']}", json={"status": "in_review"},
              headers={**admin, "If-Match": created["etag"]})
    staff = api.headers("staff")
    assert names(search(api, staff, q="solsystemet")) == ["Planetene"]
    assert names(search(api, staff, q="solsystemet", status="in_review")) == []
    reviewer = api.headers("sector_reviewer")
    assert names(search(api, reviewer, q="solsystemet")) == ["Planetarium", "Planetene"]
    hit = search(api, reviewer, q="solsystemet", status="in_review")
    assert names(hit) == ["Planetarium"] and hit["items"][0]["restrictions"] == "Kun pilot."
    assert facet(hit, "status") == {"in_review": 1, "published": 1}
    mentor = api.headers("ict_mentor", units=("nord-skole",))
    assert names(search(api, mentor, q="planet", status="in_review")) == ["Planetarium"]
    other_mentor = api.headers("ict_mentor")
    assert names(search(api, other_mentor, q="planet", status="in_review")) == []
    assert facet(search(api, staff, q="planet"), "status") == {"published": 1}


BAD_QUERIES = ['"', "*", "NEAR", "NEAR(brøk tall)", "brøk:tall", "a & b", "a | b", "!brøk", "(brøk)", ")(",
               "' OR 1=1 --", "'; DROP TABLE resource; --", "\\", "%", "_", "brøk*", "{name}: brøk", "😀",
               "x" * 1000, "brøk " * 200, "ÆØÅ" * 333, "AND", "OR NOT"]


@pytest.mark.parametrize("q", BAD_QUERIES, ids=range(len(BAD_QUERIES)))
def test_hostile_queries_give_results_not_errors(api, q):
    editor = api.headers("sector_reviewer")
    create(api, editor)
    response = api.get("/api/v1/resources", params={"q": q}, headers=editor)
    assert response.status_code == 200, response.text
    assert response.json()["total"] in (0, 1)


def test_too_long_queries_and_unknown_filters_are_problems(api):
    staff = api.headers("staff")
    too_long = api.get("/api/v1/resources", params={"q": "x" * 1001}, headers=staff)
    assert too_long.status_code == 400 and too_long.headers["content-type"].startswith(PROBLEM)
    nul = api.get("/api/v1/resources", params={"q": "\u0000brøk"}, headers=staff)  # no text may hold NUL
    assert nul.status_code == 400 and nul.json()["errors"][0]["field"] == "q"
    for params in ({"level": "99"}, {"band": "2-3"}, {"kind": "toy", "q": "brøk"}, {"unit": "æøå!"},
                   {"sort": "best"}, {"status": "deleted", "q": "x"}, {"facets": "kanskje"}):
        response = api.get("/api/v1/resources", params=params, headers=staff)
        assert response.status_code in (400, 422), (params, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
    unknown = api.get("/api/v1/resources", params={"subject": "ZZZ", "q": "brøk", "wat": "1"}, headers=staff)
    assert unknown.status_code == 200 and unknown.json()["total"] == 0


def test_reindex_command_rebuilds_the_index(api, settings, monkeypatch, capsys):
    from catalogue import db
    from catalogue.search.cli import add_commands
    from catalogue.tables import Resource

    editor = api.headers("sector_reviewer")
    create(api, editor, name="Bølgeskolen", description="Havet og bølgene.")
    staff = api.headers("staff")

    async def wipe() -> None:
        sqlite = settings.database_url.startswith("sqlite")
        await Resource.raw("DELETE FROM resource_fts" if sqlite else "DELETE FROM resource_search")

    api.run(wipe)
    assert search(api, staff, q="bølgeskolen")["total"] == 0
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VAR_DIR", str(settings.var_dir))
    parser = argparse.ArgumentParser(prog="catalogue")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["search", "reindex"])
    app_engine = Resource._meta.db
    try:
        assert args.func(args) == 0
    finally:
        db.bind_tables(app_engine)  # the command bound the tables to an engine of its own
    assert "Indexed 1 resource(s)" in capsys.readouterr().out
    assert names(search(api, staff, q="bølgeskolen")) == ["Bølgeskolen"]


def test_each_worker_brings_its_facet_bitmaps_up_to_date_from_the_database(database_url):
    """Two engines on one database stand for two workers: what one writes, the other's cached
    bitmaps pick up from the change counter (incrementally), never from its own memory."""
    import asyncio

    from catalogue import db
    from catalogue.visibility import ResourceFilters
    from catalogue.search import facets, index_resource
    from catalogue.search.bulk import import_resources
    from catalogue.search.listing import SearchQuery, search_resources
    from catalogue.security.access import Principal
    from catalogue.tables import Resource

    staff = Principal(user_id=1, name="kari", roles=frozenset({"staff"}))
    editor = Principal(user_id=None, name="importøren")
    nothing = ResourceFilters(levels=[], bands=[], subjects=[], kindergarten_areas=[], kinds=[], platforms=[],
                              logins=[], languages=[], statuses=[], units=[], in_base_package=None)

    async def listed() -> tuple[list[str], dict]:
        page = await search_resources(SearchQuery(q=None, filters=nothing, limit=10, offset=0), staff)
        return [i.name for i in page.items], {v.value: v.count for v in page.facets["level"]}

    async def scenario() -> None:
        first, second = db.engine_from_url(database_url), db.engine_from_url(database_url)
        await db.start(first, 2)
        await db.start(second, 2)
        try:
            db.bind_tables(first)
            ids = await import_resources([resource_body(name="Første", levels=["5"])], editor)
            db.bind_tables(second)
            assert await listed() == (["Første"], {"5": 1})
            built = facets._cached(second)

            db.bind_tables(first)
            await import_resources([resource_body(name="Andre", levels=["6"])], editor)
            async with db.write_transaction():
                await Resource.update({Resource.status: "draft"}).where(Resource.id == ids[0])
                await index_resource(ids[0])
            db.bind_tables(second)
            assert await listed() == (["Andre"], {"6": 1})
            assert facets._cached(second) is not built and facets._cached(second).generation > built.generation
        finally:
            await db.stop(first)
            await db.stop(second)

    asyncio.run(scenario())


def test_a_repeated_search_answers_each_caller_with_what_they_may_see_and_follows_every_change(api):
    admin = api.headers("admin")
    for code in ("sor-skole", "vest-skole"):
        assert api.post("/api/v1/units", json={"code": code, "name": code, "kind": "skole"},
                        headers=admin).status_code == 201
    published = create(api, admin, name="Værstasjonen", restrictions="Kun 7. trinn.")
    create(api, admin, name="Værmeldingen", status="draft", units=["sor-skole"])
    south = api.headers("ict_mentor", units=("sor-skole",))
    west = api.headers("ict_mentor", units=("vest-skole",))
    staff = api.headers("staff")
    drafts_too = {"q": "vær", "status": ["draft", "published"]}
    for _ in range(2):  # the same query, in turns, within one state of the catalogue
        assert names(search(api, south, **drafts_too)) == ["Værmeldingen", "Værstasjonen"]
        assert names(search(api, west, **drafts_too)) == ["Værstasjonen"]
        assert names(search(api, staff, **drafts_too)) == ["Værstasjonen"]
    # a change that does not touch what is searched still shows in the next identical search
    restriction = api.get(f"/api/v1/resources/{published['id']}/restrictions", headers=admin).json()[0]
    changed = api.put(f"/api/v1/resources/{published['id']}/restrictions/{restriction['id']}",
                      json={"text": "Kun 6. og 7. trinn.", "reason": "Innholdet passer for mellomtrinnet."},
                      headers=admin)
    assert changed.status_code == 200, changed.text
    version = api.get(f"/api/v1/resources/{published['id']}", headers=admin).json()["version"]
    item = search(api, staff, q="vær")["items"][0]
    assert item["restrictions"] == "Kun 6. og 7. trinn." and item["version"] == version


def test_words_searched_before_a_change_find_what_the_change_added_or_removed(api):
    editor = api.headers("sector_reviewer")
    staff = api.headers("staff")
    first = create(api, editor, name="Fjordliv", description="Tang og tare i fjorden.")
    assert names(search(api, staff, q="fjordliv")) == ["Fjordliv"]
    assert names(search(api, staff, q="tare")) == ["Fjordliv"]
    create(api, editor, name="Strandsonen", description="Tang og tare langs kysten.")
    create(api, editor, name="Fjordlivets planter", description="Livet over tregrensa.")
    assert names(search(api, staff, q="tare", sort="name")) == ["Fjordliv", "Strandsonen"]
    assert names(search(api, staff, q="fjordliv", sort="name")) == ["Fjordliv", "Fjordlivets planter"]
    patched = api.patch(f"/api/v1/resources/{first['id']}", json={"description": "Livet i havet."},
                        headers={**editor, "If-Match": first["etag"]})
    assert patched.status_code == 200
    assert names(search(api, staff, q="tare")) == ["Strandsonen"]
    assert names(search(api, staff, q="havet")) == ["Fjordliv"]


def test_rows_and_typo_words_shown_before_a_change_are_not_shown_after_it(api):
    """A page's rows and the vocabulary behind typo matches are kept per state of the catalogue:
    what a change alters shows in the next search, and what it leaves alone stays right."""
    editor = api.headers("sector_reviewer")
    staff = api.headers("staff")
    first = create(api, editor, name="Havbunnen", url="https://havbunnen.example/")
    create(api, editor, name="Isbreen", url="https://isbreen.example/")
    assert search(api, staff, q="kahot")["total"] == 0  # no name one typo away yet
    before = {item["name"]: item for item in search(api, staff)["items"]}
    assert before["Havbunnen"]["url"] == "https://havbunnen.example/"
    patched = api.patch(f"/api/v1/resources/{first['id']}",
                        json={"name": "Havflaten", "url": "https://havflaten.example/", "platforms": ["ipad"]},
                        headers={**editor, "If-Match": first["etag"]})
    assert patched.status_code == 200, patched.text
    after = {item["name"]: item for item in search(api, staff)["items"]}
    assert set(after) == {"Havflaten", "Isbreen"}
    assert after["Havflaten"]["url"] == "https://havflaten.example/"
    assert after["Havflaten"]["platforms"] == ["ipad"] and after["Havflaten"]["version"] == patched.json()["version"]
    assert after["Isbreen"] == before["Isbreen"]
    create(api, editor, name="Kahoot")
    assert names(search(api, staff, q="kahot")) == ["Kahoot"]
