"""Tips for the search bench: ``count`` tips on the published resources of a loaded bench database,
written by 50 staff members with the words staff write (the subjects' vocabulary, uses, levels),
then the search index rebuilt so that their words are found (as a tip written through the API is
indexed in its own transaction). Deterministic (seeded).

    DATABASE_URL=... VAR_DIR=... .venv/bin/python -m bench.tips_load --count 50000

``bench.run --tips N`` calls it once per database (a marker file keeps it from running again)."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import random
import sys
import time

from bench import generate

AUTHORS = 50
BATCH = 500
USES = ["stasjoner", "lekser", "tilpasset opplæring", "repetisjon", "gruppearbeid", "prosjekt", "vurdering",
        "begynneropplæring", "morgenmøte", "lesekvart", "mengdetrening", "tverrfaglig arbeid"]
WORKED = ["Elevene fikk raske tilbakemeldinger.", "Lett å komme i gang med Feide.", "Fine oppgaver på flere nivåer.",
          "Engasjerte også de som strever.", "God oversikt for læreren."]
WATCH = ["Sjekk innloggingen før timen.", "Lyden må være av i klasserommet.", "Noen oppgaver er på engelsk.",
         "Krever nettbrett med ny programvare.", ""]


def _text(rng: random.Random, subjects: list[str]) -> str:
    words = [w for code in subjects for w in generate.SUBJECTS.get(code, (0, []))[1]] or ["læring"]
    use = rng.choice(USES)
    return (f"Vi brukte det til {use} med {rng.choice(words)} og {rng.choice(words)}. "
            f"Fungerte best i korte økter på {rng.randint(10, 30)} minutter.")


async def add_tips(count: int, seed: int = 11, progress: bool = False) -> float:
    """Write ``count`` tips and rebuild the index; returns the seconds it took."""
    from catalogue import db
    from catalogue.markdown_text import render
    from catalogue.search.index import reindex
    from catalogue.search.sql import execute
    from catalogue.settings import Settings
    from catalogue.users import ensure_user, grant_role

    engine = db.engine_from_url(Settings.from_env().database_url)
    db.bind_tables(engine)
    await db.start(engine, 2)
    rng = random.Random(seed)
    started = time.perf_counter()
    try:
        authors = []
        async with db.write_transaction():
            for n in range(AUTHORS):
                user_id = await ensure_user("local", f"bench-tipper-{n}", f"Benk Tipser {n}")
                await grant_role(user_id, "staff", "bench")
                authors.append(user_id)
        rows = await execute("SELECT resource, facet, value FROM resource_facet WHERE facet IN ({}, {})",
                             "subject", "level")
        published = {r["id"] for r in await execute("SELECT id FROM resource WHERE status = {}", "published")}
        facets: dict[int, dict[str, list[str]]] = {}
        for row in rows:
            if row["resource"] in published:
                facets.setdefault(row["resource"], {"subject": [], "level": []})[row["facet"]].append(row["value"])
        ids = sorted(published)
        now = datetime.datetime.now(datetime.timezone.utc)
        done = 0
        while done < count:
            chunk = min(BATCH, count - done)
            values: list = []
            for _ in range(chunk):
                resource = rng.choice(ids)
                own = facets.get(resource, {"subject": [], "level": []})
                body = _text(rng, own["subject"])
                worked, watch = rng.choice(WORKED), rng.choice(WATCH)
                values += [resource, rng.choice(authors), body, render(body), worked, render(worked), watch,
                           render(watch) if watch else "", json.dumps(own["level"][:2]),
                           json.dumps(own["subject"][:1]), rng.randint(0, 12), now, now]
            async with db.write_transaction():
                await execute(
                    "INSERT INTO resource_tip (resource, author, body, body_html, worked, worked_html, watch_out,"
                    " watch_out_html, levels, subjects, useful_count, created_at, updated_at) VALUES "
                    + ", ".join("({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})" for _ in range(chunk)), *values)
            done += chunk
            if progress and done % 10_000 == 0:
                print(f"  {done}/{count} tips in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        indexed = await reindex()
        if progress:
            print(f"  index rebuilt for {indexed} resources", file=sys.stderr, flush=True)
        return time.perf_counter() - started
    finally:
        await db.stop(engine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tips_load", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    args = parser.parse_args(argv)
    seconds = asyncio.run(add_tips(args.count, progress=True))
    print(f"added {args.count} tips and rebuilt the index in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
