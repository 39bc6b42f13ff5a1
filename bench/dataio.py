"""Data in and out: a 10,000-row XLSX through ``catalogue resources import`` (dry run, then --apply),
50,001 rows refused, and ``export --all`` / ``import --all`` of the demo and of 10k resources with
5k cases, SQLite → PostgreSQL → SQLite. Every command runs as a person runs it (a new process);
its time and peak RSS are measured, and put next to a baseline from the same run: the same
command line doing no work (``catalogue migrate`` on an up-to-date database).

    .venv/bin/python -m bench.dataio [--n 10000] [--cases 5000] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / ".venv" / "bin" / "catalogue"
PG = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def run(args: list[str], database_url: str, var_dir: Path, check: bool = True) -> tuple[float, int, str]:
    """Seconds, peak RSS (MB) and output of one command in its own process."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "VAR_DIR", "DEMO_MODE"}}
    env.update(DATABASE_URL=database_url, VAR_DIR=str(var_dir))
    started = time.perf_counter()
    process = subprocess.Popen([str(CATALOGUE), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if check and process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss // 1024, output


def pg_database(prefix: str) -> str:
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"

    async def make() -> None:
        connection = await asyncpg.connect(PG)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(make())
    return PG.rsplit("/", 1)[0] + "/" + name


def drop_pg(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]

    async def drop() -> None:
        connection = await asyncpg.connect(PG)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(drop())


def sheet_rows(n: int) -> tuple[list[str], list[list]]:
    """``n`` resources as a municipality's sheet, with the headings people write."""
    from bench import generate
    from catalogue import domain

    header = ["Navn", "Leverandør", "Org.nr", "Nettadresse", "Type", "Beskrivelse", "Trinn", "Fag", "Plattform",
              "Pålogging", "Grunnpakke", "Databehandleravtale"]
    rows = []
    for body in generate.resources(n, seed=7):
        levels = body.get("levels") or []
        rows.append([body["name"], body["vendor"]["name"], body["vendor"].get("organisation_number") or "",
                     body["url"], domain.RESOURCE_KINDS[body["kind"]], body.get("description", "")[:2000],
                     ", ".join(levels), ", ".join(body.get("subjects") or []),
                     ", ".join(domain.PLATFORMS[p] for p in body.get("platforms") or []),
                     ", ".join(domain.LOGINS[p] for p in body.get("logins") or []),
                     "ja" if body.get("in_base_package") else "nei", "nei"])
    return header, rows


def write_sheets(n: int, xlsx: str, big: str) -> None:
    """The ``n``-row XLSX, and a CSV of 50,001 rows (without descriptions: within the size limit)."""
    from catalogue.spreadsheets import SheetData, csv_bytes, xlsx_bytes

    header, rows = sheet_rows(n)
    Path(xlsx).write_bytes(xlsx_bytes([SheetData.of("Læremidler", header, rows)]))
    short = [row[:5] + [""] + row[6:] for row in rows]
    Path(big).write_bytes(csv_bytes(header, (short * (50_001 // len(short) + 1))[:50_001]))


async def add_cases(count: int) -> None:
    """``count`` closed proposal cases with three events each, on the resources there are."""
    import datetime

    from catalogue import db
    from catalogue.migrate import migrate
    from catalogue.settings import Settings
    from catalogue.tables import Resource
    from workflows.tables import Case, CaseEvent

    await migrate(Settings.from_env())
    ids = [r["id"] for r in await Resource.select(Resource.id).order_by(Resource.id).limit(count)]
    stamp = datetime.datetime.now(datetime.timezone.utc)
    async with db.write_transaction():
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            made = await Case.insert(*[Case(kind="proposal", resource=r, state="approved", outcome="approved",
                                            title=f"Forslag {r}", justification=json.dumps({"pedagogical_purpose":
                                                                                             "Trening"}),
                                            created_at=stamp, updated_at=stamp, closed_at=stamp) for r in chunk]
                                     ).returning(Case.id)
            events = []
            for row in made:
                for action, before, after in (("submit", "draft", "pedagogical_review"),
                                              ("approve", "pedagogical_review", "approved"),
                                              ("comment", None, None)):
                    events.append(CaseEvent(case=row["id"], occurred_at=stamp, actor_label="benk",
                                            action=action, from_state=before, to_state=after,
                                            reason="Godkjent etter vurdering.", data="{}"))
            await CaseEvent.insert(*events)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dataio", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=5_000)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--only", choices=["sheet", "whole"], help="run one half")
    args = parser.parse_args(argv)
    work = ROOT / "var" / "bench" / "dataio"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    figures: dict[str, dict] = {}

    def note(name: str, seconds: float, rss: int, base: float, extra: str = "") -> None:
        figures[name] = {"seconds": round(seconds, 2), "peak_rss_mb": rss, "ratio": round(seconds / base, 1)}
        print(f"{name:<44} {seconds:7.2f} s  ×{seconds / base:5.1f}  peak RSS {rss:4d} MB  {extra}", flush=True)

    sqlite = f"sqlite:///{work / 'sheet.sqlite3'}"
    run(["migrate"], sqlite, work)
    base, base_rss, _ = run(["migrate"], sqlite, work)
    figures["baseline"] = {"seconds": round(base, 2), "peak_rss_mb": base_rss}
    print(f"{'baseline: catalogue migrate, nothing to do':<44} {base:7.2f} s  ×  1.0  peak RSS {base_rss:4d} MB")

    if args.only != "whole":
        # --- the spreadsheet import (the sheets are made in another process, so that this one stays
        # small: a child's peak RSS counts what it shared with its parent when forked) ---
        xlsx, big = work / "laeremidler.xlsx", work / "mange.csv"
        subprocess.run([sys.executable, "-c", f"import bench.dataio as d; d.write_sheets({args.n}, {str(xlsx)!r}, "
                        f"{str(big)!r})"], check=True, cwd=ROOT)
        seconds, rss, out = run(["resources", "import", str(xlsx)], sqlite, work)
        note(f"sheet import {args.n} rows: dry run", seconds, rss, base, out.strip().splitlines()[-2][:60])
        seconds, rss, out = run(["resources", "import", "--apply", str(xlsx)], sqlite, work)
        note(f"sheet import {args.n} rows: --apply", seconds, rss, base, out.strip().splitlines()[-2][:60])
        seconds, rss, out = run(["resources", "import", str(xlsx)], sqlite, work)
        note(f"sheet import {args.n} rows: again (unchanged)", seconds, rss, base, out.strip().splitlines()[-2][:60])
        seconds, rss, out = run(["resources", "import", str(big)], sqlite, work, check=False)
        note("sheet of 50,001 rows: refused", seconds, rss, base, out.strip().splitlines()[-1][:80])

    if args.only != "sheet":
        # --- the whole database ---
        demo = f"sqlite:///{work / 'demo.sqlite3'}"
        run(["seed-demo"], demo, work)
        for label, source in (("demo", demo), (f"{args.n} resources + {args.cases} cases", None)):
            if source is None:
                source = f"sqlite:///{work / 'big.sqlite3'}"
                env = {**os.environ, "DATABASE_URL": source, "VAR_DIR": str(work)}
                subprocess.run([sys.executable, "-m", "bench.load", "--n", str(args.n)], env=env, check=True,
                               capture_output=True, cwd=ROOT)
                subprocess.run([sys.executable, "-c", f"import asyncio, bench.dataio as d; asyncio.run(d.add_cases({args.cases}))"],
                               env=env, check=True, cwd=ROOT)
            slug = label.split()[0]
            first, second = work / f"{slug}-1.jsonl.gz", work / f"{slug}-2.jsonl.gz"
            seconds, rss, out = run(["export", "--all", str(first)], source, work)
            rows_line = out.strip().splitlines()[-1]
            note(f"export --all {label} (SQLite)", seconds, rss, base, rows_line[:70])
            target = pg_database("bench_move")
            try:
                seconds, rss, _ = run(["import", "--all", str(first)], target, work)
                note(f"import --all {label} (into PostgreSQL)", seconds, rss, base)
                seconds, rss, _ = run(["export", "--all", str(second)], target, work)
                note(f"export --all {label} (PostgreSQL)", seconds, rss, base)
                _, _, verified = run(["audit", "verify"], target, work)
                print(f"    {verified.strip()}")
            finally:
                drop_pg(target)
            back = f"sqlite:///{work / (slug + '-back.sqlite3')}"
            seconds, rss, _ = run(["import", "--all", str(second)], back, work)
            note(f"import --all {label} (back into SQLite)", seconds, rss, base)
            size = first.stat().st_size / 1e6
            print(f"    file {size:.1f} MB (gzip)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
