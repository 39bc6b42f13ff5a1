"""The mixed workload of a municipality's working day, against the service as deployed:

    .venv/bin/python -m bench.mixed --engine postgresql --workers 2 --n 10000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.mixed --engine sqlite --workers 1 --n 10000

50 users (a closed loop each: a request, its answer, the next request) for 60 seconds:
80 % searches (words and filters drawn at random from the catalogue's vocabulary, so that kept
answers cannot serve them all), 15 % reads (a resource through the API, or its page), 5 % workflow
actions (a proposal submitted for review: a resource, a case, its event, notifications and an audit
row in one transaction). Before it, the same 50 users ask GET /health for 15 seconds: the baseline,
measured in the same run. Reported per kind: p50, p95, p99 (ms), requests/s, errors, and the
ratio of p50 and p95 to the baseline's."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import generate, queries
from bench.run import CATALOGUE, _environment, _free_port, _token, prepare, serve, stop

KINDS = ("search", "read", "workflow")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in (*KINDS, "baseline")})
    errors: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in (*KINDS, "baseline")})


# Searches as real traffic draws them (bench.queries: Zipf over words, typos, spellings without
# æ/ø/å, filters on a third), a different query on most requests, so kept answers do not serve them.
SEARCHES = queries.paths(50_000, seed=11)


def _proposal(rng: random.Random) -> dict:
    body = next(generate.resources(1, seed=rng.randint(1, 10**9)))
    body["name"] = f"Forslag {uuid.uuid4().hex[:12]}"
    body["url"] = f"https://{uuid.uuid4().hex[:12]}.example.no"
    body["status"] = "draft"
    return {"resource": body, "submit": True,
            "justification": {"pedagogical_purpose": "Gir elevene mer variert mengdetrening.",
                              "units": [generate.UNITS[rng.randrange(len(generate.UNITS))][0]]}}


async def _users(base: str, staff: str, proposer: str, ids: list[int], duration: float, concurrency: int,
                 baseline: bool, tally: Tally) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        stop_at = time.perf_counter() + duration

        async def user(number: int) -> None:
            rng = random.Random(number * 7919)
            while time.perf_counter() < stop_at:
                roll = rng.random()
                if baseline:
                    kind, call = "baseline", client.get("/health")
                elif roll < 0.80:
                    kind = "search"
                    call = client.get(rng.choice(SEARCHES), headers={"Authorization": f"Bearer {staff}"})
                elif roll < 0.95:
                    kind = "read"
                    resource_id = rng.choice(ids)
                    call = client.get(f"/api/v1/resources/{resource_id}", headers={"Authorization": f"Bearer {staff}"}) \
                        if rng.random() < 0.6 else client.get(f"/ressurser/{resource_id}")
                else:
                    kind = "workflow"
                    call = client.post("/api/v1/cases", json=_proposal(rng),
                                       headers={"Authorization": f"Bearer {proposer}"})
                started = time.perf_counter()
                try:
                    response = await call
                    ok = response.status_code < 400
                    detail = f"{response.status_code} {response.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{type(exc).__name__}: {exc}"
                tally.latencies[kind].append((time.perf_counter() - started) * 1000)
                if not ok:
                    tally.errors[kind].append(detail)

        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(concurrency)))
        return time.perf_counter() - started


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--baseline-duration", type=float, default=15)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reuse", action="store_true", help="keep a database loaded by an earlier run")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    var_dir = Path("var/bench").resolve()
    url, load_seconds = prepare(args.engine, args.n, args.database_url, var_dir, args.reuse)
    env = _environment(url, var_dir)
    env.update(LOG_LEVEL="WARNING", SCHEDULER_INTERVAL_SECONDS="0")
    staff = _token(env)
    proposer = subprocess.run([str(CATALOGUE), "token", "--user", "bench-proposer", "--role", "admin", "--ttl", "86400"],
                              env=env, capture_output=True, text=True, check=True).stdout.strip()
    port = _free_port()
    server = serve(env, port, var_dir / f"mixed-{args.engine}.log", workers=args.workers, pin=False)
    try:
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(urllib.request.Request(
                f"{base}/api/v1/resources?per_page=100", headers={"Authorization": f"Bearer {staff}"})) as r:
            ids = [item["id"] for item in json.loads(r.read())["items"]]
        load_before = _loadavg()
        baseline = Tally()
        asyncio.run(_users(base, staff, proposer, ids, 3, args.users, True, Tally()))  # warm-up
        base_seconds = asyncio.run(_users(base, staff, proposer, ids, args.baseline_duration, args.users, True,
                                          baseline))
        asyncio.run(_users(base, staff, proposer, ids, 5, args.users, False, Tally()))  # warm-up
        tally = Tally()
        seconds = asyncio.run(_users(base, staff, proposer, ids, args.duration, args.users, False, tally))
        load_after = _loadavg()
    finally:
        stop(server)

    b50, b95 = _pct(baseline.latencies["baseline"], .5), _pct(baseline.latencies["baseline"], .95)
    rows = {"baseline": (baseline.latencies["baseline"], baseline.errors["baseline"], base_seconds)}
    rows.update({k: (tally.latencies[k], tally.errors[k], seconds) for k in KINDS})
    print(f"\n{args.engine}, {args.workers} worker(s), {args.n} resources, {args.users} users, "
          f"{args.duration:.0f} s (load average before {load_before}, after {load_after}; "
          f"{os.cpu_count()} CPUs shared)")
    if load_seconds is not None:
        print(f"loaded in {load_seconds:.1f} s")
    print(f"{'kind':10}{'requests':>9}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}"
          f"{'p50/base':>10}{'p95/base':>10}")
    figures = {"engine": args.engine, "workers": args.workers, "n": args.n, "users": args.users,
               "load_average": [load_before, load_after], "kinds": {}}
    total = 0
    for kind, (values, errors, elapsed) in rows.items():
        p50, p95, p99 = _pct(values, .5), _pct(values, .95), _pct(values, .99)
        if kind != "baseline":
            total += len(values)
        figures["kinds"][kind] = {"requests": len(values), "rps": len(values) / elapsed, "p50": p50, "p95": p95,
                                  "p99": p99, "errors": len(errors), "sample_errors": errors[:3]}
        print(f"{kind:10}{len(values):>9}{len(values) / elapsed:>8.1f}{p50:>8.1f}{p95:>8.1f}{p99:>8.1f}"
              f"{len(errors):>8}{p50 / b50 if b50 else 0:>10.1f}{p95 / b95 if b95 else 0:>10.1f}")
        for sample in errors[:3]:
            print(f"    error: {sample}")
    print(f"mixed throughput: {total / seconds:.1f} requests/s")
    figures["throughput"] = total / seconds
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
