"""The catalogue from a spreadsheet, on a page (sector office and admin): upload, a dry run that
shows row by row what would be created, updated or refused and why, then confirm."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from catalogue.dataio import resource_import
from catalogue.domain import CATALOGUE_EDITORS
from catalogue.problems import Problem
from catalogue.security.access import rule
from frontend.forms import FormErrors
from frontend.pages import page_context

EDITORS = rule(CATALOGUE_EDITORS)
MAX_BYTES = resource_import.MAX_UPLOAD_BYTES
ACTIONS = {"create": "Opprettes", "update": "Endres", "unchanged": "Uendret", "refused": "Avvist"}
DONE = {"create": "Opprettet", "update": "Endret", "unchanged": "Uendret", "refused": "Avvist"}
REFUSALS = {
    "import-stale": "Katalogen er endret etter at regnearket ble sjekket. Last det opp på nytt, så blir det sjekket "
                    "mot katalogen slik den er nå.",
    "import-applied": "Dette regnearket er allerede importert.",
    "import-invalid": "Regnearket kan ikke importeres. Rett det og last det opp på nytt.",
}
SHOWN_ROWS = 500


def _form(request: Request, errors: FormErrors | None = None, in_use: bool = False,
          status_code: int = 200) -> Template:
    return Template(template_name="dataio/import_form.html", status_code=status_code,
                    context=page_context(request, errors=errors, in_use=in_use, columns=resource_import.COLUMNS,
                                         required=resource_import.REQUIRED))


@get("/ressurser/import", opt=EDITORS, include_in_schema=False)
async def sheet_form(request: Request) -> Template:
    return _form(request)


@post("/ressurser/import", opt=EDITORS, include_in_schema=False, request_max_body_size=MAX_BYTES + 64 * 1024)
async def sheet_upload(request: Request,
                       data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]) -> Response:
    upload = data.get("file")
    in_use = data.get("in_use") == "ja"
    errors = FormErrors()
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("file", "Velg regnearket du vil importere.")
        return _form(request, errors, in_use, 422)
    content = await upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        errors.add("file", f"Regnearket er større enn {MAX_BYTES // (1024 * 1024)} MB.")
        return _form(request, errors, in_use, 422)
    try:
        upload_id = await resource_import.upload(content, upload.filename, in_use, request.user)
    except Problem as problem:
        if problem.status_code != 422:
            raise
        errors.add("file", resource_import.sheet_message(str((problem.errors or [{}])[0].get("message"))))
        return _form(request, errors, in_use, 422)
    return Redirect(path=f"/ressurser/import/{upload_id}", status_code=303)


async def _result(request: Request, import_id: int, refusal: str | None = None, status_code: int = 200) -> Template:
    found = await resource_import.get_upload(import_id)
    rows = found["plan"].get("rows", [])
    return Template(template_name="dataio/import.html", status_code=status_code, context=page_context(
        request, i=found, plan=found["plan"], rows=rows[:SHOWN_ROWS], total=len(rows), refusal=refusal,
        words=DONE if found["status"] == "applied" else ACTIONS))


@get("/ressurser/import/{import_id:int}", opt=EDITORS, include_in_schema=False)
async def sheet_result(request: Request, import_id: FromPath[int]) -> Template:
    return await _result(request, import_id)


@post("/ressurser/import/{import_id:int}/bruk", opt=EDITORS, include_in_schema=False)
async def sheet_apply(request: Request, import_id: FromPath[int]) -> Response:
    try:
        await resource_import.confirm(import_id, request.user)
    except Problem as problem:
        if problem.status_code != 409:
            raise
        return await _result(request, import_id, REFUSALS.get(str(problem.type_slug or ""),
                                                               REFUSALS["import-invalid"]), 409)
    return Redirect(path=f"/ressurser/import/{import_id}", status_code=303)


dataio_page_handlers = [sheet_form, sheet_upload, sheet_result, sheet_apply]
