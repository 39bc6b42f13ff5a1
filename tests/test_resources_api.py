"""The resource API: create, read, list with filters, partial update with If-Match, archive."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import VALID_ORG_NUMBER, resource_body

PROBLEM = "application/problem+json"


def create(api, headers, **overrides):
    response = api.post("/api/v1/resources", json=resource_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response


def test_create_then_read_returns_every_field_and_an_etag(api):
    editor = api.headers("sector_reviewer")
    created = create(api, editor)
    body = created.json()
    assert created.headers["location"] == f"/api/v1/resources/{body['id']}"
    assert created.headers["etag"] == f'"resource:{body["id"]}:1"'
    assert body["vendor"]["organisation_number"] == VALID_ORG_NUMBER
    assert body["levels"] == ["5", "6", "7"] and body["subjects"] == ["MAT"]
    assert body["privacy"]["dpa_reference"] == "DBA-2025-004"
    assert body["privacy"]["feide_attributes"][0]["attribute"] == "userid-feide"
    assert body["accessibility"]["claimed_conformance"] == "partial"
    assert body["licence_expires"] == "2027-07-31"
    assert body["demo_data"] is False and body["version"] == 1

    staff = api.headers("staff")
    read = api.get(f"/api/v1/resources/{body['id']}", headers=staff)
    assert read.status_code == 200
    assert read.headers["etag"] == created.headers["etag"]
    assert read.json()["name"] == "Brøkbyggeren"


def test_vendor_is_reused_by_organisation_number_and_by_name(api):
    editor = api.headers("admin")
    first = create(api, editor).json()
    second = create(api, editor, name="Brøkbyggeren Pluss",
                    vendor={"name": "TALLVERKSTEDET AS", "organisation_number": VALID_ORG_NUMBER}).json()
    third = create(api, editor, name="Tallinja", vendor={"name": "tallverkstedet as"}).json()
    assert first["vendor"]["id"] == second["vendor"]["id"] == third["vendor"]["id"]
    vendors = api.get("/api/v1/vendors", headers=editor).json()
    assert [v["name"] for v in vendors] == ["Tallverkstedet AS"]


def test_list_filters_by_level_band_subject_and_base_package(api):
    editor = api.headers("sector_reviewer")
    create(api, editor, name="Brøk 5", levels=["5"], subjects=["MAT"])
    create(api, editor, name="Lesetrening 2", levels=["2"], subjects=["NOR"], in_base_package=False)
    create(api, editor, name="Ungdomsmatte", levels=["9"], subjects=["MAT"], platforms=["chromebook"])
    create(api, editor, name="Eventyrskogen", levels=["barnehage"], subjects=[], kindergarten_areas=["KST"],
           logins=["none"])
    staff = api.headers("staff")

    def names(query: str) -> list[str]:
        response = api.get(f"/api/v1/resources?{query}", headers=staff)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == len(page["items"])
        return [item["name"] for item in page["items"]]

    assert names("level=5&subject=MAT") == ["Brøk 5"]
    assert names("subject=MAT") == ["Brøk 5", "Ungdomsmatte"]
    assert names("band=8-10") == ["Ungdomsmatte"]
    assert names("band=1-4&band=5-7") == ["Brøk 5", "Lesetrening 2"]
    assert names("in_base_package=false") == ["Lesetrening 2"]
    assert names("platform=chromebook") == ["Ungdomsmatte"]
    assert names("login=none") == ["Eventyrskogen"]
    assert names("kindergarten_area=KST&level=barnehage") == ["Eventyrskogen"]
    assert names("kind=practice_tool&subject=NOR") == ["Lesetrening 2"]
    assert names("subject=ZZZ") == []


def test_list_is_paginated_and_stably_sorted(api):
    editor = api.headers("admin")
    for name in ["Delta", "alfa", "Charlie", "bravo", "Echo"]:
        create(api, editor, name=name)
    staff = api.headers("staff")
    first = api.get("/api/v1/resources?limit=2&offset=0", headers=staff).json()
    second = api.get("/api/v1/resources?limit=2&offset=2", headers=staff).json()
    third = api.get("/api/v1/resources?limit=2&offset=4", headers=staff).json()
    assert first["total"] == 5
    assert [i["name"] for i in first["items"] + second["items"] + third["items"]] == [
        "alfa", "bravo", "Charlie", "Delta", "Echo"]
    newest = api.get("/api/v1/resources?sort=newest&limit=1", headers=staff).json()
    assert newest["items"][0]["name"] == "Echo"


def test_staff_see_only_published_resources_and_reviewers_see_drafts(api):
    editor = api.headers("sector_reviewer")
    draft = create(api, editor, name="Utkastet", status="draft").json()
    create(api, editor, name="Publisert")
    staff = api.headers("staff")
    assert [i["name"] for i in api.get("/api/v1/resources", headers=staff).json()["items"]] == ["Publisert"]
    assert api.get(f"/api/v1/resources/{draft['id']}", headers=staff).status_code == 404
    assert api.get("/api/v1/resources?status=draft", headers=staff).json()["total"] == 0
    privacy = api.headers("privacy_reviewer")
    assert api.get(f"/api/v1/resources/{draft['id']}", headers=privacy).status_code == 200
    assert api.get("/api/v1/resources?status=draft", headers=privacy).json()["total"] == 1


def test_patch_requires_if_match_and_rejects_stale_versions(api):
    editor = api.headers("sector_reviewer")
    created = create(api, editor)
    resource_id = created.json()["id"]
    url = f"/api/v1/resources/{resource_id}"

    missing = api.patch(url, json={"name": "Nytt navn"}, headers=editor)
    assert missing.status_code == 428
    assert missing.headers["content-type"].startswith(PROBLEM)
    assert missing.json()["errors"][0]["field"] == "If-Match"

    # restrictions are decided with a reason at their own endpoint, never overwritten in passing
    refused = api.patch(url, json={"restrictions": "Kun i timene."}, headers={**editor, "If-Match": created.headers["etag"]})
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["restrictions"]
    ok = api.patch(url, json={"name": "Nytt navn", "levels": ["6"]},
                   headers={**editor, "If-Match": created.headers["etag"]})
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 2 and ok.headers["etag"] == f'"resource:{resource_id}:2"'
    assert ok.json()["levels"] == ["6"] and ok.json()["subjects"] == ["MAT"]

    stale = api.patch(url, json={"name": "Et tredje navn"}, headers={**editor, "If-Match": created.headers["etag"]})
    assert stale.status_code == 412
    assert api.get(url, headers=editor).json()["name"] == "Nytt navn"

    other = api.patch(url, json={"name": "X"}, headers={**editor, "If-Match": '"resource:999:2"'})
    assert other.status_code == 412


def test_patch_replaces_privacy_record_and_checks_it(api):
    editor = api.headers("sector_reviewer")
    created = create(api, editor)
    url = f"/api/v1/resources/{created.json()['id']}"
    record = resource_body()["privacy"] | {"transfers_outside_eea": True, "data_location": "outside_eea"}
    bad = api.patch(url, json={"privacy": record}, headers={**editor, "If-Match": created.headers["etag"]})
    assert bad.status_code == 422
    assert {"field": "privacy.transfer_basis",
            "message": "required when data is transferred outside the EEA"} in bad.json()["errors"]
    record["transfer_basis"] = "scc"
    record["transfer_countries"] = ["US"]
    good = api.patch(url, json={"privacy": record}, headers={**editor, "If-Match": created.headers["etag"]})
    assert good.status_code == 200, good.text
    assert good.json()["privacy"]["transfer_basis"] == "scc"
    assert good.json()["privacy"]["transfer_countries"] == ["US"]


def test_archive_hides_the_resource_but_keeps_it(api):
    editor = api.headers("admin")
    created = create(api, editor)
    resource_id = created.json()["id"]
    archived = api.post(f"/api/v1/resources/{resource_id}/archive", headers={**editor, "If-Match": created.headers["etag"]})
    assert archived.status_code == 200, archived.text
    assert archived.json()["status"] == "archived" and archived.json()["archived_at"]
    staff = api.headers("staff")
    assert api.get(f"/api/v1/resources/{resource_id}", headers=staff).status_code == 404
    assert api.get("/api/v1/resources", headers=editor).json()["total"] == 0
    assert api.get("/api/v1/resources?status=archived", headers=editor).json()["total"] == 1
    again = api.post(f"/api/v1/resources/{resource_id}/archive", headers={**editor, "If-Match": archived.headers["etag"]})
    assert again.status_code == 404
    assert api.post(f"/api/v1/resources/{resource_id}/archive", headers=editor).status_code == 428


BAD_INPUT = [
    ({"surprise": 1}, "surprise"),
    ({"name": 42}, "name"),
    ({"name": ""}, "name"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "data:text/html;base64,PHNjcmlwdD4="}, "url"),
    ({"guidance_url": "javascript:alert(1)"}, "guidance_url"),
    ({"levels": ["11"]}, "levels[0]"),
    ({"subjects": ["MAT", "XYZ"]}, "subjects[1]"),
    ({"units": ["finnes-ikke"]}, "units[0]"),
    ({"annual_cost_nok": -1}, "annual_cost_nok"),
    ({"licence_expires": "2027-13-45"}, "licence_expires"),
    ({"licence_expires": "i morgen"}, "licence_expires"),
    ({"kind": "toy"}, "kind"),
    ({"platforms": ["web", "amiga"]}, "platforms[1]"),
    ({"vendor": {"name": "X", "organisation_number": "123456789"}}, "vendor.organisation_number"),
    ({"vendor": {"name": "X", "nonsense": True}}, "vendor.nonsense"),
    ({"privacy": {"dpa_status": "signed"}}, "privacy.dpa_reference"),
    ({"privacy": {"processes_personal_data": False, "data_categories": ["name"]}}, "privacy.data_categories"),
    ({"kindergarten_areas": ["KST"]}, "kindergarten_areas"),
    ({"status": "approved"}, "status"),
]


@pytest.mark.parametrize("overrides,field", BAD_INPUT, ids=[f for _, f in BAD_INPUT])
def test_bad_input_names_the_field_and_writes_nothing(api, overrides, field):
    editor = api.headers("sector_reviewer")
    response = api.post("/api/v1/resources", json=resource_body(**overrides), headers=editor)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["type"].startswith("urn:laeremiddelkatalogen:problem:")
    assert field in [e["field"] for e in problem["errors"]], problem
    assert api.get("/api/v1/resources?status=draft&status=published", headers=editor).json()["total"] == 0


def test_malformed_json_and_oversized_bodies_are_refused(api):
    editor = api.headers("sector_reviewer")
    broken = api.post("/api/v1/resources", content=b'{"name": ', headers={**editor, "content-type": "application/json"})
    assert broken.status_code == 400 and broken.headers["content-type"].startswith(PROBLEM)
    array = api.post("/api/v1/resources", content=b"[1,2]", headers={**editor, "content-type": "application/json"})
    assert array.status_code in (400, 422)
    huge = resource_body(description="x" * 1_100_000)
    too_large = api.post("/api/v1/resources", json=huge, headers=editor)
    assert too_large.status_code == 413 and too_large.headers["content-type"].startswith(PROBLEM)
    assert api.get("/api/v1/resources?status=draft&status=published", headers=editor).json()["total"] == 0


def test_bad_query_parameters_are_problems_not_errors(api):
    staff = api.headers("staff")
    for query in ["limit=0", "limit=101", "offset=-1", "level=11", "band=2-3", "kind=toy",
                  "in_base_package=kanskje", "sort=random", "subject=%27%3B%20DROP%20TABLE%20resource%3B--",
                  "limit=abc"]:
        response = api.get(f"/api/v1/resources?{query}", headers=staff)
        assert response.status_code in (400, 422), (query, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["errors"], query


def test_authentication_and_roles_are_enforced(api):
    body = resource_body()
    assert api.get("/api/v1/resources").status_code == 401
    assert api.post("/api/v1/resources", json=body).status_code == 401
    bad = api.get("/api/v1/resources", headers={"Authorization": "Bearer not.a.token"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")
    assert api.get("/api/v1/resources", headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401
    for role in ["staff", "ict_mentor", "privacy_reviewer", "dpo", "tech_approver"]:
        response = api.post("/api/v1/resources", json=body, headers=api.headers(role))
        assert response.status_code == 403, role
        assert response.headers["content-type"].startswith(PROBLEM)
    created = create(api, api.headers("admin"))
    url = f"/api/v1/resources/{created.json()['id']}"
    staff = api.headers("staff")
    assert api.patch(url, json={"name": "x"}, headers={**staff, "If-Match": created.headers["etag"]}).status_code == 403
    assert api.post(f"{url}/archive", headers={**staff, "If-Match": created.headers["etag"]}).status_code == 403


def test_token_roles_narrow_but_never_widen_what_the_user_holds(api):
    from catalogue.users import ensure_user, grant_role

    async def make_user() -> int:
        user_id = await ensure_user("local", "ola", "Ola")
        await grant_role(user_id, "staff", "tests")
        return user_id

    user_id = api.run(make_user)
    tokens = api.client.app.state.tokens
    widened = tokens.issue(str(user_id), roles=["staff", "admin"])
    response = api.post("/api/v1/resources", json=resource_body(), headers={"Authorization": f"Bearer {widened}"})
    assert response.status_code == 403


def test_twenty_concurrent_updates_with_one_etag_have_exactly_one_winner(api):
    editor = api.headers("sector_reviewer")
    created = create(api, editor)
    resource_id = created.json()["id"]
    etag = created.headers["etag"]

    async def race() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=api.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*[
                client.patch(f"/api/v1/resources/{resource_id}",
                             json={"name": f"Vinner {i}", "levels": [str(1 + i % 10)]},
                             headers={**editor, "If-Match": etag})
                for i in range(20)
            ])

    responses = api.run(race)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 1 and codes.count(412) == 19, [(r.status_code, r.text[:200]) for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    stored = api.get(f"/api/v1/resources/{resource_id}", headers=editor).json()
    assert stored["version"] == 2
    assert stored["name"] == winner["name"] and stored["levels"] == winner["levels"]


def test_ict_mentors_see_drafts_of_their_own_units_only(api):
    admin = api.headers("admin")
    for code in ("nord-skole", "sor-skole"):
        assert api.post("/api/v1/units", json={"code": code, "name": code, "kind": "skole"}, headers=admin).status_code == 201
    own = create(api, admin, name="Eget utkast", status="draft", units=["nord-skole"]).json()
    other = create(api, admin, name="Annet utkast", status="draft", units=["sor-skole"]).json()
    create(api, admin, name="Publisert")
    mentor = api.headers("ict_mentor", units=("nord-skole",))
    assert api.get(f"/api/v1/resources/{own['id']}", headers=mentor).status_code == 200
    assert api.get(f"/api/v1/resources/{other['id']}", headers=mentor).status_code == 404
    drafts = api.get("/api/v1/resources?status=draft", headers=mentor).json()
    assert [i["name"] for i in drafts["items"]] == ["Eget utkast"]
    assert [i["name"] for i in api.get("/api/v1/resources", headers=mentor).json()["items"]] == ["Publisert"]
    staff = api.headers("staff", units=("nord-skole",))
    assert api.get(f"/api/v1/resources/{own['id']}", headers=staff).status_code == 404
    assert api.get("/api/v1/resources?status=draft", headers=staff).json()["total"] == 0


def test_a_resource_written_back_as_read_names_the_fields_the_service_owns(api):
    """GET, change a field, PATCH it all back: refused naming each field the service sets (the
    document marks them readOnly), nothing changed; without them the same body is saved."""
    editor = api.headers("sector_reviewer")
    created = create(api, editor)
    url = f"/api/v1/resources/{created.json()['id']}"
    read = api.get(url, headers=editor)
    body = {**read.json(), "name": "Endret navn"}
    refused = api.patch(url, json=body, headers={**editor, "If-Match": read.headers["etag"]})
    assert refused.status_code == 422, refused.text
    messages = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert "id" in messages and messages["id"].startswith("read-only")
    assert api.get(url, headers=editor).json()["name"] == read.json()["name"]

    schema = api.get("/schema/openapi.json").json()["components"]["schemas"]
    owned = {name for name, field in schema["ResourceOut"]["properties"].items() if field.get("readOnly")}
    assert {"id", "version", "created_at", "updated_at", "demo_data"} <= owned
    assert schema["VendorOut"]["properties"]["id"]["readOnly"] is True
    assert not any(field.get("readOnly") for field in schema["ResourcePatch"]["properties"].values())

    writable = set(schema["ResourcePatch"]["properties"])
    vendor = {k: v for k, v in body["vendor"].items() if k in schema["VendorRef"]["properties"]}
    saved = api.patch(url, json={**{k: v for k, v in body.items() if k in writable and k != "restrictions"},
                                 "vendor": vendor}, headers={**editor, "If-Match": read.headers["etag"]})
    assert saved.status_code == 200, saved.text
    assert saved.json()["name"] == "Endret navn"
