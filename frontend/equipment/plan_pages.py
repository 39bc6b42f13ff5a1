"""The equipment overview (the municipality's gap and investment plan for the sector office, the
technology department and admins; an ICT mentor's own units), a unit's page with its counts,
holdings and plan, and the exports."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from catalogue.problems import Problem
from catalogue.security.access import rule
from equipment import domain, export, holdings, kinds, plan, standards
from equipment.common import today
from equipment.schemas import HoldingCreate, HoldingPatch, UnitCountsBody
from frontend.admin_pages import _convert
from frontend.equipment.common import context, form_errors, parse_date, posted_version
from frontend.forms import FormErrors, form_data

EQUIPMENT_USERS = rule(domain.EQUIPMENT_USERS)
PLANNERS = rule(domain.PLANNERS)
HOLDING_EDITORS = rule(domain.HOLDING_EDITORS)
PAGE_SIZE = 50
CONFIRMATIONS = {
    "tall-lagret": "Tallene for enheten er lagret.",
    "utstyr-lagt-til": "Utstyret er registrert.",
    "utstyr-lagret": "Endringen i beholdningen er lagret.",
    "utstyr-fjernet": "Utstyret er fjernet fra beholdningen.",
    "import-brukt": "Regnearket er lest inn i beholdningen.",
}
STALE = ("Noen andre har endret dette etter at du åpnet siden, så endringen din er ikke lagret. "
         "Se hvordan det står nå, og prøv igjen.")
COUNT_FIELDS = {"children", "pupils", "departments", "classrooms", "counted_on"}
HOLDING_FIELDS = {"kind", "count", "acquired_on", "funded_by", "model", "note"}


def confirmation(request: Request) -> str | None:
    return CONFIRMATIONS.get(request.query_params.get("melding") or "")


def after(path: str, message: str = "", anchor: str = "") -> Redirect:
    """Post/Redirect/Get: to a page, which shows the confirmation for ``message``."""
    query = f"?{urlencode({'melding': message})}" if message else ""
    return Redirect(path=f"{path}{query}{anchor}", status_code=303)


def _years(request: Request) -> int:
    try:
        return max(1, min(plan.MAX_YEARS, int(request.query_params.get("aar") or plan.DEFAULT_YEARS)))
    except ValueError:
        return plan.DEFAULT_YEARS


@get("/utstyr", opt=EQUIPMENT_USERS, include_in_schema=False)
async def overview(request: Request) -> Template:
    """The gap and investment plan of every unit the person sees, with the sums."""
    params = request.query_params
    day = parse_date(params.get("dato")) or today()
    unit_type = params.get("enhetstype") if params.get("enhetstype") in domain.UNIT_TYPES else None
    years = _years(request)
    total = await plan.municipality_plan(request.user, day, years, unit_type)
    query = urlencode([(k, v) for k, v in (("dato", params.get("dato") or ""), ("enhetstype", unit_type or ""),
                                            ("aar", str(years) if params.get("aar") else "")) if v])
    return Template(template_name="equipment/overview.html", context=context(
        request, total=total, day=day, unit_type=unit_type or "", years=years, query=query,
        waiting=await standards.waiting_for(request.user), today=today()))


@get("/utstyr/eksport", opt=PLANNERS, include_in_schema=False)
async def overview_export(request: Request) -> Response:
    params = request.query_params
    fmt = params.get("format") if params.get("format") in ("xlsx", "csv") else "xlsx"
    table = params.get("tabell") if params.get("tabell") in export.TABLES else "gap"
    day = parse_date(params.get("dato")) or today()
    unit_type = params.get("enhetstype") if params.get("enhetstype") in domain.UNIT_TYPES else None
    content = await export.municipality_export(request.user, fmt, table, day, _years(request), unit_type)
    return Response(content, media_type=export.media_type(fmt), headers={
        "Content-Disposition": f'attachment; filename="{export.filename("utstyrsplan", day, fmt, table)}"',
        "Cache-Control": "private, no-store"})


async def render_unit(request: Request, code: str, *, errors: FormErrors | None = None,
                      values: dict[str, Any] | None = None, form: str = "", refusal: str | None = None,
                      status_code: int = 200) -> Template:
    principal = request.user
    unit = await holdings.seen_unit(code, principal)
    params = request.query_params
    try:
        page = max(1, int(params.get("side") or 1))
    except ValueError:
        page = 1
    day = parse_date(params.get("dato")) or today()
    unit_plan = plan.plan_unit(unit, await plan.load_inputs([unit["id"]], first_year=day.year), day,
                               _years(request)).plan
    items, total = await holdings.list_holdings(unit, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    counts = unit_plan.counts
    count_values = values if form == "counts" else {
        "children": counts.children, "pupils": counts.pupils, "departments": counts.departments,
        "classrooms": counts.classrooms, "counted_on": counts.counted_on.isoformat() if counts.counted_on else ""}
    holding_values = values if form == "holding" else {"funded_by": "investment"}
    kind_options = [(k.code, k.name) for k in await kinds.list_kinds(principal)]

    def page_url(side: int) -> str:
        return f"/utstyr/enheter/{code}" + (f"?side={side}" if side > 1 else "") + "#beholdning"

    return Template(template_name="equipment/unit.html", status_code=status_code, context=context(
        request, unit=unit, p=unit_plan, holdings=items, holdings_total=total, page=page, pages=pages,
        previous_url=page_url(page - 1) if page > 1 else None, next_url=page_url(page + 1) if page < pages else None,
        count_values=count_values, holding_values=holding_values, kind_options=kind_options,
        funding_options=list(domain.FUNDING.items()), errors=errors, form=form, refusal=refusal,
        may_edit_counts=holdings.may_edit_counts(principal, code),
        may_edit_holdings=holdings.may_edit_holdings(principal, code), confirmation=confirmation(request),
        today=today()))


@get("/utstyr/enheter/{code:str}", opt=EQUIPMENT_USERS, include_in_schema=False)
async def unit_page(request: Request, code: FromPath[str]) -> Template:
    """One unit: its counts, the gap against the standard, the plan per year and the holdings."""
    return await render_unit(request, code)


@get("/utstyr/enheter/{code:str}/eksport", opt=EQUIPMENT_USERS, include_in_schema=False)
async def unit_export(request: Request, code: FromPath[str]) -> Response:
    params = request.query_params
    fmt = params.get("format") if params.get("format") in ("xlsx", "csv") else "xlsx"
    table = params.get("tabell") if params.get("tabell") in export.TABLES else "gap"
    content = await export.unit_export(code, request.user, fmt, table, today(), _years(request))
    return Response(content, media_type=export.media_type(fmt), headers={
        "Content-Disposition": f'attachment; filename="{export.filename(f"utstyr-{code}", today(), fmt, table)}"',
        "Cache-Control": "private, no-store"})


def _number(value: Any) -> Any:
    text = str(value or "").strip().replace(" ", "")
    if text == "":
        return 0
    try:
        return int(text)
    except ValueError:
        return text  # the Struct names it as not a number


@post("/utstyr/enheter/{code:str}/tall", opt=EQUIPMENT_USERS, include_in_schema=False)
async def save_counts(request: Request, code: FromPath[str]) -> Response:
    """Save the unit's counts if nobody changed them since the page was read (the hidden version)."""
    data = await form_data(request)
    values = {name: str(data.get(name) or "").strip() for name in COUNT_FIELDS}
    try:
        body = _convert(UnitCountsBody, {**{k: _number(values[k]) for k in COUNT_FIELDS - {"counted_on"}},
                                         "counted_on": values["counted_on"] or None})
        await holdings.set_counts(code, body, holdings.counts_etag(code, posted_version(data)),
                                  request.user)
    except Problem as problem:
        if problem.status_code in (403, 404):
            raise
        if problem.status_code == 412:
            return await render_unit(request, code, values=values, form="counts", refusal=STALE, status_code=409)
        return await render_unit(request, code, values=values, form="counts", status_code=422,
                                 errors=form_errors(problem, COUNT_FIELDS))
    return after(f"/utstyr/enheter/{code}", "tall-lagret", "#tall")


def _holding_values(data: dict[str, Any]) -> dict[str, Any]:
    return {name: str(data.get(name) or "").strip() for name in HOLDING_FIELDS}


def _holding_body(values: dict[str, Any]) -> dict[str, Any]:
    return {"kind": values["kind"], "count": _number(values["count"]) if values["count"] else None,
            "acquired_on": values["acquired_on"] or None, "funded_by": values["funded_by"] or None,
            "model": values["model"], "note": values["note"]}


@post("/utstyr/enheter/{code:str}/beholdning", opt=HOLDING_EDITORS, include_in_schema=False)
async def add_holding(request: Request, code: FromPath[str]) -> Response:
    """Register devices; errors come back on the form with what was typed."""
    values = _holding_values(await form_data(request))
    try:
        body = _convert(HoldingCreate, {k: v for k, v in _holding_body(values).items() if v is not None})
        await holdings.add_holding(code, body, request.user)
    except Problem as problem:
        if problem.status_code in (403, 404):
            raise
        return await render_unit(request, code, values=values, form="holding", status_code=422,
                                 errors=form_errors(problem, HOLDING_FIELDS))
    return after(f"/utstyr/enheter/{code}", "utstyr-lagt-til", "#beholdning")


async def render_holding(request: Request, holding_id: int, *, values: dict[str, Any] | None = None,
                         errors: FormErrors | None = None, refusal: str | None = None,
                         status_code: int = 200) -> Template:
    holding = await holdings.get_holding(holding_id, request.user)
    if not holdings.may_edit_holdings(request.user, holding.unit):
        raise holdings.not_served(holding.unit)
    unit = await holdings.unit_row(holding.unit)
    form = values or {"kind": holding.kind, "count": holding.count, "acquired_on": holding.acquired_on.isoformat(),
                      "funded_by": holding.funded_by, "model": holding.model, "note": holding.note}
    return Template(template_name="equipment/holding.html", status_code=status_code, context=context(
        request, h=holding, unit=unit, values=form, errors=errors, refusal=refusal,
        kind_options=[(k.code, k.name) for k in await kinds.list_kinds(request.user, include_inactive=True)],
        funding_options=list(domain.FUNDING.items()), today=today()))


@get("/utstyr/beholdning/{holding_id:int}", opt=HOLDING_EDITORS, include_in_schema=False)
async def holding_page(request: Request, holding_id: FromPath[int]) -> Template:
    return await render_holding(request, holding_id)


@post("/utstyr/beholdning/{holding_id:int}", opt=HOLDING_EDITORS, include_in_schema=False)
async def update_holding(request: Request, holding_id: FromPath[int]) -> Response:
    data = await form_data(request)
    values = _holding_values(data)
    try:
        body = _convert(HoldingPatch, {k: v for k, v in _holding_body(values).items() if v is not None})
        saved = await holdings.update_holding(holding_id, body, holdings.holding_etag(holding_id, posted_version(data)),
                                              request.user)
    except Problem as problem:
        if problem.status_code in (403, 404):
            raise
        if problem.status_code == 412:
            return await render_holding(request, holding_id, values=values, refusal=STALE, status_code=409)
        return await render_holding(request, holding_id, values=values, status_code=422,
                                    errors=form_errors(problem, HOLDING_FIELDS))
    return after(f"/utstyr/enheter/{saved.unit}", "utstyr-lagret", "#beholdning")


@post("/utstyr/beholdning/{holding_id:int}/slett", opt=HOLDING_EDITORS, include_in_schema=False)
async def delete_holding(request: Request, holding_id: FromPath[int]) -> Response:
    data = await form_data(request)
    holding = await holdings.get_holding(holding_id, request.user)
    try:
        await holdings.delete_holding(holding_id, holdings.holding_etag(holding_id, posted_version(data)), request.user)
    except Problem as problem:
        if problem.status_code != 412:
            raise
        return await render_holding(request, holding_id, refusal=STALE, status_code=409)
    return after(f"/utstyr/enheter/{holding.unit}", "utstyr-fjernet", "#beholdning")


plan_page_handlers = [overview, overview_export, unit_page, unit_export, save_counts, add_holding, holding_page,
                      update_holding, delete_holding]
