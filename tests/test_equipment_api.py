"""The equipment package over HTTP: kinds and their resources, the standard and its changes through
the workflow engine, unit counts, holdings, the gap and plan, exports and the year's figures."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest

from tests.conftest import resource_body

PROBLEM = "application/problem+json"
TODAY = datetime.date.today()
YEAR = TODAY.year


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    return response.json()


def fields(body: dict) -> list[str]:
    return [e["field"] for e in body.get("errors", [])]


def kind_body(**overrides) -> dict:
    body = {"code": "elevnettbrett", "name": "Elevnettbrett", "category": "pupil_device", "lifetime_years": 4,
            "typical_price_nok": 4000, "personal_pupil_device": True}
    body.update(overrides)
    return body


@pytest.fixture
def world(api):
    """Two schools and a kindergarten, three kinds, and the people who use the package."""
    admin = api.headers("admin")
    for code, name, kind in (("nord-skole", "Nord skole", "skole"), ("sor-skole", "Sør skole", "skole"),
                             ("eik-bhg", "Eik barnehage", "barnehage")):
        assert api.post("/api/v1/units", json={"code": code, "name": name, "kind": kind}, headers=admin).status_code == 201
    tech = api.headers("tech_approver")
    for body in (kind_body(), kind_body(code="interaktiv-tavle", name="Interaktiv tavle", category="display",
                                        lifetime_years=8, typical_price_nok=30000, personal_pupil_device=False),
                 kind_body(code="gulvrobot", name="Programmerbar gulvrobot", category="programming",
                           lifetime_years=5, typical_price_nok=1000, personal_pupil_device=False)):
        assert api.post("/api/v1/equipment/kinds", json=body, headers=tech).status_code == 201, body
    return {"admin": admin, "tech": tech, "sector": api.headers("sector_reviewer"),
            "mentor": api.headers("ict_mentor", units=("nord-skole",)),
            "staff": api.headers("staff")}


def adopt(api, world, unit_type: str, lines: list[dict], valid_from: datetime.date = TODAY) -> dict:
    """Propose, submit and approve a standard; returns the approved change."""
    current = api.get(f"/api/v1/equipment/standards/{unit_type}", headers=world["sector"])
    created = api.post(f"/api/v1/equipment/standards/{unit_type}/changes",
                       json={"valid_from": valid_from.isoformat(), "rationale": "Handlingsprogrammet",
                             "lines": lines, "submit": True},
                       headers={**world["sector"], "If-Match": current.headers["etag"]})
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "technical_review"
    approved = api.post(f"/api/v1/equipment/standard-changes/{created.json()['id']}/actions",
                        json={"action": "approve"}, headers={**world["tech"], "If-Match": created.headers["etag"]})
    assert approved.status_code == 200, approved.text
    return approved.json()


# --- kinds ----------------------------------------------------------------------------------


def test_kinds_carry_lifetime_and_price_and_link_to_resources_both_ways(api, world):
    resource = api.post("/api/v1/resources", json=resource_body(name="Bee-Bot"), headers=world["admin"]).json()
    linked = api.put(f"/api/v1/equipment/kinds/gulvrobot/resources/{resource['id']}", headers=world["tech"])
    assert linked.status_code == 200, linked.text
    assert [r["name"] for r in linked.json()["resources"]] == ["Bee-Bot"]
    assert api.get(f"/api/v1/equipment/resources/{resource['id']}/kinds", headers=world["staff"]).json() == [
        {"code": "gulvrobot", "name": "Programmerbar gulvrobot"}]
    kinds = api.get("/api/v1/equipment/kinds", headers=world["staff"]).json()
    assert [(k["code"], k["lifetime_years"], k["typical_price_nok"]) for k in kinds] == [
        ("elevnettbrett", 4, 4000), ("interaktiv-tavle", 8, 30000), ("gulvrobot", 5, 1000)]
    # changing a kind takes the ETag; an old one is refused and nothing changes
    current = api.get("/api/v1/equipment/kinds/elevnettbrett", headers=world["tech"])
    changed = api.patch("/api/v1/equipment/kinds/elevnettbrett", json={"typical_price_nok": 4500},
                        headers={**world["tech"], "If-Match": current.headers["etag"]})
    assert changed.status_code == 200 and changed.json()["typical_price_nok"] == 4500
    stale = api.patch("/api/v1/equipment/kinds/elevnettbrett", json={"typical_price_nok": 1},
                      headers={**world["tech"], "If-Match": current.headers["etag"]})
    problem(stale, 412)
    assert api.get("/api/v1/equipment/kinds/elevnettbrett", headers=world["tech"]).json()["typical_price_nok"] == 4500
    assert fields(problem(api.post("/api/v1/equipment/kinds", json=kind_body(), headers=world["tech"]), 409)) == ["code"]
    assert "lifetime_years" in str(problem(api.post("/api/v1/equipment/kinds", json=kind_body(
        code="ny", lifetime_years=0), headers=world["tech"]), 422)["errors"])
    unlinked = api.delete(f"/api/v1/equipment/kinds/gulvrobot/resources/{resource['id']}", headers=world["tech"])
    assert unlinked.json()["resources"] == []
    problem(api.post("/api/v1/equipment/kinds", json=kind_body(code="x1"), headers=world["sector"]), 403)


# --- the standard ----------------------------------------------------------------------------


def test_a_standard_change_runs_through_the_workflow_and_is_in_force_from_its_date(api, world):
    before = api.get("/api/v1/equipment/standards/skole", headers=world["staff"])
    assert before.json()["lines"] == [] and before.json()["revision"] == 0
    lines = [{"kind": "elevnettbrett", "basis": "per_pupil", "quantity": 1},
             {"kind": "interaktiv-tavle", "basis": "per_classroom", "quantity": 1}]
    created = api.post("/api/v1/equipment/standards/skole/changes",
                       json={"valid_from": TODAY.isoformat(), "rationale": "1:1", "lines": lines},
                       headers={**world["sector"], "If-Match": before.headers["etag"]})
    assert created.status_code == 201, created.text
    change = created.json()
    assert change["state"] == "draft" and [a["name"] for a in change["allowed_actions"]] == ["submit", "withdraw"]
    url = f"/api/v1/equipment/standard-changes/{change['id']}"
    # a draft is the sector office's own: the technology department does not see it yet
    problem(api.post(f"{url}/actions", json={"action": "approve"},
                     headers={**world["tech"], "If-Match": created.headers["etag"]}), 404)
    submitted = api.post(f"{url}/actions", json={"action": "submit"},
                         headers={**world["sector"], "If-Match": created.headers["etag"]})
    assert submitted.json()["state"] == "technical_review" and submitted.json()["step_role"] == "tech_approver"
    # the technology department is told, with a link to the page where it acts
    page = f"/utstyr/standard/endringer/{change['id']}"
    told = api.get("/api/v1/notifications", headers=world["tech"]).json()
    assert [(n["kind"], n["link"]) for n in told] == [("task", page)]
    # the sector office may not approve its own proposal; a return needs a reason
    problem(api.post(f"{url}/actions", json={"action": "approve"},
                     headers={**world["sector"], "If-Match": submitted.headers["etag"]}), 403)
    assert fields(problem(api.post(f"{url}/actions", json={"action": "return"},
                                   headers={**world["tech"], "If-Match": submitted.headers["etag"]}), 422)) == ["reason"]
    returned = api.post(f"{url}/actions", json={"action": "return", "reason": "Tavler per klasserom er for mye"},
                        headers={**world["tech"], "If-Match": submitted.headers["etag"]})
    assert returned.json()["state"] == "returned"
    told = api.get("/api/v1/notifications", headers=world["sector"]).json()
    assert [(n["kind"], n["link"]) for n in told] == [("return", page)]
    edited = api.patch(url, json={"lines": [lines[0], {**lines[1], "per_n": 2}]},
                       headers={**world["sector"], "If-Match": returned.headers["etag"]})
    assert edited.status_code == 200, edited.text
    resubmitted = api.post(f"{url}/actions", json={"action": "resubmit"},
                           headers={**world["sector"], "If-Match": edited.headers["etag"]})
    assert resubmitted.json()["state"] == "technical_review"
    approved = api.post(f"{url}/actions", json={"action": "approve"},
                        headers={**world["tech"], "If-Match": resubmitted.headers["etag"]})
    assert approved.json()["state"] == "approved" and approved.json()["revision"] == 1
    in_force = api.get("/api/v1/equipment/standards/skole", headers=world["staff"]).json()
    assert [(line["kind"], line["basis"], line["per_n"]) for line in in_force["lines"]] == [
        ("elevnettbrett", "per_pupil", 1), ("interaktiv-tavle", "per_classroom", 2)]
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    assert api.get(f"/api/v1/equipment/standards/skole?date={yesterday}", headers=world["staff"]).json()["lines"] == []
    history = [e["action"] for e in api.get(f"{url}/history", headers=world["mentor"]).json()]
    assert history == ["create", "submit", "return", "edit", "resubmit", "approve"]
    # every step is in the audit chain
    from workflows.audit import entries_for

    audit = api.run(entries_for, "standard_change", change["id"])
    assert [e["action"] for e in audit] == ["standard_change." + a for a in history]


def test_a_change_based_on_a_replaced_standard_is_refused_and_nothing_is_lost(api, world):
    start = api.get("/api/v1/equipment/standards/barnehage", headers=world["sector"])
    lines = [{"kind": "gulvrobot", "basis": "per_department", "quantity": 1}]
    body = {"valid_from": TODAY.isoformat(), "rationale": "Programmering", "lines": lines, "submit": True}
    first = api.post("/api/v1/equipment/standards/barnehage/changes", json=body,
                     headers={**world["sector"], "If-Match": start.headers["etag"]})
    second = api.post("/api/v1/equipment/standards/barnehage/changes", json={**body, "rationale": "Annen"},
                      headers={**world["sector"], "If-Match": start.headers["etag"]})
    assert first.status_code == second.status_code == 201
    approved = api.post(f"/api/v1/equipment/standard-changes/{first.json()['id']}/actions", json={"action": "approve"},
                        headers={**world["tech"], "If-Match": first.headers["etag"]})
    assert approved.status_code == 200
    # the other open change was based on the standard just replaced: acting on it hears 412
    late = api.post(f"/api/v1/equipment/standard-changes/{second.json()['id']}/actions", json={"action": "approve"},
                    headers={**world["tech"], "If-Match": second.headers["etag"]})
    assert fields(problem(late, 412)) == ["If-Match"]
    superseded = api.get(f"/api/v1/equipment/standard-changes/{second.json()['id']}", headers=world["tech"]).json()
    assert superseded["state"] == "superseded" and superseded["lines"][0]["kind"] == "gulvrobot"
    # a new proposal made from the old standard's ETag is refused too
    problem(api.post("/api/v1/equipment/standards/barnehage/changes", json=body,
                     headers={**world["sector"], "If-Match": start.headers["etag"]}), 412)
    problem(api.post("/api/v1/equipment/standards/barnehage/changes", json=body, headers=world["sector"]), 428)
    assert api.get("/api/v1/equipment/standards/barnehage", headers=world["staff"]).json()["revision"] == 1


def test_bad_standard_lines_are_named_field_by_field(api, world):
    etag = api.get("/api/v1/equipment/standards/skole", headers=world["sector"]).headers["etag"]
    headers = {**world["sector"], "If-Match": etag}
    body = {"valid_from": TODAY.isoformat(), "rationale": "x",
            "lines": [{"kind": "finnes-ikke", "basis": "per_pupil", "quantity": 1},
                      {"kind": "gulvrobot", "basis": "per_department", "quantity": 1}]}
    assert fields(problem(api.post("/api/v1/equipment/standards/skole/changes", json=body, headers=headers), 422)) == [
        "lines[0].kind", "lines[1].basis"]
    negative = {**body, "lines": [{"kind": "gulvrobot", "basis": "per_unit", "quantity": -1}]}
    assert "quantity" in fields(problem(api.post("/api/v1/equipment/standards/skole/changes", json=negative,
                                                 headers=headers), 422))[0]
    past = {**body, "valid_from": "2020-01-01", "lines": []}
    assert fields(problem(api.post("/api/v1/equipment/standards/skole/changes", json=past, headers=headers), 422)) == [
        "valid_from"]
    problem(api.post("/api/v1/equipment/standards/skole/changes", json=body,
                     headers={**world["tech"], "If-Match": etag}), 403)
    problem(api.get("/api/v1/equipment/standards/ukjent", headers=world["staff"]), 404)
    assert api.get("/api/v1/equipment/standard-changes", headers=world["sector"]).json()["total"] == 0


# --- holdings, gap and plan ------------------------------------------------------------------


def counts_tag(api, headers, unit: str) -> str:
    """The ETag of a unit's counts as they stand."""
    return api.get(f"/api/v1/equipment/units/{unit}/counts", headers=headers).headers["etag"]


def add(api, headers, unit: str, **body):
    return api.post(f"/api/v1/equipment/units/{unit}/holdings", json=body, headers=headers)


def test_holdings_give_the_gap_the_replacements_per_year_and_the_pupil_coverage(api, world):
    adopt(api, world, "skole", [{"kind": "elevnettbrett", "basis": "per_pupil", "quantity": 1},
                                {"kind": "interaktiv-tavle", "basis": "per_classroom", "quantity": 1}])
    counts = api.get("/api/v1/equipment/units/nord-skole/counts", headers=world["mentor"])
    assert counts.json()["version"] == 0
    saved = api.put("/api/v1/equipment/units/nord-skole/counts",
                    json={"pupils": 100, "classrooms": 5}, headers={**world["mentor"], "If-Match": counts.headers["etag"]})
    assert saved.status_code == 200, saved.text
    problem(api.put("/api/v1/equipment/units/nord-skole/counts", json={"pupils": 1},
                    headers={**world["mentor"], "If-Match": counts.headers["etag"]}), 412)
    assert "pupils" in fields(problem(api.put("/api/v1/equipment/units/nord-skole/counts", json={"pupils": -3},
                                              headers={**world["mentor"], "If-Match": counts_tag(
                                                  api, world["mentor"], "nord-skole")}), 422))[0]
    mentor = world["mentor"]
    # 60 tablets from three years ago (past their 4-year lifetime next year), 20 new ones; 5 displays
    old = datetime.date(YEAR - 3, 8, 1)
    assert add(api, mentor, "nord-skole", kind="elevnettbrett", count=60, acquired_on=old.isoformat(),
               funded_by="investment", model="iPad 9").status_code == 201
    assert add(api, mentor, "nord-skole", kind="elevnettbrett", count=20, acquired_on=TODAY.isoformat(),
               funded_by="unit_budget").status_code == 201
    assert add(api, world["tech"], "nord-skole", kind="interaktiv-tavle", count=5,
               acquired_on=datetime.date(YEAR - 8, 1, 10).isoformat(), funded_by="investment").status_code == 201
    plan = api.get("/api/v1/equipment/units/nord-skole?years=3", headers=mentor).json()
    kinds = {k["kind"]: k for k in plan["kinds"]}
    assert (kinds["elevnettbrett"]["required"], kinds["elevnettbrett"]["held"], kinds["elevnettbrett"]["gap"]) == (100, 80, 20)
    assert (kinds["interaktiv-tavle"]["past_lifetime"], kinds["interaktiv-tavle"]["gap"]) == (5, 0)
    years = {y["year"]: y for y in plan["years"]}
    # this year: 20 tablets to close the gap, 5 displays past their lifetime replaced
    assert (years[YEAR]["gap_purchases"], years[YEAR]["replacement_purchases"]) == (20, 5)
    assert years[YEAR]["cost_nok"] == 20 * 4000 + 5 * 30000 and years[YEAR]["end_of_life"] == 5
    # next year the 60 old tablets reach the end of their lifetime
    assert (years[YEAR + 1]["end_of_life"], years[YEAR + 1]["replacement_purchases"]) == (60, 60)
    assert years[YEAR + 2]["purchases"] == 0
    assert plan["coverage"] == {"pupils": 100, "devices": 80, "devices_within_lifetime": 80, "ratio": 0.8,
                                "one_to_one": False}
    assert plan["held_by_funding"] == {"investment": 65, "unit_budget": 20}
    # the municipality sees every unit and the sums
    total = api.get("/api/v1/equipment/plan?years=3", headers=world["sector"]).json()
    assert [u["unit"]["code"] for u in total["units"]] == ["eik-bhg", "nord-skole", "sor-skole"]
    sor = next(u for u in total["units"] if u["unit"]["code"] == "sor-skole")
    assert sor["counted"] is False and sor["coverage"]["ratio"] is None
    assert total["gap"] == 20 and total["years"][0]["cost_nok"] == years[YEAR]["cost_nok"]
    assert (total["schools"], total["schools_one_to_one"], total["pupils"], total["pupil_devices"]) == (2, 0, 100, 80)
    problem(api.get("/api/v1/equipment/plan", headers=mentor), 403)
    problem(api.get("/api/v1/equipment/units/nord-skole", headers=world["staff"]), 403)
    figures = api.get(f"/api/v1/equipment/annual-figures/{YEAR}", headers=world["tech"]).json()
    assert (figures["devices_held"], figures["devices_acquired"], figures["standard_changes_approved"]) == (85, 20, 1)
    assert figures["acquired_cost_nok_by_funding"] == {"investment": 0, "unit_budget": 80000}
    assert figures["planned_cost_nok_next_year"] == 60 * 4000
    # the annual quality report carries the same figures: as JSON, in its spreadsheet and on its page
    report = api.get(f"/api/v1/annual-report?year={YEAR}", headers=world["tech"]).json()
    assert report["equipment"] == figures
    book = openpyxl.load_workbook(io.BytesIO(api.get(f"/api/v1/annual-report?year={YEAR}&format=xlsx",
                                                     headers=world["tech"]).content))
    lines = {row[0]: row[1:] for row in book["Utstyr"].iter_rows(min_row=2, values_only=True)}
    assert lines[f"Utstyr anskaffet i {YEAR}"] == (20, 80000)
    assert lines["Mangler mot standarden"][0] == figures["gap"]
    assert lines["… finansiert av enhetens eget budsjett"] == (20, 80000)
    api.login_page("tech_approver", user="utstyr-rapport")
    page = api.get(f"/kvalitetsmelding?aar={YEAR}", headers={"Accept": "text/html"}).text
    assert '<h2 id="utstyr">Utstyr</h2>' in page and f"Utstyr anskaffet i {YEAR}" in page


def test_the_plan_follows_every_change_to_holdings_kinds_counts_and_the_standard(api, world):
    adopt(api, world, "skole", [{"kind": "elevnettbrett", "basis": "per_pupil", "quantity": 1}])
    api.put("/api/v1/equipment/units/nord-skole/counts", json={"pupils": 10},
            headers={**world["tech"], "If-Match": counts_tag(api, world["tech"], "nord-skole")})
    two_years_ago = datetime.date(YEAR - 2, 3, 1).isoformat()

    def plan() -> dict:
        return api.get("/api/v1/equipment/plan?years=2", headers=world["tech"]).json()

    assert plan()["gap"] == 10
    add(api, world["tech"], "nord-skole", kind="elevnettbrett", count=4, acquired_on=two_years_ago,
        funded_by="investment")
    assert plan()["gap"] == 6 and plan()["years"][0]["replacement_purchases"] == 0
    kind = api.get("/api/v1/equipment/kinds/elevnettbrett", headers=world["tech"])
    api.patch("/api/v1/equipment/kinds/elevnettbrett", json={"lifetime_years": 2},
              headers={**world["tech"], "If-Match": kind.headers["etag"]})
    assert plan()["years"][0]["replacement_purchases"] == 4  # their lifetime ended this year
    api.put("/api/v1/equipment/units/nord-skole/counts", json={"pupils": 20},
            headers={**world["tech"], "If-Match": counts_tag(api, world["tech"], "nord-skole")})
    assert plan()["gap"] == 16
    adopt(api, world, "skole", [{"kind": "elevnettbrett", "basis": "per_pupil", "quantity": 1, "per_n": 2}])
    assert plan()["gap"] == 6
    past = api.get(f"/api/v1/equipment/units/nord-skole?date={YEAR - 1}-06-01&years=1", headers=world["tech"]).json()
    assert past["years"][0]["year"] == YEAR - 1 and past["kinds"][0]["past_lifetime"] == 0


def test_bad_holdings_are_refused_and_change_nothing(api, world):
    mentor = world["mentor"]
    negative = add(api, mentor, "nord-skole", kind="elevnettbrett", count=-5, acquired_on="2024-01-01",
                   funded_by="investment")
    assert fields(problem(negative, 422)) == ["count"]
    future = add(api, mentor, "nord-skole", kind="elevnettbrett", count=5,
                 acquired_on=(TODAY + datetime.timedelta(days=1)).isoformat(), funded_by="investment")
    assert fields(problem(future, 422)) == ["acquired_on"]
    unknown = add(api, mentor, "nord-skole", kind="hologram", count=5, acquired_on="2024-01-01", funded_by="investment")
    assert fields(problem(unknown, 422)) == ["kind"]
    other = problem(add(api, mentor, "sor-skole", kind="elevnettbrett", count=5, acquired_on="2024-01-01",
                        funded_by="investment"), 403)
    assert other["type"].endswith(":unit-not-served") and fields(other) == ["unit"]
    problem(api.get("/api/v1/equipment/units/sor-skole/holdings", headers=mentor), 403)
    assert api.get("/api/v1/equipment/units/nord-skole/holdings", headers=mentor).json()["total"] == 0
    created = add(api, mentor, "nord-skole", kind="elevnettbrett", count=5, acquired_on="2024-01-01",
                  funded_by="investment")
    url = f"/api/v1/equipment/holdings/{created.json()['id']}"
    changed = api.patch(url, json={"count": 6}, headers={**mentor, "If-Match": created.headers["etag"]})
    assert changed.json()["count"] == 6
    problem(api.patch(url, json={"count": 7}, headers={**mentor, "If-Match": created.headers["etag"]}), 412)
    problem(api.delete(url, headers={**mentor, "If-Match": created.headers["etag"]}), 412)
    assert api.delete(url, headers={**mentor, "If-Match": changed.headers["etag"]}).status_code == 204
    problem(api.get(url, headers=mentor), 404)


# --- import and export -------------------------------------------------------------------------


def upload(api, headers, unit: str, content: bytes, name: str, dry_run: bool = True, mode: str = "replace",
           content_type: str = "text/csv"):
    return api.post(f"/api/v1/equipment/units/{unit}/imports?dry_run={'true' if dry_run else 'false'}",
                    files={"file": (name, content, content_type)}, data={"mode": mode}, headers=headers)


def test_a_holdings_sheet_is_checked_in_a_dry_run_then_applied(api, world):
    mentor = world["mentor"]
    sheet = ("Type;Modell;Antall;Anskaffet;Finansiert;Merknad\n"
             "Elevnettbrett;iPad 10;25;15.08.2023;Programmets investeringsmidler;Sløyd og bærbare\n"
             "interaktiv-tavle;Promethean;2;2022-06-01;Enhetens budsjett;\n").encode("cp1252")
    checked = upload(api, mentor, "nord-skole", sheet, "beholdning.csv")
    assert checked.status_code == 201, checked.text
    result = checked.json()
    assert result["status"] == "checked" and result["errors"] == [] and result["devices"] == 27
    assert result["rows"][0]["note"] == "Sløyd og bærbare"
    assert api.get("/api/v1/equipment/units/nord-skole/holdings", headers=mentor).json()["total"] == 0
    applied = api.post(f"/api/v1/equipment/imports/{result['id']}/apply", headers=mentor)
    assert applied.json()["status"] == "applied", applied.text
    problem(api.post(f"/api/v1/equipment/imports/{result['id']}/apply", headers=mentor), 409)
    listed = api.get("/api/v1/equipment/units/nord-skole/holdings", headers=mentor).json()
    assert sorted((h["kind"], h["count"]) for h in listed["items"]) == [("elevnettbrett", 25), ("interaktiv-tavle", 2)]
    # an XLSX sheet in append mode; a dry run made before another change cannot be applied
    workbook = openpyxl.Workbook()
    workbook.active.append(["type", "antall", "anskaffet", "finansiert"])
    workbook.active.append(["gulvrobot", 6, datetime.datetime(2024, 3, 1), "budsjett"])
    content = io.BytesIO()
    workbook.save(content)
    xlsx = upload(api, mentor, "nord-skole", content.getvalue(), "roboter.xlsx", mode="append",
                  content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert xlsx.json()["errors"] == [] and xlsx.json()["rows"][0]["acquired_on"] == "2024-03-01"
    add(api, mentor, "nord-skole", kind="gulvrobot", count=1, acquired_on="2024-01-01", funded_by="investment")
    stale = problem(api.post(f"/api/v1/equipment/imports/{xlsx.json()['id']}/apply", headers=mentor), 409)
    assert stale["type"].endswith(":import-stale")
    direct = upload(api, mentor, "nord-skole", content.getvalue(), "roboter.xlsx", dry_run=False, mode="append",
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert direct.status_code == 201 and direct.json()["status"] == "applied"
    assert api.get("/api/v1/equipment/units/nord-skole/holdings", headers=mentor).json()["total"] == 4


def test_a_sheet_with_bad_rows_names_each_and_writes_nothing(api, world):
    mentor = world["mentor"]
    sheet = ("type,antall,anskaffet,finansiert,enhet\n"
             "elevnettbrett,-4,2023-01-01,investering,nord-skole\n"
             "elevnettbrett,4,2099-01-01,investering,\n"
             "laser,4,2023-01-01,investering,\n"
             "elevnettbrett,4,2023-01-01,investering,sor-skole\n").encode("utf-8")
    checked = upload(api, mentor, "nord-skole", sheet, "feil.csv").json()
    assert checked["status"] == "invalid"
    assert [(e["row"], e["column"]) for e in checked["errors"]] == [(2, "antall"), (3, "anskaffet"), (4, "type"),
                                                                   (5, "enhet")]
    assert "do not serve" in checked["errors"][3]["message"]
    problem(api.post(f"/api/v1/equipment/imports/{checked['id']}/apply", headers=mentor), 409)
    refused = problem(upload(api, mentor, "nord-skole", sheet, "feil.csv", dry_run=False), 422)
    assert len(refused["errors"]) == 4 and refused["errors"][0]["row"] == 2
    assert api.get("/api/v1/equipment/units/nord-skole/holdings", headers=mentor).json()["total"] == 0
    assert fields(problem(upload(api, mentor, "nord-skole", b"\x00\x01garbage\xff", "x.xlsx"), 422)) == ["file"]
    problem(upload(api, mentor, "sor-skole", sheet, "feil.csv"), 403)
    problem(api.get(f"/api/v1/equipment/imports/{checked['id']}", headers=api.headers("ict_mentor", units=("sor-skole",))),
            404)


def test_the_plan_exports_as_xlsx_and_csv(api, world):
    adopt(api, world, "skole", [{"kind": "elevnettbrett", "basis": "per_pupil", "quantity": 1, "per_n": 2}])
    api.put("/api/v1/equipment/units/sor-skole/counts", json={"pupils": 30},
            headers={**world["tech"], "If-Match": counts_tag(api, world["tech"], "sor-skole")})
    add(api, world["tech"], "sor-skole", kind="elevnettbrett", count=5, acquired_on="2024-01-01",
        funded_by="investment", model="=HYPERLINK(\"x\")")
    xlsx = api.get("/api/v1/equipment/plan/export?format=xlsx", headers=world["sector"])
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames == ["Enheter", "Mangler per enhet", "Investeringsplan"]
    rows = [r for r in workbook["Mangler per enhet"].iter_rows(values_only=True) if r[0] == "sor-skole"]
    assert rows[0][:10] == ("sor-skole", "Sør skole", "skole", "elevnettbrett", "Elevnettbrett", 15, 5, 5, 0, 10)
    csv_text = api.get("/api/v1/equipment/plan/export?format=csv&table=plan", headers=world["sector"]).content
    assert csv_text.startswith(b"\xef\xbb\xbf\xc3\x85r;") and f"\r\n{YEAR};0;10;0;10;40000;0;40000".encode() in csv_text
    unit_csv = api.get("/api/v1/equipment/units/sor-skole/export?format=csv", headers=world["tech"])
    assert unit_csv.status_code == 200 and "Sør skole".encode() in unit_csv.content
    problem(api.get("/api/v1/equipment/plan/export?format=pdf", headers=world["sector"]), 400)
