"""The LK20 curriculum from Udir's Grep: the import (recorded answers in Grep's own shape, never
the network), a replaced curriculum moving its subject and the resources' aims, Grep failing,
and competence aims on resources through the API and the search."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from catalogue.curriculum.grep import GrepClient, GrepError
from catalogue.curriculum.importer import import_curriculum
from catalogue.curriculum.recorded import recorded_transport
from tests.conftest import resource_body

RECORDED = Path(__file__).parent / "data" / "grep"
BASE = "https://grep.test/kl06/v201906"


async def _no_wait(seconds: float) -> None:
    return None


def _import(api, transport: httpx.AsyncBaseTransport, retries: int = 0):
    async def run():
        async with GrepClient(BASE, transport=transport, retries=retries, sleep=_no_wait) as client:
            return await import_curriculum(client)

    return api.run(run)


def _before_replacement() -> httpx.MockTransport:
    """Grep as it was before MAT01-06: MAT01-05 is not replaced yet."""
    def answer(request: httpx.Request) -> httpx.Response:
        kind, code = request.url.path.split("/")[-2:]
        file = RECORDED / kind / f"{code}.json"
        if kind == "laereplaner-lk20" and code == "MAT01-06" or not file.is_file():
            return httpx.Response(404)
        doc = json.loads(file.read_text("utf-8"))
        doc["erstattes-av"] = []
        return httpx.Response(200, json=doc)

    return httpx.MockTransport(answer)


def _aims(api, headers, **params):
    found = api.get("/api/v1/competence-aims", params=params, headers=headers)
    assert found.status_code == 200, found.text
    return found.json()


def test_the_import_reads_the_aims_with_bokmal_nynorsk_and_trinn_and_a_second_run_changes_nothing(api):
    staff = api.headers("staff")
    report = _import(api, recorded_transport(RECORDED))
    assert report.changed and report.aims_added == 12 and not report.subjects_moved
    skipped = dict(report.skipped)
    assert skipped["FSP"] == "no curriculum code" and "NAT01-04" in skipped["NAT"]

    middle = _aims(api, staff, subject="MAT", level="6")
    assert [a["code"] for a in middle["items"]] == ["KM4010", "KM4011"] and middle["total"] == 2
    fraction = middle["items"][0]
    assert fraction["curriculum"] == "MAT01-06" and fraction["trinn"] == "7" and fraction["levels"] == ["5", "6", "7"]
    assert fraction["text_nb"].startswith("utforske og beskrive brøk som del av en hel")
    assert fraction["text_nn"].startswith("utforske og beskrive brøk som del av ein heil")
    # the previous curriculum's aims are kept, not offered
    assert "KM33" not in [a["code"] for a in _aims(api, staff, subject="MAT")["items"]]
    old = api.get("/api/v1/competence-aims/KM33", headers=staff).json()
    assert old["is_current"] is False and old["replaced_by"] == "KM4001"

    searched = _aims(api, staff, q="programmere løkker")
    assert [a["code"] for a in searched["items"]] == ["KM4011"]
    assert [a["code"] for a in _aims(api, staff, q="forståing")["items"]] == ["KM5001"]  # nynorsk words too

    again = _import(api, recorded_transport(RECORDED))
    assert not again.changed and again.aims_added == again.aims_updated == again.aims_retired == 0


def test_a_replaced_curriculum_moves_the_subject_and_maps_the_aims_grep_links(api):
    admin = api.headers("admin")
    moved = api.patch("/api/v1/subjects/MAT", json={"curriculum_code": "MAT01-05", "previous_curriculum_code": None},
                      headers=admin)
    assert moved.status_code == 200, moved.text
    first = _import(api, _before_replacement())
    assert not first.subjects_moved
    created = api.post("/api/v1/resources", json=resource_body(competence_aims=["KM33", "KM35", "KM36"]),
                       headers=admin)
    assert created.status_code == 201, created.text
    resource_id = created.json()["id"]

    report = _import(api, recorded_transport(RECORDED))
    assert report.subjects_moved == [("MAT", "MAT01-05", "MAT01-06")]
    assert [(u.resource_id, u.code) for u in report.unmapped] == [(resource_id, "KM35")]
    assert report.resources_changed == [resource_id]
    subject = api.get("/api/v1/subjects/MAT", headers=admin).json()
    assert subject["curriculum_code"] == "MAT01-06" and subject["previous_curriculum_code"] == "MAT01-05"
    resource = api.get(f"/api/v1/resources/{resource_id}", headers=admin).json()
    assert resource["competence_aims"] == ["KM4001", "KM35", "KM4010"]  # the unlinked aim is kept
    assert resource["subjects"] == ["MAT"] and resource["tags"] == created.json()["tags"]

    staff = api.headers("staff")
    by_aim = api.get("/api/v1/resources", params={"aim": "KM4010"}, headers=staff).json()
    assert [r["id"] for r in by_aim["items"]] == [resource_id]
    assert api.get("/api/v1/resources", params={"aim": "KM36"}, headers=staff).json()["total"] == 0
    by_words = api.get("/api/v1/resources", params={"q": "tallinja"}, headers=staff).json()
    assert [r["id"] for r in by_words["items"]] == [resource_id]

    again = _import(api, recorded_transport(RECORDED))
    assert not again.changed and [u.code for u in again.unmapped] == ["KM35"]
    assert api.get(f"/api/v1/resources/{resource_id}", headers=admin).json()["version"] == resource["version"]


def test_a_resource_takes_only_aims_the_import_knows(api):
    admin = api.headers("admin")
    _import(api, recorded_transport(RECORDED))
    unknown = api.post("/api/v1/resources", json=resource_body(competence_aims=["KM4010", "KM9999"]), headers=admin)
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in unknown.json()["errors"]] == ["competence_aims"]
    assert "KM9999" in unknown.json()["errors"][0]["message"]
    created = api.post("/api/v1/resources", json=resource_body(competence_aims=["KM4010"]), headers=admin)
    assert created.status_code == 201
    patched = api.patch(f"/api/v1/resources/{created.json()['id']}", json={"competence_aims": ["KM0000"]},
                        headers={**admin, "If-Match": created.headers["ETag"]})
    assert patched.status_code == 422 and patched.json()["errors"][0]["field"] == "competence_aims"
    malformed = api.get("/api/v1/resources", params={"aim": "mat 01"}, headers=admin)
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "aim"


def test_the_aim_list_refuses_unknown_subjects_and_trinn_naming_the_field(api):
    staff = api.headers("staff")
    for params, field in (({"subject": "XYZ"}, "subject"), ({"level": "11"}, "level"),
                          ({"level": "barnehage"}, "level")):
        refused = api.get("/api/v1/competence-aims", params=params, headers=staff)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field
    assert api.get("/api/v1/competence-aims/KM1", headers=staff).status_code == 404
    assert api.get("/api/v1/competence-aims").status_code == 401


def _failing(kind: str) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/kompetansemaal-lk20/KM4011"):
            if kind == "timeout":
                raise httpx.ReadTimeout("slow", request=request)
            if kind == "broken":
                return httpx.Response(502, text="Bad gateway")
            if kind == "html":
                return httpx.Response(200, text="<html>Vedlikehold</html>")
            if kind == "shape":
                return httpx.Response(200, json=[{"kode": 1}])
        return recorded_transport(RECORDED).handle_request(request)

    return httpx.MockTransport(answer)


@pytest.mark.parametrize("kind, says", [("timeout", "in time"), ("broken", "502"), ("html", "not JSON"),
                                        ("shape", "not a Grep element")])
def test_grep_failing_is_reported_and_nothing_is_written(api, kind, says):
    with pytest.raises(GrepError, match=says):
        _import(api, _failing(kind), retries=2)
    assert _aims(api, api.headers("staff"), include_replaced="true")["total"] == 0
    assert api.get("/api/v1/subjects/MAT", headers=api.headers("staff")).json()["curriculum_code"] == "MAT01-06"


def test_a_slow_answer_is_tried_again(api):
    calls = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("/KM4011") and calls.count(request.url.path) == 1:
            raise httpx.ConnectTimeout("slow", request=request)
        return recorded_transport(RECORDED).handle_request(request)

    report = _import(api, httpx.MockTransport(answer), retries=1)
    assert report.aims_added == 12 and calls.count(calls[-1]) >= 1


def test_the_resource_page_lists_its_aims_with_their_text(api):
    admin = api.headers("admin")
    _import(api, recorded_transport(RECORDED))
    created = api.post("/api/v1/resources", json=resource_body(competence_aims=["KM4011", "KM4010"]), headers=admin)
    page = api.get(f"/ressurser/{created.json()['id']}")
    assert page.status_code == 200
    html = page.text
    assert "Kompetansemål i læreplanen (LK20)" in html
    assert html.index("KM4011") < html.index("KM4010")  # in the order they were tagged
    assert "lage og programmere algoritmer med bruk av variabler" in html and "etter 7. trinn" in html


def test_the_demo_has_aims_and_resources_tagged_with_them(api):
    from catalogue.demo import seed_demo

    assert api.run(seed_demo) is True
    staff = api.headers("staff")
    assert _aims(api, staff, subject="NOR")["total"] == 2
    found = api.get("/api/v1/resources", params={"aim": "KM4010"}, headers=staff).json()
    assert [r["name"] for r in found["items"]] == ["Matemania"]
    assert api.run(seed_demo) is False


def test_the_command_imports_once_and_says_so_and_a_failing_grep_writes_nothing(settings, monkeypatch, capsys):
    from catalogue.cli import main
    from catalogue.curriculum import cli

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VAR_DIR", str(settings.var_dir))
    monkeypatch.delenv("DEMO_MODE", raising=False)
    transport = {"now": recorded_transport(RECORDED)}

    def recorded_client(base_url, timeout, retries, on_request):
        return GrepClient(base_url, transport=transport["now"], timeout=timeout, retries=retries, sleep=_no_wait,
                          on_request=on_request)

    monkeypatch.setattr(cli, "grep_client", recorded_client)
    transport["now"] = httpx.MockTransport(lambda request: httpx.Response(503))
    assert main(["curriculum", "import", "--retries", "1"]) == 1
    failed = capsys.readouterr()
    assert "Nothing was imported. Grep answered 503" in failed.err and "after 2 tries" in failed.err

    transport["now"] = recorded_transport(RECORDED)
    assert main(["curriculum", "import"]) == 0
    first = capsys.readouterr().out
    assert "Competence aims: 12 added, 0 updated" in first and "Skipped FSP: no curriculum code" in first
    assert main(["curriculum", "import"]) == 0
    assert "Nothing changed: the catalogue already matches Grep." in capsys.readouterr().out


def test_the_coverage_shows_per_subject_and_trinn_the_aims_no_base_package_resource_has(api):
    admin = api.headers("admin")
    _import(api, recorded_transport(RECORDED))
    assert api.post("/api/v1/resources", json=resource_body(competence_aims=["KM4010"]), headers=admin).status_code == 201
    # a draft, and a resource outside the base package, cover nothing
    api.post("/api/v1/resources", json=resource_body(name="Utkastet", url="https://utkast.example.no", status="draft",
                                                     competence_aims=["KM4011"]), headers=admin)
    api.post("/api/v1/resources", json=resource_body(name="Utenfor", url="https://utenfor.example.no",
                                                     in_base_package=False, competence_aims=["KM4001"]), headers=admin)
    reviewer = api.headers("sector_reviewer")
    groups = api.get("/api/v1/competence-aims/coverage", params={"subject": "MAT"}, headers=reviewer).json()
    assert [(g["subject"], g["trinn"], g["aims"], g["covered"]) for g in groups] == [("MAT", "2", 3, 0), ("MAT", "7", 2, 1)]
    assert [a["code"] for a in groups[1]["uncovered"]] == ["KM4011"]
    sixth = api.get("/api/v1/competence-aims/coverage", params={"level": "6"}, headers=reviewer).json()
    assert {(g["subject"], g["trinn"]) for g in sixth} == {("MAT", "7"), ("ENG", "7")}
    assert api.get("/api/v1/competence-aims/coverage", headers=api.headers("staff")).status_code == 403
    refused = api.get("/api/v1/competence-aims/coverage", params={"level": "12"}, headers=reviewer)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "level"


def test_the_coverage_page_lists_the_uncovered_aims_for_the_sector_office(api):
    admin = api.headers("admin")
    _import(api, recorded_transport(RECORDED))
    api.post("/api/v1/resources", json=resource_body(competence_aims=["KM4010"]), headers=admin)
    api.login_page("sector_reviewer")
    page = api.get("/kompetansemaal/dekning", params={"fag": "MAT", "trinn": "6"})
    assert page.status_code == 200
    assert "Matematikk, etter 7. trinn" in page.text and "1 av 2 kompetansemål" in page.text
    assert "KM4011" in page.text and "KM4010</strong>" not in page.text
    unknown = api.get("/kompetansemaal/dekning", params={"fag": "XYZ"})
    assert unknown.status_code == 200 and "Faget finnes ikke" in unknown.text
