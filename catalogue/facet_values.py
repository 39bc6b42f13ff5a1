"""The multi-valued fields of resources (levels, subjects, units, …) as the API lists them."""

from __future__ import annotations

from catalogue import domain
from catalogue.tables import ResourceFacet


async def facet_values(ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """Each resource's facet values by API field name, in their stored order."""
    result: dict[int, dict[str, list[str]]] = {i: {f: [] for f in domain.FACET_FIELDS} for i in ids}
    if not ids:
        return result
    placeholders = ", ".join("{}" for _ in ids)
    rows = await ResourceFacet.raw(
        f"SELECT resource, facet, value FROM resource_facet WHERE resource IN ({placeholders})"
        " ORDER BY resource, facet, position, value",
        *ids,
    )
    field_of = {facet: name for name, facet in domain.FACET_FIELDS.items()}
    for row in rows:
        result[row["resource"]][field_of[row["facet"]]].append(row["value"])
    return result
