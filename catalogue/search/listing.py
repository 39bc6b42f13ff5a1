"""The catalogue list is the search: free text, filters, facet counts, sorting and pages.

One request makes at most three statements, in one read transaction (one connection, one
snapshot on SQLite): the typo lookup (only for words of five letters or more), the page, and the
total with every facet's counts in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalogue.db import current_engine, is_sqlite
from catalogue.resources import (
    BANDS,
    LEVEL_CODES,
    ResourceFilters,
    _facets_for,
    build_where,
    validate_filters,
)
from catalogue.schemas import ResourceSummary
from catalogue.search import analysis
from catalogue.search.engines import PostgresDialect, SqliteDialect
from catalogue.search.schemas import FacetValue, SearchPage
from catalogue.security.access import Principal
from catalogue.tables import Resource

# facet name in the API → (the filter it leaves out, where its values come from)
FACETS: dict[str, tuple[str, str]] = {
    "level": ("level", "facet:level"),
    "band": ("level", "band"),
    "subject": ("subject", "facet:subject"),
    "kindergarten_area": ("area", "facet:area"),
    "kind": ("kind", "column:kind"),
    "platform": ("platform", "facet:platform"),
    "login": ("login", "facet:login"),
    "language": ("language", "facet:language"),
    "status": ("status", "column:status"),
    "in_base_package": ("base", "base"),
    "unit": ("unit", "facet:unit"),
}
NATURAL_ORDER = {"level": list(LEVEL_CODES), "band": list(BANDS)}
SORTS = {
    "name": "{name} ASC, r.id ASC",
    "-name": "{name} DESC, r.id DESC",
    "newest": "r.created_at DESC, r.id DESC",
    "updated": "r.updated_at DESC, r.id DESC",
    "relevance": "score DESC, {name} ASC, r.id ASC",
}


@dataclass
class SearchQuery:
    q: str | None
    filters: ResourceFilters
    limit: int
    offset: int
    sort: str | None = None  # relevance when q has words, else name
    facets: bool = True


def _dialect():
    return SqliteDialect() if is_sqlite(current_engine()) else PostgresDialect()


async def _raw(sql: str, *args: Any) -> list[dict]:
    return await Resource.raw(sql, *args)


async def _add_typo_alternatives(terms: list[analysis.Term]) -> None:
    """Words of names one edit away from a query word (kahot → Kahoot), looked up by their
    deletion keys and confirmed here, so both engines find the same ones."""
    wanted = analysis.fuzzy_candidates(terms)
    keys = sorted({k for ks in wanted.values() for k in ks})
    if not keys:
        return
    rows = await _raw(f"SELECT DISTINCT word, lexeme FROM search_vocab WHERE key IN ({', '.join('{}' for _ in keys)})",
                      *keys)
    for term in terms:
        if term.word not in wanted:
            continue
        matches = sorted({r["lexeme"] for r in rows if r["word"] != term.word
                          and analysis.within_one_edit(term.word, r["word"])})
        term.fuzzy_names = [m for m in matches if m != term.stem][:20]


def _selection_of(filters: ResourceFilters) -> dict[str, list[str]]:
    return {
        "level": filters.levels, "band": filters.bands, "subject": filters.subjects,
        "kindergarten_area": filters.kindergarten_areas, "kind": filters.kinds, "platform": filters.platforms,
        "login": filters.logins, "language": filters.languages, "status": filters.statuses, "unit": filters.units,
        "in_base_package": [] if filters.in_base_package is None else [str(filters.in_base_package).lower()],
    }


def _active(filters: ResourceFilters) -> set[str]:
    return {dim for dim, on in (
        ("level", filters.levels or filters.bands), ("subject", filters.subjects),
        ("area", filters.kindergarten_areas), ("kind", filters.kinds), ("platform", filters.platforms),
        ("login", filters.logins), ("language", filters.languages), ("status", True),
        ("unit", filters.units), ("base", filters.in_base_package is not None)) if on}


def _facet_sql(name: str, source: str, cte: str) -> tuple[str, list[Any]]:
    if source.startswith("facet:"):
        return (f"SELECT {{}} AS facet, f.value AS value, COUNT(*) AS n FROM {cte} b"
                f" JOIN resource_facet f ON f.resource = b.id WHERE f.facet = {{}} GROUP BY f.value",
                [name, source[6:]])
    if source == "band":
        return (f"SELECT {{}} AS facet, l.band AS value, COUNT(DISTINCT b.id) AS n FROM {cte} b"
                " JOIN resource_facet f ON f.resource = b.id JOIN level l ON l.code = f.value"
                " WHERE f.facet = {} GROUP BY l.band", [name, "level"])
    if source == "base":
        return (f"SELECT {{}} AS facet, CASE WHEN b.in_base_package THEN 'true' ELSE 'false' END AS value,"
                f" COUNT(*) AS n FROM {cte} b GROUP BY CASE WHEN b.in_base_package THEN 'true' ELSE 'false' END",
                [name])
    column = source[7:]
    return f"SELECT {{}} AS facet, b.{column} AS value, COUNT(*) AS n FROM {cte} b GROUP BY b.{column}", [name]


async def search_resources(query: SearchQuery, principal: Principal) -> SearchPage:
    """The page of resources the caller may see that match the query, with facet counts."""
    validate_filters(query.filters)
    terms = analysis.parse_query(query.q or "")
    sort = query.sort or ("relevance" if terms else "name")
    if sort == "relevance" and not terms:
        sort = "name"
    dialect = _dialect()
    engine = current_engine()
    async with engine.transaction():
        if terms:
            await _add_typo_alternatives(terms)
            match_sql, match_args = dialect.match(terms)
        else:
            match_sql, match_args = "1 = 1", []
        join = dialect.join if terms else ""

        def base(omit: str | None = None) -> tuple[str, list[Any]]:
            where, args = build_where(query.filters, principal, omit=omit)
            return (f"SELECT r.id, r.kind, r.status, r.in_base_package FROM resource r {join}"
                    f" WHERE {match_sql} AND {where}", [*match_args, *args])

        # the page
        where, where_args = build_where(query.filters, principal)
        score_sql, score_args = dialect.score(terms) if sort == "relevance" else ("0", [])
        rows = await _raw(
            "SELECT r.id, r.name, r.kind, r.status, r.in_base_package, r.restrictions, r.url, r.is_demo,"
            f" r.version, v.name AS vendor_name, {score_sql} AS score FROM resource r"
            f" {dialect.join if terms or 'name' in sort or sort == 'relevance' else ''}"
            f" LEFT JOIN vendor v ON v.id = r.vendor WHERE {match_sql} AND {where}"
            f" ORDER BY {SORTS[sort].format(name=dialect.name_order)} LIMIT {{}} OFFSET {{}}",
            *score_args, *match_args, *where_args, query.limit, query.offset)

        # the total and the facets, in one statement: facets whose own filter is set count over
        # the query without that filter
        active = _active(query.filters)
        ctes: dict[str | None, str] = {None: "base"}
        cte_sql, cte_args = [], []
        sql, args = base()
        cte_sql.append(f"base AS MATERIALIZED ({sql})")
        cte_args += args
        parts = ["SELECT 'total' AS facet, '' AS value, COUNT(*) AS n FROM base"]
        part_args: list[Any] = []
        if query.facets:
            for name, (dim, source) in FACETS.items():
                omit = dim if dim in active else None
                if omit not in ctes:
                    ctes[omit] = f"base_{omit}"
                    sql, args = base(omit)
                    cte_sql.append(f"{ctes[omit]} AS MATERIALIZED ({sql})")
                    cte_args += args
                sql, args = _facet_sql(name, source, ctes[omit])
                parts.append(sql)
                part_args += args
        counted = await _raw("WITH " + ", ".join(cte_sql) + " " + " UNION ALL ".join(parts), *cte_args, *part_args)

    total = next(int(r["n"]) for r in counted if r["facet"] == "total")
    facets = _facets_out(counted, query) if query.facets else {}
    ids = [r["id"] for r in rows]
    values = await _facets_for(ids)
    items = [
        ResourceSummary(
            id=r["id"], name=r["name"], vendor=r["vendor_name"], kind=r["kind"], status=r["status"],
            in_base_package=bool(r["in_base_package"]), restrictions=r["restrictions"], url=r["url"],
            demo_data=bool(r["is_demo"]), version=r["version"],
            levels=values[r["id"]]["levels"], subjects=values[r["id"]]["subjects"],
            kindergarten_areas=values[r["id"]]["kindergarten_areas"],
            platforms=values[r["id"]]["platforms"], logins=values[r["id"]]["logins"],
        )
        for r in rows
    ]
    return SearchPage(items=items, total=total, limit=query.limit, offset=query.offset, facets=facets)


def _facets_out(rows: list[dict], query: SearchQuery) -> dict[str, list[FacetValue]]:
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for r in rows:
        if r["facet"] in counts and r["value"] is not None:
            counts[r["facet"]][str(r["value"])] = int(r["n"])
    for name, selected in _selection_of(query.filters).items():
        for value in selected:  # a selected value is listed even when nothing has it
            counts[name].setdefault(value, 0)
    out = {}
    for name, values in counts.items():
        if name in NATURAL_ORDER:
            order = {v: i for i, v in enumerate(NATURAL_ORDER[name])}
            ordered = sorted(values.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
        else:
            ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
        out[name] = [FacetValue(value=v, count=n) for v, n in ordered]
    return out
