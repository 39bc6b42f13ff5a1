"""Reading a unit's holdings from a spreadsheet on a page: upload (a dry run that checks every
row and keeps the file), look at what it found, then apply it."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Template

from catalogue.problems import Problem
from catalogue.security.access import rule
from equipment import domain, holdings, imports
from equipment.api import MAX_IMPORT_BYTES
from frontend.equipment.common import context, message
from frontend.equipment.plan_pages import after
from frontend.forms import FormErrors

HOLDING_EDITORS = rule(domain.HOLDING_EDITORS)
REFUSALS = {
    "import-stale": "Beholdningen er endret etter at regnearket ble sjekket. Last opp regnearket på nytt, "
                    "så blir det sjekket mot beholdningen slik den er nå.",
    "import-applied": "Dette regnearket er allerede lest inn.",
    "import-invalid": "Regnearket har feil. Rett dem og last det opp på nytt.",
}


async def render_form(request: Request, code: str, *, errors: FormErrors | None = None, mode: str = "replace",
                      status_code: int = 200) -> Template:
    unit = await holdings.unit_row(code)
    if not holdings.may_edit_holdings(request.user, code):
        raise holdings.not_served(code)
    return Template(template_name="equipment/import_form.html", status_code=status_code, context=context(
        request, unit=unit, errors=errors, mode=mode, columns=imports.COLUMNS))


@get("/utstyr/enheter/{code:str}/import", opt=HOLDING_EDITORS, include_in_schema=False)
async def import_form(request: Request, code: FromPath[str]) -> Template:
    return await render_form(request, code)


@post("/utstyr/enheter/{code:str}/import", opt=HOLDING_EDITORS, include_in_schema=False,
      request_max_body_size=MAX_IMPORT_BYTES + 64 * 1024)
async def import_upload(request: Request, code: FromPath[str],
                        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]) -> Response:
    """The dry run: check the sheet and show what it found."""
    upload = data.get("file")
    mode = data.get("mode") if data.get("mode") in imports.MODES else "replace"
    errors = FormErrors()
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("file", "Velg regnearket du vil lese inn.")
        return await render_form(request, code, errors=errors, mode=mode, status_code=422)
    content = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        errors.add("file", "Regnearket er større enn 5 MB.")
        return await render_form(request, code, errors=errors, mode=mode, status_code=422)
    try:
        checked = await imports.dry_run(code, content, upload.filename, upload.content_type, mode, request.user)
    except Problem as problem:
        if problem.status_code in (403, 404):
            raise
        errors.add("file", SHEET_MESSAGES.get(str((problem.errors or [{}])[0].get("message")),
                                              "Filen kan ikke leses som et regneark (CSV eller XLSX)."))
        return await render_form(request, code, errors=errors, mode=mode, status_code=422)
    return after(f"/utstyr/import/{checked.id}")


SHEET_MESSAGES = {
    "the file is empty": "Filen er tom.",
    "old Excel files (.xls) cannot be read; save the sheet as .xlsx or .csv":
        "Gamle Excel-filer (.xls) kan ikke leses. Lagre regnearket som .xlsx eller .csv.",
    "the sheet has no header row": "Regnearket har ingen overskriftsrad.",
    "the workbook is too large": "Regnearket er for stort.",
}


async def render_import(request: Request, import_id: int, *, refusal: str | None = None,
                        status_code: int = 200) -> Template:
    result = await imports.get_import(import_id, request.user)
    unit = await holdings.unit_row(result.unit)
    errors = [{"row": e.row, "column": e.column, "message": message(e.message)} for e in result.errors]
    return Template(template_name="equipment/import.html", status_code=status_code, context=context(
        request, i=result, unit=unit, sheet_errors=errors, refusal=refusal,
        shown_rows=result.rows[:200]))


@get("/utstyr/import/{import_id:int}", opt=HOLDING_EDITORS, include_in_schema=False)
async def import_page(request: Request, import_id: FromPath[int]) -> Template:
    return await render_import(request, import_id)


@post("/utstyr/import/{import_id:int}/bruk", opt=HOLDING_EDITORS, include_in_schema=False)
async def import_apply(request: Request, import_id: FromPath[int]) -> Response:
    try:
        applied = await imports.apply(import_id, request.user)
    except Problem as problem:
        if problem.status_code != 409:
            raise
        slug = str(problem.type_slug or "")
        return await render_import(request, import_id, refusal=REFUSALS.get(slug, REFUSALS["import-invalid"]),
                                   status_code=409)
    return after(f"/utstyr/enheter/{applied.unit}", "import-brukt", "#beholdning")


import_page_handlers = [import_form, import_upload, import_page, import_apply]
