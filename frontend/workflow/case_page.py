"""The case page: what is being judged, its history, and the forms for what the person may do
now (decisions with the step's form, checklist, assignment, comments, attachments)."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Template

from catalogue import domain
from catalogue.restrictions import in_force as restrictions_in_force
from catalogue.domain import Role
from catalogue.problems import Problem
from catalogue.resources import get_resource
from catalogue.security.access import SIGNED_IN, rule
from frontend import labels
from frontend.catalogue_pages import taxonomy_names
from frontend.forms import FormErrors, errors_from_problem, form_data
from frontend.pages import page_context
from frontend.workflow.consultation_pages import case_context, consultation_request
from frontend.workflow.common import (
    NOT_NOW,
    STALE_CASE,
    as_int,
    confirmation,
    done,
    fmt_date,
    fmt_kroner,
    fmt_time,
    insider,
    merge,
    role_holders,
    text_of,
    to_datetime,
    unit_names,
)
from frontend.workflow.step_forms import (
    carried,
    feide_reason_name,
    form_fields,
    parse_date,
    parse_step_form,
    required_names,
    step_groups,
    stored_form,
    summary_rows,
    values_from_data,
    values_from_post,
)
from workflows import attachments, engine, service
from workflows.definitions import CHECKLIST_LABELS, PROPOSER, WORKFLOWS
from workflows.forms import check_for_approval, decode_form
from workflows.schemas import DOCUMENT_KINDS, ActionRequest, RestrictionDecision
from workflows.tables import CaseEvent

EVENT_LABELS = {
    "create": "Forslaget ble opprettet",
    "open": "Saken ble åpnet",
    "save_form": "Skjemaet ble lagret",
    "comment": "Kommentar",
    "edit": "Forslaget ble endret",
}
RESTRICTION_CHOICES = (("behold", "Behold"), ("endre", "Endre teksten"), ("opphev", "Opphev"))
FORM_TITLES = {"pedagogical": "Pedagogisk vurdering", "privacy": "Personvernvurdering",
               "procurement": "Innkjøp og teknisk vurdering"}
UPLOAD_LIMIT = 32 * 1024 * 1024  # the body limit of the upload route; the service enforces the file limit


# --- the case page ---------------------------------------------------------------------------------


def _event_text(event: dict[str, Any], kind: str, people: dict[int, str]) -> str:
    workflow = WORKFLOWS[kind]
    action = event["action"]
    data = service._json(event["data"], {})
    if action in EVENT_LABELS:
        return EVENT_LABELS[action]
    if action == "assign":
        user_id = data.get("user_id")
        return f"Tildelt {people.get(user_id, 'en saksbehandler')}" if user_id else "Tildelingen ble fjernet"
    if action == "confirm":
        return f"Bekreftet: {CHECKLIST_LABELS.get(data.get('item'), data.get('item'))}"
    if action == "hand_over":
        return f"Overført til IKT-veilederen {data.get('to_name') or ''}".strip()
    state = workflow.states.get(event["from_state"] or "")
    definition = (state.actions.get(action) if state else None) or workflow.proposer_actions.get(action)
    return definition.label_nb if definition else action


def _state_label(kind: str, state: str | None) -> str:
    if not state:
        return ""
    found = WORKFLOWS[kind].states.get(state)
    return found.label_nb if found else state


async def _history(row: dict[str, Any]) -> tuple[list[dict], list[dict], str | None]:
    events = await CaseEvent.select().where(CaseEvent.case == row["id"]).order_by(CaseEvent.id)
    assigned = [service._json(e["data"], {}).get("user_id") for e in events if e["action"] == "assign"]
    people = await service._people(assigned)
    history, comments, returned_because = [], [], None
    for event in events:
        if event["to_state"] == "returned":
            returned_because = event["reason"]
        moment = to_datetime(event["occurred_at"])
        item = {
            "when": fmt_time(moment), "iso": moment.isoformat() if moment else "",
            "who": event["actor_label"],
            "role": ("Forslagsstiller" if event["actor_role"] == "proposer"
                     else labels.label("role", event["actor_role"])) if event["actor_role"] else "",
            "what": _event_text(event, row["kind"], people),
            "from": _state_label(row["kind"], event["from_state"]),
            "to": _state_label(row["kind"], event["to_state"]),
            "reason": event["reason"] or "",
            "restrictions": (service._json(event["data"], {}) or {}).get("restrictions") or "",
        }
        history.append(item)
        if event["action"] == "comment":
            comments.append(item)
    return history, comments, returned_because


async def case_page(request: Request, case_id: int, *, errors: FormErrors | None = None,
                    posted: dict[str, Any] | None = None, source: str | None = None, status: int = 200) -> Template:
    """The case as the user may see it, with the forms for what they may do now. ``posted`` and
    ``source`` bring back what the user typed into the form named by ``source``."""
    principal = request.user
    posted = posted or {}
    row = await service.visible_case(case_id, principal)
    case = await service.case_out(row, principal)
    workflow = WORKFLOWS[row["kind"]]
    state = workflow.states[row["state"]]
    resource = await get_resource(row["resource"], insider(principal))
    subjects, areas = await taxonomy_names()
    names = await unit_names()

    proposer_names = set(workflow.proposer_actions) | (set(state.actions) if state.actor == PROPOSER else set())
    review_actions = [a for a in case.allowed_actions if a.name not in proposer_names]
    proposer_actions = [a for a in case.allowed_actions if a.name in proposer_names]
    may_fill = bool(state.form) and engine.is_actor(service.case_view(row), principal, state.actor)
    settings = request.app.state.settings

    groups, values, required = [], {}, set()
    if may_fill:
        groups = await step_groups(state.form, settings.privacy_exceptions_allowed)
        required = required_names(groups, resource.licence_model)
        if source == "beslutning" and posted.get("steg") == row["state"]:
            values = values_from_post(groups, posted)
        else:
            values = values_from_data(groups, stored_form(state.form, row, resource))
    saved_forms = []
    for form in ("pedagogical", "privacy", "procurement"):
        data = row["step_data"].get(form)
        if data and not (may_fill and form == state.form):
            saved_forms.append({"title": FORM_TITLES[form], "sections": summary_rows(
                await step_groups(form, bool(data.get("document_exception_reason"))), data)})

    can_assign = not state.is_final and state.actor not in (None, PROPOSER) and (
        state.actor in principal.roles or Role.ADMIN.value in principal.roles)
    history, comments, returned_because = await _history(row)
    # what the user typed into a form that is no longer offered (the case moved on meanwhile)
    decision_shown = bool(review_actions or proposer_actions or may_fill)
    lost_text = [t for t in (text_of(posted.get("reason")), text_of(posted.get("restrictions")),
                             text_of(posted.get("trekk_begrunnelse"))) if t] \
        if source == "beslutning" and not decision_shown else []
    justification = row["justification"] or {}
    changes_restrictions = any(a.changes_restrictions for a in review_actions)
    reason_labels = {a.reason_label_nb or "Begrunnelse" for a in review_actions}
    return Template(template_name="workflow/case.html", status_code=status, context=page_context(
        request, c=case, r=resource, row=row, labels=labels, subjects=subjects, areas=areas, unit_names=names,
        justification=justification, errors=errors, posted=posted, source=source, message=confirmation(request),
        groups=groups, fv=values, required=required, kept=carried(state.form, stored_form(state.form, row, resource)) if may_fill else {},
        review_actions=review_actions, proposer_actions=proposer_actions,
        may_fill=may_fill, needs_restrictions=any(a.needs_restrictions for a in review_actions),
        can_edit=row["proposer"] == principal.user_id and row["state"] in ("draft", "returned"),
        may_tag_aims=(row["proposer"] == principal.user_id and row["kind"] == "proposal"
                      and row["state"] in ("draft", "returned"))
        or (principal.has_any(domain.CATALOGUE_EDITORS) and resource.status not in ("archived", "phased_out")),
        can_assign=can_assign, holders=await role_holders(state.actor) if can_assign else [],
        step_role_label=labels.label("role", state.actor) if state.actor not in (None, PROPOSER) else None,
        comments=comments, history=history, files=await attachments.listing(case_id, principal),
        saved_forms=saved_forms, lost_text=lost_text,
        returned_because=returned_because if row["state"] == "returned" else None,
        fmt_date=fmt_date, fmt_time=fmt_time, fmt_kroner=fmt_kroner,
        max_upload_mb=settings.attachment_max_bytes // (1024 * 1024),
        is_published=resource.status in ("published", "phasing_out"),
        document_kinds=list(DOCUMENT_KINDS.items()), advice_rounds=row["step_data"].get("dpo_advice") or [],
        reason_label=reason_labels.pop() if len(reason_labels) == 1 else "Begrunnelse",
        asks_advice=[a for a in review_actions if a.name == "request_dpo_advice"],
        needs_end_date=any(a.needs_end_date for a in review_actions),
        in_force=await restrictions_in_force(row["resource"]) if changes_restrictions else [],
        restriction_choices=RESTRICTION_CHOICES,
        **await case_context(row, review_actions),
    ))


@get("/saker/{case_id:int}", opt=rule(SIGNED_IN), include_in_schema=False)
async def case_view(request: Request, case_id: FromPath[int]) -> Template:
    return await case_page(request, case_id)


def _errors_from_problem(problem: Problem, known: set[str], rename: dict[str, str] | None = None) -> tuple[FormErrors, int]:
    """A service problem as page errors and the status to answer with; 403/404 propagate."""
    if problem.status_code in (401, 403, 404):
        raise problem
    errors = FormErrors()
    if problem.status_code == 412:
        errors.general.append(STALE_CASE)
        return errors, 409
    if problem.status_code == 409:
        errors.general.append(NOT_NOW)
        return errors, 409
    errors = errors_from_problem(problem, known)
    for old, new in (rename or {}).items():
        if old in errors.by_field:
            errors.by_field[new] = errors.by_field.pop(old)
    return errors, 422


@post("/saker/{case_id:int}/beslutning", opt=rule(SIGNED_IN), include_in_schema=False)
async def case_decide(request: Request, case_id: FromPath[int]) -> Response:
    """Register a decision (or the proposer's submit and withdraw), or save the review form without
    deciding (the button ``knapp=lagre``). The page's case version guards against overwriting."""
    principal = request.user
    posted = await form_data(request)
    row = await service.visible_case(case_id, principal)
    state = WORKFLOWS[row["kind"]].states[row["state"]]
    expected = as_int(posted.get("versjon"))
    errors = FormErrors()

    def again(errs: FormErrors, status: int) -> Any:
        return case_page(request, case_id, errors=errs, posted=posted, source="beslutning", status=status)

    if posted.get("steg") not in (None, row["state"]) or (expected is not None and expected != row["version"]):
        errors.general.append(STALE_CASE)
        return await again(errors, 409)
    may_fill = bool(state.form) and engine.is_actor(service.case_view(row), principal, state.actor)
    settings = request.app.state.settings
    form = None
    groups: list = []
    if may_fill:
        groups = await step_groups(state.form, settings.privacy_exceptions_allowed)
        resource = await get_resource(row["resource"], insider(principal))
        form = parse_step_form(groups, posted, errors, carried(state.form, stored_form(state.form, row, resource)))
    in_force = await restrictions_in_force(row["resource"])
    known = {f.name for f in form_fields(groups)} | {feide_reason_name(c) for c in domain.FEIDE_ATTRIBUTES} | {
        "action", "reason", "restrictions", "trekk_begrunnelse", "end_date"} | {
        f"begrensning-{r.id}-{part}" for r in in_force for part in ("valg", "tekst", "begrunnelse")}

    if posted.get("knapp") == "lagre":
        if errors:
            return await again(errors, 422)
        try:
            await service.save_form(case_id, form or {}, principal, expected)
        except Problem as problem:
            errs, status = _errors_from_problem(problem, known)
            return await again(errs, status)
        return done(f"/saker/{case_id}", "skjema-lagret")

    action_name = text_of(posted.get("action"))
    reason_field = "trekk_begrunnelse" if action_name == "withdraw" else "reason"
    reason = text_of(posted.get(reason_field))
    restrictions = text_of(posted.get("restrictions"))
    view = service.case_view(row)
    allowed = {a.name: a for a in engine.available_actions(view, principal)}
    if not action_name:
        errors.add("action", "Velg en beslutning.")
    elif action_name not in allowed:
        try:
            engine.resolve(view, principal, action_name)
        except engine.NotAllowed as exc:
            if exc.status == 403:  # not this person's decision: an error page, as for any other role check
                raise Problem(403, str(exc)) from None
        errors.general.append(NOT_NOW)
        return await again(errors, 409)
    else:
        chosen = allowed[action_name]
        if chosen.needs_reason and not reason:
            errors.add(reason_field, "Skriv en begrunnelse for beslutningen.")
        if chosen.needs_restrictions and not restrictions:
            errors.add("restrictions", "Beskriv begrensningene for bruk.")
        if restrictions and not chosen.needs_restrictions:
            # a decision without restrictions would drop them silently
            errors.add("restrictions", "Du har skrevet begrensninger, men valgt en beslutning uten begrensninger. "
                                       "Velg en beslutning med begrensninger, eller fjern teksten.")
        for name, text in ((reason_field, reason), ("restrictions", restrictions)):
            if len(text) > 5000:
                errors.add(name, "Teksten er for lang (høyst 5000 tegn).")
        end_date = _end_date(posted, chosen.needs_end_date, errors)
        decisions = _restriction_decisions(posted, in_force, chosen.changes_restrictions, errors)
        consultation = consultation_request(posted, errors) if action_name == "start_consultation" else None
        definition = state.actions.get(action_name)
        if form is not None and definition is not None and definition.validates_form:
            # tell everything that is missing at once, not one service round at a time
            try:
                decoded = decode_form(state.form, form)
                check_for_approval(state.form, decoded, resource_licence_model=resource.licence_model,
                                   context=await service.approval_context(row, settings))
            except Problem as problem:
                merge(errors, errors_from_problem(problem, known))
    if errors:
        return await again(errors, 422)
    request_body = ActionRequest(action=action_name, reason=reason, restrictions=restrictions,
                                 form=form if may_fill and action_name in state.actions else None,
                                 end_date=end_date, restriction_changes=decisions, consultation=consultation)
    try:
        await service.apply_action(case_id, request_body, principal, expected, request.app.state.settings)
    except Problem as problem:
        errs, status = _errors_from_problem(problem, known, {"reason": reason_field})
        return await again(errs, status)
    return done(f"/saker/{case_id}", "beslutning")


def _end_date(posted: dict[str, Any], needed: bool, errors: FormErrors) -> datetime.date | None:
    """The last day in use, for a phase-out; an error when given for another decision."""
    raw = text_of(posted.get("end_date"))
    if not raw:
        if needed:
            errors.add("end_date", "Skriv siste dag læremidlet er i bruk.")
        return None
    if not needed:
        errors.add("end_date", "Du har skrevet en sluttdato, men valgt en beslutning uten utfasing. "
                               "Velg utfasing, eller fjern datoen.")
        return None
    parsed = parse_date(raw)
    if parsed is None:
        errors.add("end_date", "Skriv en gyldig dato som dd.mm.åååå, for eksempel 01.08.2026.")
        return None
    day = datetime.date.fromisoformat(parsed)
    if day < service.today():
        errors.add("end_date", "Sluttdatoen kan ikke ha passert.")
    return day


def _restriction_decisions(posted: dict[str, Any], in_force: list, allowed: bool,
                           errors: FormErrors) -> list[RestrictionDecision]:
    """What the decision does with each restriction in force: kept unless the reviewer chose to
    change or lift it, with a reason."""
    decisions = []
    for item in in_force:
        key = f"begrensning-{item.id}-"
        choice = text_of(posted.get(key + "valg")) or "behold"
        if choice == "behold":
            continue
        if choice not in ("endre", "opphev"):
            errors.add(key + "valg", "Velg behold, endre eller opphev.")
            continue
        if not allowed:
            errors.add(key + "valg", "Beslutningen du har valgt, beholder begrensningene. Velg «Behold», "
                                     "eller velg en beslutning som fornyer læremidlet.")
            continue
        reason, text = text_of(posted.get(key + "begrunnelse")), text_of(posted.get(key + "tekst"))
        if not reason:
            errors.add(key + "begrunnelse", "Skriv hvorfor begrensningen endres eller oppheves.")
        elif len(reason) > 5000:
            errors.add(key + "begrunnelse", "Teksten er for lang (høyst 5000 tegn).")
        if choice == "endre" and not text:
            errors.add(key + "tekst", "Skriv begrensningen slik den skal lyde.")
        elif len(text) > 2000:
            errors.add(key + "tekst", "Teksten er for lang (høyst 2000 tegn).")
        decisions.append(RestrictionDecision(restriction_id=item.id, action="change" if choice == "endre" else "lift",
                                             reason=reason, text=text if choice == "endre" else ""))
    return decisions


@post("/saker/{case_id:int}/sjekkliste", opt=rule(SIGNED_IN), include_in_schema=False)
async def checklist_confirm(request: Request, case_id: FromPath[int]) -> Response:
    """Confirm one phase-out checklist item the user's role answers for."""
    posted = await form_data(request)
    item = text_of(posted.get("punkt"))
    note = text_of(posted.get("merknad"))
    errors = FormErrors()
    if item not in CHECKLIST_LABELS:
        errors.general.append("Velg et punkt i sjekklisten.")
    elif len(note) > 5000:
        errors.add(f"merknad-{item}", "Teksten er for lang (høyst 5000 tegn).")
    if not errors:
        try:
            await service.confirm_item(case_id, item, note, request.user, as_int(posted.get("versjon")))
        except Problem as problem:
            errors, status = _errors_from_problem(problem, set())
            return await case_page(request, case_id, errors=errors, posted=posted, source="sjekkliste", status=status)
        return done(f"/saker/{case_id}", "bekreftet")
    return await case_page(request, case_id, errors=errors, posted=posted, source="sjekkliste",
                           status=422 if errors.by_field else 409)


@post("/saker/{case_id:int}/tildel", opt=rule(SIGNED_IN), include_in_schema=False)
async def case_assign(request: Request, case_id: FromPath[int]) -> Response:
    """Assign the current step to a holder of its role, or clear the assignment."""
    posted = await form_data(request)
    raw = text_of(posted.get("tildelt"))
    user_id = as_int(raw) if raw else None
    errors = FormErrors()
    if raw and (user_id is None or user_id < 1):
        errors.add("tildelt", "Velg en person i listen.")
        return await case_page(request, case_id, errors=errors, posted=posted, source="tildel", status=422)
    try:
        await service.assign(case_id, user_id, request.user, as_int(posted.get("versjon")))
    except Problem as problem:
        errors, status = _errors_from_problem(problem, {"tildelt"}, {"user_id": "tildelt"})
        if problem.status_code == 422:
            errors = FormErrors(by_field={"tildelt": "Personen har ikke rollen for dette steget."})
        return await case_page(request, case_id, errors=errors, posted=posted, source="tildel", status=status)
    return done(f"/saker/{case_id}", "tildelt" if user_id else "tildeling-fjernet")


@post("/saker/{case_id:int}/kommentar", opt=rule(SIGNED_IN), include_in_schema=False)
async def case_comment(request: Request, case_id: FromPath[int]) -> Response:
    """Comment on a case; the DPO gives advice this way."""
    posted = await form_data(request)
    text = text_of(posted.get("kommentar"))
    errors = FormErrors()
    if not text:
        errors.add("kommentar", "Skriv en kommentar.")
    elif len(text) > 5000:
        errors.add("kommentar", "Kommentaren er for lang (høyst 5000 tegn).")
    if errors:
        return await case_page(request, case_id, errors=errors, posted=posted, source="kommentar", status=422)
    await service.comment(case_id, text, request.user)
    return done(f"/saker/{case_id}", "kommentar", "#kommentarer")


UPLOAD_ERRORS = {
    413: "Filen er for stor. Den kan være på høyst {mb} MB.",
    415: "Filtypen er ikke tillatt. Last opp PDF, PNG, JPEG, ren tekst eller et kontordokument "
         "(docx, xlsx, pptx, odt, ods).",
    422: "Filen er tom. Velg en fil med innhold.",
}


@post("/saker/{case_id:int}/vedlegg", opt=rule(SIGNED_IN), include_in_schema=False,
      request_max_body_size=UPLOAD_LIMIT)
async def attachment_upload(request: Request, case_id: FromPath[int]) -> Response:
    """Attach a document (multipart field ``fil``): DPA, DPIA, accessibility statement."""
    posted = await form_data(request)
    upload = posted.get("fil")
    settings = request.app.state.settings
    errors = FormErrors()
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("fil", "Velg en fil å laste opp.")
        return await case_page(request, case_id, errors=errors, source="vedlegg", status=422)
    kind = text_of(posted.get("dokumenttype")) or "other"
    if kind not in DOCUMENT_KINDS:
        errors.add("dokumenttype", "Velg hva slags dokument det er.")
        return await case_page(request, case_id, errors=errors, source="vedlegg", status=422)
    content = await upload.read(settings.attachment_max_bytes + 1)
    try:
        await attachments.add(case_id, upload.filename, content, request.user, settings.attachment_max_bytes,
                              kind=kind)
    except Problem as problem:
        if problem.status_code not in UPLOAD_ERRORS:
            raise
        errors.add("fil", UPLOAD_ERRORS[problem.status_code].format(mb=settings.attachment_max_bytes // (1024 * 1024)))
        return await case_page(request, case_id, errors=errors, source="vedlegg", status=problem.status_code)
    return done(f"/saker/{case_id}", "vedlegg", "#vedlegg")


@get("/saker/{case_id:int}/vedlegg/{attachment_id:int}", opt=rule(SIGNED_IN), include_in_schema=False)
async def attachment_download(request: Request, case_id: FromPath[int], attachment_id: FromPath[int]) -> Response:
    meta, content = await attachments.content(case_id, attachment_id, request.user)
    return Response(content, media_type=meta.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename, safe='')}",
        "Cache-Control": "private, no-store",
    })
