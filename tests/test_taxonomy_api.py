"""The reference-data API: levels, subjects, kindergarten areas, units and vendors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import resource_body

PROBLEM = "application/problem+json"
DATA = Path(__file__).resolve().parents[1] / "catalogue" / "data"
NON_ADMIN_ROLES = ["staff", "ict_mentor", "sector_reviewer", "privacy_reviewer", "dpo", "tech_approver"]


def _csv(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return sorted(csv.DictReader(handle), key=lambda row: int(row["sort_order"]))


def _fields(response) -> list[str]:
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    problem = response.json()
    assert problem["status"] == response.status_code
    return [e["field"] for e in problem.get("errors", [])]


def unit_body(**overrides) -> dict:
    body = {"code": "bakkeli-skole", "name": "Bakkeli skole", "kind": "skole",
            "levels": ["1", "2", "3", "4", "5", "6", "7"], "address": "Bakkevegen 1, Fjordvik"}
    body.update(overrides)
    return body


def create_unit(api, headers, **overrides):
    response = api.post("/api/v1/units", json=unit_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response


# --- levels, subjects, kindergarten areas ---------------------------------------------------


def test_levels_are_kindergarten_and_trinn_1_to_10_in_order_with_their_bands(api):
    expected = _csv("levels.csv")
    response = api.get("/api/v1/levels", headers=api.headers("staff"))
    assert response.status_code == 200, response.text
    levels = response.json()
    assert levels == [{"code": r["code"], "name_nb": r["name_nb"], "band": r["band"]} for r in expected]
    assert [lvl["code"] for lvl in levels] == ["barnehage", *[str(n) for n in range(1, 11)]]
    assert list(dict.fromkeys(lvl["band"] for lvl in levels)) == ["barnehage", "1-4", "5-7", "8-10"]


def test_subjects_carry_their_curriculum_codes(api):
    staff = api.headers("staff")
    response = api.get("/api/v1/subjects", headers=staff)
    assert response.status_code == 200, response.text
    subjects = {s["code"]: s for s in response.json()}
    assert [s["code"] for s in response.json()] == [r["code"] for r in _csv("subjects.csv")]

    mat = subjects["MAT"]
    assert mat["curriculum_code"] == "MAT01-06"
    assert mat["previous_curriculum_code"] == "MAT01-05"
    assert mat["curriculum_valid_from"] == "2026-08-01"
    assert subjects["KRLE"]["curriculum_code"].startswith("RLE")
    assert (subjects["UTV"]["level_from"], subjects["UTV"]["level_to"]) == (8, 10)
    assert subjects["FSP"]["curriculum_code"] is None  # unverified codes are left empty, not guessed

    one = api.get("/api/v1/subjects/MAT", headers=staff)
    assert one.status_code == 200
    assert one.json() == mat


def test_unknown_subject_is_a_404_problem(api):
    response = api.get("/api/v1/subjects/XYZ", headers=api.headers("staff"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == 404 and "XYZ" in response.json()["detail"]


def test_admin_changes_a_curriculum_code_and_everyone_sees_it(api):
    admin = api.headers("admin")
    response = api.patch("/api/v1/subjects/NOR", json={"curriculum_code": "NOR01-07"}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["curriculum_code"] == "NOR01-07"
    assert response.json()["name_nb"] == "Norsk"  # fields not sent are kept

    staff = api.headers("staff")
    assert api.get("/api/v1/subjects/NOR", headers=staff).json()["curriculum_code"] == "NOR01-07"
    listed = {s["code"]: s for s in api.get("/api/v1/subjects", headers=staff).json()}
    assert listed["NOR"]["curriculum_code"] == "NOR01-07"
    assert listed["MAT"]["curriculum_code"] == "MAT01-06"


def test_subject_update_is_validated(api):
    admin = api.headers("admin")
    malformed = api.patch("/api/v1/subjects/NOR", json={"curriculum_code": "nor-7"}, headers=admin)
    assert malformed.status_code == 422
    assert "curriculum_code" in _fields(malformed)

    empty = api.patch("/api/v1/subjects/NOR", json={}, headers=admin)
    assert empty.status_code == 422
    assert empty.headers["content-type"].startswith(PROBLEM)

    unknown = api.patch("/api/v1/subjects/XYZ", json={"curriculum_code": "XYZ01-01"}, headers=admin)
    assert unknown.status_code == 404

    assert api.get("/api/v1/subjects/NOR", headers=admin).json()["curriculum_code"] == "NOR01-06"


def test_only_admins_may_change_subjects(api):
    body = {"curriculum_code": "NOR01-07"}
    for role in ["staff", "sector_reviewer"]:
        response = api.patch("/api/v1/subjects/NOR", json=body, headers=api.headers(role))
        assert response.status_code == 403, role
        assert response.headers["content-type"].startswith(PROBLEM)
    assert api.patch("/api/v1/subjects/NOR", json=body).status_code == 401
    assert api.get("/api/v1/subjects/NOR", headers=api.headers("staff")).json()["curriculum_code"] == "NOR01-06"


def test_kindergarten_areas_are_the_seven_of_the_framework_plan_in_order(api):
    response = api.get("/api/v1/kindergarten-areas", headers=api.headers("staff"))
    assert response.status_code == 200, response.text
    areas = response.json()
    assert areas == [{"code": r["code"], "name_nb": r["name_nb"]} for r in _csv("kindergarten_areas.csv")]
    assert len(areas) == 7
    assert areas[0]["code"] == "KST" and areas[-1]["code"] == "NS"


def test_reference_data_requires_a_token(api):
    for path in ["/api/v1/levels", "/api/v1/subjects", "/api/v1/subjects/MAT", "/api/v1/kindergarten-areas",
                 "/api/v1/units", "/api/v1/vendors"]:
        response = api.get(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"].startswith(PROBLEM)


def test_vendors_are_listed_for_signed_in_users(api):
    api.post("/api/v1/resources", json=resource_body(), headers=api.headers("sector_reviewer"))
    assert api.get("/api/v1/vendors").status_code == 401
    response = api.get("/api/v1/vendors", headers=api.headers("staff"))
    assert response.status_code == 200
    assert [v["name"] for v in response.json()] == ["Tallverkstedet AS"]


# --- units ----------------------------------------------------------------------------------


def test_admin_creates_a_unit_and_everyone_can_read_it(api):
    admin = api.headers("admin")
    created = create_unit(api, admin)
    assert created.headers["etag"] == '"unit:bakkeli-skole:1"'
    assert created.json() == {**unit_body(), "active": True, "version": 1, "pupil_count": None}

    staff = api.headers("staff")
    listed = api.get("/api/v1/units", headers=staff)
    assert listed.status_code == 200
    assert [u["code"] for u in listed.json()] == ["bakkeli-skole"]
    one = api.get("/api/v1/units/bakkeli-skole", headers=staff)
    assert one.status_code == 200
    assert one.headers["etag"] == '"unit:bakkeli-skole:1"'
    assert one.json() == created.json()
    assert api.get("/api/v1/units/finnes-ikke", headers=staff).status_code == 404


def test_units_are_listed_by_kind_then_name(api):
    admin = api.headers("admin")
    create_unit(api, admin, code="vestre-skole", name="Vestre skole")
    create_unit(api, admin, code="austre-skole", name="Austre skole")
    create_unit(api, admin, code="lia-bhg", name="Lia barnehage", kind="barnehage", levels=["barnehage"])
    listed = api.get("/api/v1/units", headers=api.headers("staff")).json()
    assert [u["code"] for u in listed] == ["lia-bhg", "austre-skole", "vestre-skole"]


def test_a_unit_code_can_be_used_once(api):
    admin = api.headers("admin")
    create_unit(api, admin)
    duplicate = api.post("/api/v1/units", json=unit_body(name="Et annet navn"), headers=admin)
    assert duplicate.status_code == 409
    assert "code" in _fields(duplicate)
    assert api.get("/api/v1/units/bakkeli-skole", headers=admin).json()["name"] == "Bakkeli skole"


BAD_UNITS = [
    ({"code": "Bakkeli-Skole"}, "code"),
    ({"code": "bakkeli skole"}, "code"),
    ({"code": "x"}, "code"),
    ({"kind": "universitet"}, "kind"),
    ({"levels": ["11"]}, "levels[0]"),
    ({"levels": ["1", "13"]}, "levels[1]"),
    ({"name": ""}, "name"),
    ({"surprise": True}, "surprise"),
]


@pytest.mark.parametrize("overrides,field", BAD_UNITS, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_UNITS)])
def test_bad_unit_input_names_the_field_and_writes_nothing(api, overrides, field):
    admin = api.headers("admin")
    response = api.post("/api/v1/units", json=unit_body(**overrides), headers=admin)
    assert response.status_code == 422, response.text
    assert field in _fields(response), response.json()
    assert api.get("/api/v1/units?include_inactive=true", headers=admin).json() == []


def test_unit_update_requires_a_current_if_match(api):
    admin = api.headers("admin")
    created = create_unit(api, admin)
    url = "/api/v1/units/bakkeli-skole"

    missing = api.patch(url, json={"name": "Bakkeli barneskole"}, headers=admin)
    assert missing.status_code == 428
    assert "If-Match" in _fields(missing)

    ok = api.patch(url, json={"name": "Bakkeli barneskole", "levels": ["1", "2", "3", "4"]},
                   headers={**admin, "If-Match": created.headers["etag"]})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"unit:bakkeli-skole:2"'
    assert ok.json()["version"] == 2
    assert ok.json()["name"] == "Bakkeli barneskole" and ok.json()["levels"] == ["1", "2", "3", "4"]
    assert ok.json()["address"] == "Bakkevegen 1, Fjordvik"

    stale = api.patch(url, json={"name": "Gammelt navn"}, headers={**admin, "If-Match": created.headers["etag"]})
    assert stale.status_code == 412
    assert "If-Match" in _fields(stale)
    other = api.patch(url, json={"name": "Feil enhet"}, headers={**admin, "If-Match": '"unit:annen-skole:2"'})
    assert other.status_code == 412

    current = api.get(url, headers=admin)
    assert current.json()["name"] == "Bakkeli barneskole"
    assert current.headers["etag"] == '"unit:bakkeli-skole:2"'


def test_unit_update_is_validated(api):
    admin = api.headers("admin")
    created = create_unit(api, admin)
    headers = {**admin, "If-Match": created.headers["etag"]}
    url = "/api/v1/units/bakkeli-skole"
    bad_level = api.patch(url, json={"levels": ["5", "elleve"]}, headers=headers)
    assert bad_level.status_code == 422 and "levels[1]" in _fields(bad_level)
    unknown_field = api.patch(url, json={"code": "nytt-navn"}, headers=headers)
    assert unknown_field.status_code == 422 and "code" in _fields(unknown_field)
    empty = api.patch(url, json={}, headers=headers)
    assert empty.status_code == 422
    assert api.get(url, headers=admin).json()["version"] == 1
    assert api.patch("/api/v1/units/finnes-ikke", json={"name": "X"},
                     headers={**admin, "If-Match": '"unit:finnes-ikke:1"'}).status_code == 404


def test_deactivated_units_leave_the_list_but_are_kept(api):
    admin = api.headers("admin")
    created = create_unit(api, admin)
    create_unit(api, admin, code="austre-skole", name="Austre skole")
    response = api.patch("/api/v1/units/bakkeli-skole", json={"active": False},
                         headers={**admin, "If-Match": created.headers["etag"]})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False

    staff = api.headers("staff")
    assert [u["code"] for u in api.get("/api/v1/units", headers=staff).json()] == ["austre-skole"]
    everything = api.get("/api/v1/units?include_inactive=true", headers=staff).json()
    assert {u["code"]: u["active"] for u in everything} == {"bakkeli-skole": False, "austre-skole": True}
    assert api.get("/api/v1/units/bakkeli-skole", headers=staff).json()["active"] is False

    reactivated = api.patch("/api/v1/units/bakkeli-skole", json={"active": True},
                            headers={**admin, "If-Match": response.headers["etag"]})
    assert reactivated.status_code == 200
    assert {u["code"] for u in api.get("/api/v1/units", headers=staff).json()} == {"bakkeli-skole", "austre-skole"}


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_only_admins_may_create_or_change_units(api, role):
    created = create_unit(api, api.headers("admin"))
    headers = api.headers(role)
    post = api.post("/api/v1/units", json=unit_body(code="ny-skole"), headers=headers)
    assert post.status_code == 403
    assert post.headers["content-type"].startswith(PROBLEM)
    patch = api.patch("/api/v1/units/bakkeli-skole", json={"active": False},
                      headers={**headers, "If-Match": created.headers["etag"]})
    assert patch.status_code == 403
    # reading is for everyone signed in
    assert api.get("/api/v1/units", headers=headers).status_code == 200
    unit = api.get("/api/v1/units/bakkeli-skole", headers=headers).json()
    assert unit["active"] is True and unit["version"] == 1
    assert [u["code"] for u in api.get("/api/v1/units?include_inactive=true", headers=headers).json()] == [
        "bakkeli-skole"]


def test_anonymous_callers_cannot_read_or_write_units(api):
    create_unit(api, api.headers("admin"))
    assert api.get("/api/v1/units").status_code == 401
    assert api.get("/api/v1/units/bakkeli-skole").status_code == 401
    assert api.post("/api/v1/units", json=unit_body(code="ny-skole")).status_code == 401
    anonymous_patch = api.patch("/api/v1/units/bakkeli-skole", json={"active": False},
                                headers={"If-Match": '"unit:bakkeli-skole:1"'})
    assert anonymous_patch.status_code == 401
    assert anonymous_patch.headers["www-authenticate"].startswith("Bearer")


def test_resources_filed_under_a_unit_and_deactivated_units_refused(api):
    admin = api.headers("admin")
    unit = create_unit(api, admin)
    editor = api.headers("sector_reviewer")
    filed = api.post("/api/v1/resources", json=resource_body(name="Brøk for Bakkeli", units=["bakkeli-skole"]),
                     headers=editor)
    assert filed.status_code == 201, filed.text
    assert filed.json()["units"] == ["bakkeli-skole"]
    api.post("/api/v1/resources", json=resource_body(name="For alle"), headers=editor)

    staff = api.headers("staff")
    page = api.get("/api/v1/resources?unit=bakkeli-skole", headers=staff).json()
    assert [i["name"] for i in page["items"]] == ["Brøk for Bakkeli"] and page["total"] == 1

    deactivated = api.patch("/api/v1/units/bakkeli-skole", json={"active": False},
                            headers={**admin, "If-Match": unit.headers["etag"]})
    assert deactivated.status_code == 200, deactivated.text
    refused = api.post("/api/v1/resources", json=resource_body(name="Ny brøk", units=["bakkeli-skole"]),
                       headers=editor)
    assert refused.status_code == 422
    assert "units[0]" in _fields(refused)
    # the resource filed before the unit was deactivated keeps its unit
    assert api.get(f"/api/v1/resources/{filed.json()['id']}", headers=staff).json()["units"] == ["bakkeli-skole"]
    names = [i["name"] for i in api.get("/api/v1/resources", headers=staff).json()["items"]]
    assert names == ["Brøk for Bakkeli", "For alle"]
