"""The gap and plan as XLSX (a sheet each for the units, the kinds and the investment plan per
year) or CSV (one table), for the municipality or one unit, with Norwegian headers."""

from __future__ import annotations

import datetime

from catalogue.spreadsheets import SheetData, csv_bytes, xlsx_bytes
from catalogue.security.access import Principal
from equipment import domain
from equipment.common import today
from equipment.holdings import seen_unit, visible_units
from equipment.plan import DEFAULT_YEARS, load_inputs, municipality_plan_from, plan_unit
from equipment.schemas import KindGap, UnitPlanOut, YearPlan

TABLES = ("gap", "plan", "units")
GAP_HEADER = ["Enhet (kode)", "Enhet", "Type enhet", "Utstyrstype (kode)", "Utstyrstype", "Standarden krever",
              "Har", "Innenfor levetid", "Over levetid", "Mangler", "Overskudd", "Stykkpris (kr)",
              "Kostnad for å dekke mangel (kr)"]
PLAN_HEADER = ["År", "Når levetiden", "Kjøp for å dekke mangel", "Kjøp for utskifting", "Kjøp i alt",
               "Kostnad mangel (kr)", "Kostnad utskifting (kr)", "Kostnad i alt (kr)"]
UNITS_HEADER = ["Enhet (kode)", "Enhet", "Type enhet", "Tall registrert", "Standarden krever", "Har", "Mangler",
                "Kostnad mangel (kr)", "Plan i alt (kr)", "Elever", "Elevenheter", "Dekning (elevenheter per elev)"]


def _gap_rows(plan: UnitPlanOut) -> list[list]:
    return [[plan.unit.code, plan.unit.name, plan.unit.kind, k.kind, k.kind_name, k.required, k.held,
             k.within_lifetime, k.past_lifetime, k.gap, k.surplus, k.unit_price_nok, k.gap_cost_nok]
            for k in plan.kinds]


def _plan_rows(years: list[YearPlan]) -> list[list]:
    return [[y.year, y.end_of_life, y.gap_purchases, y.replacement_purchases, y.purchases, y.gap_cost_nok,
             y.replacement_cost_nok, y.cost_nok] for y in years]


def _kind_rows(kinds: list[KindGap]) -> list[list]:
    return [["", "Hele kommunen", "", k.kind, k.kind_name, k.required, k.held, k.within_lifetime, k.past_lifetime,
             k.gap, k.surplus, k.unit_price_nok, k.gap_cost_nok] for k in kinds]


def _render(fmt: str, table: str, sheets: dict[str, SheetData]) -> bytes:
    if fmt == "xlsx":
        return xlsx_bytes(list(sheets.values()))
    chosen = sheets[table]
    return csv_bytes(chosen.header, chosen.rows)


async def municipality_export(principal: Principal, fmt: str, table: str = "gap", day: datetime.date | None = None,
                              years: int = DEFAULT_YEARS, unit_type: str | None = None) -> bytes:
    day = day or today()
    units = [u for u in await visible_units(principal) if unit_type is None or u["kind"] == unit_type]
    inputs = await load_inputs(first_year=day.year)
    plans = [plan_unit(u, inputs, day, years).plan for u in units]
    total = municipality_plan_from(units, inputs, day, years, unit_type)
    by_code = {p.unit.code: p for p in plans}
    unit_rows = []
    for summary in total.units:
        coverage = summary.coverage
        unit_rows.append([summary.unit.code, summary.unit.name, summary.unit.kind, "ja" if summary.counted else "nei",
                          summary.required, summary.held, summary.gap, summary.gap_cost_nok, summary.plan_cost_nok,
                          coverage.pupils if coverage else None, coverage.devices if coverage else None,
                          coverage.ratio if coverage else None])
    gap_rows = [row for s in total.units for row in _gap_rows(by_code[s.unit.code])]
    sheets = {
        "units": SheetData.of("Enheter", UNITS_HEADER, unit_rows, widths=(24, 32, 12, 10, 12, 10, 10, 14, 14, 10, 10, 14)),
        "gap": SheetData.of("Mangler per enhet", GAP_HEADER, gap_rows + _kind_rows(total.kinds),
                         widths=(24, 32, 12, 22, 30, 12, 10, 12, 12, 10, 10, 12, 16)),
        "plan": SheetData.of("Investeringsplan", PLAN_HEADER, _plan_rows(total.years), widths=(8, 14, 16, 16, 12, 16, 16, 16)),
    }
    return _render(fmt, table, sheets)


async def unit_export(code: str, principal: Principal, fmt: str, table: str = "gap",
                      day: datetime.date | None = None, years: int = DEFAULT_YEARS) -> bytes:
    unit = await seen_unit(code, principal)
    day = day or today()
    plan = plan_unit(unit, await load_inputs([unit["id"]], first_year=day.year), day, years).plan
    counts = plan.counts
    facts = [["Barn", counts.children], ["Elever", counts.pupils], ["Avdelinger", counts.departments],
             ["Klasserom", counts.classrooms], *[[f"Har, {text.lower()}", plan.held_by_funding.get(code_, 0)]
                                                for code_, text in domain.FUNDING.items()]]
    sheets = {
        "gap": SheetData.of("Mangler", GAP_HEADER, _gap_rows(plan), widths=(24, 32, 12, 22, 30, 12, 10, 12, 12, 10, 10, 12, 16)),
        "plan": SheetData.of("Investeringsplan", PLAN_HEADER, _plan_rows(plan.years), widths=(8, 14, 16, 16, 12, 16, 16, 16)),
        "units": SheetData.of("Enheten", ["Hva", "Antall"], facts, widths=(36, 12)),
    }
    return _render(fmt, table, sheets)


def media_type(fmt: str) -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx" \
        else "text/csv"  # the framework adds "; charset=utf-8" to text types


def filename(base: str, day: datetime.date, fmt: str, table: str) -> str:
    return f"{base}-{day.isoformat()}{'' if fmt == 'xlsx' else '-' + table}.{fmt}"
