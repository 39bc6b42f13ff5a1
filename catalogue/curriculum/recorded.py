"""Grep's answers kept as files (``{kind}/{code}.json``), served through an httpx transport: the
demo's curriculum, and the tests' recorded answers."""

from __future__ import annotations

from importlib import resources as package_files
from pathlib import Path
from typing import Any

import httpx

DEMO_BASE_URL = "https://data.udir.no/kl06/v201906"


def recorded_transport(directory: Any) -> httpx.MockTransport:
    """Answers ``…/{kind}/{code}`` with ``directory/kind/code.json``, or 404 when there is none."""
    root = directory if hasattr(directory, "joinpath") else Path(directory)

    def answer(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.rstrip("/").split("/")
        kind, code = parts[-2], parts[-1]
        file = root.joinpath(kind, f"{code}.json")
        if "/" in code or ".." in code or not file.is_file():
            return httpx.Response(404, json={"feil": "ikke funnet"})
        return httpx.Response(200, content=file.read_bytes(), headers={"Content-Type": "application/json"})

    return httpx.MockTransport(answer)


async def seed_demo_aims() -> bool:
    """The demo's competence aims, from the Grep answers shipped with the service, once."""
    from catalogue.curriculum.grep import GrepClient
    from catalogue.curriculum.importer import import_curriculum
    from catalogue.search.sql import execute

    if (await execute("SELECT COUNT(*) AS n FROM competence_aim"))[0]["n"]:
        return False
    transport = recorded_transport(package_files.files("catalogue").joinpath("data", "grep"))
    async with GrepClient(DEMO_BASE_URL, transport=transport, retries=0) as client:
        await import_curriculum(client, actor="demodata")
    return True
