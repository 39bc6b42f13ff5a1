"""Search benchmark: load N synthetic resources through the import path (timed), start the service
as in production (one worker, pinned to CPU 0), drive it from CPU 1, and print p50/p95/p99 and
requests per second at concurrency 1, 8 and 32 for a baseline endpoint of the same app (/health)
and three catalogue requests, each also as a ratio against the baseline measured in the same run.

    .venv/bin/python -m bench.run --engine sqlite --n 10000
    .venv/bin/python -m bench.run --engine postgresql --n 10000 --database-url postgresql://postgres@127.0.0.1:5432/postgres

Bounded in time: about (2 + 3 × duration) seconds per request kind, plus the load. Only loopback
traffic. Not part of the test suite."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from bench import generate, loadgen, queries

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / ".venv" / "bin" / "catalogue"
REQUESTS = {
    "baseline": "/health",
    "search": f"/api/v1/resources?q={generate.COMMON_WORD}&band=5-7&platform=ipad",
    "facets": "/api/v1/resources?subject=NOR&band=1-4",
    "rare": f"/api/v1/resources?q={generate.RARE_TAG}",
}
# Varied queries (bench.queries): each measurement sends its own slice of the sequence, so no
# answer kept from an earlier measurement (or the warm-up) serves it.
VARIED = {"varied": True, "varied_words": False}  # name → with filters on a third of the queries
VARIED_PER_MEASUREMENT = 6000
CONCURRENCY = (1, 8, 32)
TARGETS = {10_000: {"p95_ms": 25.0, "rps_ratio": 0.40}, 100_000: {"p95_ms": 100.0}}
RSS_TARGET_MB = 250


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_admin(admin_url: str, sql: str) -> None:
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


def _environment(database_url: str, var_dir: Path, search_cache_size: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SIGNING_KEY", "SIGNING_KEY_FILE"}}
    env.update(DATABASE_URL=database_url, VAR_DIR=str(var_dir), DEMO_MODE="false")
    if search_cache_size is not None:
        env["SEARCH_CACHE_SIZE"] = str(search_cache_size)
    return env


def cache_label(env: dict[str, str]) -> str:
    """The server's SEARCH_CACHE_SIZE, as the bench reports print it."""
    from catalogue.settings import Settings

    return f"SEARCH_CACHE_SIZE={env.get('SEARCH_CACHE_SIZE', f'{Settings.search_cache_size} (default)')}"


def database_name(n: int) -> str:
    """The PostgreSQL database of a bench of n resources: named after the checkout too, so runs from
    other checkouts on the same server never collide."""
    return f"lk_bench_{n}_{hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]}"


def prepare(engine: str, n: int, admin_url: str, var_dir: Path, reuse: bool) -> tuple[str, float | None]:
    """A database holding n bench resources; returns its URL and the load time (None if reused)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    marker = var_dir / f"loaded-{engine}-{n}"
    if engine == "sqlite":
        path = var_dir / f"bench-{n}.sqlite3"
        url = f"sqlite:///{path}"
        if not (reuse and marker.exists()):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        name = database_name(n)
        parsed = urlparse(admin_url)
        url = urlunparse(parsed._replace(path="/" + name))
        if not (reuse and marker.exists()):
            _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _pg_admin(admin_url, f'CREATE DATABASE "{name}"')
    if reuse and marker.exists():
        return url, None
    marker.unlink(missing_ok=True)
    os.environ.update(_environment(url, var_dir))
    from bench.load import load

    seconds = asyncio.run(load(n, progress=True))
    marker.write_text(str(seconds))
    return url, seconds


def _token(env: dict[str, str]) -> str:
    done = subprocess.run([str(CATALOGUE), "token", "--user", "bench", "--role", "staff", "--ttl", "86400"],
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def _rss_mb(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, amount = line.split(":")
            values[key] = int(amount.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def serve(env: dict[str, str], port: int, log: Path, workers: int = 1, pin: bool = True,
          server: str = "uvicorn") -> subprocess.Popen:
    """``catalogue serve`` as in production, pinned to CPU 0 (the load generator takes CPU 1).
    With BENCH_PROFILE=FILE (one worker) the server runs under cProfile and writes FILE when stopped.
    ``server="granian"`` runs the same application in granian's workers instead of uvicorn's
    (``pip install granian==2.8.7`` first), to compare the two."""
    command = [str(CATALOGUE), "serve", "--no-migrate", "--port", str(port), "--workers", str(workers)]
    if server == "granian":
        from catalogue.observability import prepare_multiprocess_dir

        env = {**env, "PROMETHEUS_MULTIPROC_DIR": prepare_multiprocess_dir(Path(env["VAR_DIR"]))}
        command = [str(CATALOGUE.parent / "granian"), "--interface", "asgi", "--factory", "--loop", "uvloop",
                   "--no-ws", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                   "--log-level", "warning", "--no-access-log", "catalogue.app:create_app"]
    if os.environ.get("BENCH_PROFILE") and workers == 1:
        command = [sys.executable, "-m", "cProfile", "-o", os.environ["BENCH_PROFILE"], *command]
    if pin and shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    process = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 60 + 30 * (workers - 1)
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the service did not become ready; see {log}")


def stop(server: subprocess.Popen) -> None:
    """Stop a server started by ``serve`` (Ctrl-C, then kill if it hangs)."""
    os.killpg(server.pid, signal.SIGINT)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time the server has used (contention from other processes does not
    inflate it, unlike latency)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _database_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on the machine (0 with SQLite, whose work is the
    server's own): the database's share of a request."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat[stat.index("(") + 1:stat.rindex(")")] in ("postgres", "postmaster"):
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure(port: int, token: str, duration: float, pid: int, concurrency: tuple[int, ...] = CONCURRENCY,
            kinds: tuple[str, ...] | None = None) -> dict[str, dict[int, loadgen.Result]]:
    headers = {"Authorization": f"Bearer {token}"}
    results: dict[str, dict[int, loadgen.Result]] = {}
    base = f"http://127.0.0.1:{port}"
    names = [*REQUESTS, *VARIED] if kinds is None else ["baseline", *kinds]
    for name in names:
        if name in VARIED:
            pool = [base + p for p in queries.paths(VARIED_PER_MEASUREMENT * (len(concurrency) + 1),
                                                    seed=11 if VARIED[name] else 13, filters=VARIED[name])]
            slices = [pool[i * VARIED_PER_MEASUREMENT:(i + 1) * VARIED_PER_MEASUREMENT]
                      for i in range(len(concurrency) + 1)]
            different = len(set(pool)) / len(pool)
            print(f"  {name:8} {VARIED_PER_MEASUREMENT} queries per measurement, {different:.0%} of all different",
                  flush=True)
        else:
            url = base + REQUESTS[name]
            slices = [url] * (len(concurrency) + 1)
            check = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(check, timeout=30) as response:
                body = json.loads(response.read())
            if name != "baseline":
                print(f"  {name:8} {REQUESTS[name]}  → total {body['total']}", flush=True)
        loadgen.run(slices[0], headers, 8, 2, cpu=1)  # warm-up, not counted
        results[name] = {}
        for c, urls in zip(concurrency, slices[1:]):
            before, database_before = _cpu_seconds(pid), _database_cpu_seconds()
            result = loadgen.run(urls, headers, c, duration, cpu=1)
            result.cpu_ms = (_cpu_seconds(pid) - before) * 1000 / max(result.requests, 1)
            result.db_cpu_ms = (_database_cpu_seconds() - database_before) * 1000 / max(result.requests, 1)
            results[name][c] = result
    return results


def report(engine: str, n: int, load_seconds: float | None, results: dict[str, dict[int, loadgen.Result]],
           rss: tuple[float, float], label: str = "") -> dict:
    base = results["baseline"]
    print(f"\n{engine}, {n} resources{', ' + label if label else ''}"
          + (f", loaded in {load_seconds:.1f} s ({n / load_seconds:.0f}/s)" if load_seconds else " (reused)"))
    print(f"{'request':9} {'c':>3} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>6}"
          f" {'p95/base':>9} {'rps/base':>9} {'cpu ms/req':>10} {'db cpu ms':>9}")
    for name, by_c in results.items():
        for c, r in by_c.items():
            print(f"{name:9} {c:>3} {r.p50:8.2f} {r.p95:8.2f} {r.p99:8.2f} {r.rps:8.0f} {r.errors:>6}"
                  f" {r.p95 / base[c].p95:9.1f} {r.rps / base[c].rps:9.2f} {r.cpu_ms:10.2f} {r.db_cpu_ms:9.2f}")
    print(f"server memory: RSS {rss[0]:.0f} MB now, {rss[1]:.0f} MB at its peak")
    load_average = Path("/proc/loadavg").read_text().split()[:3]
    print(f"machine load average (1, 5, 15 min) at the end: {' '.join(load_average)} on {os.cpu_count()} CPUs"
          " (other work on the machine inflates latency; cpu ms/req is the server's own CPU time)")
    verdicts = []
    target = TARGETS.get(n)
    if target:
        for name in ("search", "facets", "rare", *VARIED):
            if 8 not in results.get(name, {}):
                continue
            r = results[name][8]
            line = f"{name} at c=8: p95 {r.p95:.1f} ms (target ≤ {target['p95_ms']:.0f})"
            ok = r.p95 <= target["p95_ms"]
            if "rps_ratio" in target:
                ratio = r.rps / base[8].rps
                line += f", {ratio:.0%} of the baseline's requests/s (target ≥ {target['rps_ratio']:.0%})"
                ok = ok and ratio >= target["rps_ratio"]
            verdicts.append(("met" if ok else "MISSED") + ": " + line)
    if n >= 100_000:
        verdicts.append(("met" if rss[1] <= RSS_TARGET_MB else "MISSED")
                        + f": server peak RSS {rss[1]:.0f} MB (target ≤ {RSS_TARGET_MB})")
    if load_seconds and n == 10_000:
        verdicts.append(("met" if load_seconds <= 20 else "MISSED") + f": load {load_seconds:.1f} s (target ≤ 20)")
    for verdict in verdicts:
        print("  " + verdict)
    return {"engine": engine, "n": n, "load_seconds": load_seconds, "rss_mb": rss,
            "server": label, "load_average": load_average,
            "results": {k: {c: vars(r) for c, r in v.items()} for k, v in results.items()}, "verdicts": verdicts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=8, help="seconds per measurement")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL maintenance database (bench databases are made beside it)")
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--reuse", action="store_true", help="reuse a database loaded by an earlier run")
    parser.add_argument("--search-cache-size", type=int, action="append", default=None,
                        help="SEARCH_CACHE_SIZE of the server (0: every search computed afresh); repeat to run"
                             " several servers one after the other (default: the default size, then 0)")
    parser.add_argument("--concurrency", type=int, action="append", default=None,
                        help=f"concurrency of each measurement (repeatable; default {CONCURRENCY})")
    parser.add_argument("--kinds", default=None,
                        help=f"comma-separated request kinds besides the baseline (default all: "
                             f"{','.join([*REQUESTS, *VARIED][1:])})")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--tips", type=int, default=0,
                        help="also write this many staff tips on the resources (bench.tips_load), once per database")
    args = parser.parse_args(argv)

    print(f"{args.engine}: preparing {args.n} resources", flush=True)
    url, load_seconds = prepare(args.engine, args.n, args.database_url, args.var_dir, args.reuse)
    if args.tips:
        marker = args.var_dir / f"tips-{args.engine}-{args.n}-{args.tips}"
        if load_seconds is not None or not marker.exists():
            print(f"{args.engine}: adding {args.tips} tips", flush=True)
            subprocess.run([sys.executable, "-m", "bench.tips_load", "--count", str(args.tips)], check=True,
                           env=_environment(url, args.var_dir), cwd=ROOT)
            marker.write_text("")
    concurrency = tuple(args.concurrency or CONCURRENCY)
    kinds = tuple(k for k in args.kinds.split(",") if k) if args.kinds else None
    runs = []
    for size in args.search_cache_size or [None, 0]:
        env = _environment(url, args.var_dir, size)
        token = _token(env)
        print(f"server: {cache_label(env)}", flush=True)
        port = _free_port()
        server = serve(env, port, args.var_dir / f"server-{args.engine}-{args.n}.log")
        try:
            results = measure(port, token, args.duration, server.pid, concurrency, kinds)
            rss = _rss_mb(server.pid)
        finally:
            stop(server)
        runs.append(report(args.engine, args.n, load_seconds, results, rss, cache_label(env)))
    if len(runs) > 1:
        print("\nkept answers against none (same kind, same concurrency): p95 and requests/s")
        first, second = runs[0]["results"], runs[1]["results"]
        for name in first:
            for c in first[name]:
                a, b = first[name][c], second[name][c]
                print(f"  {name:12} c={c:<3} p95 {a['p95']:7.1f} vs {b['p95']:7.1f} ms,"
                      f" req/s {a['rps']:6.0f} vs {b['rps']:6.0f} ({a['rps'] / b['rps']:.2f}×)")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
