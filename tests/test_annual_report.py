"""The annual report (kvalitetsmelding): a known year of resources and cases, made through the API
and then dated into that year, and every figure of the report checked against what was made."""

from __future__ import annotations

import csv
import datetime
import io
import json
import zoneinfo

import openpyxl
import pytest

from tests.conftest import resource_body
from tests.test_workflow_support import NORD, PEDAGOGICAL_FORM, SOR, Flow, privacy_form, privacy_record

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
PROBLEM = "application/problem+json"
YEAR = datetime.date.today().year - 1


def at(month: int, day: int, hour: int = 10, year: int = YEAR) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=OSLO)


def _sql(api, statements: list[tuple[str, tuple]]) -> None:
    from catalogue.db import write_transaction
    from catalogue.search.sql import execute

    async def run():
        async with write_transaction():
            for sql, args in statements:
                await execute(sql, *args)

    api.run(run)


def _rows(api, sql: str, *args) -> list[dict]:
    from catalogue.search.sql import execute

    return api.run(lambda: execute(sql, *args))


def date_resource(api, resource_id: int, *stamps: datetime.datetime) -> None:
    """Give the resource's first history rows these instants (its later rows stay where they are)."""
    rows = _rows(api, "SELECT id FROM privacy_history WHERE resource = {} ORDER BY id", resource_id)
    _sql(api, [("UPDATE privacy_history SET valid_from = {} WHERE id = {}", (s.astimezone(datetime.timezone.utc),
                                                                                row["id"]))
               for row, s in zip(rows, stamps)])


def date_case(api, case_id: int, *stamps: datetime.datetime) -> None:
    """Give the case's events these instants, in order; the case opens at the first and, when
    closed, closes at the last."""
    events = _rows(api, 'SELECT id FROM case_event WHERE "case" = {} ORDER BY id', case_id)
    assert len(events) == len(stamps), (case_id, len(events))
    utc = [s.astimezone(datetime.timezone.utc) for s in stamps]
    statements = [("UPDATE case_event SET occurred_at = {} WHERE id = {}", (s, e["id"])) for e, s in zip(events, utc)]
    statements.append(("UPDATE workflow_case SET created_at = {} WHERE id = {}", (utc[0], case_id)))
    statements.append(("UPDATE workflow_case SET closed_at = {} WHERE id = {} AND closed_at IS NOT NULL",
                       (utc[-1], case_id)))
    _sql(api, statements)


def unit(api, headers, code: str, **changes) -> None:
    path = f"/api/v1/units/{code}"
    etag = api.get(path, headers=headers).headers["etag"]
    assert api.patch(path, json=changes, headers={**headers, "If-Match": etag}).status_code == 200


def create(api, headers, name: str, **overrides) -> int:
    response = api.post("/api/v1/resources", json=resource_body(name=name, **overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def known_year(api, settings):
    """The year's resources, units and cases (see each figure's test for what they add up to)."""
    from workflows import scheduler

    flow = Flow(api)
    admin = flow.admin
    unit(api, admin, NORD, levels=[str(n) for n in range(1, 8)], pupil_count=200)
    unit(api, admin, SOR, levels=[str(n) for n in range(1, 11)], pupil_count=300)
    for body in ({"code": "tuva-bhg", "name": "Tuva barnehage", "kind": "barnehage", "levels": ["barnehage"],
                  "pupil_count": 50},
                 {"code": "uten-tall", "name": "Uten tall skole", "kind": "skole", "levels": ["1"]}):
        assert api.post("/api/v1/units", json=body, headers=admin).status_code == 201

    complete = privacy_record()
    r1 = create(api, admin, "Base A", levels=["1", "2", "3", "4"], subjects=["MAT", "NOR"], annual_cost_nok=100000,
                privacy=complete)
    r2 = create(api, admin, "Base B", levels=["5", "6", "7"], subjects=["MAT"], annual_cost_nok=50000,
                privacy=privacy_record(dpa_status="in_progress", dpa_date=None, dpa_reference=None,
                                       dpia_status="not_required", dpia_date=None, dpia_risk_level=None))
    r3 = create(api, admin, "Base Bhg", levels=["barnehage"], subjects=[], kindergarten_areas=["KST"],
                annual_cost_nok=0, privacy={"processes_personal_data": False, "dpa_status": "not_required"})
    r4 = create(api, admin, "Egen for to", in_base_package=False, units=[NORD, SOR], levels=["5", "6", "7"],
                subjects=["ENG"], annual_cost_nok=30000, privacy=complete)
    r5 = create(api, admin, "Ukjent kostnad", levels=["8", "9", "10"], subjects=["NAT"], annual_cost_nok=None,
                privacy={})
    r7 = create(api, admin, "Arkivert", levels=["5"], subjects=["MAT"], annual_cost_nok=999999, privacy=complete)
    etag = api.get(f"/api/v1/resources/{r7}", headers=admin).headers["etag"]
    assert api.post(f"/api/v1/resources/{r7}/archive", headers={**admin, "If-Match": etag}).status_code == 200
    create(api, admin, "Kom i år", levels=["5"], subjects=["KHV"], annual_cost_nok=5)  # not there at the year's end
    for resource_id in (r1, r2, r3, r4, r5):
        date_resource(api, resource_id, at(1, 2))
    date_resource(api, r7, at(1, 2), at(3, 1))

    # proposals (their own resources came after the year: they are not in its base package)
    c1 = flow.to_state("approved", name="Godkjent forslag")
    date_case(api, c1, at(2, 1, 9), at(2, 1, 10), at(2, 4), at(2, 14), at(2, 16))
    c2 = flow.to_state("pedagogical_review", name="Avslått forslag")
    flow.act(c2, flow.sector, "return", reason="Mangler pedagogisk begrunnelse.")
    flow.act(c2, flow.mentor, "resubmit")
    flow.approve(c2, "pedagogical_review")
    flow.act(c2, flow.privacy, "reject", reason="Lagres i USA uten overføringsgrunnlag.")
    date_case(api, c2, at(3, 1, 9), at(3, 1, 10), at(3, 6), at(3, 10), at(3, 12), at(4, 1))
    c3 = flow.to_state("pedagogical_review", name="Trukket forslag")
    flow.act(c3, flow.mentor, "withdraw", reason="Fant et bedre alternativ.")
    date_case(api, c3, at(4, 10, 9), at(4, 10, 10), at(4, 15))
    c4 = flow.to_state("pedagogical_review", name="Åpent forslag")
    date_case(api, c4, at(12, 20, 9), at(12, 20, 10))
    c5 = flow.to_state("approved", name="Fra året før")
    date_case(api, c5, at(12, 10, 9, YEAR - 1), at(12, 10, 10, YEAR - 1), at(1, 5), at(1, 7), at(1, 8))

    # revisions of R1 (on time), R2 (late) and R4 (overdue at the year's end)
    for resource_id in (r1, r2, r4):
        etag = api.get(f"/api/v1/resources/{resource_id}", headers=admin).headers["etag"]
        api.patch(f"/api/v1/resources/{resource_id}", json={"next_revision_date": "2020-01-01"},
                  headers={**admin, "If-Match": etag})
    opened = api.run(scheduler.run_once, settings).opened
    revision = {_rows(api, "SELECT resource FROM workflow_case WHERE id = {}", c)[0]["resource"]: c for c in opened}
    v1, v2, v3 = revision[r1], revision[r2], revision[r4]
    for case_id in (v1, v2):
        flow.act(case_id, flow.privacy, "approve", reason="I orden.", form=privacy_form())
        flow.act(case_id, flow.sector, "renew", reason="Fortsatt i bruk.", form=PEDAGOGICAL_FORM)
    date_case(api, v1, at(5, 1), at(5, 5), at(5, 10))
    date_case(api, v2, at(6, 1), at(6, 25), at(6, 27))
    date_case(api, v3, at(12, 1))
    return flow


def report(api, headers, **params) -> dict:
    response = api.get("/api/v1/annual-report", params={"year": str(YEAR), **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_figure_of_a_known_year(api, known_year):
    body = report(api, known_year.sector)
    assert (body["year"], body["unit"], body["has_data"]) == (YEAR, None, True)
    assert (body["period_start"], body["period_end"]) == (f"{YEAR}-01-01", f"{YEAR}-12-31")

    # base package at the year's end: Base A (1–4: MAT, NOR), Base B (5–7: MAT), Ukjent kostnad (8–10: NAT);
    # every other subject taught on a band is a gap: 10 + 10 + 13 taught cells, 4 filled
    cells = {(row["band"], c["subject"]): c for row in body["base_package"] for c in row["cells"]}
    assert [(r["band"], r["total"]) for r in body["base_package"]] == [("1-4", 1), ("5-7", 1), ("8-10", 1)]
    filled = {k: c["count"] for k, c in cells.items() if c["count"]}
    assert filled == {("1-4", "MAT"): 1, ("1-4", "NOR"): 1, ("5-7", "MAT"): 1, ("8-10", "NAT"): 1}
    assert body["base_package_gaps"] == 29
    assert cells[("5-7", "ENG")]["gap"] is True  # Egen for to is not in the base package
    assert cells[("1-4", "FSP")] == {"subject": "FSP", "applicable": False, "count": None, "gap": False}
    assert [(a["area"], a["count"], a["gap"]) for a in body["kindergarten"]][:2] == [("KST", 1, False),
                                                                                    ("KBMH", 0, True)]
    assert sum(a["gap"] for a in body["kindergarten"]) == 6

    # in use at the year's end: Base A, Base B, Base Bhg, Egen for to, Ukjent kostnad (Arkivert was archived)
    assert body["privacy"] == {"in_use": 5, "processing": 3, "not_assessed": 1, "with_dpa": 2, "with_dpia": 2,
                               "dpia_not_required": 1, "dpa_share": 0.6667, "dpia_share": 0.6667}

    assert body["revisions"] == {"opened": 3, "completed": 2, "on_time": 1, "late": 1, "overdue": 1}
    assert {c["kind"]: (c["opened"], c["decided"], c["outcomes"]) for c in body["cases"]} == {
        "proposal": (4, 4, {"approved": 2, "rejected": 1, "withdrawn": 1}),
        "revision": (3, 2, {"renewed": 2}),
        "phase_out": (0, 0, {}),
        "standard_change": (0, 0, {}),  # the equipment standard's changes are cases too
    }
    # days per step, for steps decided in the year (the one from December before counts its January step)
    timing = {(t["kind"], t["key"]): (t["count"], t["median_days"], t["p90_days"]) for t in body["step_timing"]}
    assert timing == {
        ("proposal", "pedagogical_review"): (5, 5.0, 17.6),  # 3, 5 (return), 2, 5 (withdrawn), 26
        ("proposal", "privacy_review"): (3, 10.0, 18.0),  # 10, 20 (reject), 2
        ("proposal", "procurement"): (2, 1.5, 1.9),  # 2, 1
        ("revision", "privacy_review"): (2, 14.0, 22.0),  # 4, 24
        ("revision", "pedagogical_review"): (2, 3.5, 4.7),  # 5, 2
        ("phase_out", "phasing_out"): (0, None, None),
        # every step of every workflow is listed, also those no case passed through in the year
        ("proposal", "dpo_advice"): (0, None, None), ("revision", "dpo_advice"): (0, None, None),
        ("standard_change", "technical_review"): (0, None, None),
        ("proposal", "consultation"): (0, None, None), ("revision", "consultation"): (0, None, None),
    }
    decisions = {t["key"]: (t["count"], t["median_days"], t["p90_days"]) for t in body["decision_timing"]}
    assert decisions == {"approve": (11, 3.0, 24.0), "return": (1, 5.0, 5.0), "reject": (1, 20.0, 20.0),
                         "withdraw": (1, 5.0, 5.0)}
    assert [(n["date"], n["title"], n["step"], n["decision"], n["reason"]) for n in body["decisions"]] == [
        (f"{YEAR}-03-06", "Avslått forslag", "pedagogical_review", "return", "Mangler pedagogisk begrunnelse."),
        (f"{YEAR}-04-01", "Avslått forslag", "privacy_review", "reject", "Lagres i USA uten overføringsgrunnlag."),
    ]
    assert body["decision_counts"] == [
        {"kind": "proposal", "step": "pedagogical_review", "decision": "return", "count": 1},
        {"kind": "proposal", "step": "privacy_review", "decision": "reject", "count": 1}]

    # licence cost: base package 150 000 kr over 550 pupils; Egen for to's 30 000 kr split between two schools
    costs = body["costs"]
    assert (costs["base_total"], costs["base_resources"], costs["units_total"], costs["total_pupils"],
            costs["base_per_pupil"], costs["unknown_cost_resources"]) == (150000, 4, 30000, 550, 272.73, 1)
    assert [(r["unit"], r["pupils"], r["own_cost"], r["base_share"], r["total"], r["per_pupil"])
            for r in costs["rows"]] == [
        ("tuva-bhg", 50, 0, 13636, 13636, 272.73),
        (NORD, 200, 15000, 54545, 69545, 347.73),
        (SOR, 300, 15000, 81818, 96818, 322.73),
        ("uten-tall", None, 0, None, None, None),
    ]

    # the same year for one school: its bands, the base package and its own resources, its cases
    body = report(api, known_year.sector, unit=NORD)
    assert body["unit"] == {"code": NORD, "name": "Nordbyen skole"}
    assert body["bands"] == ["1-4", "5-7"] and body["kindergarten"] == []
    five_to_seven = {c["subject"]: c["count"] for c in body["base_package"][1]["cells"] if c["count"]}
    assert five_to_seven == {"MAT": 1, "ENG": 1}  # the base package and the unit's own
    assert body["revisions"] == {"opened": 1, "completed": 0, "on_time": 0, "late": 0, "overdue": 1}
    assert [r["unit"] for r in body["costs"]["rows"]] == [NORD]


def test_the_exports_and_the_page_hold_the_same_figures(api, known_year):
    headers = known_year.privacy
    xlsx = api.get("/api/v1/annual-report", params={"year": str(YEAR), "format": "xlsx"}, headers=headers)
    assert xlsx.status_code == 200
    assert xlsx.headers["content-disposition"] == f'attachment; filename="kvalitetsmelding-{YEAR}.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Om rapporten", "Grunnpakken", "Barnehage", "Personvern", "Revisjoner", "Saker",
                               "Behandlingstid", "Avslag og retur", "Lisenskostnader", "Medvirkning", "Utstyr"]
    base = list(book["Grunnpakken"].iter_rows(values_only=True))
    assert base[0][:4] == ("Trinn", "Læremidler i alt", "Norsk", "Matematikk")
    assert base[1][:4] == ("1.–4. trinn", 1, 1, 1) and base[1][-1].startswith("Engelsk, Naturfag")
    assert book["Grunnpakken"].freeze_panes == "A2"
    revisions = dict(r[:2] for r in book["Revisjoner"].iter_rows(min_row=2, values_only=True))
    assert revisions["Revisjoner åpnet"] == 3 and revisions["Forfalt ved periodens slutt"] == 1
    costs = {r[0]: r for r in book["Lisenskostnader"].iter_rows(min_row=2, values_only=True)}
    assert costs["Nordbyen skole"] == ("Nordbyen skole", 200, 15000, 54545, 69545, 347.73)
    reasons = [r[6] for r in book["Avslag og retur"].iter_rows(min_row=2, values_only=True)]
    assert reasons == ["Mangler pedagogisk begrunnelse.", "Lagres i USA uten overføringsgrunnlag."]

    text = api.get("/api/v1/annual-report", params={"year": str(YEAR), "format": "csv"},
                   headers=headers).content.decode("utf-8")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert lines[0] == ["seksjon", "rad", "kolonne", "verdi"]
    assert ["Personvern", "Med inngått databehandleravtale", "Andel", "0.6667"] in lines
    assert ["Behandlingstid", "steg", "90-persentil (dager)", "17.6"] in lines
    audited = _rows(api, "SELECT data FROM audit_log WHERE action = {} ORDER BY id", "annual_report.export")
    assert [json.loads(r["data"])["format"] for r in audited] == ["xlsx", "csv"]

    # the page: a chart with a text alternative and a table of its numbers for every figure
    api.login_page("tech_approver")
    page = api.get(f"/kvalitetsmelding?aar={YEAR}")
    assert page.status_code == 200
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 6
    assert '<desc id="graf-revisjoner-desc">Åpnet: 3; Fullført: 2; Fullført i tide: 1; Fullført for sent: 1; ' \
           'Forfalt: 1.</desc>' in page.text
    assert '<td class="num gap">0 mangler</td>' in page.text
    assert "Lagres i USA uten overføringsgrunnlag." in page.text
    assert f'href="/kvalitetsmelding.xlsx?aar={YEAR}"' in page.text
    unit_page = api.get(f"/kvalitetsmelding?aar={YEAR}&enhet={NORD}")
    assert "<h1>Kvalitetsmelding " + str(YEAR) + ": Nordbyen skole</h1>" in unit_page.text


def test_bad_years_and_units_get_a_clear_answer(api):
    headers = api.headers("sector_reviewer")
    this_year = datetime.date.today().year
    for value, status, message in ((str(this_year + 1), 422, "cannot be in the future"),
                                   ("26", 422, "must be a year written with four digits, e.g. 2026"),
                                   ("1999", 422, "must be 2000 or later"),
                                   ("2001", 404, "no data for this year")):
        response = api.get("/api/v1/annual-report", params={"year": value}, headers=headers)
        assert response.status_code == status and response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["errors"] == [{"field": "year", "message": message}]
    # a pupil count is a whole number or nothing
    bad = api.post("/api/v1/units", json={"code": "feil-skole", "name": "Feil", "kind": "skole", "pupil_count": -5},
                   headers=api.headers("admin"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("pupil_count")
    unknown = api.get("/api/v1/annual-report?unit=finnes-ikke", headers=headers)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "unit"
    assert api.get("/api/v1/annual-report?year=2001&format=xlsx", headers=headers).status_code == 404
    assert _rows(api, "SELECT id FROM audit_log WHERE action = {}", "annual_report.export") == []

    api.login_page("sector_reviewer")
    empty = api.get("/kvalitetsmelding?aar=2001")
    assert empty.status_code == 200 and "Det finnes ingen data for 2001" in empty.text
    future = api.get(f"/kvalitetsmelding?aar={this_year + 1}", headers={"Accept": "text/html"})
    assert future.status_code == 422 and "Året kan ikke være fram i tid." in future.text
    wrong_unit = api.get("/kvalitetsmelding?enhet=finnes-ikke", headers={"Accept": "text/html"})
    assert wrong_unit.status_code == 404 and "Velg en enhet fra listen." in wrong_unit.text
