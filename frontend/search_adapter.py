"""The pages' view of the catalogue search: the same search the API uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from catalogue import visibility
from catalogue.problems import Problem
from catalogue.search.listing import SearchQuery, search_resources
from catalogue.security.access import Principal

PAGE_SIZE = 20
PAGE_SORTS = ("name", "newest")


@dataclass
class SearchRequest:
    q: str
    filters: dict[str, list[str]]
    in_base_package: bool | None
    sort: str
    page: int


@dataclass
class SearchResult:
    items: list[Any]
    total: int
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    error: str | None = None
    notices: list[str] = field(default_factory=list)  # what the search made of the words, in Norwegian


NOTICES = {
    "partial": "Ingen treff på alle ordene; viser treff på noen av dem.",
    "level_not_covered": "Katalogen dekker barnehage og 1.–10. trinn. Videregående skole er ikke med.",
}


def _notices(page: Any) -> list[str]:
    out = [NOTICES[n] for n in page.notices if n in NOTICES]
    if "levels_from_query" in page.notices and page.levels_from_query:
        levels = page.levels_from_query
        out.append(f"Viser læremidler for {levels[0]}.–{levels[-1]}. trinn." if len(levels) > 1
                   else f"Viser læremidler for {levels[0]}. trinn.")
    return out


def resource_filters(search: SearchRequest) -> visibility.ResourceFilters:
    """The page's filters as the search's."""
    f = search.filters
    return visibility.ResourceFilters(
        levels=f.get("level", []), bands=f.get("band", []), subjects=f.get("subject", []),
        kindergarten_areas=f.get("kindergarten_area", []), kinds=f.get("kind", []),
        platforms=f.get("platform", []), logins=f.get("login", []), languages=[], statuses=[], units=[],
        in_base_package=search.in_base_package,
        aims=f.get("aim", []),
    )


async def run_search(search: SearchRequest, principal: Principal) -> SearchResult:
    """Run the search; a filter value the catalogue does not know becomes a message, not an error page."""
    filters = resource_filters(search)
    query = SearchQuery(q=search.q or None, filters=filters, limit=PAGE_SIZE, offset=(search.page - 1) * PAGE_SIZE,
                        sort=search.sort if search.sort in PAGE_SORTS else None, facets=True)
    try:
        page = await search_resources(query, principal)
    except Problem:
        return SearchResult(items=[], total=0, error="Et av filtrene er ukjent. Fjern det og prøv igjen.")
    facets = {name: [msgspec.to_builtins(v) for v in values] for name, values in page.facets.items()}
    return SearchResult(items=page.items, total=page.total, facets=facets, notices=_notices(page))
