"""Setting up a database: migrations on an empty database, the command line, and the demo data."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import asyncpg
import pytest

from catalogue.curriculum.aims import TABLES as AIM_TABLES
from catalogue.dataio.tables import TABLES as DATAIO_TABLES
from catalogue.domain import ALL_ROLES
from catalogue.privacy_docs.history import TABLES as HISTORY_TABLES
from catalogue.search.index import INDEX_TABLES
from catalogue.search.synonyms import TABLES as SYNONYM_TABLES
from catalogue.tables import TABLES
from catalogue.tips import TABLES as TIP_TABLES
from catalogue.guides import TABLES as GUIDE_TABLES
from workflows.consultations import TABLES as CONSULTATION_TABLES
from catalogue.base_package import TABLES as FOLLOWING_TABLES
from equipment.tables import TABLES as EQUIPMENT_TABLES
from workflows.tables import TABLES as WORKFLOW_TABLES
from tests.conftest import _pg_admin, _pg_url_for, _settings, resource_body

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / ".venv" / "bin" / "catalogue"
DATA = ROOT / "catalogue" / "data"
MIGRATION_IDS = sorted(
    line.split("=", 1)[1].strip().strip('"')
    for path in (ROOT / "migrations").glob("*/*.py")
    for line in path.read_text(encoding="utf-8").splitlines()
    if line.startswith("ID = ")
)
# every table the application uses, made by the migrations, plus Piccolo's own record of them
EXPECTED_TABLES = ({t._meta.tablename for t in (*TABLES, *WORKFLOW_TABLES, *EQUIPMENT_TABLES, *DATAIO_TABLES)} | {"migration"}
                   | HISTORY_TABLES | TIP_TABLES | CONSULTATION_TABLES | GUIDE_TABLES | FOLLOWING_TABLES
                   | AIM_TABLES)


def _expected_tables(database_url: str) -> set[str]:
    """EXPECTED_TABLES and the search index's tables, which differ between the engines."""
    return EXPECTED_TABLES | SYNONYM_TABLES | INDEX_TABLES["sqlite" if database_url.startswith("sqlite") else "postgresql"]


def _demo(name: str) -> list[dict]:
    return json.loads((DATA / "demo" / name).read_text(encoding="utf-8"))


def _level_codes() -> list[str]:
    with open(DATA / "levels.csv", newline="", encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


# --- an empty database of each kind ---------------------------------------------------------


@pytest.fixture
def empty_database_url(backend, tmp_path) -> str:
    """A database with nothing in it: a file path that does not exist yet, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'fresh.sqlite3'}"
        return
    name = f"lk_empty_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url_for(name)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _inspect(database_url: str) -> tuple[set[str], dict[str, int]]:
    """Table names and the row counts of the reference tables, read outside the application."""
    counted = ("level", "subject", "kindergarten_area", "migration")
    if database_url.startswith("sqlite:///"):
        connection = sqlite3.connect(database_url[len("sqlite:///"):])
        try:
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                      if not r[0].startswith("sqlite_")}
            counts = {t: connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in counted if t in tables}
        finally:
            connection.close()
        return tables, counts

    async def read() -> tuple[set[str], dict[str, int]]:
        connection = await asyncpg.connect(database_url)
        try:
            rows = await connection.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            tables = {r["table_name"] for r in rows}
            counts = {t: await connection.fetchval(f"SELECT COUNT(*) FROM {t}") for t in counted if t in tables}
        finally:
            await connection.close()
        return tables, counts

    return asyncio.run(read())


def test_migrating_an_empty_database_applies_every_migration_once(empty_database_url, tmp_path, signing_pem):
    from catalogue.migrate import migrate

    assert len(MIGRATION_IDS) >= 2  # the tables, then the keys and taxonomy; later ones may follow
    settings = _settings(empty_database_url, tmp_path, signing_pem)
    applied = asyncio.run(migrate(settings))
    assert sorted(applied) == MIGRATION_IDS

    tables, counts = _inspect(empty_database_url)
    assert tables == _expected_tables(empty_database_url)
    assert counts == {"level": 11, "subject": 13, "kindergarten_area": 7, "migration": len(MIGRATION_IDS)}

    assert asyncio.run(migrate(settings)) == []
    assert _inspect(empty_database_url) == (tables, counts)  # nothing added twice


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "SIGNING_KEY", "SIGNING_KEY_FILE", "DEMO_MODE", "VAR_DIR"}}
    environment.update(env)
    return subprocess.run([str(CATALOGUE), *args], env=environment, capture_output=True, text=True,
                          timeout=120)


def test_migrate_command_applies_migrations_then_reports_the_schema_up_to_date(empty_database_url, tmp_path):
    env = {"DATABASE_URL": empty_database_url, "VAR_DIR": str(tmp_path)}
    first = _cli("migrate", **env)
    assert first.returncode == 0, first.stderr
    assert f"Applied {len(MIGRATION_IDS)} migration(s)." in first.stdout

    second = _cli("migrate", **env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "The schema is up to date."

    tables, counts = _inspect(empty_database_url)
    assert tables == _expected_tables(empty_database_url)
    assert counts["level"] == 11 and counts["subject"] == 13 and counts["kindergarten_area"] == 7


# --- demo data ------------------------------------------------------------------------------


def _all_resources(api, headers) -> list[dict]:
    statuses = "&".join(f"status={s}" for s in ("draft", "in_review", "published", "phasing_out",
                                                 "phased_out", "rejected", "archived"))
    page = api.get(f"/api/v1/resources?{statuses}&limit=100", headers=headers)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["total"] == len(body["items"]), "more than one page of demo resources"
    return body["items"]


def test_demo_data_loads_once(api):
    from catalogue.demo import DEMO_USERS, seed_demo

    assert api.run(seed_demo) is True
    assert api.run(seed_demo) is False

    admin = api.headers("admin")
    expected = _demo("resources.json")
    assert len(expected) >= 40
    items = _all_resources(api, admin)
    assert len(items) == len(expected)
    assert sorted(i["name"] for i in items) == sorted(r["name"] for r in expected)
    by_name = {r["name"]: r for r in expected}
    for item in items:
        assert item["demo_data"] is True
        assert item["status"] == by_name[item["name"]]["status"]
        full = api.get(f"/api/v1/resources/{item['id']}", headers=admin)
        assert full.status_code == 200, full.text
        assert full.json()["demo_data"] is True
        assert full.json()["version"] == 1

    units = api.get("/api/v1/units", headers=admin).json()
    assert {u["code"] for u in units} == {u["code"] for u in _demo("units.json")}

    async def demo_users() -> dict[str, tuple[set[str], set[str]]]:
        from catalogue.tables import AppUser, Unit, UserRole, UserUnit

        result = {}
        for user in await AppUser.select(AppUser.id, AppUser.subject).where(AppUser.issuer == "demo"):
            roles = await UserRole.select(UserRole.role).where(UserRole.user == user["id"])
            links = await UserUnit.select(UserUnit.unit).where(UserUnit.user == user["id"])
            codes = await Unit.select(Unit.code).where(Unit.id.is_in([r["unit"] for r in links])) if links else []
            result[user["subject"]] = ({r["role"] for r in roles}, {r["code"] for r in codes})
        return result

    assert api.run(demo_users) == {
        subject: ({role.value for role in roles}, set(unit_codes))
        for subject, _name, roles, unit_codes in DEMO_USERS
    }


def test_demo_data_is_realistic(api):
    from catalogue.demo import seed_demo

    assert api.run(seed_demo) is True
    staff = api.headers("staff")

    fifth_grade_maths = api.get("/api/v1/resources?level=5&subject=MAT", headers=staff).json()
    assert fifth_grade_maths["total"] >= 3
    assert all(i["status"] == "published" for i in fifth_grade_maths["items"])

    for level in _level_codes():
        page = api.get(f"/api/v1/resources?level={level}&limit=1", headers=staff).json()
        assert page["total"] >= 1, f"no published resource for level {level}"

    admin = api.headers("admin")
    published = [i for i in _all_resources(api, admin) if i["status"] == "published"]
    privacy = [api.get(f"/api/v1/resources/{i['id']}", headers=admin).json()["privacy"] for i in published]
    assert any(p["data_location"] == "outside_eea" and p["transfers_outside_eea"] for p in privacy)
    assert any(p["dpa_status"] in ("missing", "in_progress") for p in privacy)
    # staff see the published demo resources, and only those
    assert api.get("/api/v1/resources?limit=1", headers=staff).json()["total"] == len(published)


def test_the_demo_shows_the_equipment_package(api):
    from catalogue.demo import seed_demo

    assert api.run(seed_demo) is True
    planner = api.headers("tech_approver")
    demo = json.loads((DATA / "demo" / "equipment.json").read_text(encoding="utf-8"))
    kinds = api.get("/api/v1/equipment/kinds", headers=planner).json()
    assert {k["code"] for k in kinds} == {k["code"] for k in demo["kinds"]}
    robot = next(k for k in kinds if k["code"] == "gulvrobot")
    assert [r["name"] for r in robot["resources"]] == ["Bee-Bot og Blue-Bot"]
    for unit_type in ("barnehage", "skole", "tjeneste"):
        assert api.get(f"/api/v1/equipment/standards/{unit_type}", headers=planner).json()["lines"]
    plan = api.get("/api/v1/equipment/plan", headers=planner).json()
    assert len(plan["units"]) == len(_demo("units.json")) and all(u["counted"] and u["held"] for u in plan["units"])
    assert plan["gap"] > 0 and plan["years"][0]["cost_nok"] > 0 and plan["schools"] == 9
    waiting = api.get("/api/v1/equipment/standard-changes?open=true", headers=planner).json()["items"]
    assert [(c["state"], [a["name"] for a in c["allowed_actions"]]) for c in waiting] == [
        ("technical_review", ["approve", "return", "reject"])]


# --- the token command ----------------------------------------------------------------------


def test_token_command_prints_a_token_the_api_accepts(api, settings, signing_pem, tmp_path):
    result = _cli("token", "--user", "x", "--role", "staff", "--role", "dpo",
                  DATABASE_URL=settings.database_url, SIGNING_KEY=signing_pem, VAR_DIR=str(tmp_path / "cli"))
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert len(token.split(".")) == 3 and all(token.split("."))

    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/resources", headers=headers).status_code == 200
    # the token carries the roles asked for: dpo may see drafts, but may not write resources
    api.post("/api/v1/resources", json=resource_body(status="draft"),
             headers=api.headers("sector_reviewer"))
    assert api.get("/api/v1/resources?status=draft", headers=headers).json()["total"] == 1
    assert api.post("/api/v1/units", json={"code": "ny-skole", "name": "Ny skole", "kind": "skole"},
                    headers=headers).status_code == 403


def test_token_command_refuses_unknown_roles(tmp_path):
    result = _cli("token", "--user", "x", "--role", "wizard", VAR_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "wizard" in result.stderr
    for role in ALL_ROLES:
        assert role in result.stderr
    assert result.stdout == ""


def test_every_migration_has_an_id_of_its_own():
    """Piccolo knows a migration by its ID: two files with one ID would leave one of them unapplied."""
    for app in ("catalogue", "workflows", "equipment"):
        ids = [line.split("=", 1)[1].strip().strip('"')
               for path in sorted((ROOT / "migrations" / app).glob(f"{app}_*.py"))
               for line in path.read_text().splitlines() if line.startswith("ID = ")]
        assert len(ids) == len(set(ids)), (app, sorted(i for i in ids if ids.count(i) > 1))
