"""The first search after a restart against the later ones, in one process (no HTTP): what a search
costs when nothing is in memory yet (the facet bitmaps and the index's words are read from the
database, as after a restart or a reindex), and later, when they are but the answer is not kept.
Uses a database loaded by ``bench.run``.

    .venv/bin/python -m bench.cold --engine sqlite --n 10000
    .venv/bin/python -m bench.cold --engine postgresql --n 100000

Each figure is the median of ``--repeat`` searches; the baseline is the same call for a listing with
no words and no filters, measured in the same run."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from bench import generate
from bench.run import ROOT, _environment, database_name

QUERIES = {
    "search": (generate.COMMON_WORD, {"bands": ["5-7"], "platforms": ["ipad"]}),
    "search, other filters": (generate.COMMON_WORD, {"bands": ["8-10"]}),
    "facets": (None, {"subjects": ["NOR"], "bands": ["1-4"]}),
    "rare": (generate.RARE_TAG, {}),
}


async def measure(repeat: int) -> list[tuple[str, float, float]]:
    from catalogue import db
    from catalogue.visibility import ResourceFilters
    from catalogue.search import facets, listing
    from catalogue.security.access import Principal
    from catalogue.settings import Settings

    listing.set_cache_size(0)  # answers are never kept here: every call computes its page
    settings = Settings.from_env()
    engine = db.engine_from_url(settings.database_url, settings.sqlite_busy_timeout_seconds)
    db.bind_tables(engine)
    await db.start(engine, settings.db_pool_size)
    staff = Principal(user_id=None, name="bench", roles=frozenset({"staff"}))
    empty = {name: [] for name in ("levels", "bands", "subjects", "kindergarten_areas", "kinds", "platforms",
                                   "logins", "languages", "statuses", "units")}

    def query(q: str | None, filters: dict) -> listing.SearchQuery:
        return listing.SearchQuery(q=q, filters=ResourceFilters(**{**empty, **filters}, in_base_package=None),
                                   limit=20, offset=0)

    async def timed(search: listing.SearchQuery) -> float:
        start = time.perf_counter()
        await listing.search_resources(search, staff)
        return (time.perf_counter() - start) * 1000

    try:
        await timed(query(None, {}))  # the facet bitmaps are built once per process, not counted
        out = [("baseline (no words, no filters)", 0.0, statistics.median([await timed(query(None, {}))
                                                                            for _ in range(repeat)]))]
        for name, (q, filters) in QUERIES.items():
            facets._snapshots.clear()  # as after a restart: the bitmaps and words are read again
            first = await timed(query(q, filters))
            later = statistics.median([await timed(query(q, filters)) for _ in range(repeat)])
            out.append((name, first, later))
        return out
    finally:
        await db.stop(engine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args(argv)
    if not (args.var_dir / f"loaded-{args.engine}-{args.n}").exists():
        print(f"No bench database of {args.n} resources on {args.engine}: run bench.run first.", file=sys.stderr)
        return 2
    if args.engine == "sqlite":
        url = f"sqlite:///{args.var_dir / f'bench-{args.n}.sqlite3'}"
    else:
        url = urlunparse(urlparse(args.database_url)._replace(path="/" + database_name(args.n)))
    os.environ.update(_environment(url, args.var_dir))
    rows = asyncio.run(measure(args.repeat))
    base = rows[0][2]
    print(f"{args.engine}, {args.n} resources, search_resources in process (ms; ratio to the baseline)")
    print(f"{'request':32} {'first':>9} {'ratio':>7} {'later':>9} {'ratio':>7}")
    for name, first, later in rows:
        first_text = f"{first:9.2f} {first / base:7.1f}" if first else f"{'':9} {'':7}"
        print(f"{name:32} {first_text} {later:9.2f} {later / base:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
