"""The equipment standard: per unit type, how many of each kind a unit should have. Changing it is
a case of the ``standard_change`` workflow (workflows.definitions), run through the one engine
(workflows.engine); each approved change is a revision of its unit type's standard, in force from
its date until a later one takes over."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

import msgspec

from catalogue.db import current_engine, is_sqlite, write_transaction
from catalogue.etags import expected_version, stale
from catalogue.problems import FieldErrors, Problem
from catalogue.security.access import Principal
from catalogue.tables import AppUser
from equipment import domain
from equipment.common import as_date, as_datetime, now, today
from equipment.kinds import kind_ids
from equipment.schemas import (
    ActionOut,
    ChangeAction,
    PersonRef,
    StandardChangeCreate,
    StandardChangeOut,
    StandardChangePatch,
    StandardEventOut,
    StandardLineBody,
    StandardLineOut,
    StandardOut,
    StandardVersionOut,
)
from equipment.tables import StandardChange, StandardEvent, StandardLine
from workflows import audit, engine, notify
from workflows.definitions import PROPOSER, WORKFLOWS

KIND = "standard_change"
WORKFLOW = WORKFLOWS[KIND]
EDITABLE_STATES = ("draft", "returned")
_LOCK_KEY = 0x4C4B_0E05  # PostgreSQL advisory lock: one writer of the standard at a time


def standard_etag(unit_type: str, revision: int) -> str:
    return f'"standard:{unit_type}:{revision}"'


def change_etag(change_id: int, version: int) -> str:
    return f'"standard-change:{change_id}:{version}"'


def _unit_type(unit_type: str) -> str:
    if unit_type not in domain.UNIT_TYPES:
        raise Problem(404, f"No unit type {unit_type!r}; use one of {', '.join(domain.UNIT_TYPES)}.")
    return unit_type


async def _lock() -> None:
    """Serialise writers of the standard on PostgreSQL (SQLite's IMMEDIATE transaction already does)."""
    if not is_sqlite(current_engine()):
        await StandardChange.raw("SELECT pg_advisory_xact_lock({})", _LOCK_KEY)


# --- the standard in force ---------------------------------------------------------------------


@dataclass
class Version:
    """One approved revision of a unit type's standard."""

    change_id: int
    revision: int
    valid_from: datetime.date
    approved_at: datetime.datetime | None
    title: str
    lines: list[dict[str, Any]] = field(default_factory=list)  # kind_id, kind, kind_name, basis, per_n, quantity


class Standards:
    """Every approved revision, by unit type: the standard in force on any date."""

    def __init__(self, versions: dict[str, list[Version]]) -> None:
        self.versions = versions

    def revision(self, unit_type: str) -> int:
        return max((v.revision for v in self.versions.get(unit_type, [])), default=0)

    def in_force(self, unit_type: str, day: datetime.date) -> Version | None:
        candidates = [v for v in self.versions.get(unit_type, []) if v.valid_from <= day]
        return max(candidates, key=lambda v: (v.valid_from, v.revision)) if candidates else None

    def upcoming(self, unit_type: str, day: datetime.date) -> list[Version]:
        return sorted((v for v in self.versions.get(unit_type, []) if v.valid_from > day),
                      key=lambda v: (v.valid_from, v.revision))


async def load_standards() -> Standards:
    changes = await StandardChange.select(
        StandardChange.id, StandardChange.unit_type, StandardChange.revision, StandardChange.valid_from,
        StandardChange.approved_at, StandardChange.title).where(StandardChange.revision.is_not_null())
    by_id = {c["id"]: Version(change_id=c["id"], revision=c["revision"], valid_from=as_date(c["valid_from"]),
                              approved_at=as_datetime(c["approved_at"]), title=c["title"]) for c in changes}
    versions: dict[str, list[Version]] = {}
    for c in changes:
        versions.setdefault(c["unit_type"], []).append(by_id[c["id"]])
    if by_id:
        await _attach_lines(by_id)
    return Standards(versions)


async def _lines_of(change_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not change_ids:
        return {}
    marks = ", ".join("{}" for _ in change_ids)
    rows = await StandardLine.raw(
        "SELECT l.change AS change, l.kind AS kind_id, k.code AS kind, k.name AS kind_name, l.basis AS basis,"
        f" l.per_n AS per_n, l.quantity AS quantity FROM equipment_standard_line l"
        f" JOIN equipment_kind k ON k.id = l.kind WHERE l.change IN ({marks}) ORDER BY l.change, l.position, l.id",
        *change_ids)
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row.pop("change"), []).append(row)
    return found


async def _attach_lines(by_id: dict[int, Version]) -> None:
    for change_id, lines in (await _lines_of(list(by_id))).items():
        by_id[change_id].lines = lines


def _line_out(line: dict[str, Any]) -> StandardLineOut:
    return StandardLineOut(kind=line["kind"], kind_name=line["kind_name"], basis=line["basis"],
                           per_n=line["per_n"], quantity=line["quantity"])


def _version_out(version: Version) -> StandardVersionOut:
    return StandardVersionOut(change_id=version.change_id, revision=version.revision, valid_from=version.valid_from,
                              approved_at=version.approved_at, title=version.title)


def standard_out(standards: Standards, unit_type: str, day: datetime.date) -> StandardOut:
    version = standards.in_force(unit_type, day)
    return StandardOut(
        unit_type=unit_type, date=day, revision=standards.revision(unit_type),
        change_id=version.change_id if version else None, valid_from=version.valid_from if version else None,
        approved_at=version.approved_at if version else None,
        lines=[_line_out(line) for line in (version.lines if version else [])],
        upcoming=[_version_out(v) for v in standards.upcoming(unit_type, day)],
    )


async def standard(unit_type: str, day: datetime.date | None = None) -> StandardOut:
    """The standard of ``unit_type`` in force on ``day`` (today when not given)."""
    return standard_out(await load_standards(), _unit_type(unit_type), day or today())


async def history(unit_type: str) -> list[StandardVersionOut]:
    standards = await load_standards()
    return [_version_out(v) for v in sorted(standards.versions.get(_unit_type(unit_type), []),
                                            key=lambda v: v.revision, reverse=True)]


# --- changes (cases) ---------------------------------------------------------------------------


async def _check_lines(unit_type: str, lines: list[StandardLineBody], errors: FieldErrors) -> dict[str, int]:
    """Every line names a known, active kind and a basis the unit type counts by, once."""
    known = await kind_ids([line.kind for line in lines])
    allowed = domain.BASES_BY_UNIT_TYPE[unit_type]
    seen: set[tuple[str, str]] = set()
    for index, line in enumerate(lines):
        kind = known.get(line.kind)
        if kind is None:
            errors.add(f"lines[{index}].kind", f"unknown equipment kind {line.kind!r}")
        elif not kind["active"]:
            errors.add(f"lines[{index}].kind", f"the equipment kind {line.kind!r} is no longer in use")
        if line.basis not in allowed:
            errors.add(f"lines[{index}].basis", f"a {unit_type} standard counts {', '.join(allowed)}")
        if (line.kind, line.basis) in seen:
            errors.add(f"lines[{index}]", "each kind and basis may be listed once")
        seen.add((line.kind, line.basis))
    return {code: row["id"] for code, row in known.items()}


def _check_valid_from(valid_from: datetime.date, errors: FieldErrors) -> None:
    if valid_from < today():
        errors.add("valid_from", "a change of the standard cannot take effect in the past")


async def _write_lines(change_id: int, lines: list[StandardLineBody], ids: dict[str, int]) -> None:
    await StandardLine.delete().where(StandardLine.change == change_id)
    if lines:
        await StandardLine.insert(*[
            StandardLine(change=change_id, kind=ids[line.kind], basis=line.basis, per_n=line.per_n,
                         quantity=line.quantity, position=index) for index, line in enumerate(lines)])


async def _event(change_id: int, principal: Principal | None, action: str, *, from_state: str | None = None,
                 to_state: str | None = None, reason: str | None = None, data: dict | None = None) -> None:
    await StandardEvent.insert(StandardEvent(
        change=change_id, occurred_at=now(), actor=principal.user_id if principal else None,
        actor_label=principal.label if principal else "system", action=action, from_state=from_state,
        to_state=to_state, reason=reason or None, data=json.dumps(data or {}, ensure_ascii=False, default=str)))


async def create_change(unit_type: str, body: StandardChangeCreate, if_match: str | None,
                        principal: Principal) -> int:
    """Propose a new standard for ``unit_type``. ``If-Match`` carries the standard's ETag as the
    proposer read it: a standard replaced since then answers 412, and nothing is written."""
    _unit_type(unit_type)
    expected = expected_version("standard", unit_type, if_match)
    errors = FieldErrors()
    _check_valid_from(body.valid_from, errors)
    ids = await _check_lines(unit_type, body.lines, errors)
    errors.raise_if_any()
    title = body.title or f"Utstyrsstandard for {domain.UNIT_TYPES[unit_type].lower()} fra {body.valid_from:%d.%m.%Y}"
    async with write_transaction():
        await _lock()
        revision = (await load_standards()).revision(unit_type)
        if expected is not None and expected != revision:
            raise stale("standard")
        stamp = now()
        inserted = await StandardChange.insert(StandardChange(
            unit_type=unit_type, valid_from=body.valid_from, title=title, rationale=body.rationale,
            state=WORKFLOW.initial, base_revision=revision, proposer=principal.user_id, version=1,
            created_at=stamp, updated_at=stamp)).returning(StandardChange.id)
        change_id = inserted[0]["id"]
        await _write_lines(change_id, body.lines, ids)
        await _event(change_id, principal, "create", to_state=WORKFLOW.initial)
        await audit.append("standard_change.create", "standard_change", change_id,
                           {"unit_type": unit_type, "valid_from": body.valid_from, "base_revision": revision,
                            "lines": msgspec.to_builtins(body.lines)},
                           actor=principal.label, actor_user_id=principal.user_id)
    if body.submit:
        row = await change_row(change_id)
        await apply_action(change_id, ChangeAction(action="submit"), change_etag(change_id, row["version"]),
                           principal)
    return change_id


async def change_row(change_id: int) -> dict[str, Any]:
    row = await StandardChange.select().where(StandardChange.id == change_id).first()
    if row is None:
        raise Problem(404, f"No standard change with id {change_id}.")
    return row


def _may_see(row: dict[str, Any], principal: Principal) -> bool:
    """A draft is the sector office's work in progress; everything else is open to the readers."""
    if row["state"] != "draft":
        return True
    return row["proposer"] == principal.user_id or principal.has_any(domain.STANDARD_PROPOSERS)


async def visible_change(change_id: int, principal: Principal) -> dict[str, Any]:
    row = await change_row(change_id)
    if not _may_see(row, principal):
        raise Problem(404, f"No standard change with id {change_id}.")
    return row


def _view(row: dict[str, Any]) -> engine.CaseView:
    return engine.CaseView(kind=KIND, state=row["state"], proposer_id=row["proposer"],
                           returned_from=row["returned_from"], checklist={})


def allowed_actions(row: dict[str, Any], principal: Principal) -> list[ActionOut]:
    return [ActionOut(name=a.name, label_nb=a.label_nb, needs_reason=a.needs_reason, target=a.target)
            for a in engine.available_actions(_view(row), principal)]


async def _people(ids: list[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await AppUser.select(AppUser.id, AppUser.display_name).where(AppUser.id.is_in(wanted))
    return {r["id"]: r["display_name"] for r in rows}


async def _outs(rows: list[dict[str, Any]], principal: Principal) -> list[StandardChangeOut]:
    lines = await _lines_of([r["id"] for r in rows])
    people = await _people([r["proposer"] for r in rows])
    result = []
    for row in rows:
        state = WORKFLOW.states[row["state"]]
        result.append(StandardChangeOut(
            id=row["id"], unit_type=row["unit_type"], title=row["title"], rationale=row["rationale"],
            valid_from=as_date(row["valid_from"]), state=row["state"], state_label_nb=state.label_nb,
            outcome=row["outcome"], step_role=None if state.actor == PROPOSER else state.actor,
            base_revision=row["base_revision"], revision=row["revision"],
            proposer=PersonRef(id=row["proposer"], name=people.get(row["proposer"], "")) if row["proposer"] else None,
            lines=[_line_out(line) for line in lines.get(row["id"], [])],
            allowed_actions=allowed_actions(row, principal), version=row["version"],
            created_at=as_datetime(row["created_at"]), updated_at=as_datetime(row["updated_at"]),
            approved_at=as_datetime(row["approved_at"]), closed_at=as_datetime(row["closed_at"])))
    return result


async def change_out(change_id: int, principal: Principal) -> StandardChangeOut:
    return (await _outs([await visible_change(change_id, principal)], principal))[0]


async def list_changes(principal: Principal, *, unit_type: str | None = None, open_only: bool = False,
                       limit: int = 20, offset: int = 0) -> tuple[list[StandardChangeOut], int]:
    where = []
    if unit_type:
        where.append(StandardChange.unit_type == _unit_type(unit_type))
    if open_only:
        where.append(StandardChange.closed_at.is_null())
    if not principal.has_any(domain.STANDARD_PROPOSERS):
        where.append((StandardChange.state != "draft") | (StandardChange.proposer == principal.user_id))
    query = StandardChange.select()
    count = StandardChange.count()
    for clause in where:
        query = query.where(clause)
        count = count.where(clause)
    rows = await query.order_by(StandardChange.updated_at, ascending=False).order_by(
        StandardChange.id, ascending=False).limit(limit).offset(offset)
    return await _outs(rows, principal), await count


async def events(change_id: int, principal: Principal) -> list[StandardEventOut]:
    await visible_change(change_id, principal)
    rows = await StandardEvent.select().where(StandardEvent.change == change_id).order_by(StandardEvent.id)
    return [StandardEventOut(occurred_at=as_datetime(r["occurred_at"]), actor=r["actor_label"], action=r["action"],
                             from_state=r["from_state"], to_state=r["to_state"], reason=r["reason"]) for r in rows]


async def _bump(row: dict[str, Any], changes: dict[Any, Any]) -> None:
    """Write ``changes`` only if nobody changed the case since it was read: one winner."""
    changes = {**changes, StandardChange.version: row["version"] + 1, StandardChange.updated_at: now()}
    updated = await StandardChange.update(changes).where(
        (StandardChange.id == row["id"]) & (StandardChange.version == row["version"])).returning(StandardChange.id)
    if not updated:
        raise stale("standard change")


def _check_version(row: dict[str, Any], expected: int | None) -> None:
    if expected is not None and row["version"] != expected:
        raise stale("standard change")


async def edit_change(change_id: int, body: StandardChangePatch, if_match: str | None,
                      principal: Principal) -> None:
    """The proposer edits a draft or a returned change."""
    expected = expected_version("standard-change", change_id, if_match)
    async with write_transaction():
        row = await visible_change(change_id, principal)
        if row["proposer"] != principal.user_id:
            raise Problem(403, "Only the proposer edits the change.")
        if row["state"] not in EDITABLE_STATES:
            raise Problem(409, "A change can be edited while it is a draft or returned to you.",
                          allowed_actions=[a.name for a in allowed_actions(row, principal)])
        _check_version(row, expected)
        errors = FieldErrors()
        if body.valid_from is not msgspec.UNSET:
            _check_valid_from(body.valid_from, errors)
        ids = await _check_lines(row["unit_type"], body.lines, errors) if body.lines is not msgspec.UNSET else {}
        errors.raise_if_any()
        changes: dict[Any, Any] = {}
        for name in ("valid_from", "rationale", "title"):
            if getattr(body, name) is not msgspec.UNSET:
                changes[getattr(StandardChange, name)] = getattr(body, name)
        await _bump(row, changes)
        if body.lines is not msgspec.UNSET:
            await _write_lines(change_id, body.lines, ids)
        fields = sorted(f for f in body.__struct_fields__ if getattr(body, f) is not msgspec.UNSET)
        await _event(change_id, principal, "edit", data={"fields": fields})
        await audit.append("standard_change.edit", "standard_change", change_id,
                           {"fields": fields, **({"lines": msgspec.to_builtins(body.lines)}
                                                 if body.lines is not msgspec.UNSET else {})},
                           actor=principal.label, actor_user_id=principal.user_id)


async def apply_action(change_id: int, request: ChangeAction, if_match: str | None, principal: Principal) -> None:
    """Take one action through the engine; the state change, its effect, event, notifications and
    audit row commit together."""
    expected = expected_version("standard-change", change_id, if_match)
    async with write_transaction():
        await _lock()
        row = await visible_change(change_id, principal)
        view = _view(row)
        try:
            action, target = engine.resolve(view, principal, request.action)
        except engine.NotAllowed as exc:
            _check_version(row, expected)  # a client acting on an old version hears that first
            raise Problem(exc.status, str(exc), type_slug="action-not-allowed" if exc.status == 409 else None,
                          allowed_actions=[a.name for a in engine.available_actions(view, principal)]) from None
        _check_version(row, expected)
        reason = request.reason.strip()
        if action.needs_reason and not reason:
            raise Problem(422, "reason: give a reason for the decision",
                          errors=[{"field": "reason", "message": "give a reason for the decision"}])
        target_state = WORKFLOW.states[target]
        changes: dict[Any, Any] = {StandardChange.state: target}
        if action.decision == "return":
            changes[StandardChange.returned_from] = row["state"]
        if target_state.is_final:
            changes[StandardChange.closed_at] = now()
            changes[StandardChange.outcome] = target_state.outcome
        data: dict[str, Any] = {}
        if action.effect == "adopt_standard":
            data = await _adopt(row, changes)
        await _bump(row, changes)
        await _event(change_id, principal, request.action, from_state=row["state"], to_state=target,
                     reason=reason or None, data=data)
        await audit.append(f"standard_change.{request.action}", "standard_change", change_id,
                           {"from": row["state"], "to": target, "decision": action.decision, "reason": reason or None,
                            **data}, actor=principal.label, actor_user_id=principal.user_id)
        if action.effect == "adopt_standard":
            await _supersede_others(row, data["revision"], principal)
        await _notify(row, request.action, action.decision, target, reason)


async def _adopt(row: dict[str, Any], changes: dict[Any, Any]) -> dict[str, Any]:
    """Approval: the change becomes the next revision of its unit type's standard, in force from
    its date (or from today, when the review ran past that date)."""
    revision = (await load_standards()).revision(row["unit_type"])
    if row["base_revision"] != revision:
        raise Problem(409, "The standard this change was based on has been replaced by another change. "
                      "Return or reject it; a new proposal starts from the standard as it is now.",
                      type_slug="standard-replaced", allowed_actions=["return", "reject"])
    missing = await StandardLine.raw(
        "SELECT k.code AS code FROM equipment_standard_line l JOIN equipment_kind k ON k.id = l.kind"
        " WHERE l.change = {} AND k.active = {}", row["id"], False)
    if missing:
        raise Problem(409, f"The kind {missing[0]['code']!r} is no longer in use; return the change to the proposer.",
                      type_slug="kind-not-in-use", allowed_actions=["return", "reject"])
    valid_from = max(as_date(row["valid_from"]), today())
    stamp = now()
    changes.update({StandardChange.revision: revision + 1, StandardChange.approved_at: stamp,
                    StandardChange.valid_from: valid_from})
    return {"revision": revision + 1, "valid_from": valid_from.isoformat()}


async def _supersede_others(row: dict[str, Any], revision: int, principal: Principal) -> None:
    """Open changes of the same unit type were based on the standard just replaced: they end as
    superseded, so none of them can later overwrite this one unseen."""
    others = await StandardChange.select().where(
        (StandardChange.unit_type == row["unit_type"]) & StandardChange.closed_at.is_null()
        & (StandardChange.id != row["id"]))
    for other in others:
        await _bump(other, {StandardChange.state: "superseded", StandardChange.outcome: "superseded",
                            StandardChange.closed_at: now()})
        reason = f"Erstattet av endring {row['id']} («{row['title']}»)"
        await _event(other["id"], principal, "superseded", from_state=other["state"], to_state="superseded",
                     reason=reason, data={"by": row["id"], "revision": revision})
        await audit.append("standard_change.superseded", "standard_change", other["id"],
                           {"by": row["id"], "revision": revision, "from": other["state"]},
                           actor=principal.label, actor_user_id=principal.user_id)
        await notify.enqueue([other["proposer"]], "decision", f"Erstattet: {other['title']}",
                             f"Endringen «{other['title']}» er erstattet av «{row['title']}», som er godkjent. "
                             "Lag et nytt forslag ut fra standarden slik den er nå.",
                             link=f"/utstyr/standard/endringer/{other['id']}")


async def _notify(row: dict[str, Any], name: str, decision: str | None, target: str, reason: str) -> None:
    state = WORKFLOW.states[target]
    link = f"/utstyr/standard/endringer/{row['id']}"
    if state.actor not in (None, PROPOSER):
        await notify.enqueue(await notify.users_with_role(state.actor), "task", f"Ny oppgave: {row['title']}",
                             f"Endringen av utstyrsstandarden «{row['title']}» venter på {state.label_nb.lower()}.",
                             link=link)
    if decision and row["proposer"]:
        text = f"Endringen «{row['title']}» er nå: {state.label_nb}."
        if reason:
            text += f"\nBegrunnelse: {reason}"
        await notify.enqueue([row["proposer"]], "return" if decision == "return" else "decision",
                             f"{state.label_nb}: {row['title']}", text, link=link)


async def waiting_for(principal: Principal) -> list[StandardChangeOut]:
    """Open changes whose step waits for the caller: reviews for their role, their own drafts and returns."""
    rows = await StandardChange.select().where(StandardChange.closed_at.is_null()).order_by(StandardChange.id)
    mine = [r for r in rows if {a.name for a in engine.available_actions(_view(r), principal)} - {"withdraw"}]
    return await _outs(mine, principal)
