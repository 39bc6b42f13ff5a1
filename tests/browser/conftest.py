"""Browser tests: the service runs as `make run` runs it (demo data, its own process), and
Debian's Chromium, driven by Playwright, uses it like a person would. Every page is checked with
axe-core for WCAG 2.1 A and AA."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CATALOGUE = str(Path(sys.executable).parent / "catalogue")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Screenshots land in docs/screenshots (shown in the README) when UPDATE_SCREENSHOTS=1,
# else in a temporary folder, so a test run leaves the working tree as it was.
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") \
    else Path(os.environ.get("TMPDIR", "/tmp")) / "laeremiddelkatalogen-screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The service on a free loopback port with the demo data, for the whole browser session."""
    root = tmp_path_factory.mktemp("browser")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"SIGNING_KEY", "HOST"}}
    env.update(DATABASE_URL=f"sqlite:///{root / 'catalogue.sqlite3'}", VAR_DIR=str(root), PORT=str(port),
               DEMO_MODE="true", SCHEDULER_INTERVAL_SECONDS="0", RATE_LIMIT_AUTH="10000/60", LOG_LEVEL="WARNING")
    process = subprocess.Popen([CATALOGUE, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(process.stdout.read())
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the service did not start")
        time.sleep(0.2)  # polling for readiness
    yield base
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, locale="nb-NO", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def login(page, name_part: str) -> None:
    """Log in through the demo login page by clicking the demo user whose name contains name_part."""
    page.goto("/auth/demo")
    page.get_by_role("button", name=f"Logg inn som {name_part}").first.click()
    page.wait_for_load_state()


def axe_violations(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                       "resultTypes": ["violations"]})
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results.response["violations"]]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
