"""Cases in the database: proposals, actions through the engine, review forms, checklist,
assignment, comments, tasks. Every state change, its event, its notifications, its effect on the
resource and its audit row commit in one transaction."""

from __future__ import annotations

import calendar
import copy
import datetime
import json
from typing import Any

import msgspec

from catalogue import followers, restrictions
from catalogue.db import write_transaction
from catalogue.domain import CATALOGUE_INSIDERS, Role
from catalogue.observability import counted_action
from catalogue.etags import stale
from catalogue.privacy_docs.history import record_change
from catalogue.problems import FieldErrors, Problem
from catalogue.resources import create_resource, known_codes, now
from catalogue.security.access import Principal
from catalogue.settings import Settings
from catalogue.tables import AppUser, PrivacyRecord, Resource, ResourceFacet, UserRole, UserUnit
from workflows import audit, consultations, engine, notify
from workflows.definitions import CHECKLIST_LABELS, COMMENTERS, PROPOSER, WORKFLOWS, Action
from workflows.forms import ApprovalContext, ProcurementReview, check_for_approval, decode_form
from workflows.schemas import (
    ActionOut,
    ActionRequest,
    CaseOut,
    CaseSummary,
    ChecklistItemOut,
    PersonRef,
    ProposalCreate,
)
from workflows.tables import Attachment, Case, CaseEvent, Wish


def _json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, (dict, list)):
        return value
    return json.loads(value)


def _date(value: Any) -> datetime.date | None:
    if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _dt(value: Any) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


def today() -> datetime.date:
    return datetime.date.today()


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_revision_date(start: datetime.date, months: int, *expiries: datetime.date | None) -> datetime.date:
    """``months`` after ``start``, or earlier when the DPA or the licence expires sooner (never
    before ``start``: an expiry already passed makes the revision due at once)."""
    candidates = [add_months(start, months), *(d for d in expiries if d)]
    return max(start, min(candidates))


# --- reading cases ---------------------------------------------------------------------------


async def load_case(case_id: int) -> dict[str, Any] | None:
    row = await Case.select().where(Case.id == case_id).first()
    if row is None:
        return None
    for name, default in (("proposer_units", []), ("justification", {}), ("step_data", {}), ("restrictions", [])):
        row[name] = _json(row[name], default)
    return row


def case_view(row: dict[str, Any]) -> engine.CaseView:
    checklist = {k: True for k in (row["step_data"].get("checklist") or {})}
    return engine.CaseView(kind=row["kind"], state=row["state"], proposer_id=row["proposer"],
                           returned_from=row["returned_from"], checklist=checklist)


def may_comment(row: dict[str, Any], principal: Principal) -> bool:
    """Reviewers, the DPO and admins, the proposer, and the ICT mentors of the case's units."""
    return principal.has_any(COMMENTERS) or (principal.user_id is not None and principal.user_id == row["proposer"]) \
        or (Role.ICT_MENTOR.value in principal.roles and bool(set(row["proposer_units"]) & principal.unit_codes))


def can_see(row: dict[str, Any], principal: Principal) -> bool:
    """Reviewers, the DPO and admins see every case; a proposer their own; an ICT mentor the
    cases of their units. Everyone else is told the case does not exist."""
    if principal.has_any(CATALOGUE_INSIDERS):
        return True
    if principal.user_id is not None and row["proposer"] == principal.user_id:
        return True
    return Role.ICT_MENTOR.value in principal.roles and bool(set(row["proposer_units"]) & principal.unit_codes)


async def visible_case(case_id: int, principal: Principal) -> dict[str, Any]:
    row = await load_case(case_id)
    if row is None or not can_see(row, principal):
        raise Problem(404, f"No case with id {case_id}.")
    return row


async def _people(ids: list[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    marks = ", ".join("{}" for _ in wanted)
    rows = await AppUser.raw(f"SELECT id, display_name FROM app_user WHERE id IN ({marks})", *wanted)
    return {r["id"]: r["display_name"] for r in rows}


def _step(row: dict[str, Any]):
    return WORKFLOWS[row["kind"]].states[row["state"]]


def _is_overdue(row: dict[str, Any]) -> bool:
    due = _date(row["step_due"])
    return bool(due and row["closed_at"] is None and due < today())


async def case_out(row: dict[str, Any], principal: Principal) -> CaseOut:
    people = await _people([row["proposer"], row["assigned_to"]])
    workflow = WORKFLOWS[row["kind"]]
    state = workflow.states[row["state"]]
    view = case_view(row)
    resource = await Resource.select(Resource.status).where(Resource.id == row["resource"]).first()
    confirmed = row["step_data"].get("checklist") or {}
    checklist = [
        ChecklistItemOut(item=item, label_nb=CHECKLIST_LABELS[item], role=role, confirmed=item in confirmed,
                         confirmed_by=(confirmed.get(item) or {}).get("by"),
                         confirmed_at=(confirmed.get(item) or {}).get("at"))
        for item, role in state.checklist.items()
    ]
    return CaseOut(
        id=row["id"], kind=row["kind"], kind_label_nb=workflow.label_nb, state=row["state"],
        state_label_nb=state.label_nb, outcome=row["outcome"], title=row["title"], resource_id=row["resource"],
        resource_status=resource["status"] if resource else "unknown",
        proposer=PersonRef(id=row["proposer"], name=people.get(row["proposer"], "")) if row["proposer"] else None,
        proposer_units=row["proposer_units"], justification=row["justification"],
        step_role=None if state.actor == PROPOSER else state.actor, step_form=state.form,
        step_data=row["step_data"], restrictions=row["restrictions"], returned_from=row["returned_from"],
        assigned_to=PersonRef(id=row["assigned_to"], name=people.get(row["assigned_to"], ""))
        if row["assigned_to"] else None,
        step_due=_date(row["step_due"]), overdue=_is_overdue(row), end_date=_date(row["end_date"]),
        checklist=checklist,
        allowed_actions=[ActionOut(name=a.name, label_nb=a.label_nb, needs_reason=a.needs_reason,
                                   needs_restrictions=a.needs_restrictions, target=a.target,
                                   reason_label_nb=a.reason_label_nb, changes_restrictions=a.changes_restrictions,
                                   needs_end_date=a.needs_end_date)
                         for a in engine.available_actions(view, principal)],
        confirmable_items=engine.confirmable_items(view, principal),
        can_comment=may_comment(row, principal),
        version=row["version"], created_at=_dt(row["created_at"]), updated_at=_dt(row["updated_at"]),
        closed_at=_dt(row["closed_at"]),
    )


def summary(row: dict[str, Any], people: dict[int, str]) -> CaseSummary:
    state = _step(row)
    return CaseSummary(
        id=row["id"], kind=row["kind"], state=row["state"], state_label_nb=state.label_nb, title=row["title"],
        resource_id=row["resource"], step_role=None if state.actor == PROPOSER else state.actor,
        assigned_to=PersonRef(id=row["assigned_to"], name=people.get(row["assigned_to"], ""))
        if row["assigned_to"] else None,
        step_due=_date(row["step_due"]), overdue=_is_overdue(row), updated_at=_dt(row["updated_at"]),
    )


# --- writing ------------------------------------------------------------------------------------


async def _event(case_id: int, principal: Principal | None, action: str, *, from_state: str | None = None,
                 to_state: str | None = None, reason: str | None = None, data: dict | None = None,
                 actor_role: str | None = None, actor_label: str | None = None) -> None:
    await CaseEvent.insert(CaseEvent(
        case=case_id, occurred_at=now(), actor=principal.user_id if principal else None,
        actor_label=actor_label or (principal.label if principal else "system"), actor_role=actor_role,
        action=action, from_state=from_state, to_state=to_state, reason=reason or None,
        data=json.dumps(data or {}, ensure_ascii=False, default=str),
    ))


def _step_due_for(kind: str, state: str, settings: Settings,
                  day: datetime.date | None = None) -> datetime.date | None:
    """When a step entered on ``day`` (today) falls due; None for a step without a due date."""
    step = WORKFLOWS[kind].states[state]
    if step.is_final or step.due is None:
        return None
    days = settings.return_due_days if step.due == "return" else settings.step_due_days
    return (day or today()) + datetime.timedelta(days=days)


async def _notify_step(case_id: int, kind: str, state: str, title: str) -> None:
    """Tell whoever must act next that the case waits for them."""
    step = WORKFLOWS[kind].states[state]
    if step.is_final:
        return
    if step.actor == PROPOSER:
        return  # the proposer hears of a return through the decision notice
    recipients = await notify.users_with_role(step.actor)
    await notify.enqueue(recipients, "task", f"Ny oppgave: {title}",
                         f"Saken «{title}» venter på {step.label_nb.lower()}.", case_id)


async def create_proposal(body: ProposalCreate, principal: Principal, settings: Settings) -> int:
    """An ICT mentor's proposal: a draft resource plus the case that carries it."""
    errors = FieldErrors()
    units = list(dict.fromkeys(body.justification.units))
    if Role.ADMIN.value not in principal.roles and not set(units) & principal.unit_codes:
        errors.add("justification.units", "include at least one of your own units")
    wish = None
    if body.justification.wish_id is not None:
        wish = await Wish.select().where(Wish.id == body.justification.wish_id).first()
        if wish is None or wish["status"] != "open" or (
                Role.ADMIN.value not in principal.roles and wish["unit_code"] not in principal.unit_codes):
            errors.add("justification.wish_id", "no open wish of your units with this id")
    errors.raise_if_any()
    draft = msgspec.structs.replace(body.resource, status="draft", in_base_package=False, units=units,
                                    next_revision_date=None)
    async with write_transaction():
        resource_id = await create_resource(draft, principal)
        stamp = now()
        inserted = await Case.insert(Case(
            kind="proposal", resource=resource_id, state="draft", title=body.resource.name,
            proposer=principal.user_id, proposer_units=json.dumps(units),
            justification=json.dumps(msgspec.to_builtins(body.justification), ensure_ascii=False),
            step_data="{}", restrictions="[]", version=1, created_at=stamp, updated_at=stamp,
        )).returning(Case.id)
        case_id = inserted[0]["id"]
        await _event(case_id, principal, "create", to_state="draft", data={"resource_id": resource_id})
        await audit.append("case.create", "case", case_id, {"kind": "proposal", "resource_id": resource_id},
                           actor=principal.label, actor_user_id=principal.user_id)
        if wish is not None:
            await Wish.update({Wish.status: "converted", Wish.case: case_id, Wish.handled_by: principal.label,
                               Wish.updated_at: stamp, Wish.version: Wish.version + 1}).where(Wish.id == wish["id"])
            await notify.enqueue([wish["requester"]], "wish", f"Ønsket ditt er foreslått: {wish['name']}",
                                 f"IKT-veilederen har laget et forslag av ønsket ditt «{wish['name']}». "
                                 "Du får beskjed når forslaget er avgjort.", case_id, link="/onsker")
    if body.submit:
        row = await load_case(case_id)
        await apply_action(case_id, ActionRequest(action="submit"), principal, row["version"], settings)
    return case_id


def _check_version(row: dict[str, Any], expected: int | None) -> None:
    if expected is not None and row["version"] != expected:
        raise stale("case")


async def _bump(row: dict[str, Any], changes: dict[Any, Any]) -> None:
    """Write ``changes`` only if nobody else changed the case since it was read: one winner."""
    changes = {**changes, Case.version: row["version"] + 1, Case.updated_at: now()}
    updated = await Case.update(changes).where(
        (Case.id == row["id"]) & (Case.version == row["version"])).returning(Case.id)
    if not updated:
        raise stale("case")


async def approval_context(row: dict[str, Any], settings: Settings) -> ApprovalContext:
    """What a privacy approval is judged against besides its form (see workflows.forms)."""
    kinds = await Attachment.raw(
        "SELECT DISTINCT a.document_kind AS kind FROM case_attachment a JOIN workflow_case c ON c.id = a.\"case\""
        " WHERE c.resource = {}", row["resource"])
    return ApprovalContext(today=today(), documents=frozenset(r["kind"] for r in kinds),
                           dpo_advice_given=latest_advice(row["step_data"]) is not None,
                           exceptions_allowed=settings.privacy_exceptions_allowed)


def latest_advice(step_data: dict[str, Any]) -> str | None:
    """The DPO's last formal advice on the case, if any was given."""
    given = [r for r in step_data.get("dpo_advice") or [] if r.get("advice")]
    return given[-1]["advice"] if given else None


def _carry_advice(step_data: dict[str, Any]) -> None:
    """The DPO's formal advice is what the privacy record says the DPO advised."""
    advice = latest_advice(step_data)
    if advice and isinstance(step_data.get("privacy"), dict):
        step_data["privacy"].setdefault("record", {})["dpo_advice"] = advice


def _record_advice(step_data: dict[str, Any], action: Action, text: str, principal: Principal, state: str) -> None:
    rounds = [dict(r) for r in step_data.get("dpo_advice") or []]
    stamp = now().isoformat()
    if action.advice == "request":
        rounds.append({"question": text, "requested_by": principal.label, "requested_at": stamp, "step": state})
    elif action.advice == "give":
        if not rounds or rounds[-1].get("advice"):
            rounds.append({"question": None, "requested_by": None, "requested_at": None, "step": None})
        rounds[-1].update(advice=text, given_by=principal.label, given_at=stamp)
    step_data["dpo_advice"] = rounds


async def _check_request(row: dict[str, Any], request: ActionRequest, action: Action) -> list[restrictions.Change]:
    """What a request must carry for this action; 422 naming each field. Returns the
    restriction decisions it makes."""
    errors = FieldErrors()
    reason = request.reason.strip()
    if action.needs_reason and not reason:
        errors.add("reason", "give a reason for the decision")
    if action.advice == "give" and len(reason) > 2000:
        errors.add("reason", "the advice may be at most 2000 characters (it goes into the privacy record)")
    if action.needs_restrictions and not request.restrictions.strip():
        errors.add("restrictions", "describe the restrictions on use")
    if action.needs_end_date:
        if request.end_date is None:
            errors.add("end_date", "give the last day the resource is in use")
        elif request.end_date < today():
            errors.add("end_date", "the end date cannot be in the past")
    elif request.end_date is not None:
        errors.add("end_date", "only a phase-out has an end date")
    if action.consultation == "open":
        consultations.check_request(request.consultation, today(), await known_codes(), errors)
    elif request.consultation is not None:
        errors.add("consultation", "only sending the resource on consultation asks whom and by when")
    changes = [restrictions.Change(c.restriction_id, c.action, c.reason, c.text) for c in request.restriction_changes]
    if changes and not action.changes_restrictions:
        errors.add("restriction_changes", "this decision does not lift or change restrictions")
    elif changes:
        active = {r.id for r in await restrictions.in_force(row["resource"])}
        restrictions.check_changes(changes, active, errors)
    errors.raise_if_any()
    return changes


@counted_action
async def apply_action(case_id: int, request: ActionRequest, principal: Principal, expected_version: int | None,
                       settings: Settings) -> None:
    """Take one action through the engine: check who may, validate, change state, run its effect,
    write the event, notifications and audit row, all in one transaction."""
    async with write_transaction():
        row = await visible_case(case_id, principal)
        view = case_view(row)
        try:
            action, target = engine.resolve(view, principal, request.action)
        except engine.NotAllowed as exc:
            # a client acting on an old version hears that first: the case moved on under it
            _check_version(row, expected_version)
            allowed = [a.name for a in engine.available_actions(view, principal)]
            raise Problem(exc.status, str(exc), type_slug="action-not-allowed" if exc.status == 409 else None,
                          allowed_actions=allowed) from None
        _check_version(row, expected_version)
        restriction_changes = await _check_request(row, request, action)
        reason = request.reason.strip()

        step = _step(row)
        step_data = copy.deepcopy(row["step_data"])
        if request.form is not None:
            if not step.form:
                raise Problem(422, "This step has no form.", errors=[{"field": "form", "message": "not expected here"}])
            step_data[step.form] = msgspec.to_builtins(decode_form(step.form, request.form))
        if action.advice:
            _record_advice(step_data, action, reason, principal, row["state"])
        if action.consultation == "close":
            closed = await consultations.close_consultation(case_id, principal)
            if closed:
                step_data["consultations"] = [*(step_data.get("consultations") or []), closed]
        _carry_advice(step_data)
        form = None
        accepted: list[str] = []
        if action.validates_form and step.form:
            form = decode_form(step.form, step_data.get(step.form) or {})
            licence = await Resource.select(Resource.licence_model).where(Resource.id == row["resource"]).first()
            context = await approval_context({**row, "step_data": step_data}, settings)
            accepted = check_for_approval(step.form, form, resource_licence_model=licence["licence_model"],
                                          context=context)
            if isinstance(form, ProcurementReview) and form.target == "units":
                known = (await known_codes())["unit"]
                unknown = FieldErrors()
                for index, code in enumerate(form.units):
                    if code not in known:
                        unknown.add(f"form.units[{index}]", f"unknown unit {code!r}")
                unknown.raise_if_any()

        case_restrictions = list(row["restrictions"])
        if action.needs_restrictions:
            case_restrictions.append(request.restrictions.strip())
            step_data["decided_restrictions"] = [*(step_data.get("decided_restrictions") or []), {
                "text": request.restrictions.strip(), "reason": reason, "by": principal.label, "step": row["state"]}]
        changes: dict[Any, Any] = {
            Case.state: target,
            Case.step_data: json.dumps(step_data, ensure_ascii=False, default=str),
            Case.restrictions: json.dumps(case_restrictions, ensure_ascii=False),
            Case.assigned_to: None,
            Case.step_due: _step_due_for(row["kind"], target, settings),
        }
        if action.remembers_origin:
            changes[Case.returned_from] = row["state"]
        target_state = WORKFLOWS[row["kind"]].states[target]
        if target_state.is_final:
            changes[Case.closed_at] = now()
            changes[Case.outcome] = target_state.outcome
        await _bump(row, changes)
        if action.consultation == "open":
            await consultations.open_consultation(row, request.consultation, principal)
        if form is not None and step.form == "privacy":
            # the reviewed record is the resource's record from now on, whatever happens later
            await _write_privacy_record(row["resource"], step_data, principal)
        exception = {"fields": accepted, "reason": getattr(form, "document_exception_reason", "").strip()} \
            if accepted else None
        await _event(case_id, principal, request.action, from_state=row["state"], to_state=target,
                     reason=reason or None,
                     data={"decision": action.decision, "restrictions": request.restrictions.strip() or None,
                           "form": step_data.get(step.form) if step.form and action.decision else None,
                           "end_date": request.end_date, "accepted_by_exception": exception,
                           "restriction_changes": msgspec.to_builtins(request.restriction_changes) or None},
                     actor_role=step.actor if step.actor != PROPOSER else "proposer")
        if action.effect:
            await EFFECTS[action.effect]({**row, "step_data": step_data, "restrictions": case_restrictions,
                                          "reason": reason, "end_date": request.end_date,
                                          "restriction_changes": restriction_changes}, principal, settings, form)
        await _notify_decision(row, request, action, target)
        if target_state.is_final:
            await _notify_wisher(row, request, target_state, case_restrictions)
        if request.action == "withdraw" and step.actor not in (None, PROPOSER):
            await notify.enqueue(await notify.users_with_role(step.actor), "withdrawn",
                                 f"Trukket: {row['title']}",
                                 f"Forslagsstilleren har trukket saken «{row['title']}» ({step.label_nb}).", case_id)
        await _notify_step(case_id, row["kind"], target, row["title"])
        recorded: dict[str, Any] = {"from": row["state"], "to": target, "decision": action.decision,
                                    "reason": reason or None, "restrictions": request.restrictions.strip() or None}
        if request.end_date:
            recorded["end_date"] = request.end_date.isoformat()
        if exception:
            recorded["accepted_by_exception"] = exception
        if restriction_changes:
            recorded["restriction_changes"] = msgspec.to_builtins(request.restriction_changes)
        await audit.append(f"case.{request.action}", "case", case_id, recorded,
                           actor=principal.label, actor_user_id=principal.user_id)


async def _notify_decision(row: dict[str, Any], request: ActionRequest, action: Action, target: str) -> None:
    if not action.decision or not row["proposer"]:
        return
    label = WORKFLOWS[row["kind"]].states[target].label_nb
    kind = "return" if action.decision == "return" else "decision"
    text = f"Saken «{row['title']}» er nå: {label}."
    if request.reason.strip():
        text += f"\nBegrunnelse: {request.reason.strip()}"
    if request.restrictions.strip():
        text += f"\nBegrensninger: {request.restrictions.strip()}"
    await notify.enqueue([row["proposer"]], kind, f"{label}: {row['title']}", text, row["id"])


WISH_OUTCOMES = {
    "approved": "er godkjent og tatt i bruk",
    "rejected": "er avslått",
    "withdrawn": "er trukket av IKT-veilederen",
}


async def _notify_wisher(row: dict[str, Any], request: ActionRequest, final: Any, case_restrictions: list[str]) -> None:
    """The person who wished for the resource hears how the proposal made from the wish ended."""
    if row["kind"] != "proposal" or final.outcome not in WISH_OUTCOMES:
        return
    wish = await Wish.select(Wish.requester, Wish.name, Wish.id).where(Wish.case == row["id"]).first()
    if wish is None or not wish["requester"]:
        return
    outcome = WISH_OUTCOMES[final.outcome]
    if final.outcome == "approved" and case_restrictions:
        outcome = "er godkjent med begrensninger"
    text = f"Forslaget om «{row['title']}», som ble laget av ønsket ditt «{wish['name']}», {outcome}."
    if request.reason.strip():
        text += f"\nBegrunnelse: {request.reason.strip()}"
    if final.outcome == "approved" and case_restrictions:
        text += "\nBegrensninger for bruk:\n" + "\n".join(f"- {t}" for t in case_restrictions)
    link = f"/ressurser/{row['resource']}" if final.outcome == "approved" else "/onsker"
    await notify.enqueue([wish["requester"]], "wish", f"Ønsket ditt «{wish['name']}» {outcome}", text, row["id"],
                         link=link)


async def save_form(case_id: int, form_data: dict[str, Any], principal: Principal, expected_version: int | None) -> None:
    """Save the current step's form without deciding (a reviewer's work in progress)."""
    async with write_transaction():
        row = await visible_case(case_id, principal)
        step = _step(row)
        if not step.form:
            raise Problem(409, "This step has no form.", allowed_actions=[])
        if not engine.is_actor(case_view(row), principal, step.actor):
            raise Problem(403, "Only the step's reviewer may fill in its form.")
        _check_version(row, expected_version)
        step_data = {**row["step_data"], step.form: msgspec.to_builtins(decode_form(step.form, form_data))}
        _carry_advice(step_data)
        await _bump(row, {Case.step_data: json.dumps(step_data, ensure_ascii=False, default=str)})
        await _event(case_id, principal, "save_form", data={"form": step.form})
        await audit.append("case.save_form", "case", case_id, {"form": step.form},
                           actor=principal.label, actor_user_id=principal.user_id)


async def confirm_item(case_id: int, item: str, note: str, principal: Principal, expected_version: int | None) -> None:
    """Confirm one phase-out checklist item (data deleted, Feide access removed, licence ended)."""
    async with write_transaction():
        row = await visible_case(case_id, principal)
        step = _step(row)
        if item not in step.checklist:
            raise Problem(409, f"'{item}' is not on this step's checklist.", allowed_actions=[])
        if step.checklist[item] not in principal.roles:
            raise Problem(403, f"Only the role {step.checklist[item]} confirms '{item}'.")
        _check_version(row, expected_version)
        checklist = dict(row["step_data"].get("checklist") or {})
        if item in checklist:
            raise Problem(409, f"'{item}' is already confirmed.", allowed_actions=[])
        checklist[item] = {"by": principal.label, "at": now().isoformat(), "note": note.strip() or None}
        step_data = {**row["step_data"], "checklist": checklist}
        await _bump(row, {Case.step_data: json.dumps(step_data, ensure_ascii=False, default=str)})
        await _event(case_id, principal, "confirm", reason=note.strip() or None, data={"item": item})
        await audit.append("case.confirm", "case", case_id, {"item": item},
                           actor=principal.label, actor_user_id=principal.user_id)


async def assign(case_id: int, user_id: int | None, principal: Principal, expected_version: int | None) -> None:
    """Assign the case's current step to someone holding its role (or clear the assignment)."""
    async with write_transaction():
        row = await visible_case(case_id, principal)
        step = _step(row)
        if step.is_final or step.actor == PROPOSER:
            raise Problem(409, "Only a review step can be assigned.", allowed_actions=[])
        if step.actor not in principal.roles and Role.ADMIN.value not in principal.roles:
            raise Problem(403, f"Only holders of the role {step.actor} assign this step.")
        _check_version(row, expected_version)
        if user_id is not None:
            holds = await UserRole.exists().where((UserRole.user == user_id) & (UserRole.role == step.actor))
            active = await AppUser.exists().where((AppUser.id == user_id) & (AppUser.active == True))  # noqa: E712
            if not (holds and active):
                raise Problem(422, f"The assignee must hold the role {step.actor}.",
                              errors=[{"field": "user_id", "message": f"does not hold {step.actor}"}])
        await _bump(row, {Case.assigned_to: user_id})
        await _event(case_id, principal, "assign", data={"user_id": user_id})
        if user_id is not None:
            await notify.enqueue([user_id], "assignment", f"Tildelt deg: {row['title']}",
                                 f"{principal.label} har tildelt deg saken «{row['title']}» ({step.label_nb}).",
                                 case_id)
        await audit.append("case.assign", "case", case_id, {"user_id": user_id, "state": row["state"]},
                           actor=principal.label, actor_user_id=principal.user_id)


async def comment(case_id: int, text: str, principal: Principal) -> None:
    """Anyone who sees a case and takes part in it may comment; the DPO advises this way."""
    async with write_transaction():
        row = await visible_case(case_id, principal)
        if not may_comment(row, principal):
            raise Problem(403, "You may read this case but not comment on it.")
        role = next((r for r in ("dpo", "privacy_reviewer", "sector_reviewer", "tech_approver", "admin")
                     if r in principal.roles), None)
        await _event(case_id, principal, "comment", reason=text.strip(), actor_role=role)
        await audit.append("case.comment", "case", case_id, {"length": len(text)},
                           actor=principal.label, actor_user_id=principal.user_id)


async def edit_proposal_resource(case_id: int, patch, principal: Principal, expected_version: int | None) -> None:
    """The proposer edits the draft resource while the case is a draft or has been returned."""
    from catalogue.resources import patch_resource

    async with write_transaction():
        row = await visible_case(case_id, principal)
        if row["proposer"] != principal.user_id:
            raise Problem(403, "Only the proposer edits the proposal.")
        if row["state"] not in ("draft", "returned"):
            raise Problem(409, "The proposal can be edited while it is a draft or returned to you.",
                          allowed_actions=[a.name for a in engine.available_actions(case_view(row), principal)])
        _check_version(row, expected_version)
        forbidden = [f for f in ("status", "in_base_package", "units", "next_revision_date")
                     if getattr(patch, f) is not msgspec.UNSET]
        if forbidden:
            raise Problem(422, "These fields are decided in the review.",
                          errors=[{"field": f, "message": "decided in the review"} for f in forbidden])
        await patch_resource(row["resource"], patch, None, principal)
        changes: dict[Any, Any] = {}
        if getattr(patch, "name") is not msgspec.UNSET:
            changes[Case.title] = patch.name
        await _bump(row, changes)
        fields = sorted(f for f in patch.__struct_fields__ if getattr(patch, f) is not msgspec.UNSET)
        await _event(case_id, principal, "edit", data={"fields": fields})
        await audit.append("case.edit", "case", case_id, {"fields": fields, "resource_id": row["resource"]},
                           actor=principal.label, actor_user_id=principal.user_id)


# --- effects on the resource --------------------------------------------------------------


async def _set_resource(resource_id: int, changes: dict[Any, Any], principal: Principal, action: str,
                        data: dict[str, Any]) -> None:
    current = await Resource.select(Resource.version).where(Resource.id == resource_id).first()
    await Resource.update({**changes, Resource.version: current["version"] + 1, Resource.updated_at: now(),
                           Resource.updated_by: principal.label}).where(Resource.id == resource_id)
    await audit.append(action, "resource", resource_id, data, actor=principal.label, actor_user_id=principal.user_id)
    await _reindex(resource_id)
    await record_change(resource_id, actor=principal.label, source=action)


async def _reindex(resource_id: int) -> None:
    """Keep the search index in step with the resource, inside the same transaction."""
    from catalogue.search import index_resource

    await index_resource(resource_id)


async def _effect_submit(row, principal, settings, form) -> None:
    await _set_resource(row["resource"], {Resource.status: "in_review"}, principal, "resource.submit",
                        {"case_id": row["id"]})


async def _effect_withdraw(row, principal, settings, form) -> None:
    await _set_resource(row["resource"], {Resource.status: "archived", Resource.archived_at: now()}, principal,
                        "resource.withdraw", {"case_id": row["id"]})


async def _effect_reject(row, principal, settings, form) -> None:
    await _set_resource(row["resource"], {Resource.status: "rejected"}, principal, "resource.reject",
                        {"case_id": row["id"]})


async def _write_privacy_record(resource_id: int, step_data: dict[str, Any], principal: Principal) -> None:
    from catalogue.resources import _privacy_record_update
    from workflows.forms import PrivacyReview

    if "privacy" not in step_data:
        return
    record = msgspec.convert(step_data["privacy"], PrivacyReview).record
    await PrivacyRecord.update(_privacy_record_update(record)).where(PrivacyRecord.resource == resource_id)
    await record_change(resource_id, actor=principal.label, source="privacy_review")


async def _set_units(resource_id: int, units: list[str]) -> None:
    await ResourceFacet.delete().where((ResourceFacet.resource == resource_id) & (ResourceFacet.facet == "unit"))
    rows = [ResourceFacet(resource=resource_id, facet="unit", value=u, position=i) for i, u in enumerate(units)]
    if rows:
        await ResourceFacet.insert(*rows)


def _decided_restrictions(row: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """The restrictions decided in the case, each with the reason of the decision that made it and
    who made it."""
    decided = [(d["text"], d.get("reason") or "", d.get("by"))
               for d in row["step_data"].get("decided_restrictions") or []]
    known = {text for text, _, _ in decided}
    decided += [(text, f"Besluttet i sak {row['id']}.", None) for text in row["restrictions"] if text not in known]
    return decided


async def _effect_publish(row, principal, settings, form) -> None:
    """Final approval: the resource enters the base package (or named units) with its privacy
    record, licence facts, restrictions and next revision date."""
    step_data = row["step_data"]
    await _write_privacy_record(row["resource"], step_data, principal)
    procurement = msgspec.convert(step_data.get("procurement") or {}, ProcurementReview)
    privacy = await PrivacyRecord.select(PrivacyRecord.dpa_expires).where(
        PrivacyRecord.resource == row["resource"]).first()
    due = next_revision_date(today(), settings.revision_months, _date(privacy["dpa_expires"]) if privacy else None,
                             procurement.licence_to)
    units = procurement.units if procurement.target == "units" else row["proposer_units"]
    await _set_units(row["resource"], list(dict.fromkeys(units)))
    # the restrictions the resource had are kept; those decided in review are added
    await restrictions.apply(row["resource"], added=_decided_restrictions(row), changes=[], actor=principal,
                             case_id=row["id"])
    changes = {
        Resource.status: "published",
        Resource.in_base_package: procurement.target == "base_package",
        Resource.next_revision_date: due,
        Resource.annual_cost_nok: procurement.annual_cost_nok,
        Resource.licence_count: procurement.licence_count,
        Resource.licence_expires: procurement.licence_to,
    }
    await _set_resource(row["resource"], changes, principal, "resource.publish",
                        {"case_id": row["id"], "next_revision_date": due.isoformat(),
                         "in_base_package": procurement.target == "base_package", "units": units})


async def _effect_renew(row, principal, settings, form) -> None:
    """A renewal keeps every restriction in force, except those the decision lifts or changes
    (each with its reason), and adds those decided in the revision."""
    await _write_privacy_record(row["resource"], row["step_data"], principal)
    resource = await Resource.select(Resource.licence_expires).where(Resource.id == row["resource"]).first()
    privacy = await PrivacyRecord.select(PrivacyRecord.dpa_expires).where(
        PrivacyRecord.resource == row["resource"]).first()
    due = next_revision_date(today(), settings.revision_months, _date(privacy["dpa_expires"]) if privacy else None,
                             _date(resource["licence_expires"]))
    await restrictions.apply(row["resource"], added=_decided_restrictions(row), changes=row["restriction_changes"],
                             actor=principal, case_id=row["id"])
    await _set_resource(row["resource"], {Resource.next_revision_date: due}, principal, "resource.renew",
                        {"case_id": row["id"], "next_revision_date": due.isoformat()})


async def users_of(resource_id: int) -> list[int]:
    """Who hears of a phase-out: the ICT mentors of the units that use the resource (every unit,
    when it is in the base package), and everyone who follows it."""
    resource = await Resource.select(Resource.in_base_package).where(Resource.id == resource_id).first()
    if resource and resource["in_base_package"]:
        mentors = await notify.users_with_role(Role.ICT_MENTOR.value)
    else:
        rows = await UserRole.raw(
            "SELECT DISTINCT uu.\"user\" AS id FROM resource_facet f JOIN unit ON unit.code = f.value"
            " JOIN user_unit uu ON uu.unit = unit.id"
            " JOIN user_role r ON r.\"user\" = uu.\"user\" AND r.role = {}"
            " WHERE f.resource = {} AND f.facet = {}", Role.ICT_MENTOR.value, resource_id, "unit")
        mentors = [r["id"] for r in rows]
    return sorted({*mentors, *await followers.followers_of(resource_id)})


async def _effect_start_phase_out(row, principal, settings, form) -> None:
    """The revision ends; a phase-out case takes over the resource, carrying the end date, and
    the units that use it and the people who follow it are told before it takes effect."""
    await _set_resource(row["resource"], {Resource.status: "phasing_out"}, principal, "resource.phasing_out",
                        {"case_id": row["id"], "end_date": row["end_date"].isoformat()})
    reason = row["reason"]
    case_id = await open_case("phase_out", row["resource"], row["title"], principal, settings,
                              reason=f"Besluttet i revisjon (sak {row['id']}): {reason}",
                              proposer_units=row["proposer_units"], end_date=row["end_date"])
    end = row["end_date"].strftime("%d.%m.%Y")
    await notify.enqueue(await users_of(row["resource"]), "phase_out", f"Fases ut {end}: {row['title']}",
                         f"Læremidlet «{row['title']}» skal fases ut. Siste dag det er i bruk, er {end}.\n"
                         f"Begrunnelse: {reason}\nFinn et annet læremiddel i katalogen før den datoen.",
                         case_id, link=f"/ressurser/{row['resource']}")


async def _effect_phase_out(row, principal, settings, form) -> None:
    await _set_units(row["resource"], [])
    await _set_resource(row["resource"], {Resource.status: "phased_out", Resource.in_base_package: False},
                        principal, "resource.phased_out", {"case_id": row["id"]})


EFFECTS = {
    "submit_resource": _effect_submit,
    "withdraw_resource": _effect_withdraw,
    "reject_resource": _effect_reject,
    "publish": _effect_publish,
    "renew": _effect_renew,
    "start_phase_out": _effect_start_phase_out,
    "phase_out_resource": _effect_phase_out,
}


async def open_case(kind: str, resource_id: int, title: str, principal: Principal | None, settings: Settings, *,
                    reason: str, proposer_units: list[str] | None = None,
                    end_date: datetime.date | None = None) -> int:
    """Open a revision or phase-out case (inside the caller's transaction). The open-case key
    (one open case per resource) makes a second opening fail."""
    workflow = WORKFLOWS[kind]
    stamp = now()
    inserted = await Case.insert(Case(
        kind=kind, resource=resource_id, state=workflow.initial, title=title, proposer=None,
        proposer_units=json.dumps(proposer_units or []), justification=json.dumps({"reason": reason}),
        step_data="{}", restrictions="[]", step_due=_step_due_for(kind, workflow.initial, settings),
        end_date=end_date, version=1, created_at=stamp, updated_at=stamp,
    )).returning(Case.id)
    case_id = inserted[0]["id"]
    await _event(case_id, principal, "open", to_state=workflow.initial, reason=reason,
                 data={"end_date": end_date} if end_date else None,
                 actor_label=principal.label if principal else "revisjonsplanlegger")
    await _notify_step(case_id, kind, workflow.initial, title)
    await audit.append(f"case.open_{kind}", "case", case_id,
                       {"resource_id": resource_id, "reason": reason,
                        "end_date": end_date.isoformat() if end_date else None},
                       actor=principal.label if principal else "scheduler",
                       actor_user_id=principal.user_id if principal else None)
    return case_id


async def hand_over(from_user: int, to_user: int, principal: Principal, case_ids: list[int] | None = None) -> list[int]:
    """An ICT mentor who leaves hands their open cases to another mentor of the case's units (the
    admin does it). All or nothing: 422 naming each case the new mentor cannot take."""
    async with write_transaction():
        target = await AppUser.select(AppUser.id, AppUser.display_name, AppUser.active).where(
            AppUser.id == to_user).first()
        mentor = target is not None and target["active"] and await UserRole.exists().where(
            (UserRole.user == to_user) & (UserRole.role == Role.ICT_MENTOR.value))
        if not mentor or to_user == from_user:
            raise Problem(422, "Hand the cases to another active ICT mentor.",
                          errors=[{"field": "to_user_id", "message": "not another active ICT mentor"}])
        units = {r["code"] for r in await UserUnit.raw(
            "SELECT unit.code FROM user_unit uu JOIN unit ON unit.id = uu.unit WHERE uu.\"user\" = {}", to_user)}
        rows = await Case.select().where((Case.proposer == from_user) & Case.closed_at.is_null()).order_by(Case.id)
        by_id = {r["id"]: r for r in rows}
        wanted = list(dict.fromkeys(case_ids)) if case_ids is not None else list(by_id)
        errors = FieldErrors()
        for index, case_id in enumerate(wanted):
            row = by_id.get(case_id)
            if row is None:
                errors.add(f"case_ids[{index}]", f"case {case_id} is not an open case of this user")
                continue
            row["proposer_units"] = _json(row["proposer_units"], [])
            if not set(row["proposer_units"]) & units:
                errors.add(f"case_ids[{index}]" if case_ids is not None else "to_user_id",
                           f"case {case_id} is for {', '.join(row['proposer_units'])}, which the new mentor does not serve")
        errors.raise_if_any()
        label = target["display_name"] or f"user:{to_user}"
        for case_id in wanted:
            row = by_id[case_id]
            await _bump(row, {Case.proposer: to_user})
            await _event(case_id, principal, "hand_over", data={"from": from_user, "to": to_user, "to_name": label})
            await audit.append("case.hand_over", "case", case_id, {"from": from_user, "to": to_user},
                               actor=principal.label, actor_user_id=principal.user_id)
            await notify.enqueue([to_user], "hand_over", f"Du har overtatt: {row['title']}",
                                 f"{principal.label} har gitt deg saken «{row['title']}», som en annen IKT-veileder "
                                 "hadde. Du er forslagsstiller nå.", case_id)
    return wanted


async def open_cases_of(user_id: int) -> list[dict[str, Any]]:
    rows = await Case.select(Case.id, Case.title, Case.state, Case.kind, Case.proposer_units).where(
        (Case.proposer == user_id) & Case.closed_at.is_null()).order_by(Case.id)
    for row in rows:
        row["proposer_units"] = _json(row["proposer_units"], [])
        row["state_label_nb"] = WORKFLOWS[row["kind"]].states[row["state"]].label_nb
    return rows


# --- lists ----------------------------------------------------------------------------------


async def list_cases(principal: Principal, *, kind: str | None, state: str | None, open_only: bool,
                     limit: int, offset: int) -> tuple[list[CaseSummary], int]:
    clauses, args = ["1 = 1"], []
    if kind:
        clauses.append("c.kind = {}")
        args.append(kind)
    if state:
        clauses.append("c.state = {}")
        args.append(state)
    if open_only:
        clauses.append("c.closed_at IS NULL")
    if not principal.has_any(CATALOGUE_INSIDERS):
        scope = ["c.proposer = {}"]
        args.append(principal.user_id)
        if Role.ICT_MENTOR.value in principal.roles and principal.unit_codes:
            units = sorted(principal.unit_codes)
            # proposer_units is a JSON list; match each unit code as a quoted JSON string
            scope.extend("CAST(c.proposer_units AS TEXT) LIKE {}" for _ in units)
            args.extend(f'%"{u}"%' for u in units)
        clauses.append("(" + " OR ".join(scope) + ")")
    where = " AND ".join(clauses)
    total = await Case.raw(f"SELECT COUNT(*) AS n FROM workflow_case c WHERE {where}", *args)
    rows = await Case.raw(f"SELECT c.* FROM workflow_case c WHERE {where} ORDER BY c.updated_at DESC, c.id DESC"
                          " LIMIT {} OFFSET {}", *args, limit, offset)
    for row in rows:
        row["proposer_units"] = _json(row["proposer_units"], [])
    people = await _people([r["assigned_to"] for r in rows])
    return [summary(r, people) for r in rows], int(total[0]["n"])


async def tasks(principal: Principal) -> list[CaseSummary]:
    """The user's inbox: open cases whose current step waits for a role they hold (unless assigned
    to someone else), cases assigned to them, their own returned or draft proposals, and phase-out
    checklist items their roles confirm."""
    rows = await Case.raw("SELECT c.* FROM workflow_case c WHERE c.closed_at IS NULL ORDER BY c.step_due, c.id")
    mine = []
    for row in rows:
        for name, default in (("proposer_units", []), ("step_data", {}), ("restrictions", []),
                              ("justification", {})):
            row[name] = _json(row[name], default)
        step = _step(row)
        if row["assigned_to"] == principal.user_id and principal.user_id is not None:
            mine.append(row)
        elif step.actor == PROPOSER:
            if row["proposer"] == principal.user_id and principal.user_id is not None:
                mine.append(row)
        elif step.actor in principal.roles and row["assigned_to"] in (None, principal.user_id):
            mine.append(row)
        elif engine.confirmable_items(case_view(row), principal):
            mine.append(row)
    people = await _people([r["assigned_to"] for r in mine])
    return [summary(r, people) for r in mine]

