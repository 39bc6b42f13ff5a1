"""Equipment kinds on pages: the register (with a form for the technology department), one kind
with its lifetime, price and the learning resources that need it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from catalogue.problems import Problem
from catalogue.security.access import rule
from catalogue.tables import Resource
from catalogue.taxonomy import norwegian_sort_key
from equipment import domain, kinds
from equipment.schemas import KindCreate, KindPatch
from frontend.admin_pages import _convert
from catalogue.etags import etag
from frontend.equipment.common import context, form_errors, posted_version
from frontend.equipment.plan_pages import after
from frontend.forms import FormErrors, form_data

EQUIPMENT_USERS = rule(domain.EQUIPMENT_USERS)
KIND_EDITORS = rule(domain.KIND_EDITORS)
KIND_FIELDS = {"code", "name", "category", "lifetime_years", "typical_price_nok", "description",
               "personal_pupil_device", "active"}
CONFIRMATIONS = {
    "type-opprettet": "Utstyrstypen er lagt til.",
    "type-lagret": "Endringene er lagret.",
    "ressurs-koblet": "Læremidlet er koblet til utstyrstypen.",
    "ressurs-fjernet": "Koblingen til læremidlet er fjernet.",
}
STALE = "Utstyrstypen er endret av noen andre etter at du åpnet den. Se hvordan den står nå, og lagre på nytt."


def _values(data: dict[str, Any]) -> dict[str, Any]:
    values = {name: str(data.get(name) or "").strip() for name in KIND_FIELDS}
    values["personal_pupil_device"] = data.get("personal_pupil_device") == "ja"
    return values


def _number(text: str) -> Any:
    return int(text) if text.lstrip("-").isdigit() else (text or None)


async def render_kinds(request: Request, *, values: dict[str, Any] | None = None, errors: FormErrors | None = None,
                       status_code: int = 200) -> Template:
    return Template(template_name="equipment/kinds.html", status_code=status_code, context=context(
        request, kinds=await kinds.list_kinds(request.user, include_inactive=True),
        may_edit=request.user.has_any(domain.KIND_EDITORS), values=values or {"category": "pupil_device"},
        errors=errors, category_options=list(domain.CATEGORIES.items()),
        confirmation=CONFIRMATIONS.get(request.query_params.get("melding") or "")))


@get("/utstyr/typer", opt=EQUIPMENT_USERS, include_in_schema=False)
async def kinds_page(request: Request) -> Template:
    """The kinds the municipality standardises on."""
    return await render_kinds(request)


@post("/utstyr/typer", opt=KIND_EDITORS, include_in_schema=False)
async def create_kind(request: Request) -> Response:
    values = _values(await form_data(request))
    try:
        body = _convert(KindCreate, {"code": values["code"], "name": values["name"], "category": values["category"],
                                     "lifetime_years": _number(values["lifetime_years"]),
                                     "typical_price_nok": _number(values["typical_price_nok"]),
                                     "description": values["description"],
                                     "personal_pupil_device": values["personal_pupil_device"]})
        created = await kinds.create_kind(body, request.user)
    except Problem as problem:
        return await render_kinds(request, values=values, errors=form_errors(problem, KIND_FIELDS), status_code=422)
    return after(f"/utstyr/typer/{created.code}", "type-opprettet")


async def render_kind(request: Request, code: str, *, values: dict[str, Any] | None = None,
                      errors: FormErrors | None = None, refusal: str | None = None, status_code: int = 200) -> Template:
    kind = await kinds.get_kind(code, request.user)
    may_edit = request.user.has_any(domain.KIND_EDITORS)
    options = []
    if may_edit:
        linked = {r.id for r in kind.resources}
        rows = await Resource.select(Resource.id, Resource.name).where(Resource.status.is_in(
            ["published", "in_review", "draft", "phasing_out"]))
        options = sorted(((r["id"], r["name"]) for r in rows if r["id"] not in linked),
                         key=lambda o: norwegian_sort_key(o[1]))
    form = values or {"name": kind.name, "category": kind.category, "lifetime_years": kind.lifetime_years,
                      "typical_price_nok": kind.typical_price_nok, "description": kind.description,
                      "personal_pupil_device": kind.personal_pupil_device, "active": kind.active}
    return Template(template_name="equipment/kind.html", status_code=status_code, context=context(
        request, k=kind, values=form, errors=errors, refusal=refusal, may_edit=may_edit, resource_options=options,
        category_options=list(domain.CATEGORIES.items()),
        confirmation=CONFIRMATIONS.get(request.query_params.get("melding") or "")))


@get("/utstyr/typer/{code:str}", opt=EQUIPMENT_USERS, include_in_schema=False)
async def kind_page(request: Request, code: FromPath[str]) -> Template:
    return await render_kind(request, code)


@post("/utstyr/typer/{code:str}", opt=KIND_EDITORS, include_in_schema=False)
async def update_kind(request: Request, code: FromPath[str]) -> Response:
    data = await form_data(request)
    values = _values(data)
    values["active"] = data.get("active") != "nei"
    try:
        body = _convert(KindPatch, {"name": values["name"], "category": values["category"],
                                    "lifetime_years": _number(values["lifetime_years"]),
                                    "typical_price_nok": _number(values["typical_price_nok"]),
                                    "description": values["description"],
                                    "personal_pupil_device": values["personal_pupil_device"],
                                    "active": values["active"]})
        await kinds.update_kind(code, body, etag("equipment-kind", code, posted_version(data)),
                                request.user)
    except Problem as problem:
        if problem.status_code == 404:
            raise
        if problem.status_code == 412:
            return await render_kind(request, code, values=values, refusal=STALE, status_code=409)
        return await render_kind(request, code, values=values, errors=form_errors(problem, KIND_FIELDS),
                                 status_code=422)
    return after(f"/utstyr/typer/{code}", "type-lagret")


def _resource_id(data: dict[str, Any]) -> int | None:
    value = str(data.get("resource") or "")
    return int(value) if value.isdigit() else None


@post("/utstyr/typer/{code:str}/ressurser", opt=KIND_EDITORS, include_in_schema=False)
async def link_resource(request: Request, code: FromPath[str]) -> Response:
    resource_id = _resource_id(await form_data(request))
    if resource_id is None:
        errors = FormErrors()
        errors.add("resource", "Velg et læremiddel.")
        return await render_kind(request, code, errors=errors, status_code=422)
    await kinds.link_resource(code, resource_id, request.user)
    return after(f"/utstyr/typer/{code}", "ressurs-koblet", "#laeremidler")


@post("/utstyr/typer/{code:str}/ressurser/fjern", opt=KIND_EDITORS, include_in_schema=False)
async def unlink_resource(request: Request, code: FromPath[str]) -> Response:
    resource_id = _resource_id(await form_data(request))
    if resource_id is not None:
        await kinds.unlink_resource(code, resource_id, request.user)
    return after(f"/utstyr/typer/{code}", "ressurs-fjernet", "#laeremidler")


kind_page_handlers = [kinds_page, create_kind, kind_page, update_kind, link_resource, unlink_resource]
