"""The search's synonyms as data the admin edits: abbreviations and everyday words that stand for
others (udir → utdanningsdirektoratet, matte → matematikk) and nynorsk word beginnings with their
bokmål ones (kjelde → kilde). The table ``search_synonym`` starts as catalogue/data/search_synonyms.csv.

Synonyms are used when a query is analysed, never when a resource is indexed, so a change needs no
re-index. What depends on them is the answers each worker keeps: a change bumps the search's change
counter (catalogue.search.index.record_change, naming no resource) in its own transaction, with the
audit row, and records that generation in ``search_state.synonyms_generation``. A worker's kept
answers belong to one generation, so none computed with the old synonyms is given again, and a
worker reads the synonyms again when the generation it sees names newer ones than it holds."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any, Literal, Optional

import msgspec
from msgspec import Meta, Struct

from catalogue.db import current_engine, is_sqlite, write_transaction
from catalogue.etags import expected_version, stale
from catalogue.problems import FieldErrors, Problem
from catalogue.search import analysis
from catalogue.search.facets import ANSWERS_ONLY  # the search_change mark of a change that moves no resource
from catalogue.search.index import record_change
from catalogue.search.sql import execute
from workflows import audit

TABLES = frozenset({"search_synonym"})  # what migration catalogue_0009_search_synonyms makes
MAX_WORD = 60
MAX_MEANS = 200
MAX_MEANS_WORDS = 10

SynonymKind = Literal["word", "both", "nynorsk"]
KIND_LABELS = {
    "word": "Ord som står for andre ord",
    "both": "Ord med samme betydning (begge veier)",
    "nynorsk": "Nynorsk ordbegynnelse",
}


class SynonymCreate(Struct, forbid_unknown_fields=True):
    word: Annotated[str, Meta(max_length=MAX_WORD, description="One word, as a teacher types it")]
    means: Annotated[str, Meta(max_length=MAX_MEANS, description="The word(s) it stands for, separated by spaces;"
                                                                  " for nynorsk the bokmål beginning")]
    kind: SynonymKind = "word"


class SynonymPatch(Struct, forbid_unknown_fields=True):
    word: Annotated[str, Meta(max_length=MAX_WORD)] | msgspec.UnsetType = msgspec.UNSET
    means: Annotated[str, Meta(max_length=MAX_MEANS)] | msgspec.UnsetType = msgspec.UNSET
    kind: SynonymKind | msgspec.UnsetType = msgspec.UNSET


class SynonymOut(Struct, kw_only=True):
    id: int
    kind: str
    word: str
    means: str
    version: int
    updated_at: Optional[str] = None


class SynonymPage(Struct, kw_only=True):
    items: list[SynonymOut]
    total: int
    limit: int
    offset: int


_ONE_WORD = re.compile(r"[^\W_]+")


def _clean(text: str) -> str:
    return " ".join(analysis.normalise(text).split())


def check(kind: str, word: str, means: str) -> tuple[str, str]:
    """The word and meaning as stored (normalised as the search reads queries), or 422 naming
    every field at fault."""
    errors = FieldErrors()
    word, means = _clean(word), _clean(means)
    if not word:
        errors.add("word", "required")
    elif not _ONE_WORD.fullmatch(word):
        errors.add("word", "must be one word: letters and digits, no spaces or punctuation")
    parts = means.split()
    if not parts:
        errors.add("means", "required")
    elif any(not _ONE_WORD.fullmatch(p) for p in parts):
        errors.add("means", "words of letters and digits only, separated by spaces")
    elif kind == "nynorsk" and len(parts) > 1:
        errors.add("means", "must be one word beginning for a nynorsk beginning")
    elif len(parts) > MAX_MEANS_WORDS:
        errors.add("means", f"at most {MAX_MEANS_WORDS} words")
    elif word and parts == [word]:
        errors.add("means", "must differ from the word")
    errors.raise_if_any()
    return word, " ".join(dict.fromkeys(parts))


def _stamp() -> Any:
    moment = datetime.datetime.now(datetime.timezone.utc)
    return moment.isoformat() if is_sqlite(current_engine()) else moment


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).isoformat(timespec="seconds")
    return str(value)


def _out(row: dict[str, Any]) -> SynonymOut:
    return SynonymOut(id=int(row["id"]), kind=row["kind"], word=row["word"], means=row["means"],
                      version=int(row["version"]), updated_at=_text(row["updated_at"]))


def _sort_key(s: SynonymOut) -> tuple:
    return (analysis.name_key(s.word), s.kind, s.id)


async def list_synonyms(kind: str | None = None, q: str | None = None, limit: int = 100,
                        offset: int = 0) -> SynonymPage:
    """The synonyms in Norwegian alphabetical order of the word (the same on both engines)."""
    rows = await execute("SELECT id, kind, word, means, version, updated_at FROM search_synonym")
    items = [_out(r) for r in rows if kind is None or r["kind"] == kind]
    if q:
        needle = _clean(q)
        items = [s for s in items if needle in s.word or needle in s.means]
    items.sort(key=_sort_key)
    return SynonymPage(items=items[offset:offset + limit], total=len(items), limit=limit, offset=offset)


async def get_synonym(synonym_id: int) -> SynonymOut:
    rows = await execute("SELECT id, kind, word, means, version, updated_at FROM search_synonym WHERE id = {}",
                         synonym_id)
    if not rows:
        raise Problem(404, f"No search synonym with id {synonym_id}.")
    return _out(rows[0])


async def _refuse_duplicate(kind: str, word: str, own_id: int | None) -> None:
    # a word has one meaning list: "word" and "both" rows of one word would be read as one
    kinds = ("nynorsk",) if kind == "nynorsk" else ("word", "both")
    rows = await execute("SELECT id FROM search_synonym WHERE word = {} AND kind IN ({}, {})",
                         word, kinds[0], kinds[-1])
    if any(int(r["id"]) != own_id for r in rows):
        raise Problem(409, f"The word {word!r} has a synonym of this kind already; change that one.",
                      errors=[{"field": "word", "message": "already has a synonym of this kind"}])


async def _changed() -> None:
    """Every worker's kept answers and synonyms are out of date from this transaction on."""
    await record_change([ANSWERS_ONLY])
    await execute("UPDATE search_state SET synonyms_generation = generation WHERE id = 1")


async def create_synonym(body: SynonymCreate, actor) -> SynonymOut:
    word, means = check(body.kind, body.word, body.means)
    async with write_transaction():
        await _refuse_duplicate(body.kind, word, None)
        stamp = _stamp()
        rows = await execute("INSERT INTO search_synonym (kind, word, means, version, created_at, updated_at)"
                             " VALUES ({}, {}, {}, 1, {}, {}) RETURNING id", body.kind, word, means, stamp, stamp)
        synonym_id = int(rows[0]["id"])
        await _changed()
        await audit.append("search_synonym.create", "search_synonym", synonym_id,
                           {"kind": body.kind, "word": word, "means": means},
                           actor=actor.label, actor_user_id=actor.user_id)
    return await get_synonym(synonym_id)


async def update_synonym(synonym_id: int, body: SynonymPatch, if_match: str | None, actor) -> SynonymOut:
    expected = expected_version("search_synonym", synonym_id, if_match)
    given = {k: getattr(body, k) for k in body.__struct_fields__ if getattr(body, k) is not msgspec.UNSET}
    if not given:
        raise Problem(422, "The update changes nothing.", errors=[{"field": "body", "message": "no fields given"}])
    async with write_transaction():
        current = await get_synonym(synonym_id)
        if current.version != expected:
            raise stale("search_synonym")
        kind = given.get("kind", current.kind)
        word, means = check(kind, given.get("word", current.word), given.get("means", current.means))
        await _refuse_duplicate(kind, word, synonym_id)
        updated = await execute("UPDATE search_synonym SET kind = {}, word = {}, means = {}, version = {},"
                                " updated_at = {} WHERE id = {} AND version = {} RETURNING id",
                                kind, word, means, expected + 1, _stamp(), synonym_id, expected)
        if not updated:
            raise stale("search_synonym")
        await _changed()
        await audit.append("search_synonym.update", "search_synonym", synonym_id,
                           {"version": expected + 1,
                            "before": {"kind": current.kind, "word": current.word, "means": current.means},
                            "after": {"kind": kind, "word": word, "means": means}},
                           actor=actor.label, actor_user_id=actor.user_id)
    return await get_synonym(synonym_id)


async def delete_synonym(synonym_id: int, if_match: str | None, actor) -> None:
    expected = expected_version("search_synonym", synonym_id, if_match)
    async with write_transaction():
        current = await get_synonym(synonym_id)
        if current.version != expected:
            raise stale("search_synonym")
        deleted = await execute("DELETE FROM search_synonym WHERE id = {} AND version = {} RETURNING id",
                                synonym_id, expected)
        if not deleted:
            raise stale("search_synonym")
        await _changed()
        await audit.append("search_synonym.delete", "search_synonym", synonym_id,
                           {"kind": current.kind, "word": current.word, "means": current.means},
                           actor=actor.label, actor_user_id=actor.user_id)


# --- what the search uses ------------------------------------------------------------------

# engine id → (engine, synonyms generation, synonyms): read again when the database names newer ones
_held: dict[int, tuple[Any, int, analysis.Synonyms]] = {}


async def current(synonyms_generation: int) -> analysis.Synonyms:
    """The synonyms as of ``synonyms_generation`` (read with the search's generation, inside its
    transaction): the ones held when they are that recent, else read from the table."""
    engine = current_engine()
    held = _held.get(id(engine))
    if held is not None and held[0] is engine and held[1] >= synonyms_generation:
        return held[2]
    # one statement: the rows and the generation they belong to are one view on both engines
    rows = await execute("SELECT s.synonyms_generation AS g, y.kind, y.word, y.means FROM search_state s"
                         " LEFT JOIN search_synonym y ON 1 = 1 WHERE s.id = 1")
    generation = int(rows[0]["g"]) if rows else 0
    synonyms = analysis.build_synonyms((r["kind"], r["word"], r["means"]) for r in rows if r["kind"] is not None)
    if held is None or held[0] is not engine or generation >= held[1]:
        _held.pop(id(engine), None)
        _held[id(engine)] = (engine, generation, synonyms)
        while len(_held) > 4:
            _held.pop(next(iter(_held)))
    return synonyms
