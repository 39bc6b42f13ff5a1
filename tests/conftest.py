"""Test fixtures: every integration test runs once on SQLite and once on PostgreSQL.

Each test gets a fresh database copied from a migrated template (a file copy on SQLite,
CREATE DATABASE ... TEMPLATE on PostgreSQL). PostgreSQL is required: when it cannot be reached
the PostgreSQL half of the suite fails instead of skipping."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse, urlunparse

import asyncpg
import pytest
from litestar.testing import TestClient

from catalogue.security.tokens import generate_private_pem
from catalogue.settings import Settings

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]

logging.getLogger("httpx").setLevel(logging.WARNING)


def _pg_url_for(database: str) -> str:
    parsed = urlparse(PG_URL)
    return urlunparse(parsed._replace(path="/" + database))


async def _pg_admin(sql: str) -> None:
    connection = await asyncpg.connect(PG_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _settings(database_url: str, var_dir: Path, pem: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        database_url=database_url,
        var_dir=var_dir,
        signing_key_file=var_dir / "signing-key.pem",
        signing_key_pem=pem,
        demo_mode=False,
        db_pool_size=4,
        scheduler_interval_seconds=0,  # tests run the scheduler's steps themselves
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def signing_pem() -> str:
    return generate_private_pem().decode()


@pytest.fixture(scope="session")
def templates(tmp_path_factory, signing_pem) -> dict[str, str]:
    """Migrated template databases, one per backend, made once per test session."""
    from catalogue.migrate import migrate

    root = tmp_path_factory.mktemp("templates")
    sqlite_url = f"sqlite:///{root / 'template.sqlite3'}"
    asyncio.run(migrate(_settings(sqlite_url, root, signing_pem)))
    pg_name = f"lk_template_{os.getpid()}"
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}"'))
    asyncio.run(_pg_admin(f'CREATE DATABASE "{pg_name}"'))
    asyncio.run(migrate(_settings(_pg_url_for(pg_name), root, signing_pem)))
    yield {"sqlite": str(root / "template.sqlite3"), "postgresql": pg_name}
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, templates, tmp_path) -> str:
    """A fresh, migrated database for one test."""
    if backend == "sqlite":
        target = tmp_path / "catalogue.sqlite3"
        shutil.copyfile(templates["sqlite"], target)
        yield f"sqlite:///{target}"
        return
    name = f"lk_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{templates["postgresql"]}"'))
    yield _pg_url_for(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(database_url, tmp_path, signing_pem) -> Settings:
    return _settings(database_url, tmp_path, signing_pem)


_built_apps: dict[tuple, Any] = {}


@pytest.fixture
def app(settings):
    """The service for the test's settings. Building the app (registering every route) is the
    costliest part of a test, so one built app is given each test's settings (its own database,
    token service and logging, as create_app gives them) when it was built the same way."""
    from catalogue.app import bind_settings, create_app, fixed_by_construction

    shape = fixed_by_construction(settings)
    built = _built_apps.get(shape)
    if built is None:
        built = _built_apps[shape] = create_app(settings)
    else:
        bind_settings(built, settings)
    return built


class Api:
    """A test client bound to one app, with helpers to act as users with given roles."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self._users = 0

    def run(self, fn: Callable, *args: Any) -> Any:
        """Run an async function on the app's own event loop (where its database pool lives)."""
        return self.client.blocking_portal.call(fn, *args)

    @staticmethod
    async def _make_user(name: str, roles: tuple[str, ...], units: tuple[str, ...]) -> int:
        from catalogue.users import add_unit, ensure_user, grant_role

        user_id = await ensure_user("local", name, name)
        for role in roles:
            await grant_role(user_id, role, "tests")
        for unit in units:
            await add_unit(user_id, unit)
        return user_id

    def token(self, *roles: str, user: str | None = None, units: tuple[str, ...] = ()) -> str:
        self._users += 1
        name = user or f"user{self._users}-{'-'.join(roles) or 'none'}"

        async def make() -> str:
            user_id = await self._make_user(name, roles, units)
            return self.client.app.state.tokens.issue(str(user_id), name=name)

        return self.run(make)

    def login_page(self, *roles: str, user: str | None = None, units: tuple[str, ...] = ()) -> str:
        """Sign the client's browser session in as a (new) user with these roles, as a login would,
        and return the CSRF token that page forms must post back as ``_csrf_token``."""
        from catalogue.security.access import SESSION_COOKIE
        from catalogue.security.sessions import start_session

        self._users += 1
        name = user or f"person{self._users}-{'-'.join(roles) or 'none'}"
        settings = self.client.app.state.settings

        async def make() -> str:
            user_id = await self._make_user(name, roles, units)
            session_id = await start_session(user_id, settings.session_ttl_seconds)
            return self.client.app.state.tokens.issue(str(user_id), session_id=session_id,
                                                      ttl_seconds=settings.session_ttl_seconds)

        self.client.cookies.set(SESSION_COOKIE, self.run(make))
        return self.csrf_token()

    def csrf_token(self) -> str:
        """The CSRF token of this browser's forms: bound to its session once signed in, else the
        visitor's token from the ``lk_csrf`` cookie (set by the first page load)."""
        page = self.client.get("/")
        found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        return found.group(1) if found else self.client.cookies["lk_csrf"]

    def headers(self, *roles: str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, **kwargs)}"}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture
def api(app) -> Api:
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client)
        api.run(_search_warmed, app)  # what the test does starts from the state /ready reports
        yield api


async def _search_warmed(app) -> None:
    warm = app.state.get("search_warm")
    if warm is not None:
        await warm


VALID_ORG_NUMBER = "974760673"  # passes the mod-11 check


def resource_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Brøkbyggeren",
        "vendor": {"name": "Tallverkstedet AS", "organisation_number": VALID_ORG_NUMBER},
        "url": "https://brokbyggeren.example.no",
        "kind": "practice_tool",
        "description": "Øvingsverktøy for brøk og desimaltall på mellomtrinnet.",
        "status": "published",
        "in_base_package": True,
        "levels": ["5", "6", "7"],
        "subjects": ["MAT"],
        "platforms": ["web", "ipad"],
        "logins": ["feide"],
        "languages": ["nb", "nn"],
        "licence_model": "municipal_licence",
        "annual_cost_nok": 45000,
        "licence_count": 1200,
        "licence_expires": "2027-07-31",
        "privacy": {
            "processes_personal_data": True,
            "data_subjects": ["pupils"],
            "data_categories": ["name", "feide_id", "results"],
            "feide_attributes": [{"attribute": "userid-feide", "reason": "Knytter resultater til eleven."}],
            "legal_basis": "gdpr_6_1_e",
            "processor": "Tallverkstedet AS",
            "dpa_status": "signed",
            "dpa_date": "2025-08-01",
            "dpa_reference": "DBA-2025-004",
            "dpia_status": "completed",
            "dpia_date": "2025-08-15",
            "dpia_risk_level": "low",
            "data_location": "norway",
        },
        "accessibility": {"statement_url": "https://uustatus.no/nb/erklaringer/publisert/0000",
                          "claimed_conformance": "partial"},
    }
    body.update(overrides)
    return body


def pytest_collection_modifyitems(session, config, items):
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main thread
    until the session ends, and the other tests start event loops of their own."""
    items.sort(key=lambda item: "/tests/browser/" in str(item.fspath))
