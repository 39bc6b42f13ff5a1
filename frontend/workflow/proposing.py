"""Proposing a resource: the proposal form with its duplicate check, the proposer's list and
edits, and wishes for resources."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from catalogue import domain
from catalogue.domain import CATALOGUE_INSIDERS, Role
from catalogue.problems import Problem
from catalogue.resources import get_resource, organisation_number_is_valid
from catalogue.schemas import HTTP_URL_PATTERN, ResourcePatch
from catalogue.security.access import SIGNED_IN, Principal, rule
from frontend import labels
from frontend.catalogue_pages import taxonomy_names
from frontend.forms import FormErrors, as_list, errors_from_problem, form_data
from frontend.pages import page_context
from frontend.workflow.common import (
    CONFIRMATIONS,
    PROPOSERS,
    STALE_CASE,
    active_units,
    as_int,
    confirmation,
    convert,
    done,
    fmt_date,
    fmt_time,
    insider,
    text_of,
    unit_names,
)
from frontend.workflow.step_forms import parse_whole_number
from workflows import service, wishes
from workflows.definitions import WORKFLOWS
from workflows.duplicates import find_duplicates
from workflows.schemas import ProposalCreate, WishCreate
from workflows.tables import Wish

DUPLICATE_REASONS = {"similar_name": "Lignende navn", "same_url": "Samme nettadresse",
                     "same_vendor": "Samme leverandør"}
WISH_STATUSES = {"open": "Venter på svar", "converted": "Gjort om til forslag", "declined": "Ikke foreslått"}
PAGE_LANGUAGES = ("nb", "nn", "se", "en")


# --- resource fields shared by the proposal and its edit page -----------------------------------

RESOURCE_TEXT = ("name", "vendor.name", "vendor.organisation_number", "url", "kind", "description", "licence_model")
RESOURCE_LISTS = ("levels", "subjects", "kindergarten_areas", "platforms", "logins", "languages")
JUSTIFICATION_TEXT = ("justification.pedagogical_purpose", "justification.requested_by",
                      "justification.estimated_cost_nok", "justification.wish_id")
JUSTIFICATION_LISTS = ("justification.units",)


def posted_values(posted: dict[str, Any], texts: tuple[str, ...], lists: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {n: posted.get(n) if isinstance(posted.get(n), str) else "" for n in texts}
    values.update({n: as_list(posted.get(n)) for n in lists})
    return values


def resource_values(resource) -> dict[str, Any]:
    return {
        "name": resource.name, "vendor.name": resource.vendor.name if resource.vendor else "",
        "vendor.organisation_number": (resource.vendor.organisation_number or "") if resource.vendor else "",
        "url": resource.url, "kind": resource.kind, "description": resource.description,
        "licence_model": resource.licence_model,
        **{n: list(getattr(resource, n)) for n in RESOURCE_LISTS},
    }


def resource_body(values: dict[str, Any], errors: FormErrors) -> dict[str, Any]:
    """The resource part of a proposal from the form, checked the way a person needs to hear it."""
    name, vendor = text_of(values["name"]), text_of(values["vendor.name"])
    if not name:
        errors.add("name", "Skriv navnet på læremidlet.")
    elif len(name) > 200:
        errors.add("name", "Navnet kan ha høyst 200 tegn.")
    if not vendor:
        errors.add("vendor.name", "Skriv navnet på leverandøren.")
    elif len(vendor) > 200:
        errors.add("vendor.name", "Navnet kan ha høyst 200 tegn.")
    number = re.sub(r"\s", "", text_of(values["vendor.organisation_number"]))
    if number and not organisation_number_is_valid(number):
        errors.add("vendor.organisation_number", "Organisasjonsnummeret er ikke gyldig. Det har ni sifre.")
    url = text_of(values["url"])
    if not url:
        errors.add("url", "Skriv nettadressen til læremidlet.")
    elif len(url) > 2048 or not re.match(HTTP_URL_PATTERN, url):
        errors.add("url", "Skriv en nettadresse som begynner med https://.")
    kind = text_of(values["kind"])
    if kind not in domain.RESOURCE_KINDS:
        errors.add("kind", "Velg hva slags læremiddel det er.")
    licence = text_of(values["licence_model"])
    if licence not in domain.LICENCE_MODELS:
        errors.add("licence_model", "Velg lisensmodell.")
    description = text_of(values["description"])
    if len(description) > 20000:
        errors.add("description", "Beskrivelsen er for lang (høyst 20 000 tegn).")
    if values["kindergarten_areas"] and "barnehage" not in values["levels"]:
        errors.add("kindergarten_areas",
                   "Fagområder gjelder bare læremidler for barnehage. Kryss av for barnehage under trinn.")
    return {
        "name": name, "vendor": {"name": vendor, "organisation_number": number or None}, "url": url,
        "kind": kind, "description": description, "licence_model": licence,
        **{n: list(dict.fromkeys(values[n])) for n in RESOURCE_LISTS},
    }


async def resource_choices() -> dict[str, Any]:
    subjects, areas = await taxonomy_names()
    return {
        "kinds": list(domain.RESOURCE_KINDS.items()),
        "level_options": list(labels.LEVEL_NAMES.items()),
        "subject_options": list(subjects.items()),
        "area_options": list(areas.items()),
        "platform_options": list(domain.PLATFORMS.items()),
        "login_options": list(domain.LOGINS.items()),
        "language_options": [(code, domain.LANGUAGES[code]) for code in PAGE_LANGUAGES],
        "licence_options": list(domain.LICENCE_MODELS.items()),
    }


# --- proposals -----------------------------------------------------------------------------------


async def _unit_options_for(principal: Principal) -> list[tuple[str, str]]:
    """The proposer's own units first, then the others."""
    units = await active_units()
    own = [(code, f"{name} (din enhet)") for code, name in units if code in principal.unit_codes]
    return own + [(code, name) for code, name in units if code not in principal.unit_codes]


async def _proposal_page(request: Request, values: dict[str, Any], *, errors: FormErrors | None = None,
                         duplicates: list | None = None, wish=None, notice: str | None = None,
                         status: int = 200) -> Template:
    principal = request.user
    names = await unit_names()
    return Template(template_name="workflow/proposal_form.html", status_code=status, context=page_context(
        request, v=values, errors=errors, duplicates=duplicates or [], wish=wish, notice=notice,
        unit_options=await _unit_options_for(principal), unit_names=names,
        reason_labels=DUPLICATE_REASONS, insider=principal.has_any(CATALOGUE_INSIDERS), labels=labels,
        **await resource_choices(),
    ))


@get("/forslag/ny", opt=rule(PROPOSERS), include_in_schema=False)
async def proposal_form(request: Request) -> Template:
    """An ICT mentor proposes a resource, optionally from a wish (``?onske=ID``)."""
    principal = request.user
    values = posted_values({}, RESOURCE_TEXT + JUSTIFICATION_TEXT, RESOURCE_LISTS + JUSTIFICATION_LISTS)
    own = sorted(principal.unit_codes)
    if len(own) == 1:
        values["justification.units"] = own
    wish, notice = None, None
    wish_id = as_int(request.query_params.get("onske"))
    if wish_id is not None:
        wish = await wishes.get_wish(wish_id, principal)
        if wish.status != "open":
            notice = "Ønsket er allerede besvart, så forslaget blir ikke knyttet til det."
            wish = None
        else:
            values.update({
                "name": wish.name, "url": wish.url or "", "description": wish.description,
                "justification.pedagogical_purpose": wish.reason, "justification.requested_by": wish.requester,
                "justification.units": [wish.unit], "justification.wish_id": str(wish.id),
            })
    return await _proposal_page(request, values, wish=wish, notice=notice)


@get("/forslag/lignende", opt=rule(PROPOSERS), include_in_schema=False)
async def duplicate_check(request: Request) -> Template:
    """Resources like the one being proposed, for the proposal form to show while the name is
    typed (the same check runs again when the form is sent)."""
    params = request.query_params
    name, url, vendor = (text_of(params.get(k))[:2048] for k in ("name", "url", "vendor.name"))
    duplicates = await find_duplicates(name, url or None, vendor or None, principal=request.user) if len(name) >= 3 else []
    return Template(template_name="workflow/_duplicates.html", context={
        "duplicates": duplicates, "insider": request.user.has_any(CATALOGUE_INSIDERS), "labels": labels,
        "reason_labels": DUPLICATE_REASONS, "v": {"ikke_duplikat": text_of(params.get("ikke_duplikat"))},
        "errors": None})


@post("/forslag/ny", opt=rule(PROPOSERS), include_in_schema=False)
async def proposal_create(request: Request) -> Response:
    """Create the proposal (a draft, or submitted at once) after a check for duplicates."""
    principal = request.user
    posted = await form_data(request)
    values = posted_values(posted, RESOURCE_TEXT + JUSTIFICATION_TEXT, RESOURCE_LISTS + JUSTIFICATION_LISTS)
    values["ikke_duplikat"] = text_of(posted.get("ikke_duplikat"))
    errors = FormErrors()
    resource = resource_body(values, errors)
    purpose = text_of(values["justification.pedagogical_purpose"])
    if not purpose:
        errors.add("justification.pedagogical_purpose", "Beskriv hva læremidlet skal brukes til.")
    elif len(purpose) > 5000:
        errors.add("justification.pedagogical_purpose", "Teksten er for lang (høyst 5000 tegn).")
    if not values["justification.units"]:
        errors.add("justification.units", "Velg minst én enhet som ønsker læremidlet.")
    requested_by = text_of(values["justification.requested_by"])
    if len(requested_by) > 500:
        errors.add("justification.requested_by", "Teksten er for lang (høyst 500 tegn).")
    cost_text = text_of(values["justification.estimated_cost_nok"])
    cost = parse_whole_number(cost_text) if cost_text else None
    if cost_text and cost is None:
        errors.add("justification.estimated_cost_nok", "Skriv et helt tall (0 eller større).")
    wish_id = as_int(values["justification.wish_id"])
    wish = None
    if wish_id is not None:
        wish = await wishes.get_wish(wish_id, principal)

    duplicates = []
    if resource["name"]:
        duplicates = await find_duplicates(resource["name"], resource["url"] or None,
                                           resource["vendor"]["name"] or None, principal=principal)
    if duplicates and values["ikke_duplikat"] != "ja":
        errors.add("ikke_duplikat", "Se over de lignende læremidlene, og bekreft at dette ikke er et duplikat.")

    justification = {"pedagogical_purpose": purpose, "units": values["justification.units"],
                     "estimated_cost_nok": cost, "requested_by": requested_by, "wish_id": wish_id}
    body = None
    if not errors:
        body = convert({"resource": resource, "justification": justification,
                        "submit": posted.get("handling") == "send"}, ProposalCreate, errors, "resource.")
    if errors or body is None:
        return await _proposal_page(request, values, errors=errors, duplicates=duplicates, wish=wish, status=422)
    try:
        case_id = await service.create_proposal(body, principal, request.app.state.settings)
    except Problem as problem:
        if problem.status_code not in (409, 412, 422):
            raise
        known = set(RESOURCE_TEXT + RESOURCE_LISTS + JUSTIFICATION_LISTS) | {
            "justification.pedagogical_purpose", "justification.requested_by", "justification.estimated_cost_nok"}
        errors = errors_from_problem(problem, known, {"resource.": "", "units": "justification.units"})
        return await _proposal_page(request, values, errors=errors, duplicates=duplicates, wish=wish, status=422)
    return done(f"/saker/{case_id}", "forslag-sendt" if body.submit else "utkast-lagret")


@get("/forslag", opt=rule(PROPOSERS), include_in_schema=False)
async def my_proposals(request: Request) -> Template:
    return await _proposals_page(request)


async def _proposals_page(request: Request, *, errors: FormErrors | None = None, posted: dict | None = None,
                          status: int = 200) -> Template:
    """The mentor's cases and the open wishes of their units."""
    principal = request.user
    cases, total = await service.list_cases(principal, kind=None, state=None, open_only=False, limit=100, offset=0)
    admin = Role.ADMIN.value in principal.roles
    open_wishes = [w for w in await wishes.list_wishes(principal, "open")
                   if admin or w.unit in principal.unit_codes]
    return Template(template_name="workflow/proposals.html", status_code=status, context=page_context(
        request, cases=cases, total=total, wishes=open_wishes, unit_names=await unit_names(),
        kind_labels={k: w.label_nb for k, w in WORKFLOWS.items()}, fmt_date=fmt_date, fmt_time=fmt_time,
        errors=errors, posted=posted or {}, message=confirmation(request),
    ))


@post("/onsker/{wish_id:int}/avslaa", opt=rule(PROPOSERS), include_in_schema=False)
async def decline_wish(request: Request, wish_id: FromPath[int]) -> Response:
    posted = await form_data(request)
    reason = text_of(posted.get("begrunnelse"))
    field = f"begrunnelse-{wish_id}"
    errors = FormErrors()
    if not reason:
        errors.add(field, "Skriv hvorfor ønsket ikke blir foreslått.")
    elif len(reason) > 5000:
        errors.add(field, "Teksten er for lang (høyst 5000 tegn).")
    if not errors:
        try:
            await wishes.decline_wish(wish_id, reason, request.user, as_int(posted.get("versjon")))
        except Problem as problem:
            if problem.status_code == 412:
                errors.general.append("Ønsket er endret av noen andre etter at du åpnet siden. Prøv igjen.")
            elif problem.status_code == 409:
                errors.general.append("Ønsket er allerede besvart.")
            else:
                raise
    if errors:
        return await _proposals_page(request, errors=errors, posted={"wish_id": wish_id, "begrunnelse": posted.get(
            "begrunnelse", "")}, status=409 if errors.general else 422)
    return done("/forslag", "onske-avslatt")


# --- wishes ------------------------------------------------------------------------------------

WISH_FIELDS = ("name", "url", "unit", "description", "reason")


async def _wish_units(principal: Principal) -> list[tuple[str, str]]:
    units = await active_units()
    own = [(code, name) for code, name in units if code in principal.unit_codes]
    return own or units


async def _wish_page(request: Request, values: dict[str, Any], *, errors: FormErrors | None = None,
                     status: int = 200) -> Template:
    return Template(template_name="workflow/wish_form.html", status_code=status, context=page_context(
        request, v=values, errors=errors, unit_options=await _wish_units(request.user)))


@get("/onsker/ny", opt=rule(SIGNED_IN), include_in_schema=False)
async def wish_form(request: Request) -> Template:
    """Anyone signed in may wish for a resource; the ICT mentors of the unit are told."""
    units = await _wish_units(request.user)
    values = {name: "" for name in WISH_FIELDS}
    if len(units) == 1:
        values["unit"] = units[0][0]
    return await _wish_page(request, values)


@post("/onsker/ny", opt=rule(SIGNED_IN), include_in_schema=False)
async def wish_create(request: Request) -> Response:
    posted = await form_data(request)
    values = {name: text_of(posted.get(name)) for name in WISH_FIELDS}
    errors = FormErrors()
    if not values["name"]:
        errors.add("name", "Skriv navnet på læremidlet.")
    elif len(values["name"]) > 200:
        errors.add("name", "Navnet kan ha høyst 200 tegn.")
    if values["url"] and (len(values["url"]) > 2048 or not re.match(HTTP_URL_PATTERN, values["url"])):
        errors.add("url", "Skriv en nettadresse som begynner med https://.")
    if not values["unit"]:
        errors.add("unit", "Velg enheten din.")
    if len(values["description"]) > 5000:
        errors.add("description", "Teksten er for lang (høyst 5000 tegn).")
    if not values["reason"]:
        errors.add("reason", "Skriv hvorfor du ønsker deg læremidlet.")
    elif len(values["reason"]) > 5000:
        errors.add("reason", "Teksten er for lang (høyst 5000 tegn).")
    body = None
    if not errors:
        body = convert({"name": values["name"], "unit": values["unit"], "url": values["url"] or None,
                        "description": values["description"], "reason": values["reason"]}, WishCreate, errors)
    if errors or body is None:
        return await _wish_page(request, values, errors=errors, status=422)
    try:
        await wishes.create_wish(body, request.user)
    except Problem as problem:
        if problem.status_code != 422:
            raise
        errors = errors_from_problem(problem, set(WISH_FIELDS))
        return await _wish_page(request, values, errors=errors, status=422)
    return done("/onsker", "onske-sendt")


@get("/onsker", opt=rule(SIGNED_IN), include_in_schema=False)
async def my_wishes(request: Request) -> Template:
    """The wishes the user sent, with their status and the mentors' answers."""
    rows = await Wish.select().where(Wish.requester == request.user.user_id).order_by(Wish.id, ascending=False)
    return Template(template_name="workflow/wishes.html", context=page_context(
        request, wishes=[wishes.wish_out(r) for r in rows], unit_names=await unit_names(),
        statuses=WISH_STATUSES, fmt_time=fmt_time, message=confirmation(request)))


@get("/saker/{case_id:int}/endre", opt=rule(SIGNED_IN), include_in_schema=False)
async def proposal_edit_form(request: Request, case_id: FromPath[int]) -> Response:
    """The proposer edits the proposed resource while the case is a draft or returned."""
    row = await _own_proposal(request, case_id)
    if row["state"] not in ("draft", "returned"):
        return done(f"/saker/{case_id}", "kan-ikke-endres")
    resource = await get_resource(row["resource"], insider(request.user))
    return await _edit_page(request, row, resource_values(resource))


async def _own_proposal(request: Request, case_id: int) -> dict[str, Any]:
    row = await service.visible_case(case_id, request.user)
    if row["proposer"] is None or row["proposer"] != request.user.user_id:
        raise Problem(403, "Only the proposer edits the proposal.")
    return row


async def _edit_page(request: Request, row: dict[str, Any], values: dict[str, Any], *,
                     errors: FormErrors | None = None, status: int = 200) -> Template:
    return Template(template_name="workflow/edit.html", status_code=status, context=page_context(
        request, row=row, v=values, errors=errors, **await resource_choices()))


@post("/saker/{case_id:int}/endre", opt=rule(SIGNED_IN), include_in_schema=False)
async def proposal_edit(request: Request, case_id: FromPath[int]) -> Response:
    row = await _own_proposal(request, case_id)
    posted = await form_data(request)
    values = posted_values(posted, RESOURCE_TEXT, RESOURCE_LISTS)
    errors = FormErrors()
    body = resource_body(values, errors)
    patch = convert(body, ResourcePatch, errors) if not errors else None
    if errors or patch is None:
        return await _edit_page(request, row, values, errors=errors, status=422)
    try:
        await service.edit_proposal_resource(case_id, patch, request.user, as_int(posted.get("versjon")))
    except Problem as problem:
        if problem.status_code in (401, 403, 404):
            raise
        if problem.status_code == 412:
            errors.general.append(STALE_CASE)
        elif problem.status_code == 409:
            errors.general.append(CONFIRMATIONS["kan-ikke-endres"])
        else:
            errors = errors_from_problem(problem, set(RESOURCE_TEXT + RESOURCE_LISTS))
        row = await _own_proposal(request, case_id)
        return await _edit_page(request, row, values, errors=errors,
                                status=422 if problem.status_code == 422 else 409)
    return done(f"/saker/{case_id}", "endret")
