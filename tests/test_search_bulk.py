"""The bulk import (catalogue.search.bulk, used by bench/): same validation, same stored resource
as the API, one audit row per batch naming what it created, and the index written with it."""

from __future__ import annotations

import pytest

from tests.conftest import resource_body

IGNORED = {"id", "created_at", "updated_at", "vendor"}


def test_an_imported_resource_reads_back_as_a_posted_one(api):
    from catalogue.search.bulk import import_resources
    from catalogue.security.access import Principal
    from workflows import audit

    admin = api.headers("admin")
    posted = api.post("/api/v1/resources", json=resource_body(name="Postet", tags=["Brøk", "brøk "]), headers=admin)
    assert posted.status_code == 201
    bodies = [resource_body(name="Importert", tags=["Brøk", "brøk "]),
              resource_body(name="Importert utkast", status="draft", restrictions="  Kun i timene. ",
                            vendor={"name": "Ny leverandør AS"}, levels=["barnehage"], subjects=[],
                            kindergarten_areas=["KST"], privacy=None, accessibility=None)]
    ids = api.run(lambda: import_resources(bodies, Principal(user_id=None, name="importøren"), batch_size=1))
    assert len(ids) == 2

    read = api.get(f"/api/v1/resources/{ids[0]}", headers=admin).json()
    reference = api.get(f"/api/v1/resources/{posted.json()['id']}", headers=admin).json()
    differing = {k for k in reference if k not in IGNORED and reference[k] != read[k]}
    assert differing == {"name"}, {k: (reference[k], read[k]) for k in differing}
    assert read["vendor"]["id"] == reference["vendor"]["id"]  # the vendor is matched, not duplicated
    draft = api.get(f"/api/v1/resources/{ids[1]}", headers=admin).json()
    assert draft["status"] == "draft" and draft["restrictions"] == "Kun i timene."
    assert draft["kindergarten_areas"] == ["KST"] and draft["vendor"]["name"] == "Ny leverandør AS"

    staff = api.headers("staff")
    found = api.get("/api/v1/resources", params={"q": "importert"}, headers=staff).json()
    assert [i["name"] for i in found["items"]] == ["Importert"]  # indexed; the draft stays hidden

    entries = api.run(lambda: audit.entries_for("resource_import", f"{ids[0]}-{ids[0]}"))
    assert entries[0]["action"] == "resource.import"
    assert entries[0]["data"]["resources"] == [[ids[0], "Importert", "published"]]
    assert api.run(audit.verify).ok


def test_a_bad_body_is_refused_with_its_position_and_nothing_of_its_batch_is_kept(api):
    from catalogue.problems import Problem
    from catalogue.search.bulk import import_resources
    from catalogue.security.access import Principal

    bodies = [resource_body(name="God"), resource_body(name="Dårlig", levels=["11"])]
    with pytest.raises(Problem) as refused:
        api.run(lambda: import_resources(bodies, Principal(user_id=None, name="importøren")))
    assert refused.value.status_code == 422
    assert refused.value.errors[0]["field"] == "[1].levels[0]"
    admin = api.headers("admin")
    assert api.get("/api/v1/resources", params={"status": ["draft", "published"]}, headers=admin).json()["total"] == 0
