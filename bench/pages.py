"""Server time and weight of the main pages at N resources (the pages' targets: p95 at most 50 ms
with one user, under 100 KB per page before images), each against the /health baseline measured in
the same run.

    .venv/bin/python -m bench.pages --engine sqlite --n 10000 --reuse
"""

from __future__ import annotations

import argparse
import re
import tempfile
import urllib.request
from pathlib import Path

from bench import generate, loadgen
from bench.run import ROOT, _environment, _free_port, cache_label, prepare, serve

PAGES = {
    "baseline": "/health",
    "search page": f"/ressurser?q={generate.COMMON_WORD}&band=5-7",
    "filter page": "/ressurser?subject=NOR&band=1-4",
    "resource page": "/ressurser/{id}",
}
TARGET_P95_MS = 50.0
TARGET_WEIGHT_KB = 100.0


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def weight(base: str, path: str) -> tuple[int, int]:
    """Bytes of the HTML, and of the HTML with its stylesheets and scripts (no images)."""
    html = _get(base + path)
    assets = set(re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html))
    return len(html), len(html) + sum(len(_get(base + a.decode())) for a in assets)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reuse", action="store_true", help="keep a database loaded by an earlier run")
    parser.add_argument("--search-cache-size", type=int, default=None,
                        help="SEARCH_CACHE_SIZE of the server (0: every search page computed afresh)")
    args = parser.parse_args(argv)

    var_dir = ROOT / "var" / "bench"
    url, _ = prepare(args.engine, args.n, args.database_url, var_dir, args.reuse)
    env = _environment(url, var_dir, args.search_cache_size)
    port = _free_port()
    server = serve(env, port, Path(tempfile.gettempdir()) / "bench-pages.log")
    base = f"http://127.0.0.1:{port}"
    try:
        first = re.search(rb'href="/ressurser/(\d+)"', _get(base + PAGES["filter page"]))
        paths = {name: path.replace("{id}", first.group(1).decode()) for name, path in PAGES.items()}
        results = {}
        for name, path in paths.items():
            loadgen.run(base + path, {}, 1, 1, cpu=1)  # warm-up
            results[name] = loadgen.run(base + path, {}, 1, args.duration, cpu=1)
        baseline = results["baseline"]
        print(f"\n{args.engine}, {args.n} resources, one user (concurrency 1),"
              f" {cache_label(env)}")
        print(f"{'page':15} {'p50 ms':>8} {'p95 ms':>8} {'p95 ×base':>10} {'req/s':>8} {'HTML KB':>8} {'+CSS/JS KB':>11}")
        verdicts = []
        for name, result in results.items():
            html, total = weight(base, paths[name]) if name != "baseline" else (0, 0)
            ratio = result.p95 / baseline.p95 if baseline.p95 else float("nan")
            print(f"{name:15} {result.p50:8.1f} {result.p95:8.1f} {ratio:10.1f} {result.rps:8.0f} "
                  f"{html / 1024:8.1f} {total / 1024:11.1f}")
            if name != "baseline":
                verdicts.append(f"{name}: p95 {result.p95:.1f} ms "
                                f"({'met' if result.p95 <= TARGET_P95_MS else 'MISSED'} ≤ {TARGET_P95_MS:.0f} ms), "
                                f"{total / 1024:.1f} KB ({'met' if total / 1024 < TARGET_WEIGHT_KB else 'MISSED'} "
                                f"< {TARGET_WEIGHT_KB:.0f} KB)")
        print("\n" + "\n".join(verdicts))
    finally:
        server.terminate()
        server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
