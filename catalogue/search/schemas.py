"""Response bodies of the catalogue search."""

from __future__ import annotations

from msgspec import Struct

from catalogue.schemas import ResourceSummary


class FacetValue(Struct, kw_only=True):
    value: str
    count: int


class SearchPage(Struct, kw_only=True):
    """One page of the catalogue list; ``facets`` counts each filter's values given the rest of
    the query (the filter's own selection left out, so other values can be added to it)."""

    items: list[ResourceSummary]
    total: int
    limit: int
    offset: int
    facets: dict[str, list[FacetValue]]
    # what the search made of the words: "partial" (no resource has every word; those with the most
    # are shown), "levels_from_query" (a range such as 5-7 in the words was used as the level
    # filter, unless one was chosen), "level_not_covered" (a level outside barnehage and 1–10 was named)
    notices: list[str] = []
    levels_from_query: list[str] = []
