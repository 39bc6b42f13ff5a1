"""The standard on pages: what is in force on a date for each unit type, proposing a change
(the sector office), the change as a case with the actions the engine allows, and editing it."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from catalogue.problems import Problem
from catalogue.security.access import rule
from equipment import domain, kinds, standards
from equipment.common import today
from equipment.schemas import ChangeAction, StandardChangeCreate, StandardChangePatch
from frontend.admin_pages import _convert
from frontend.equipment.common import ROLE_NAMES, context, form_errors, message, parse_date, posted_version
from frontend.equipment.plan_pages import after
from frontend.forms import FormErrors, form_data

CHANGE_READERS = rule(domain.CHANGE_READERS)
PROPOSERS = rule(domain.STANDARD_PROPOSERS)
CHANGE_FIELDS = {"valid_from", "title", "rationale", "reason"}
CONFIRMATIONS = {
    "lagret": "Endringen er lagret.",
    "submit": "Endringen er sendt til teknologi og endring.",
    "resubmit": "Endringen er sendt inn på nytt.",
    "approve": "Endringen er godkjent og er standarden fra datoen den gjelder fra.",
    "return": "Endringen er sendt tilbake til sektorkontoret.",
    "reject": "Endringen er avslått.",
    "withdraw": "Endringen er trukket.",
}
REPLACED = ("Standarden er endret etter at du åpnet skjemaet, så forslaget ditt er ikke lagret. "
            "Se standarden slik den er nå, og lag forslaget ut fra den.")
ACTION_LABELS = {"create": "Opprettet", "edit": "Endret", "superseded": "Erstattet av en annen endring",
                 **{name: action.label_nb for state in standards.WORKFLOW.states.values()
                    for name, action in state.actions.items()},
                 **{name: action.label_nb for name, action in standards.WORKFLOW.proposer_actions.items()}}
STATE_LABELS = {name: state.label_nb for name, state in standards.WORKFLOW.states.items()}
STALE = "Noen andre har endret saken etter at du åpnet den. Se hvordan den står nå, og prøv igjen."


@get("/utstyr/standard", opt=CHANGE_READERS, include_in_schema=False)
async def standards_page(request: Request) -> Template:
    """The standard of every unit type in force on a date, and the changes under way and done."""
    day = parse_date(request.query_params.get("dato")) or today()
    loaded = await standards.load_standards()
    in_force = [standards.standard_out(loaded, unit_type, day) for unit_type in domain.UNIT_TYPES]
    changes, _ = await standards.list_changes(request.user, limit=50)
    return Template(template_name="equipment/standards.html", context=context(
        request, in_force=in_force, day=day, changes=changes, today=today(),
        may_propose=request.user.has_any(domain.STANDARD_PROPOSERS)))


def _lines_from(data: dict[str, Any], codes: list[str]) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """The lines a form posted: per kind, a basis (empty: not in the standard), quantity and per N."""
    lines, values = [], {}
    for code in codes:
        basis = str(data.get(f"{code}-basis") or "")
        quantity = str(data.get(f"{code}-quantity") or "").strip()
        per_n = str(data.get(f"{code}-per_n") or "").strip() or "1"
        values[code] = {"basis": basis, "quantity": quantity, "per_n": per_n}
        if basis:
            lines.append({"kind": code, "basis": basis, "quantity": int(quantity) if quantity.lstrip("-").isdigit()
                          else quantity or None, "per_n": int(per_n) if per_n.lstrip("-").isdigit() else per_n})
    return lines, values


def _line_errors(problem: Problem, lines: list[dict[str, Any]], errors: FormErrors) -> None:
    """``lines[2].quantity`` belongs to the quantity field of the third line's kind."""
    for item in problem.errors or []:
        field = str(item.get("field", ""))
        if field == "lines":  # msgspec names the line in its message: "… - at `$[0].quantity`"
            at = re.search(r"at `\$\[(\d+)\](?:\.(\w+))?`", str(item.get("message", "")))
            field = f"lines[{at[1]}].{at[2] or 'basis'}" if at else field
        found = re.match(r"lines\[(\d+)\](?:\.(\w+))?", field)
        if found and int(found[1]) < len(lines):
            errors.add(f"{lines[int(found[1])]['kind']}-{found[2] or 'basis'}", message(str(item.get("message", ""))))


async def render_form(request: Request, unit_type: str, *, change=None, values: dict[str, Any] | None = None,
                      line_values: dict[str, dict[str, str]] | None = None, errors: FormErrors | None = None,
                      refusal: str | None = None, status_code: int = 200) -> Template:
    current = await standards.standard(unit_type)
    source = change.lines if change is not None else current.lines
    if line_values is None:
        line_values = {line.kind: {"basis": line.basis, "quantity": str(line.quantity), "per_n": str(line.per_n)}
                       for line in source}
    if values is None:
        values = {"valid_from": (change.valid_from if change else today()).isoformat(),
                  "title": change.title if change else "", "rationale": change.rationale if change else ""}
    active = await kinds.list_kinds(request.user)
    return Template(template_name="equipment/change_form.html", status_code=status_code, context=context(
        request, unit_type=unit_type, current=current, change=change, values=values, line_values=line_values,
        kinds=active, basis_options=[(b, domain.BASES[b]) for b in domain.BASES_BY_UNIT_TYPE[unit_type]],
        errors=errors, refusal=refusal))


@get("/utstyr/standard/{unit_type:str}/ny", opt=PROPOSERS, include_in_schema=False)
async def propose_form(request: Request, unit_type: FromPath[str]) -> Template:
    """A new standard for the unit type, starting from the one in force."""
    return await render_form(request, unit_type)


async def _posted(request: Request) -> tuple[dict[str, Any], list[dict[str, Any]], dict, dict[str, Any]]:
    data = await form_data(request)
    codes = [k.code for k in await kinds.list_kinds(request.user)]
    lines, line_values = _lines_from(data, codes)
    values = {name: str(data.get(name) or "").strip() for name in ("valid_from", "title", "rationale")}
    return data, lines, line_values, values


@post("/utstyr/standard/{unit_type:str}/ny", opt=PROPOSERS, include_in_schema=False)
async def propose(request: Request, unit_type: FromPath[str]) -> Response:
    data, lines, line_values, values = await _posted(request)
    try:
        body = _convert(StandardChangeCreate, {"valid_from": values["valid_from"] or None, "rationale": values["rationale"],
                                               "title": values["title"] or None, "lines": lines,
                                               "submit": data.get("send") == "ja"})
        change_id = await standards.create_change(unit_type, body, standards.standard_etag(
            unit_type, posted_version(data, "revision")), request.user)
    except Problem as problem:
        if problem.status_code in (403, 404):
            raise
        if problem.status_code == 412:
            return await render_form(request, unit_type, values=values, line_values=line_values, refusal=REPLACED,
                                     status_code=409)
        errors = form_errors(problem, CHANGE_FIELDS - {"reason"})
        _line_errors(problem, lines, errors)
        errors.general = [g for g in errors.general if g not in errors.by_field.values()]
        return await render_form(request, unit_type, values=values, line_values=line_values, errors=errors,
                                 status_code=422)
    return after(f"/utstyr/standard/endringer/{change_id}", "submit" if data.get("send") == "ja" else "lagret")


async def render_change(request: Request, change_id: int, *, errors: FormErrors | None = None,
                        reason: str = "", refusal: str | None = None, status_code: int = 200) -> Template:
    change = await standards.change_out(change_id, request.user)
    current = await standards.standard(change.unit_type)
    now_lines = {(line.kind, line.basis): line for line in current.lines}
    proposed = {(line.kind, line.basis): line for line in change.lines}
    comparison = [{"kind_name": (proposed.get(key) or now_lines.get(key)).kind_name, "now": now_lines.get(key),
                   "proposed": proposed.get(key)} for key in dict.fromkeys([*proposed, *now_lines])]
    return Template(template_name="equipment/change.html", status_code=status_code, context=context(
        request, c=change, comparison=comparison, current=current, events=await standards.events(change_id, request.user),
        action_labels=ACTION_LABELS, state_labels=STATE_LABELS,
        errors=errors, reason=reason, refusal=refusal, step_role_label=ROLE_NAMES.get(change.step_role or ""),
        may_edit=change.state in standards.EDITABLE_STATES and change.proposer is not None
        and change.proposer.id == request.user.user_id,
        confirmation=CONFIRMATIONS.get(request.query_params.get("melding") or "")))


@get("/utstyr/standard/endringer/{change_id:int}", opt=CHANGE_READERS, include_in_schema=False)
async def change_page(request: Request, change_id: FromPath[int]) -> Template:
    return await render_change(request, change_id)


@post("/utstyr/standard/endringer/{change_id:int}/beslutning", opt=CHANGE_READERS, include_in_schema=False)
async def change_decide(request: Request, change_id: FromPath[int]) -> Response:
    data = await form_data(request)
    action = str(data.get("action") or "")
    reason = str(data.get("reason") or "").strip()
    try:
        await standards.apply_action(change_id, _convert(ChangeAction, {"action": action or "-", "reason": reason}),
                                     standards.change_etag(change_id, posted_version(data)),
                                     request.user)
    except Problem as problem:
        if problem.status_code == 404:
            raise
        if problem.status_code in (409, 412, 403):
            text = STALE if problem.status_code == 412 else (
                "Standarden endringen bygger på, er erstattet. Send den tilbake eller avslå den."
                if problem.type_slug == "standard-replaced" else "Det valget er ikke mulig nå.")
            return await render_change(request, change_id, reason=reason, refusal=text, status_code=409)
        errors = FormErrors()
        errors.add("reason", "Skriv en begrunnelse.")
        return await render_change(request, change_id, errors=errors, reason=reason, status_code=422)
    return after(f"/utstyr/standard/endringer/{change_id}", action)


@get("/utstyr/standard/endringer/{change_id:int}/endre", opt=PROPOSERS, include_in_schema=False)
async def edit_form(request: Request, change_id: FromPath[int]) -> Template:
    change = await standards.change_out(change_id, request.user)
    return await render_form(request, change.unit_type, change=change)


@post("/utstyr/standard/endringer/{change_id:int}/endre", opt=PROPOSERS, include_in_schema=False)
async def edit(request: Request, change_id: FromPath[int]) -> Response:
    change = await standards.change_out(change_id, request.user)
    data, lines, line_values, values = await _posted(request)
    try:
        body = _convert(StandardChangePatch, {"valid_from": values["valid_from"] or None,
                                              "rationale": values["rationale"], "lines": lines,
                                              **({"title": values["title"]} if values["title"] else {})})
        await standards.edit_change(change_id, body, standards.change_etag(
            change_id, posted_version(data)), request.user)
    except Problem as problem:
        if problem.status_code == 404:
            raise
        if problem.status_code in (403, 409, 412):
            return await render_form(request, change.unit_type, change=change, values=values,
                                     line_values=line_values, refusal=STALE, status_code=409)
        errors = form_errors(problem, CHANGE_FIELDS - {"reason"})
        _line_errors(problem, lines, errors)
        return await render_form(request, change.unit_type, change=change, values=values, line_values=line_values,
                                 errors=errors, status_code=422)
    return Redirect(path=f"/utstyr/standard/endringer/{change_id}?melding=lagret", status_code=303)


standard_page_handlers = [standards_page, propose_form, propose, change_page, change_decide, edit_form, edit]
