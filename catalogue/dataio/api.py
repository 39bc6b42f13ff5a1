"""GET /api/v1/resources/export: the catalogue as CSV, XLSX or JSON, with the search's filters."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal, Optional

from litestar import Request, Response, get
from litestar.params import QueryParameter

from catalogue.dataio import catalogue_export
from catalogue.security.access import SIGNED_IN, rule
from catalogue.visibility import ResourceFilters


def _multi(name: str, description: str):
    return Annotated[Optional[list[str]], QueryParameter(name=name, description=description, required=False)]


@get("/api/v1/resources/export", opt=rule(SIGNED_IN), tags=["resources"],
     summary="The resources the search finds, as CSV (Excel), XLSX or JSON; the same filters as the search")
async def export_resources(
    request: Request,
    format: Annotated[Literal["csv", "xlsx", "json"], QueryParameter(name="format")] = "xlsx",
    q: Annotated[Optional[str], QueryParameter(name="q", required=False, max_length=1000)] = None,
    level: _multi("level", "Level code: barnehage or 1–10 (repeatable)") = None,
    band: _multi("band", "Band: barnehage, 1-4, 5-7, 8-10 (repeatable)") = None,
    subject: _multi("subject", "Subject code such as MAT (repeatable)") = None,
    kindergarten_area: _multi("kindergarten_area", "Kindergarten area code (repeatable)") = None,
    kind: _multi("kind", "Resource kind (repeatable)") = None,
    platform: _multi("platform", "Platform (repeatable)") = None,
    login: _multi("login", "Login method (repeatable)") = None,
    language: _multi("language", "Language code (repeatable)") = None,
    status: _multi("status", "Status; staff see published only (repeatable)") = None,
    unit: _multi("unit", "Unit code (repeatable)") = None,
    in_base_package: Annotated[Optional[bool], QueryParameter(name="in_base_package", required=False)] = None,
    sort: Annotated[Optional[Literal["relevance", "name", "-name", "newest", "updated"]],
                    QueryParameter(name="sort", required=False)] = None,
) -> Response[bytes]:
    filters = ResourceFilters(
        levels=level or [], bands=band or [], subjects=subject or [], kindergarten_areas=kindergarten_area or [],
        kinds=kind or [], platforms=platform or [], logins=login or [], languages=language or [],
        statuses=status or [], units=unit or [], in_base_package=in_base_package,
    )
    content = await catalogue_export.export(q, filters, request.user, format, sort)
    name = f"laeremidler-{datetime.date.today().isoformat()}.{format}"
    return Response(content, media_type=catalogue_export.media_type(format), headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


dataio_api_handlers = [export_resources]
