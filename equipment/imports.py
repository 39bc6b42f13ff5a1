"""Holdings spreadsheet import per unit: a dry run checks every row and keeps the upload; applying
it later writes exactly what was checked, unless the unit's holdings changed in between.

Columns (Norwegian headers, English ones too, in any order): ``type`` (the kind's code or name),
``antall``, ``anskaffet`` (a date cell, YYYY-MM-DD, DD.MM.YYYY, or a year alone, read as 1 January),
``finansiert`` (programmets investeringsmidler / enhetens budsjett), and optionally ``modell``,
``merknad`` and ``enhet`` (the unit's code or name; a row for another unit is an error).
``replace`` makes the sheet the unit's whole register; ``append`` adds its rows."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from typing import Any

from catalogue import spreadsheets
from catalogue.db import write_transaction
from catalogue.problems import Problem
from catalogue.security.access import Principal
from catalogue.tables import Unit
from equipment.common import as_date, as_datetime, from_json, now, today
from equipment.holdings import (
    ensure_profile,
    holdings_version,
    may_edit_holdings,
    new_stamp,
    not_served,
    unit_row,
)
from equipment.schemas import ImportErrorOut, ImportOut, ImportRowOut
from equipment.tables import EquipmentKind, Holding, HoldingImport
from workflows import audit

MODES = ("replace", "append")
COLUMNS = {
    "kind": ("type", "utstyrstype", "utstyr", "kind"),
    "model": ("modell", "model"),
    "count": ("antall", "count"),
    "acquired_on": ("anskaffet", "anskaffelsesdato", "innkjøpt", "kjøpt", "dato", "acquired_on", "acquired"),
    "funded_by": ("finansiert", "finansiert av", "finansiering", "betalt av", "funded_by", "funded by"),
    "note": ("merknad", "kommentar", "note"),
    "unit": ("enhet", "enhetskode", "unit"),
}
REQUIRED = ("kind", "count", "acquired_on", "funded_by")
FUNDING_WORDS = {
    "investment": ("investment", "investering", "investeringsmidler", "programmets investeringsmidler",
                   "programmet", "program"),
    "unit_budget": ("unit_budget", "budsjett", "enhetens budsjett", "eget budsjett", "enhetens eget budsjett",
                    "egne midler", "enheten"),
}


def _norm(text: Any) -> str:
    return re.sub(r"[\s_]+", " ", str(text or "").strip().casefold())


def _column_map(headers: list[str]) -> dict[str, str]:
    """Our field → the header it is under in this sheet."""
    found: dict[str, str] = {}
    for header in headers:
        key = _norm(header)
        for name, aliases in COLUMNS.items():
            if key in {_norm(a) for a in aliases} and name not in found:
                found[name] = header
    return found


def _count(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("write the number of devices")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.replace(" ", "")):
        value = int(value.replace(" ", ""))
    if not isinstance(value, int):
        raise ValueError("write the number of devices as a whole number")
    if value < 0:
        raise ValueError("the count cannot be negative")
    if value == 0:
        raise ValueError("the count must be at least 1 (leave out devices the unit does not have)")
    if value > 1_000_000:
        raise ValueError("the count is too large")
    return value


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        text = str(value).strip()
        if isinstance(value, (int, float)) and float(value).is_integer():
            text = str(int(value))
        match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
        try:
            if match:
                day = datetime.date(int(match[3]), int(match[2]), int(match[1]))
            elif re.fullmatch(r"\d{4}", text):
                day = datetime.date(int(text), 1, 1)
            else:
                day = datetime.date.fromisoformat(text[:10])
        except ValueError:
            raise ValueError("write the date as YYYY-MM-DD or DD.MM.YYYY") from None
    if day > today():
        raise ValueError("the acquired date cannot be in the future")
    if day.year < 1990:
        raise ValueError("not a plausible date")
    return day


def _funding(value: Any) -> str:
    key = _norm(value)
    for code, words in FUNDING_WORDS.items():
        if key in {_norm(w) for w in words}:
            return code
    raise ValueError("write «programmets investeringsmidler» or «enhetens budsjett»")


async def check_sheet(sheet: spreadsheets.Sheet, unit: dict[str, Any],
                      principal: Principal) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows as holdings, and every error as (row, column, message)."""
    columns = _column_map(sheet.headers)
    errors: list[dict[str, Any]] = []
    for name in REQUIRED:
        if name not in columns:
            errors.append({"row": 1, "column": COLUMNS[name][0], "message": "the column is missing"})
    if errors:
        return [], errors
    kinds = {}
    for row in await EquipmentKind.select(EquipmentKind.code, EquipmentKind.name):
        kinds[_norm(row["code"])] = row["code"]
        kinds.setdefault(_norm(row["name"]), row["code"])
    units = {}
    if "unit" in columns:
        for row in await Unit.select(Unit.code, Unit.name):
            units[_norm(row["code"])] = row["code"]
            units.setdefault(_norm(row["name"]), row["code"])
    rows: list[dict[str, Any]] = []
    for record in sheet.rows:
        cells = {name: record.cells.get(header) for name, header in columns.items()}
        problems: list[tuple[str, str]] = []
        parsed: dict[str, Any] = {"row": record.number}
        if cells.get("unit") is not None:
            named = units.get(_norm(cells["unit"]))
            if named is None:
                problems.append(("unit", f"unknown unit {cells['unit']!r}"))
            elif named != unit["code"]:
                served = may_edit_holdings(principal, named)
                problems.append(("unit", f"the row is for {named}, not {unit['code']}" if served
                                 else f"the row is for {named}, a unit you do not serve"))
        kind = kinds.get(_norm(cells.get("kind"))) if cells.get("kind") is not None else None
        if kind is None:
            problems.append(("kind", f"unknown equipment kind {cells.get('kind')!r}" if cells.get("kind") is not None
                             else "required"))
        parsed["kind"] = kind
        for name, reader in (("count", _count), ("acquired_on", _date), ("funded_by", _funding)):
            if cells.get(name) is None:
                problems.append((name, "required"))
                continue
            try:
                parsed[name] = reader(cells[name])
            except ValueError as exc:
                problems.append((name, str(exc)))
        parsed["model"] = str(cells.get("model") or "")[:200]
        parsed["note"] = str(cells.get("note") or "")[:2000]
        if re.search(r"[\x00-\x1f\x7f]", parsed["model"]):
            problems.append(("model", "has an invalid character"))
        for name, message in problems:
            errors.append({"row": record.number, "column": columns.get(name, COLUMNS[name][0]), "message": message})
        if not problems:
            rows.append(parsed)
    if not sheet.rows:
        errors.append({"row": 1, "column": "", "message": "the sheet has no rows below the header"})
    return rows, errors


def _out(row: dict[str, Any], unit_code: str) -> ImportOut:
    rows = from_json(row["rows"], [])
    return ImportOut(
        id=row["id"], unit=unit_code, filename=row["filename"], mode=row["mode"], status=row["status"],
        rows=[ImportRowOut(row=r["row"], kind=r["kind"], model=r["model"], count=r["count"],
                           acquired_on=as_date(r["acquired_on"]), funded_by=r["funded_by"], note=r["note"])
              for r in rows],
        errors=[ImportErrorOut(**e) for e in from_json(row["errors"], [])],
        devices=sum(r["count"] for r in rows), replaces=len(from_json(row["replaced"], []))
        if row["status"] == "applied" else row.get("replaces", 0),
        created_at=as_datetime(row["created_at"]), applied_at=as_datetime(row["applied_at"]))


async def _current_count(unit_id: int) -> int:
    rows = await Holding.raw("SELECT COUNT(*) AS n FROM equipment_holding WHERE unit = {}", unit_id)
    return int(rows[0]["n"])


async def dry_run(code: str, content: bytes, filename: str, content_type: str | None, mode: str,
                  principal: Principal) -> ImportOut:
    """Check an upload and keep it: the answer lists the rows it would write and every error."""
    unit = await unit_row(code)
    if not may_edit_holdings(principal, code):
        raise not_served(code)
    if mode not in MODES:
        raise Problem(422, "mode: use replace or append", errors=[{"field": "mode", "message": "use replace or append"}])
    try:
        sheet = spreadsheets.read(content, filename, content_type)
    except spreadsheets.SpreadsheetError as exc:
        raise Problem(422, f"file: {exc}", type_slug="unreadable-spreadsheet",
                      errors=[{"field": "file", "message": str(exc)}]) from None
    rows, errors = await check_sheet(sheet, unit, principal)
    async with write_transaction():
        await ensure_profile(unit["id"])
        version = await holdings_version(unit["id"])
        stamp = now()
        inserted = await HoldingImport.insert(HoldingImport(
            unit=unit["id"], filename=(filename or "beholdning")[:255], sha256=hashlib.sha256(content).hexdigest(),
            mode=mode, content=content, rows=json.dumps(rows, default=str), errors=json.dumps(errors),
            replaced="[]", holdings_version=version, status="invalid" if errors else "checked",
            uploaded_by=principal.user_id, uploaded_by_label=principal.label, created_at=stamp,
        )).returning(HoldingImport.id)
        import_id = inserted[0]["id"]
        await audit.append("holding_import.check", "holding_import", import_id,
                           {"unit": code, "mode": mode, "rows": len(rows), "errors": len(errors),
                            "sha256": hashlib.sha256(content).hexdigest()},
                           actor=principal.label, actor_user_id=principal.user_id)
    return await get_import(import_id, principal)


async def _import_row(import_id: int, principal: Principal) -> tuple[dict[str, Any], str]:
    row = await HoldingImport.select(
        *[c for c in HoldingImport._meta.columns if c._meta.name != "content"]).where(
        HoldingImport.id == import_id).first()
    if row is None:
        raise Problem(404, f"No import with id {import_id}.")
    code = (await Unit.select(Unit.code).where(Unit.id == row["unit"]).first())["code"]
    if not may_edit_holdings(principal, code):
        raise Problem(404, f"No import with id {import_id}.")
    return row, code


async def get_import(import_id: int, principal: Principal) -> ImportOut:
    row, code = await _import_row(import_id, principal)
    if row["status"] != "applied" and row["mode"] == "replace":
        row["replaces"] = await _current_count(row["unit"])
    return _out(row, code)


async def apply(import_id: int, principal: Principal) -> ImportOut:
    """Write a checked import. 409 when it had errors, was applied already, or the unit's holdings
    changed since the dry run (then nothing is written: check the sheet again)."""
    async with write_transaction():
        row, code = await _import_row(import_id, principal)
        if row["status"] == "applied":
            raise Problem(409, "This import has been applied already.", type_slug="import-applied")
        if row["status"] != "checked":
            raise Problem(409, "The sheet has errors; correct them and upload it again.", type_slug="import-invalid",
                          errors=[{"field": "file", **e} for e in from_json(row["errors"], [])])
        bumped = await HoldingImport.raw(
            "UPDATE equipment_unit_profile SET holdings_version = {} WHERE unit = {} AND holdings_version = {}"
            " RETURNING id", new_stamp(), row["unit"], row["holdings_version"])
        if not bumped:
            raise Problem(409, "The unit's holdings changed after the dry run; upload the sheet again to check it "
                          "against them.", type_slug="import-stale")
        replaced: list[dict[str, Any]] = []
        if row["mode"] == "replace":
            replaced = [{**r, "acquired_on": str(as_date(r["acquired_on"]))} for r in await Holding.raw(
                "SELECT h.id AS id, k.code AS kind, h.model AS model, h.count AS count, h.acquired_on AS acquired_on,"
                " h.funded_by AS funded_by, h.note AS note FROM equipment_holding h"
                " JOIN equipment_kind k ON k.id = h.kind WHERE h.unit = {}", row["unit"])]
            await Holding.delete().where(Holding.unit == row["unit"])
        kinds = {r["code"]: r["id"] for r in await EquipmentKind.select(EquipmentKind.id, EquipmentKind.code)}
        rows = from_json(row["rows"], [])
        stamp = now()
        holdings = []
        for item in rows:
            acquired = as_date(item["acquired_on"])
            holdings.append(Holding(unit=row["unit"], kind=kinds[item["kind"]], model=item["model"],
                                    count=item["count"], acquired_on=acquired, acquired_year=acquired.year,
                                    funded_by=item["funded_by"], note=item["note"], version=1, created_at=stamp,
                                    updated_at=stamp, created_by=principal.label, updated_by=principal.label))
        for start in range(0, len(holdings), 500):
            await Holding.insert(*holdings[start:start + 500])
        await HoldingImport.update({HoldingImport.status: "applied", HoldingImport.applied_at: stamp,
                                    HoldingImport.replaced: json.dumps(replaced, default=str)}).where(
            HoldingImport.id == import_id)
        await audit.append("holding_import.apply", "holding_import", import_id,
                           {"unit": code, "mode": row["mode"], "rows": len(rows),
                            "devices": sum(r["count"] for r in rows), "replaced_rows": len(replaced)},
                           actor=principal.label, actor_user_id=principal.user_id)
    return await get_import(import_id, principal)
