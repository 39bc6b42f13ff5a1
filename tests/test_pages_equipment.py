"""The equipment pages, as a person uses them without JavaScript: forms post back, errors come
back in Norwegian on the same form with what was typed, a stale form is refused without losing
anything, and the ICT mentor's view is of their own units."""

from __future__ import annotations

import datetime
import io
import re

import openpyxl

from tests.conftest import resource_body

HTML = {"Accept": "text/html"}
TODAY = datetime.date.today()


def post(api, path: str, csrf: str, data: dict, **kwargs):
    return api.post(path, data={**data, "_csrf_token": csrf}, headers=HTML, follow_redirects=False, **kwargs)


def redirected(response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:800])
    return response.headers["location"]


def setup(api) -> None:
    admin = api.headers("admin")
    for code, name, kind in (("nord-skole", "Nord skole", "skole"), ("sor-skole", "Sør skole", "skole")):
        api.post("/api/v1/units", json={"code": code, "name": name, "kind": kind}, headers=admin)
    api.post("/api/v1/equipment/kinds", json={"code": "elevnettbrett", "name": "Elevnettbrett",
                                              "category": "pupil_device", "lifetime_years": 4,
                                              "typical_price_nok": 4000, "personal_pupil_device": True},
             headers=api.headers("tech_approver"))


def test_a_mentor_registers_devices_and_counts_for_their_own_unit(api):
    setup(api)
    csrf = api.login_page("ict_mentor", units=("nord-skole",))
    overview = api.get("/utstyr", headers=HTML)
    assert overview.status_code == 200 and "Nord skole" in overview.text and "Sør skole" not in overview.text
    assert api.get("/utstyr/enheter/sor-skole", headers=HTML).status_code == 403
    bad = post(api, "/utstyr/enheter/nord-skole/beholdning", csrf,
               {"kind": "elevnettbrett", "count": "-2", "acquired_on": (TODAY + datetime.timedelta(days=3)).isoformat(),
                "funded_by": "investment", "model": "iPad"})
    assert bad.status_code == 422
    assert 'href="#f-count"' in bad.text and 'id="f-count"' in bad.text
    assert "1 eller større" in bad.text and 'value="iPad"' in bad.text
    later = post(api, "/utstyr/enheter/nord-skole/beholdning", csrf,
                 {"kind": "elevnettbrett", "count": "2", "acquired_on": (TODAY + datetime.timedelta(days=3)).isoformat(),
                  "funded_by": "investment"})
    assert later.status_code == 422 and "fram i tid" in later.text
    page = redirected(post(api, "/utstyr/enheter/nord-skole/beholdning", csrf,
                           {"kind": "elevnettbrett", "count": "12", "acquired_on": "2023-08-01",
                            "funded_by": "unit_budget", "model": "iPad 10"}))
    shown = api.get(page, headers=HTML).text
    assert "Utstyret er registrert." in shown and "iPad 10" in shown
    counts = post(api, "/utstyr/enheter/nord-skole/tall", csrf, {"pupils": "-1", "classrooms": "3", "version": "0"})
    assert counts.status_code == 422 and "0 eller større" in counts.text
    redirected(post(api, "/utstyr/enheter/nord-skole/tall", csrf, {"pupils": "40", "classrooms": "3", "version": "0"}))
    stale = post(api, "/utstyr/enheter/nord-skole/tall", csrf, {"pupils": "41", "classrooms": "3", "version": "0"})
    assert stale.status_code == 409 and "Noen andre har endret" in stale.text and 'value="41"' in stale.text
    holding_id = re.search(r'href="/utstyr/beholdning/(\d+)"', api.get("/utstyr/enheter/nord-skole", headers=HTML).text)[1]
    edit = api.get(f"/utstyr/beholdning/{holding_id}", headers=HTML)
    version = re.search(r'name="version" value="(\d+)"', edit.text)[1]
    redirected(post(api, f"/utstyr/beholdning/{holding_id}", csrf,
                     {"kind": "elevnettbrett", "count": "15", "acquired_on": "2023-08-01", "funded_by": "unit_budget",
                      "version": version}))
    assert post(api, f"/utstyr/beholdning/{holding_id}/slett", csrf, {"version": version}).status_code == 409
    unit = api.get("/utstyr/enheter/nord-skole", headers=HTML).text
    assert "38 %" in unit  # 15 devices for 40 pupils
    redirected(post(api, f"/utstyr/beholdning/{holding_id}/slett", csrf, {"version": str(int(version) + 1)}))
    assert "Ingen utstyr er registrert." in api.get("/utstyr/enheter/nord-skole", headers=HTML).text


def test_a_sheet_is_checked_then_read_in_on_the_page(api):
    setup(api)
    csrf = api.login_page("ict_mentor", units=("nord-skole",))
    sheet = "type;antall;anskaffet;finansiert\nelevnettbrett;9;01.08.2024;Enhetens budsjett\n".encode("cp1252")
    refused = api.post("/utstyr/enheter/nord-skole/import", data={"_csrf_token": csrf, "mode": "replace"},
                       files={"file": ("tom.csv", b"", "text/csv")}, headers=HTML, follow_redirects=False)
    assert refused.status_code == 422 and "Filen er tom." in refused.text
    checked = api.post("/utstyr/enheter/nord-skole/import", data={"_csrf_token": csrf, "mode": "replace"},
                       files={"file": ("ark.csv", sheet, "text/csv")}, headers=HTML, follow_redirects=False)
    result = api.get(redirected(checked), headers=HTML).text
    assert "Sjekket, uten feil" in result and "Les inn 1 rader" in result
    import_id = re.search(r'action="/utstyr/import/(\d+)/bruk"', result)[1]
    shown = api.get(redirected(post(api, f"/utstyr/import/{import_id}/bruk", csrf, {})), headers=HTML).text
    assert "Regnearket er lest inn" in shown and ">9<" in shown
    again = post(api, f"/utstyr/import/{import_id}/bruk", csrf, {})
    assert again.status_code == 409 and "allerede lest inn" in again.text
    wrong = "type,antall,anskaffet,finansiert,enhet\nelevnettbrett,3,2024-01-01,budsjett,sor-skole\n".encode()
    checked = api.post("/utstyr/enheter/nord-skole/import", data={"_csrf_token": csrf, "mode": "append"},
                       files={"file": ("ark.csv", wrong, "text/csv")}, headers=HTML, follow_redirects=False)
    assert "som du ikke er IKT-veileder for" in api.get(redirected(checked), headers=HTML).text


def test_the_sector_office_proposes_and_the_technology_department_approves_on_pages(api):
    setup(api)
    resource = api.post("/api/v1/resources", json=resource_body(name="Nettbrettskolen"), headers=api.headers("admin")).json()
    csrf = api.login_page("sector_reviewer")
    form = api.get("/utstyr/standard/skole/ny", headers=HTML)
    assert form.status_code == 200 and 'name="elevnettbrett-basis"' in form.text
    bad = post(api, "/utstyr/standard/skole/ny", csrf,
               {"valid_from": TODAY.isoformat(), "rationale": "1:1", "revision": "0", "send": "ja",
                "elevnettbrett-basis": "per_pupil", "elevnettbrett-quantity": "-1", "elevnettbrett-per_n": "1"})
    assert bad.status_code == 422 and 'href="#f-elevnettbrett-quantity"' in bad.text
    created = post(api, "/utstyr/standard/skole/ny", csrf,
                   {"valid_from": TODAY.isoformat(), "rationale": "1:1", "revision": "0", "send": "ja",
                    "elevnettbrett-basis": "per_pupil", "elevnettbrett-quantity": "1", "elevnettbrett-per_n": "1"})
    location = redirected(created)
    change_page = location.split("?")[0]
    assert "sendt til teknologi og endring" in api.get(location, headers=HTML).text
    # a second proposal from the same (now replaced-to-be) standard
    replaced = post(api, "/utstyr/standard/skole/ny", csrf,
                    {"valid_from": TODAY.isoformat(), "rationale": "Annet", "revision": "0", "send": "nei",
                     "elevnettbrett-basis": "per_pupil", "elevnettbrett-quantity": "2", "elevnettbrett-per_n": "1"})
    redirected(replaced)
    api.client.cookies.clear()
    csrf = api.login_page("tech_approver")
    page = api.get(change_page, headers=HTML).text
    version = re.search(r'name="version" value="(\d+)"', page)[1]
    redirected(post(api, change_page + "/beslutning", csrf, {"action": "approve", "version": version}))
    standard = api.get("/utstyr/standard", headers=HTML).text
    assert "1 per elev" in standard and "Erstattet av en annen endring" in standard
    # the kind pages: the technology department links the resource; the resource page says so
    kind = api.get("/utstyr/typer/elevnettbrett", headers=HTML)
    assert kind.status_code == 200
    redirected(post(api, "/utstyr/typer/elevnettbrett/ressurser", csrf, {"resource": str(resource["id"])}))
    assert "Elevnettbrett" in api.get(f"/ressurser/{resource['id']}", headers=HTML).text.split("Utstyr som trengs")[1]
    bad_kind = post(api, "/utstyr/typer", csrf, {"code": "Ugyldig kode", "name": "", "category": "display",
                                                 "lifetime_years": "0", "typical_price_nok": "10"})
    assert bad_kind.status_code == 422 and 'href="#f-lifetime_years"' in bad_kind.text
    xlsx = api.get("/utstyr/eksport?format=xlsx", headers=HTML)
    assert xlsx.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "Enheter"
