"""Rebuild the history of privacy records from what the service kept before the history existed:
the audit log (resource.create, .import, .update with the fields it changed, and the status
changes of the workflow's effects) and the case events of privacy and procurement approvals
(the privacy record and the cost they wrote).

What the old data cannot tell is marked, not guessed: a field changed later whose value at
creation was never logged (the privacy record a resource was created with, when it was changed
afterwards) is listed in the snapshot's ``unknown`` from creation until its first logged change.
A field never changed since creation has today's value all along. The migration that makes the
history table runs this once; the live tables are recorded last, as they are at that moment."""

from __future__ import annotations

import datetime
import json
from typing import Any

import msgspec

from catalogue.privacy_docs.history import (
    as_utc,
    FACETS,
    SNAPSHOT_VERSION,
    _insert,
    canonical,
    digest,
    live_snapshots,
    utcnow,
)
from catalogue.schemas import PrivacyRecordBody
from catalogue.search.sql import execute

UNKNOWN = object()
FIELDS = ("name", "kind", "description", "url", "status", "in_base_package", "annual_cost_nok", "licence_model",
          "restrictions", "guidance_url", "vendor", *FACETS.values(), "privacy", "accessibility")
STATUS_EFFECTS = {"resource.submit": "in_review", "resource.withdraw": "archived", "resource.reject": "rejected",
                  "resource.phasing_out": "phasing_out", "resource.archive": "archived"}
APPROVALS = ("approve", "approve_with_restrictions")


def _data(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        loaded = json.loads(value or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _privacy(record: Any) -> Any:
    try:
        return msgspec.to_builtins(msgspec.convert(record, PrivacyRecordBody, strict=False))
    except (msgspec.ValidationError, TypeError):
        return UNKNOWN


def _from_update(changed: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in FIELDS:
        if name not in changed:
            continue
        value = changed[name]
        if name == "privacy":
            value = _privacy(value)
        elif name == "accessibility":
            value = {"statement_url": (value or {}).get("statement_url"),
                     "claimed_conformance": (value or {}).get("claimed_conformance") or "unknown"}
        elif name == "vendor" and isinstance(value, dict):
            value = {"name": value.get("name"), "organisation_number": value.get("organisation_number"),
                     "country": value.get("country") or "NO"}
        elif name in FACETS.values():
            value = list(dict.fromkeys(value or []))
        values[name] = value
    return values


async def _table_exists(name: str) -> bool:
    try:
        await execute(f"SELECT 1 FROM {name} LIMIT 1")
    except Exception:  # noqa: BLE001 (a missing table errs differently on each engine)
        return False
    return True


async def _setters() -> tuple[dict[int, list[tuple[datetime.datetime, int, dict[str, Any]]]], dict[int, dict]]:
    """Per resource, the logged changes in order: (time, order, {field: value}); and what each
    resource's creation logged."""
    changes: dict[int, list[tuple[datetime.datetime, int, dict[str, Any]]]] = {}
    created: dict[int, dict[str, Any]] = {}
    order = 0
    if await _table_exists("audit_log"):
        rows = await execute("SELECT id, occurred_at, action, object_type, object_id, data FROM audit_log"
                             " WHERE object_type IN ('resource', 'resource_import') ORDER BY id")
        for row in rows:
            data = _data(row["data"])
            action = row["action"]
            if action == "resource.import":
                for item in data.get("resources") or []:
                    created[int(item[0])] = {"name": item[1], "status": item[2]}
                continue
            try:
                resource_id = int(row["object_id"])
            except ValueError:
                continue
            values: dict[str, Any] = {}
            if action == "resource.create":
                created[resource_id] = {k: data[k] for k in ("name", "status") if k in data}
                continue
            if action == "resource.update":
                values = _from_update(data.get("changed") or {})
            elif action in STATUS_EFFECTS:
                values = {"status": STATUS_EFFECTS[action]}
            elif action == "resource.publish":
                values = {"status": "published", "restrictions": UNKNOWN}
                if "in_base_package" in data:
                    values["in_base_package"] = bool(data["in_base_package"])
                if isinstance(data.get("units"), list):
                    values["units"] = list(dict.fromkeys(data["units"]))
            elif action == "resource.renew":
                values = {"restrictions": UNKNOWN}
            elif action == "resource.phased_out":
                values = {"status": "phased_out", "in_base_package": False, "units": []}
            if values:
                order += 1
                changes.setdefault(resource_id, []).append((as_utc(row["occurred_at"]), order, values))
    if await _table_exists("case_event"):
        rows = await execute(
            "SELECT e.occurred_at, e.from_state, e.data, c.resource FROM case_event e"
            " JOIN workflow_case c ON c.id = e.\"case\" WHERE e.action IN ('approve', 'approve_with_restrictions')"
            " AND e.from_state IN ('privacy_review', 'procurement') ORDER BY e.id")
        for row in rows:
            form = _data(row["data"]).get("form") or {}
            if row["from_state"] == "privacy_review":
                values = {"privacy": _privacy(form.get("record") or {})}
            else:
                values = {"annual_cost_nok": form.get("annual_cost_nok")}
            order += 1
            changes.setdefault(row["resource"], []).append((as_utc(row["occurred_at"]), order, values))
    return changes, created


def _snapshot(values: dict[str, Any], demo: bool) -> dict[str, Any]:
    unknown = sorted(name for name, value in values.items() if value is UNKNOWN)
    snapshot = {name: (None if value is UNKNOWN else value) for name, value in values.items()}
    snapshot.update(v=SNAPSHOT_VERSION, demo=demo)
    for name in FACETS.values():
        snapshot[name] = snapshot[name] or []
    if snapshot["privacy"] is None:
        snapshot["privacy"] = msgspec.to_builtins(PrivacyRecordBody())
    if snapshot["accessibility"] is None:
        snapshot["accessibility"] = {"statement_url": None, "claimed_conformance": "unknown"}
    if unknown:
        snapshot["unknown"] = unknown
    return snapshot


async def backfill(now: datetime.datetime | None = None) -> int:
    """Write the rebuilt history of every resource, then its live state; returns rows written."""
    stamp = now or utcnow()
    live = await live_snapshots()
    if not live:
        return 0
    created_at = {r["id"]: as_utc(r["created_at"]) for r in await execute("SELECT id, created_at FROM resource")}
    changes, created = await _setters()
    rows = []
    for resource_id, current in sorted(live.items()):
        logged = sorted(changes.get(resource_id, []), key=lambda c: (c[0], c[1]))
        touched = {name for _, _, values in logged for name in values}
        initial = {name: (UNKNOWN if name in touched else current.get(name)) for name in FIELDS}
        initial.update(created.get(resource_id, {}))
        start = min([created_at.get(resource_id, stamp), *(t for t, _, _ in logged)])
        state = dict(initial)
        points = [(start, "backfill:create", dict(state))]
        for when, _, values in logged:
            state.update(values)
            points.append((when, "backfill:audit", dict(state)))
        previous = None
        for when, source, values in points:
            snapshot = _snapshot(values, current["demo"])
            value = digest(snapshot)
            if value != previous:
                rows.append((resource_id, when, "backfill", source, value, canonical(snapshot)))
                previous = value
        if digest(current) != previous:
            rows.append((resource_id, max(stamp, points[-1][0]), "backfill", "baseline", digest(current),
                         canonical(current)))
    await _insert(rows)
    return len(rows)
