"""SQLite on a disk that fills up (a small tmpfs, filled to the last block): a write that needs
space is answered 503 with a problem that says the disk is full, nothing of it is saved or
findable, reads go on, and once space is freed the same request succeeds."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import workflows.audit
from tests.conftest import resource_body

PROBLEM = "application/problem+json"


@pytest.fixture
def database_url(templates, tmp_path):
    """A copy of the migrated template on a filesystem of its own, 8 MB large."""
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
    try:
        shutil.copyfile(templates["sqlite"], disk / "catalogue.sqlite3")
        yield f"sqlite:///{disk / 'catalogue.sqlite3'}"
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=True)


def _fill(directory) -> int:
    """Write a file until the filesystem has no block left; its size."""
    written = 0
    with open(directory / "filler", "wb", buffering=0) as filler:
        for chunk in (1 << 20, 1 << 12):
            while True:
                try:
                    written += filler.write(b"\0" * chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    return written


def _body(n: int) -> dict:
    # a long description, so that each new resource needs pages of its own
    return resource_body(name=f"Diskplass {n}", url=f"https://diskplass{n}.example.no",
                         description=" ".join(f"Beskrivelse{n}x{i} av ressursen" for i in range(250)))


def test_a_full_disk_is_a_clear_503_nothing_is_half_written_and_writes_resume_when_space_is_freed(api, settings):
    disk = settings.database_url.removeprefix("sqlite:///").rsplit("/", 1)[0]
    reviewer = api.headers("sector_reviewer")
    first = api.post("/api/v1/resources", json=_body(0), headers=reviewer)
    assert first.status_code == 201, first.text
    assert _fill(Path(disk)) > 0

    statuses, refused = [], None
    for n in range(1, 60):
        response = api.post("/api/v1/resources", json=_body(n), headers=reviewer)
        statuses.append(response.status_code)
        assert response.status_code in (201, 503), response.text[:500]
        if response.status_code == 503:
            refused = n
            break
    assert refused is not None, f"the full disk never refused a write: {statuses}"
    assert response.headers["content-type"].startswith(PROBLEM)
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert problem["type"].endswith(":database-full") and "disk is full" in problem["detail"]
    assert "nothing was saved" in problem["detail"]

    # reads go on; what was refused is nowhere, what was answered 201 is all there
    assert api.get(f"/api/v1/resources/{first.json()['id']}", headers=reviewer).status_code == 200
    listed = api.get("/api/v1/resources", params={"limit": 100, "sort": "newest"}, headers=reviewer)
    assert listed.status_code == 200
    names = {item["name"] for item in listed.json()["items"]}
    assert {f"Diskplass {n}" for n in range(refused)} <= names and f"Diskplass {refused}" not in names
    found = api.get("/api/v1/resources", params={"q": f"Beskrivelse{refused}x7"}, headers=reviewer)
    assert found.status_code == 200 and found.json()["total"] == 0, found.text[:300]
    assert api.run(workflows.audit.verify).ok

    os.remove(os.path.join(disk, "filler"))
    again = api.post("/api/v1/resources", json=_body(refused), headers=reviewer)
    assert again.status_code == 201, again.text
    found = api.get("/api/v1/resources", params={"q": f"Beskrivelse{refused}x7"}, headers=reviewer)
    assert [item["name"] for item in found.json()["items"]] == [f"Diskplass {refused}"]
    assert api.run(workflows.audit.verify).ok
