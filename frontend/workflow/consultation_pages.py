"""Consultations on the pages: «Høringer» lists the consultations a person is invited to (their
tasks), and each consultation's page shows the resource, the question and the answer form (a
rating from 1 to 5 per criterion and a comment); the sector office also sees the summary."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from catalogue.problems import Problem
from catalogue.security.access import SIGNED_IN, rule
from frontend.forms import FormErrors, form_data, level_subject_choices
from frontend.pages import page_context
from frontend.workflow.common import text_of
from workflows import consultations
from workflows.service import today

RATING_LABELS = {1: "1 – svært dårlig", 2: "2 – dårlig", 3: "3 – middels", 4: "4 – god", 5: "5 – svært god"}


@get("/horinger", opt=rule(SIGNED_IN), include_in_schema=False)
async def consultation_list(request: Request) -> Template:
    return Template(template_name="workflow/consultations.html", context=page_context(
        request, items=await consultations.mine(request.user, today())))


async def _page(request: Request, consultation_id: int, *, errors: FormErrors | None = None,
                posted: dict[str, Any] | None = None, status: int = 200) -> Template:
    item = await consultations.get_consultation(consultation_id, request.user, today())
    if posted is None and item.my_answer is not None:
        posted = {f"r-{k}": str(v) for k, v in item.my_answer.ratings.items()}
        posted["kommentar"] = item.my_answer.comment
    scope: list[tuple[str, list[str]]] = []
    if item.invited_count is not None:  # the readers of the summary see whom the consultation asked
        from catalogue.tables import Unit

        levels, subjects = await level_subject_choices()
        names = {u["code"]: u["name"] for u in await Unit.select(Unit.code, Unit.name)}
        for label, codes, known in (("Enheter", item.units, names), ("Trinn", item.levels, dict(levels)),
                                    ("Fag", item.subjects, dict(subjects))):
            if codes:
                scope.append((label, [known.get(code, code) for code in codes]))
    return Template(template_name="workflow/consultation.html", status_code=status, context=page_context(
        request, c=item, errors=errors, posted=posted or {}, ratings=RATING_LABELS, scope=scope,
        message="Takk! Svaret ditt er lagret." if request.query_params.get("melding") == "svart" else None))


@get("/horinger/{consultation_id:int}", opt=rule(SIGNED_IN), include_in_schema=False)
async def consultation_page(request: Request, consultation_id: FromPath[int]) -> Template:
    return await _page(request, consultation_id)


@post("/horinger/{consultation_id:int}", opt=rule(SIGNED_IN), include_in_schema=False)
async def consultation_answer(request: Request, consultation_id: FromPath[int]) -> Response:
    posted = await form_data(request)
    item = await consultations.get_consultation(consultation_id, request.user, today())
    errors = FormErrors()
    ratings: dict[str, int] = {}
    for criterion in item.criteria:
        raw = text_of(posted.get(f"r-{criterion.criterion}"))
        if raw not in {"1", "2", "3", "4", "5"}:
            errors.add(f"r-{criterion.criterion}", f"Velg en vurdering fra 1 til 5 for «{criterion.label_nb}».")
        else:
            ratings[criterion.criterion] = int(raw)
    comment = text_of(posted.get("kommentar"))
    if len(comment) > 5000:
        errors.add("kommentar", "Kommentaren er for lang (høyst 5000 tegn).")
    if errors:
        return await _page(request, consultation_id, errors=errors, posted=posted, status=422)
    try:
        await consultations.answer(consultation_id, msgspec.convert({"ratings": ratings, "comment": comment},
                                                                    consultations.AnswerRequest), request.user, today())
    except Problem as problem:
        if problem.status_code != 409:
            raise
        errors.general.append("Høringen er avsluttet, og svar tas ikke lenger imot.")
        return await _page(request, consultation_id, errors=errors, posted=posted, status=409)
    return Redirect(f"/horinger/{consultation_id}?melding=svart", status_code=303)


consultation_page_handlers = [consultation_list, consultation_page, consultation_answer]


# --- on the case page: sending the resource on consultation, and what the consultations found ------


async def case_context(row: dict[str, Any], review_actions: list) -> dict[str, Any]:
    """What the case page shows of consultations: the fields to start one (when the reviewer may),
    the open one, and the summaries of those closed (kept in the case)."""
    from catalogue.tables import Unit
    from catalogue.search.sql import execute

    offers = any(a.name == "start_consultation" for a in review_actions)
    units = [(u["code"], u["name"]) for u in await Unit.select(Unit.code, Unit.name).where(
        Unit.active == True).order_by(Unit.name)] if offers else []  # noqa: E712
    open_rows = await execute('SELECT id, deadline FROM consultation WHERE "case" = {} AND state = {}', row["id"],
                              "open")
    levels, subjects = await level_subject_choices() if offers else ([], [])
    return {"offers_consultation": offers, "consultation_units": units, "consultation_levels": levels,
            "consultation_subjects": subjects,
            "consultation_criteria": list(consultations.CRITERIA.items()),
            "open_consultation": open_rows[0] if open_rows else None,
            "closed_consultations": row["step_data"].get("consultations") or []}


def consultation_request(posted: dict[str, Any], errors: FormErrors) -> consultations.ConsultationRequest | None:
    """The consultation the case page's form asks for, or field errors in Norwegian."""
    from frontend.forms import as_list
    from frontend.workflow.step_forms import parse_date

    question = text_of(posted.get("hoering_sporsmal"))
    raw_deadline = text_of(posted.get("hoering_frist"))
    units = as_list(posted.get("hoering_enheter"))
    levels, subjects = as_list(posted.get("hoering_trinn")), as_list(posted.get("hoering_fag"))
    criteria = [c for c in as_list(posted.get("hoering_kriterier")) if c in consultations.CRITERIA]
    if not question:
        errors.add("hoering_sporsmal", "Skriv hva de ansatte skal prøve.")
    parsed = parse_date(raw_deadline) if raw_deadline else None
    if parsed is None:
        errors.add("hoering_frist", "Skriv svarfristen som dd.mm.åååå.")
    elif parsed <= today().isoformat():
        errors.add("hoering_frist", "Svarfristen må være etter i dag.")
    if not (units or levels or subjects):
        errors.add("hoering_enheter", "Velg minst én enhet, ett trinn eller ett fag.")
    if not criteria:
        errors.add("hoering_kriterier", "Velg minst ett kriterium.")
    if errors:
        return None
    return msgspec.convert({"question": question, "deadline": parsed, "units": units, "levels": levels,
                            "subjects": subjects, "criteria": criteria},
                           consultations.ConsultationRequest)
