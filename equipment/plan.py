"""Gap and plan: what the standard asks of each unit, what it has, what is missing, what reaches
the end of its lifetime in each coming year, and what closing the gaps and replacing the ageing
devices costs per budget year (the investment plan); "every pupil has their own device" per school.

The plan for a unit and kind, year by year: devices within their lifetime (held ones, and those the
plan bought in earlier years) are set against what the standard in force that year asks; the
shortfall is bought. A year's purchases are a gap (the standard asks for more than the unit has, or
more than the year before) or a replacement (devices that reached the end of their lifetime).
Years after the first use the standard in force on 1 January of that year, so an approved change
dated ahead shows in the years it applies to."""

from __future__ import annotations

import datetime
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from catalogue.security.access import Principal
from catalogue.tables import Unit
from catalogue.taxonomy import norwegian_sort_key
from equipment import domain
from equipment.common import as_date, today
from equipment.holdings import seen_unit, visible_units
from equipment.schemas import (
    AnnualFigures,
    Coverage,
    KindGap,
    MunicipalityPlanOut,
    UnitCountsOut,
    UnitPlanOut,
    UnitPlanSummary,
    UnitRef,
    YearPlan,
)
from equipment.standards import Standards, Version, load_standards
from equipment.tables import EquipmentKind, Holding, StandardChange, UnitProfile

DEFAULT_YEARS = 5
MAX_YEARS = 10


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def required_by_kind(version: Version | None, counts: dict[str, int]) -> dict[int, int]:
    """How many of each kind (by id) the standard ``version`` asks of a unit with ``counts``."""
    required: dict[int, int] = {}
    for line in version.lines if version else []:
        measure = 1 if line["basis"] == "per_unit" else counts.get(domain.BASIS_COUNT[line["basis"]], 0)
        amount = _ceil_div(line["quantity"] * measure, line["per_n"])
        required[line["kind_id"]] = required.get(line["kind_id"], 0) + amount
    return required


@dataclass
class Inputs:
    """Everything the plan is computed from, read in a few queries."""

    standards: Standards
    kinds: dict[int, dict[str, Any]]
    profiles: dict[int, dict[str, Any]]
    # unit id → kind id → acquired year → count
    held: dict[int, dict[int, dict[int, int]]] = field(default_factory=dict)
    # unit id → funding → count
    funding: dict[int, dict[str, int]] = field(default_factory=dict)
    # what the kinds and standards were when read (None: the plans are not to be kept)
    signature: tuple | None = None


# What a worker keeps between requests: each unit's summed holdings, with the unit's holdings
# stamp they were read at (every holdings write gives it a new random one in its own transaction,
# equipment.holdings.new_stamp, so a stamp does not repeat between databases), and the plans
# computed from them. Both are checked against the database on every request (and the sums against
# the year and the kinds' lifetimes they were summed for): the versions are
# read before the sums, so a change committed in between is read again on the next request.
_held_cache: dict[int, tuple[int, tuple, dict[int, dict[int, int]], dict[str, int]]] = {}
_plan_cache: OrderedDict[tuple, "UnitResult"] = OrderedDict()
PLAN_CACHE_SIZE = 4096


PAST = -10_000  # the acquired year of devices summed as past their lifetime (see _sums)


async def _sums(unit_ids: list[int] | None, acquired_up_to: int | None, past_by: int | None = None
                ) -> tuple[dict[int, dict[int, dict[int, int]]], dict[int, dict[str, int]]]:
    """Summed holdings by unit, kind and acquired year, and by unit and funding. With ``past_by``,
    devices whose lifetime has ended by that year are summed as one, acquired in the year PAST:
    the plan (of that year or later) counts them the same, and there are far fewer sums to read."""
    clauses, args = [], []
    if unit_ids is not None:
        clauses.append(f"h.unit IN ({', '.join('{}' for _ in unit_ids)})")
        args.extend(unit_ids)
    if acquired_up_to is not None:
        clauses.append("h.acquired_year <= {}")
        args.append(acquired_up_to)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    # one pass over the rows: the sums per acquired year, and per funding alongside
    codes = list(domain.FUNDING)
    per_funding = ", ".join(f"SUM(CASE WHEN h.funded_by = '{code}' THEN h.count ELSE 0 END) AS f{i}"
                            for i, code in enumerate(codes))
    year = "h.acquired_year" if past_by is None else (
        f"CASE WHEN h.acquired_year + k.lifetime_years <= {int(past_by)} THEN {PAST} ELSE h.acquired_year END")
    held: dict[int, dict[int, dict[int, int]]] = {}
    funding: dict[int, dict[str, int]] = {}
    for row in await Holding.raw(
            f"SELECT h.unit AS unit, h.kind AS kind, {year} AS y, SUM(h.count) AS n, {per_funding}"
            " FROM equipment_holding h JOIN equipment_kind k ON k.id = h.kind" + where
            + f" GROUP BY h.unit, h.kind, {year}", *args):
        by_year = held.setdefault(row["unit"], {}).setdefault(row["kind"], {})
        by_year[row["y"]] = by_year.get(row["y"], 0) + int(row["n"])
        sums = funding.setdefault(row["unit"], dict.fromkeys(codes, 0))
        for i, code in enumerate(codes):
            sums[code] += int(row[f"f{i}"])
    return held, funding


async def load_inputs(unit_ids: list[int] | None = None, *, acquired_up_to: int | None = None,
                      first_year: int | None = None) -> Inputs:
    """Read the standards, kinds, counts and summed holdings (of the given units, or all), for a
    plan from ``first_year`` (this year) on. Sums of units whose holdings have not changed since
    this worker last read them come from memory."""
    kinds = {r["id"]: r for r in await EquipmentKind.select()}
    profiles_query = UnitProfile.select()
    if unit_ids is not None:
        profiles_query = profiles_query.where(UnitProfile.unit.is_in(unit_ids or [0]))
    profiles = {r["unit"]: r for r in await profiles_query}
    inputs = Inputs(standards=await load_standards(), kinds=kinds, profiles=profiles)
    this_year = today().year
    if acquired_up_to is not None or (first_year is not None and first_year < this_year):
        # a past year's figures or plan: read afresh, keep nothing
        inputs.held, inputs.funding = await _sums(unit_ids, acquired_up_to)
        return inputs
    lifetimes = (this_year, tuple(sorted((k, r["lifetime_years"]) for k, r in kinds.items())))
    # every writer of holdings stamps the unit's profile anew, making the profile if it had none
    wanted = list(profiles) if unit_ids is None else [u for u in unit_ids if u in profiles]
    stale = [u for u in wanted
             if _held_cache.get(u, (None, None))[:2] != (profiles[u]["holdings_version"], lifetimes)]
    if stale:
        held, funding = await _sums(None if unit_ids is None and len(stale) * 2 > len(wanted) else stale, None,
                                    past_by=this_year)
        for unit in stale:
            _held_cache[unit] = (profiles[unit]["holdings_version"], lifetimes, held.get(unit, {}),
                                 funding.get(unit, {}))
    for unit in wanted:
        _, _, inputs.held[unit], inputs.funding[unit] = _held_cache[unit]
    # what the plans depend on besides the unit's own rows, by content (ids and versions repeat
    # between databases, as between tests)
    inputs.signature = (
        tuple(sorted((k, r["code"], r["name"], r["lifetime_years"], r["typical_price_nok"],
                      bool(r["personal_pupil_device"])) for k, r in kinds.items())),
        tuple(sorted((unit_type, v.change_id, v.revision, v.valid_from,
                      tuple((line["kind_id"], line["basis"], line["per_n"], line["quantity"]) for line in v.lines))
                     for unit_type, versions in inputs.standards.versions.items() for v in versions)))
    return inputs


def _counts(unit: dict[str, Any], profile: dict[str, Any] | None) -> UnitCountsOut:
    if profile is None:
        return UnitCountsOut(unit=unit["code"], children=0, pupils=0, departments=0, classrooms=0, counted_on=None,
                             version=0)
    return UnitCountsOut(unit=unit["code"], children=profile["children"], pupils=profile["pupils"],
                         departments=profile["departments"], classrooms=profile["classrooms"],
                         counted_on=as_date(profile["counted_on"]), version=profile["version"])


def _year_totals(years: list[int]) -> dict[int, dict[str, int]]:
    keys = ("end_of_life", "gap_purchases", "replacement_purchases", "gap_cost_nok", "replacement_cost_nok")
    return {y: dict.fromkeys(keys, 0) for y in years}


def _years_out(totals: dict[int, dict[str, int]]) -> list[YearPlan]:
    return [YearPlan(year=y, end_of_life=t["end_of_life"], gap_purchases=t["gap_purchases"],
                     replacement_purchases=t["replacement_purchases"],
                     purchases=t["gap_purchases"] + t["replacement_purchases"], gap_cost_nok=t["gap_cost_nok"],
                     replacement_cost_nok=t["replacement_cost_nok"],
                     cost_nok=t["gap_cost_nok"] + t["replacement_cost_nok"]) for y, t in sorted(totals.items())]


@dataclass
class UnitResult:
    plan: UnitPlanOut
    required: int
    held: int


def plan_unit(unit: dict[str, Any], inputs: Inputs, day: datetime.date, years: int) -> UnitResult:
    """The gap and plan of one unit (see the module's docstring for the rule), kept while the
    unit's counts and holdings, the kinds and the standards stay as they were."""
    profile = inputs.profiles.get(unit["id"])
    key = None
    if inputs.signature is not None:
        key = (unit["id"], unit["code"], unit["name"], unit["kind"], day, years, inputs.signature,
               tuple(profile[k] for k in ("version", "holdings_version", "children", "pupils", "departments",
                                          "classrooms")) if profile else None)
        kept = _plan_cache.get(key)
        if kept is not None:
            _plan_cache.move_to_end(key)
            return kept
    result = _plan_unit(unit, inputs, day, years)
    if key is not None:
        _plan_cache[key] = result
        if len(_plan_cache) > PLAN_CACHE_SIZE:
            _plan_cache.popitem(last=False)
    return result


def _plan_unit(unit: dict[str, Any], inputs: Inputs, day: datetime.date, years: int) -> UnitResult:
    profile = inputs.profiles.get(unit["id"])
    counts = _counts(unit, profile)
    count_values = {"children": counts.children, "pupils": counts.pupils, "departments": counts.departments,
                    "classrooms": counts.classrooms}
    first = day.year
    horizon = [first + i for i in range(years)]
    version_now = inputs.standards.in_force(unit["kind"], day)
    required = {y: required_by_kind(version_now if y == first else
                                    inputs.standards.in_force(unit["kind"], datetime.date(y, 1, 1)), count_values)
                for y in horizon}
    held = inputs.held.get(unit["id"], {})
    totals = _year_totals(horizon)
    kinds_out: list[KindGap] = []
    pupil_devices = pupil_devices_valid = 0
    for kind_id in set(held) | {k for r in required.values() for k in r}:
        kind = inputs.kinds[kind_id]
        lifetime, price = kind["lifetime_years"], kind["typical_price_nok"]
        by_year = held.get(kind_id, {})
        held_total = sum(by_year.values())
        valid_now = sum(n for acquired, n in by_year.items() if acquired + lifetime > first)
        need_now = required[first].get(kind_id, 0)
        gap = max(0, need_now - held_total)
        bought: dict[int, int] = {}
        for year in horizon:
            if year == first:
                end_of_life = held_total - valid_now
            else:
                end_of_life = sum(n for acquired, n in by_year.items() if acquired + lifetime == year)
            valid = sum(n for acquired, n in by_year.items() if acquired + lifetime > year) + sum(
                n for bought_in, n in bought.items() if bought_in + lifetime > year)
            need = required[year].get(kind_id, 0)
            buy = max(0, need - valid)
            bought[year] = buy
            if year == first:
                for_gap = min(buy, gap)
            else:
                for_gap = min(buy, max(0, need - required[year - 1].get(kind_id, 0)))
            totals[year]["end_of_life"] += end_of_life
            totals[year]["gap_purchases"] += for_gap
            totals[year]["replacement_purchases"] += buy - for_gap
            totals[year]["gap_cost_nok"] += for_gap * price
            totals[year]["replacement_cost_nok"] += (buy - for_gap) * price
        if kind["personal_pupil_device"]:
            pupil_devices += held_total
            pupil_devices_valid += valid_now
        kinds_out.append(KindGap(kind=kind["code"], kind_name=kind["name"], required=need_now, held=held_total,
                                 within_lifetime=valid_now, past_lifetime=held_total - valid_now, gap=gap,
                                 surplus=max(0, held_total - need_now), unit_price_nok=price,
                                 gap_cost_nok=gap * price))
    kinds_out.sort(key=lambda k: (norwegian_sort_key(k.kind_name), k.kind))
    coverage = None
    if unit["kind"] == "skole":
        coverage = Coverage(pupils=counts.pupils, devices=pupil_devices, devices_within_lifetime=pupil_devices_valid,
                            ratio=round(pupil_devices / counts.pupils, 4) if counts.pupils else None,
                            one_to_one=counts.pupils > 0 and pupil_devices >= counts.pupils)
    years_out = _years_out(totals)
    plan = UnitPlanOut(
        unit=UnitRef(code=unit["code"], name=unit["name"], kind=unit["kind"]), date=day, counts=counts,
        standard_revision=inputs.standards.revision(unit["kind"]),
        standard_valid_from=version_now.valid_from if version_now else None, kinds=kinds_out, years=years_out,
        coverage=coverage, held_by_funding={f: inputs.funding.get(unit["id"], {}).get(f, 0) for f in domain.FUNDING},
        gap=sum(k.gap for k in kinds_out), gap_cost_nok=sum(k.gap_cost_nok for k in kinds_out),
        plan_cost_nok=sum(y.cost_nok for y in years_out))
    return UnitResult(plan=plan, required=sum(k.required for k in kinds_out), held=sum(k.held for k in kinds_out))


def _clamp_years(years: int) -> int:
    return max(1, min(MAX_YEARS, years))


async def unit_plan(code: str, principal: Principal, day: datetime.date | None = None,
                    years: int = DEFAULT_YEARS) -> UnitPlanOut:
    unit = await seen_unit(code, principal)
    day = day or today()
    inputs = await load_inputs([unit["id"]], first_year=day.year)
    return plan_unit(unit, inputs, day, _clamp_years(years)).plan


def _add_kind(total: dict[str, KindGap], gap: KindGap) -> None:
    current = total.get(gap.kind)
    if current is None:
        total[gap.kind] = KindGap(**{f: getattr(gap, f) for f in KindGap.__struct_fields__})
        return
    for name in ("required", "held", "within_lifetime", "past_lifetime", "gap", "surplus", "gap_cost_nok"):
        setattr(current, name, getattr(current, name) + getattr(gap, name))


def municipality_plan_from(units: list[dict[str, Any]], inputs: Inputs, day: datetime.date, years: int,
                           unit_type: str | None) -> MunicipalityPlanOut:
    summaries: list[UnitPlanSummary] = []
    kinds: dict[str, KindGap] = {}
    horizon = [day.year + i for i in range(years)]
    totals = _year_totals(horizon)
    funding = dict.fromkeys(domain.FUNDING, 0)
    for unit in units:
        result = plan_unit(unit, inputs, day, years)
        plan = result.plan
        for gap in plan.kinds:
            _add_kind(kinds, gap)
        for year in plan.years:
            for name in totals[year.year]:
                totals[year.year][name] += getattr(year, name)
        for name, count in plan.held_by_funding.items():
            funding[name] = funding.get(name, 0) + count
        summaries.append(UnitPlanSummary(unit=plan.unit, required=result.required, held=result.held, gap=plan.gap,
                                         gap_cost_nok=plan.gap_cost_nok, plan_cost_nok=plan.plan_cost_nok,
                                         coverage=plan.coverage, counted=plan.counts.version > 0))
    summaries.sort(key=lambda s: (s.unit.kind, norwegian_sort_key(s.unit.name), s.unit.code))
    years_out = _years_out(totals)
    schools = [s for s in summaries if s.coverage is not None]
    kind_list = sorted(kinds.values(), key=lambda k: (norwegian_sort_key(k.kind_name), k.kind))
    return MunicipalityPlanOut(
        date=day, unit_type=unit_type, units=summaries, kinds=kind_list, years=years_out, held_by_funding=funding,
        gap=sum(k.gap for k in kind_list), gap_cost_nok=sum(k.gap_cost_nok for k in kind_list),
        plan_cost_nok=sum(y.cost_nok for y in years_out), pupils=sum(s.coverage.pupils for s in schools),
        pupil_devices=sum(s.coverage.devices for s in schools),
        schools_one_to_one=sum(1 for s in schools if s.coverage.one_to_one), schools=len(schools))


async def municipality_plan(principal: Principal, day: datetime.date | None = None, years: int = DEFAULT_YEARS,
                            unit_type: str | None = None) -> MunicipalityPlanOut:
    """The gap and plan of every unit the caller sees (the planners: all), and the sums."""
    units = [u for u in await visible_units(principal) if unit_type is None or u["kind"] == unit_type]
    day = day or today()
    inputs = await load_inputs(first_year=day.year)
    return municipality_plan_from(units, inputs, day, _clamp_years(years), unit_type)


async def annual_figures(year: int) -> AnnualFigures:
    """The equipment figures of ``year`` for the annual quality report: holdings as registered
    (devices acquired up to the year's end), what was bought that year and by whom, the gap
    against the standard in force at the year's end (today, for the current year), next year's
    planned cost, pupil coverage, and the standard changes approved in the year. Holdings that were
    removed since are not counted: the register is of what units have now."""
    as_of = min(datetime.date(year, 12, 31), today())
    units = list(await Unit.select(Unit.id, Unit.code, Unit.name, Unit.kind).where(Unit.active == True))  # noqa: E712
    inputs = await load_inputs(acquired_up_to=year)
    plan = municipality_plan_from(units, inputs, as_of, 2, None)
    acquired = await Holding.raw(
        "SELECT h.funded_by AS funded_by, SUM(h.count) AS n, SUM(h.count * k.typical_price_nok) AS cost"
        " FROM equipment_holding h JOIN equipment_kind k ON k.id = h.kind WHERE h.acquired_year = {}"
        " GROUP BY h.funded_by", year)
    by_funding = {f: 0 for f in domain.FUNDING}
    cost_by_funding = {f: 0 for f in domain.FUNDING}
    for row in acquired:
        by_funding[row["funded_by"]] = int(row["n"])
        cost_by_funding[row["funded_by"]] = int(row["cost"])
    approved = [r for r in await StandardChange.select(StandardChange.approved_at).where(
        StandardChange.approved_at.is_not_null()) if str(r["approved_at"])[:4] == str(year)]
    next_year = [y for y in plan.years if y.year == as_of.year + 1]
    return AnnualFigures(
        year=year, as_of=as_of, units=len(units), units_counted=sum(1 for s in plan.units if s.counted),
        devices_held=sum(s.held for s in plan.units), devices_acquired=sum(by_funding.values()),
        acquired_by_funding=by_funding, acquired_cost_nok_by_funding=cost_by_funding, gap=plan.gap,
        gap_cost_nok=plan.gap_cost_nok, planned_cost_nok_next_year=next_year[0].cost_nok if next_year else 0,
        pupils=plan.pupils, pupil_devices=plan.pupil_devices,
        pupil_coverage=round(plan.pupil_devices / plan.pupils, 4) if plan.pupils else None,
        schools=plan.schools, schools_one_to_one=plan.schools_one_to_one, standard_changes_approved=len(approved))
