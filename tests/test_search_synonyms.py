"""The search's synonym list as data the admin edits: the API (admin only, If-Match, problem+json
naming the field), the audit of every change, the admin's pages, and the search using the list
from the next search on, in every worker, with kept answers on. Every test runs on SQLite and on
PostgreSQL."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from catalogue.domain import ALL_ROLES
from catalogue.search.analysis import name_key
from tests.conftest import resource_body
from tests.workers import start_worker
from workflows.tables import AuditEntry

PROBLEM = "application/problem+json"
URL = "/api/v1/search-synonyms"
HTML = {"Accept": "text/html"}


def names(api, headers, q: str) -> list[str]:
    response = api.get("/api/v1/resources", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def add(api, headers, **body) -> httpx.Response:
    return api.post(URL, json=body, headers=headers)


def cache_hits(api, admin) -> float:
    text = api.get("/metrics", headers=admin).text
    found = re.search(r'^catalogue_search_cache_total\{result="hit"\} ([0-9.e+]+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


async def _audit_rows(prefix: str) -> list[dict]:
    rows = await AuditEntry.select(AuditEntry.action, AuditEntry.object_id, AuditEntry.actor, AuditEntry.data)
    return [r for r in rows if r["action"].startswith(prefix)]


# --- the list starts as the data file --------------------------------------------------------


def test_the_list_starts_as_the_data_file_in_alphabetical_order(api):
    admin = api.headers("admin")
    page = api.get(URL, params={"limit": 500}, headers=admin).json()
    rows = {(s["kind"], s["word"]): s["means"] for s in page["items"]}
    assert rows[("word", "udir")] == "utdanningsdirektoratet"
    assert rows[("word", "krle")] == "kristendom religion livssyn"
    assert rows[("nynorsk", "kjelde")] == "kilde"
    assert page["total"] == len(page["items"]) > 50
    words = [s["word"] for s in page["items"]]
    assert words == sorted(words, key=name_key)  # Norwegian order: æ, ø, å after z, the same on both engines
    assert [s["word"] for s in api.get(URL, params={"q": "udir"}, headers=admin).json()["items"]] == \
        ["udir", "utdanningsdirektoratet"]
    assert {s["kind"] for s in api.get(URL, params={"kind": "nynorsk", "limit": 500},
                                       headers=admin).json()["items"]} == {"nynorsk"}
    assert api.get(URL, params={"kind": "slang"}, headers=admin).status_code == 400


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(ALL_ROLES - {"admin"}))
def test_only_the_admin_reads_and_changes_the_list(api, role):
    admin = api.headers("admin")
    existing = api.get(URL, headers=admin).json()["items"][0]
    other = api.headers(role)
    one = f"{URL}/{existing['id']}"
    for method, url, body in [("GET", URL, None), ("POST", URL, {"word": "abc", "means": "def"}),
                              ("GET", one, None), ("PATCH", one, {"means": "noe"}), ("DELETE", one, None)]:
        refused = api.request(method, url, json=body, headers={**other, "If-Match": '"search_synonym:1:1"'})
        assert refused.status_code == 403, (method, url, refused.text)
        assert refused.headers["content-type"].startswith(PROBLEM)
        anonymous = api.request(method, url, json=body)
        assert anonymous.status_code == 401, (method, url)
    assert api.get(one, headers=admin).json() == existing  # nothing changed


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    ({"word": "", "means": "matematikk"}, "word"),
    ({"word": "   ", "means": "matematikk"}, "word"),
    ({"word": "to ord", "means": "matematikk"}, "word"),
    ({"word": "mat.te", "means": "matematikk"}, "word"),
    ({"word": "x" * 61, "means": "matematikk"}, "word"),
    ({"word": "abcd", "means": ""}, "means"),
    ({"word": "abcd", "means": "a, b"}, "means"),
    ({"word": "abcd", "means": "a " * 101}, "means"),
    ({"word": "abcd", "means": " ".join(f"ord{i}" for i in range(11))}, "means"),
    ({"word": "abcd", "means": "abcd"}, "means"),
    ({"word": "bokm", "means": "to ord", "kind": "nynorsk"}, "means"),
    ({"word": "abcd", "means": "efgh", "kind": "slang"}, "kind"),
    ({"word": "abcd"}, "means"),
])
def test_bad_input_is_refused_naming_the_field(api, body, field):
    admin = api.headers("admin")
    before = api.get(URL, headers=admin).json()["total"]
    response = add(api, admin, **body)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert field in {e["field"].removeprefix("$.") for e in response.json()["errors"]}, response.json()
    assert api.get(URL, headers=admin).json()["total"] == before


def test_a_word_has_one_synonym_of_a_kind_and_edits_need_the_current_etag(api):
    admin = api.headers("admin")
    duplicate = add(api, admin, word="Udir", means="direktorat")  # normalised: the same word as udir
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "word"
    assert add(api, admin, word="udir", means="direktorat", kind="both").status_code == 409
    assert add(api, admin, word="udir", means="ud", kind="nynorsk").status_code == 201  # another kind

    created = add(api, admin, word="Naturfagleik", means="naturfaglek", kind="nynorsk")
    assert created.status_code == 201, created.text
    body, tag = created.json(), created.headers["etag"]
    assert body["word"] == "naturfagleik" and body["version"] == 1
    one = f"{URL}/{body['id']}"
    assert api.get(one, headers=admin).headers["etag"] == tag
    assert api.patch(one, json={"means": "naturfaglek"}, headers=admin).status_code == 428
    renamed = api.patch(one, json={"word": "kjelde"}, headers={**admin, "If-Match": tag})
    assert renamed.status_code == 409 and renamed.json()["errors"][0]["field"] == "word"
    changed = api.patch(one, json={"means": "naturfagslek"}, headers={**admin, "If-Match": tag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    stale = api.patch(one, json={"means": "lek"}, headers={**admin, "If-Match": tag})
    assert stale.status_code == 412 and stale.json()["errors"][0]["field"] == "If-Match"
    assert api.delete(one, headers={**admin, "If-Match": tag}).status_code == 412
    assert api.patch(one, json={}, headers={**admin, "If-Match": changed.headers["etag"]}).status_code == 422
    assert api.delete(one, headers=admin).status_code == 428
    assert api.delete(one, headers={**admin, "If-Match": changed.headers["etag"]}).status_code == 204
    assert api.get(one, headers=admin).status_code == 404
    assert api.patch(one, json={"means": "x"}, headers={**admin, "If-Match": changed.headers["etag"]}).status_code == 404

    actions = [(r["action"], r["object_id"]) for r in api.run(_audit_rows, "search_synonym.")]
    assert [a for a, i in actions if i == str(body["id"])] == [
        "search_synonym.create", "search_synonym.update", "search_synonym.delete"]
    assert all(r["actor"] for r in api.run(_audit_rows, "search_synonym."))


# --- the search uses the list ------------------------------------------------------------------


def test_a_new_synonym_finds_on_the_next_search_and_deleting_it_stops_that(api):
    admin = api.headers("admin")
    editor = api.headers("sector_reviewer")
    staff = api.headers("staff")
    created = api.post("/api/v1/resources", json=resource_body(
        name="Stjernekart", description="Planeter og stjernebilder for mellomtrinnet."), headers=editor)
    assert created.status_code == 201, created.text
    assert names(api, staff, "romforskning") == []
    hits = cache_hits(api, admin)
    assert names(api, staff, "romforskning") == []  # kept: answered without asking the index
    assert cache_hits(api, admin) == hits + 1

    synonym = add(api, admin, word="Romforskning", means="stjernebilder planeter")
    assert synonym.status_code == 201, synonym.text
    assert names(api, staff, "romforskning") == ["Stjernekart"]
    assert names(api, staff, "romforskning") == ["Stjernekart"]

    one = f"{URL}/{synonym.json()['id']}"
    changed = api.patch(one, json={"means": "galakser"}, headers={**admin, "If-Match": synonym.headers["etag"]})
    assert changed.status_code == 200
    assert names(api, staff, "romforskning") == []
    changed = api.patch(one, json={"means": "planeter"}, headers={**admin, "If-Match": changed.headers["etag"]})
    assert names(api, staff, "romforskning") == ["Stjernekart"]

    assert api.delete(one, headers={**admin, "If-Match": changed.headers["etag"]}).status_code == 204
    assert names(api, staff, "romforskning") == []
    assert names(api, staff, "planeter") == ["Stjernekart"]  # the resource itself is still found


def test_a_nynorsk_beginning_added_by_the_admin_is_used(api):
    admin = api.headers("admin")
    editor = api.headers("sector_reviewer")
    staff = api.headers("staff")
    assert api.post("/api/v1/resources", json=resource_body(
        name="Vevstua", description="Veving og strikking for småtrinnet."), headers=editor).status_code == 201
    assert names(api, staff, "vovinga") == []
    assert add(api, admin, word="vov", means="vev", kind="nynorsk").status_code == 201
    assert names(api, staff, "vovinga") == ["Vevstua"]


def test_a_change_through_one_worker_is_used_by_the_next_search_on_the_other(api, settings):
    workers = [start_worker(settings, "a"), start_worker(settings, "b")]
    try:
        first, second = workers
        editor, staff, admin = api.headers("sector_reviewer"), api.headers("staff"), api.headers("admin")
        with httpx.Client(timeout=30) as client:
            def search(worker) -> list[str]:
                response = client.get(f"{worker.url}/api/v1/resources", params={"q": "havforskning"}, headers=staff)
                assert response.status_code == 200, response.text
                return [item["name"] for item in response.json()["items"]]

            made = client.post(f"{first.url}/api/v1/resources", headers=editor, json=resource_body(
                name="Fjæra", description="Tang, tare og krabber i strandsonen."))
            assert made.status_code == 201, made.text
            assert search(first) == [] and search(second) == []  # both have kept the empty answer
            synonym = client.post(f"{first.url}{URL}", headers=admin, json={"word": "havforskning", "means": "tare"})
            assert synonym.status_code == 201, synonym.text
            assert search(second) == ["Fjæra"] and search(first) == ["Fjæra"]
            gone = client.delete(f"{second.url}{URL}/{synonym.json()['id']}",
                                 headers={**admin, "If-Match": synonym.headers["etag"]})
            assert gone.status_code == 204
            assert search(first) == [] and search(second) == []
    finally:
        for worker in workers:
            worker.stop()


# --- the admin's page ----------------------------------------------------------------------


def _csrf(page: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)


def test_the_admin_adds_changes_and_deletes_a_synonym_on_the_page(api):
    token = api.login_page("admin", user="Anne Admin")
    listing = api.get("/admin/sokeord", headers=HTML)
    assert listing.status_code == 200
    assert "<h1>Søkeord</h1>" in listing.text and 'href="/admin/sokeord" aria-current="page"' in listing.text
    assert "utdanningsdirektoratet" in listing.text

    wrong = api.post("/admin/sokeord", data={"_csrf_token": token, "kind": "word", "word": "to ord", "means": ""},
                     headers=HTML)
    assert wrong.status_code == 422
    text = unescape(wrong.text)
    assert "Skjemaet må rettes" in text
    assert "Skriv ett ord, uten mellomrom" in text and "Skriv hva ordet betyr i søket." in text
    assert 'aria-invalid="true"' in wrong.text and 'value="to ord"' in wrong.text

    added = api.post("/admin/sokeord", data={"_csrf_token": token, "kind": "word", "word": "Tavle",
                                             "means": "whiteboard"}, headers=HTML, follow_redirects=False)
    assert added.status_code == 303, added.text
    shown = api.get(added.headers["location"], headers=HTML)
    assert "Søkeordet «tavle» er lagt til" in unescape(shown.text)
    synonym_id = int(re.search(r'href="/admin/sokeord/(\d+)">Endre<span class="visually-hidden"> «tavle»',
                               unescape(shown.text)).group(1))
    duplicate = api.post("/admin/sokeord", data={"_csrf_token": token, "kind": "word", "word": "tavle",
                                                 "means": "smartboard"}, headers=HTML)
    assert duplicate.status_code == 422 and "Ordet har allerede et søkeord" in unescape(duplicate.text)

    form = api.get(f"/admin/sokeord/{synonym_id}", headers=HTML)
    assert form.status_code == 200 and 'name="version" value="1"' in form.text
    saved = api.post(f"/admin/sokeord/{synonym_id}", data={"_csrf_token": token, "kind": "both", "word": "tavle",
                                                           "means": "whiteboard smartboard", "version": "1"},
                     headers=HTML, follow_redirects=False)
    assert saved.status_code == 303
    stale = api.post(f"/admin/sokeord/{synonym_id}", data={"_csrf_token": token, "kind": "word", "word": "tavle",
                                                           "means": "krittavle", "version": "1"}, headers=HTML)
    assert stale.status_code == 409 and "endret av noen andre" in stale.text
    assert "Slik er søkeordet lagret nå" in unescape(stale.text)

    confirm = api.get(f"/admin/sokeord/{synonym_id}/slett", headers=HTML)
    assert confirm.status_code == 200 and "Ja, slett søkeordet" in confirm.text
    assert 'name="version" value="2"' in confirm.text
    assert api.post(f"/admin/sokeord/{synonym_id}/slett", data={"version": "2"}, headers=HTML).status_code == 403
    deleted = api.post(f"/admin/sokeord/{synonym_id}/slett", data={"_csrf_token": token, "version": "2"},
                       headers=HTML, follow_redirects=False)
    assert deleted.status_code == 303
    assert "Søkeordet er slettet" in unescape(api.get(deleted.headers["location"], headers=HTML).text)
    assert api.get(f"/admin/sokeord/{synonym_id}", headers=HTML).status_code == 404

    actions = [r["action"] for r in api.run(_audit_rows, "search_synonym.")]
    assert actions == ["search_synonym.create", "search_synonym.update", "search_synonym.delete"]
    assert {r["actor"] for r in api.run(_audit_rows, "search_synonym.")} == {"Anne Admin"}


def test_the_page_is_for_the_admin_only(api):
    assert api.get("/admin/sokeord", headers=HTML, follow_redirects=False).status_code in (302, 303, 401)
    api.login_page("staff")
    assert api.get("/admin/sokeord", headers=HTML).status_code == 403
