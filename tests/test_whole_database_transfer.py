"""Moving a whole instance: ``catalogue export --all`` from one engine, ``catalogue import --all``
into an empty database of the other, and back, without losing or changing a row; the audit chain
still verifies; a cut or altered file, or a database that is not empty, is refused with nothing
written."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from litestar.testing import TestClient

from tests.conftest import Api, _pg_admin, _pg_url_for, _settings
from tests.test_workflow_support import Flow

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / ".venv" / "bin" / "catalogue"


def _cli(*args: str, database_url: str, var_dir: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "SIGNING_KEY", "SIGNING_KEY_FILE", "DEMO_MODE", "VAR_DIR"}}
    environment.update(DATABASE_URL=database_url, VAR_DIR=str(var_dir))
    return subprocess.run([str(CATALOGUE), *args], env=environment, capture_output=True, text=True, timeout=300)


@pytest.fixture
def other_database_url(backend, templates, tmp_path):
    """A fresh, migrated database of the other engine than the test's."""
    if backend == "postgresql":
        target = tmp_path / "target.sqlite3"
        shutil.copyfile(templates["sqlite"], target)
        yield f"sqlite:///{target}"
        return
    name = f"lk_move_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{templates["postgresql"]}"'))
    yield _pg_url_for(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _lines(path: Path) -> list[dict | list]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def _tables(path: Path) -> dict[str, dict]:
    """The file as {table: {"columns": [...], "rows": [{column: value}]}}."""
    lines = _lines(path)
    header = lines[0]
    columns = {t["name"]: [c[0] for c in t["columns"]] for t in header["tables"]}
    tables: dict[str, dict] = {}
    current = None
    for line in lines[1:]:
        if isinstance(line, dict) and "table" in line:
            current = line["table"]
            tables[current] = {"columns": columns[current], "rows": []}
        elif isinstance(line, list):
            tables[current]["rows"].append(dict(zip(columns[current], line)))
    return tables


def _populate(api: Api) -> dict[str, int]:
    """The demo data, then cases in several states with attachments, comments and notifications."""
    from catalogue.demo import seed_demo

    assert api.run(seed_demo) is True
    flow = Flow(api)
    cases = {state: flow.to_state(state, name=f"Ressurs i {state}") for state in
             ("draft", "pedagogical_review", "privacy_review", "returned", "approved")}
    flow.attach(cases["privacy_review"], "other", filename="Notat æøå.pdf")
    comment = api.post(f"/api/v1/cases/{cases['draft']}/comments", json={"text": "Se på lisensen, takk."},
                       headers=flow.mentor)
    assert comment.status_code in (200, 201), comment.text
    return cases


def test_a_database_moves_to_the_other_engine_and_back_unchanged(api, settings, other_database_url, tmp_path):
    cases = _populate(api)
    first, second = tmp_path / "first.jsonl.gz", tmp_path / "second.jsonl"

    exported = _cli("export", "--all", str(first), database_url=settings.database_url, var_dir=tmp_path)
    assert exported.returncode == 0, exported.stderr
    imported = _cli("import", "--all", str(first), database_url=other_database_url, var_dir=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "Imported" in imported.stdout and "workflow_case" in imported.stdout
    verified = _cli("audit", "verify", database_url=other_database_url, var_dir=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "intact" in verified.stdout
    again = _cli("export", "--all", str(second), database_url=other_database_url, var_dir=tmp_path)
    assert again.returncode == 0, again.stderr

    source, target = _tables(first), _tables(second)
    assert source.keys() == target.keys()
    for table in source:
        assert source[table]["columns"] == target[table]["columns"], table
        assert len(source[table]["rows"]) == len(target[table]["rows"]), table
        for before, after in zip(source[table]["rows"], target[table]["rows"]):
            assert before == after, table
    # every part of the instance is carried, not only the catalogue
    for table in ("resource", "privacy_record", "accessibility_record", "resource_facet", "unit", "app_user",
                  "user_role", "workflow_case", "case_event", "case_attachment", "notification", "audit_log",
                  "privacy_history", "equipment_kind", "equipment_holding", "role_change"):
        assert source[table]["rows"], f"{table} is empty in the export"
    assert {r["id"] for r in source["workflow_case"]["rows"]} >= set(cases.values())
    lines_first, lines_second = _lines(first), _lines(second)
    assert lines_first[-1]["tables"] == lines_second[-1]["tables"]  # counts and checksums per table
    assert lines_first[0]["source_engine"] != lines_second[0]["source_engine"]

    # the moved instance works: search finds an imported resource, and new rows get new ids
    settings_target = _settings(other_database_url, tmp_path / "target", settings.signing_key_pem)
    from catalogue.app import create_app

    with TestClient(create_app(settings_target), raise_server_exceptions=False) as client:
        moved = Api(client)
        admin = moved.headers("admin", user="ny-admin")
        found = moved.get("/api/v1/resources?q=Salaby", headers=admin)
        assert found.status_code == 200, found.text
        assert any(item["name"] == "Salaby" for item in found.json()["items"])
        unit = moved.post("/api/v1/units", json={"code": "ny-skole", "name": "Ny skole", "kind": "skole"},
                          headers=admin)
        assert unit.status_code == 201, unit.text  # a new id, past the imported ones
        units = moved.get("/api/v1/units", headers=admin)
        assert len(units.json()) == len(source["unit"]["rows"]) + 1
    verified = _cli("audit", "verify", database_url=other_database_url, var_dir=tmp_path)
    assert verified.returncode == 0, verified.stderr


def test_a_database_that_is_not_empty_is_refused_unless_replace_is_asked(api, settings, other_database_url,
                                                                          tmp_path):
    _populate(api)
    export = tmp_path / "all.jsonl"
    assert _cli("export", "--all", str(export), database_url=settings.database_url, var_dir=tmp_path).returncode == 0
    before = _tables(export)

    refused = _cli("import", "--all", str(export), database_url=settings.database_url, var_dir=tmp_path)
    assert refused.returncode == 1
    assert "not empty" in refused.stderr and "--replace" in refused.stderr
    assert "Nothing was imported" in refused.stderr

    replaced = _cli("import", "--all", "--replace", str(export), database_url=settings.database_url,
                    var_dir=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    after_file = tmp_path / "after.jsonl"
    assert _cli("export", "--all", str(after_file), database_url=settings.database_url,
                var_dir=tmp_path).returncode == 0
    assert _tables(after_file) == before
    assert _cli("audit", "verify", database_url=settings.database_url, var_dir=tmp_path).returncode == 0
    # the audit log is append-only again after the replacement
    with pytest.raises(Exception):
        api.run(_delete_audit_rows)


async def _delete_audit_rows() -> None:
    from workflows.tables import AuditEntry

    await AuditEntry.delete(force=True)


def _row_count(url: str, tmp_path: Path) -> str:
    done = _cli("export", "--all", str(tmp_path / "probe.jsonl"), database_url=url, var_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith("resource ")][0].split()[1]


def test_cut_altered_or_foreign_files_are_refused_and_nothing_is_written(api, settings, other_database_url,
                                                                         tmp_path):
    _populate(api)
    plain, packed = tmp_path / "all.jsonl", tmp_path / "all.jsonl.gz"
    for path in (plain, packed):
        assert _cli("export", "--all", str(path), database_url=settings.database_url,
                    var_dir=tmp_path).returncode == 0
    text = plain.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    salaby = next(i for i, line in enumerate(lines) if line.startswith("[") and '"Salaby"' in line)
    altered = lines.copy()
    altered[salaby] = altered[salaby].replace('"Salaby"', '"Sa1aby"')
    extra_row = lines.copy()
    extra_row.insert(salaby, lines[salaby])
    cases = {
        "cut.jsonl": ("".join(lines[: len(lines) // 2]), "cut short"),
        "cut-mid-line.jsonl": (text[: len(text) - 40], "cut short"),
        "altered.jsonl": ("".join(altered), "altered"),
        "extra-row.jsonl": ("".join(extra_row), "altered"),
        "ressurser.csv": ("navn;leverandør\nSalaby;Gyldendal\n", "not a database export"),
        "empty.jsonl": ("", "empty"),
    }
    for name, (content, expected) in cases.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "cut.jsonl.gz").write_bytes(packed.read_bytes()[: packed.stat().st_size // 2])
    cases["cut.jsonl.gz"] = ("", "cut short")
    for name, (_, expected) in cases.items():
        result = _cli("import", "--all", str(tmp_path / name), database_url=other_database_url, var_dir=tmp_path)
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert "Nothing was imported" in result.stderr and expected in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr
    assert _row_count(other_database_url, tmp_path) == "0"
