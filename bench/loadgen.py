"""Load generators: wrk when it is installed (apt-get install wrk), else an httpx client.

Both run a closed loop of ``concurrency`` connections for ``duration`` seconds against one URL, or a
list of URLs of one host taken in turn, on loopback, pinned to one CPU, and report latency
percentiles (ms), requests per second and errors. A baseline and the requests compared with it are
always sent by the same generator: wrk carries several times the requests per second of the Python
client, so a ratio between the two would say more about the clients than about the service."""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass

WRK_SCRIPT = """
local paths, turn = {}, 0
if PATHS_FILE then
  for line in io.lines(PATHS_FILE) do paths[#paths + 1] = line end
  request = function()
    turn = turn + 1
    return wrk.format(nil, paths[(turn - 1) % #paths + 1])
  end
end
"""
# How every wrk script of the benches reports a run: percentiles and duration in µs, requests, the
# errors by kind, and the failed answers a script's threads kept as samples (a global ``samples``
# table in each thread, collected by ``setup`` into ``threads``), if it keeps any.
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d\\n", latency:percentile(50),
    latency:percentile(95), latency:percentile(99), summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout))
  for _, thread in ipairs(threads or {}) do
    for _, sample in ipairs(thread:get("samples") or {}) do io.write("SAMPLE " .. sample .. "\\n") end
  end
end
"""


@dataclass
class WrkReport:
    p50: float  # ms
    p95: float
    p99: float
    requests: int
    seconds: float
    failed: dict[str, int]  # connect, read, write, status (4xx and 5xx), timeout
    samples: list[str]

    @classmethod
    def of(cls, output: str) -> "WrkReport":
        """What WRK_DONE wrote."""
        lines = output.splitlines()
        p50, p95, p99, requests, micros, *errors = (int(v) for v in next(
            x for x in lines if x.startswith("RESULT ")).split()[1:])
        return cls(p50 / 1000, p95 / 1000, p99 / 1000, requests, micros / 1e6,
                   dict(zip(("connect", "read", "write", "status", "timeout"), errors)),
                   [x[len("SAMPLE "):] for x in lines if x.startswith("SAMPLE ")])


@dataclass
class Result:
    p50: float
    p95: float
    p99: float
    rps: float
    requests: int
    errors: int
    cpu_ms: float = 0.0  # server CPU time per request, filled in by bench.run
    db_cpu_ms: float = 0.0  # PostgreSQL's CPU time per request (bench.run)


def _loopback(url: str) -> None:
    host = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
    if host not in {"127.0.0.1", "localhost", "[::1]"}:
        raise ValueError(f"load is only ever sent to loopback, not {host}")


def run(url: str | list[str], headers: dict[str, str], concurrency: int, duration: float,
        cpu: int | None) -> Result:
    """One measurement: ``concurrency`` connections for ``duration`` seconds, sending ``url`` or,
    given a list, its URLs in turn (each connection takes the next one)."""
    urls = [url] if isinstance(url, str) else url
    for one in {u.split("?", 1)[0] for u in urls}:
        _loopback(one)
    if shutil.which("wrk") and len({u.split("/", 3)[2] for u in urls}) == 1:
        return _wrk(urls, headers, concurrency, duration, cpu)
    return _httpx(urls, headers, concurrency, duration, cpu)


def _wrk(urls: list[str], headers: dict[str, str], concurrency: int, duration: float, cpu: int | None) -> Result:
    url = urls[0]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listed:
        listed.write("\n".join("/" + u.split("/", 3)[3] if u.count("/") >= 3 else "/" for u in urls) + "\n")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write((f'PATHS_FILE = "{listed.name}"\n' if len(urls) > 1 else "") + WRK_SCRIPT + WRK_DONE)
    try:
        command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "--timeout", "10s",
                   "-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        command.append(url)
        if cpu is not None and shutil.which("taskset"):
            command = ["taskset", "-c", str(cpu), *command]
        output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    finally:
        os.unlink(script.name)
        os.unlink(listed.name)
    report = WrkReport.of(output)
    return Result(report.p50, report.p95, report.p99, report.requests / report.seconds, report.requests,
                  sum(report.failed.values()))


def _httpx(urls: list[str], headers: dict[str, str], concurrency: int, duration: float, cpu: int | None) -> Result:
    import itertools

    import httpx

    turns = itertools.cycle(urls)

    if cpu is not None:
        os.sched_setaffinity(0, {cpu})

    async def main() -> tuple[list[float], int, float]:
        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(headers=headers, limits=limits, timeout=10) as client:
            started = time.perf_counter()
            deadline = started + duration

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < deadline:
                    t = time.perf_counter()
                    try:
                        response = await client.get(next(turns))
                        ok = response.status_code < 400
                    except httpx.HTTPError:
                        ok = False
                    latencies.append((time.perf_counter() - t) * 1000)
                    errors += not ok

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return latencies, errors, time.perf_counter() - started

    latencies, errors, elapsed = asyncio.run(main())
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Result(cuts[49], cuts[94], cuts[98], len(latencies) / elapsed, len(latencies), errors)
