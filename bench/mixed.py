"""Mixed load: searches, reads and writes together, against the service on several workers.

    .venv/bin/python -m bench.mixed --engine postgresql --n 10000 --workers 2 --users 50 --reuse

Loads N resources as bench.run does (or reuses them), starts ``catalogue serve --workers W``
(pinned to CPU 0 when there are two workers or fewer), and runs ``--users`` clients in a closed
loop from CPU 1, each request drawn 80/15/5: a varied search (bench.queries), a read of one
resource (GET /api/v1/resources/{id}), a write (POST /api/v1/resources, a new resource, as a
sector reviewer). Every response that is not 2xx is counted by status with the body's title.
/health is measured first, with the same workers and users, as the baseline. Not part of the
test suite."""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench import generate, queries
from bench.run import CATALOGUE, ROOT, _cpu_seconds, _environment, _free_port, prepare, stop

MIX = (("search", 0.80), ("read", 0.15), ("write", 0.05))


def _token(env: dict[str, str], user: str, role: str) -> str:
    done = subprocess.run([str(CATALOGUE), "token", "--user", user, "--role", role, "--ttl", "86400"],
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def serve(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    command = [str(CATALOGUE), "serve", "--no-migrate", "--port", str(port), "--workers", str(workers)]
    if workers <= 2 and shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    server = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    deadline = time.monotonic() + 90
    ready = 0
    while time.monotonic() < deadline and ready < 20:  # several answers: each worker up
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
                ready += response.status == 200
        except OSError:
            time.sleep(0.3)
    if ready < 20:
        server.kill()
        raise RuntimeError(f"the service did not become ready; see {log}")
    return server


def _children_cpu(pid: int) -> float:
    total = 0.0
    for child in Path("/proc").iterdir():
        if child.name.isdigit():
            try:
                if Path(f"/proc/{child.name}/stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                    total += _cpu_seconds(int(child.name))
            except (OSError, IndexError):
                continue
    return total + _cpu_seconds(pid)


async def _run(base: str, users: int, duration: float, tokens: dict[str, str], ids: list[int],
               searches: list[str], only: str | None = None, seed: int = 3) -> dict:
    import httpx

    rng = random.Random(seed)
    turns = itertools.cycle(searches)
    bodies = generate.resources(100_000, seed=seed + 100)
    latencies: dict[str, list[float]] = collections.defaultdict(list)
    failures: collections.Counter = collections.Counter()
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        deadline = started + duration

        async def user() -> None:
            while time.perf_counter() < deadline:
                kind = only or rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
                t = time.perf_counter()
                try:
                    if kind == "health":
                        response = await client.get("/health")
                    elif kind == "search":
                        response = await client.get(next(turns), headers={"Authorization": f"Bearer {tokens['staff']}"})
                    elif kind == "read":
                        response = await client.get(f"/api/v1/resources/{rng.choice(ids)}",
                                                    headers={"Authorization": f"Bearer {tokens['staff']}"})
                    else:
                        body = next(bodies)
                        body["url"] = f"https://mixed{rng.randrange(10**9)}.example.no"
                        body["name"] = f"{body['name']} {rng.randrange(10**6)}"
                        response = await client.post("/api/v1/resources", json=body,
                                                     headers={"Authorization": f"Bearer {tokens['writer']}"})
                    status = response.status_code
                    if not 200 <= status < 300:
                        try:
                            title = response.json().get("detail") or response.json().get("title")
                        except ValueError:
                            title = response.text[:80]
                        failures[(kind, status, str(title)[:120])] += 1
                except httpx.HTTPError as exc:
                    failures[(kind, 0, type(exc).__name__)] += 1
                latencies[kind].append((time.perf_counter() - t) * 1000)

        await asyncio.gather(*(user() for _ in range(users)))
        elapsed = time.perf_counter() - started
    out = {}
    every = [x for values in latencies.values() for x in values]
    for kind, values in [("all", every), *latencies.items()]:
        cuts = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
        out[kind] = {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "requests": len(values),
                     "rps": len(values) / elapsed}
    out["non_2xx"] = sum(failures.values())
    out["failures"] = [{"kind": k, "status": s, "detail": d, "count": n} for (k, s, d), n in failures.most_common()]
    return out


def _readable_ids(base: str, token: str, pages: int = 20) -> list[int]:
    """Ids of resources the staff token may read (drafts are not found by staff: a 404)."""
    ids: list[int] = []
    for page in range(pages):
        request = urllib.request.Request(f"{base}/api/v1/resources?limit=100&offset={page * 100}&facets=false",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            ids += [item["id"] for item in json.loads(response.read())["items"]]
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--search-cache-size", type=int, default=None)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    url, _ = prepare(args.engine, args.n, args.database_url, args.var_dir, args.reuse)
    env = _environment(url, args.var_dir, args.search_cache_size)
    tokens = {"staff": _token(env, "bench", "staff"), "writer": _token(env, "bench-writer", "sector_reviewer")}
    port = _free_port()
    server = serve(env, port, args.workers, args.var_dir / f"server-mixed-{args.engine}-{args.n}.log")
    base = f"http://127.0.0.1:{port}"
    if shutil.which("taskset"):
        os.sched_setaffinity(0, {1})
    try:
        ids = _readable_ids(base, tokens["staff"])
        searches = [base + p for p in queries.paths(40_000, seed=17)]
        asyncio.run(_run(base, 8, 2, tokens, ids, searches[-2000:]))  # warm-up, not counted
        before = _children_cpu(server.pid)
        health = asyncio.run(_run(base, args.users, args.duration, tokens, ids, searches, only="health"))
        middle = _children_cpu(server.pid)
        mixed = asyncio.run(_run(base, args.users, args.duration, tokens, ids, searches))
        after = _children_cpu(server.pid)
    finally:
        stop(server)
    load_average = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\n{args.engine}, {args.n} resources, {args.workers} workers, {args.users} users, "
          f"{args.duration:.0f} s each; load average {' '.join(load_average)} on {os.cpu_count()} CPUs")
    print(f"{'kind':8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'requests':>9}")
    for name, figures in [("health", health["all"]), *[(k, v) for k, v in mixed.items() if isinstance(v, dict)]]:
        print(f"{name:8} {figures['p50']:8.1f} {figures['p95']:8.1f} {figures['p99']:8.1f} {figures['rps']:8.0f}"
              f" {figures['requests']:9}")
    print(f"mixed req/s against /health's: {mixed['all']['rps'] / health['all']['rps']:.2f}; server CPU ms per request:"
          f" health {(middle - before) * 1000 / max(health['all']['requests'], 1):.2f},"
          f" mixed {(after - middle) * 1000 / max(mixed['all']['requests'], 1):.2f}")
    print(f"non-2xx: {mixed['non_2xx']}")
    for failure in mixed["failures"][:10]:
        print(f"  {failure['count']:5} × {failure['kind']} {failure['status']} {failure['detail']}")
    if args.json:
        args.json.write_text(json.dumps({"health": health, "mixed": mixed, "load_average": load_average}, indent=2))
    return 0 if mixed["non_2xx"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
