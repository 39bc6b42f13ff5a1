"""The record of processing (GDPR Art. 30): what it lists and which gaps it names, its XLSX, CSV
and JSON files, the record as it stood on a day (as_of) rebuilt from the history of privacy
records, and the audit row of every export."""

from __future__ import annotations

import csv
import dataclasses
import datetime
import hashlib
import io
import json
import zoneinfo

import openpyxl

from tests.conftest import resource_body
from tests.test_workflow_support import Flow, privacy_form, privacy_record

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
PROBLEM = "application/problem+json"
# Datatilsynet's template for a controller's record, in its order, then its optional columns
TEMPLATE_COLUMNS = [
    "Behandlingsaktivitet", "Behandlingsansvarlig", "Kontaktopplysninger til behandlingsansvarlig",
    "Personvernombud", "Formålet med behandlingen", "Kategorier av registrerte", "Kategorier av personopplysninger",
    "Særlige kategorier av personopplysninger (art. 9)", "Feide-attributter og hvorfor de trengs",
    "Kategorier av mottakere (databehandler og underdatabehandlere)", "Lagringssted", "Overføring til tredjeland",
    "Garantier ved overføring (art. 46)", "Planlagte tidsfrister for sletting",
    "Tekniske og organisatoriske sikkerhetstiltak (art. 32)", "Behandlingsgrunnlag", "Databehandleravtale",
    "Vurdering av personvernkonsekvenser (DPIA)", "Brukes av", "Status", "Ressurs-ID",
]
COMPLETE = privacy_record(
    feide_attributes=[{"attribute": "userid-feide", "reason": "Knytter resultater til eleven."}],
    sub_processors=[{"name": "Skyhuset Inc.", "country": "US", "purpose": "Drift"}],
    transfers_outside_eea=True, transfer_basis="scc", transfer_countries=["US"], special_categories=True)


def create(api, headers, **overrides) -> int:
    response = api.post("/api/v1/resources", json=resource_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def patch(api, headers, resource_id: int, **changes) -> None:
    etag = api.get(f"/api/v1/resources/{resource_id}", headers=headers).headers["etag"]
    response = api.patch(f"/api/v1/resources/{resource_id}", json=changes, headers={**headers, "If-Match": etag})
    assert response.status_code == 200, response.text


def record(api, headers, **params) -> dict:
    response = api.get("/api/v1/processing-record", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def exports(api) -> list[dict]:
    from catalogue.search.sql import execute

    async def read():
        return await execute("SELECT actor, object_id, data FROM audit_log WHERE action = {} ORDER BY id",
                             "processing_record.export")

    return [{**r, "data": json.loads(r["data"])} for r in api.run(read)]


def set_history_times(api, resource_id: int, stamps: list[datetime.datetime]) -> None:
    """Move a resource's history rows to the given instants (as if the changes were made then)."""
    from catalogue.db import write_transaction
    from catalogue.search.sql import execute

    async def move():
        async with write_transaction():
            rows = await execute("SELECT id FROM privacy_history WHERE resource = {} ORDER BY id", resource_id)
            assert len(rows) == len(stamps), rows
            for row, stamp in zip(rows, stamps):
                await execute("UPDATE privacy_history SET valid_from = {} WHERE id = {}",
                              stamp.astimezone(datetime.timezone.utc), row["id"])

    api.run(move)


def test_the_record_lists_each_resource_in_use_and_names_every_missing_field(api):
    admin, dpo = api.headers("admin"), api.headers("dpo")
    complete = create(api, admin, name="Atlas", privacy=COMPLETE, units=[])
    half = create(api, admin, name="Halvveis", in_base_package=False,
                  privacy={"processes_personal_data": True, "data_subjects": ["pupils"], "dpa_status": "in_progress",
                           "transfers_outside_eea": True, "transfer_basis": "none"})
    create(api, admin, name="Uten data", privacy={"processes_personal_data": False, "dpa_status": "not_required"})
    unknown = create(api, admin, name="Uvurdert", privacy={})
    create(api, admin, name="Utkastet", status="draft", privacy=COMPLETE)
    leaving = create(api, admin, name="Fases ut", privacy=COMPLETE)
    patch(api, admin, leaving, status="phasing_out")

    body = record(api, dpo)
    assert [a["name"] for a in body["activities"]] == ["Atlas", "Fases ut", "Halvveis"]
    assert body["counts"] == {"in_use": 5, "processing": 3, "not_processing": 1, "not_assessed": 1, "gaps": 13,
                              "resources_with_gaps": 2}
    atlas = body["activities"][0]
    assert atlas["special_categories"] is True and atlas["transfer_countries"] == ["US"]
    assert atlas["recipients"] == [{"name": "Tallverkstedet AS", "role": "processor", "country": None, "purpose": ""},
                                   {"name": "Skyhuset Inc.", "role": "sub_processor", "country": "US",
                                    "purpose": "Drift"}]
    assert atlas["dpa"] == {"status": "signed", "date": "2026-01-15", "reference": "DBA-2026-777", "expires": None}
    gaps = [(g["resource_id"], g["field"]) for g in body["gaps"]]
    # no controller contact or DPO in these settings: the record says so, before the resources' gaps
    assert gaps[:2] == [(None, "CONTROLLER_CONTACT"), (None, "DPO_EMAIL")]
    assert sorted(gaps[2:]) == sorted([(half, f) for f in (
        "privacy.data_categories", "privacy.legal_basis", "privacy.processor", "privacy.data_location",
        "privacy.transfer_basis", "privacy.transfer_countries", "privacy.retention", "privacy.security_measures",
        "privacy.dpa_status", "privacy.dpia_status")] + [(unknown, "privacy.processes_personal_data")])
    assert complete not in {g["resource_id"] for g in body["gaps"]}
    assert exports(api)[0]["data"]["format"] == "json"


def test_the_spreadsheet_follows_datatilsynets_template_with_a_sheet_of_gaps(api, settings):
    admin, reviewer = api.headers("admin"), api.headers("privacy_reviewer", user="Per Personvern")
    create(api, admin, name="Atlas", privacy=COMPLETE)
    half = create(api, admin, name="=Halvveis", privacy={"processes_personal_data": True})

    response = api.get("/api/v1/processing-record?format=xlsx", headers=reviewer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    today = datetime.datetime.now(OSLO).date().isoformat()
    assert response.headers["content-disposition"] == f'attachment; filename="behandlingsprotokoll-{today}.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Behandlingsaktiviteter", "Mangler", "Om protokollen"]
    sheet = book["Behandlingsaktiviteter"]
    assert [c.value for c in sheet[1]] == TEMPLATE_COLUMNS
    assert sheet.freeze_panes == "A2"
    assert all(sheet.column_dimensions[letter].width >= 10 for letter in "ABCDEFGHIJKLMNOPQRSTU")
    assert sheet.column_dimensions["E"].width >= 40  # the purpose is the longest text
    rows = {r[0]: dict(zip(TEMPLATE_COLUMNS, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"Atlas", "=Halvveis"}
    atlas = rows["Atlas"]
    assert atlas["Kategorier av registrerte"] == "Elever"
    assert atlas["Kategorier av personopplysninger"] == "Navn, Feide-identitet, Resultater og besvarelser"
    assert atlas["Særlige kategorier av personopplysninger (art. 9)"] == "Ja"
    assert atlas["Overføring til tredjeland"] == "Ja: US"
    assert atlas["Garantier ved overføring (art. 46)"] == "Standard personvernbestemmelser (SCC)"
    assert atlas["Databehandleravtale"] == "Inngått, datert 2026-01-15, ref. DBA-2026-777"
    assert atlas["Vurdering av personvernkonsekvenser (DPIA)"] == "Gjennomført, datert 2026-02-01, lav risiko"
    assert atlas["Behandlingsansvarlig"] == settings.municipality_name
    assert atlas["Brukes av"] == "Grunnpakken (alle enheter)"
    # a name that looks like a formula stays text
    assert sheet.cell(row=2 + sorted(rows).index("=Halvveis"), column=1).data_type == "s"
    gaps = list(book["Mangler"].iter_rows(values_only=True))
    assert gaps[0] == ("Læremiddel", "Ressurs-ID", "Felt", "Felt (API)", "Mangel")
    assert book["Mangler"].freeze_panes == "A2"
    assert ("=Halvveis", half, "Kategorier av registrerte", "privacy.data_subjects",
            "Det er ikke oppgitt hvem opplysningene gjelder.") in gaps
    assert ("(hele protokollen)", None, "Personvernombud", "DPO_EMAIL") == gaps[2][:4]

    csv_response = api.get("/api/v1/processing-record?format=csv", headers=reviewer)
    assert csv_response.headers["content-type"].startswith("text/csv")
    text = csv_response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert lines[0] == TEMPLATE_COLUMNS and sorted(r[0] for r in lines[1:]) == ["'=Halvveis", "Atlas"]

    audited = exports(api)
    assert [e["data"]["format"] for e in audited] == ["xlsx", "csv"]
    assert audited[0]["actor"] == "Per Personvern"
    assert audited[0]["data"]["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert audited[1]["data"]["sha256"] == hashlib.sha256(csv_response.content).hexdigest()
    assert audited[0]["data"]["activities"] == 2 and audited[0]["data"]["as_of"] is None


def test_controller_and_dpo_come_from_the_settings(settings):
    from litestar.testing import TestClient

    from catalogue.app import create_app
    from tests.conftest import Api

    configured = dataclasses.replace(settings, controller_name="Fjordvik kommune v/ kommunedirektøren",
                                     controller_contact="postmottak@fjordvik.example", dpo_name="Ombudet",
                                     dpo_email="ombud@fjordvik.example", dpo_phone="12 34 56 78")
    with TestClient(create_app(configured), raise_server_exceptions=False) as client:
        api = Api(client)
        body = record(api, api.headers("admin"))
        assert body["controller"] == {"name": "Fjordvik kommune v/ kommunedirektøren",
                                      "contact": "postmottak@fjordvik.example"}
        assert body["dpo"] == {"name": "Ombudet", "contact": "ombud@fjordvik.example · 12 34 56 78"}
        assert body["gaps"] == []


def test_as_of_gives_the_record_as_it_stood_at_the_end_of_that_day(api):
    admin, dpo = api.headers("admin"), api.headers("dpo")
    resource = create(api, admin, name="Tidsreise", privacy=privacy_record(data_categories=["name"]))
    patch(api, admin, resource, privacy=privacy_record(data_categories=["name", "results"]))
    etag = api.get(f"/api/v1/resources/{resource}", headers=admin).headers["etag"]
    assert api.post(f"/api/v1/resources/{resource}/archive", headers={**admin, "If-Match": etag}).status_code == 200
    today = datetime.datetime.now(OSLO).date()
    created, changed, archived = (today - datetime.timedelta(days=d) for d in (300, 200, 100))
    # the change came late in the evening, Norwegian time: it belongs to that day
    set_history_times(api, resource, [datetime.datetime.combine(created, datetime.time(9), OSLO),
                                      datetime.datetime.combine(changed, datetime.time(23, 30), OSLO),
                                      datetime.datetime.combine(archived, datetime.time(8), OSLO)])

    def activities(day: datetime.date) -> list[tuple[str, list[str]]]:
        body = record(api, dpo, as_of=day.isoformat())
        assert body["as_of"] == day.isoformat()
        return [(a["name"], a["data_categories"]) for a in body["activities"]]

    assert activities(created - datetime.timedelta(days=1)) == []
    assert activities(created) == [("Tidsreise", ["name"])]
    assert activities(changed - datetime.timedelta(days=1)) == [("Tidsreise", ["name"])]
    assert activities(changed) == [("Tidsreise", ["name", "results"])]
    assert activities(archived) == []
    assert record(api, dpo)["activities"] == []
    history_start = record(api, dpo)["history_starts"]
    assert datetime.datetime.fromisoformat(history_start.replace("Z", "+00:00")).astimezone(OSLO).date() == created

    xlsx = api.get(f"/api/v1/processing-record?format=xlsx&as_of={changed.isoformat()}", headers=dpo)
    assert xlsx.headers["content-disposition"].endswith(f'behandlingsprotokoll-{changed.isoformat()}.xlsx"')
    about = dict(openpyxl.load_workbook(io.BytesIO(xlsx.content))["Om protokollen"].iter_rows(values_only=True))
    assert about["Slik protokollen sto per"] == changed.isoformat()
    assert exports(api)[-1]["data"]["as_of"] == changed.isoformat()


def _without_times(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("generated_at", "as_of")}


def test_every_change_through_the_service_is_in_the_history(api, settings):
    """The record as of today, rebuilt from the history, equals the record read from the tables,
    after each kind of change: create, edit, the whole proposal workflow, a revision, archiving."""
    flow = Flow(api)
    dpo = flow.dpo
    today = datetime.datetime.now(OSLO).date().isoformat()

    def same() -> None:
        assert _without_times(record(api, dpo, as_of=today)) == _without_times(record(api, dpo))

    resource = create(api, flow.admin, name="Direkte", privacy=privacy_record())
    same()
    patch(api, flow.admin, resource, privacy=privacy_record(retention="Slettes etter ett år."), units=["nord-skole"],
          in_base_package=False)
    same()
    case_id = flow.to_state("privacy_review", name="Forslaget")
    flow.approve(case_id, "privacy_review", form=privacy_form(privacy_record(processor="Ny behandler AS")))
    flow.approve(case_id, "procurement")
    assert "Forslaget" in [a["name"] for a in record(api, dpo)["activities"]]
    same()
    # a revision whose privacy step changes the record of a resource in use
    from workflows import scheduler

    patch(api, flow.admin, resource, next_revision_date="2020-01-01")
    opened = api.run(scheduler.run_once, settings).opened
    assert len(opened) == 1
    flow.act(opened[0], flow.privacy, "approve", reason="I orden.",
             form=privacy_form(privacy_record(data_location="norway", retention="Slettes straks.")))
    same()
    assert [a["data_location"] for a in record(api, dpo)["activities"] if a["name"] == "Direkte"] == ["norway"]
    etag = api.get(f"/api/v1/resources/{resource}", headers=flow.admin).headers["etag"]
    api.post(f"/api/v1/resources/{resource}/archive", headers={**flow.admin, "If-Match": etag})
    same()


def test_the_history_of_resources_from_before_it_existed_is_rebuilt_from_the_audit_log(api):
    from catalogue.db import write_transaction
    from catalogue.privacy_docs.backfill import backfill
    from catalogue.search.sql import execute

    admin, dpo = api.headers("admin"), api.headers("dpo")
    untouched = create(api, admin, name="Uendret", privacy=privacy_record())
    changed = create(api, admin, name="Endret", privacy=privacy_record(data_categories=["name"]))
    patch(api, admin, changed, privacy=privacy_record(data_categories=["results"]), status="phasing_out")
    now = _without_times(record(api, dpo))

    async def rebuild():
        async with write_transaction():
            await execute("DELETE FROM privacy_history")
            await backfill()
        return await execute("SELECT resource, source, snapshot FROM privacy_history ORDER BY id")

    rows = api.run(rebuild)
    by_resource = {}
    for row in rows:
        by_resource.setdefault(row["resource"], []).append((row["source"], json.loads(row["snapshot"])))
    # never changed: today's record held from its creation
    assert [s for s, _ in by_resource[untouched]] == ["backfill:create"]
    # changed later: what it was created with is unknown until the logged change, then known
    (first, created), (second, updated) = by_resource[changed]
    assert (first, second) == ("backfill:create", "backfill:audit")
    assert created["unknown"] == ["privacy"] and created["status"] == "published" and created["name"] == "Endret"
    assert "unknown" not in updated and updated["privacy"]["data_categories"] == ["results"]
    assert updated["status"] == "phasing_out"
    # the rebuilt history ends where the tables are: no baseline row was needed
    rebuilt = _without_times(record(api, dpo, as_of=datetime.datetime.now(OSLO).date().isoformat()))
    assert {**rebuilt, "history_starts": None} == {**now, "history_starts": None}


def test_bad_dates_and_formats_are_refused_naming_the_field(api):
    dpo = api.headers("dpo")
    tomorrow = (datetime.datetime.now(OSLO).date() + datetime.timedelta(days=1)).isoformat()
    for value, message in ((tomorrow, "cannot be in the future"), ("2026-02-30", "must be a date written YYYY-MM-DD"),
                           ("31.03.2026", "must be a date written YYYY-MM-DD")):
        response = api.get("/api/v1/processing-record", params={"as_of": value}, headers=dpo)
        assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["errors"] == [{"field": "as_of", "message": message}]
    response = api.get("/api/v1/processing-record?format=pdf", headers=dpo)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "format"
    assert exports(api) == []  # nothing was exported

    api.login_page("privacy_reviewer")
    page = api.get("/behandlingsprotokoll?dato=2026-13-01", headers={"Accept": "text/html"})
    assert page.status_code == 422 and "Skriv datoen som ÅÅÅÅ-MM-DD" in page.text
    download = api.get("/behandlingsprotokoll.xlsx?dato=" + tomorrow)
    assert download.status_code == 422 and download.json()["errors"][0]["field"] == "dato"


def test_the_page_shows_the_gaps_and_the_activities_with_downloads(api):
    admin = api.headers("admin")
    create(api, admin, name="Atlas", privacy=COMPLETE)
    half = create(api, admin, name="Halvveis", privacy={"processes_personal_data": True})
    api.login_page("dpo")
    page = api.get("/behandlingsprotokoll")
    assert page.status_code == 200
    assert "<h1>Behandlingsprotokoll</h1>" in page.text
    assert f'<a href="/ressurser/{half}">Halvveis</a>' in page.text
    assert "Det er ikke oppgitt hvilke opplysninger som behandles." in page.text
    assert 'href="/behandlingsprotokoll.xlsx"' in page.text and 'href="/behandlingsprotokoll.csv"' in page.text
    assert "Skyhuset Inc. (underdatabehandler, US): Drift" in page.text
    day = datetime.datetime.now(OSLO).date().isoformat()
    dated = api.get(f"/behandlingsprotokoll?dato={day}")
    assert f'href="/behandlingsprotokoll.xlsx?dato={day}"' in dated.text
    assert api.get(f"/behandlingsprotokoll.json?dato={day}").json()["as_of"] == day
