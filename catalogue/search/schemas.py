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
