"""The search's synonyms become data the admin edits (catalogue.search.synonyms): the table
``search_synonym``, seeded from catalogue/data/search_synonyms.csv, and the generation of the
search's change counter at which they last changed (``search_state.synonyms_generation``), so
each worker knows when to read them again."""

import csv
import datetime
from pathlib import Path

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T11:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search synonyms kept as data"

SEED = Path(__file__).resolve().parents[2] / "catalogue" / "data" / "search_synonyms.csv"


def _statements(sqlite: bool) -> list[str]:
    key = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "SERIAL PRIMARY KEY"
    stamp = "TIMESTAMPTZ" if sqlite else "TIMESTAMP WITH TIME ZONE"
    return [
        f"CREATE TABLE search_synonym (id {key},"
        " kind VARCHAR(16) NOT NULL CHECK (kind IN ('word', 'both', 'nynorsk')),"
        " word VARCHAR(60) NOT NULL, means VARCHAR(200) NOT NULL,"
        " version INTEGER NOT NULL DEFAULT 1,"
        f" created_at {stamp} NOT NULL, updated_at {stamp} NOT NULL)",
        "CREATE UNIQUE INDEX ux_search_synonym_kind_word ON search_synonym (kind, word)",
        "ALTER TABLE search_state ADD COLUMN synonyms_generation BIGINT NOT NULL DEFAULT 0",
    ]


def _seed_rows() -> list[tuple[str, str, str]]:
    from catalogue.search.analysis import normalise

    rows: dict[tuple[str, str], str] = {}
    with SEED.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            word = normalise(row["word"]).strip()
            means = " ".join(normalise(row["means"]).split())
            if word and means and (row["kind"], word) not in rows:
                rows[(row["kind"], word)] = means
    return [(kind, word, means) for (kind, word), means in rows.items()]


async def _apply() -> None:
    engine = engine_finder()
    for statement in _statements(engine.engine_type == "sqlite"):
        await engine.run_ddl(statement)
    stamp = datetime.datetime.now(datetime.timezone.utc)
    if engine.engine_type == "sqlite":
        stamp = stamp.isoformat()
    for kind, word, means in _seed_rows():
        await engine.run_querystring(_insert(kind, word, means, stamp))


def _insert(kind: str, word: str, means: str, stamp):
    from piccolo.querystring import QueryString

    return QueryString("INSERT INTO search_synonym (kind, word, means, version, created_at, updated_at)"
                       " VALUES ({}, {}, {}, 1, {}, {})", kind, word, means, stamp, stamp)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_raw(_apply)
    return manager
