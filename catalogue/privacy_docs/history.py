"""The history of privacy records: one row per change of what the privacy documents show about a
resource (its privacy record and the facts around it: name, status, units, levels, base package,
cost, restrictions, accessibility statement), so the record of processing can be rebuilt as it
stood on any day since.

Every write of a resource, its facets or its privacy record calls :func:`record_changes` inside
the transaction of the change (catalogue.resources, catalogue.search.bulk, workflows.service). A
row is only written when the snapshot differs from the resource's newest one, so calling it twice
costs a read, never a duplicate. ``catalogue privacy-history check`` finds resources whose newest
row does not match the tables (a write path that forgot to call it) and ``--record`` mends them."""

from __future__ import annotations

import datetime
import hashlib
import json
import typing
from typing import Any, Iterable

import msgspec

from catalogue.db import current_engine
from catalogue.schemas import PrivacyRecordBody
from catalogue.search.sql import execute
from catalogue.timestamps import as_utc, utcnow  # noqa: F401 - also used through this module

PRIVACY_FIELDS = tuple(PrivacyRecordBody.__struct_fields__)
# list-valued fields are stored as JSON text
_LIST_FIELDS = frozenset(f.name for f in msgspec.structs.fields(PrivacyRecordBody)
                         if typing.get_origin(f.type) is list)
_BOOL_FIELDS = ("special_categories", "transfers_outside_eea")
FACETS = {"level": "levels", "subject": "subjects", "area": "kindergarten_areas", "unit": "units"}
SNAPSHOT_VERSION = 1
TABLES = frozenset({"privacy_history"})  # made by raw DDL (migrations/catalogue/catalogue_0006)
_CHUNK = 500


def canonical(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def digest(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(snapshot).encode("utf-8")).hexdigest()


def _json(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, (list, dict)):
        return value
    return msgspec.json.decode(value)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)[:10]


_DATE_FIELDS = ("dpa_date", "dpa_expires", "dpia_date")
# (field, column, how to read it) for each field of a privacy record, worked out once
_READERS = tuple(
    (name, f"p_{name}", "list" if name in _LIST_FIELDS else "bool" if name in _BOOL_FIELDS
     else "tristate" if name == "processes_personal_data" else "date" if name in _DATE_FIELDS else "plain")
    for name in PRIVACY_FIELDS)
_EMPTY_RECORD = msgspec.to_builtins(PrivacyRecordBody())


def _privacy(row: dict[str, Any]) -> dict[str, Any]:
    if row.get("p_resource") is None:  # no privacy record row: the defaults of an empty one
        return msgspec.json.decode(msgspec.json.encode(_EMPTY_RECORD))
    record: dict[str, Any] = {}
    for name, column, kind in _READERS:
        value = row[column]
        if kind == "plain":
            pass
        elif kind == "list":
            value = _json(value)
        elif kind == "bool":
            value = bool(value)
        elif kind == "tristate":
            value = None if value is None else bool(value)
        else:
            value = _iso(value)
        record[name] = value
    return record


_SELECT = (
    "SELECT r.id, r.name, r.kind, r.description, r.url, r.status, r.in_base_package, r.annual_cost_nok,"
    " r.licence_model, r.restrictions, r.guidance_url, r.is_demo, r.created_at,"
    " v.name AS vendor_name, v.organisation_number AS vendor_org, v.country AS vendor_country,"
    " p.resource AS p_resource, " + ", ".join(f"p.{name} AS p_{name}" for name in PRIVACY_FIELDS) + ","
    " a.statement_url AS a_statement_url, a.claimed_conformance AS a_claimed_conformance"
    " FROM resource r LEFT JOIN vendor v ON v.id = r.vendor"
    " LEFT JOIN privacy_record p ON p.resource = r.id"
    " LEFT JOIN accessibility_record a ON a.resource = r.id"
)


def snapshot_of(row: dict[str, Any], facets: dict[str, list[str]]) -> dict[str, Any]:
    """What the privacy documents show about one resource, as plain JSON data."""
    vendor = None
    if row.get("vendor_name") is not None:
        vendor = {"name": row["vendor_name"], "organisation_number": row["vendor_org"],
                  "country": row["vendor_country"]}
    return {
        "v": SNAPSHOT_VERSION,
        "name": row["name"],
        "kind": row["kind"],
        "description": row["description"] or "",
        "url": row["url"],
        "status": row["status"],
        "in_base_package": bool(row["in_base_package"]),
        "annual_cost_nok": row["annual_cost_nok"],
        "licence_model": row["licence_model"],
        "restrictions": row["restrictions"],
        "guidance_url": row["guidance_url"],
        "demo": bool(row["is_demo"]),
        "vendor": vendor,
        **{name: list(facets.get(facet, [])) for facet, name in FACETS.items()},
        "privacy": _privacy(row),
        "accessibility": {"statement_url": row.get("a_statement_url"),
                          "claimed_conformance": row.get("a_claimed_conformance") or "unknown"},
    }


async def live_snapshots(condition: str = "1 = 1", *args: Any,
                         facets: tuple[str, ...] = tuple(FACETS)) -> dict[int, dict[str, Any]]:
    """Snapshots of the resources matching ``condition`` (SQL over ``r``, the resource table, with
    ``{}`` placeholders for ``args``), read from the tables as they are now. A reader that needs
    fewer of the facets may name them (the others are then empty): never for recording."""
    rows = await execute(f"{_SELECT} WHERE {condition}", *args)
    if not rows:
        return {}
    wanted = ", ".join(f"'{f}'" for f in facets if f in FACETS)
    facet_rows = await execute(
        "SELECT f.resource, f.facet, f.value FROM resource_facet f JOIN resource r ON r.id = f.resource"
        f" WHERE ({condition}) AND f.facet IN ({wanted})"
        " ORDER BY f.resource, f.facet, f.position", *args) if wanted else []
    facets: dict[int, dict[str, list[str]]] = {}
    for f in facet_rows:
        facets.setdefault(f["resource"], {}).setdefault(f["facet"], []).append(f["value"])
    return {row["id"]: snapshot_of(row, facets.get(row["id"], {})) for row in rows}


def _marks(count: int) -> str:
    return ", ".join("{}" for _ in range(count))


async def _latest_digests(ids: list[int]) -> dict[int, str]:
    rows = await execute(
        "SELECT h.resource, h.digest FROM privacy_history h WHERE h.id IN"
        f" (SELECT MAX(id) FROM privacy_history WHERE resource IN ({_marks(len(ids))}) GROUP BY resource)", *ids)
    return {r["resource"]: r["digest"] for r in rows}


async def _insert(rows: list[tuple[int, datetime.datetime, str, str, str, str]]) -> None:
    for start in range(0, len(rows), 200):
        chunk = rows[start:start + 200]
        await execute(
            "INSERT INTO privacy_history (resource, valid_from, recorded_by, source, digest, snapshot) VALUES "
            + ", ".join("({}, {}, {}, {}, {}, {})" for _ in chunk), *[v for row in chunk for v in row])


async def record_changes(resource_ids: Iterable[int], *, actor: str, source: str,
                         at: datetime.datetime | None = None) -> int:
    """Write a history row for each resource whose snapshot changed. Must run inside the
    transaction of the change, so the change and its history commit or roll back together.
    Returns the number of rows written."""
    if current_engine().current_transaction.get() is None:
        raise RuntimeError("record_changes must run inside the transaction of the change it records")
    ids = sorted(set(resource_ids))
    stamp = at or utcnow()
    written = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        snapshots = await live_snapshots(f"r.id IN ({_marks(len(chunk))})", *chunk)
        latest = await _latest_digests(chunk)
        rows = []
        for resource_id, snapshot in snapshots.items():
            value = digest(snapshot)
            if latest.get(resource_id) != value:
                rows.append((resource_id, stamp, actor[:200], source[:40], value, canonical(snapshot)))
        await _insert(rows)
        written += len(rows)
    return written


async def record_change(resource_id: int, *, actor: str, source: str) -> int:
    return await record_changes([resource_id], actor=actor, source=source)


async def snapshots_as_of(cutoff: datetime.datetime) -> dict[int, dict[str, Any]]:
    """Each resource's newest snapshot written before ``cutoff`` (resources made later are absent)."""
    rows = await execute(
        "SELECT h.id, h.resource, h.snapshot FROM privacy_history h JOIN"
        " (SELECT resource, MAX(valid_from) AS last FROM privacy_history WHERE valid_from < {}"
        " GROUP BY resource) newest ON newest.resource = h.resource AND newest.last = h.valid_from", cutoff)
    chosen: dict[int, tuple[int, str]] = {}
    for row in rows:  # two rows of one resource in the same instant: the later written wins
        if row["resource"] not in chosen or row["id"] > chosen[row["resource"]][0]:
            chosen[row["resource"]] = (row["id"], row["snapshot"])
    return {resource_id: msgspec.json.decode(text) for resource_id, (_, text) in chosen.items()}


async def first_recorded() -> datetime.datetime | None:
    """When the history starts (its oldest row), or None when it is empty."""
    rows = await execute("SELECT MIN(valid_from) AS first FROM privacy_history")
    first = rows[0]["first"] if rows else None
    return None if first is None else as_utc(first)


async def change_counter() -> int:
    """The newest history row's id: moves whenever anything the privacy documents show changes."""
    rows = await execute("SELECT MAX(id) AS n FROM privacy_history")
    return int(rows[0]["n"] or 0)


async def drift() -> list[int]:
    """Resources whose newest history row differs from the tables (or that have none)."""
    out: list[int] = []
    ids = [r["id"] for r in await execute("SELECT id FROM resource ORDER BY id")]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        snapshots = await live_snapshots(f"r.id IN ({_marks(len(chunk))})", *chunk)
        latest = await _latest_digests(chunk)
        out.extend(i for i, s in snapshots.items() if latest.get(i) != digest(s))
    return sorted(out)
