"""The mixed workload of a municipality's working day, against the service as deployed:

    .venv/bin/python -m bench.mixed --engine postgresql --workers 2 --n 10000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.mixed --engine sqlite --workers 1 --n 10000

50 users for 60 seconds, each a loop of a request, its answer, a pause to read it (``--think-ms``,
drawn from an exponential distribution with that mean; 0 sends the next request at once, which
measures what the workers can carry rather than how a day of people feels), the next request:
80 % searches (words and filters drawn at random from the catalogue's vocabulary, so that kept
answers cannot serve them all), 15 % reads (a resource through the API, or its page), 5 % workflow
actions (a proposal submitted for review: a resource, a case, its event, notifications and an audit
row in one transaction). Before it, the same 50 users ask GET /health for 15 seconds: the baseline,
measured in the same run. Reported per kind: p50, p95, p99 (ms), requests/s, errors, and the
ratio of p50 and p95 to the baseline's. ``--server granian`` runs the application in granian's workers
instead of uvicorn's, to compare the two (``pip install granian==2.8.7``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import generate, loadgen, queries
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
                 baseline: bool, tally: Tally, think_ms: float = 0) -> float:
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
                if think_ms:
                    await asyncio.sleep(min(rng.expovariate(1000 / think_ms), stop_at - time.perf_counter()))

        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(concurrency)))
        return time.perf_counter() - started


def _httpx_measure(base: str, staff: str, proposer: str, ids: list[int], duration: float, users: int,
                   baseline: bool, think_ms: float) -> dict[str, dict]:
    tally = Tally()
    seconds = asyncio.run(_users(base, staff, proposer, ids, duration, users, baseline, tally, think_ms))
    kinds = ("baseline",) if baseline else KINDS
    return {k: {"requests": len(tally.latencies[k]), "seconds": seconds, "p50": _pct(tally.latencies[k], .5),
                "p95": _pct(tally.latencies[k], .95), "p99": _pct(tally.latencies[k], .99),
                "errors": len(tally.errors[k]), "sample_errors": tally.errors[k][:3]} for k in kinds}


# One wrk per kind of request, all at once: each user is one of wrk's connections, sending its kind
# of request, pausing (delay) and sending the next. wrk (C) costs the shared CPUs far less per
# request than a Python client, and it is a load tool this project did not write.
WRK_MIX = r"""
local kind, think_ms, token, proposer = "%(kind)s", %(think_ms)f, "%(token)s", "%(proposer)s"
local items, n = {}, 0
samples = {}  -- global: done() reads it from each thread
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args)
  math.randomseed(%(seed)d)
  for line in io.lines("%(data)s") do items[#items + 1] = line end
end
request = function()
  n = n + 1
  local item = items[(n - 1) %% #items + 1]
  if kind == "workflow" then
    return wrk.format("POST", "/api/v1/cases",
      {["Authorization"] = "Bearer " .. proposer, ["Content-Type"] = "application/json"}, item)
  elseif kind == "read" then
    if math.random() < 0.6 then
      return wrk.format("GET", "/api/v1/resources/" .. item, {["Authorization"] = "Bearer " .. token})
    end
    return wrk.format("GET", "/ressurser/" .. item, {})
  elseif kind == "search" then
    return wrk.format("GET", item, {["Authorization"] = "Bearer " .. token})
  end
  return wrk.format("GET", "/health", {})
end
if think_ms > 0 then
  delay = function() return math.floor(-think_ms * math.log(1 - math.random())) end
end
response = function(status, headers, body)
  if status >= 400 and #samples < 3 then samples[#samples + 1] = status .. " " .. string.sub(body, 1, 200) end
end
"""
USERS_BY_KIND = {"search": 0.80, "read": 0.15, "workflow": 0.05}


def _wrk_measure(base: str, staff: str, proposer: str, ids: list[int], duration: float, users: int,
                 baseline: bool, think_ms: float) -> dict[str, dict]:
    """Every kind's wrk at once for ``duration`` s; the users split 80/15/5 over the kinds."""
    rng = random.Random(duration)
    split = {"baseline": users} if baseline else {
        k: max(1, round(users * share)) for k, share in USERS_BY_KIND.items()}
    data = {"baseline": ["/health"], "search": SEARCHES, "read": [str(i) for i in ids],
            "workflow": [json.dumps(_proposal(rng), ensure_ascii=False) for _ in range(int(duration * 40) + 100)]}
    with tempfile.TemporaryDirectory() as folder:
        running = {}
        for kind, connections in split.items():
            items = Path(folder, f"{kind}.txt")
            items.write_text("\n".join(data[kind]) + "\n")
            script = Path(folder, f"{kind}.lua")
            script.write_text(WRK_MIX % {"kind": kind, "think_ms": think_ms, "token": staff, "proposer": proposer,
                                         "seed": rng.randrange(1 << 30), "data": items} + loadgen.WRK_DONE)
            running[kind] = subprocess.Popen(
                ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "30s",
                 "-s", str(script), base], stdout=subprocess.PIPE, text=True)
        rows = {}
        for kind, process in running.items():
            output, _ = process.communicate(timeout=duration + 120)
            report = loadgen.WrkReport.of(output)
            rows[kind] = {"requests": report.requests, "seconds": report.seconds, "p50": report.p50,
                          "p95": report.p95, "p99": report.p99, "errors": sum(report.failed.values()),
                          "users": split[kind], "sample_errors": report.samples + [
                              f"{count} {what} error(s)" for what, count in report.failed.items()
                              if count and what != "status"]}
    return rows


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
    parser.add_argument("--think-ms", type=float, default=0, help="each user's mean pause between requests")
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn")
    parser.add_argument("--httpx", action="store_true", help="generate the load with httpx even if wrk is installed")
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
    server = serve(env, port, var_dir / f"mixed-{args.engine}.log", workers=args.workers, pin=False,
                   server=args.server)
    tool = "wrk" if shutil.which("wrk") and not args.httpx else "httpx"
    try:
        base = f"http://127.0.0.1:{port}"
        ids = []
        for offset in range(0, 500, 100):
            with urllib.request.urlopen(urllib.request.Request(
                    f"{base}/api/v1/resources?limit=100&offset={offset}", headers={"Authorization": f"Bearer {staff}"})) as r:
                ids += [item["id"] for item in json.loads(r.read())["items"]]
        load_before = _loadavg()
        measure = _wrk_measure if tool == "wrk" else _httpx_measure
        measure(base, staff, proposer, ids, 3, args.users, True, args.think_ms)  # warm-up
        rows = measure(base, staff, proposer, ids, args.baseline_duration, args.users, True, args.think_ms)
        measure(base, staff, proposer, ids, 5, args.users, False, args.think_ms)  # warm-up
        rows.update(measure(base, staff, proposer, ids, args.duration, args.users, False, args.think_ms))
        load_after = _loadavg()
    finally:
        stop(server)

    b50, b95 = rows["baseline"]["p50"], rows["baseline"]["p95"]
    print(f"\n{args.engine}, {args.workers} {args.server} worker(s), {args.n} resources, {args.users} users "
          f"pausing {args.think_ms:.0f} ms on average, load from {tool}, "
          f"{args.duration:.0f} s (load average before {load_before}, after {load_after}; "
          f"{os.cpu_count()} CPUs shared)")
    if load_seconds is not None:
        print(f"loaded in {load_seconds:.1f} s")
    print(f"{'kind':10}{'requests':>9}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}"
          f"{'p50/base':>10}{'p95/base':>10}")
    figures = {"engine": args.engine, "server": args.server, "think_ms": args.think_ms, "workers": args.workers,
               "n": args.n, "users": args.users, "tool": tool, "load_average": [load_before, load_after], "kinds": rows}
    total = seconds = 0
    for kind, row in rows.items():
        if kind != "baseline":
            total, seconds = total + row["requests"], max(seconds, row["seconds"])
        print(f"{kind:10}{row['requests']:>9}{row['requests'] / row['seconds']:>8.1f}{row['p50']:>8.1f}"
              f"{row['p95']:>8.1f}{row['p99']:>8.1f}{row['errors']:>8}{row['p50'] / b50 if b50 else 0:>10.1f}"
              f"{row['p95'] / b95 if b95 else 0:>10.1f}")
        for sample in row["sample_errors"]:
            print(f"    error: {sample}")
    print(f"mixed throughput: {total / seconds:.1f} requests/s")
    figures["throughput"] = total / seconds
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
