"""/api/v1/processing-record: the record of processing (GDPR Art. 30) for the privacy advisers,
the DPO and the system owner, as JSON, CSV or XLSX, now or as it stood on a day."""

from __future__ import annotations

from typing import Annotated, Optional

from litestar import Request, Response, get
from litestar.params import QueryParameter

from catalogue.domain import Role
from catalogue.privacy_docs.record import export_record, parse_as_of
from catalogue.security.access import rule

# json, csv or xlsx: checked by the exporters (a 422 naming the field), listed in the document
DocumentFormat = Annotated[str, QueryParameter(name="format", max_length=8, description="json, csv or xlsx",
                                               schema_extra={"enum": ["json", "csv", "xlsx"]})]
RECORD_READERS = frozenset({Role.PRIVACY_REVIEWER.value, Role.DPO.value, Role.ADMIN.value})


def download(content: bytes, media_type: str, filename: str, *, attachment: bool = True) -> Response:
    headers = {"Cache-Control": "no-store"}
    if attachment:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(content=content, media_type=media_type, headers=headers)


@get("/api/v1/processing-record", opt=rule(RECORD_READERS), tags=["privacy"],
     summary="The record of processing activities (GDPR Art. 30(1)); each export is audited")
async def processing_record(
    request: Request,
    as_of: Annotated[Optional[str], QueryParameter(
        name="as_of", required=False, max_length=32,
        description="YYYY-MM-DD: the record as it stood at the end of that day (Norwegian time), rebuilt "
                    "from the history of privacy records; empty: now")] = None,
    format: DocumentFormat = "json",
) -> Response:
    day = parse_as_of(as_of)
    content, media_type, filename = await export_record(request.app.state.settings, day, format, request.user)
    return download(content, media_type, filename, attachment=format != "json")


privacy_doc_api_handlers = [processing_record]
