"""/api/v1/annual-report: the annual report (kvalitetsmelding) as JSON, CSV or XLSX."""

from __future__ import annotations

from typing import Annotated, Optional

from litestar import Request, Response, get
from litestar.params import QueryParameter

from catalogue.api.privacy_docs import DocumentFormat, download
from catalogue.domain import CATALOGUE_INSIDERS
from catalogue.reports.annual import parse_year
from catalogue.reports.annual_export import export_report
from catalogue.security.access import rule


@get("/api/v1/annual-report", opt=rule(CATALOGUE_INSIDERS), tags=["reports"],
     summary="The annual report for a year, for the municipality or one unit; each export is audited")
async def annual_report(
    request: Request,
    year: Annotated[Optional[str], QueryParameter(name="year", required=False, max_length=8,
                                                  description="YYYY; empty: this year up to today",
                                                  schema_extra={"pattern": "^([0-9]{4})?$"})] = None,
    unit: Annotated[Optional[str], QueryParameter(name="unit", required=False, max_length=64,
                                                  description="a unit code; empty: the whole municipality")] = None,
    format: DocumentFormat = "json",
) -> Response:
    content, media_type, filename = await export_report(request.app.state.settings, parse_year(year),
                                                        (unit or "").strip() or None, format, request.user)
    return download(content, media_type, filename, attachment=format != "json")


report_api_handlers = [annual_report]
