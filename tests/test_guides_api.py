"""Getting started over the API: the sector office's guide (ETag/If-Match, validated links, safe
Markdown), the ICT mentors' notes for their own units, who may read and write what, the audit of
every change, and a unit's competence overview."""

from __future__ import annotations

import json

import pytest

from tests.conftest import resource_body
from workflows.tables import AuditEntry

PROBLEM = "urn:laeremiddelkatalogen:problem:"
GUIDE = {"access": "Lærerne får lisens gjennom **Feide**.", "login": "Logg inn med Feide.",
         "first_lesson": "- Lag en klasse\n- Del koden med elevene",
         "links": [{"title": "Leverandørens veiledning", "url": "https://hjelp.example.no/start"}]}


@pytest.fixture
def setup(api):
    admin = api.headers("admin")
    for code, name in (("nord-skole", "Nordskolen"), ("sor-skole", "Sørskolen")):
        api.post("/api/v1/units", json={"code": code, "name": name, "kind": "skole"}, headers=admin)
    resource = api.post("/api/v1/resources", json=resource_body(), headers=admin).json()
    return {"admin": admin, "resource": resource["id"], "guide": f"/api/v1/resources/{resource['id']}/guide",
            "notes": f"/api/v1/resources/{resource['id']}/unit-notes"}


async def _audit(resource_id: int) -> list[tuple[str, dict]]:
    rows = await AuditEntry.select(AuditEntry.action, AuditEntry.data).where(
        (AuditEntry.object_type == "resource") & (AuditEntry.object_id == str(resource_id))
        & (AuditEntry.action.like("guide.%") | AuditEntry.action.like("unit_note.%"))).order_by(AuditEntry.id)
    return [(r["action"], json.loads(r["data"])) for r in rows]


def test_the_sector_office_writes_the_guide_and_changes_it_with_if_match(api, setup):
    siri = api.headers("sector_reviewer", user="Siri Sektor")
    staff = api.headers("staff")
    assert api.get(setup["guide"], headers=staff).status_code == 404  # none yet
    created = api.put(setup["guide"], json=GUIDE, headers=siri)
    assert created.status_code == 201, created.text
    guide = created.json()
    assert "<strong>Feide</strong>" in guide["access_html"] and "<li>Lag en klasse</li>" in guide["first_lesson_html"]
    assert guide["links"] == GUIDE["links"] and guide["updated_by"] == "Siri Sektor" and guide["version"] == 1
    etag = created.headers["ETag"]

    read = api.get(setup["guide"], headers=staff)
    assert read.status_code == 200 and read.headers["ETag"] == etag and read.json()["login"] == "Logg inn med Feide."
    again = api.put(setup["guide"], json=GUIDE, headers=siri)  # it exists now: read it first
    assert again.status_code == 428 and again.json()["errors"][0]["field"] == "If-Match"
    changed = api.put(setup["guide"], json={**GUIDE, "login": "Logg inn med Feide eller Google."},
                      headers={**siri, "If-Match": etag})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = api.put(setup["guide"], json=GUIDE, headers={**siri, "If-Match": etag})
    assert stale.status_code == 412
    assert api.get(setup["guide"], headers=staff).json()["login"] == "Logg inn med Feide eller Google."
    assert api.run(_audit, setup["resource"]) == [("guide.create", {"fields": ["access", "first_lesson", "links", "login"]}),
                                                   ("guide.update", {"fields": ["login"]})]


@pytest.mark.parametrize("role", ["staff", "ict_mentor", "privacy_reviewer", "dpo", "tech_approver"])
def test_only_the_sector_office_and_admin_write_the_guide(api, setup, role):
    refused = api.put(setup["guide"], json=GUIDE, headers=api.headers(role, units=("nord-skole",)))
    assert refused.status_code == 403 and refused.json()["type"] == PROBLEM + "role-not-allowed"
    assert api.put(setup["guide"], json=GUIDE, headers=setup["admin"]).status_code == 201


def test_the_guide_and_notes_are_for_signed_in_people_only(api, setup):
    api.put(setup["guide"], json=GUIDE, headers=setup["admin"])
    assert api.get(setup["guide"]).status_code == 401
    assert api.put(setup["guide"], json=GUIDE).status_code == 401
    assert api.get(setup["notes"]).status_code == 401
    assert api.get(setup["notes"] + "/nord-skole").status_code == 401
    assert api.put(setup["notes"] + "/nord-skole", json={"body": "x"}).status_code == 401
    assert api.delete(setup["notes"] + "/nord-skole").status_code == 401
    assert api.get("/api/v1/units/nord-skole/competence").status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"links": [{"title": "Farlig", "url": "javascript:alert(1)"}]}, "links[0].url"),
    ({"links": [{"title": "Fil", "url": "file:///etc/passwd"}]}, "links[0].url"),
    ({"links": [{"title": "Uten vert", "url": "https://"}]}, "links[0].url"),
    ({"links": [{"title": "Med passord", "url": "https://a:b@example.no/"}]}, "links[0].url"),
    ({"links": [{"title": "Mellomrom", "url": "https://example.no/a b"}]}, "links[0].url"),
    ({"links": [{"title": "Ok", "url": "https://example.no"}, {"title": " ", "url": "https://example.no/2"}]},
     "links[1].title"),
    ({"access": "x" * 100_000}, "access"),
    ({"access": " ", "login": "", "first_lesson": ""}, "access"),
    ({"access": "Tekst", "author": "meg"}, "author"),
    ({"access": "Tekst", "links": [{"title": "t", "url": "https://e.no"}] * 11}, "links"),
])
def test_a_bad_guide_is_refused_naming_the_field_and_nothing_is_written(api, setup, body, field):
    refused = api.put(setup["guide"], json=body, headers=setup["admin"])
    assert refused.status_code in (400, 422), refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in refused.json()["errors"]], refused.json()
    assert api.get(setup["guide"], headers=setup["admin"]).status_code == 404


def test_html_and_script_in_the_guide_are_shown_as_text(api, setup):
    body = {"access": '<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">'}
    guide = api.put(setup["guide"], json=body, headers=setup["admin"]).json()
    assert "<script" not in guide["access_html"] and "&lt;script&gt;" in guide["access_html"]
    assert 'href="javascript' not in guide["access_html"] and "<img" not in guide["access_html"]


def test_a_guide_on_a_resource_hidden_from_the_caller_does_not_exist_for_them(api, setup):
    draft = api.post("/api/v1/resources", json=resource_body(name="Utkastet", status="draft"),
                     headers=setup["admin"]).json()
    assert api.put(f"/api/v1/resources/{draft['id']}/guide", json=GUIDE, headers=setup["admin"]).status_code == 201
    assert api.get(f"/api/v1/resources/{draft['id']}/guide", headers=api.headers("staff")).status_code == 404
    assert api.put("/api/v1/resources/999999/guide", json=GUIDE, headers=setup["admin"]).status_code == 404


def test_ict_mentors_write_the_notes_of_their_own_units_and_staff_see_their_own_units(api, setup):
    ola = api.headers("ict_mentor", user="Ola Nord", units=("nord-skole",))
    sara = api.headers("ict_mentor", user="Sara Sør", units=("sor-skole",))
    url = setup["notes"] + "/nord-skole"
    created = api.put(url, json={"body": "Spør IKT-veilederen om **klassekoder**."}, headers=ola)
    assert created.status_code == 201, created.text
    note = created.json()
    assert note["unit"] == {"code": "nord-skole", "name": "Nordskolen"} and note["may_edit"] is True
    assert "<strong>klassekoder</strong>" in note["body_html"]

    # the mentor of another unit: may neither write nor delete it, and does not see it
    foreign = api.put(url, json={"body": "Overskrevet"}, headers={**sara, "If-Match": created.headers["ETag"]})
    assert foreign.status_code == 403 and foreign.json()["type"] == PROBLEM + "outside-your-units"
    assert api.delete(url, headers=sara).status_code == 403
    assert api.get(url, headers=sara).status_code == 404
    assert api.get(setup["notes"], headers=sara).json() == []
    # staff: their own unit's note only; and no writing at all
    nord_staff = api.headers("staff", units=("nord-skole",))
    sor_staff = api.headers("staff", units=("sor-skole",))
    assert [n["unit"]["code"] for n in api.get(setup["notes"], headers=nord_staff).json()] == ["nord-skole"]
    assert api.get(setup["notes"], headers=nord_staff).json()[0]["may_edit"] is False
    assert api.get(url, headers=sor_staff).status_code == 404
    assert api.put(url, json={"body": "x"}, headers=nord_staff).json()["type"] == PROBLEM + "role-not-allowed"
    # the sector office sees every unit's note (and writes none)
    assert len(api.get(setup["notes"], headers=api.headers("sector_reviewer")).json()) == 1
    assert api.put(url, json={"body": "x"}, headers=api.headers("sector_reviewer")).status_code == 403

    assert api.put(url, json={"body": "Igjen"}, headers=ola).status_code == 428
    changed = api.put(url, json={"body": "Klassekodene ligger i Teams."}, headers={**ola, "If-Match": created.headers["ETag"]})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert api.put(url, json={"body": "x"}, headers={**ola, "If-Match": created.headers["ETag"]}).status_code == 412
    assert api.get(url, headers=nord_staff).json()["body"] == "Klassekodene ligger i Teams."
    assert api.delete(url, headers=ola).status_code == 204
    assert api.get(url, headers=nord_staff).status_code == 404
    assert api.delete(url, headers=ola).status_code == 404
    assert [a for a, _ in api.run(_audit, setup["resource"])] == ["unit_note.create", "unit_note.update",
                                                                  "unit_note.delete"]


def test_bad_notes_are_refused_naming_the_field(api, setup):
    ola = api.headers("ict_mentor", units=("nord-skole",))
    url = setup["notes"] + "/nord-skole"
    for body in ({"body": "  "}, {"body": "x" * 100_000}, {}, {"body": "ok", "unit": "sor-skole"}):
        refused = api.put(url, json=body, headers=ola)
        assert refused.status_code in (400, 422), (body, refused.text)
        assert refused.json()["errors"][0]["field"] in ("body", "unit"), refused.json()
    assert api.put(setup["notes"] + "/finnes-ikke", json={"body": "x"}, headers=ola).status_code == 404
    assert api.get(url, headers=ola).status_code == 404


def test_the_competence_overview_shows_a_units_resources_in_use_and_who_shares_tips(api, setup):
    admin = setup["admin"]
    own = api.post("/api/v1/resources", json=resource_body(name="Nordverktøyet", in_base_package=False,
                                                           units=["nord-skole"]), headers=admin).json()
    api.post("/api/v1/resources", json=resource_body(name="Sørverktøyet", in_base_package=False,
                                                     units=["sor-skole"]), headers=admin)
    kari = api.headers("staff", user="Kari Nord", units=("nord-skole",))
    per = api.headers("staff", user="Per Nord", units=("nord-skole",))
    lise = api.headers("staff", user="Lise Sør", units=("sor-skole",))
    for headers, resource_id in ((kari, setup["resource"]), (kari, own["id"]), (per, setup["resource"]),
                                 (lise, setup["resource"])):
        assert api.post(f"/api/v1/resources/{resource_id}/tips", json={"body": "Slik gjorde vi det."},
                        headers=headers).status_code == 201
    ola = api.headers("ict_mentor", units=("nord-skole",))
    api.put(setup["notes"] + "/nord-skole", json={"body": "Spør meg om klassekoder."}, headers=ola)
    overview = api.get("/api/v1/units/nord-skole/competence", headers=ola)
    assert overview.status_code == 200, overview.text
    body = overview.json()
    assert body["unit"] == {"code": "nord-skole", "name": "Nordskolen"}
    in_use = {r["name"]: r for r in body["resources"]}
    assert set(in_use) == {"Brøkbyggeren", "Nordverktøyet"}  # the base package and the unit's own, not Sør's
    assert in_use["Brøkbyggeren"]["tips_from_unit"] == 2 and in_use["Brøkbyggeren"]["has_unit_note"] is True
    assert in_use["Nordverktøyet"]["tips_from_unit"] == 1 and in_use["Nordverktøyet"]["in_base_package"] is False
    people = [(c["name"], c["tip_count"]) for c in body["contributors"]]
    assert people == [("Kari Nord", 2), ("Per Nord", 1)]  # not Lise of the other unit
    assert body["contributors"][0]["latest_resource_name"] in ("Brøkbyggeren", "Nordverktøyet")

    # the mentor of another unit is refused; staff have no such overview; the office sees any unit
    refused = api.get("/api/v1/units/nord-skole/competence", headers=api.headers("ict_mentor", units=("sor-skole",)))
    assert refused.status_code == 403 and refused.json()["type"] == PROBLEM + "outside-your-units"
    assert api.get("/api/v1/units/nord-skole/competence", headers=kari).json()["type"] == PROBLEM + "role-not-allowed"
    office = api.get("/api/v1/units/sor-skole/competence", headers=api.headers("sector_reviewer")).json()
    assert [(c["name"], c["tip_count"]) for c in office["contributors"]] == [("Lise Sør", 1)]
    assert api.get("/api/v1/units/finnes-ikke/competence", headers=admin).status_code == 404
