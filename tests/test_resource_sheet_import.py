"""The catalogue from a municipality's spreadsheet: headings and levels as people write them, CSV
in the encodings Excel saves, XLSX, a dry run that writes nothing, an import that is the same the
second time, and clear refusals of what cannot be read."""

from __future__ import annotations

import csv
import io
import os
import subprocess
from pathlib import Path

import pytest

from catalogue import spreadsheets
from catalogue.dataio import resource_import
from catalogue.security.access import Principal

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / ".venv" / "bin" / "catalogue"
ACTOR = Principal(name="regnearkimport (test)")

HEADER = ["Navn", "Leverandør", "Org.nr", "Nettadresse", "Type", "Trinn", "Fag", "Plattform", "Pålogging",
          "Databehandleravtale ja/nei", "Grunnpakke", "Årlig kostnad", "Avtaledato", "Avtalereferanse"]
ROWS = [
    ["Brøkmester", "Tallverket AS", "", "brokmester.example.no", "Øvingsverktøy", "5.–7. trinn", "Matematikk",
     "Nettleser, iPad", "Feide", "ja", "ja", "12 000", "14.06.2024", "DBA-2024-17"],
    ["Lesehesten", "Lesehest AS", "", "https://lesehest.example.no", "Lese- og skrivestøtte", "1-4",
     "NOR, Engelsk", "web", "feide", "nei", "nei", "", "", ""],
    ["Livssyn i dag", "Rel AS", "", "https://rel.example.no", "Oppslagsverk", "ungdomstrinnet",
     "Kristendom, religion, livssyn og etikk", "Chromebook", "Google", "under arbeid", "nei", "", "", ""],
    ["Eventyrskogen", "Barnas Forlag", "", "https://eventyr.example.no", "Læringsunivers", "barnehage", "",
     "ipad", "ingen", "ikke nødvendig", "nei", "", "", ""],
    ["Alt i ett", "Alt AS", "", "https://alt.example.no", "Læringsunivers", "alle trinn", "MAT01-06",
     "web", "feide", "ja", "nei", "0", "", ""],
]


def csv_content(rows=ROWS, header=HEADER, delimiter=";", encoding="utf-8", bom=False) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    text = out.getvalue()
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def xlsx_content(rows, header=HEADER, formulas: dict[tuple[int, int], str] | None = None) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Ressurser")
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value) if isinstance(value, str) else sheet.write(r, c, value)
    for (r, c), formula in (formulas or {}).items():
        sheet.write_formula(r, c, formula, None, "5-7")
    book.close()
    return out.getvalue()


def plan_of(api, content: bytes, filename: str = "ressurser.csv", apply: bool = False, in_use: bool = False):
    sheet = resource_import.read_sheet(content, filename)
    if apply:
        return api.run(resource_import.apply, sheet, ACTOR, in_use)
    return api.run(resource_import.check, sheet, in_use)


def resources(api) -> dict[str, dict]:
    headers = api.headers("admin", user="leser")
    page = api.get("/api/v1/resources?status=draft&status=published&limit=100", headers=headers)
    assert page.status_code == 200, page.text
    return {item["name"]: api.get(f"/api/v1/resources/{item['id']}", headers=headers).json()
            for item in page.json()["items"]}


@pytest.mark.parametrize("variant", ["utf-8", "utf-8-bom", "windows-1252", "comma"])
def test_a_csv_as_excel_saves_it_is_checked_then_imported_once(api, variant):
    content = {
        "utf-8": csv_content(),
        "utf-8-bom": csv_content(bom=True),
        "windows-1252": csv_content(encoding="cp1252"),
        "comma": csv_content(delimiter=","),
    }[variant]
    expected = len(ROWS)
    dry = plan_of(api, content)
    assert not dry.problems, dry.problems
    assert [r.action for r in dry.rows] == ["create"] * expected, [(r.row, r.reasons) for r in dry.rows]
    assert resources(api) == {}  # the dry run wrote nothing

    applied = plan_of(api, content, apply=True)
    assert applied.count("create") == expected
    found = resources(api)
    assert set(found) == {r[0] for r in ROWS}
    brok = found["Brøkmester"]
    assert brok["status"] == "draft"  # imported resources are drafts unless said to be in use
    assert brok["url"] == "https://brokmester.example.no"
    assert brok["levels"] == ["5", "6", "7"] and brok["subjects"] == ["MAT"]
    assert sorted(brok["platforms"]) == ["ipad", "web"] and brok["logins"] == ["feide"]
    assert brok["in_base_package"] is True and brok["annual_cost_nok"] == 12000
    assert brok["privacy"]["dpa_status"] == "signed"
    assert brok["privacy"]["dpa_reference"] == "DBA-2024-17" and brok["privacy"]["dpa_date"] == "2024-06-14"
    # a DPA said to be signed, without its date and reference, is recorded as in progress, and said so
    assert found["Alt i ett"]["privacy"]["dpa_status"] == "in_progress"
    assert any("under arbeid" in reason for reason in applied.rows[4].reasons)
    assert found["Livssyn i dag"]["subjects"] == ["KRLE"]
    assert found["Livssyn i dag"]["levels"] == ["8", "9", "10"]
    assert found["Livssyn i dag"]["privacy"]["dpa_status"] == "in_progress"
    assert found["Eventyrskogen"]["levels"] == ["barnehage"]
    assert found["Alt i ett"]["levels"] == [str(n) for n in range(1, 11)]
    assert found["Alt i ett"]["subjects"] == ["MAT"]  # by curriculum code

    again = plan_of(api, content, apply=True)
    assert [r.action for r in again.rows] == ["unchanged"] * expected
    assert resources(api) == found


def test_a_changed_row_updates_the_resource_it_matches(api):
    plan_of(api, csv_content(), apply=True)
    before = resources(api)["Brøkmester"]
    changed = [row.copy() for row in ROWS]
    changed[0][5] = "5-10"
    changed[0][9] = "nei"
    changed[0][3] = "https://brokmester.example.no/"  # the same address, written another way
    plan = plan_of(api, csv_content(rows=changed))
    assert [r.action for r in plan.rows] == ["update"] + ["unchanged"] * (len(ROWS) - 1)
    assert plan.rows[0].resource_id == before["id"]
    assert any("Trinn" in reason for reason in plan.rows[0].reasons)
    plan_of(api, csv_content(rows=changed), apply=True)
    after = resources(api)["Brøkmester"]
    assert after["id"] == before["id"] and after["version"] == before["version"] + 1
    assert after["levels"] == [str(n) for n in range(5, 11)]
    assert after["privacy"]["dpa_status"] == "missing"
    assert after["privacy"]["processes_personal_data"] == before["privacy"]["processes_personal_data"]


def test_in_use_makes_new_resources_published_and_findable(api):
    plan_of(api, csv_content(rows=ROWS[:1]), apply=True, in_use=True)
    assert resources(api)["Brøkmester"]["status"] == "published"
    staff = api.headers("staff", user="laerer")
    found = api.get("/api/v1/resources?q=brøkmester", headers=staff).json()
    assert [item["name"] for item in found["items"]] == ["Brøkmester"]


def test_rows_that_cannot_be_used_are_refused_with_the_reason_and_the_rest_is_written(api):
    bad = [
        ["Tegneskolen", "Tegn AS", "", "https://tegn.example.no", "Skapende verktøy", "vg1", "KHV", "web", "feide",
         "ja", "nei", "", "", ""],
        ["Ukjent fag", "X AS", "", "https://x.example.no", "Øvingsverktøy", "5-7", "Matemattikk", "web", "feide",
         "ja", "nei", "", "", ""],
        ["Brøkmester", "Tallverket AS", "", "https://brokmester.example.no", "Øvingsverktøy", "5-7", "MAT", "web",
         "feide", "ja", "nei", "", "", ""],
        ["", "Uten navn AS", "", "https://utennavn.example.no", "Øvingsverktøy", "5-7", "MAT", "web", "feide",
         "ja", "nei", "", "", ""],
        ["L" * 201, "Lang AS", "", "https://lang.example.no", "Øvingsverktøy", "5-7", "MAT", "web", "feide", "ja",
         "nei", "", "", ""],
        ["Ingen adresse", "Y AS", "", "ikke en adresse", "Øvingsverktøy", "5-7", "MAT", "web", "feide", "ja",
         "nei", "", "", ""],
        ["Feil type", "Z AS", "", "https://z.example.no", "Spill", "5-7", "MAT", "web", "feide", "ja", "nei", "", "", ""],
        ["Feil orgnr", "Q AS", "123456789", "https://q.example.no", "Øvingsverktøy", "5-7", "MAT", "web", "feide",
         "ja", "nei", "", "", ""],
    ]
    plan = plan_of(api, csv_content(rows=ROWS[:1] + bad), apply=True)
    by_row = {r.row: r for r in plan.rows}
    assert by_row[2].action == "create"
    reasons = {r.row: " ".join(r.reasons) for r in plan.rows if r.action == "refused"}
    assert "ukjent trinn «vg1»" in reasons[3]
    assert "ukjent fag «Matemattikk»" in reasons[4] and "matematikk" in reasons[4]  # the closest name
    assert "samme ressurs som rad 2" in reasons[5]
    assert "«Navn» mangler" in reasons[6]
    assert "for lang (høyst 200 tegn)" in reasons[7]
    assert "nettadresse" in reasons[8]
    assert "ukjent type «Spill»" in reasons[9]
    assert "organisasjonsnummeret er ikke gyldig" in reasons[10]
    assert set(resources(api)) == {"Brøkmester"}


def test_missing_or_misspelt_columns_are_named_with_the_closest_heading(api):
    header = ["Navn", "Leverandr", "Nettadresse", "Type", "Trinnn"]
    plan = plan_of(api, csv_content(rows=[["A", "B", "https://a.example.no", "Øvingsverktøy", "5-7"]],
                                    header=header))
    assert plan.problems == ["Kolonnen «leverandør» mangler; kolonnen «Leverandr» ligner – mente du «leverandør»?"]
    assert any("«Trinnn» er ukjent" in note and "trinn" in note for note in plan.notes)
    assert plan.rows == []
    assert resources(api) == {}


def test_an_xlsx_sheet_is_read_and_its_formulas_are_reported_never_evaluated(api):
    rows = [row.copy() for row in ROWS[:2]]
    rows[1][11] = 2500  # a number cell
    content = xlsx_content(rows, formulas={(2, 5): "=CONCATENATE(\"5\",\"-7\")"})
    plan = plan_of(api, content, filename="ressurser.xlsx", apply=True)
    assert plan.rows[0].action == "create"
    assert plan.rows[1].action == "refused"
    assert "formel" in " ".join(plan.rows[1].reasons) and "regnes ikke ut" in " ".join(plan.rows[1].reasons)
    assert any("formler" in note for note in plan.notes)
    assert set(resources(api)) == {"Brøkmester"}


def test_files_that_are_not_spreadsheets_are_refused():
    for content, filename, expected in [
        (b"", "tom.csv", "empty"),
        (b"%PDF-1.4\n\x00\x01binary", "ressurser.csv", "not a text"),
        (b"PK\x03\x04not really a zip", "ressurser.xlsx", "not a valid XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "gammel.xls", ".xls"),
    ]:
        with pytest.raises(spreadsheets.SpreadsheetError) as caught:
            resource_import.read_sheet(content, filename)
        assert expected in str(caught.value)


def test_an_xlsx_whose_last_cell_is_far_down_is_refused_at_once():
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write(1_048_575, 16_383, "langt nede")
    book.close()
    with pytest.raises(spreadsheets.SpreadsheetError, match="more than 20000 rows") as caught:
        resource_import.read_sheet(out.getvalue(), "stor.xlsx")
    assert "flere enn 20000 rader" in resource_import.sheet_message(str(caught.value))


def test_a_zip_bomb_and_too_many_rows_are_refused():
    import zipfile

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<" + "a" * (60 * 1024 * 1024) + ">")
    with pytest.raises(spreadsheets.SpreadsheetError, match="too large"):
        resource_import.read_sheet(bomb.getvalue(), "bombe.xlsx")
    many = csv_content(rows=[[f"R{n}", "V", "", f"https://r{n}.example.no", "Øvingsverktøy", "5-7", "MAT", "web",
                              "feide", "ja", "nei", "", "", ""] for n in range(50_001)])
    with pytest.raises(spreadsheets.SpreadsheetError, match="more than 20000 rows"):
        resource_import.read_sheet(many, "mange.csv")


def test_the_command_line_does_a_dry_run_unless_apply_is_given(settings, tmp_path):
    sheet = tmp_path / "ressurser.csv"
    sheet.write_bytes(csv_content(encoding="cp1252"))
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "VAR_DIR", "DEMO_MODE"}}
    environment.update(DATABASE_URL=settings.database_url, VAR_DIR=str(tmp_path))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(CATALOGUE), "resources", "import", *args], env=environment, capture_output=True,
                              text=True, timeout=120)

    dry = run(str(sheet))
    assert dry.returncode == 0, dry.stderr
    assert "5 opprettes" in dry.stdout and "ingenting er skrevet" in dry.stderr
    applied = run(str(sheet), "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "5 opprettet" in applied.stdout
    again = run(str(sheet), "--apply")
    assert "0 opprettet, 0 endret, 5 uendret" in again.stdout
    (tmp_path / "ikke.xlsx").write_bytes(b"PK\x03\x04 junk")
    broken = run(str(tmp_path / "ikke.xlsx"))
    assert broken.returncode == 1 and "kan ikke leses som regneark" in broken.stderr
    assert "Traceback" not in broken.stderr


# --- export ---------------------------------------------------------------------------------------


def test_the_catalogue_exports_as_csv_xlsx_and_json_with_the_search_filters(api):
    plan_of(api, csv_content(), apply=True, in_use=True)
    staff = api.headers("staff", user="laerer")
    as_json = api.get("/api/v1/resources/export?format=json&subject=MAT", headers=staff)
    assert as_json.status_code == 200, as_json.text
    names = sorted(item["name"] for item in as_json.json()["items"])
    assert names == ["Alt i ett", "Brøkmester"]
    assert "attachment" in as_json.headers["content-disposition"]

    as_csv = api.get("/api/v1/resources/export?format=csv&level=8", headers=staff)
    assert as_csv.headers["content-type"].startswith("text/csv")
    text = as_csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Navn;Leverandør;")
    assert "Livssyn i dag" in text and "Alt i ett" in text and "Brøkmester" not in text

    as_xlsx = api.get("/api/v1/resources/export?format=xlsx&q=lesehesten", headers=staff)
    sheet = spreadsheets.read(as_xlsx.content, "eksport.xlsx")
    assert [row.cells["Navn"] for row in sheet.rows] == ["Lesehesten"]

    assert api.get("/api/v1/resources/export?format=pdf", headers=staff).status_code == 400
    assert api.get("/api/v1/resources/export?format=csv&level=13", headers=staff).status_code in (400, 422)
    assert api.get("/api/v1/resources/export?format=csv").status_code == 401


def test_the_search_page_downloads_every_hit_of_its_search_as_a_spreadsheet(api):
    plan_of(api, csv_content(), apply=True, in_use=True)
    html = {"Accept": "text/html"}
    assert "Last ned alle treffene" not in api.get("/ressurser?subject=MAT", headers=html).text  # signed out
    api.login_page("staff", user="laerer-side")
    page = api.get("/ressurser?subject=MAT", headers=html).text
    assert 'href="/ressurser/regneark?subject=MAT&amp;format=xlsx"' in page
    assert "Importer læremidler fra regneark" not in page  # only for those who may import
    sheet = api.get("/ressurser/regneark?subject=MAT&format=xlsx")
    assert sheet.status_code == 200 and "attachment" in sheet.headers["content-disposition"]
    assert sorted(row.cells["Navn"] for row in spreadsheets.read(sheet.content, "treff.xlsx").rows) == [
        "Alt i ett", "Brøkmester"]
    as_csv = api.get("/ressurser/regneark?q=lesehesten&format=csv")
    assert as_csv.headers["content-type"].startswith("text/csv") and "Lesehesten" in as_csv.content.decode("utf-8-sig")
    assert api.get("/ressurser/regneark?format=pdf").status_code == 422
    api.login_page("sector_reviewer", user="vkko-side")
    assert "Importer læremidler fra regneark" in api.get("/ressurser", headers=html).text


def test_drafts_are_exported_only_to_those_who_may_see_them(api):
    plan_of(api, csv_content(rows=ROWS[:2]), apply=True)  # drafts
    staff = api.headers("staff", user="laerer")
    assert api.get("/api/v1/resources/export?format=json", headers=staff).json()["count"] == 0
    sector = api.headers("sector_reviewer", user="vkko")
    everything = api.get("/api/v1/resources/export?format=json&status=draft", headers=sector).json()
    assert everything["count"] == 2


def test_an_exported_sheet_imports_again_unchanged(api):
    from catalogue.demo import seed_demo

    assert api.run(seed_demo) is True
    admin = api.headers("admin", user="systemeier")
    for fmt in ("csv", "xlsx"):
        exported = api.get(f"/api/v1/resources/export?format={fmt}&status=published&status=draft", headers=admin)
        assert exported.status_code == 200
        plan = plan_of(api, exported.content, filename=f"eksport.{fmt}")
        assert not plan.problems
        assert plan.rows and {r.action for r in plan.rows} == {"unchanged"}, \
            [(r.row, r.name, r.reasons) for r in plan.rows if r.action != "unchanged"][:5]


# --- the page ------------------------------------------------------------------------------------

HTML = {"Accept": "text/html"}


def _upload(api, csrf: str, content: bytes, filename: str = "ressurser.csv", in_use: str = "nei"):
    return api.post("/ressurser/import", data={"_csrf_token": csrf, "in_use": in_use},
                    files={"file": (filename, content, "text/csv")}, headers=HTML, follow_redirects=False)


def _location(response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:800])
    return response.headers["location"]


def test_the_sector_office_checks_a_sheet_on_the_page_then_confirms_it(api):
    import re

    csrf = api.login_page("sector_reviewer", user="vkko")
    form = api.get("/ressurser/import", headers=HTML)
    assert form.status_code == 200 and "Sjekk regnearket" in form.text
    empty = _upload(api, csrf, b"")
    assert empty.status_code == 422 and "Filen er tom." in empty.text

    content = csv_content(encoding="cp1252", rows=ROWS + [["Tegneskolen", "Tegn AS", "", "https://t.example.no",
                                                           "Skapende verktøy", "vg1", "KHV", "web", "feide", "nei",
                                                           "nei", "", "", ""]])
    result = api.get(_location(_upload(api, csrf, content, in_use="ja")), headers=HTML).text
    assert "Sjekket. Ingenting er endret ennå." in result
    assert "Opprettes" in result and "Avvist" in result and "ukjent trinn «vg1»" in result
    assert resources(api) == {}
    import_id = re.search(r'action="/ressurser/import/(\d+)/bruk"', result)[1]
    done = api.post(f"/ressurser/import/{import_id}/bruk", data={"_csrf_token": csrf}, headers=HTML,
                    follow_redirects=False)
    shown = api.get(_location(done), headers=HTML).text
    assert "Importert" in shown and "Opprettet" in shown
    found = resources(api)
    assert len(found) == len(ROWS) and all(r["status"] == "published" for r in found.values())
    again = api.post(f"/ressurser/import/{import_id}/bruk", data={"_csrf_token": csrf}, headers=HTML,
                     follow_redirects=False)
    assert again.status_code == 409 and "allerede importert" in again.text
    assert len(resources(api)) == len(ROWS)


def test_a_confirmation_after_the_catalogue_changed_is_refused_and_nothing_is_written(api):
    import re

    csrf = api.login_page("admin", user="systemeier")
    first = api.get(_location(_upload(api, csrf, csv_content(rows=ROWS[:2]))), headers=HTML).text
    first_id = re.search(r'action="/ressurser/import/(\d+)/bruk"', first)[1]
    plan_of(api, csv_content(rows=ROWS[:1]), apply=True)  # someone imports Brøkmester meanwhile
    stale = api.post(f"/ressurser/import/{first_id}/bruk", data={"_csrf_token": csrf}, headers=HTML,
                     follow_redirects=False)
    assert stale.status_code == 409 and "Katalogen er endret" in stale.text
    assert set(resources(api)) == {"Brøkmester"}


def test_a_broken_or_misheaded_sheet_is_explained_on_the_page(api):
    csrf = api.login_page("sector_reviewer", user="vkko")
    broken = _upload(api, csrf, b"PK\x03\x04junk", filename="ark.xlsx")
    assert broken.status_code == 422 and "ikke et gyldig XLSX-regneark" in broken.text
    misheaded = api.get(_location(_upload(api, csrf, csv_content(
        header=["Navn", "Leverandr", "Nettadresse", "Type"], rows=[["A", "B", "https://a.example.no", "x"]]))),
        headers=HTML).text
    assert "Regnearket kan ikke importeres" in misheaded and "mente du «leverandør»?" in misheaded
    assert 'action="/ressurser/import/' not in misheaded  # nothing to confirm


def test_only_the_sector_office_and_admins_import(api):
    api.login_page("ict_mentor", user="mentor")
    assert api.get("/ressurser/import", headers=HTML).status_code == 403
