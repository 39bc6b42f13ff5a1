"""The catalogue list is the search: free text, filters, facet counts, sorting and pages.

A request, in one read transaction (one connection and one snapshot on SQLite):
1. the words of ``q`` are analysed (catalogue.search.analysis) and names one typo away looked up;
2. the index's words (catalogue.search.words, in memory with the facet bitmaps) give, for each
   word, the ids that match it as a bitset; the hits match every word;
3. the facet bitmaps (catalogue.search.facets) give visibility, filters, the total and every
   facet's counts, each facet counted over the query without its own filter;
4. the page is ordered by relevance, name, or date, and read. Relevance adds the points of the
   fields each word matches (catalogue.search.engines), from one bitset per word and field, and
   takes the page from the best score down, ties in name order.

Answers are kept with the bitmaps of the generation they were computed from (at most
SEARCH_CACHE_SIZE of them per process), keyed by the query and by what the caller may see, so a
repeated search (the front page, a popular subject) costs one read of the generation counter.
Every change of a resource moves the generation in its own transaction, and with it the bitmaps,
so a kept answer is never older than what the caller's transaction sees. The words move with the
bitmaps: only the documents of the resources changed since are read again.

Whatever SEARCH_CACHE_SIZE says, each generation also keeps the rows of the pages it has shown (as
the API's JSON, at most SUMMARIES_KEPT; carried to the next generation but for the resources that
changed), the vocabulary rows of the keys it has looked up (at most VOCABULARY_KEPT) and the query
texts it has analysed with them (at most QUERIES_KEPT; the next generation starts without either):
an uncached search of known words over resources shown before then reads nothing but the
generation counter. Facet counts are taken for every value at once from a numpy matrix of the
bitmaps (facets.Counting)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging

import msgspec
from dataclasses import dataclass
from typing import Any

from catalogue.db import current_engine, is_sqlite, read_session
from catalogue import domain
from catalogue.observability import search_cache
from catalogue.schemas import ResourceSummary
from catalogue.search import analysis, facets, synonyms
from catalogue.search import engines
from catalogue.search.schemas import FacetValue, SearchPage
from catalogue.search.sql import execute
from catalogue.security.access import Principal
from catalogue.settings import Settings
from catalogue.visibility import (
    BANDS,
    LEVEL_CODES,
    UNIT_SCOPED_STATUSES,
    ResourceFilters,
    validate_filters,
    visible_statuses,
    wanted_statuses,
)

logger = logging.getLogger(__name__)

# facet in the API → the filter it leaves out when counting (level and band are one filter)
FACET_FILTER = {"level": "level", "band": "level", "subject": "subject", "kindergarten_area": "kindergarten_area",
                "kind": "kind", "platform": "platform", "login": "login", "language": "language",
                "status": "status", "in_base_package": "in_base_package", "unit": "unit"}
NATURAL_ORDER = {"level": list(LEVEL_CODES), "band": list(BANDS)}
_NATURAL_INDEX = {name: {v: i for i, v in enumerate(values)} for name, values in NATURAL_ORDER.items()}
DATE_SORTS = {"newest": "r.created_at DESC, r.id DESC", "updated": "r.updated_at DESC, r.id DESC"}


@dataclass
class SearchQuery:
    q: str | None
    filters: ResourceFilters
    limit: int
    offset: int
    sort: str | None = None  # relevance when q has words, else name
    facets: bool = True


_cache_size = Settings.search_cache_size  # until create_app sets it from the environment


def set_cache_size(size: int) -> None:
    """How many answers each generation's bitmaps keep (0: none)."""
    global _cache_size
    _cache_size = max(0, size)


def _cache_key(query: SearchQuery, principal: Principal) -> tuple:
    """What the answer depends on: the query, and what the caller may see (the statuses, and for
    an ICT mentor the units whose drafts they see)."""
    visible = visible_statuses(principal)
    scoped = visible is not None and any(s in UNIT_SCOPED_STATUSES for s in visible)
    f = query.filters
    return (visible, tuple(sorted(principal.unit_codes)) if scoped else None, query.q or "",
            tuple(f.levels), tuple(f.bands), tuple(f.subjects), tuple(f.kindergarten_areas), tuple(f.kinds),
            tuple(f.platforms), tuple(f.logins), tuple(f.languages), tuple(f.statuses), tuple(f.units),
            f.in_base_package, tuple(f.aims), query.limit, query.offset, query.sort, query.facets)


VOCABULARY_KEPT = 20_000  # vocabulary keys whose rows each generation keeps
QUERIES_KEPT = 5_000  # query texts whose analysis each generation keeps


async def _add_vocabulary(terms: list[analysis.Term], snapshot: facets.Snapshot | None) -> None:
    """One look-up in the vocabulary for every term: words of names one edit away (kahot →
    Kahoot), ordinary words one edit away (programering), words spelt with æ, ø, å where the query
    has ae/oe/aa or a/o (brok → brøk), the known words a compound is made of and words written apart
    that are one word. Confirmed here, so both engines find the same ones. With the ``snapshot``
    of the generation the caller's transaction sees, the keys it has looked up before are not read
    again (a popular word's keys are asked for by most searches)."""
    wanted = analysis.fuzzy_candidates(terms)
    keys = sorted({k for ks in wanted.values() for k in ks} | analysis.vocabulary_lookups(terms))
    if not keys:
        return
    known = snapshot.vocabulary if snapshot is not None else {}
    missing = [k for k in keys if k not in known]
    found: dict[str, list[tuple[str, str, str]]] = {k: [] for k in missing}
    if missing:
        for r in await execute(f"SELECT key, word, lexeme FROM search_vocab WHERE key IN"
                               f" ({', '.join('{}' for _ in missing)})", *missing):
            found[r["key"]].append((r["key"], r["word"], r["lexeme"]))
    rows = [row for k in keys for row in (found[k] if k in found else known[k])]
    if snapshot is not None and found:
        for k, rows_of in found.items():
            known[k] = tuple(rows_of)
        while len(known) > VOCABULARY_KEPT:
            del known[next(iter(known))]
    names = [r for r in rows if r[0][:1] not in (analysis.WORD_KEY, analysis.SKELETON_KEY)]
    for term in terms:
        if term.word not in wanted:
            continue
        matches = sorted({lexeme for _, word, lexeme in names if word != term.word
                          and analysis.within_one_edit(term.word, word)})
        term.fuzzy_names = [m for m in matches if m != term.stem][:20]
    analysis.apply_vocabulary(terms, rows)


def _matching(snapshot: facets.Snapshot, expression: engines.Expression) -> int:
    """The resources whose document matches an expression, as a bitset (from the words in memory)."""
    return snapshot.words.matching(expression)


def _by_relevance(snapshot: facets.Snapshot, hits: int, weighted: list[tuple[int, int]], wanted: int) -> list[int]:
    """The first ``wanted`` hits by score (the points of each matching bitset), then name order.
    The hits are split into one bitset per score, which stays small: a few AND operations each."""
    levels = {0: hits}
    for bits, points in weighted:
        split: dict[int, int] = {}
        for score, members in levels.items():
            inside = members & bits
            outside = members ^ inside
            if inside:
                split[score + points] = split.get(score + points, 0) | inside
            if outside:
                split[score] = split.get(score, 0) | outside
        levels = split
    size = len(snapshot.name_keys) or 1
    out: list[int] = []
    for score in sorted(levels, reverse=True):
        need = wanted - len(out)
        if need <= 0:
            break
        members = levels[score]
        count = members.bit_count()
        if need * size <= count * count:  # dense: walking the name order finds them soon
            out += snapshot.first_by_name(members, need)
        else:
            out += snapshot.first_of_few_by_name(members, need)
    return out


def _filter_keys(filters: ResourceFilters) -> dict[str, list[facets.Key]]:
    """Each filter as the facet keys it accepts (any of them)."""
    levels = list(dict.fromkeys([*filters.levels, *(lv for band in filters.bands for lv in BANDS[band])]))
    out = {
        "level": [("level", v) for v in levels],
        "subject": [("subject", v) for v in filters.subjects],
        "kindergarten_area": [("area", v) for v in filters.kindergarten_areas],
        "kind": [("kind", v) for v in filters.kinds],
        "platform": [("platform", v) for v in filters.platforms],
        "login": [("login", v) for v in filters.logins],
        "language": [("language", v) for v in filters.languages],
        "unit": [("unit", v) for v in filters.units],
        "aim": [("aim", v) for v in filters.aims],
        "in_base_package": [] if filters.in_base_package is None else
        [("base", "true" if filters.in_base_package else "false")],
    }
    return {name: keys for name, keys in out.items() if keys}


def _visible(snapshot: facets.Snapshot, filters: ResourceFilters, principal: Principal, any_status: bool) -> int:
    """The resources the caller may see among the statuses the listing shows."""
    statuses = wanted_statuses(filters, principal, any_status)
    bits = snapshot.union(("status", s) for s in (statuses if statuses is not None else facets.ALL_STATUSES))
    visible = visible_statuses(principal)
    if visible is not None and any(s in UNIT_SCOPED_STATUSES for s in visible):
        # an ICT mentor sees drafts and resources in review of their own units only
        scoped = snapshot.union(("status", s) for s in UNIT_SCOPED_STATUSES)
        own = snapshot.union(("unit", u) for u in principal.unit_codes)
        bits &= ~(scoped & ~own)
    return bits


# Points that order partial matches: each word matched counts more than where it matched, and a
# word matched as typed more than one matched only through another spelling or a typo.
WORD_POINTS, AS_TYPED_POINTS = 1000, 100
JOINED_POINTS = 3  # the hyphenated word as typed (e-bøker), over its last part only


async def warm() -> None:
    """Read the facet bitmaps and the index's words into memory (at start, so that the first search
    does not wait for them: seconds at 100,000 resources). A database not yet migrated is left to
    the first search."""
    try:
        async with read_session():
            await facets.current_state()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - a warm-up never stops the service
        logger.info("search not warmed at start: %s", exc)


async def search_resources(query: SearchQuery, principal: Principal) -> SearchPage:
    """The page of resources the caller may see that match the query, with facet counts."""
    return _DECODER.decode(await _search(query, principal))


async def search_resources_json(query: SearchQuery, principal: Principal) -> bytes:
    """The same page as search_resources, as the API's JSON body."""
    return await _search(query, principal)


_DECODER = msgspec.json.Decoder(SearchPage)
_QUERY_DECODER = msgspec.msgpack.Decoder(analysis.Query)


def _with_items_encoded(page: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """``page`` with items that are already JSON: field for field the same, in the same order."""
    fields = []
    for f in msgspec.structs.fields(page):
        kind = list[msgspec.Raw] if f.name == "items" else f.type
        if f.default_factory is not msgspec.NODEFAULT:
            fields.append((f.name, kind, msgspec.field(default_factory=f.default_factory)))
        elif f.default is not msgspec.NODEFAULT:
            fields.append((f.name, kind, f.default))
        else:
            fields.append((f.name, kind))
    return msgspec.defstruct(f"{page.__name__}Encoded", fields, kw_only=True)


_EncodedPage = _with_items_encoded(SearchPage)


async def _search(query: SearchQuery, principal: Principal) -> bytes:
    """The page as the API's JSON. Kept answers are JSON bytes, not objects: a collector pass
    never has to walk them (thousands of kept pages of objects made every full collection, and
    with it some requests, slower than computing the answer)."""
    validate_filters(query.filters)
    key = _cache_key(query, principal) if _cache_size else None
    async with read_session():
        snapshot, generation, synonyms_generation = await facets.current_state()
        keep = snapshot.generation == generation  # else computed from an older view: not kept
        if not keep:
            key = None
        # a kept answer belongs to one generation, and a change of the synonyms moves it: the
        # answer was computed with the synonyms this transaction sees
        if key is not None and (cached := snapshot.results.get(key)) is not None:
            search_cache(True)
            return cached
        search_cache(False)
        analysed = snapshot.queries.get(query.q or "") if keep else None
        if analysed is not None:
            parsed = _QUERY_DECODER.decode(analysed)
        else:
            parsed = analysis.analyse_query(query.q or "", await synonyms.current(synonyms_generation))
            if parsed.terms:
                await _add_vocabulary(parsed.terms, snapshot if keep else None)
            if keep:  # as bytes, which the cyclic collector never walks (as the kept answers)
                snapshot.queries[query.q or ""] = msgspec.msgpack.encode(parsed)
                while len(snapshot.queries) > QUERIES_KEPT:
                    del snapshot.queries[next(iter(snapshot.queries))]
        terms = parsed.terms
        notices: list[str] = []
        filters = query.filters
        if parsed.levels:
            notices.append("levels_from_query")
            if not filters.levels and not filters.bands:  # "matte 5-7": the range is the level filter
                filters = dataclasses.replace(filters, levels=parsed.levels)
        if parsed.uncovered_level:
            notices.append("level_not_covered")
        sort = query.sort or ("relevance" if terms else "name")
        if sort == "relevance" and not terms:
            sort = "name"
        matched = 0 if parsed.uncovered_level and not terms else None  # only "vgs": nothing
        as_typed: list[int] = []  # per term: the resources matching it as typed
        per_term: list[int] = []  # per term: also through other spellings and typos
        checked: list[tuple[int, int]] = []  # the relevance checks of every term: (bitset, points)
        if terms:
            for term in terms:
                bits, checks = engines.term_sets(snapshot.words, term)
                checked += checks
                if term.parts:  # matematikkspill: matematikk and spill
                    both = None
                    for part in term.parts:
                        part_bits = _matching(snapshot, engines.anywhere(part))
                        both = part_bits if both is None else both & part_bits
                    bits |= both or 0
                as_typed.append(bits)
                if term.fallback:
                    bits |= _matching(snapshot, engines.any_of(term.fallback))
                per_term.append(bits)
                matched = bits if matched is None else matched & bits

        selected = {name: snapshot.union(keys) for name, keys in _filter_keys(filters).items()}

        visible_bits: dict[bool, int] = {}  # with and without the status filter

        def base(omit: str | None = None) -> int:
            any_status = omit == "status"
            bits = visible_bits.get(any_status)
            if bits is None:
                bits = visible_bits[any_status] = _visible(snapshot, filters, principal, any_status)
            if matched is not None:
                bits &= matched
            for name, accepted in selected.items():
                if name != omit:
                    bits &= accepted
            return bits

        hits = base()
        partial = False
        if not hits and len(terms) > 1:  # nothing has every word: the best partial matches
            matched = 0
            for bits in per_term:
                matched |= bits
            hits = base()
            partial = bool(hits)
            if partial:
                notices.append("partial")
        total = hits.bit_count()
        counts = _count_facets(snapshot, base, selected) if query.facets else {}
        wanted = query.offset + query.limit
        if sort in ("name", "-name"):
            page_ids = snapshot.first_by_name(hits, wanted, descending=sort == "-name")[query.offset:]
        elif sort == "relevance":
            weighted = []
            if hits:
                if partial:
                    weighted += [(bits, WORD_POINTS) for bits in per_term]
                weighted += [(typed, AS_TYPED_POINTS) for typed, bits in zip(as_typed, per_term) if typed != bits]
                weighted += checked
                weighted += [(_matching(snapshot, engines.any_of(term.joined)), JOINED_POINTS)
                             for term in terms if term.joined]
            page_ids = _by_relevance(snapshot, hits, weighted, wanted)[query.offset:]
        else:
            page_ids = await _by_date(facets.ids_of(hits), DATE_SORTS[sort], query.limit, query.offset)
        entries = await _summaries(page_ids, snapshot if keep else None)

    visible = visible_statuses(principal)
    if visible is not None:  # never show what the caller may not see, even from a stale index
        entries = [e for e in entries if e[0] in visible and (
            e[0] not in UNIT_SCOPED_STATUSES or principal.unit_codes.intersection(e[1]))]
    encoded = msgspec.json.encode(_EncodedPage(
        items=[msgspec.Raw(e[2]) for e in entries], total=total, limit=query.limit, offset=query.offset,
        facets=_facets_out(counts, filters) if query.facets else {}, notices=notices,
        levels_from_query=parsed.levels))
    if key is None:
        return encoded
    kept = snapshot.results
    kept[key] = encoded
    while len(kept) > _cache_size:
        kept.popitem(last=False)  # the oldest first, in constant time
    return encoded


SUMMARIES_KEPT = 20_000  # rows of result pages each generation keeps, the most recently shown


async def _summaries(ids: list[int], snapshot: facets.Snapshot | None) -> list[tuple[str, tuple[str, ...], bytes]]:
    """The rows of a page in the order of ``ids``, each as (status, units, the item's JSON). With
    the ``snapshot`` of the generation the caller's transaction sees, rows shown before at this
    generation are not read again (every change of a resource moves the generation and drops its
    row from the next one's, see facets.Snapshot.summaries)."""
    kept = snapshot.summaries if snapshot is not None else None
    found: dict[int, tuple[str, tuple[str, ...], bytes]] = {}
    missing = []
    for i in ids:
        entry = kept.get(i) if kept is not None else None
        if entry is None:
            missing.append(i)
        else:
            found[i] = entry
            kept.move_to_end(i)
    if missing:
        rows, values = await _rows(missing, snapshot)
        for r in rows:
            own = values[r["id"]]
            entry = found[r["id"]] = (r["status"], tuple(own["units"]), msgspec.json.encode(ResourceSummary(
                id=r["id"], name=r["name"], vendor=r["vendor_name"], kind=r["kind"], status=r["status"],
                in_base_package=bool(r["in_base_package"]), restrictions=r["restrictions"], url=r["url"],
                demo_data=bool(r["is_demo"]), version=r["version"], levels=own["levels"], subjects=own["subjects"],
                kindergarten_areas=own["kindergarten_areas"], platforms=own["platforms"], logins=own["logins"])))
            if kept is not None:
                kept[r["id"]] = entry
        if kept is not None:
            while len(kept) > SUMMARIES_KEPT:
                kept.popitem(last=False)
    return [found[i] for i in ids if i in found]


def _count_facets(snapshot: facets.Snapshot, base, selected: dict[str, int]) -> dict[str, dict[str, int]]:
    """Every facet's value counts, each over the query without the facet's own filter."""
    counting = snapshot.counting()
    by_base: dict[str | None, list[int]] = {}
    counts: dict[str, dict[str, int]] = {}
    for name, filter_name in FACET_FILTER.items():
        omit = filter_name if filter_name in selected or filter_name == "status" else None
        if omit not in by_base:
            by_base[omit] = counting.counts(base(omit))
        found = by_base[omit]
        start, stop = counting.spans.get("band" if name == "band" else facets.FACET_CODES[name], (0, 0))
        counts[name] = {counting.values[i]: found[i] for i in range(start, stop)}
    return counts


async def _by_date(ids: list[int], order: str, limit: int, offset: int) -> list[int]:
    if not ids:
        return []
    rows = await execute(f"SELECT r.id FROM resource r WHERE r.id IN (SELECT value FROM json_each({{}}))"
                         f" ORDER BY {order} LIMIT {{}} OFFSET {{}}", json.dumps(ids), limit, offset) \
        if is_sqlite(current_engine()) else \
        await execute(f"SELECT r.id FROM resource r WHERE r.id = ANY({{}}::int[]) ORDER BY {order}"
                      " LIMIT {} OFFSET {}", ids, limit, offset)
    return [r["id"] for r in rows]


_FIELD_OF = {facet: name for name, facet in domain.FACET_FIELDS.items()}


async def _rows(ids: list[int], snapshot: facets.Snapshot | None = None,
                ) -> tuple[list[dict[str, Any]], dict[int, dict[str, list[str]]]]:
    """The page's rows in the order of ``ids`` and each one's facet values by API field name, in
    their stored order (as catalogue.facet_values gives them), read in one statement. With a
    ``snapshot`` of the generation the caller's transaction sees, the values come from its keys
    (they are the same, and reading them cost a third of an uncached search)."""
    if not ids:
        return [], {}
    facets_column = ""
    if snapshot is None:
        facets_column = (", (SELECT group_concat(f, '|') FROM (SELECT facet || ' ' || value AS f FROM resource_facet"
                         " WHERE resource = r.id ORDER BY facet, position, value)) AS facets"
                         if is_sqlite(current_engine()) else
                         ", (SELECT string_agg(facet || ' ' || value, '|' ORDER BY facet, position, value)"
                         " FROM resource_facet WHERE resource = r.id) AS facets")
    rows = await execute(
        "SELECT r.id, r.name, r.kind, r.status, r.in_base_package, r.restrictions, r.url, r.is_demo, r.version,"
        f" v.name AS vendor_name{facets_column} FROM resource r LEFT JOIN vendor v ON v.id = r.vendor"
        f" WHERE r.id IN ({', '.join('{}' for _ in ids)})", *ids)
    by_id = {r["id"]: r for r in rows}
    values: dict[int, dict[str, list[str]]] = {}
    for r in rows:
        own = values[r["id"]] = {f: [] for f in domain.FACET_FIELDS}
        if snapshot is not None:
            pairs = snapshot.keys_of.get(r["id"], ())
        else:
            pairs = [pair.split(" ", 1) for pair in r["facets"].split("|")] if r["facets"] else []
        for facet, value in pairs:
            name = _FIELD_OF.get(facet)  # the keys also hold kind, status, base and aims
            if name is not None:
                own[name].append(value)
    return [by_id[i] for i in ids if i in by_id], values


def _selection_of(filters: ResourceFilters) -> dict[str, list[str]]:
    return {
        "level": filters.levels, "band": filters.bands, "subject": filters.subjects,
        "kindergarten_area": filters.kindergarten_areas, "kind": filters.kinds, "platform": filters.platforms,
        "login": filters.logins, "language": filters.languages, "status": filters.statuses, "unit": filters.units,
        "in_base_package": [] if filters.in_base_package is None else [str(filters.in_base_package).lower()],
    }


def _facets_out(counts: dict[str, dict[str, int]], filters: ResourceFilters) -> dict[str, list[FacetValue]]:
    out = {}
    selection = _selection_of(filters)
    for name in FACET_FILTER:
        values = {v: n for v, n in counts.get(name, {}).items() if n}
        for value in selection[name]:  # a selected value is listed even when nothing has it
            values.setdefault(value, 0)
        natural = _NATURAL_INDEX.get(name)
        if natural is not None:  # levels and bands in their own order, anything else after them
            ordered = sorted((natural.get(v, len(natural)), v, n) for v, n in values.items())
            out[name] = [FacetValue(value=v, count=n) for _, v, n in ordered]
        else:  # the most common first, then by value (tuples sort without a key function)
            out[name] = [FacetValue(value=v, count=-n) for n, v in sorted((-n, v) for v, n in values.items())]
    return out
