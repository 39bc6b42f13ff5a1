"""Experience sharing on the pages: the tips on a resource's page (signed in only), writing,
editing and deleting one's own tip, marking a tip useful, reporting it, and the moderators' page
(«Erfaringsdeling»: reports and hidden tips of the units they moderate)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from catalogue import tips
from catalogue.problems import Problem
from catalogue.resources import get_resource
from catalogue.security.access import SIGNED_IN, rule
from frontend.forms import Choices, FormErrors, aim_codes, as_list, form_data, level_subject_choices
from frontend.pages import page_context

MODERATORS = frozenset({"ict_mentor", "sector_reviewer", "admin"})
TIP_MESSAGES = {
    "tips-delt": "Takk! Tipset ditt er delt med kollegene.",
    "tips-endret": "Tipset er endret.",
    "tips-slettet": "Tipset er slettet.",
    "tips-nyttig": "Du har markert tipset som nyttig.",
    "tips-ikke-nyttig": "Markeringen er fjernet.",
    "tips-meldt": "Takk. Tipset er meldt til moderatorene.",
    "tips-eget": "Du kan ikke markere ditt eget tips som nyttig.",
    "tips-allerede": "Du har allerede markert tipset som nyttig.",
}
FIELD_TEXT = {  # the service's fields → the form's fields and what to do
    "body": ("tekst", "Skriv hvordan du brukte læremidlet (høyst 5000 tegn)."),
    "worked": ("fungerte", "Teksten er for lang (høyst 2000 tegn)."),
    "watch_out": ("pass-paa", "Teksten er for lang (høyst 2000 tegn)."),
    "levels": ("trinn", "Velg trinn fra listen."),
    "subjects": ("fag", "Velg fag fra listen."),
    "competence_aims": ("kompetansemaal", "Skriv koder for kompetansemål slik Udir skriver dem, for eksempel KM4010."),
}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _payload(posted: dict[str, Any]) -> dict[str, Any]:
    return {"body": _text(posted.get("tekst")), "worked": _text(posted.get("fungerte")),
            "watch_out": _text(posted.get("pass-paa")), "levels": as_list(posted.get("trinn")),
            "subjects": as_list(posted.get("fag")), "competence_aims": aim_codes(posted.get("kompetansemaal"))}


def _errors(exc: Exception) -> FormErrors:
    errors = FormErrors()
    items = exc.errors if isinstance(exc, Problem) else [{"field": str(exc)}]
    for item in items or []:
        field = str(item.get("field", "")).split("[")[0].split(".")[-1]
        name, text = FIELD_TEXT.get(field, ("tekst", "Sjekk verdien i feltet."))
        errors.add(name, text)
    if not errors:
        errors.general.append("Tipset kunne ikke lagres. Sjekk feltene.")
    return errors


def _decode(payload: dict[str, Any], kind: type) -> Any:
    """The form as the API's request body; msgspec names the field at fault."""
    try:
        return msgspec.convert(payload, kind)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = message.rsplit("$.", 1)[-1].split("[")[0].rstrip("`") if "$." in message else "body"
        raise Problem(422, message, errors=[{"field": field, "message": message}]) from None


ON_RESOURCE_PAGE = 10  # the most useful tips shown on the resource page; the rest on its tips page
PER_PAGE = 20


async def resource_tips_context(request: Request, resource_id: int, *, page: int = 1,
                                per_page: int = ON_RESOURCE_PAGE, choices: Choices | None = None) -> dict[str, Any]:
    """The tips (signed-in people only) filtered by level and subject, the most useful first: the
    first few on the resource page, a page of them at a time on the resource's tips page. Both
    pages have shown the resource to the viewer already."""
    level = _text(request.query_params.get("tips_trinn"))[:16] or None
    subject = _text(request.query_params.get("tips_fag"))[:16] or None
    listed = await tips.list_tips(resource_id, request.user, level=level, subject=subject, limit=per_page,
                                  offset=(page - 1) * per_page, seen=True)
    levels, subjects = await level_subject_choices(choices)
    chosen = urlencode({key: value for key, value in (("tips_trinn", level), ("tips_fag", subject)) if value})
    return {"tips": listed.items, "tips_total": listed.total, "tip_levels": levels, "tip_subjects": subjects,
            "tip_level": level or "", "tip_subject": subject or "", "subject_names": dict(subjects),
            "level_names": dict(levels), "tips_filter_query": chosen, "tips_page": page,
            "tips_pages": max(1, -(-listed.total // per_page)), "tips_offset": (page - 1) * per_page}


async def _form_page(request: Request, resource_id: int, *, posted: dict[str, Any], errors: FormErrors | None,
                     tip: tips.TipOut | None = None, status: int = 200) -> Template:
    resource = await get_resource(resource_id, request.user)
    levels, subjects = await level_subject_choices()
    return Template(template_name="tips/form.html", status_code=status, context=page_context(
        request, r=resource, tip=tip, posted=posted, errors=errors, tip_levels=levels, tip_subjects=subjects))


def _posted_from(tip: tips.TipOut) -> dict[str, Any]:
    return {"tekst": tip.body, "fungerte": tip.worked, "pass-paa": tip.watch_out, "trinn": tip.levels,
            "fag": tip.subjects, "kompetansemaal": " ".join(tip.competence_aims)}


@post("/ressurser/{resource_id:int}/tips", opt=rule(SIGNED_IN), include_in_schema=False)
async def tip_create(request: Request, resource_id: FromPath[int]) -> Response:
    """Share a tip from the resource page; a form with its errors when something must be put right."""
    posted = await form_data(request)
    try:
        await tips.create_tip(resource_id, _decode(_payload(posted), tips.TipCreate), request.user)
    except Problem as problem:
        if problem.status_code in (401, 403, 404):
            raise
        return await _form_page(request, resource_id, posted=posted, errors=_errors(problem),
                                status=409 if problem.status_code == 409 else 422)
    return Redirect(f"/ressurser/{resource_id}?melding=tips-delt#tips", status_code=303)


@get("/ressurser/{resource_id:int}/tips", opt=rule(SIGNED_IN), include_in_schema=False)
async def tip_list(request: Request, resource_id: FromPath[int]) -> Template:
    """Every tip on a resource, the most useful first, PER_PAGE at a time (``?side=N``), with the
    resource page's level and subject filter."""
    resource = await get_resource(resource_id, request.user)
    raw = _text(request.query_params.get("side"))
    page = int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1
    context = await resource_tips_context(request, resource_id, page=max(page, 1), per_page=PER_PAGE)
    return Template(template_name="tips/list.html", context=page_context(request, r=resource, **context))


@get("/ressurser/{resource_id:int}/tips/ny", opt=rule(SIGNED_IN), include_in_schema=False)
async def tip_new(request: Request, resource_id: FromPath[int]) -> Template:
    return await _form_page(request, resource_id, posted={}, errors=None)


@get("/tips/{tip_id:int}/endre", opt=rule(SIGNED_IN), include_in_schema=False)
async def tip_edit_form(request: Request, tip_id: FromPath[int]) -> Template:
    tip = await tips.get_tip(tip_id, request.user)
    if not tip.mine:
        raise Problem(403, "Only the author edits a tip.")
    return await _form_page(request, tip.resource_id, posted=_posted_from(tip), errors=None, tip=tip)


@post("/tips/{tip_id:int}/endre", opt=rule(SIGNED_IN), include_in_schema=False)
async def tip_edit(request: Request, tip_id: FromPath[int]) -> Response:
    posted = await form_data(request)
    tip = await tips.get_tip(tip_id, request.user)
    try:
        version = int(_text(posted.get("versjon")) or "0")
    except ValueError:
        version = 0
    try:
        await tips.update_tip(tip_id, _decode(_payload(posted), tips.TipPatch), request.user, version)
    except Problem as problem:
        if problem.status_code in (401, 403, 404):
            raise
        errors = FormErrors()
        if problem.status_code == 412:
            errors.general.append("Tipset er endret et annet sted siden du åpnet det. Se over teksten og lagre igjen.")
            tip = await tips.get_tip(tip_id, request.user)
        else:
            errors = _errors(problem)
        return await _form_page(request, tip.resource_id, posted=posted, errors=errors, tip=tip,
                                status=409 if problem.status_code == 412 else 422)
    return Redirect(f"/ressurser/{tip.resource_id}?melding=tips-endret#tips", status_code=303)


@post("/tips/{tip_id:int}/slett", opt=rule(SIGNED_IN), include_in_schema=False)
async def tip_delete(request: Request, tip_id: FromPath[int]) -> Response:
    tip = await tips.get_tip(tip_id, request.user)
    await tips.delete_tip(tip_id, request.user)
    return Redirect(f"/ressurser/{tip.resource_id}?melding=tips-slettet#tips", status_code=303)


@post("/tips/{tip_id:int}/nyttig", opt=rule(SIGNED_IN), include_in_schema=False)
async def tip_useful(request: Request, tip_id: FromPath[int]) -> Response:
    """Mark the tip useful (``nyttig=nei`` takes the mark back)."""
    posted = await form_data(request)
    tip = await tips.get_tip(tip_id, request.user)
    message = "tips-nyttig"
    if _text(posted.get("nyttig")) == "nei":
        await tips.unmark_useful(tip_id, request.user)
        message = "tips-ikke-nyttig"
    else:
        try:
            await tips.mark_useful(tip_id, request.user)
        except Problem as problem:
            if problem.status_code != 409:
                raise
            message = "tips-eget" if problem.type_slug == "own-tip" else "tips-allerede"
    return Redirect(f"/ressurser/{tip.resource_id}?melding={message}#tips-{tip_id}", status_code=303)


async def _report_page(request: Request, tip: tips.TipOut, *, errors: FormErrors | None = None,
                       reason: str = "", status: int = 200) -> Template:
    resource = await get_resource(tip.resource_id, request.user)
    levels, subjects = await level_subject_choices()
    return Template(template_name="tips/report.html", status_code=status, context=page_context(
        request, r=resource, tip=tip, errors=errors, reason=reason, level_names=dict(levels),
        subject_names=dict(subjects)))


@get("/tips/{tip_id:int}/meld", opt=rule(SIGNED_IN), include_in_schema=False)
async def tip_report_form(request: Request, tip_id: FromPath[int]) -> Template:
    return await _report_page(request, await tips.get_tip(tip_id, request.user))


@post("/tips/{tip_id:int}/meld", opt=rule(SIGNED_IN), include_in_schema=False)
async def tip_report(request: Request, tip_id: FromPath[int]) -> Response:
    posted = await form_data(request)
    tip = await tips.get_tip(tip_id, request.user)
    reason = _text(posted.get("begrunnelse"))
    try:
        await tips.report_tip(tip_id, _decode({"reason": reason}, tips.ReportCreate), request.user)
    except Problem as problem:
        if problem.status_code in (401, 403, 404):
            raise
        errors = FormErrors()
        if problem.status_code == 409:
            errors.general.append({"own-tip": "Du kan ikke melde ditt eget tips. Endre eller slett det i stedet.",
                                   "already-reported": "Du har allerede meldt dette tipset.",
                                   }.get(problem.type_slug or "", "Tipset er allerede skjult."))
        else:
            errors.add("begrunnelse", "Skriv hva som er galt med tipset (høyst 2000 tegn).")
        return await _report_page(request, tip, errors=errors, reason=reason,
                                  status=409 if problem.status_code == 409 else 422)
    return Redirect(f"/ressurser/{tip.resource_id}?melding=tips-meldt#tips", status_code=303)


async def _moderation_page(request: Request, *, errors: FormErrors | None = None, source: int | None = None,
                           posted: dict[str, Any] | None = None, message: str | None = None,
                           status: int = 200) -> Template:
    queue = await tips.moderation_queue(request.user)
    levels, subjects = await level_subject_choices()
    reported: dict[int, dict[str, Any]] = {}  # the reports of one tip together
    for report in queue.reports:
        entry = reported.setdefault(report.tip_id, {"tip": report.tip, "resource_id": report.resource_id,
                                                     "resource_name": report.resource_name, "reports": []})
        entry["reports"].append(report)
    return Template(template_name="tips/moderation.html", status_code=status, context=page_context(
        request, queue=queue, reported=list(reported.values()), errors=errors, source=source, posted=posted or {}, message=message,
        level_names=dict(levels), subject_names=dict(subjects)))


MODERATION_MESSAGES = {
    "skjult": "Tipset er skjult. Forfatteren har fått beskjed med begrunnelsen.",
    "vist": "Tipset vises igjen.",
    "avvist": "Meldingen er avsluttet. Tipset vises fortsatt.",
}


@get("/erfaringer", opt=rule(MODERATORS), include_in_schema=False)
async def moderation_page(request: Request) -> Template:
    return await _moderation_page(request, message=MODERATION_MESSAGES.get(request.query_params.get("melding", "")))


@post("/tips/{tip_id:int}/skjul", opt=rule(MODERATORS), include_in_schema=False)
async def tip_hide(request: Request, tip_id: FromPath[int]) -> Response:
    posted = await form_data(request)
    reason = _text(posted.get(f"t{tip_id}-begrunnelse"))
    try:
        await tips.hide_tip(tip_id, _decode({"reason": reason}, tips.ModerationRequest), request.user)
    except Problem as problem:
        if problem.status_code in (401, 403, 404):
            raise
        errors = FormErrors()
        if problem.status_code == 409:
            errors.general.append("Tipset er allerede skjult.")
        else:
            errors.add(f"t{tip_id}-begrunnelse", "Skriv hvorfor tipset skjules (høyst 2000 tegn). Forfatteren ser det.")
        return await _moderation_page(request, errors=errors, source=tip_id, posted=posted,
                                      status=409 if problem.status_code == 409 else 422)
    return Redirect("/erfaringer?melding=skjult", status_code=303)


@post("/tips/{tip_id:int}/vis", opt=rule(MODERATORS), include_in_schema=False)
async def tip_restore(request: Request, tip_id: FromPath[int]) -> Response:
    try:
        await tips.restore_tip(tip_id, request.user)
    except Problem as problem:
        if problem.status_code != 409:
            raise
    return Redirect("/erfaringer?melding=vist", status_code=303)


@post("/erfaringer/meldinger/{report_id:int}/avslutt", opt=rule(MODERATORS), include_in_schema=False)
async def report_dismiss(request: Request, report_id: FromPath[int]) -> Response:
    try:
        await tips.dismiss_report(report_id, request.user)
    except Problem as problem:
        if problem.status_code != 409:
            raise
    return Redirect("/erfaringer?melding=avvist", status_code=303)


tip_page_handlers = [tip_list, tip_create, tip_new, tip_edit_form, tip_edit, tip_delete, tip_useful, tip_report_form, tip_report,
                     moderation_page, tip_hide, tip_restore, report_dismiss]
