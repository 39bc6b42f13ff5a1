"""The curriculum on the pages: the sector office's view of how the base package covers it (per
subject and trinn, the competence aims no resource in the base package is tagged with), and the
page where a resource is tagged with aims, picked by subject and trinn and found by the words of
their text. The sector office and the admin tag any resource; the proposer tags their own
proposal while it is a draft or returned to them (through the case, so the case records it)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from catalogue import domain
from catalogue.curriculum.aims import coverage, list_aims, resource_aims
from catalogue.domain import Role
from catalogue.problems import Problem
from catalogue.resources import get_resource, patch_resource
from catalogue.schemas import ResourcePatch
from catalogue.search.sql import execute
from catalogue.security.access import SIGNED_IN, Principal, rule
from frontend.forms import FormErrors, aim_codes, as_list, form_data
from frontend.pages import page_context

TRINN = tuple(str(n) for n in range(1, 11))


async def _curriculum_subjects() -> list[dict]:
    """The subjects that have a curriculum (and so competence aims), in the catalogue's order."""
    return await execute("SELECT code, name_nb FROM subject WHERE curriculum_code IS NOT NULL ORDER BY sort_order, code")


@get("/kompetansemaal/dekning", opt=rule({Role.SECTOR_REVIEWER.value, Role.ADMIN.value}), include_in_schema=False)
async def coverage_page(request: Request) -> Template:
    """Aims without a resource in the base package, for one subject and trinn or for all."""
    subjects = await _curriculum_subjects()
    names = {s["code"]: s["name_nb"] for s in subjects}
    subject = request.query_params.get("fag") or None
    level = request.query_params.get("trinn") or None
    notice = None
    if subject is not None and subject not in names:
        subject, notice = None, "Faget finnes ikke i katalogen. Viser alle fag."
    if level is not None and level not in TRINN:
        level, notice = None, "Trinnet finnes ikke. Viser alle trinn."
    groups = await coverage(subject, level)
    return Template(template_name="curriculum/coverage.html", context=page_context(
        request, groups=groups, subjects=subjects, names=names, subject=subject, level=level, trinn=TRINN,
        notice=notice))


PICKER_RESULTS = 60  # aims listed for one search; a narrower search finds the rest


async def _open_proposal(resource_id: int, principal: Principal) -> dict[str, Any] | None:
    """The caller's own proposal of this resource while they may still change it."""
    if principal.user_id is None:
        return None
    rows = await execute('SELECT id, version FROM workflow_case WHERE resource = {} AND kind = {} AND proposer = {}'
                         " AND state IN ({}, {}) ORDER BY id DESC", resource_id, "proposal", principal.user_id,
                         "draft", "returned")
    return rows[0] if rows else None


async def _may_tag(resource_id: int, principal: Principal) -> dict[str, Any] | None:
    """How the caller may tag the resource: as the catalogue's editor ({}) or through their open
    proposal ({"id", "version"}); 403 otherwise."""
    if principal.has_any(domain.CATALOGUE_EDITORS):
        return {}
    proposal = await _open_proposal(resource_id, principal)
    if proposal is None:
        raise Problem(403, "The sector office tags resources with competence aims; a proposer tags their own "
                           "proposal while it is a draft or returned.")
    return proposal


async def _picker(request: Request, resource_id: int, *, chosen: list[str] | None = None,
                  errors: FormErrors | None = None, typed: str = "", status: int = 200,
                  version: int | None = None) -> Template:
    principal = request.user
    resource = await get_resource(resource_id, principal)
    proposal = await _may_tag(resource_id, principal)
    subjects = await _curriculum_subjects()
    names = {row["code"]: row["name_nb"] for row in subjects}
    params = request.query_params
    searched = any(params.get(key) for key in ("fag", "trinn", "ord"))
    subject = params.get("fag") if searched else next((s for s in resource.subjects if s in names), None)
    subject = subject if subject in names else None
    level = params.get("trinn") if params.get("trinn") in TRINN else None
    words = (params.get("ord") or "").strip()[:200]
    current = await resource_aims(chosen if chosen is not None else resource.competence_aims)
    found = await list_aims(subject, level, words or None, limit=PICKER_RESULTS) if (subject or level or words) \
        else None
    kept = {a.code for a in current}
    return Template(template_name="curriculum/picker.html", status_code=status, context=page_context(
        request, r=resource, current=current, found=found, hits=[a for a in (found.items if found else [])
                                                                 if a.code not in kept],
        subjects=subjects, names=names, subject=subject or "", level=level or "", words=words, trinn=TRINN,
        errors=errors, typed=typed, through_case=proposal.get("id") if proposal else None,
        version=version if version is not None else (proposal["version"] if proposal else resource.version),
        back=f"/saker/{proposal['id']}" if proposal else f"/ressurser/{resource_id}#kompetansemaal"))


@get("/ressurser/{resource_id:int}/kompetansemaal", opt=rule(SIGNED_IN), include_in_schema=False)
async def aim_picker(request: Request, resource_id: FromPath[int]) -> Template:
    """The resource's aims (each can be taken off) and a search by subject, trinn and words whose
    aims can be added; one button saves both."""
    return await _picker(request, resource_id)


@post("/ressurser/{resource_id:int}/kompetansemaal", opt=rule(SIGNED_IN), include_in_schema=False)
async def aim_picker_save(request: Request, resource_id: FromPath[int]) -> Response:
    from workflows.service import edit_proposal_resource

    principal = request.user
    posted = await form_data(request)
    proposal = await _may_tag(resource_id, principal)
    typed = str(posted.get("koder") or "")[:2000]
    codes = list(dict.fromkeys(as_list(posted.get("maal")) + aim_codes(typed)))
    raw_version = str(posted.get("versjon") or "")
    version = int(raw_version) if raw_version.isdigit() and len(raw_version) < 10 else None
    try:
        patch = msgspec.convert({"competence_aims": codes}, ResourcePatch)
    except msgspec.ValidationError:
        patch = None
    errors = FormErrors()
    if patch is None:
        errors.add("koder", "Skriv kodene slik de står i læreplanen, for eksempel KM4010, skilt med mellomrom.")
    else:
        try:
            if proposal:
                await edit_proposal_resource(proposal["id"], patch, principal, version)
            else:
                await patch_resource(resource_id, patch, version, principal)
        except Problem as problem:
            if problem.status_code == 412:
                errors.general.append("Noen andre har endret læremidlet mens du valgte. Se over valgene og lagre igjen.")
                return await _picker(request, resource_id, errors=errors, typed=typed, status=409, chosen=None)
            if problem.status_code not in (400, 422):
                raise
            unknown = [str(e.get("message", "")) for e in problem.errors or []]
            errors.add("koder", "Katalogen kjenner ikke alle kodene: " + "; ".join(unknown)[:300] if unknown
                       else "Sjekk kodene.")
    if errors:
        return await _picker(request, resource_id, chosen=as_list(posted.get("maal")), errors=errors, typed=typed, status=422,
                             version=version)
    target = f"/saker/{proposal['id']}?melding=kompetansemaal" if proposal else \
        f"/ressurser/{resource_id}?melding=kompetansemaal#kompetansemaal"
    return Redirect(target, status_code=303)


curriculum_page_handlers = [coverage_page, aim_picker, aim_picker_save]
