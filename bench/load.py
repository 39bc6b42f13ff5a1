"""Load N synthetic resources into the database named by DATABASE_URL, through the service's own
import path (catalogue.search.bulk.import_resources → catalogue.resources.create_resource: the
API's validation, one audit row per resource, the index written in the same transaction).

    DATABASE_URL=sqlite:///var/bench.sqlite3 .venv/bin/python -m bench.load --n 10000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from bench import generate


async def load(n: int, seed: int = 1, batch_size: int = 500, progress: bool = False) -> float:
    """Migrate, add the bench units, import ``n`` resources; returns the seconds the import took."""
    from catalogue.migrate import migrate
    from catalogue.schemas import UnitCreate
    from catalogue.search.bulk import import_resources
    from catalogue.security.access import Principal
    from catalogue.settings import Settings
    from catalogue.tables import Unit
    from catalogue.taxonomy import create_unit

    settings = Settings.from_env()
    await migrate(settings)
    from catalogue import db

    engine = db.current_engine()
    await db.start(engine, 2)
    try:
        actor = Principal(user_id=None, name="bench loader")
        for code, name, kind in generate.UNITS:
            if not await Unit.exists().where(Unit.code == code):
                await create_unit(UnitCreate(code=code, name=name, kind=kind), actor)
        bodies = list(generate.resources(n, seed))
        started = time.perf_counter()
        done = 0
        for start in range(0, n, 5000):
            chunk = bodies[start:start + 5000]
            await import_resources(chunk, actor, batch_size=batch_size)
            done += len(chunk)
            if progress:
                print(f"  {done}/{n} in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        return time.perf_counter() - started
    finally:
        await db.stop(engine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)
    seconds = asyncio.run(load(args.n, args.seed, args.batch_size, progress=True))
    print(f"loaded {args.n} resources in {seconds:.1f} s ({args.n / seconds:.0f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
