"""GET /api/v1/resources/export: the catalogue as CSV, XLSX or JSON, with the search's filters."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal, Optional

from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from catalogue.api.resource_filters import resource_filters
from catalogue.dataio import catalogue_export
from catalogue.security.access import SIGNED_IN, rule
from catalogue.visibility import ResourceFilters


@get("/api/v1/resources/export", opt=rule(SIGNED_IN), tags=["resources"],
     summary="The resources the search finds, as CSV (Excel), XLSX or JSON; the same filters as the search",
     dependencies={"filters": Provide(resource_filters)})
async def export_resources(
    request: Request,
    filters: NamedDependency[ResourceFilters],
    format: Annotated[Literal["csv", "xlsx", "json"], QueryParameter(name="format")] = "xlsx",
    q: Annotated[Optional[str], QueryParameter(name="q", required=False, max_length=1000)] = None,
    sort: Annotated[Optional[Literal["relevance", "name", "-name", "newest", "updated"]],
                    QueryParameter(name="sort", required=False)] = None,
) -> Response[bytes]:
    content = await catalogue_export.export(q, filters, request.user, format, sort)
    name = f"laeremidler-{datetime.date.today().isoformat()}.{format}"
    return Response(content, media_type=catalogue_export.media_type(format), headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


dataio_api_handlers = [export_resources]
