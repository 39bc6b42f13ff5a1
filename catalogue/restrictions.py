"""Restrictions on use of a resource ("no pictures of pupils"). Each one is added, changed or
lifted only by a decision with a reason: directly by the sector office, or in a case's decision.
Nothing else touches them, so a renewal keeps what was there. The resource's ``restrictions``
text is the restrictions in force, one a line, rewritten in the same transaction as each change
(the search, the lists and the pages read it)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from catalogue.db import write_transaction
from catalogue.problems import FieldErrors, Problem
from catalogue.schemas import RestrictionOut
from catalogue.security.access import Principal
from catalogue.tables import Resource, ResourceRestriction
from workflows import audit


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _dt(value: Any) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class Change:
    """One decision about a restriction in force: ``lift`` it, or ``change`` it to ``text``."""

    restriction_id: int
    action: str  # "lift" or "change"
    reason: str
    text: str = ""


def out(row: dict[str, Any]) -> RestrictionOut:
    status = "active" if row["lifted_at"] is None else ("changed" if row["replaced_by"] else "lifted")
    return RestrictionOut(
        id=row["id"], text=row["text"], status=status, added_at=_dt(row["added_at"]), added_by=row["added_by"],
        added_reason=row["added_reason"], added_case_id=row["added_case"], replaces=row["replaces"],
        lifted_at=_dt(row["lifted_at"]), lifted_by=row["lifted_by"], lift_reason=row["lift_reason"],
        lifted_case_id=row["lifted_case"], replaced_by=row["replaced_by"])


async def history(resource_id: int) -> list[RestrictionOut]:
    """Every restriction the resource has had, oldest first."""
    rows = await ResourceRestriction.select().where(
        ResourceRestriction.resource == resource_id).order_by(ResourceRestriction.id)
    return [out(r) for r in rows]


async def in_force(resource_id: int) -> list[RestrictionOut]:
    return [r for r in await history(resource_id) if r.status == "active"]


async def _sync_text(resource_id: int) -> str | None:
    """Write the restrictions in force to the resource's text column; returns the text."""
    rows = await ResourceRestriction.select(ResourceRestriction.text).where(
        (ResourceRestriction.resource == resource_id) & ResourceRestriction.lifted_at.is_null()
    ).order_by(ResourceRestriction.id)
    text = "\n".join(dict.fromkeys(r["text"] for r in rows)) or None
    await Resource.update({Resource.restrictions: text}).where(Resource.id == resource_id)
    return text


INITIAL_REASON = "Registrert da læremidlet ble lagt inn."


def initial_lines(text: str | None) -> list[str]:
    """The restrictions in a text a resource is entered with: one a line, each once."""
    return list(dict.fromkeys(line.strip() for line in (text or "").split("\n") if line.strip()))


async def record_initial(resource_id: int, lines: list[str], actor: Principal) -> None:
    """The restrictions a resource is entered with (inside the creating transaction)."""
    stamp = _now()
    for line in lines:
        await ResourceRestriction.insert(ResourceRestriction(
            resource=resource_id, text=line, added_at=stamp, added_by=actor.label, added_reason=INITIAL_REASON))


TEXT_MAX, REASON_MAX = 2000, 5000


def _check_lengths(text: str, reason: str, errors: FieldErrors, prefix: str = "") -> None:
    if len(text.strip()) > TEXT_MAX:
        errors.add(f"{prefix}text", f"at most {TEXT_MAX} characters")
    if len(reason.strip()) > REASON_MAX:
        errors.add(f"{prefix}reason", f"at most {REASON_MAX} characters")


def check_changes(changes: list[Change], active_ids: set[int], errors: FieldErrors,
                  prefix: str = "restriction_changes") -> None:
    """Each change names a restriction in force (once), gives a reason, and a change gives new text."""
    seen: set[int] = set()
    for index, change in enumerate(changes):
        where = f"{prefix}[{index}]"
        if change.restriction_id not in active_ids:
            errors.add(f"{where}.restriction_id", "no restriction in force with this id on the resource")
        elif change.restriction_id in seen:
            errors.add(f"{where}.restriction_id", "decide about each restriction once")
        seen.add(change.restriction_id)
        if change.action not in ("lift", "change"):
            errors.add(f"{where}.action", "lift or change")
        if not change.reason.strip():
            errors.add(f"{where}.reason", "give a reason for lifting or changing the restriction")
        if change.action == "change" and not change.text.strip():
            errors.add(f"{where}.text", "write the restriction as it reads from now on")
        _check_lengths(change.text, change.reason, errors, f"{where}.")


async def apply(resource_id: int, *, added: list[tuple[str, str, str | None]], changes: list[Change],
                actor: Principal, case_id: int | None = None) -> list[int]:
    """Inside the caller's transaction: lift or change restrictions in force and add new ones
    (text, reason, and who decided it when that was not ``actor``, as in an earlier step of a
    case). Returns the ids of the restrictions added. A restriction lifted by someone
    else meanwhile makes the whole decision fail (409), so nothing is half done."""
    stamp = _now()
    new_ids: list[int] = []
    for change in changes:
        lifted = await ResourceRestriction.update({
            ResourceRestriction.lifted_at: stamp, ResourceRestriction.lifted_by: actor.label,
            ResourceRestriction.lift_reason: change.reason.strip(), ResourceRestriction.lifted_case: case_id,
        }).where((ResourceRestriction.id == change.restriction_id) & (ResourceRestriction.resource == resource_id)
                 & ResourceRestriction.lifted_at.is_null()).returning(ResourceRestriction.id, ResourceRestriction.text)
        if not lifted:
            raise Problem(409, f"Restriction {change.restriction_id} is no longer in force.",
                          errors=[{"field": "restriction_id", "message": "no longer in force"}])
        if change.action == "change":
            inserted = await ResourceRestriction.insert(ResourceRestriction(
                resource=resource_id, text=change.text.strip(), added_at=stamp, added_by=actor.label,
                added_reason=change.reason.strip(), added_case=case_id, replaces=change.restriction_id,
            )).returning(ResourceRestriction.id)
            await ResourceRestriction.update({ResourceRestriction.replaced_by: inserted[0]["id"]}).where(
                ResourceRestriction.id == change.restriction_id)
            new_ids.append(inserted[0]["id"])
        await audit.append(f"restriction.{change.action}", "resource", resource_id,
                           {"restriction_id": change.restriction_id, "reason": change.reason.strip(),
                            "old": lifted[0]["text"], "new": change.text.strip() or None, "case_id": case_id},
                           actor=actor.label, actor_user_id=actor.user_id)
    current = {r.text for r in await in_force(resource_id)}
    for text, reason, decided_by in added:
        text = text.strip()
        if not text or text in current:
            continue  # the same words again are the same restriction
        current.add(text)
        inserted = await ResourceRestriction.insert(ResourceRestriction(
            resource=resource_id, text=text, added_at=stamp, added_by=decided_by or actor.label,
            added_reason=reason.strip(), added_case=case_id)).returning(ResourceRestriction.id)
        new_ids.append(inserted[0]["id"])
        await audit.append("restriction.add", "resource", resource_id,
                           {"restriction_id": inserted[0]["id"], "text": text, "reason": reason.strip(),
                            "case_id": case_id}, actor=actor.label, actor_user_id=actor.user_id)
    await _sync_text(resource_id)
    return new_ids


async def decide(resource_id: int, principal: Principal, *, add: tuple[str, str] | None = None,
                 change: Change | None = None) -> RestrictionOut:
    """The sector office's own decision outside a case: add one restriction, or lift or change one.
    The resource's version moves on, and the search index follows."""
    from catalogue.privacy_docs.history import record_change
    from catalogue.search.index import index_resource

    errors = FieldErrors()
    text, reason = add if add is not None else (change.text if change else "", change.reason if change else "")
    if (add is not None or (change and change.action == "change")) and not text.strip():
        errors.add("text", "write the restriction as it reads from now on")
    if not reason.strip():
        errors.add("reason", "give a reason for the decision about the restriction")
    _check_lengths(text, reason, errors)
    errors.raise_if_any()
    async with write_transaction():
        current = await Resource.select(Resource.version, Resource.status).where(Resource.id == resource_id).first()
        if current is None or current["status"] == "archived":
            raise Problem(404, f"No resource with id {resource_id}.")
        if change is not None:
            active = {r.id for r in await in_force(resource_id)}
            if change.restriction_id not in active:
                known = await ResourceRestriction.exists().where(
                    (ResourceRestriction.id == change.restriction_id) & (ResourceRestriction.resource == resource_id))
                if not known:
                    raise Problem(404, f"No restriction with id {change.restriction_id} on this resource.")
                raise Problem(409, "The restriction is no longer in force.", allowed_actions=[])
        if add is not None and add[0].strip() in {r.text for r in await in_force(resource_id)}:
            raise Problem(409, "The resource already has this restriction.",
                          errors=[{"field": "text", "message": "already in force"}])
        ids = await apply(resource_id, added=[(*add, None)] if add else [], changes=[change] if change else [],
                          actor=principal)
        await Resource.update({Resource.version: current["version"] + 1, Resource.updated_at: _now(),
                               Resource.updated_by: principal.label}).where(Resource.id == resource_id)
        await index_resource(resource_id)
        await record_change(resource_id, actor=principal.label, source="restriction.decide")
    wanted = ids[0] if ids else change.restriction_id  # type: ignore[union-attr]
    return next(r for r in await history(resource_id) if r.id == wanted)
