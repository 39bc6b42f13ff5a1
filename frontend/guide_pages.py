"""Getting started on the pages: the «Kom i gang» section of a resource's page (signed in only),
the sector office's guide form, the ICT mentors' note for their unit, and the competence overview
of a unit under «Erfaringsdeling» (/erfaringer/kompetanse)."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from catalogue import guides
from catalogue.problems import Problem
from catalogue.resources import get_resource
from catalogue.security.access import rule
from frontend.forms import FormErrors, form_data
from frontend.pages import page_context

GUIDE_EDITORS = frozenset({"sector_reviewer", "admin"})
NOTE_EDITORS = frozenset({"ict_mentor", "admin"})
COMPETENCE_READERS = frozenset({"ict_mentor", "sector_reviewer", "admin"})
LINK_ROWS_EMPTY = 2  # blank rows under the links already written
GUIDE_MESSAGES = {
    "veiledning-lagret": "«Kom i gang» er lagret.",
    "notat-lagret": "Notatet for enheten er lagret.",
    "notat-slettet": "Notatet for enheten er slettet.",
}
GUIDE_FIELDS = {"access": ("tilgang", "Teksten er for lang (høyst 4000 tegn)."),
                "login": ("innlogging", "Teksten er for lang (høyst 4000 tegn)."),
                "first_lesson": ("forste-time", "Teksten er for lang (høyst 4000 tegn).")}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _decode(payload: dict[str, Any], kind: type) -> Any:
    """The form as the API's request body; msgspec names the field at fault (``links[1].url``)."""
    try:
        return msgspec.convert(payload, kind)
    except msgspec.ValidationError as exc:
        message = str(exc)
        found = re.search(r"at `\$\.([^`]+)`", message)
        field = found.group(1) if found else "body"
        raise Problem(422, message, errors=[{"field": field, "message": message}]) from None


async def guide_context(request: Request, resource_id: int) -> dict[str, Any]:
    """What the resource page shows of «Kom i gang»: the guide, the notes of the viewer's units
    (the sector office and the admin: every unit's), and what the viewer may write. Called by the
    resource page, which has shown the resource to the viewer already."""
    principal = request.user
    notes = await guides.list_notes(resource_id, principal, seen=True)
    written = {n.unit.code for n in notes}
    units = await guides.competence_units(principal) if "ict_mentor" in principal.roles else []
    return {"guide": await guides.find_guide(resource_id, principal, seen=True), "unit_notes": notes,
            "may_edit_guide": principal.has_any(GUIDE_EDITORS),
            "note_units_free": [u for u in units if guides.edits_unit(principal, u.code) and u.code not in written]}


# --- the guide form -------------------------------------------------------------------------------


def _link_rows(posted: dict[str, Any]) -> int:
    used = [int(m.group(1)) for key in posted for m in [re.fullmatch(r"lenke-(\d+)-(tittel|adresse)", key)] if m]
    return min(guides.LINKS_MAX, max([0, *used]) + (0 if used else LINK_ROWS_EMPTY))


def _guide_payload(posted: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The API's body, and for each link in it the form row it came from (blank rows are skipped)."""
    links, rows = [], []
    for row in range(1, guides.LINKS_MAX + 1):
        title, url = _text(posted.get(f"lenke-{row}-tittel")), _text(posted.get(f"lenke-{row}-adresse"))
        if title or url:
            links.append({"title": title, "url": url})
            rows.append(row)
    return {"access": _text(posted.get("tilgang")), "login": _text(posted.get("innlogging")),
            "first_lesson": _text(posted.get("forste-time")), "links": links}, rows


def _guide_errors(problem: Problem, rows: list[int]) -> FormErrors:
    errors = FormErrors()
    for item in problem.errors or []:
        field = str(item.get("field", ""))
        link = re.match(r"links\[(\d+)\]\.?(title|url)?", field)
        if link:
            index = int(link.group(1))
            row = rows[index] if index < len(rows) else index + 1
            if link.group(2) == "title":
                errors.add(f"lenke-{row}-tittel", "Skriv hva lenken er, for eksempel «Leverandørens veiledning» "
                                                  "(høyst 200 tegn).")
            else:
                errors.add(f"lenke-{row}-adresse", "Skriv en hel nettadresse som begynner med https:// eller http://.")
        elif field == "links":
            errors.general.append(f"Høyst {guides.LINKS_MAX} lenker.")
        elif field == "access" and "at least one" in str(item.get("message", "")):
            errors.add("tilgang", "Skriv minst én del av veiledningen, eller legg til en lenke.")
        elif field in GUIDE_FIELDS:
            name, text = GUIDE_FIELDS[field]
            errors.add(name, text)
    if not errors:
        errors.general.append("Veiledningen kunne ikke lagres. Sjekk feltene.")
    return errors


def _posted_from(guide: guides.GuideOut | None) -> dict[str, Any]:
    if guide is None:
        return {}
    posted: dict[str, Any] = {"tilgang": guide.access, "innlogging": guide.login, "forste-time": guide.first_lesson}
    for row, link in enumerate(guide.links, start=1):
        posted[f"lenke-{row}-tittel"], posted[f"lenke-{row}-adresse"] = link.title, link.url
    return posted


async def _guide_page(request: Request, resource_id: int, *, posted: dict[str, Any], version: int,
                      errors: FormErrors | None = None, status: int = 200) -> Template:
    resource = await get_resource(resource_id, request.user)
    filled = len([1 for key in posted if key.startswith("lenke-") and key.endswith("-tittel")])
    rows = min(guides.LINKS_MAX, max(_link_rows(posted), filled + LINK_ROWS_EMPTY))
    return Template(template_name="guides/form.html", status_code=status, context=page_context(
        request, r=resource, posted=posted, errors=errors, version=version, link_rows=range(1, rows + 1)))


@get("/ressurser/{resource_id:int}/kom-i-gang", opt=rule(GUIDE_EDITORS), include_in_schema=False)
async def guide_form(request: Request, resource_id: FromPath[int]) -> Template:
    guide = await guides.find_guide(resource_id, request.user)
    return await _guide_page(request, resource_id, posted=_posted_from(guide), version=guide.version if guide else 0)


@post("/ressurser/{resource_id:int}/kom-i-gang", opt=rule(GUIDE_EDITORS), include_in_schema=False)
async def guide_save(request: Request, resource_id: FromPath[int]) -> Response:
    posted = await form_data(request)
    try:
        version = int(_text(posted.get("versjon")) or "0")
    except ValueError:
        version = 0
    payload, rows = _guide_payload(posted)
    try:
        await guides.save_guide(resource_id, _decode(payload, guides.GuideIn), request.user, version)
    except Problem as problem:
        if problem.status_code in (401, 403, 404):
            raise
        if problem.status_code in (412, 428):
            errors = FormErrors()
            errors.general.append("Veiledningen er endret et annet sted siden du åpnet den. "
                                  "Se over teksten og lagre igjen.")
            current = await guides.find_guide(resource_id, request.user)
            return await _guide_page(request, resource_id, posted=posted, version=current.version if current else 0,
                                     errors=errors, status=409)
        return await _guide_page(request, resource_id, posted=posted, version=version,
                                 errors=_guide_errors(problem, rows), status=422)
    return Redirect(f"/ressurser/{resource_id}?melding=veiledning-lagret#kom-i-gang", status_code=303)


# --- the unit's note ------------------------------------------------------------------------------


async def _note_page(request: Request, resource_id: int, code: str, *, body: str | None = None,
                     errors: FormErrors | None = None, status: int = 200) -> Template:
    resource = await get_resource(resource_id, request.user)
    unit, note = await guides.find_note(resource_id, code, request.user)
    if not guides.edits_unit(request.user, code):
        raise Problem(403, "ICT mentors write the notes of their own units only.", type_slug="outside-your-units")
    return Template(template_name="guides/note.html", status_code=status, context=page_context(
        request, r=resource, unit=unit, note=note, body=note.body if body is None and note else (body or ""),
        errors=errors))


@get("/ressurser/{resource_id:int}/kom-i-gang/enheter/{code:str}", opt=rule(NOTE_EDITORS), include_in_schema=False)
async def note_form(request: Request, resource_id: FromPath[int], code: FromPath[str]) -> Template:
    return await _note_page(request, resource_id, code)


@post("/ressurser/{resource_id:int}/kom-i-gang/enheter/{code:str}", opt=rule(NOTE_EDITORS), include_in_schema=False)
async def note_save(request: Request, resource_id: FromPath[int], code: FromPath[str]) -> Response:
    posted = await form_data(request)
    body = _text(posted.get("notat"))
    raw = _text(posted.get("versjon"))
    version = int(raw) if raw.isdigit() and int(raw) > 0 else None
    try:
        await guides.save_note(resource_id, code, _decode({"body": body}, guides.NoteIn), request.user, version)
    except Problem as problem:
        if problem.status_code in (401, 403, 404):
            raise
        errors = FormErrors()
        if problem.status_code in (412, 428):
            errors.general.append("Notatet er endret et annet sted siden du åpnet det. Se over teksten og lagre igjen.")
        else:
            errors.add("notat", "Skriv notatet for enheten (høyst 2000 tegn).")
        return await _note_page(request, resource_id, code, body=body, errors=errors,
                                status=409 if problem.status_code in (412, 428) else 422)
    return Redirect(f"/ressurser/{resource_id}?melding=notat-lagret#kom-i-gang", status_code=303)


@post("/ressurser/{resource_id:int}/kom-i-gang/enheter/{code:str}/slett", opt=rule(NOTE_EDITORS),
      include_in_schema=False)
async def note_delete(request: Request, resource_id: FromPath[int], code: FromPath[str]) -> Response:
    await guides.delete_note(resource_id, code, request.user)
    return Redirect(f"/ressurser/{resource_id}?melding=notat-slettet#kom-i-gang", status_code=303)


# --- competence building --------------------------------------------------------------------------


@get("/erfaringer/kompetanse", opt=rule(COMPETENCE_READERS), include_in_schema=False)
async def competence_page(request: Request) -> Template:
    """A unit's resources in use and the staff who share tips, to plan its network meetings."""
    units = await guides.competence_units(request.user)
    chosen = _text(request.query_params.get("enhet"))[:64]
    if not chosen and units:
        chosen = units[0].code
    overview = await guides.competence(chosen, request.user) if chosen else None
    return Template(template_name="guides/competence.html", context=page_context(
        request, units=units, chosen=chosen, overview=overview))


guide_page_handlers = [guide_form, guide_save, note_form, note_save, note_delete, competence_page]
