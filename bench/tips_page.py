"""The resource page as signed-in staff see it, with 200 tips (the ten most useful shown, a link to
the rest) and a «Kom i gang» guide, and the resource's tips page (twenty at a time, first and last
page): p50/p95 and requests per second at concurrency 1 and 8, each against the /health baseline
measured in the same run (target: the resource page's p95 under 50 ms at concurrency 8). Also the machine's load average and the
server's CPU time per request, since the machine may be shared.

    .venv/bin/python -m bench.tips_page --engine sqlite --n 2000
    .venv/bin/python -m bench.tips_page --engine postgresql --n 2000

The tips are written through the API, as staff would write them (20 authors, 10 tips each).
Only loopback traffic. Not part of the test suite."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from bench import loadgen
from bench.run import CATALOGUE, ROOT, _cpu_seconds, _environment, _free_port, prepare, serve, stop
from frontend.tip_pages import ON_RESOURCE_PAGE, PER_PAGE

TIPS = 200
PAGE = "resource page, 200 tips"
AUTHORS = 20
CONCURRENCY = (1, 8)
TARGET_P95_MS = 50.0


def _token(env: dict[str, str], user: str, role: str) -> str:
    done = subprocess.run([str(CATALOGUE), "token", "--user", user, "--role", role, "--ttl", "86400"],
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def _call(method: str, url: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def seed(base: str, env: dict[str, str]) -> tuple[int, str]:
    """A published resource with TIPS tips and a guide; returns its id and a staff reader's token."""
    admin = _token(env, "bench-admin", "admin")
    listing = _call("GET", f"{base}/api/v1/resources?subject=NOR&band=1-4", admin)["items"]
    resource_id = next(r["id"] for r in listing if r["status"] == "published")
    _call("PUT", f"{base}/api/v1/resources/{resource_id}/guide", admin, {
        "access": "Lærerne får lisens gjennom **Feide**; elevene er lagt inn fra skolens grupper.",
        "login": "Logg inn med Feide på leverandørens nettside.", "first_lesson": "- Lag en klasse\n- Del koden",
        "links": [{"title": "Leverandørens veiledning", "url": "https://hjelp.example.no/start"}]})
    for author in range(AUTHORS):
        token = _token(env, f"bench-author-{author}", "staff")
        for n in range(TIPS // AUTHORS):
            _call("POST", f"{base}/api/v1/resources/{resource_id}/tips", token, {
                "body": f"Tips {author}-{n}: vi brukte læremidlet i **stasjoner** med korte økter.\n- par\n- grupper",
                "worked": "Elevene fikk raske tilbakemeldinger.", "watch_out": "Sjekk innloggingen før timen.",
                "levels": ["5"], "subjects": ["MAT"]})
    return resource_id, _token(env, "bench-reader", "staff")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)

    var_dir = ROOT / "var" / "bench-tips"
    url, _ = prepare(args.engine, args.n, args.database_url, var_dir, reuse=False)
    env = _environment(url, var_dir)
    port = _free_port()
    server = serve(env, port, Path(tempfile.gettempdir()) / "bench-tips-page.log")
    base = f"http://127.0.0.1:{port}"
    try:
        resource_id, token = seed(base, env)
        headers = {"Authorization": f"Bearer {token}"}
        page = urllib.request.urlopen(urllib.request.Request(f"{base}/ressurser/{resource_id}", headers=headers),
                                      timeout=30).read().decode()
        shown = len(re.findall(r'<article class="tip', page))
        assert shown == ON_RESOURCE_PAGE and f"Se alle {TIPS} tipsene" in page and 'id="kom-i-gang"' in page, (
            shown, "the page does not show what is measured")
        last = -(-TIPS // PER_PAGE)
        paths = {"baseline": "/health", PAGE: f"/ressurser/{resource_id}",
                 "tips page 1": f"/ressurser/{resource_id}/tips", f"tips page {last}": f"/ressurser/{resource_id}/tips?side={last}"}
        load_before = os.getloadavg()
        results: dict[str, dict[int, tuple[loadgen.Result, float]]] = {}
        for name, path in paths.items():
            results[name] = {}
            for concurrency in CONCURRENCY:
                loadgen.run(base + path, headers, concurrency, 1, cpu=1)  # warm-up
                cpu = _cpu_seconds(server.pid)
                result = loadgen.run(base + path, headers, concurrency, args.duration, cpu=1)
                cpu_ms = (_cpu_seconds(server.pid) - cpu) * 1000 / max(1, result.requests)
                results[name][concurrency] = (result, cpu_ms)
        load_after = os.getloadavg()
        print(f"\n{args.engine}, {args.n} resources, resource {resource_id} with {TIPS} tips, "
              f"{ON_RESOURCE_PAGE} shown, {len(page) / 1024:.0f} KB of HTML, signed in as staff")
        print(f"{'request':26} {'conc':>4} {'p50 ms':>8} {'p95 ms':>8} {'p95 ×base':>10} {'req/s':>8} "
              f"{'rps ×base':>10} {'CPU ms/req':>11} {'errors':>7}")
        for name, by_concurrency in results.items():
            for concurrency, (result, cpu_ms) in by_concurrency.items():
                base_result = results["baseline"][concurrency][0]
                print(f"{name:26} {concurrency:4} {result.p50:8.1f} {result.p95:8.1f} "
                      f"{result.p95 / base_result.p95:10.1f} {result.rps:8.0f} {result.rps / base_result.rps:10.2f} "
                      f"{cpu_ms:11.2f} {result.errors:7}")
        page_p95 = results[PAGE][8][0].p95
        print(f"\nmachine load average (1, 5, 15 min) before {tuple(round(x, 2) for x in load_before)}, "
              f"after {tuple(round(x, 2) for x in load_after)}; {os.cpu_count()} CPUs")
        print(f"resource page with {TIPS} tips at concurrency 8: p95 {page_p95:.1f} ms "
              f"({'met' if page_p95 < TARGET_P95_MS else 'MISSED'} < {TARGET_P95_MS:.0f} ms)")
    finally:
        stop(server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
